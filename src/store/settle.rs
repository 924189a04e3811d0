//! When a broadcast is done. A materialised broadcast (`queued`) is
//! `completed` once every message is settled: delivered, failed, cancelled,
//! or sent so long ago that its receipt will not come (its link's receipt
//! wait has passed: it stays `sent`, counted as "sent, no receipt"). A
//! queued, wired or retrying message keeps it open, as does one sent within
//! its link's receipt wait. A receipt that comes later still settles its
//! message; the broadcast stays completed.

use std::collections::HashMap;

use sqlx::Row;

use super::{Result, Store};
use crate::core::time::Millis;

/// Open broadcasts looked at per query of a pass.
const OPEN_PAGE: i64 = 200;

/// How long a `sent` message may still get its receipt, per link name.
#[derive(Debug, Clone, Default)]
pub struct ReceiptWaits {
    pub per_link: HashMap<String, Millis>,
    /// For a link no longer configured.
    pub default: Millis,
}

impl ReceiptWaits {
    fn of(&self, link: Option<&str>) -> Millis {
        link.and_then(|l| self.per_link.get(l))
            .copied()
            .unwrap_or(self.default)
    }
}

impl Store {
    /// Complete every materialised broadcast whose messages are all settled
    /// at `now`; returns their ids.
    pub async fn complete_settled_broadcasts(&self, now: Millis, waits: &ReceiptWaits) -> Result<Vec<i64>> {
        let mut done = Vec::new();
        let mut after = 0i64;
        loop {
            let open: Vec<i64> = sqlx::query(
                "SELECT id FROM broadcasts WHERE status = 'queued' AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(OPEN_PAGE)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<std::result::Result<_, _>>()?;
            let Some(&last) = open.last() else {
                return Ok(done);
            };
            after = last;
            for id in open {
                if self.broadcast_settled(id, now, waits).await? && self.complete_broadcast(id, now).await? {
                    done.push(id);
                }
            }
        }
    }

    async fn broadcast_settled(&self, id: i64, now: Millis, waits: &ReceiptWaits) -> Result<bool> {
        // The common case for an open broadcast, found in its index.
        let unsent = sqlx::query(
            "SELECT 1 AS x FROM msgs WHERE broadcast_id = $1 AND status IN ('queued', 'wired', 'errored') LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        if unsent.is_some() {
            return Ok(false);
        }
        let awaiting = sqlx::query(
            "SELECT link, MAX(sent_on) AS last FROM msgs WHERE broadcast_id = $1 AND status = 'sent' GROUP BY link",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for r in awaiting {
            let link: Option<String> = r.try_get("link")?;
            let last: Option<Millis> = r.try_get("last")?;
            if last.is_some_and(|t| t + waits.of(link.as_deref()) > now) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn complete_broadcast(&self, id: i64, now: Millis) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE broadcasts SET status = 'completed', modified_on = $1 WHERE id = $2 AND status = 'queued'",
        )
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(res.rows_affected() == 1)
    }
}
