//! Operator accounts over the API: admins list, make and change them and
//! reset passwords; any account may change its own password (with its
//! current one) and language. The console's account pages call the same
//! store functions, so both doors keep the same rules. No answer ever holds
//! a password or its hash.

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::audit::Audit;
use super::auth::Actor;
use super::body::Body;
use super::list::{Ordered, Params};
use super::{ApiError, ApiState};
use crate::config::Role;
use crate::store::{Account, AccountPatch, NewAccount};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    username: String,
    /// Defaults to the user name.
    display_name: Option<String>,
    role: Role,
    #[serde(default)]
    language: String,
    /// The first password, chosen by the admin: the account must replace
    /// it at its first login.
    password: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    password: String,
    /// Needed when an account changes its own password.
    current_password: Option<String>,
}

pub async fn list(State(s): State<ApiState>, Params(o): Params<Ordered>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "results": o.apply(s.gw.store.list_accounts().await?) }),
    ))
}

pub async fn create(
    State(s): State<ApiState>,
    Body(b): Body<NewAccountBody>,
) -> Result<(StatusCode, Audit, Json<Account>), ApiError> {
    let account =
        s.gw.store
            .create_account(NewAccount {
                display_name: b.display_name.unwrap_or_else(|| b.username.clone()),
                username: b.username,
                role: b.role,
                language: b.language,
                password: b.password,
                must_change_password: true,
            })
            .await?;
    tracing::info!(username = %account.username, role = account.role.name(), "account created");
    Ok((
        StatusCode::CREATED,
        Audit::action("account.create")
            .target("account", &account.username)
            .after(&account),
        Json(account),
    ))
}

/// Whether `actor` acts as the account `username` itself.
pub fn is_self(actor: &Actor, username: &str) -> bool {
    actor.account.as_deref() == Some(username)
}

fn forbidden(what: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, format!("{what} needs the admin role"))
}

pub async fn update(
    State(s): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Path(username): Path<String>,
    Body(patch): Body<AccountPatch>,
) -> Result<(Audit, Json<Account>), ApiError> {
    if actor.role != Role::Admin && !(is_self(&actor, &username) && patch.is_own_preference()) {
        return Err(forbidden("changing an account other than one's own language"));
    }
    let (before, after) = s.gw.store.update_account(&username, &patch).await?;
    Ok((
        Audit::action("account.update")
            .target("account", &username)
            .change(&before, &after),
        Json(after),
    ))
}

pub async fn set_password(
    State(s): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Path(username): Path<String>,
    Body(b): Body<PasswordBody>,
) -> Result<(Audit, Json<Account>), ApiError> {
    let own = is_self(&actor, &username);
    if !own && actor.role != Role::Admin {
        return Err(forbidden("setting another account's password"));
    }
    let current = if own {
        Some(b.current_password.as_deref().ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "current_password",
                "is needed to change one's own password",
            )
        })?)
    } else {
        None
    };
    // An admin's reset is a password someone else chose: replaced at the
    // next login.
    let account =
        s.gw.store
            .set_password(&username, current, &b.password, !own, None)
            .await?;
    s.password_changed(&username);
    Ok((
        Audit::action(if own {
            "account.password"
        } else {
            "account.password_reset"
        })
        .target("account", &username),
        Json(account),
    ))
}
