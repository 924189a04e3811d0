//! What the simulator link's phones received. Kept in the database so a
//! test can prove, across a crash, that each message arrived exactly once.

use sqlx::Row;

use super::{in_list, placeholders, Paging, Result, Store, INSERT_CHUNK};
use crate::core::time::{now_ms, rfc3339};

#[derive(Debug, Clone, serde::Serialize)]
pub struct SimReceived {
    pub id: i64,
    pub msg_uuid: String,
    pub urn: String,
    pub text: String,
    pub link: String,
    pub node: String,
    pub received_on: String,
}

impl Store {
    /// Record messages as received by simulated phones, in one transaction;
    /// returns the new row ids in input order.
    pub async fn sim_receive(
        &self,
        link: &str,
        node: &str,
        msgs: &[(String, String, String)],
    ) -> Result<Vec<i64>> {
        const COLS: usize = 6;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(msgs.len());
        for chunk in msgs.chunks(INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len()).map(|i| placeholders(i * COLS, COLS)).collect();
            let sql = format!(
                "INSERT INTO sim_received (msg_uuid, urn, text, link, node, received_on) VALUES {} RETURNING id",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (uuid, urn, text) in chunk {
                q = q.bind(uuid).bind(urn).bind(text).bind(link).bind(node).bind(now);
            }
            let mut rows: Vec<i64> = q
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
            // RETURNING order is not promised; ids are ascending in insert order.
            rows.sort_unstable();
            ids.extend(rows);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Receipt rows for the given message UUIDs (for reconciliation).
    pub async fn sim_lookup(&self, msg_uuids: &[String]) -> Result<Vec<(String, i64)>> {
        if msg_uuids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT msg_uuid, id FROM sim_received WHERE msg_uuid IN ({})",
            in_list(0, msg_uuids.len())
        );
        let mut q = sqlx::query(&sql);
        for u in msg_uuids {
            q = q.bind(u.as_str());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("msg_uuid")?, r.try_get("id")?)))
            .collect()
    }

    /// What one simulated phone received, oldest first.
    pub async fn sim_inbox(&self, urn: &str, page: &Paging) -> Result<Vec<SimReceived>> {
        let rows = sqlx::query(&format!(
            "SELECT id, msg_uuid, urn, text, link, node, received_on FROM sim_received \
             WHERE urn = $1{}",
            page.sql("id")
        ))
        .bind(urn)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SimReceived {
                    id: r.try_get("id")?,
                    msg_uuid: r.try_get("msg_uuid")?,
                    urn: r.try_get("urn")?,
                    text: r.try_get("text")?,
                    link: r.try_get("link")?,
                    node: r.try_get("node")?,
                    received_on: rfc3339(r.try_get("received_on")?),
                })
            })
            .collect()
    }

    /// `(total rows, distinct messages)` received by simulated phones: equal
    /// numbers mean nothing was delivered twice.
    pub async fn sim_counts(&self) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(DISTINCT msg_uuid) AS distinct_msgs FROM sim_received",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((r.try_get("total")?, r.try_get("distinct_msgs")?))
    }

    /// Messages received per sending node.
    pub async fn sim_counts_by_node(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT node, COUNT(*) AS n FROM sim_received GROUP BY node ORDER BY node")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("node")?, r.try_get("n")?)))
            .collect()
    }
}
