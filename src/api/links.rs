//! Links: state, queue depth and the live rate limit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{Ordered, Params};
use super::{ApiError, ApiState};
use crate::core::rate::LINK_RATE;
use crate::links::LinkHandle;

async fn describe(s: &ApiState, h: &LinkHandle) -> Result<Value, ApiError> {
    let served = s.gw.links.routes_served_by(h.name());
    let depths = s.gw.store.queue_depths().await?;
    let queued: i64 = depths
        .iter()
        .filter(|(r, _)| served.contains(r))
        .map(|(_, n)| n)
        .sum();
    Ok(json!({
        "name": h.name(),
        "kind": h.link.kind(),
        "healthy": h.link.healthy(),
        "enabled": h.enabled(),
        "rate": h.rate(),
        "in_flight": h.in_flight.load(std::sync::atomic::Ordering::Relaxed),
        "queue_depth": queued,
        "routes": served,
        "details": h.link.details(),
    }))
}

pub async fn list(State(s): State<ApiState>, Params(o): Params<Ordered>) -> Result<Json<Value>, ApiError> {
    let mut out = Vec::new();
    for h in s.gw.links.links() {
        out.push(describe(&s, h).await?);
    }
    Ok(Json(json!({ "results": o.apply(out) })))
}

pub async fn get_one(State(s): State<ApiState>, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let h =
        s.gw.links
            .get(&name)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("link {name} not found")))?;
    Ok(Json(describe(&s, h).await?))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkPatch {
    /// Messages (segments) per second; 0 for no limit, else within
    /// [`LINK_RATE`].
    rate: Option<f64>,
    enabled: Option<bool>,
}

/// Tune a link while it runs. The rate is kept across restarts.
pub async fn update(
    State(s): State<ApiState>,
    Path(name): Path<String>,
    Body(p): Body<LinkPatch>,
) -> Result<Json<Value>, ApiError> {
    let h =
        s.gw.links
            .get(&name)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("link {name} not found")))?;
    if let Some(r) = p.rate {
        // Checked before it is stored: a stored rate is read at every start.
        let r = LINK_RATE
            .check(r)
            .map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "rate", e.to_string()))?;
        s.gw.store.save_link_rate(&name, r).await?;
        h.set_rate(r);
        tracing::info!(link = %name, rate = r, "link rate changed");
    }
    if let Some(e) = p.enabled {
        h.set_enabled(e);
        tracing::info!(link = %name, enabled = e, "link switched");
        s.gw.wake();
    }
    Ok(Json(describe(&s, h).await?))
}
