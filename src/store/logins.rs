//! Failed console logins, counted in the database so that throttling
//! holds across every node sharing it: after [`MAX_FAILURES`] failures for
//! one user name, or from one client address, within [`WINDOW_MS`], further
//! attempts are refused until the oldest of those failures leaves the
//! window. A successful login clears its user name's failures.

use sqlx::Row;

use super::{Result, Store};
use crate::core::time::{now_ms, Millis};

/// Failures allowed in the window: enough for a mistyped password or a
/// caps lock, far too few to guess one.
pub const MAX_FAILURES: i64 = 5;

/// How long a failure counts against its user name and its address.
pub const WINDOW_MS: Millis = 15 * 60 * 1000;

impl Store {
    /// When logins for `username` from `client` may be tried again, if
    /// they are throttled now.
    pub async fn login_refused_until(&self, username: &str, client: &str) -> Result<Option<Millis>> {
        let since = now_ms() - WINDOW_MS;
        let mut until = None;
        for (column, value) in [("username", username), ("client", client)] {
            // The MAX_FAILURES-th newest failure: when it leaves the window,
            // fewer than MAX_FAILURES remain.
            let r = sqlx::query(&format!(
                "SELECT failed_on FROM login_failures WHERE {column} = $1 AND failed_on > $2 \
                 ORDER BY failed_on DESC LIMIT 1 OFFSET {}",
                MAX_FAILURES - 1
            ))
            .bind(value)
            .bind(since)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = r {
                let at: Millis = r.try_get("failed_on")?;
                until = until.max(Some(at + WINDOW_MS));
            }
        }
        Ok(until)
    }

    /// Count a failed login (and forget failures past the window).
    pub async fn record_login_failure(&self, username: &str, client: &str) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_failures WHERE failed_on <= $1")
            .bind(now - WINDOW_MS)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO login_failures (username, client, failed_on) VALUES ($1, $2, $3)")
            .bind(username)
            .bind(client)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A successful login: its user name starts afresh.
    pub async fn clear_login_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
