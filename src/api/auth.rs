//! Bearer tokens and roles. Reading needs `viewer`; writing `sender`;
//! managing accounts, tokens and the audit log, tuning links, changing
//! triggers and importing flows `admin`. An account may change its own
//! password and language whatever its role (its handler checks whose).
//! The caller, as an [`Actor`], is left in the request's extensions for the
//! handler and the audit log.
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
use crate::store::ActorKind;

/// Who is making a request, and with which role (for a token an account
/// owns: the account's role now).
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    /// The token's name, or the account's user name.
    pub name: String,
    pub role: Role,
    /// The account acting (itself, or the owner of the token).
    pub account: Option<String>,
}

pub async fn require_role(
    State(s): State<ApiState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
    let actor = actor_of(&s, token).await?;
    allow(actor.role, needed_role(req.method(), req.uri().path()))?;
    req.extensions_mut().insert(actor);
    Ok(next.run(req).await)
}

/// The actor presenting the token `token`, from the config file or the store.
pub(super) async fn actor_of(s: &ApiState, token: &str) -> Result<Actor, ApiError> {
    if let Some(t) = config_token(&s.gw.config.api.tokens, token) {
        return Ok(Actor {
            kind: ActorKind::Token,
            name: t.name.clone(),
            role: t.role,
            account: None,
        });
    }
    s.gw.store
        .find_token(token)
        .await?
        .map(|t| Actor {
            kind: ActorKind::Token,
            name: t.name,
            role: t.role,
            account: t.account,
        })
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
    if path == "/tokens" || path.starts_with("/tokens/") || path == "/accounts" || path == "/audit" {
        // Listing names which credentials exist; making one hands out
        // access; the audit log says who did what.
        Role::Admin
    } else if path.starts_with("/accounts/") {
        // One's own password and language; the handler refuses the rest
        // to anyone but an admin.
        Role::Viewer
    } else if method == Method::GET || method == Method::HEAD {
        Role::Viewer
    } else if path.starts_with("/links/") {
        // A link's rate and switch decide what every send may cost.
        Role::Admin
    } else if path.contains("/triggers") || path.ends_with("/flows") {
        // Triggers and flow imports change what every health worker's
        // message does.
        Role::Admin
    } else {
        Role::Sender
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
        assert_eq!(needed_role(&Method::POST, "/api/v1/broadcasts"), Role::Sender);
        assert_eq!(needed_role(&Method::PATCH, "/api/v1/links/sim"), Role::Admin);
        assert_eq!(needed_role(&Method::GET, "/api/v1/links/sim"), Role::Viewer);
        assert_eq!(needed_role(&Method::GET, "/api/v1/accounts"), Role::Admin);
        assert_eq!(
            needed_role(&Method::POST, "/api/v1/accounts/amina/password"),
            Role::Viewer
        );
        assert_eq!(needed_role(&Method::GET, "/api/v1/audit"), Role::Admin);
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
