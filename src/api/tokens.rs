//! API tokens, for admins: list them (never a secret or a hash), make one
//! (its secret is in that answer and nowhere else afterwards), revoke one
//! (refused from the next request on, on every node, without a restart).
//! Tokens in the config file are listed but cannot be revoked here: they
//! live in the file, so they leave it by an edit and a restart.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{Ordered, Params};
use super::{ApiError, ApiState};
use crate::config::Role;
use crate::store::StoreError;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    role: Role,
}

pub async fn list(State(s): State<ApiState>, Params(o): Params<Ordered>) -> Result<Json<Value>, ApiError> {
    let configured =
        s.gw.config
            .api
            .tokens
            .iter()
            .map(|t| json!({"name": t.name, "role": t.role, "created_on": null, "source": "config"}));
    let stored =
        s.gw.store.list_tokens().await?.into_iter().map(
            |t| json!({"name": t.name, "role": t.role, "created_on": t.created_on, "source": "database"}),
        );
    Ok(Json(
        json!({ "results": o.apply(configured.chain(stored).collect::<Vec<_>>()) }),
    ))
}

pub async fn create(
    State(s): State<ApiState>,
    Body(t): Body<NewToken>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // One name, one token: a revocation by name must not be ambiguous.
    if s.gw.config.api.tokens.iter().any(|c| c.name == t.name) {
        return Err(ApiError::field(
            StatusCode::CONFLICT,
            "name",
            format!(
                "a token named {:?} is in the config file; choose another name",
                t.name
            ),
        ));
    }
    let secret = s.gw.store.create_token(&t.name, t.role).await?;
    tracing::info!(name = %t.name, role = t.role.name(), "API token created");
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": t.name, "role": t.role, "token": secret})),
    ))
}

pub async fn revoke(State(s): State<ApiState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    match s.gw.store.revoke_token(&name).await {
        Ok(()) => {
            tracing::info!(%name, "API token revoked");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(StoreError::NotFound(_)) if s.gw.config.api.tokens.iter().any(|c| c.name == name) => {
            Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "token {name:?} is in the config file ([api] tokens): remove it there and restart; \
                     the API revokes only tokens it or the CLI made"
                ),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
