//! The audit log, written once for every route: [`record`] is a middleware
//! on the API and the console that, after any request that may change
//! state (every method but GET, HEAD and OPTIONS) from a known actor, writes
//! one entry: who, what, the target, and how it ended. What it cannot know
//! from the route a handler adds in one line by returning an [`Audit`]
//! among its response parts:
//!
//! ```text
//! Ok((Audit::action("account.update").target("account", &name).change(&before, &after), Json(after)))
//! ```
//!
//! Without one, the action is the method and route (`POST /api/v1/contacts`)
//! and the target the route's first segment and parameter. Secrets are
//! removed from before/after by the store. `GET /api/v1/audit` lists the log.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponseParts, Response, ResponseParts};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use super::auth::Actor;
use super::list::List;
use super::{ApiError, ApiState};
use crate::store::{AuditFilter, NewAudit};

/// What a handler knows about its change, carried out in the response's
/// extensions to [`record`].
#[derive(Debug, Clone, Default)]
pub struct Audit {
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
    /// Who acted, when the request had no actor yet (a login).
    actor: Option<Actor>,
}

impl Audit {
    /// An entry named `action` (`account.create`, `login`).
    pub fn action(action: &str) -> Audit {
        Audit {
            action: Some(action.to_string()),
            ..Audit::default()
        }
    }

    pub fn target(mut self, kind: &str, id: &str) -> Audit {
        self.target_type = Some(kind.to_string());
        self.target_id = Some(id.to_string());
        self
    }

    pub fn before(mut self, v: &impl Serialize) -> Audit {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: &impl Serialize) -> Audit {
        self.after = serde_json::to_value(v).ok();
        self
    }

    /// Both sides of a change.
    pub fn change(self, before: &impl Serialize, after: &impl Serialize) -> Audit {
        self.before(before).after(after)
    }

    pub fn by(mut self, actor: Actor) -> Audit {
        self.actor = Some(actor);
        self
    }
}

impl IntoResponseParts for Audit {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// Paths that stand for a phone or a carrier, not a person changing the
/// gateway: the simulator's messages are what health workers would send.
fn unaudited(path: &str) -> bool {
    // Previews and counts change nothing (the send wizard's steps before
    // the send itself included): only the send is an action.
    path.contains("/simulator/")
        || path.ends_with("/preview")
        || path == "/api/v1/messages/segments"
        || path.starts_with("/send/")
}

/// The middleware: run the handler, then write its entry.
pub async fn record(State(s): State<ApiState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) || unaudited(req.uri().path()) {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let path = req.uri().path().to_string();
    let actor = req.extensions().get::<Actor>().cloned();
    let mut res = next.run(req).await;
    let note = res.extensions_mut().remove::<Audit>().unwrap_or_default();
    let Some(actor) = note.actor.clone().or(actor) else {
        // Nobody known: refused before any handler ran.
        return res;
    };
    write(&s, actor, &method, &route, &path, note, res.status()).await;
    res
}

/// A request from a known account refused before its handler ran (a role
/// it lacks, a form without its token): logged like any other refusal.
/// Reads are not logged, as above.
pub fn refused(
    s: &ApiState,
    actor: Actor,
    req: &Request,
    status: axum::http::StatusCode,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| path.clone());
    let s = s.clone();
    async move {
        if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) || unaudited(&path) {
            return;
        }
        write(&s, actor, &method, &route, &path, Audit::default(), status).await;
    }
}

async fn write(
    s: &ApiState,
    actor: Actor,
    method: &Method,
    route: &str,
    path: &str,
    note: Audit,
    status: axum::http::StatusCode,
) {
    let (default_type, default_id) = default_target(route, path);
    let entry = NewAudit {
        actor_kind: actor.kind,
        actor: actor.name,
        account: actor.account,
        action: note.action.unwrap_or_else(|| format!("{method} {route}")),
        target_type: note.target_type.or(default_type),
        target_id: note.target_id.or(default_id),
        before: note.before,
        after: note.after,
        result: if status.is_server_error() {
            "failed"
        } else if status.is_client_error() {
            "refused"
        } else {
            "ok"
        }
        .to_string(),
        status: Some(status.as_u16()),
    };
    if let Err(e) = s.gw.store.record_audit(&entry).await {
        // The change is made; losing its entry is logged loudly.
        tracing::error!(error = %e, action = %entry.action, "could not write the audit log");
    }
}

/// The route's first segment after `/api/v1` as the target's type, and the
/// value of a parameter right after it as its id: `/api/v1/contacts/{uuid}`
/// called as `/api/v1/contacts/ab12` is `("contacts", "ab12")`.
fn default_target(route: &str, path: &str) -> (Option<String>, Option<String>) {
    let strip = |p: &str| {
        p.strip_prefix("/api/v1")
            .unwrap_or(p)
            .trim_start_matches('/')
            .to_string()
    };
    let (route, path) = (strip(route), strip(path));
    let mut r = route.split('/');
    let mut p = path.split('/');
    let kind = r.next().filter(|k| !k.is_empty()).map(str::to_string);
    p.next();
    let id = match (r.next(), p.next()) {
        (Some(seg), Some(value)) if seg.starts_with('{') => Some(value.to_string()),
        _ => None,
    };
    (kind, id)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    /// RFC 3339: entries at or after.
    since: Option<String>,
    /// RFC 3339: entries before.
    until: Option<String>,
}

impl AuditQuery {
    pub fn filter(self) -> Result<AuditFilter, ApiError> {
        let time = |field: &str, v: Option<String>| -> Result<Option<i64>, ApiError> {
            v.map(|t| {
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map(|d| d.timestamp_millis())
                    .map_err(|e| {
                        ApiError::field(
                            axum::http::StatusCode::BAD_REQUEST,
                            field,
                            format!("expected an RFC 3339 time: {e}"),
                        )
                    })
            })
            .transpose()
        };
        Ok(AuditFilter {
            since: time("since", self.since)?,
            until: time("until", self.until)?,
            actor: self.actor,
            action: self.action,
            target_type: self.target_type,
            target_id: self.target_id,
        })
    }
}

/// `GET /api/v1/audit`: newest last unless `order=desc`.
pub async fn list(State(s): State<ApiState>, q: List<AuditQuery>) -> Result<Json<Value>, ApiError> {
    let List { page, filter } = q;
    let rows = s.gw.store.list_audit(&filter.filter()?, &page).await?;
    Ok(List { page, filter: () }.answer(&rows, |r| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_comes_from_the_route() {
        assert_eq!(
            default_target("/api/v1/contacts/{uuid}", "/api/v1/contacts/ab12"),
            (Some("contacts".into()), Some("ab12".into()))
        );
        assert_eq!(
            default_target("/api/v1/groups/{group}/members", "/api/v1/groups/g1/members"),
            (Some("groups".into()), Some("g1".into()))
        );
        assert_eq!(
            default_target("/api/v1/broadcasts", "/api/v1/broadcasts"),
            (Some("broadcasts".into()), None)
        );
        assert_eq!(
            default_target("/accounts/{username}/disable", "/accounts/amina/disable"),
            (Some("accounts".into()), Some("amina".into()))
        );
    }
}
