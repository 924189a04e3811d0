//! API tokens made by the gateway (the first run's admin token), the API and
//! the CLI. Only a SHA-256 hash of each token is stored; the secret is
//! handed out once, when it is made. A revoked token keeps its row, stamped
//! `revoked_on`, and stops working at the next request that presents it.

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{is_unique_violation, Result, Store, StoreError};
use crate::config::Role;
use crate::core::time::{now_ms, rfc3339};

/// Random bytes in a new token: 192 bits, beyond guessing, 48 hex characters.
const SECRET_BYTES: usize = 24;

/// Longest token name: it is a path segment (`DELETE /tokens/{name}`) and a
/// label in lists, not a place for prose.
const MAX_NAME_LEN: usize = 64;

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub name: String,
    pub role: Role,
}

/// A live token as an admin may see it: never its secret or its hash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenListing {
    pub name: String,
    pub role: Role,
    pub created_on: String,
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh random token secret.
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names are letters, digits, `.`, `_` and `-`: safe in a URL path and a
/// shell argument without quoting.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(StoreError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(StoreError::invalid(
            "name",
            "may hold only letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(())
}

impl Store {
    /// Make a token named `name` with `role` and return its secret, the only
    /// time it is seen. A live token of that name already is a conflict.
    pub async fn create_token(&self, name: &str, role: Role) -> Result<String> {
        let secret = new_secret();
        self.add_token(name, &secret, role).await?;
        Ok(secret)
    }

    /// Store the hash of `secret` as the token `name` (for a caller that
    /// must keep the secret safe before it works: the first run's file).
    pub async fn add_token(&self, name: &str, secret: &str, role: Role) -> Result<()> {
        validate_name(name)?;
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, role, created_on) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(hash_token(secret))
        .bind(role.name())
        .bind(now_ms())
        .execute(self.writer())
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "a token named {name:?} exists; revoke it first or choose another name"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The live token whose secret is `token`.
    pub async fn find_token(&self, token: &str) -> Result<Option<TokenRow>> {
        let r = sqlx::query("SELECT name, role FROM api_tokens WHERE token_hash = $1 AND revoked_on IS NULL")
            .bind(hash_token(token))
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            Ok(TokenRow {
                name: r.try_get("name")?,
                role: stored_role(&r.try_get::<String, _>("role")?)?,
            })
        })
        .transpose()
    }

    /// Live tokens, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<TokenListing>> {
        let rows = sqlx::query(
            "SELECT name, role, created_on FROM api_tokens WHERE revoked_on IS NULL ORDER BY created_on, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenListing {
                    name: r.try_get("name")?,
                    role: stored_role(&r.try_get::<String, _>("role")?)?,
                    created_on: rfc3339(r.try_get("created_on")?),
                })
            })
            .collect()
    }

    /// Revoke the live token named `name`; it stops working at once.
    pub async fn revoke_token(&self, name: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_on = $1 WHERE name = $2 AND revoked_on IS NULL")
                .bind(now_ms())
                .bind(name)
                .execute(self.writer())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {name:?}")));
        }
        Ok(())
    }

    /// Live tokens in the database.
    pub async fn count_tokens(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_on IS NULL")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }
}

/// A role as stored; anything else is corruption, not a viewer.
fn stored_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|e: String| StoreError::Corrupt(format!("api_tokens.role: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_path_and_shell_safe() {
        assert!(validate_name("ci-scraper_2.prod").is_ok());
        for bad in [
            "",
            "two words",
            "a/b",
            "semi;colon",
            &"x".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn secrets_are_fresh_hex() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), SECRET_BYTES * 2);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
