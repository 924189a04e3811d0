//! Send requests taken from iHRIS (`POST /emNutt/fhir/CommunicationRequest`)
//! or polled from a registry (`CommunicationRequest?status=active`). The
//! primary key makes acting on one exactly once: a second insert of the same
//! id is refused, and only the inserter goes on to act.

use std::collections::HashSet;

use sqlx::Row;

use super::super::{in_list, parse_json, BroadcastProgress, Result, Store, StoreError};
use crate::core::time::{now_ms, rfc3339};

/// A request as accepted, before it is acted on.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The reqID answered to iHRIS, or `<registry>/<CommunicationRequest id>`.
    pub id: String,
    /// `emnutt` or `fhir`.
    pub source: &'static str,
    pub registry: Option<String>,
    pub request_id: String,
    pub parent_id: Option<String>,
    /// `text` or `flow`.
    pub kind: &'static str,
    pub flow_uuid: Option<String>,
    /// The `CommunicationRequest` as received.
    pub resource: serde_json::Value,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestRow {
    pub id: String,
    pub source: String,
    pub registry: Option<String>,
    pub request_id: String,
    pub parent_id: Option<String>,
    pub kind: String,
    pub flow_uuid: Option<String>,
    /// processing, sent, scheduled, started (a flow), failed, cancelled.
    pub status: String,
    pub broadcast: Option<String>,
    /// Contact uuids the recipients resolved to.
    pub contacts: Vec<String>,
    /// Recipients that resolved to no contact, as given.
    pub unresolved: Vec<String>,
    pub error: Option<String>,
    #[serde(skip)]
    pub resource: serde_json::Value,
    #[serde(skip)]
    pub broadcast_id: Option<i64>,
    pub created_on: String,
    pub modified_on: String,
}

/// A request with the progress of its broadcast, if it has one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestProgress {
    #[serde(flatten)]
    pub request: RequestRow,
    pub progress: Option<BroadcastProgress>,
    /// Its broadcast's status (`queued` while messages are unsettled, then
    /// `completed`; `recurring` until its schedule ends).
    pub broadcast_status: Option<String>,
}

const COLS: &str = "r.id, r.source, r.registry, r.request_id, r.parent_id, r.kind, r.flow_uuid, r.status, \
    r.broadcast_id, b.uuid AS broadcast_uuid, r.resource, r.contacts, r.unresolved, r.error, r.created_on, r.modified_on";
const FROM: &str = "registry_requests r LEFT JOIN broadcasts b ON b.id = r.broadcast_id";

fn row(r: &sqlx::any::AnyRow) -> Result<RequestRow> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        registry: r.try_get("registry")?,
        request_id: r.try_get("request_id")?,
        parent_id: r.try_get("parent_id")?,
        kind: r.try_get("kind")?,
        flow_uuid: r.try_get("flow_uuid")?,
        status: r.try_get("status")?,
        broadcast: r.try_get("broadcast_uuid")?,
        broadcast_id: r.try_get("broadcast_id")?,
        contacts: parse_json("request contacts", &r.try_get::<String, _>("contacts")?)?,
        unresolved: parse_json("request unresolved", &r.try_get::<String, _>("unresolved")?)?,
        error: r.try_get("error")?,
        resource: parse_json("request resource", &r.try_get::<String, _>("resource")?)?,
        created_on: rfc3339(r.try_get("created_on")?),
        modified_on: rfc3339(r.try_get("modified_on")?),
    })
}

impl Store {
    /// Record a request; `false` if its id is already known (someone acted
    /// on it, or is acting on it now).
    pub async fn insert_request(&self, new: &NewRequest) -> Result<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO registry_requests (id, source, registry, request_id, parent_id, kind, flow_uuid, status, \
             resource, created_on, modified_on) VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9, $9) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&new.id)
        .bind(new.source)
        .bind(new.registry.as_deref())
        .bind(&new.request_id)
        .bind(new.parent_id.as_deref())
        .bind(new.kind)
        .bind(new.flow_uuid.as_deref())
        .bind(new.resource.to_string())
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Record what acting on a request did.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_request(
        &self,
        id: &str,
        status: &str,
        registry: Option<&str>,
        broadcast_id: Option<i64>,
        contacts: &[String],
        unresolved: &[String],
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE registry_requests SET status = $2, registry = COALESCE($3, registry), broadcast_id = $4, \
             contacts = $5, unresolved = $6, error = $7, modified_on = $8, written = 0 WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(registry)
        .bind(broadcast_id)
        .bind(serde_json::to_string(contacts).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(unresolved).unwrap_or_else(|_| "[]".into()))
        .bind(error)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    pub async fn get_request(&self, id: &str) -> Result<RequestRow> {
        let sql = format!("SELECT {COLS} FROM {FROM} WHERE r.id = $1");
        let r = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("request {id}")))?;
        row(&r)
    }

    /// Requests by status (`failed`, ...), oldest first.
    pub async fn requests_with_status(&self, status: &str, limit: i64) -> Result<Vec<RequestRow>> {
        let sql = format!("SELECT {COLS} FROM {FROM} WHERE r.status = $1 ORDER BY r.created_on LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(status)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row).collect()
    }

    /// A request and its broadcast's progress.
    pub async fn request_progress(&self, id: &str) -> Result<RequestProgress> {
        let request = self.get_request(id).await?;
        let (progress, broadcast_status) = match &request.broadcast {
            Some(b) => {
                let b = self.get_broadcast(b).await?;
                (Some(b.progress), Some(b.status))
            }
            None => (None, None),
        };
        Ok(RequestProgress {
            request,
            progress,
            broadcast_status,
        })
    }

    /// Stop a request: its broadcast or flow start (and future firings) is
    /// cancelled.
    pub async fn cancel_request(&self, id: &str) -> Result<RequestRow> {
        let request = self.get_request(id).await?;
        if let Some(b) = &request.broadcast {
            self.cancel_broadcast(b).await?;
        }
        let start: Option<i64> = sqlx::query("SELECT start_id FROM registry_requests WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?
            .try_get("start_id")?;
        if let Some(start) = start {
            self.cancel_start_id(start).await?;
        }
        sqlx::query(
            "UPDATE registry_requests SET status = 'cancelled', modified_on = $2, written = 0 WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        self.get_request(id).await
    }

    /// Which of `ids` are already recorded.
    pub async fn known_requests(&self, ids: &[String]) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(super::UPSERT_CHUNK) {
            let sql = format!(
                "SELECT id FROM registry_requests WHERE id IN ({})",
                in_list(0, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get("id")?);
            }
        }
        Ok(out)
    }

    /// emNutt-API requests of `registry` not yet stored on it.
    pub async fn unwritten_requests(&self, registry: &str, limit: i64) -> Result<Vec<RequestRow>> {
        let sql = format!(
            "SELECT {COLS} FROM {FROM} WHERE r.registry = $1 AND r.source = 'emnutt' AND r.written = 0 \
             ORDER BY r.created_on LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(registry)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row).collect()
    }

    pub async fn mark_request_written(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE registry_requests SET written = 1 WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
