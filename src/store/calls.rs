//! IVR calls: one row per call with its outcome, talk time, keys and
//! recordings; outbound calls are stored before they are dialled and carry
//! their retry schedule, so a restart picks up queued and retry-waiting
//! calls. An answered call's flow session is written like any sprint (the
//! session, `runs`, `run_results`, contact changes, messages the flow sent)
//! in the transaction that records the call; `call_runs` also keeps the
//! session as the call ran it, linked to the call.

use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::sessions::{write_completions, Applied, Completion, SprintWrite};
use super::sprint_write::write_sprint;
use super::{Dialect, Paging, Result, Store, StoreError};
use crate::core::time::{now_ms, rfc3339, Millis};

/// Where a call is in its life.
pub mod status {
    /// Waiting for its first attempt (or put back after a restart).
    pub const QUEUED: &str = "queued";
    /// Claimed by a node and being dialled or talked on.
    pub const ACTIVE: &str = "active";
    /// Busy or unanswered; tried again at `next_attempt_on`.
    pub const RETRY_WAIT: &str = "retry_wait";
    /// Answered and ended.
    pub const COMPLETED: &str = "completed";
    /// Not answered and no retry left, or not retryable.
    pub const FAILED: &str = "failed";
}

/// A call to store before dialling (outbound) or on answer (inbound).
#[derive(Debug, Clone)]
pub struct NewCall {
    pub trunk: String,
    pub direction: &'static str,
    pub contact_id: Option<i64>,
    pub urn: String,
    pub flow: String,
    pub status: &'static str,
    pub next_attempt_on: Option<Millis>,
}

/// A stored call.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallRow {
    pub id: i64,
    pub uuid: String,
    pub trunk: String,
    pub direction: String,
    pub contact_id: Option<i64>,
    pub urn: String,
    pub flow: String,
    pub status: String,
    pub outcome: Option<String>,
    pub sip_status: Option<i64>,
    pub attempts: i64,
    #[serde(serialize_with = "rfc3339::option")]
    pub next_attempt_on: Option<Millis>,
    #[serde(serialize_with = "rfc3339::option")]
    pub answered_on: Option<Millis>,
    #[serde(serialize_with = "rfc3339::option")]
    pub ended_on: Option<Millis>,
    pub duration_ms: i64,
    pub digits: String,
    pub recordings: Vec<String>,
    pub hangup_by: Option<String>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_on: Millis,
}

/// How an answered call went.
#[derive(Debug, Clone)]
pub struct CallTalk {
    pub answered_on: Millis,
    pub ended_on: Millis,
    pub digits: String,
    pub recordings: Vec<String>,
    pub hangup_by: String,
}

/// One voice flow session a call ran.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallRunRow {
    pub session_uuid: String,
    pub flow_uuid: String,
    pub status: String,
    pub results: serde_json::Value,
    pub session: serde_json::Value,
}

const COLUMNS: &str = "id, uuid, trunk, direction, contact_id, urn, flow, status, outcome, sip_status, \
     attempts, next_attempt_on, answered_on, ended_on, duration_ms, digits, recordings, hangup_by, created_on";

fn call_row(r: &AnyRow) -> Result<CallRow> {
    let recordings: String = r.try_get("recordings")?;
    Ok(CallRow {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        trunk: r.try_get("trunk")?,
        direction: r.try_get("direction")?,
        contact_id: r.try_get("contact_id")?,
        urn: r.try_get("urn")?,
        flow: r.try_get("flow")?,
        status: r.try_get("status")?,
        outcome: r.try_get("outcome")?,
        sip_status: r.try_get::<Option<i32>, _>("sip_status")?.map(i64::from),
        attempts: i64::from(r.try_get::<i32, _>("attempts")?),
        next_attempt_on: r.try_get("next_attempt_on")?,
        answered_on: r.try_get("answered_on")?,
        ended_on: r.try_get("ended_on")?,
        duration_ms: r.try_get("duration_ms")?,
        digits: r.try_get("digits")?,
        recordings: serde_json::from_str(&recordings)
            .map_err(|e| StoreError::Corrupt(format!("call recordings: {e}")))?,
        hangup_by: r.try_get("hangup_by")?,
        created_on: r.try_get("created_on")?,
    })
}

impl Store {
    /// Store a call; returns its row id.
    pub async fn insert_call(&self, new: &NewCall) -> Result<i64> {
        self.insert_call_completing(new, &[])
            .await?
            .ok_or_else(|| StoreError::Conflict("call not stored".into()))
    }

    /// Store an outbound call together with the bookkeeping of what started
    /// it (a flow start's contact, a campaign fire), in one transaction.
    /// `None` when that bookkeeping was already done (another node won).
    pub async fn insert_call_completing(
        &self,
        new: &NewCall,
        completions: &[Completion],
    ) -> Result<Option<i64>> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if !write_completions(&mut tx, completions, now).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        let row = sqlx::query(
            "INSERT INTO calls (uuid, trunk, direction, contact_id, urn, flow, status, next_attempt_on, \
             created_on, modified_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(&new.trunk)
        .bind(new.direction)
        .bind(new.contact_id)
        .bind(&new.urn)
        .bind(&new.flow)
        .bind(new.status)
        .bind(new.next_attempt_on)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        tx.commit().await?;
        Ok(Some(id))
    }

    pub async fn get_call(&self, id: i64) -> Result<CallRow> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM calls WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
        call_row(&row)
    }

    pub async fn get_call_by_uuid(&self, uuid: &str) -> Result<CallRow> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM calls WHERE uuid = $1"))
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("call {uuid}")))?;
        call_row(&row)
    }

    pub async fn list_calls(&self, page: &Paging) -> Result<Vec<CallRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM calls WHERE 1 = 1{}",
            page.sql("id")
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(call_row).collect()
    }

    /// Claim up to `limit` outbound calls of `trunk` that are due, counting an
    /// attempt for each. Concurrent nodes skip each other's rows on PostgreSQL.
    pub async fn claim_due_calls(&self, node: &str, trunk: &str, limit: u32) -> Result<Vec<CallRow>> {
        let now = now_ms();
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE calls SET status = 'active', claimed_by = $1, attempts = attempts + 1, modified_on = $2 \
             WHERE id IN (SELECT id FROM calls WHERE trunk = $3 AND direction = 'out' \
             AND status IN ('queued', 'retry_wait') AND next_attempt_on <= $4 \
             ORDER BY next_attempt_on, id LIMIT $5{lock}) RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(node)
            .bind(now)
            .bind(trunk)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.writer())
            .await?;
        let mut calls = rows.iter().map(call_row).collect::<Result<Vec<_>>>()?;
        calls.sort_by_key(|c| c.id);
        Ok(calls)
    }

    /// Calls this node held when it stopped go back to the queue (the attempt
    /// that was cut short is not counted).
    pub async fn requeue_claimed_calls(&self, node: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE calls SET status = 'queued', claimed_by = NULL, attempts = attempts - 1, \
             next_attempt_on = $1, modified_on = $1 \
             WHERE claimed_by = $2 AND status = 'active' AND direction = 'out'",
        )
        .bind(now_ms())
        .bind(node)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected())
    }

    /// Put a claimed call back without counting the attempt (outside its
    /// calling window, or the trunk was full).
    pub async fn postpone_call(&self, id: i64, until: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE calls SET status = 'queued', claimed_by = NULL, attempts = attempts - 1, \
             next_attempt_on = $1, modified_on = $2 WHERE id = $3",
        )
        .bind(until)
        .bind(now_ms())
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// An attempt that was not answered: wait for `retry_at`, or fail for good.
    pub async fn record_unanswered(
        &self,
        id: i64,
        outcome: &str,
        sip_status: Option<u16>,
        retry_at: Option<Millis>,
    ) -> Result<()> {
        let status = if retry_at.is_some() {
            status::RETRY_WAIT
        } else {
            status::FAILED
        };
        sqlx::query(
            "UPDATE calls SET status = $1, outcome = $2, sip_status = $3, next_attempt_on = $4, \
             claimed_by = NULL, modified_on = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(outcome)
        .bind(sip_status.map(i32::from))
        .bind(retry_at)
        .bind(now_ms())
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// The call was answered and has ended: its record, the flow sessions it
    /// ran, and the flow's `sprint` (session, runs, results, contact changes,
    /// messages) in one transaction.
    pub async fn record_answered(
        &self,
        id: i64,
        talk: &CallTalk,
        runs: &[CallRunRow],
        sprint: Option<&SprintWrite>,
    ) -> Result<()> {
        let now = now_ms();
        let recordings = serde_json::to_string(&talk.recordings)
            .map_err(|e| StoreError::Corrupt(format!("call recordings: {e}")))?;
        let types = match sprint {
            Some(w) => self.sprint_field_types(w).await?,
            None => Default::default(),
        };
        let mut tx = self.begin_write().await?;
        if let Some(w) = sprint {
            // A new session of its own: it can only be stale if its UUID were
            // already stored, which would mean this call was recorded before.
            if write_sprint(&mut tx, w, &types).await? == Applied::Stale {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!(
                    "call {id}: session {} already stored",
                    w.session.uuid
                )));
            }
        }
        sqlx::query(
            "UPDATE calls SET status = 'completed', outcome = 'answered', sip_status = 200, \
             answered_on = $1, ended_on = $2, duration_ms = $3, digits = $4, recordings = $5, \
             hangup_by = $6, claimed_by = NULL, next_attempt_on = NULL, modified_on = $7 WHERE id = $8",
        )
        .bind(talk.answered_on)
        .bind(talk.ended_on)
        .bind(talk.ended_on - talk.answered_on)
        .bind(&talk.digits)
        .bind(recordings)
        .bind(&talk.hangup_by)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for run in runs {
            sqlx::query(
                "INSERT INTO call_runs (call_id, session_uuid, flow_uuid, status, results, session, created_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&run.session_uuid)
            .bind(&run.flow_uuid)
            .bind(&run.status)
            .bind(run.results.to_string())
            .bind(run.session.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn call_runs(&self, call_id: i64) -> Result<Vec<CallRunRow>> {
        let rows = sqlx::query(
            "SELECT session_uuid, flow_uuid, status, results, session FROM call_runs WHERE call_id = $1 ORDER BY id",
        )
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let json = |col: &str| -> Result<serde_json::Value> {
                    let text: String = r.try_get(col)?;
                    serde_json::from_str(&text)
                        .map_err(|e| StoreError::Corrupt(format!("call run {col}: {e}")))
                };
                Ok(CallRunRow {
                    session_uuid: r.try_get("session_uuid")?,
                    flow_uuid: r.try_get("flow_uuid")?,
                    status: r.try_get("status")?,
                    results: json("results")?,
                    session: json("session")?,
                })
            })
            .collect()
    }
}
