//! The account page: one's own password (the change form is `/password`),
//! language, and API tokens, which carry the account's role whenever they
//! are used. The same store functions back `PATCH /api/v1/accounts/{me}`
//! and the token endpoints.

use askama::Template;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::store::{AccountPatch, ConsoleSession, TokenListing};

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub ctx: Ctx,
    pub tokens: Vec<TokenListing>,
    /// A token just made: (name, secret), shown this once.
    pub new_token: Option<(String, String)>,
    pub token_name: String,
    pub errors: FieldErrors,
}

/// What the page shows besides the account and its tokens.
#[derive(Default)]
struct Shown {
    new_token: Option<(String, String)>,
    token_name: String,
    errors: FieldErrors,
}

impl Shown {
    /// A refused form: its value kept, its errors beside the fields.
    fn refused(token_name: String, errors: FieldErrors) -> Shown {
        Shown {
            token_name,
            errors,
            ..Shown::default()
        }
    }
}

async fn page(
    s: &ApiState,
    session: &ConsoleSession,
    ctx: Ctx,
    status: StatusCode,
    shown: Shown,
) -> Response {
    let Shown {
        new_token,
        token_name,
        errors,
    } = shown;
    let tokens = match s.gw.store.list_account_tokens(session.account.id).await {
        Ok(t) => t,
        Err(e) => return page::store_failed(ctx, e),
    };
    let page = AccountPage {
        ctx,
        tokens,
        new_token,
        token_name,
        errors,
    };
    render(&page.ctx, status, &page)
}

pub async fn show(
    State(s): State<ApiState>,
    Extension(session): Extension<ConsoleSession>,
    ctx: Ctx,
) -> Response {
    page(&s, &session, ctx, StatusCode::OK, Shown::default()).await
}

#[derive(Debug, serde::Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

pub async fn set_language(
    State(s): State<ApiState>,
    Extension(session): Extension<ConsoleSession>,
    ctx: Ctx,
    Form(f): Form<LanguageForm>,
) -> Response {
    let patch = AccountPatch {
        language: Some(f.language),
        ..AccountPatch::default()
    };
    let username = &session.account.username;
    match s.gw.store.update_account(username, &patch).await {
        Ok((before, after)) => (
            Audit::action("account.update")
                .target("account", username)
                .change(&before, &after),
            redirect_with("/account", "flash-language-saved"),
        )
            .into_response(),
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => {
                page(
                    &s,
                    &session,
                    ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Shown::refused(String::new(), errors),
                )
                .await
            }
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(s): State<ApiState>,
    Extension(session): Extension<ConsoleSession>,
    ctx: Ctx,
    Form(f): Form<TokenForm>,
) -> Response {
    let name = f.name.trim().to_string();
    if s.gw.config.api.tokens.iter().any(|t| t.name == name) {
        let mut errors = FieldErrors::default();
        errors.add("name", ctx.t("token-name-taken"));
        return page(
            &s,
            &session,
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Shown::refused(name, errors),
        )
        .await;
    }
    match s.gw.store.create_account_token(&name, &session.account).await {
        Ok(secret) => {
            tracing::info!(%name, account = %session.account.username, "API token created");
            let audit = Audit::action("token.create")
                .target("token", &name)
                .after(&serde_json::json!({"name": name, "account": session.account.username}));
            let res = page(
                &s,
                &session,
                ctx,
                StatusCode::OK,
                Shown {
                    new_token: Some((name, secret)),
                    ..Shown::default()
                },
            )
            .await;
            (audit, res).into_response()
        }
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(mut errors) => {
                if let Some(g) = errors.general.take() {
                    errors.add("name", g);
                }
                page(
                    &s,
                    &session,
                    ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Shown::refused(name, errors),
                )
                .await
            }
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

pub async fn revoke_token(
    State(s): State<ApiState>,
    Extension(session): Extension<ConsoleSession>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Response {
    match s.gw.store.revoke_account_token(session.account.id, &name).await {
        Ok(()) => (
            Audit::action("token.revoke").target("token", &name),
            redirect_with("/account", "flash-token-revoked"),
        )
            .into_response(),
        Err(crate::store::StoreError::NotFound(_)) => page::not_found(ctx),
        Err(e) => page::store_failed(ctx, e),
    }
}
