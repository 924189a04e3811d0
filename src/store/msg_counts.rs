//! Outbound messages counted by status since a moment (the console's home
//! page shows today's).

use sqlx::Row;

use super::{Result, Store};
use crate::core::time::Millis;

impl Store {
    /// Outbound messages created at or after `since`, per status.
    pub async fn status_counts_since(&self, since: Millis) -> Result<Vec<(String, i64)>> {
        sqlx::query(
            "SELECT status, COUNT(*) AS n FROM msgs WHERE direction = 'out' AND created_on >= $1 \
             GROUP BY status ORDER BY status",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
    }
}
