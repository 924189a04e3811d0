//! Keyword triggers, including import from a RapidPro export.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter};
use super::{ApiError, ApiState};
use crate::config::MatchType;
use crate::store::NewTrigger;

pub async fn list(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_triggers_page(&l.page).await?, |t| t.id))
}

pub async fn create(
    State(s): State<ApiState>,
    Body(t): Body<NewTrigger>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    t.validate()
        .map_err(|(field, problem)| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, problem))?;
    let t = s.gw.store.resolve_trigger_refs(&t).await?;
    let created = s.gw.store.create_trigger(&t, "api").await?;
    s.gw.triggers.invalidate().await;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

pub async fn delete(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<StatusCode, ApiError> {
    s.gw.store.delete_trigger(&uuid).await?;
    s.gw.triggers.invalidate().await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize)]
struct Named {
    uuid: Option<String>,
    name: Option<String>,
}

/// A trigger as RapidPro exports it (`trigger_type` K = keyword, C = catch-all).
#[derive(Debug, serde::Deserialize)]
struct ExportTrigger {
    trigger_type: String,
    #[serde(default)]
    keywords: Vec<String>,
    keyword: Option<String>,
    match_type: Option<String>,
    flow: Option<Named>,
    #[serde(default)]
    groups: Vec<Named>,
    #[serde(default)]
    exclude_groups: Vec<Named>,
}

/// A RapidPro export: an object, whose `triggers` are read (its other
/// parts are `POST /flows`'s business).
#[derive(Debug, serde::Deserialize)]
pub struct Export {
    #[serde(default)]
    triggers: Vec<serde_json::Value>,
}

/// Import the keyword and catch-all triggers of a RapidPro export. Other
/// trigger types are listed as skipped, with the reason. An export with no
/// trigger to import is refused: answering 200 for it would read as done.
pub async fn import(State(s): State<ApiState>, Body(export): Body<Value>) -> Result<Json<Value>, ApiError> {
    let nothing = |why: &str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("nothing to import: {why}"),
        )
    };
    if !export.is_object() {
        return Err(nothing(
            "expected a RapidPro export (a JSON object with \"triggers\")",
        ));
    }
    let export: Export = serde_json::from_value(export)
        .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "triggers", e.to_string()))?;
    if export.triggers.is_empty() {
        return Err(nothing("the export has no triggers"));
    }
    let mut to_create = Vec::new();
    let mut skipped = Vec::new();
    for (i, raw) in export.triggers.into_iter().enumerate() {
        let t: ExportTrigger = serde_json::from_value(raw)
            .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, format!("triggers[{i}]"), e.to_string()))?;
        let keywords: Vec<String> = t.keywords.iter().cloned().chain(t.keyword.clone()).collect();
        let kind = t.trigger_type.as_str();
        if kind != "K" && kind != "C" {
            skipped.push(json!({"index": i, "reason": format!("trigger type {kind:?} is not supported")}));
            continue;
        }
        let names = |v: &[Named]| {
            v.iter()
                .filter_map(|g| g.name.clone().or_else(|| g.uuid.clone()))
                .collect::<Vec<_>>()
        };
        let flow = t.flow.as_ref().and_then(|f| f.uuid.clone());
        if flow.is_none() {
            skipped.push(json!({"index": i, "reason": "no flow"}));
            continue;
        }
        to_create.push((
            i,
            NewTrigger {
                keywords: if kind == "C" { vec![] } else { keywords },
                match_type: if t.match_type.as_deref() == Some("O") {
                    MatchType::Only
                } else {
                    MatchType::First
                },
                reply: None,
                flow,
                groups: names(&t.groups),
                exclude_groups: names(&t.exclude_groups),
            },
        ));
    }
    if to_create.is_empty() {
        return Err(nothing(&format!(
            "no keyword or catch-all trigger with a flow (skipped: {})",
            Value::Array(skipped)
        )));
    }
    // Validate everything before writing anything; a field is named by the
    // trigger's index in the export.
    let mut resolved = Vec::with_capacity(to_create.len());
    for (i, t) in &to_create {
        let at = |field: String, problem: String| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("triggers[{i}].{field}"),
                problem,
            )
        };
        t.validate().map_err(|(field, problem)| at(field, problem))?;
        resolved.push(s.gw.store.resolve_trigger_refs(t).await.map_err(|e| match e {
            crate::store::StoreError::Invalid { field, message } => at(field, message),
            other => other.into(),
        })?);
    }
    let mut created = Vec::new();
    for t in &resolved {
        created.push(s.gw.store.create_trigger(t, "import").await?);
    }
    s.gw.triggers.invalidate().await;
    Ok(Json(json!({ "imported": created, "skipped": skipped })))
}
