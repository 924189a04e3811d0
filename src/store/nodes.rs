//! Gateway nodes and operator-tuned link settings.

use sqlx::Row;

use super::{Result, Store};
use crate::core::time::{now_ms, rfc3339};

impl Store {
    pub async fn list_nodes(&self) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query("SELECT id, started_on, heartbeat_on FROM nodes ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "id": r.try_get::<String, _>("id")?,
                    "started_on": rfc3339(r.try_get("started_on")?),
                    "heartbeat_on": rfc3339(r.try_get("heartbeat_on")?),
                }))
            })
            .collect()
    }

    /// Persist a link's rate as tuned through the API, so it survives restarts.
    pub async fn save_link_rate(&self, link: &str, rate: f64) -> Result<()> {
        sqlx::query(
            "INSERT INTO link_settings (link, rate, modified_on) VALUES ($1, $2, $3) \
             ON CONFLICT (link) DO UPDATE SET rate = $2, modified_on = $3",
        )
        .bind(link)
        .bind(rate)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    pub async fn link_rates(&self) -> Result<Vec<(String, f64)>> {
        let rows = sqlx::query("SELECT link, rate FROM link_settings")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("link")?, r.try_get("rate")?)))
            .collect()
    }
}
