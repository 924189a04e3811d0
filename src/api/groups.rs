//! Static and smart groups.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter};
use super::{ApiError, ApiState};

pub async fn list(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_groups_page(&l.page).await?, |g| g.id))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    name: String,
    /// Present for a smart group.
    query: Option<String>,
}

pub async fn create(
    State(s): State<ApiState>,
    Body(g): Body<NewGroup>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let g = s.gw.store.create_group(&g.name, g.query.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(json!(g))))
}

pub async fn get_one(State(s): State<ApiState>, Path(group): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.get_group(&group).await?)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    name: Option<String>,
    query: Option<String>,
}

pub async fn update(
    State(s): State<ApiState>,
    Path(group): Path<String>,
    Body(p): Body<GroupPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        s.gw.store
            .update_group(&group, p.name.as_deref(), p.query.as_deref())
            .await?
    )))
}

pub async fn delete(State(s): State<ApiState>, Path(group): Path<String>) -> Result<StatusCode, ApiError> {
    s.gw.store.delete_group(&group).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Members {
    contacts: Vec<String>,
}

pub async fn add_members(
    State(s): State<ApiState>,
    Path(group): Path<String>,
    Body(m): Body<Members>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        s.gw.store
            .change_members(
                &group,
                &m.contacts,
                false,
                s.gw.config.contacts.default_country.as_deref()
            )
            .await?
    )))
}

pub async fn remove_members(
    State(s): State<ApiState>,
    Path(group): Path<String>,
    Body(m): Body<Members>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        s.gw.store
            .change_members(
                &group,
                &m.contacts,
                true,
                s.gw.config.contacts.default_country.as_deref()
            )
            .await?
    )))
}
