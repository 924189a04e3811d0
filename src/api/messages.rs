//! Messages in and out, and single sends.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::List;
use super::{ApiError, ApiState};
use crate::core::{Priority, Urn};
use crate::store::MsgFilter;

#[derive(Debug, serde::Deserialize)]
pub struct ListParams {
    direction: Option<String>,
    status: Option<String>,
    contact: Option<String>,
    broadcast: Option<String>,
    urn: Option<String>,
}

pub async fn list(State(s): State<ApiState>, l: List<ListParams>) -> Result<Json<Value>, ApiError> {
    let p = &l.filter;
    let contact_id = match &p.contact {
        Some(c) => Some(s.gw.store.contact_id(c).await?),
        None => None,
    };
    let broadcast_id = match &p.broadcast {
        Some(b) => Some(s.gw.store.get_broadcast(b).await?.id),
        None => None,
    };
    if let Some(st) = p.status.as_deref().filter(|st| *st != crate::dispatch::HELD) {
        st.parse::<crate::core::MsgStatus>()
            .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "status", e))?;
    }
    let mut results =
        s.gw.store
            .list_msgs(&MsgFilter {
                direction: p.direction.clone(),
                status: p.status.clone(),
                contact_id,
                broadcast_id,
                urn: p.urn.clone(),
                page: l.page,
            })
            .await?;
    s.gw.explain_waiting(&mut results);
    Ok(l.answer(&results, |m| m.id))
}

pub async fn get_one(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    let mut row = s.gw.store.get_msg(&uuid).await?;
    s.gw.explain_waiting(std::slice::from_mut(&mut row));
    Ok(Json(json!(row)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Send {
    contact: Option<String>,
    urn: Option<String>,
    text: String,
}

/// Send one message now, ahead of bulk traffic.
pub async fn send(
    State(s): State<ApiState>,
    Body(m): Body<Send>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if m.text.trim().is_empty() {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "text",
            "must not be empty",
        ));
    }
    let country = s.gw.config.contacts.default_country.as_deref();
    let urn = m
        .urn
        .as_deref()
        .map(|u| Urn::parse(u, country))
        .transpose()
        .map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "urn", e.to_string()))?;
    let contact = match (&m.contact, &urn) {
        (Some(c), _) => s.gw.store.get_contact(c).await?,
        (None, Some(u)) => s.gw.store.find_or_create_by_urn(u, None).await?.0,
        (None, None) => {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "contact",
                "give a contact or a urn",
            ))
        }
    };
    let id =
        s.gw.send_to_contact(&contact, urn.as_ref(), &m.text, Priority::Reply, false, None)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::CONFLICT,
                    format!(
                        "contact is {} or has no phone number: nothing was sent",
                        contact.status
                    ),
                )
            })?;
    let mut row = s.gw.store.get_msgs_by_ids(&[id]).await?;
    s.gw.explain_waiting(&mut row);
    Ok((StatusCode::CREATED, Json(json!(row.first()))))
}
