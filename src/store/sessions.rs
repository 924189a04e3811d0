//! Flow sessions as the store keeps them: the engine's JSON while a contact
//! is waiting, and everything one sprint of the engine produced written in
//! one transaction — session, runs, results, contact changes, outbound
//! messages, follow-up starts and broadcasts — so that a crash leaves either
//! all of it or none. A session row carries a version: a writer that read
//! an older version loses (another node or task resumed it first).

use sqlx::{Any, Row, Transaction};

use super::contacts::{apply_changes, ContactChanges};
use super::msgs::insert_out;
use super::{is_unique_violation, NewOutMsg, Result, Store};
use crate::core::time::{now_ms, Millis};

/// A session waiting for its contact.
#[derive(Debug, Clone)]
pub struct WaitingSession {
    pub id: i64,
    pub uuid: String,
    pub contact_id: i64,
    pub flow_uuid: String,
    pub state: String,
    pub version: i64,
    pub timeout_on: Option<Millis>,
    pub expires_on: Option<Millis>,
}

/// The session as it stands after a sprint.
#[derive(Debug, Clone)]
pub struct SessionWrite {
    pub uuid: String,
    /// waiting, completed, interrupted, expired, failed
    pub status: String,
    pub flow_uuid: String,
    /// The engine's JSON while waiting; `None` once ended.
    pub state: Option<String>,
    pub timeout_on: Option<Millis>,
    pub expires_on: Option<Millis>,
    /// `(row id, version read)` when resuming a stored session.
    pub prior: Option<(i64, i64)>,
}

/// A run as it stands after a sprint, with the results it changed.
#[derive(Debug, Clone)]
pub struct RunWrite {
    pub uuid: String,
    pub flow_uuid: String,
    pub status: String,
    pub responded: bool,
    pub created_on: Millis,
    pub exited_on: Option<Millis>,
    pub results: Vec<ResultWrite>,
}

#[derive(Debug, Clone)]
pub struct ResultWrite {
    pub key: String,
    pub name: String,
    pub value: String,
    pub category: String,
    pub input: Option<String>,
    pub node_uuid: String,
    pub created_on: Millis,
}

/// Bookkeeping finished in the same transaction as the sprint it caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// One contact of a flow start was started (1) or skipped (2).
    StartContact {
        start_id: i64,
        contact_id: i64,
        done: i64,
    },
    /// A campaign event fired for one contact.
    EventFire { fire_id: i64, outcome: String },
}

/// A flow start requested by a flow (`start_session`).
#[derive(Debug, Clone)]
pub struct FollowUpStart {
    pub flow_uuid: String,
    pub recipients: super::Recipients,
    pub params: Option<serde_json::Value>,
    pub origin: String,
}

/// Everything one sprint produced for one contact.
#[derive(Debug, Clone)]
pub struct SprintWrite {
    pub contact_id: i64,
    pub session: SessionWrite,
    pub runs: Vec<RunWrite>,
    pub contact: ContactChanges,
    pub msgs: Vec<NewOutMsg>,
    /// End the contact's other waiting session (a new flow replaces it).
    pub interrupt_waiting: bool,
    /// The flow start the session came from, for its runs.
    pub start_id: Option<i64>,
    pub completions: Vec<Completion>,
    pub starts: Vec<FollowUpStart>,
    pub broadcasts: Vec<super::NewBroadcast>,
    /// The inbound message this sprint acts on, marked handled with it.
    pub handled_msg: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Written; the session's row id.
    Written(i64),
    /// Someone else changed the session (or started another) first; nothing
    /// was written.
    Stale,
}

fn waiting(r: &sqlx::any::AnyRow) -> Result<WaitingSession> {
    Ok(WaitingSession {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        contact_id: r.try_get("contact_id")?,
        flow_uuid: r.try_get("flow_uuid")?,
        state: r.try_get::<Option<String>, _>("state")?.unwrap_or_default(),
        version: r.try_get("version")?,
        timeout_on: r.try_get("timeout_on")?,
        expires_on: r.try_get("expires_on")?,
    })
}

const WAITING_COLS: &str = "id, uuid, contact_id, flow_uuid, state, version, timeout_on, expires_on";

/// End the runs of sessions that are ended by something outside the engine.
async fn end_runs(
    tx: &mut Transaction<'_, Any>,
    session_ids: &[i64],
    status: &str,
    now: Millis,
) -> Result<()> {
    for id in session_ids {
        sqlx::query(
            "UPDATE runs SET status = $1, exited_on = $2, modified_on = $2 \
             WHERE session_id = $3 AND status IN ('active', 'waiting')",
        )
        .bind(status)
        .bind(now)
        .bind(*id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// End the contact's waiting session, if any, and its open runs, as
/// interrupted. Returns whether one was waiting.
async fn interrupt_waiting(tx: &mut Transaction<'_, Any>, contact_id: i64, now: Millis) -> Result<bool> {
    let ids: Vec<i64> = sqlx::query("SELECT id FROM sessions WHERE contact_id = $1 AND status = 'waiting'")
        .bind(contact_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
    sqlx::query(
        "UPDATE sessions SET status = 'interrupted', state = NULL, version = version + 1, ended_on = $1, \
         modified_on = $1 WHERE contact_id = $2 AND status = 'waiting'",
    )
    .bind(now)
    .bind(contact_id)
    .execute(&mut **tx)
    .await?;
    end_runs(tx, &ids, "interrupted", now).await?;
    Ok(!ids.is_empty())
}

impl Store {
    /// The session the contact is waiting in, if any.
    pub async fn waiting_session(&self, contact_id: i64) -> Result<Option<WaitingSession>> {
        let r = sqlx::query(&format!(
            "SELECT {WAITING_COLS} FROM sessions WHERE contact_id = $1 AND status = 'waiting'"
        ))
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(waiting).transpose()
    }

    /// Waiting sessions whose wait timed out or which expired by `now`.
    pub async fn due_sessions(&self, now: Millis, limit: i64) -> Result<Vec<WaitingSession>> {
        let rows = sqlx::query(&format!(
            "SELECT {WAITING_COLS} FROM sessions WHERE status = 'waiting' AND \
             (timeout_on <= $1 OR expires_on <= $1) ORDER BY id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(waiting).collect()
    }

    /// Sessions of a contact, newest first (for the API).
    pub async fn contact_sessions(&self, contact_id: i64, limit: i64) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT uuid, status, flow_uuid, created_on, ended_on FROM sessions WHERE contact_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(contact_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "uuid": r.try_get::<String, _>("uuid")?,
                    "status": r.try_get::<String, _>("status")?,
                    "flow": r.try_get::<String, _>("flow_uuid")?,
                    "created_on": crate::core::time::rfc3339(r.try_get("created_on")?),
                    "ended_on": r.try_get::<Option<i64>, _>("ended_on")?.map(crate::core::time::rfc3339),
                }))
            })
            .collect()
    }

    /// End a contact's waiting session without the engine (the contact
    /// stopped, was blocked or deleted). Returns whether one was waiting.
    pub async fn interrupt_session(&self, contact_id: i64) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let ended = interrupt_waiting(&mut tx, contact_id, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Write one sprint's effects in one transaction.
    pub async fn apply_sprint(&self, w: &SprintWrite) -> Result<Applied> {
        let types = self.sprint_field_types(w).await?;
        let mut tx = self.begin_write().await?;
        match write_sprint(&mut tx, w, &types).await? {
            Applied::Stale => {
                tx.rollback().await?;
                Ok(Applied::Stale)
            }
            written => {
                tx.commit().await?;
                Ok(written)
            }
        }
    }

    /// The field types a sprint's contact changes need (none when it changes
    /// no field or group).
    pub(super) async fn sprint_field_types(
        &self,
        w: &SprintWrite,
    ) -> Result<std::collections::HashMap<String, crate::core::contact::FieldType>> {
        if w.contact.fields.is_empty()
            && w.contact.groups_added.is_empty()
            && w.contact.groups_removed.is_empty()
        {
            return Ok(Default::default());
        }
        self.field_types().await
    }

    /// Record completions that needed no sprint (a skipped contact); false
    /// when one was already recorded.
    pub async fn complete(&self, completions: &[Completion]) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let fresh = write_completions(&mut tx, completions, now).await?;
        tx.commit().await?;
        Ok(fresh)
    }
}

/// Write one sprint's effects inside `tx`. On `Stale` nothing more should be
/// written: the caller rolls the transaction back.
pub(super) async fn write_sprint(
    tx: &mut Transaction<'_, Any>,
    w: &SprintWrite,
    types: &std::collections::HashMap<String, crate::core::contact::FieldType>,
) -> Result<Applied> {
    let now = now_ms();
    // 1. The session itself, guarded by its version.
    let session_id = match w.session.prior {
        Some((id, version)) => {
            let res = sqlx::query(
                "UPDATE sessions SET status = $1, flow_uuid = $2, state = $3, version = version + 1, \
                 timeout_on = $4, expires_on = $5, modified_on = $6, ended_on = $7 \
                 WHERE id = $8 AND version = $9 AND status = 'waiting'",
            )
            .bind(&w.session.status)
            .bind(&w.session.flow_uuid)
            .bind(w.session.state.as_deref())
            .bind(w.session.timeout_on)
            .bind(w.session.expires_on)
            .bind(now)
            .bind((w.session.status != "waiting").then_some(now))
            .bind(id)
            .bind(version)
            .execute(&mut **tx)
            .await?;
            if res.rows_affected() == 0 {
                return Ok(Applied::Stale);
            }
            id
        }
        None => {
            if w.interrupt_waiting {
                interrupt_waiting(tx, w.contact_id, now).await?;
            }
            let res = sqlx::query(
                "INSERT INTO sessions (uuid, contact_id, status, flow_uuid, state, timeout_on, expires_on, \
                 created_on, modified_on, ended_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id",
            )
            .bind(&w.session.uuid)
            .bind(w.contact_id)
            .bind(&w.session.status)
            .bind(&w.session.flow_uuid)
            .bind(w.session.state.as_deref())
            .bind(w.session.timeout_on)
            .bind(w.session.expires_on)
            .bind(now)
            .bind((w.session.status != "waiting").then_some(now))
            .fetch_one(&mut **tx)
            .await;
            match res {
                Ok(r) => r.try_get("id")?,
                // Another session started waiting for this contact meanwhile.
                Err(e) if is_unique_violation(&e) => {
                    return Ok(Applied::Stale);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };

    // 2. Runs and the results they changed.
    for run in &w.runs {
        let run_id: i64 = sqlx::query(
            "INSERT INTO runs (uuid, session_id, contact_id, flow_uuid, status, responded, start_id, \
             created_on, modified_on, exited_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (uuid) DO UPDATE SET status = $5, responded = CASE WHEN runs.responded = 1 THEN 1 ELSE $6 END, \
             modified_on = $9, exited_on = $10 \
             RETURNING id",
        )
        .bind(&run.uuid)
        .bind(session_id)
        .bind(w.contact_id)
        .bind(&run.flow_uuid)
        .bind(&run.status)
        .bind(i64::from(run.responded))
        .bind(w.start_id)
        .bind(run.created_on)
        .bind(now)
        .bind(run.exited_on)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        for r in &run.results {
            sqlx::query(
                "INSERT INTO run_results (run_id, flow_uuid, key, name, value, category, input, node_uuid, \
                 created_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (run_id, key) DO UPDATE \
                 SET name = $4, value = $5, category = $6, input = $7, node_uuid = $8, created_on = $9",
            )
            .bind(run_id)
            .bind(&run.flow_uuid)
            .bind(&r.key)
            .bind(&r.name)
            .bind(&r.value)
            .bind(&r.category)
            .bind(r.input.as_deref())
            .bind(&r.node_uuid)
            .bind(r.created_on)
            .execute(&mut **tx)
            .await?;
        }
    }

    // 3. The contact, 4. the outbox, 5. what the flow asked for next.
    apply_changes(tx, w.contact_id, &w.contact, types).await?;
    insert_out(tx, &w.msgs).await?;
    for s in &w.starts {
        super::starts::insert_start(
            tx,
            &s.flow_uuid,
            &s.recipients,
            &Default::default(),
            s.params.as_ref(),
            &s.origin,
        )
        .await?;
    }
    for b in &w.broadcasts {
        super::broadcasts::insert_broadcast(tx, b, now).await?;
    }
    if !write_completions(tx, &w.completions, now).await? {
        return Ok(Applied::Stale);
    }
    if let Some(id) = w.handled_msg {
        super::msgs::mark_handled_in(tx, id).await?;
    }
    Ok(Applied::Written(session_id))
}

/// Mark completions; false when one was already done (by another node).
pub(super) async fn write_completions(
    tx: &mut Transaction<'_, Any>,
    completions: &[Completion],
    now: Millis,
) -> Result<bool> {
    for c in completions {
        match c {
            Completion::StartContact {
                start_id,
                contact_id,
                done,
            } => {
                let res = sqlx::query(
                    "UPDATE flow_start_contacts SET done = $1 WHERE start_id = $2 AND contact_id = $3 AND done = 0",
                )
                .bind(*done)
                .bind(*start_id)
                .bind(*contact_id)
                .execute(&mut **tx)
                .await?;
                if res.rows_affected() == 0 {
                    return Ok(false);
                }
            }
            Completion::EventFire { fire_id, outcome } => {
                let res = sqlx::query(
                    "UPDATE event_fires SET fired_on = $1, outcome = $2 WHERE id = $3 AND fired_on IS NULL",
                )
                .bind(now)
                .bind(outcome)
                .bind(*fire_id)
                .execute(&mut **tx)
                .await?;
                if res.rows_affected() == 0 {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}
