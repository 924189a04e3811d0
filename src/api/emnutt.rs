//! The emNutt-compatible endpoints iHRIS 5's mHero module calls, so its
//! mHero menu works against the gateway unchanged (point its `emnutt.base`
//! at `http://<gateway>/emNutt/fhir`):
//!
//! - `POST /emNutt/fhir/CommunicationRequest`: send or schedule a text (or a
//!   flow start); answers `{"status":"Processing","reqID":"<id>"}` at once;
//! - `GET /emNutt/fhir/getProgress?requestIDs=a,b`: per request, the counts of
//!   its broadcast (cancelled messages apart from failed ones) and whether
//!   it has completed;
//! - `POST /emNutt/fhir/cancelMessageSchedule`: cancel a scheduled send;
//! - `PUT /emNutt/optout`, `PUT /emNutt/undoOptout`: stop or re-activate
//!   contacts by `Practitioner` id (the registry gets the `optedout` tag at the
//!   next write-back).
//!
//! iHRIS authenticates with HTTP basic; any user name with an API token as
//! the password is accepted, as is a bearer token. The same handlers are
//! also under `/api/v1/emNutt/...` for API clients.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use super::{ApiError, ApiState};
use crate::config::Role;
use crate::core::ContactStatus;
use crate::dispatch::registry::{accept_request, RequestError, Source};
use crate::fhir::resources::CommunicationRequest;

/// The routes at iHRIS's paths (outside `/api/v1`, with their own auth).
pub fn compat_routes() -> Router<ApiState> {
    Router::new()
        .route("/emNutt/fhir/CommunicationRequest", post(communication_request))
        .route("/emNutt/fhir/getProgress", get(get_progress))
        .route("/emNutt/fhir/cancelMessageSchedule", post(cancel_schedule))
        .route("/emNutt/optout", put(optout).post(optout))
        .route("/emNutt/undoOptout", put(undo_optout).post(undo_optout))
}

/// The token's role, from `Authorization: Basic` (token as password) or `Bearer`.
async fn authorize(s: &ApiState, headers: &HeaderMap, needed: Role) -> Result<(), ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "missing credentials (basic or bearer)"))?;
    let token = if let Some(t) = header.strip_prefix("Bearer ") {
        t.trim().to_string()
    } else if let Some(b) = header.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "malformed basic credentials"))?;
        decoded
            .split_once(':')
            .map(|(_, p)| p.to_string())
            .unwrap_or(decoded)
    } else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unsupported authorization scheme",
        ));
    };
    super::auth::allow(super::auth::role_of(s, &token).await?, needed)
}

pub async fn communication_request(
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&s, &headers, Role::Operator).await?;
    let request: CommunicationRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("not a CommunicationRequest: {e}"),
        )
    })?;
    let row = accept_request(&s.gw.store, &s.gw.config, &request, Source::Emnutt)
        .await
        .map_err(|e| match e {
            RequestError::Shape(e) => ApiError::field(StatusCode::BAD_REQUEST, "payload", e.to_string()),
            RequestError::Store(e) => e.into(),
        })?;
    s.gw.wake();
    let status = if row.status == "failed" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({
            "status": if row.status == "failed" { "Failed" } else { "Processing" },
            "reqID": row.id,
            "state": row.status,
            "error": row.error,
            "unresolved": row.unresolved,
        })),
    ))
}

pub async fn get_progress(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    authorize(&s, &headers, Role::Viewer).await?;
    let ids = q.get("requestIDs").or(q.get("requestID")).ok_or_else(|| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "requestIDs",
            "name at least one request id",
        )
    })?;
    let mut out = serde_json::Map::new();
    for id in ids.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let entry = match s.gw.store.request_progress(id).await {
            Ok(p) => {
                let c = p.progress.unwrap_or_default();
                json!({
                    "reqID": id,
                    "status": p.request.status,
                    "total": c.total,
                    "sent": c.sent + c.delivered,
                    "delivered": c.delivered,
                    "failed": c.failed,
                    "cancelled": c.cancelled,
                    "pending": c.queued + c.wired + c.errored,
                    "broadcast_status": p.broadcast_status,
                    "unresolved": p.request.unresolved,
                    "error": p.request.error,
                })
            }
            Err(crate::store::StoreError::NotFound(_)) => json!({"reqID": id, "status": "unknown"}),
            Err(e) => return Err(e.into()),
        };
        out.insert(id.to_string(), entry);
    }
    Ok(Json(Value::Object(out)))
}

pub async fn cancel_schedule(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    authorize(&s, &headers, Role::Operator).await?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = ["reqID", "requestID", "resourceId", "id"]
        .iter()
        .find_map(|k| {
            body.get(k)
                .and_then(Value::as_str)
                .or(q.get(*k).map(String::as_str))
        })
        .ok_or_else(|| ApiError::field(StatusCode::BAD_REQUEST, "reqID", "name the request to cancel"))?;
    let row = s.gw.store.cancel_request(id).await?;
    Ok(Json(json!({"reqID": row.id, "status": row.status})))
}

pub async fn optout(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    set_status(s, headers, q, body, ContactStatus::Stopped).await
}

pub async fn undo_optout(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    set_status(s, headers, q, body, ContactStatus::Active).await
}

/// `[{"entitytype":"Practitioner","globalid":"P1"}]`, or the same as query parameters.
async fn set_status(
    s: ApiState,
    headers: HeaderMap,
    q: BTreeMap<String, String>,
    body: Bytes,
    status: ContactStatus,
) -> Result<Json<Value>, ApiError> {
    authorize(&s, &headers, Role::Operator).await?;
    let mut ids: Vec<String> = Vec::new();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let entries: Vec<Value> = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("expected [{{\"entitytype\":..., \"globalid\":...}}]: {e}"),
            )
        })?;
        for (i, e) in entries.iter().enumerate() {
            let id = e.get("globalid").and_then(Value::as_str).ok_or_else(|| {
                ApiError::field(StatusCode::BAD_REQUEST, format!("[{i}].globalid"), "missing")
            })?;
            ids.push(id.to_string());
        }
    } else if let Some(id) = q.get("globalid") {
        ids.push(id.clone());
    }
    if ids.is_empty() {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "globalid",
            "name at least one practitioner",
        ));
    }
    let found = s.gw.store.contacts_of_practitioners(None, &ids).await?;
    let mut unknown = Vec::new();
    for id in &ids {
        match found.get(id) {
            Some(uuid) => {
                let contact = s.gw.store.contact_id(uuid).await?;
                s.gw.store.set_contact_status(contact, status).await?;
            }
            None => unknown.push(id.clone()),
        }
    }
    Ok(Json(
        json!({"updated": ids.len() - unknown.len(), "unknown": unknown}),
    ))
}
