//! Console sessions: a random cookie per login, of which only the SHA-256
//! is stored (in the database, so a session works on every node sharing
//! it), with its CSRF token, its account, and when it was made and last
//! used. A session ends at logout, after an idle spell, at its absolute
//! lifetime, or when its account is disabled or its password changed.

use rand::Rng;
use sqlx::Row;

use super::accounts::{account_from_row, Account};
use super::tokens::hash_token;
use super::{Result, Store};
use crate::core::time::{now_ms, Millis};

/// Random bytes in a session cookie and in a CSRF token: 256 bits.
const SECRET_BYTES: usize = 32;

/// A session's last use is written at most this often: each console
/// request would otherwise be a write, and an idle timeout of hours does
/// not need the minute.
const SEEN_STEP_MS: Millis = 60_000;

/// A live session and whose it is.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    /// The SHA-256 of the cookie, as stored.
    pub hash: String,
    pub csrf_token: String,
    pub account: Account,
}

/// How long sessions live, from config.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle_ms: Millis,
    pub lifetime_ms: Millis,
}

/// 32 random bytes as hex.
pub fn random_hex() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Start a session for `account_id`; answers the cookie's value (shown
    /// to the browser once, stored nowhere) and the session as stored.
    pub async fn create_session(&self, account: &Account) -> Result<(String, ConsoleSession)> {
        let cookie = random_hex();
        let csrf = random_hex();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, account_id, csrf_token, created_on, seen_on) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(hash_token(&cookie))
        .bind(account.id)
        .bind(&csrf)
        .bind(now)
        .execute(self.writer())
        .await?;
        let session = ConsoleSession {
            hash: hash_token(&cookie),
            csrf_token: csrf,
            account: account.clone(),
        };
        Ok((cookie, session))
    }

    /// The live session whose cookie is `cookie`, its account enabled.
    pub async fn session(&self, cookie: &str, limits: SessionLimits) -> Result<Option<ConsoleSession>> {
        let now = now_ms();
        let hash = hash_token(cookie);
        let r = sqlx::query(
            "SELECT s.csrf_token, s.created_on AS session_created, s.seen_on, a.id, a.username, \
             a.display_name, a.role, a.language, a.must_change_password, a.created_on, a.modified_on, \
             a.disabled_on FROM console_sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let account = account_from_row(&r)?;
        let created: Millis = r.try_get("session_created")?;
        let seen: Millis = r.try_get("seen_on")?;
        if account.disabled() || now - created > limits.lifetime_ms || now - seen > limits.idle_ms {
            self.end_session_hash(&hash).await?;
            return Ok(None);
        }
        if now - seen > SEEN_STEP_MS {
            sqlx::query("UPDATE console_sessions SET seen_on = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(self.writer())
                .await?;
        }
        Ok(Some(ConsoleSession {
            hash,
            csrf_token: r.try_get("csrf_token")?,
            account,
        }))
    }

    /// End the session stored as `hash` (logout).
    pub async fn end_session_hash(&self, hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(hash)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
