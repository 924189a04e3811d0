//! Messages in and out, and single sends.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::audit::Audit;
use super::body::Body;
use super::list::List;
use super::{ApiError, ApiState};
use crate::dispatch::SendTo;
use crate::store::{MsgFilter, MsgRow};

#[derive(Debug, serde::Deserialize)]
pub struct ListParams {
    direction: Option<String>,
    status: Option<String>,
    contact: Option<String>,
    broadcast: Option<String>,
    urn: Option<String>,
    /// Only inbound messages nothing answered (no trigger, no waiting flow).
    #[serde(default)]
    unmatched: bool,
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
                unmatched: p.unmatched,
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
) -> Result<(StatusCode, Audit, Json<Value>), ApiError> {
    let to = SendTo {
        contact: m.contact.as_deref(),
        urn: m.urn.as_deref(),
    };
    let row = s.gw.send_one(to, &m.text).await?;
    Ok((StatusCode::CREATED, sent(&row), Json(json!(row))))
}

/// The audit entry of a single send, from the API or the console.
pub fn sent(row: &MsgRow) -> Audit {
    let after = json!({"contact": row.contact, "urn": row.urn, "text": row.text});
    Audit::action("message.send")
        .target("message", &row.uuid)
        .after(&after)
}
