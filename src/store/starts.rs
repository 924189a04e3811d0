//! Flow starts: a flow started for many contacts at once (through the API,
//! by a flow's `start_session`, by the registry). A start is accepted as one
//! row, then materialised into one row per contact, each marked done in the
//! transaction that starts (or skips) that contact, so a crash resumes
//! exactly where it stopped.

use std::collections::BTreeSet;

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::{in_list, parse_json, Paging, Recipients, Result, Store, StoreError};
use crate::core::time::{now_ms, rfc3339, Millis};

/// Contacts contacted per batch when materialising.
const INSERT_CHUNK: usize = 400;

/// Who is left out of a start.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusions {
    /// Skip contacts waiting in any flow (otherwise that flow is interrupted).
    #[serde(default)]
    pub in_a_flow: bool,
    /// Skip contacts who started this flow in the last N days.
    #[serde(default)]
    pub started_previously_days: Option<u32>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StartProgress {
    pub started: i64,
    pub skipped: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FlowStart {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub flow: String,
    pub recipients: Recipients,
    pub exclusions: Exclusions,
    pub params: Option<serde_json::Value>,
    pub origin: String,
    /// pending, starting, completed, failed
    pub status: String,
    pub contact_count: i64,
    pub progress: StartProgress,
    pub error: Option<String>,
    pub created_on: String,
    pub modified_on: String,
}

const COLS: &str =
    "id, uuid, flow_uuid, recipients, exclusions, params, origin, status, contact_count, error, created_on, modified_on";

fn start_row(r: &sqlx::any::AnyRow) -> Result<FlowStart> {
    let params: Option<String> = r.try_get("params")?;
    Ok(FlowStart {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        flow: r.try_get("flow_uuid")?,
        recipients: parse_json("start recipients", &r.try_get::<String, _>("recipients")?)?,
        exclusions: parse_json("start exclusions", &r.try_get::<String, _>("exclusions")?)?,
        params: params.map(|p| parse_json("start params", &p)).transpose()?,
        origin: r.try_get("origin")?,
        status: r.try_get("status")?,
        contact_count: r.try_get("contact_count")?,
        progress: StartProgress::default(),
        error: r.try_get("error")?,
        created_on: rfc3339(r.try_get("created_on")?),
        modified_on: rfc3339(r.try_get("modified_on")?),
    })
}

/// Insert a pending start inside an open transaction; returns its UUID.
pub(super) async fn insert_start(
    tx: &mut Transaction<'_, Any>,
    flow_uuid: &str,
    recipients: &Recipients,
    exclusions: &Exclusions,
    params: Option<&serde_json::Value>,
    origin: &str,
) -> Result<String> {
    let uuid = Uuid::new_v4().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO flow_starts (uuid, flow_uuid, recipients, exclusions, params, origin, status, created_on, \
         modified_on) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
    )
    .bind(&uuid)
    .bind(flow_uuid)
    .bind(serde_json::to_string(recipients).unwrap_or_default())
    .bind(serde_json::to_string(exclusions).unwrap_or_default())
    .bind(params.map(|p| p.to_string()))
    .bind(origin)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(uuid)
}

impl Store {
    /// Validate and accept a start; the gateway's start worker runs it (a
    /// voice flow's start queues a call to each contact).
    pub async fn create_flow_start(
        &self,
        flow: &str,
        recipients: &Recipients,
        exclusions: &Exclusions,
        params: Option<&serde_json::Value>,
        origin: &str,
        default_country: Option<&str>,
    ) -> Result<FlowStart> {
        let flow = self
            .get_flow(flow)
            .await
            .map_err(|_| StoreError::invalid("flow", format!("no flow {flow:?}")))?;
        self.check_recipients(recipients, default_country).await?;
        let mut tx = self.begin_write().await?;
        let uuid = insert_start(&mut tx, &flow.uuid, recipients, exclusions, params, origin).await?;
        tx.commit().await?;
        self.get_flow_start(&uuid).await
    }

    pub async fn get_flow_start(&self, uuid: &str) -> Result<FlowStart> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM flow_starts WHERE uuid = $1"))
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("flow start {uuid}")))?;
        let mut s = start_row(&r)?;
        s.progress = self.start_progress(s.id).await?;
        Ok(s)
    }

    pub async fn list_flow_starts(&self, page: &Paging) -> Result<Vec<FlowStart>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM flow_starts WHERE 1 = 1{}",
            page.sql("id")
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut s = start_row(r)?;
            s.progress = self.start_progress(s.id).await?;
            out.push(s);
        }
        Ok(out)
    }

    async fn start_progress(&self, id: i64) -> Result<StartProgress> {
        let rows = sqlx::query(
            "SELECT done, COUNT(*) AS n FROM flow_start_contacts WHERE start_id = $1 GROUP BY done",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut p = StartProgress::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<i64, _>("done")? {
                0 => p.remaining = n,
                1 => p.started = n,
                _ => p.skipped = n,
            }
        }
        Ok(p)
    }

    /// Starts to work on: pending ones (to materialise) and starting ones
    /// (contacts left to start, e.g. after a crash).
    pub async fn open_flow_starts(&self) -> Result<Vec<FlowStart>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM flow_starts WHERE status IN ('pending', 'starting') ORDER BY id LIMIT 50"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(start_row).collect()
    }

    /// Record a start's contacts and mark it `starting`; false when another
    /// node already did.
    pub async fn materialize_start(&self, id: i64, contacts: &BTreeSet<i64>) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE flow_starts SET status = 'starting', contact_count = $1, modified_on = $2 \
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(contacts.len() as i64)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(false);
        }
        let ids: Vec<i64> = contacts.iter().copied().collect();
        for chunk in ids.chunks(INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${})", i + 2)).collect();
            let sql = format!(
                "INSERT INTO flow_start_contacts (start_id, contact_id) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(id);
            for c in chunk {
                q = q.bind(*c);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Contacts of a start not yet started or skipped.
    pub async fn start_todo(&self, id: i64, limit: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT contact_id FROM flow_start_contacts WHERE start_id = $1 AND done = 0 ORDER BY contact_id LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("contact_id")?))
            .collect()
    }

    /// Close a start: `completed`, or `failed` with a reason.
    pub async fn finish_start(&self, id: i64, error: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE flow_starts SET status = $1, error = $2, modified_on = $3 WHERE id = $4")
            .bind(if error.is_some() { "failed" } else { "completed" })
            .bind(error)
            .bind(now_ms())
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Which of `contacts` started `flow_uuid` at or after `since`.
    pub async fn started_since(
        &self,
        flow_uuid: &str,
        contacts: &[i64],
        since: Millis,
    ) -> Result<BTreeSet<i64>> {
        let mut out = BTreeSet::new();
        for chunk in contacts.chunks(500) {
            let sql = format!(
                "SELECT DISTINCT contact_id FROM runs WHERE flow_uuid = $1 AND created_on >= $2 AND contact_id IN ({})",
                in_list(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(flow_uuid).bind(since);
            for c in chunk {
                q = q.bind(*c);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get("contact_id")?);
            }
        }
        Ok(out)
    }
}
