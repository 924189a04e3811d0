//! Flow runs of contacts linked to a registry, after the registry's run
//! cursor, however they were started: each finished one becomes a
//! `QuestionnaireResponse`, one started by a registry request also a
//! per-recipient result, and an HR update flow's may change a role. The
//! cursor moves only when the registry answered for a batch.

use std::collections::HashMap;

use sqlx::Row;

use super::super::{in_list, Result, Store};
use super::ensure_state;
use crate::core::time::{now_ms, Millis};

/// One run, with what the registry needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBackRun {
    pub id: i64,
    pub modified_on: Millis,
    pub uuid: String,
    pub flow_uuid: String,
    /// active, waiting, completed, expired, interrupted, failed
    pub status: String,
    pub responded: bool,
    pub created_on: Millis,
    pub exited_on: Option<Millis>,
    pub practitioner_id: String,
    pub contact_uuid: String,
    /// The registry request that started it (its row id and the
    /// `CommunicationRequest` id on the registry), if any.
    pub request: Option<RunRequest>,
    /// Its results in the order they were saved.
    pub results: Vec<RunResultRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub row_id: String,
    pub request_id: String,
    pub start_uuid: String,
    pub start_created_on: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResultRow {
    pub key: String,
    pub name: String,
    pub value: String,
    pub category: String,
    pub node_uuid: String,
    pub created_on: Millis,
}

impl Store {
    /// Runs of contacts linked to `registry`, after the cursor `(modified_on,
    /// id)` and modified before `before`, oldest first. A contact linked to
    /// two practitioners of the registry yields the run once per practitioner.
    pub async fn runs_to_write_back(
        &self,
        registry: &str,
        after: (Millis, i64),
        before: Millis,
        limit: i64,
    ) -> Result<Vec<WriteBackRun>> {
        let rows = sqlx::query(
            "SELECT r.id, r.modified_on, r.uuid, r.flow_uuid, r.status, r.responded, r.created_on, r.exited_on, \
             rc.practitioner_id, c.uuid AS contact_uuid, rr.id AS req_row, rr.request_id, \
             fs.uuid AS start_uuid, fs.created_on AS start_created_on \
             FROM runs r JOIN registry_contacts rc ON rc.contact_id = r.contact_id AND rc.registry = $1 \
             JOIN contacts c ON c.id = r.contact_id \
             LEFT JOIN flow_starts fs ON fs.id = r.start_id \
             LEFT JOIN registry_requests rr ON rr.start_id = r.start_id AND r.start_id IS NOT NULL AND rr.registry = $1 \
             WHERE r.modified_on < $4 AND (r.modified_on > $2 OR (r.modified_on = $2 AND r.id > $3)) \
             ORDER BY r.modified_on, r.id LIMIT $5",
        )
        .bind(registry)
        .bind(after.0)
        .bind(after.1)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut runs = Vec::with_capacity(rows.len());
        for r in &rows {
            let req_row: Option<String> = r.try_get("req_row")?;
            let request = match req_row {
                Some(row_id) => Some(RunRequest {
                    row_id,
                    request_id: r.try_get("request_id")?,
                    start_uuid: r.try_get::<Option<String>, _>("start_uuid")?.unwrap_or_default(),
                    start_created_on: r.try_get::<Option<Millis>, _>("start_created_on")?.unwrap_or(0),
                }),
                None => None,
            };
            runs.push(WriteBackRun {
                id: r.try_get("id")?,
                modified_on: r.try_get("modified_on")?,
                uuid: r.try_get("uuid")?,
                flow_uuid: r.try_get("flow_uuid")?,
                status: r.try_get("status")?,
                responded: r.try_get::<i64, _>("responded")? != 0,
                created_on: r.try_get("created_on")?,
                exited_on: r.try_get("exited_on")?,
                practitioner_id: r.try_get("practitioner_id")?,
                contact_uuid: r.try_get("contact_uuid")?,
                request,
                results: Vec::new(),
            });
        }
        let mut ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut results: HashMap<i64, Vec<RunResultRow>> = HashMap::new();
        for chunk in ids.chunks(super::UPSERT_CHUNK) {
            let sql = format!(
                "SELECT run_id, key, name, value, category, node_uuid, created_on FROM run_results \
                 WHERE run_id IN ({}) ORDER BY run_id, created_on, key",
                in_list(0, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                results
                    .entry(r.try_get("run_id")?)
                    .or_default()
                    .push(RunResultRow {
                        key: r.try_get("key")?,
                        name: r.try_get("name")?,
                        value: r.try_get("value")?,
                        category: r.try_get("category")?,
                        node_uuid: r.try_get("node_uuid")?,
                        created_on: r.try_get("created_on")?,
                    });
            }
        }
        for run in &mut runs {
            run.results = results.get(&run.id).cloned().unwrap_or_default();
        }
        Ok(runs)
    }

    pub async fn run_cursor(&self, registry: &str) -> Result<(Millis, i64)> {
        let row = sqlx::query("SELECT run_cursor_on, run_cursor_id FROM registry_state WHERE registry = $1")
            .bind(registry)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => (r.try_get("run_cursor_on")?, r.try_get("run_cursor_id")?),
            None => (0, 0),
        })
    }

    pub async fn set_run_cursor(&self, registry: &str, cursor: (Millis, i64)) -> Result<()> {
        ensure_state(&self.pool, registry).await?;
        sqlx::query(
            "UPDATE registry_state SET run_cursor_on = $2, run_cursor_id = $3, modified_on = $4 WHERE registry = $1",
        )
        .bind(registry)
        .bind(cursor.0)
        .bind(cursor.1)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// The flow start a flow request created.
    pub async fn set_request_start(&self, request_row: &str, start_uuid: &str) -> Result<()> {
        sqlx::query(
            "UPDATE registry_requests SET start_id = (SELECT id FROM flow_starts WHERE uuid = $2) WHERE id = $1",
        )
        .bind(request_row)
        .bind(start_uuid)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}

impl Store {
    /// One stored flow definition (JSON text), `None` if the flow is unknown.
    pub async fn flow_definition(&self, flow_uuid: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT definition FROM flows WHERE uuid = $1")
            .bind(flow_uuid)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("definition"))
            .transpose()?)
    }
}
