//! What every console page shares: [`Ctx`] (the language, the account, the
//! CSRF token, the flash message, the navigation, formatting helpers), an
//! extractor any handler takes; [`render`] to turn a template into a
//! response; the error pages (403, 404, 429, 500) in the console's style;
//! and flash messages carried across a POST-redirect-GET in a short-lived
//! cookie.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::i18n::Lang;
use super::{assets, cookie};
use crate::api::ApiState;
use crate::config::Role;
use crate::store::{Account, ConsoleSession};

/// The cookie a flash message waits in between a POST and the page it
/// redirects to.
const FLASH_COOKIE: &str = "mhero_flash";

/// A flash message lives one redirect: a minute is plenty on 3G.
const FLASH_MAX_AGE_SECS: u32 = 60;

/// One entry of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The context of one page.
pub struct Ctx {
    pub lang: Lang,
    pub tz: chrono_tz::Tz,
    pub tz_name: String,
    pub account: Option<Account>,
    /// The session's CSRF token (the login page's pre-session one there).
    pub csrf: String,
    pub path: String,
    /// A translated message left by the previous POST.
    pub flash: Option<String>,
    flash_seen: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx
where
    ApiState: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let s: ApiState = axum::extract::FromRef::from_ref(state);
        let session = parts.extensions.get::<ConsoleSession>().cloned();
        Ok(Ctx::new(&s, session.as_ref(), &parts.headers, parts.uri.path()))
    }
}

impl Ctx {
    pub fn new(s: &ApiState, session: Option<&ConsoleSession>, headers: &HeaderMap, path: &str) -> Ctx {
        let account = session.map(|s| s.account.clone());
        let lang = account
            .as_ref()
            .and_then(|a| Lang::from_code(&a.language))
            .unwrap_or_else(|| {
                Lang::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
            });
        let tz_name = s.gw.config.contacts.default_timezone.clone();
        let flash_key = cookie::get(headers, FLASH_COOKIE);
        let flash = flash_key
            .filter(|k| FLASHES.contains(&k.as_str()))
            .map(|k| lang.t(&k));
        Ctx {
            lang,
            tz: tz_name.parse().unwrap_or(chrono_tz::UTC),
            tz_name,
            account,
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            path: path.to_string(),
            flash_seen: flash.is_some(),
            flash,
        }
    }

    /// The string `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The string `key` with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.lang.t_args(key, &[(name, value.to_string())])
    }

    pub fn num(&self, n: &i64) -> String {
        self.lang.number(*n)
    }

    /// A stored time (ms) in the gateway's zone, as the language writes it.
    pub fn when(&self, ms: &i64) -> String {
        self.lang.datetime(*ms, self.tz)
    }

    /// An RFC 3339 time (as the API answers) written the same way.
    pub fn when_text(&self, rfc3339: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|d| self.lang.datetime(d.timestamp_millis(), self.tz))
            .unwrap_or_else(|_| rfc3339.to_string())
    }

    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    pub fn role(&self) -> Option<Role> {
        self.account.as_ref().map(|a| a.role)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// The name of a role in the page's language.
    pub fn role_name(&self, role: &Role) -> String {
        self.t(&format!("role-{}", role.name()))
    }

    /// The pages that exist, for this account. Page areas add their entry
    /// here when they land (a link to a page that does not exist yet would
    /// only confuse).
    pub fn nav(&self) -> Vec<NavItem> {
        if self.account.as_ref().is_none_or(|a| a.must_change_password) {
            // Until the password is changed every page leads back to the
            // change: a menu would only go round in circles.
            return Vec::new();
        }
        let mut items = vec![("/", "nav-home")];
        if self.role().is_some_and(|r| r >= Role::Sender) {
            items.push(("/send", "nav-send"));
        }
        items.push(("/sends", "nav-sends"));
        items.push(("/inbox", "nav-inbox"));
        items.push(("/contacts", "nav-contacts"));
        items.push(("/groups", "nav-groups"));
        if self.is_admin() {
            items.push(("/audit", "nav-audit"));
            items.push(("/accounts", "nav-accounts"));
        }
        items
            .into_iter()
            .map(|(href, key)| NavItem {
                href,
                label: self.t(key),
                current: self.path == href || (href != "/" && self.path.starts_with(&format!("{href}/"))),
            })
            .collect()
    }

    /// The `hx-headers` attribute value that makes htmx send the CSRF token.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ super::CSRF_HEADER: self.csrf }).to_string()
    }

    /// Languages for a language picker: (stored code, BCP 47 tag, own name).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), l.tag(), l.own_name()))
            .collect()
    }
}

/// Flash messages a redirect may name: anything else in the cookie is
/// ignored, so the cookie cannot put words on a page.
pub const FLASHES: &[&str] = &[
    "flash-password-changed",
    "flash-account-created",
    "flash-account-updated",
    "flash-password-reset",
    "flash-language-saved",
    "flash-token-revoked",
    "flash-logged-out",
    "flash-send-accepted",
    "flash-contacts-imported",
    "flash-group-created",
    "flash-members-changed",
    // Sends
    "flash-send-pause",
    "flash-send-resume",
    "flash-send-cancel",
    "flash-send-retry-failed",
    "flash-send-unchanged",
    "flash-send-edited",
    "flash-reply-sent",
];

/// A page: the template rendered, not cached (it shows the ministry's
/// data and must not outlive a logout in a shared office's browser), the
/// flash cookie cleared once shown.
pub fn render<T: Template>(ctx: &Ctx, status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if ctx.flash_seen {
                if let Ok(v) = HeaderValue::from_str(&cookie::clear(FLASH_COOKIE, "/")) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "a console template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error (logged)").into_response()
        }
    }
}

/// POST-redirect-GET with a flash message (one of [`FLASHES`]).
pub fn redirect_with(to: &str, flash: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    let c = cookie::set(FLASH_COOKIE, flash, "/", Some(FLASH_MAX_AGE_SECS), false);
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// An error page in the console's style: `title_key` and `message_key`
/// are Fluent keys.
pub fn error(ctx: Ctx, status: StatusCode, title_key: &str, message: String) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        title: ctx.t(title_key),
        message,
        ctx,
    };
    render(&page.ctx, status, &page)
}

pub fn forbidden(ctx: Ctx) -> Response {
    let m = ctx.t("error-403-text");
    error(ctx, StatusCode::FORBIDDEN, "error-403-title", m)
}

pub fn not_found(ctx: Ctx) -> Response {
    let m = ctx.t("error-404-text");
    error(ctx, StatusCode::NOT_FOUND, "error-404-title", m)
}

pub fn internal(ctx: Ctx) -> Response {
    let m = ctx.t("error-500-text");
    error(ctx, StatusCode::INTERNAL_SERVER_ERROR, "error-500-title", m)
}

/// The store failed: logged with its cause, a 500 page for the person.
pub fn store_failed(ctx: Ctx, e: crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "a console page failed in the store");
    internal(ctx)
}
