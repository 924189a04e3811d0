//! The accounts page (admins): every account with its role and state;
//! make one (its first password is generated and shown once, to be
//! changed at the first login), change a role, disable or enable, reset a
//! password. Backed by the store functions `/api/v1/accounts` calls.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::config::Role;
use crate::core::password;
use crate::store::{Account, AccountPatch, NewAccount};

#[derive(Debug, Default, serde::Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub language: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub ctx: Ctx,
    pub accounts: Vec<Account>,
    pub roles: Vec<Role>,
    pub form: NewAccountForm,
    pub errors: FieldErrors,
    /// An account just made or reset: (user name, password), shown once.
    pub shown_password: Option<(String, String)>,
}

/// What the page shows besides the accounts.
#[derive(Default)]
struct Shown {
    form: NewAccountForm,
    errors: FieldErrors,
    password: Option<(String, String)>,
}

impl Shown {
    fn refused(form: NewAccountForm, errors: FieldErrors) -> Shown {
        Shown {
            form,
            errors,
            password: None,
        }
    }

    /// A password made for `username`, shown this once.
    fn password(username: String, password: String) -> Shown {
        Shown {
            password: Some((username, password)),
            ..Shown::default()
        }
    }
}

async fn page(s: &ApiState, ctx: Ctx, status: StatusCode, shown: Shown) -> Response {
    let Shown {
        form,
        errors,
        password: shown_password,
    } = shown;
    let accounts = match s.gw.store.list_accounts().await {
        Ok(a) => a,
        Err(e) => return page::store_failed(ctx, e),
    };
    let page = AccountsPage {
        ctx,
        accounts,
        roles: Role::ALL.to_vec(),
        form,
        errors,
        shown_password,
    };
    render(&page.ctx, status, &page)
}

pub async fn list(State(s): State<ApiState>, ctx: Ctx) -> Response {
    page(&s, ctx, StatusCode::OK, Shown::default()).await
}

pub async fn create(State(s): State<ApiState>, ctx: Ctx, Form(f): Form<NewAccountForm>) -> Response {
    let Ok(role) = f.role.parse::<Role>() else {
        let mut errors = FieldErrors::default();
        errors.add("role", ctx.t("role-unknown"));
        return page(
            &s,
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Shown::refused(f, errors),
        )
        .await;
    };
    let first = password::generate();
    let username = f.username.trim().to_string();
    let display_name = if f.display_name.trim().is_empty() {
        username.clone()
    } else {
        f.display_name.clone()
    };
    let made =
        s.gw.store
            .create_account(NewAccount {
                username,
                display_name,
                role,
                language: f.language.clone(),
                password: first.clone(),
                must_change_password: true,
            })
            .await;
    match made {
        Ok(account) => {
            tracing::info!(username = %account.username, role = account.role.name(), "account created");
            let audit = Audit::action("account.create")
                .target("account", &account.username)
                .after(&account);
            let shown = Shown::password(account.username.clone(), first);
            let res = page(&s, ctx, StatusCode::CREATED, shown).await;
            (audit, res).into_response()
        }
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => {
                page(
                    &s,
                    ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Shown::refused(f, errors),
                )
                .await
            }
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct UpdateForm {
    role: Option<String>,
    /// `true` to disable, `false` to enable again.
    disabled: Option<bool>,
    display_name: Option<String>,
}

pub async fn update(
    State(s): State<ApiState>,
    ctx: Ctx,
    Path(username): Path<String>,
    Form(f): Form<UpdateForm>,
) -> Response {
    let role = match f.role.as_deref().map(str::parse::<Role>) {
        Some(Err(_)) => {
            let mut errors = FieldErrors::default();
            errors.general = Some(ctx.t("role-unknown"));
            return page(
                &s,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Shown::refused(NewAccountForm::default(), errors),
            )
            .await;
        }
        Some(Ok(r)) => Some(r),
        None => None,
    };
    let patch = AccountPatch {
        role,
        disabled: f.disabled,
        display_name: f.display_name,
        language: None,
    };
    match s.gw.store.update_account(&username, &patch).await {
        Ok((before, after)) => (
            Audit::action("account.update")
                .target("account", &username)
                .change(&before, &after),
            redirect_with("/accounts", "flash-account-updated"),
        )
            .into_response(),
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(mut errors) => {
                // A row's problem (the last admin) is said above the table.
                if errors.general.is_none() {
                    errors.general = ["role", "disabled", "display_name"]
                        .iter()
                        .map(|f| errors.get(f))
                        .find(|m| !m.is_empty());
                }
                page(
                    &s,
                    ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Shown::refused(NewAccountForm::default(), errors),
                )
                .await
            }
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

pub async fn reset_password(State(s): State<ApiState>, ctx: Ctx, Path(username): Path<String>) -> Response {
    let first = password::generate();
    match s.gw.store.set_password(&username, None, &first, true, None).await {
        Ok(account) => {
            s.password_changed(&username);
            let audit = Audit::action("account.password_reset").target("account", &username);
            let shown = Shown::password(account.username, first);
            let res = page(&s, ctx, StatusCode::OK, shown).await;
            (audit, res).into_response()
        }
        Err(crate::store::StoreError::NotFound(_)) => page::not_found(ctx),
        Err(e) => page::store_failed(ctx, e),
    }
}
