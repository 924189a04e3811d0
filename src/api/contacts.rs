//! Contacts and custom fields.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter, Ordered, Params};
use super::roster_csv;
use super::{ApiError, ApiState};
use crate::core::query::Query;
use crate::core::FieldType;
use crate::store::{ContactFilter, ContactPatch, NewContact, RunFilter, StoreError};

#[derive(Debug, serde::Deserialize)]
pub struct ListParams {
    query: Option<String>,
    group: Option<String>,
}

pub async fn list(State(s): State<ApiState>, l: List<ListParams>) -> Result<Json<Value>, ApiError> {
    let p = &l.filter;
    let query = parsed_query(&s, p.query.as_deref()).await?;
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

/// `query=` checked, `None` when absent or blank; a bad one is a 400 on
/// `query`.
async fn parsed_query(s: &ApiState, q: Option<&str>) -> Result<Option<Query>, ApiError> {
    let Some(q) = q.filter(|q| !q.trim().is_empty()) else {
        return Ok(None);
    };
    match s.gw.store.contact_query(q).await {
        Ok(parsed) => Ok(Some(parsed)),
        Err(StoreError::Invalid { message, .. }) => {
            Err(ApiError::field(StatusCode::BAD_REQUEST, "query", message))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct CountParams {
    query: Option<String>,
}

/// How many contacts match `query=` (all without it): the number a smart
/// group made with that query holds.
pub async fn count(
    State(s): State<ApiState>,
    Params(p): Params<CountParams>,
) -> Result<Json<Value>, ApiError> {
    let query = parsed_query(&s, p.query.as_deref()).await?;
    Ok(Json(
        json!({ "count": s.gw.store.count_matching(query.as_ref()).await? }),
    ))
}

/// A contact's flow runs (of every flow) with their results, paged.
pub async fn runs(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
    l: List<NoFilter>,
) -> Result<Json<Value>, ApiError> {
    s.gw.store.contact_id(&uuid).await?;
    let f = RunFilter {
        page: l.page,
        ..RunFilter::default()
    };
    Ok(l.answer(&s.gw.store.contact_runs(&uuid, &f).await?, |r| r.id))
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
    import_rows(&s, b.contacts).await
}

async fn import_rows(s: &ApiState, rows: Vec<NewContact>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let report =
        s.gw.store
            .import_contacts(rows, s.gw.config.contacts.default_country.as_deref())
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

#[derive(Debug, serde::Deserialize)]
pub struct CsvParams {
    /// What each column holds, comma-separated in column order: `name`,
    /// `phone`, `language`, `external_id`, `group`, `fields.<key>`, or
    /// nothing to leave the column out.
    columns: String,
}

/// A CSV roster (`text/csv`, a header line first) with the guessed mapping
/// of its columns and its first rows; nothing is written.
pub async fn import_preview(
    State(s): State<ApiState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let table = roster_csv::read(&body)?;
    let keys = s.gw.store.field_keys().await?;
    let mapping: Vec<String> = table
        .headers
        .iter()
        .map(|h| roster_csv::guess(h, &keys))
        .collect();
    Ok(Json(json!({
        "headers": table.headers,
        "columns": mapping,
        "rows": table.rows.iter().take(roster_csv::PREVIEW_ROWS).collect::<Vec<_>>(),
        "total": table.rows.len(),
    })))
}

/// Import a CSV roster (`text/csv`) with `columns=` saying what each column
/// holds; the same all-or-nothing import as `POST /contacts/import`.
pub async fn import_csv(
    State(s): State<ApiState>,
    Params(p): Params<CsvParams>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let table = roster_csv::read(&body)?;
    let mapping: Vec<String> = p.columns.split(',').map(|c| c.trim().to_string()).collect();
    let rows = roster_csv::contacts(&table, &mapping)?;
    import_rows(&s, rows).await
}
