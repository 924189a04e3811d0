//! Bearer tokens and roles. Reading needs `viewer`, writing `operator`, and
//! changing triggers `admin`.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::{ApiError, ApiState};
use crate::config::Role;

pub async fn require_role(State(s): State<ApiState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "missing bearer token"))?;
    let role = match s.gw.config.api.tokens.iter().find(|t| t.token.expose() == token) {
        Some(t) => t.role,
        None => {
            s.gw.store
                .find_token(token)
                .await?
                .map(|t| t.role)
                .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown token"))?
        }
    };
    let needed = needed_role(req.method(), req.uri().path());
    if role < needed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("this needs the {needed:?} role; the token has {role:?}").to_lowercase(),
        ));
    }
    Ok(next.run(req).await)
}

fn needed_role(method: &Method, path: &str) -> Role {
    if method == Method::GET || method == Method::HEAD {
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

    #[test]
    fn roles_by_method_and_path() {
        assert_eq!(needed_role(&Method::GET, "/api/v1/triggers"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/api/v1/triggers"), Role::Admin);
        assert_eq!(needed_role(&Method::POST, "/api/v1/broadcasts"), Role::Operator);
        assert_eq!(needed_role(&Method::PATCH, "/api/v1/links/sim"), Role::Operator);
    }
}
