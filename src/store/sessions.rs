//! Flow sessions as the store keeps them: the engine's JSON while a contact
//! is waiting, and everything one sprint of the engine produced written in
//! one transaction — session, runs, results, contact changes, outbound
//! messages, follow-up starts and broadcasts — so that a crash leaves either
//! all of it or none. A session row carries a version: a writer that read
//! an older version loses (another node or task resumed it first).

use sqlx::{Any, Row, Transaction};

use super::contacts::ContactChanges;
use super::{NewOutMsg, Result, Store};
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

/// A waiting session from a row that selected [`WAITING_COLS`] (from
/// `sessions s`, alone or joined); `None` when a join found none.
pub(super) fn waiting(r: &sqlx::any::AnyRow) -> Result<Option<WaitingSession>> {
    let Some(id) = r.try_get::<Option<i64>, _>("s_id")? else {
        return Ok(None);
    };
    Ok(Some(WaitingSession {
        id,
        uuid: r.try_get("s_uuid")?,
        contact_id: r.try_get("s_contact_id")?,
        flow_uuid: r.try_get("s_flow_uuid")?,
        state: r.try_get::<Option<String>, _>("s_state")?.unwrap_or_default(),
        version: r.try_get("s_version")?,
        timeout_on: r.try_get("s_timeout_on")?,
        expires_on: r.try_get("s_expires_on")?,
    }))
}

/// The columns [`waiting`] reads, from `sessions` aliased `s`.
pub(super) const WAITING_COLS: &str = "s.id AS s_id, s.uuid AS s_uuid, s.contact_id AS s_contact_id, \
     s.flow_uuid AS s_flow_uuid, s.state AS s_state, s.version AS s_version, s.timeout_on AS s_timeout_on, \
     s.expires_on AS s_expires_on";

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
pub(super) async fn interrupt_waiting(
    tx: &mut Transaction<'_, Any>,
    contact_id: i64,
    now: Millis,
) -> Result<bool> {
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
            "SELECT {WAITING_COLS} FROM sessions s WHERE s.contact_id = $1 AND s.status = 'waiting'"
        ))
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.as_ref().map(waiting).transpose()?.flatten())
    }

    /// Waiting sessions whose wait timed out or which expired by `now`.
    pub async fn due_sessions(&self, now: Millis, limit: i64) -> Result<Vec<WaitingSession>> {
        let rows = sqlx::query(&format!(
            "SELECT {WAITING_COLS} FROM sessions s WHERE s.status = 'waiting' AND \
             (s.timeout_on <= $1 OR s.expires_on <= $1) ORDER BY s.id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().filter_map(|r| waiting(r).transpose()).collect()
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

    /// Write one sprint's effects in one transaction. Sprints written at
    /// the same moment share a transaction (group commit, see
    /// `store::group_commit`); each still stands or falls alone.
    pub async fn apply_sprint(&self, w: &SprintWrite) -> Result<Applied> {
        let types = self.sprint_field_types(w).await?;
        self.committer().apply(w.clone(), types).await
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
