//! Bearer tokens and roles. Reading needs `viewer`, writing `operator`, and
//! changing triggers, importing flows and managing tokens `admin`.
//!
//! A token is either in the config file (`[api] tokens`) or made by the
//! gateway, the API or the CLI and stored as a hash. Config tokens are
//! compared by their SHA-256 digests in constant time, so the time an answer
//! takes says nothing about how much of a guess was right; stored tokens are
//! looked up by hash, which is the same protection.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiError, ApiState};
use crate::config::{Role, TokenConfig};

pub async fn require_role(State(s): State<ApiState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
    let role = role_of(&s, token).await?;
    allow(role, needed_role(req.method(), req.uri().path()))?;
    Ok(next.run(req).await)
}

/// The role of the token `token`, from the config file or the store.
pub(super) async fn role_of(s: &ApiState, token: &str) -> Result<Role, ApiError> {
    if let Some(t) = config_token(&s.gw.config.api.tokens, token) {
        return Ok(t.role);
    }
    s.gw.store
        .find_token(token)
        .await?
        .map(|t| t.role)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown token"))
}

/// Forbidden unless `role` is at least `needed`.
pub(super) fn allow(role: Role, needed: Role) -> Result<(), ApiError> {
    if role < needed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "this needs the {} role; the token has {}",
                needed.name(),
                role.name()
            ),
        ));
    }
    Ok(())
}

/// The config token whose secret is `presented`. Every token's digest is
/// compared, in constant time, whichever matches.
fn config_token<'a>(tokens: &'a [TokenConfig], presented: &str) -> Option<&'a TokenConfig> {
    let digest = Sha256::digest(presented.as_bytes());
    let mut found = None;
    for t in tokens {
        let candidate = Sha256::digest(t.token.expose().as_bytes());
        if bool::from(candidate.as_slice().ct_eq(digest.as_slice())) {
            found = Some(t);
        }
    }
    found
}

fn needed_role(method: &Method, path: &str) -> Role {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    if path == "/tokens" || path.starts_with("/tokens/") {
        // Listing names which credentials exist; making one hands out access.
        Role::Admin
    } else if method == Method::GET || method == Method::HEAD {
        Role::Viewer
    } else if path.contains("/triggers") || path.ends_with("/flows") {
        // Triggers and flow imports change what every health worker's
        // message does.
        Role::Admin
    } else {
        Role::Operator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn roles_by_method_and_path() {
        assert_eq!(needed_role(&Method::GET, "/api/v1/triggers"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/api/v1/triggers"), Role::Admin);
        assert_eq!(needed_role(&Method::POST, "/api/v1/broadcasts"), Role::Operator);
        assert_eq!(needed_role(&Method::PATCH, "/api/v1/links/sim"), Role::Operator);
        assert_eq!(needed_role(&Method::GET, "/tokens"), Role::Admin);
        assert_eq!(needed_role(&Method::DELETE, "/api/v1/tokens/ci"), Role::Admin);
        // A group that happens to be called "tokens" is an ordinary read.
        assert_eq!(needed_role(&Method::GET, "/groups/tokens"), Role::Viewer);
        assert_eq!(needed_role(&Method::GET, "/metrics"), Role::Viewer);
    }

    #[test]
    fn config_tokens_match_whole_secrets_only() {
        let tokens: Vec<TokenConfig> = [
            ("a", "first-secret-0000001", Role::Viewer),
            ("b", "second-secret-000002", Role::Admin),
        ]
        .into_iter()
        .map(|(name, token, role)| TokenConfig {
            name: name.into(),
            token: Secret::new(token),
            role,
        })
        .collect();
        assert_eq!(
            config_token(&tokens, "second-secret-000002").map(|t| t.role),
            Some(Role::Admin)
        );
        assert_eq!(
            config_token(&tokens, "first-secret-0000001").map(|t| t.role),
            Some(Role::Viewer)
        );
        for wrong in [
            "",
            "second-secret-00000",
            "second-secret-0000020",
            "first-secret-0000002",
        ] {
            assert!(config_token(&tokens, wrong).is_none(), "{wrong:?} matched");
        }
    }
}
