//! Per-segment carrier ids of multi-segment messages (migration 0005): a
//! carrier answers and reports each segment of a long SMS on its own. The
//! segment ids are written when the send is recorded; a receipt carrying one
//! of them finds its message here, the segment's outcome is kept, and the
//! message is settled once every segment has one (one failed segment fails
//! the message). Kept in the database so a restart loses no roll-up.

use sqlx::{Any, Row, Transaction};

use super::{Result, Store};
use crate::core::time::now_ms;

/// How `external_id` joins the carrier ids of a message's segments.
pub const SEGMENT_SEPARATOR: char = ',';
/// The state of a segment whose receipt reported delivery.
const DELIVERED: &str = "delivered";

/// Writes the segment ids of the multi-segment messages among `sent`
/// (message id, joined carrier ids), inside the caller's transaction.
pub(super) async fn record(tx: &mut Transaction<'static, Any>, sent: &[(i64, Option<&str>)]) -> Result<()> {
    for (id, ext) in sent {
        let Some(ext) = (*ext).filter(|e| e.contains(SEGMENT_SEPARATOR)) else {
            continue;
        };
        for segment in ext.split(SEGMENT_SEPARATOR).filter(|s| !s.is_empty()) {
            sqlx::query(
                "INSERT INTO msg_segments (msg_id, link, segment_id) \
                 SELECT id, link, $2 FROM msgs WHERE id = $1 AND link IS NOT NULL \
                 ON CONFLICT DO NOTHING",
            )
            .bind(*id)
            .bind(segment)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

impl Store {
    /// Applies a receipt for one segment: `failure` is `None` for delivery.
    /// Returns false when no sent message has that segment id (yet).
    pub async fn apply_segment_report(
        &self,
        link: &str,
        segment_id: &str,
        failure: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // Segment ids may wrap around at the carrier: the newest message
        // wins. A settled message still counts as found (its later segment
        // receipts change nothing).
        let row = sqlx::query(
            "SELECT msg_id FROM msg_segments WHERE link = $1 AND segment_id = $2 \
             ORDER BY msg_id DESC LIMIT 1",
        )
        .bind(link)
        .bind(segment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let msg_id: i64 = row.try_get("msg_id")?;
        sqlx::query("UPDATE msg_segments SET state = $1 WHERE msg_id = $2 AND segment_id = $3")
            .bind(failure.unwrap_or(DELIVERED))
            .bind(msg_id)
            .bind(segment_id)
            .execute(&mut *tx)
            .await?;
        let roll = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(state) AS done, \
             MIN(CASE WHEN state <> $2 THEN state END) AS failure \
             FROM msg_segments WHERE msg_id = $1",
        )
        .bind(msg_id)
        .bind(DELIVERED)
        .fetch_one(&mut *tx)
        .await?;
        let (total, done): (i64, i64) = (roll.try_get("total")?, roll.try_get("done")?);
        let failed: Option<String> = roll.try_get("failure")?;
        let now = now_ms();
        if let Some(reason) = failed {
            sqlx::query(
                "UPDATE msgs SET status = 'failed', failure_reason = $1, modified_on = $2 \
                 WHERE id = $3 AND status = 'sent'",
            )
            .bind(reason)
            .bind(now)
            .bind(msg_id)
            .execute(&mut *tx)
            .await?;
        } else if done == total {
            sqlx::query(
                "UPDATE msgs SET status = 'delivered', delivered_on = $1, modified_on = $1 \
                 WHERE id = $2 AND status = 'sent'",
            )
            .bind(now)
            .bind(msg_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
