//! The configured health-worker registries: sync state, the HR update
//! conflicts the gateway did not apply (the registry wins), and the staffing
//! view (per facility: workers, confirmed, corrected, and when).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::list::{NoFilter, Ordered, Params};
use super::{ApiError, ApiState};
use crate::config::RegistryConfig;
use crate::dispatch::registry::staffing::staffing;

fn registry<'a>(s: &'a ApiState, name: &str) -> Result<&'a RegistryConfig, ApiError> {
    s.gw.config
        .registries
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("registry {name} not found")))
}

pub async fn list(State(s): State<ApiState>, Params(o): Params<Ordered>) -> Result<Json<Value>, ApiError> {
    let mut out = Vec::new();
    for r in &s.gw.config.registries {
        let state = s.gw.store.registry_sync_state(&r.name).await?;
        out.push(json!({
            "name": r.name,
            "base_url": r.base_url,
            "practitioners": s.gw.store.count_registry_contacts(&r.name).await?,
            "synced_until": state.synced_until.map(crate::core::time::rfc3339),
            "last_report": state.last_report,
            "hr_update_flow": r.hr_update.as_ref().map(|h| h.flow.clone()),
            "export_groups": r.export_groups,
        }));
    }
    Ok(Json(json!({ "results": o.apply(out) })))
}

/// Newest first, answered whole: a registry's conflicts are few, and
/// `order` would read as by id, which they are not kept by.
pub async fn conflicts(
    State(s): State<ApiState>,
    Path(name): Path<String>,
    _: Params<NoFilter>,
) -> Result<Json<Value>, ApiError> {
    let r = registry(&s, &name)?;
    let conflicts = s.gw.store.registry_conflicts(&r.name).await?;
    Ok(Json(json!({ "results": conflicts })))
}

pub async fn staffing_view(
    State(s): State<ApiState>,
    Path(name): Path<String>,
    _: Params<NoFilter>,
) -> Result<Json<Value>, ApiError> {
    let r = registry(&s, &name)?;
    let view = staffing(&s.gw.store, &r.name, r.hr_update.as_ref()).await?;
    Ok(Json(serde_json::to_value(view).unwrap_or(Value::Null)))
}
