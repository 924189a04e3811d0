//! Contacts and custom fields.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, Ordered, Params};
use super::{ApiError, ApiState};
use crate::core::query::Query;
use crate::core::FieldType;
use crate::store::{ContactFilter, ContactPatch, NewContact};

#[derive(Debug, serde::Deserialize)]
pub struct ListParams {
    query: Option<String>,
    group: Option<String>,
}

pub async fn list(State(s): State<ApiState>, l: List<ListParams>) -> Result<Json<Value>, ApiError> {
    let p = &l.filter;
    let query = match p.query.as_deref().filter(|q| !q.trim().is_empty()) {
        Some(q) => {
            let parsed = Query::parse(q)
                .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "query", e.to_string()))?;
            parsed
                .check(&s.gw.store.field_types().await?, false)
                .map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "query", e.to_string()))?;
            Some(parsed)
        }
        None => None,
    };
    let group_id = match &p.group {
        Some(g) => Some(s.gw.store.get_group(g).await?.id),
        None => None,
    };
    let results =
        s.gw.store
            .list_contacts(&ContactFilter {
                query,
                group_id,
                page: l.page,
            })
            .await?;
    Ok(l.answer(&results, |c| c.id))
}

pub async fn create(
    State(s): State<ApiState>,
    Body(new): Body<NewContact>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let c =
        s.gw.store
            .create_contact(new, s.gw.config.contacts.default_country.as_deref())
            .await?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

pub async fn get_one(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.get_contact(&uuid).await?)))
}

pub async fn update(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
    Body(patch): Body<ContactPatch>,
) -> Result<Json<Value>, ApiError> {
    let c =
        s.gw.store
            .update_contact(&uuid, patch, s.gw.config.contacts.default_country.as_deref())
            .await?;
    Ok(Json(json!(c)))
}

pub async fn delete(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<StatusCode, ApiError> {
    s.gw.store.delete_contact(&uuid).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_fields(
    State(s): State<ApiState>,
    Params(o): Params<Ordered>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "results": o.apply(s.gw.store.list_fields().await?) }),
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewField {
    key: String,
    name: Option<String>,
    #[serde(rename = "type")]
    value_type: FieldType,
}

pub async fn create_field(
    State(s): State<ApiState>,
    Body(f): Body<NewField>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = f.name.unwrap_or_else(|| f.key.clone());
    s.gw.store.ensure_field(&f.key, &name, f.value_type).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"key": f.key, "name": name, "type": f.value_type})),
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    contacts: Vec<NewContact>,
}

/// Import contacts, or a roster again: rows matching a known contact (by a
/// URN or the external id) update it, the others are created; all or
/// nothing, every bad row listed.
pub async fn import(
    State(s): State<ApiState>,
    Body(b): Body<Import>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let report =
        s.gw.store
            .import_contacts(b.contacts, s.gw.config.contacts.default_country.as_deref())
            .await?;
    let uuids: Vec<&str> = report.contacts.iter().map(|c| c.uuid.as_str()).collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "created": report.created,
            "updated": report.updated,
            "uuids": uuids,
            "contacts": report.contacts,
        })),
    ))
}
