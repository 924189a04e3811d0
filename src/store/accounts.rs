//! Operator accounts: who may log in to the console, with which role and
//! language. Passwords are checked against `core::password`'s rules and
//! kept as argon2id hashes only; hashing and verifying run on a blocking
//! thread, as each takes tens of milliseconds by design.
//!
//! The API, the console and the CLI all change accounts through these
//! functions, so a rule (the last admin cannot be disabled, a password is
//! never the user name) holds whichever door it came through.

use sqlx::Row;

use super::{is_unique_violation, Result, Store, StoreError};
use crate::config::Role;
use crate::core::password::{self, WeakPassword};
use crate::core::time::{now_ms, Millis};

/// Languages an account may choose for the console (ISO 639-3, as contacts
/// have them); empty: the browser's.
pub const ACCOUNT_LANGUAGES: [&str; 4] = ["eng", "fra", "swa", "por"];

/// The account a first run makes, with a generated password.
pub const FIRST_ADMIN: &str = "admin";

/// Longest user name: it is a URL path segment and a label in lists.
const MAX_USERNAME_LEN: usize = 64;

/// Longest display name: a person's name in a page header, not prose.
const MAX_DISPLAY_NAME_LEN: usize = 100;

/// An account as anyone may see it: never its password hash.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Account {
    #[serde(skip)]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// eng, fra, swa, por, or empty for the browser's language.
    pub language: String,
    pub must_change_password: bool,
    #[serde(serialize_with = "crate::core::time::rfc3339::serialize")]
    pub created_on: Millis,
    #[serde(serialize_with = "crate::core::time::rfc3339::serialize")]
    pub modified_on: Millis,
    #[serde(serialize_with = "crate::core::time::rfc3339::option")]
    pub disabled_on: Option<Millis>,
}

impl Account {
    pub fn disabled(&self) -> bool {
        self.disabled_on.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub language: String,
    pub password: String,
    /// The password was chosen by someone else: the first login replaces it.
    pub must_change_password: bool,
}

/// A change to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub language: Option<String>,
    pub disabled: Option<bool>,
}

impl AccountPatch {
    /// Only what an account may change about itself.
    pub fn is_own_preference(&self) -> bool {
        self.role.is_none() && self.disabled.is_none() && self.display_name.is_none()
    }
}

const COLUMNS: &str =
    "id, username, display_name, role, language, must_change_password, created_on, modified_on, disabled_on";

pub(super) fn account_from_row(r: &sqlx::any::AnyRow) -> Result<Account> {
    Ok(Account {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: r
            .try_get::<String, _>("role")?
            .parse()
            .map_err(|e: String| StoreError::Corrupt(format!("accounts.role: {e}")))?,
        language: r.try_get("language")?,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        created_on: r.try_get("created_on")?,
        modified_on: r.try_get("modified_on")?,
        disabled_on: r.try_get("disabled_on")?,
    })
}

/// User names are letters, digits, `.`, `_` and `-`, lower case: safe in a
/// URL path and a shell argument, and one spelling per person.
pub fn validate_username(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_USERNAME_LEN {
        return Err(StoreError::invalid(
            "username",
            format!("must be 1 to {MAX_USERNAME_LEN} characters"),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(StoreError::invalid(
            "username",
            "may hold only lower-case letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(())
}

fn validate_display_name(name: &str) -> Result<()> {
    let n = name.trim().chars().count();
    if n == 0 || n > MAX_DISPLAY_NAME_LEN {
        return Err(StoreError::invalid(
            "display_name",
            format!("must be 1 to {MAX_DISPLAY_NAME_LEN} characters"),
        ));
    }
    Ok(())
}

fn validate_language(language: &str) -> Result<()> {
    if language.is_empty() || ACCOUNT_LANGUAGES.contains(&language) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "language",
            "must be eng, fra, swa, por, or empty for the browser's language",
        ))
    }
}

/// A refused password as a field error (the message never repeats it).
pub fn weak(field: &str, w: WeakPassword) -> StoreError {
    StoreError::invalid(field, w.to_string())
}

/// Hash on a blocking thread.
async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| StoreError::Corrupt(format!("hashing thread: {e}")))?
        .map_err(|e| StoreError::Corrupt(format!("hashing a password: {e}")))
}

/// Verify on a blocking thread.
async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .unwrap_or(false)
}

impl Store {
    /// Make an account, every field checked first.
    pub async fn create_account(&self, new: NewAccount) -> Result<Account> {
        validate_username(&new.username)?;
        validate_display_name(&new.display_name)?;
        validate_language(&new.language)?;
        password::check(&new.username, &new.password).map_err(|w| weak("password", w))?;
        let hashed = hash(new.password.clone()).await?;
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO accounts (username, display_name, password_hash, role, language, \
             must_change_password, created_on, modified_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&new.username)
        .bind(new.display_name.trim())
        .bind(&hashed)
        .bind(new.role.name())
        .bind(&new.language)
        .bind(i64::from(new.must_change_password))
        .bind(now)
        .execute(self.writer())
        .await;
        match inserted {
            Ok(_) => self.account(&new.username).await,
            Err(e) if is_unique_violation(&e) => Err(StoreError::invalid(
                "username",
                format!("{:?} is taken; choose another user name", new.username),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The account named `username`, disabled or not.
    pub async fn account(&self, username: &str) -> Result<Account> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {username:?}")))?;
        account_from_row(&r)
    }

    /// Every account, oldest first (a ministry has tens, not thousands).
    pub async fn list_accounts(&self) -> Result<Vec<Account>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM accounts ORDER BY id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(account_from_row)
            .collect()
    }

    pub async fn count_accounts(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM accounts")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Change an account; answers it before and after. Disabling one ends
    /// its sessions (its tokens stop working at their next use). The last
    /// enabled admin can be neither disabled nor given a lesser role: the
    /// console would be left with nobody to manage it.
    pub async fn update_account(&self, username: &str, patch: &AccountPatch) -> Result<(Account, Account)> {
        if let Some(d) = &patch.display_name {
            validate_display_name(d)?;
        }
        if let Some(l) = &patch.language {
            validate_language(l)?;
        }
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE username = $1"))
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {username:?}")))?;
        let before = account_from_row(&r)?;
        let mut after = before.clone();
        if let Some(d) = &patch.display_name {
            after.display_name = d.trim().to_string();
        }
        if let Some(role) = patch.role {
            after.role = role;
        }
        if let Some(l) = &patch.language {
            after.language = l.clone();
        }
        match patch.disabled {
            Some(true) if before.disabled_on.is_none() => after.disabled_on = Some(now_ms()),
            Some(false) => after.disabled_on = None,
            _ => {}
        }
        let was_admin = before.role == Role::Admin && !before.disabled();
        let is_admin = after.role == Role::Admin && !after.disabled();
        if was_admin && !is_admin {
            let admins: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM accounts WHERE role = 'admin' AND disabled_on IS NULL",
            )
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if admins <= 1 {
                let field = if after.disabled() { "disabled" } else { "role" };
                return Err(StoreError::invalid(
                    field,
                    "this is the last admin account: make another admin first",
                ));
            }
        }
        if after == before {
            return Ok((before, after));
        }
        after.modified_on = now_ms();
        sqlx::query(
            "UPDATE accounts SET display_name = $1, role = $2, language = $3, disabled_on = $4, \
             modified_on = $5 WHERE id = $6",
        )
        .bind(&after.display_name)
        .bind(after.role.name())
        .bind(&after.language)
        .bind(after.disabled_on)
        .bind(after.modified_on)
        .bind(after.id)
        .execute(&mut *tx)
        .await?;
        if after.disabled() {
            sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
                .bind(after.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok((before, after))
    }

    /// Set `username`'s password. With `current`, the account changes its
    /// own and must prove it knows the old one; `must_change` marks a
    /// password someone else chose. Every session of the account ends but
    /// `keep_session` (the one that made the change, by its hash).
    pub async fn set_password(
        &self,
        username: &str,
        current: Option<&str>,
        new: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<Account> {
        let r = sqlx::query("SELECT id, password_hash FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {username:?}")))?;
        let id: i64 = r.try_get("id")?;
        if let Some(current) = current {
            if !verify(current.to_string(), r.try_get("password_hash")?).await {
                return Err(StoreError::invalid(
                    "current_password",
                    "is not this account's password",
                ));
            }
            if current == new {
                return Err(StoreError::invalid(
                    "password",
                    "must differ from the current password",
                ));
            }
        }
        password::check(username, new).map_err(|w| weak("password", w))?;
        let hashed = hash(new.to_string()).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE accounts SET password_hash = $1, must_change_password = $2, modified_on = $3 WHERE id = $4",
        )
        .bind(&hashed)
        .bind(i64::from(must_change))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM console_sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.account(username).await
    }

    /// The enabled account `username` if `password` is its password. An
    /// unknown name costs the same hashing work as a known one, so the time
    /// taken does not say which names exist.
    pub async fn check_login(&self, username: &str, password: &str) -> Result<Option<Account>> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM accounts WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else {
            verify(password.to_string(), password::decoy_hash().to_string()).await;
            return Ok(None);
        };
        let account = account_from_row(&r)?;
        let matches = verify(password.to_string(), r.try_get("password_hash")?).await;
        Ok((matches && !account.disabled()).then_some(account))
    }
}
