//! Logging in and out, and changing one's password (forced at the first
//! login with a password someone else chose).
//!
//! The login form is protected by a pre-session double-submit token: the
//! page sets it as a cookie and in a hidden field, and a login is taken
//! only when both agree (another site cannot read the cookie to copy it).
//! Failed logins are counted in the store per user name and per client
//! address and throttled there ([`crate::store::LOGIN_MAX_FAILURES`]).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Extension, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use super::{cookie, local_path, SESSION_COOKIE};
use crate::api::audit::Audit;
use crate::api::auth::Actor;
use crate::api::ApiState;
use crate::core::time::now_ms;
use crate::store::{random_hex, ActorKind, ConsoleSession};

/// The login form's double-submit cookie, sent back only to `/login`.
const LOGIN_CSRF_COOKIE: &str = "mhero_login_csrf";

/// The login form's token lives as long as someone may take to type.
const LOGIN_CSRF_MAX_AGE_SECS: u32 = 60 * 60;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub ctx: Ctx,
    pub username: String,
    pub next: String,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// The login page, with a fresh double-submit token.
fn login_form(
    s: &ApiState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    next: String,
    errors: FieldErrors,
) -> Response {
    let token = random_hex();
    let mut ctx = Ctx::new(s, None, headers, "/login");
    ctx.csrf = token.clone();
    let page = LoginPage {
        ctx,
        username,
        next,
        errors,
    };
    let mut res = render(&page.ctx, status, &page);
    let c = cookie::set(
        LOGIN_CSRF_COOKIE,
        &token,
        "/login",
        Some(LOGIN_CSRF_MAX_AGE_SECS),
        cookie::secure(&s.gw.config.console, headers),
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_form(
        &s,
        &headers,
        StatusCode::OK,
        String::new(),
        q.next,
        FieldErrors::default(),
    )
}

/// The address logins are throttled by: the proxy's word for it when
/// trusted, else the connection's.
fn client_address(s: &ApiState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if s.gw.config.console.trust_forwarded {
        if let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().to_string();
        }
    }
    peer.map(|p| p.ip().to_string()).unwrap_or_default()
}

pub async fn login(
    State(s): State<ApiState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie::get(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(f.csrf.as_bytes())) {
        let ctx = Ctx::new(&s, None, &headers, "/login");
        let m = ctx.t("error-csrf-login-text");
        return page::error(ctx, StatusCode::FORBIDDEN, "error-403-title", m);
    }
    let username = f.username.trim().to_lowercase();
    let client = client_address(&s, &headers, peer.map(|Extension(ConnectInfo(a))| a));
    match s.gw.store.login_refused_until(&username, &client).await {
        Ok(Some(until)) => {
            tracing::warn!(%username, %client, "login refused: too many failures");
            let ctx = Ctx::new(&s, None, &headers, "/login");
            let minutes = ((until - now_ms()) / 60_000 + 1).max(1);
            let m = ctx.t1("error-429-text", "time", ctx.when(&until))
                + " "
                + &ctx.t1("error-429-minutes", "minutes", minutes);
            let mut res = page::error(ctx, StatusCode::TOO_MANY_REQUESTS, "error-429-title", m);
            if let Ok(v) = HeaderValue::from_str(&(minutes * 60).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
        Ok(None) => {}
        Err(e) => return page::store_failed(Ctx::new(&s, None, &headers, "/login"), e),
    }
    let account = match s.gw.store.check_login(&username, &f.password).await {
        Ok(a) => a,
        Err(e) => return page::store_failed(Ctx::new(&s, None, &headers, "/login"), e),
    };
    let Some(account) = account else {
        tracing::warn!(%username, %client, "console login failed");
        if let Err(e) = s.gw.store.record_login_failure(&username, &client).await {
            return page::store_failed(Ctx::new(&s, None, &headers, "/login"), e);
        }
        let lang = Ctx::new(&s, None, &headers, "/login").lang;
        let mut errors = FieldErrors::default();
        errors.general = Some(lang.t("login-failed"));
        return login_form(&s, &headers, StatusCode::UNAUTHORIZED, f.username, f.next, errors);
    };
    let started = match s.gw.store.clear_login_failures(&username).await {
        Ok(()) => s.gw.store.create_session(&account).await,
        Err(e) => Err(e),
    };
    let (secret, _) = match started {
        Ok(s) => s,
        Err(e) => return page::store_failed(Ctx::new(&s, None, &headers, "/login"), e),
    };
    tracing::info!(username = %account.username, %client, "console login");
    let to = if account.must_change_password {
        "/password".to_string()
    } else {
        local_path(&f.next).unwrap_or("/").to_string()
    };
    let actor = Actor {
        kind: ActorKind::Account,
        name: account.username.clone(),
        role: account.role,
        account: Some(account.username.clone()),
    };
    let mut res = (
        Audit::action("login")
            .target("account", &account.username)
            .by(actor),
        Redirect::to(&to),
    )
        .into_response();
    let secure = cookie::secure(&s.gw.config.console, &headers);
    for c in [
        cookie::set(SESSION_COOKIE, &secret, "/", None, secure),
        cookie::clear(LOGIN_CSRF_COOKIE, "/login"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

pub async fn logout(State(s): State<ApiState>, Extension(session): Extension<ConsoleSession>) -> Response {
    if let Err(e) = s.gw.store.end_session_hash(&session.hash).await {
        tracing::error!(error = %e, "could not end a console session");
    }
    let mut res = (
        Audit::action("logout").target("account", &session.account.username),
        redirect_with("/login", "flash-logged-out"),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie::clear(SESSION_COOKIE, "/")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub ctx: Ctx,
    pub errors: FieldErrors,
    /// The first login's forced change, not a change chosen.
    pub forced: bool,
}

#[derive(Debug, serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn password_page(ctx: Ctx) -> Response {
    let forced = ctx.account.as_ref().is_some_and(|a| a.must_change_password);
    let page = PasswordPage {
        ctx,
        errors: FieldErrors::default(),
        forced,
    };
    render(&page.ctx, StatusCode::OK, &page)
}

pub async fn change_password(
    State(s): State<ApiState>,
    Extension(session): Extension<ConsoleSession>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Response {
    let forced = session.account.must_change_password;
    let again = |ctx: Ctx, errors: FieldErrors| {
        let page = PasswordPage { ctx, errors, forced };
        render(&page.ctx, StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    if f.password != f.confirm {
        let mut errors = FieldErrors::default();
        errors.add("confirm", ctx.t("password-confirm-differs"));
        return again(ctx, errors);
    }
    let username = &session.account.username;
    match s
        .gw
        .store
        .set_password(
            username,
            Some(&f.current_password),
            &f.password,
            false,
            Some(&session.hash),
        )
        .await
    {
        Ok(_) => {
            s.password_changed(username);
            (
                Audit::action("account.password").target("account", username),
                redirect_with("/", "flash-password-changed"),
            )
                .into_response()
        }
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => again(ctx, errors),
            Err(e) => page::store_failed(ctx, e),
        },
    }
}
