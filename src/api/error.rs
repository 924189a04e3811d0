//! API errors: a status and a JSON body `{"error": ..., "field": ...}`,
//! with `"errors": [{"field": ..., "error": ...}]` when a request had
//! several bad parts (an import's rows), all listed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::{Problem, StoreError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
    /// Every problem, when there were several.
    pub errors: Vec<Problem>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
            errors: Vec::new(),
        }
    }

    pub fn field(status: StatusCode, field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: Some(field.into()),
            errors: Vec::new(),
        }
    }
}

impl ApiError {
    /// A 400 for input that did not deserialise: named by the field it
    /// failed at, or as `what` ("invalid JSON body") when it failed whole.
    pub fn undecodable<E: std::fmt::Display>(e: serde_path_to_error::Error<E>, what: &str) -> ApiError {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::new(StatusCode::BAD_REQUEST, format!("{what}: {inner}"))
        } else {
            ApiError::field(StatusCode::BAD_REQUEST, path, inner.to_string())
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found")),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            StoreError::Invalid { field, message } => {
                ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, message)
            }
            StoreError::Refused { problems, total } => {
                let listed = if total > problems.len() {
                    format!(" ({} listed)", problems.len())
                } else {
                    String::new()
                };
                let first = problems.first().cloned();
                let message = match &first {
                    Some(p) => format!(
                        "{total} problem(s){listed}, nothing was written; the first: {}: {}",
                        p.field, p.message
                    ),
                    None => "refused; nothing was written".to_string(),
                };
                ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    message,
                    // The first problem's field, as a single problem reports it.
                    field: first.map(|p| p.field),
                    errors: problems,
                }
            }
            other => {
                tracing::error!(error = %other, "request failed in the store");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error (logged)")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message });
        if let Some(f) = self.field {
            body["field"] = serde_json::Value::String(f);
        }
        if !self.errors.is_empty() {
            body["errors"] = serde_json::json!(self.errors);
        }
        (self.status, Json(body)).into_response()
    }
}
