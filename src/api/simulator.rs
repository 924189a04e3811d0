//! Driving the simulator link: a fake phone sends a message in; read what a
//! fake phone received.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter, Params};
use super::{ApiError, ApiState};
use crate::core::time::now_ms;
use crate::core::{LinkKind, Urn};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    from: String,
    text: String,
    /// Which simulator link it arrives on; the first one by default.
    link: Option<String>,
}

pub async fn inbound(
    State(s): State<ApiState>,
    Body(m): Body<Inbound>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let link = match &m.link {
        Some(name) => s.gw.links.get(name),
        None => {
            s.gw.links
                .links()
                .iter()
                .find(|l| l.link.kind() == LinkKind::Simulator)
        }
    }
    .filter(|l| l.link.kind() == LinkKind::Simulator)
    .ok_or_else(|| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "link", "no such simulator link"))?;
    let from = Urn::parse(&m.from, s.gw.config.contacts.default_country.as_deref())
        .map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "from", e.to_string()))?;
    let id = crate::dispatch::handle_inbound(&s.gw, link.name(), &from, &m.text, None, now_ms()).await?;
    let row = s.gw.store.get_msgs_by_ids(&[id]).await?;
    Ok((StatusCode::CREATED, Json(json!(row.first()))))
}

pub async fn received(
    State(s): State<ApiState>,
    Path(number): Path<String>,
    l: List<NoFilter>,
) -> Result<Json<Value>, ApiError> {
    let urn = Urn::parse(&number, s.gw.config.contacts.default_country.as_deref())
        .map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "number", e.to_string()))?;
    let rows = s.gw.store.sim_inbox(&urn.to_string(), &l.page).await?;
    Ok(l.answer(&rows, |r| r.id))
}

pub async fn stats(State(s): State<ApiState>, _: Params<NoFilter>) -> Result<Json<Value>, ApiError> {
    let (total, distinct) = s.gw.store.sim_counts().await?;
    let by_node: serde_json::Map<String, Value> =
        s.gw.store
            .sim_counts_by_node()
            .await?
            .into_iter()
            .map(|(n, c)| (n, json!(c)))
            .collect();
    Ok(Json(
        json!({ "received": total, "distinct_messages": distinct, "by_node": by_node }),
    ))
}
