//! The operator console: server-rendered pages at `/` for ministry
//! officers, in English, French, Swahili and Portuguese, embedded in the
//! binary (templates compiled by askama, static files by rust-embed).
//!
//! It is a thin layer over the same services the API calls: a console
//! handler reads and changes things through `store`/`dispatch` functions
//! the API handlers also call, and every action it offers has an API
//! endpoint. It knows nothing of links' sockets.
//!
//! Every page and action needs a session (`require_session`), except the
//! login page and static files; a state-changing request needs the
//! session's CSRF token (a hidden `_csrf` field, or the `X-CSRF-Token`
//! header htmx sends); a `viewer` may read and change only its own account.
//! Changes are written to the audit log by the same middleware as the
//! API's. `docs/CONSOLE.md` says how to add a page.

mod account;
mod accounts;
pub mod assets;
mod audit_page;
mod auth;
mod cookie;
pub mod form;
mod home;
pub mod i18n;
mod inbox;
pub mod page;
mod send;
mod send_form;
// The directory of health workers (issue #14).
mod contacts;
mod contacts_filter;
mod groups;
mod import;
mod multipart;
mod sends;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use subtle::ConstantTimeEq;

use super::auth::Actor;
use super::ApiState;
use crate::config::Role;
use crate::store::{ActorKind, SessionLimits};
use page::Ctx;

/// The session cookie.
pub const SESSION_COOKIE: &str = "mhero_session";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Only this origin's scripts, styles, images and forms; no frames, no
/// plugins. Nothing on a page comes from another host.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'self'; object-src 'none'";

pub fn router(state: ApiState) -> Router<ApiState> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/password", get(auth::password_page).post(auth::change_password))
        .route("/account", get(account::show))
        .route("/account/language", post(account::set_language))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{name}/revoke", post(account::revoke_token))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{username}", post(accounts::update))
        .route("/accounts/{username}/password", post(accounts::reset_password))
        .route("/audit", get(audit_page::show))
        // The send wizard.
        .route("/send", get(send::start).post(send::send))
        .route("/send/recipients", post(send::back))
        .route("/send/message", post(send::message))
        .route("/send/review", post(send::review))
        .route("/send/segments", post(send::counter))
        // The directory: health workers, groups, roster import.
        .route("/contacts", get(contacts::list))
        .route("/contacts/smart-group", post(contacts::smart_group))
        .route("/contacts/import", get(import::upload_page).post(import::import))
        .route("/contacts/import/preview", post(import::preview))
        .route("/contacts/{uuid}", get(contacts::show))
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/{uuid}", get(groups::show))
        .route("/groups/{uuid}/members", post(groups::add_member))
        .route("/groups/{uuid}/members/remove", post(groups::remove_member))
        // Sends (issue #14): the list, a send's page, its live figures and buttons.
        .route("/sends", get(sends::list))
        .route("/sends/{uuid}", get(sends::show))
        .route("/sends/{uuid}/events", get(sends::events))
        .route("/sends/{uuid}/pause", post(sends::pause))
        .route("/sends/{uuid}/resume", post(sends::resume))
        .route("/sends/{uuid}/cancel", post(sends::cancel))
        .route("/sends/{uuid}/retry_failed", post(sends::retry_failed))
        .route("/sends/{uuid}/edit", post(sends::edit))
        // The inbox (issue #14).
        .route("/inbox", get(inbox::show))
        .route("/inbox/events", get(inbox::events))
        .route("/inbox/{uuid}/reply", post(inbox::reply))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::audit::record,
        ))
        .route_layer(axum::middleware::from_fn_with_state(state, require_session))
        .route("/static/{*file}", get(assets::serve))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Pages reached without a session.
fn public(path: &str) -> bool {
    path == "/login"
}

/// The least role a console request needs.
fn needed_role(method: &Method, path: &str) -> Role {
    let admin_area = path == "/accounts" || path.starts_with("/accounts/") || path == "/audit";
    let send_area = path == "/send" || path.starts_with("/send/");
    if admin_area {
        Role::Admin
    } else if send_area || path.starts_with("/contacts/import") {
        // Even their first pages: choices a viewer may not make (the send
        // wizard's first step, the import form).
        Role::Sender
    } else if method == Method::GET || method == Method::HEAD {
        Role::Viewer
    } else if path == "/logout" || path == "/password" || path.starts_with("/account/") {
        // One's own session, password, language and tokens.
        Role::Viewer
    } else {
        Role::Sender
    }
}

/// Where a login should lead afterwards: a path on this site only.
pub fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

/// Sessions, CSRF and roles for every console route (see the module doc).
async fn require_session(State(s): State<ApiState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if public(&path) {
        return next.run(req).await;
    }
    let limits = session_limits(&s);
    let cookie = cookie::get(req.headers(), SESSION_COOKIE);
    let session = match cookie {
        Some(c) => match s.gw.store.session(&c, limits).await {
            Ok(found) => found,
            Err(e) => {
                let ctx = Ctx::new(&s, None, req.headers(), &path);
                return page::store_failed(ctx, e);
            }
        },
        None => None,
    };
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    let Some(session) = session else {
        if read {
            let here = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let to = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
            );
            return Redirect::to(&to).into_response();
        }
        let ctx = Ctx::new(&s, None, req.headers(), &path);
        let m = ctx.t("error-401-text");
        return page::error(ctx, StatusCode::UNAUTHORIZED, "error-401-title", m);
    };
    let mut req = req;
    if !read {
        match csrf_checked(req, &session.csrf_token, s.gw.config.api.max_body_bytes).await {
            Ok(r) => req = r,
            Err(headers) => {
                let ctx = Ctx::new(&s, Some(&session), &headers, &path);
                let m = ctx.t("error-csrf-text");
                return page::error(ctx, StatusCode::FORBIDDEN, "error-403-title", m);
            }
        }
    }
    if session.account.must_change_password && path != "/password" && path != "/logout" {
        if read {
            return Redirect::to("/password").into_response();
        }
        return page::forbidden(Ctx::new(&s, Some(&session), req.headers(), &path));
    }
    let account = &session.account;
    let actor = Actor {
        kind: ActorKind::Account,
        name: account.username.clone(),
        role: account.role,
        account: Some(account.username.clone()),
    };
    if account.role < needed_role(req.method(), &path) {
        super::audit::refused(&s, actor, &req, StatusCode::FORBIDDEN).await;
        return page::forbidden(Ctx::new(&s, Some(&session), req.headers(), &path));
    }
    req.extensions_mut().insert(actor);
    req.extensions_mut().insert(session);
    next.run(req).await
}

pub fn session_limits(s: &ApiState) -> SessionLimits {
    let c = &s.gw.config.console;
    SessionLimits {
        idle_ms: c.idle_timeout_mins.saturating_mul(60_000) as i64,
        lifetime_ms: c.session_lifetime_hours.saturating_mul(3_600_000) as i64,
    }
}

/// The request back if it carries `expected` as its CSRF token (header, or
/// the form's `_csrf` field: the body is read and put back); else its
/// headers, for the refusal page.
async fn csrf_checked(
    req: Request,
    expected: &str,
    max_body: usize,
) -> Result<Request, axum::http::HeaderMap> {
    let matches =
        |given: &str| bool::from(given.as_bytes().ct_eq(expected.as_bytes())) && !expected.is_empty();
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if matches(h) {
            Ok(req)
        } else {
            Err(req.headers().clone())
        };
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, max_body).await else {
        return Err(parts.headers);
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let given = match multipart::boundary(content_type) {
        // A file upload (the roster import) carries the token as a part.
        Some(_) => multipart::field(content_type, &bytes, CSRF_FIELD),
        None => form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned()),
    };
    match given {
        Some(g) if matches(&g) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(parts.headers),
    }
}

/// Headers on every console answer: the content security policy, no
/// sniffing, no framing, no referrer to other sites.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

/// The console's 404 page, for any path outside the API.
pub async fn not_found(State(s): State<ApiState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let session = match cookie::get(req.headers(), SESSION_COOKIE) {
        Some(c) => s.gw.store.session(&c, session_limits(&s)).await.ok().flatten(),
        None => None,
    };
    let mut res = page::not_found(Ctx::new(&s, session.as_ref(), req.headers(), &path));
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_method_and_path() {
        assert_eq!(needed_role(&Method::GET, "/"), Role::Viewer);
        assert_eq!(needed_role(&Method::GET, "/accounts"), Role::Admin);
        assert_eq!(needed_role(&Method::POST, "/accounts/amina"), Role::Admin);
        assert_eq!(needed_role(&Method::GET, "/audit"), Role::Admin);
        assert_eq!(needed_role(&Method::POST, "/account/language"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/logout"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/sends"), Role::Sender);
        assert_eq!(needed_role(&Method::GET, "/send"), Role::Sender);
        assert_eq!(needed_role(&Method::POST, "/send/review"), Role::Sender);
        assert_eq!(needed_role(&Method::GET, "/contacts"), Role::Viewer);
        assert_eq!(needed_role(&Method::GET, "/contacts/import"), Role::Sender);
        assert_eq!(needed_role(&Method::GET, "/inbox/events"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/inbox/u/reply"), Role::Sender);
    }

    #[test]
    fn a_login_leads_only_to_this_site() {
        assert_eq!(local_path("/accounts?x=1"), Some("/accounts?x=1"));
        for bad in ["https://evil.example/", "//evil.example", "/\\evil", "accounts"] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
    }
}
