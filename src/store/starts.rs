//! Flow starts: a flow started for many contacts at once (through the API,
//! by a flow's `start_session`, by the registry), now, at a time, or on a
//! recurring schedule (each firing a start of its own, as a recurring
//! broadcast's are; see `firings`). A start is accepted as one row, then
//! materialised into one row per contact, each marked done in the
//! transaction that starts (or skips) that contact, so a crash resumes
//! exactly where it stopped. A start is `completed` when every contact is
//! started or skipped: it does not wait on the messages the flow sends.
//! Cancelling marks the contacts not yet started as cancelled, which also
//! makes a sprint already under way for one of them stale.

use std::collections::BTreeSet;

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::audience::{Accepted, Reach};
use super::firings::{self, DueFiring, SendTable};
use super::{in_list, parse_json, Paging, Recipients, Result, Store, StoreError};
use crate::core::time::{now_ms, rfc3339, Millis, Schedule};

/// Contacts contacted per batch when materialising.
const INSERT_CHUNK: usize = 400;
/// `flow_start_contacts.done` of a contact left out because its start was
/// cancelled (0 to do, 1 started and 2 skipped are `dispatch::starts`').
const DONE_CANCELLED: i64 = 3;
/// Statuses of a start that has not finished: it may still be cancelled.
const OPEN: &str = "'pending', 'starting', 'scheduled', 'recurring', 'paused'";

/// A start as requested.
#[derive(Debug, Clone, Default)]
pub struct NewStart {
    pub flow: String,
    pub recipients: Recipients,
    pub exclusions: Exclusions,
    pub params: Option<serde_json::Value>,
    /// api, flow_action, campaign, registry.
    pub origin: String,
    /// Once at a time or recurring; none starts now.
    pub schedule: Option<Schedule>,
}

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

/// Contacts by what became of them; a recurring start's are those of all
/// its firings so far.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StartProgress {
    pub started: i64,
    pub skipped: i64,
    pub remaining: i64,
    pub cancelled: i64,
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
    pub schedule: Option<Schedule>,
    /// pending, scheduled, recurring, starting, paused, completed,
    /// cancelled, failed
    pub status: String,
    /// The status as a send's life reads (see `sends::send_state`).
    pub state: &'static str,
    /// The recurring start this one is a firing of.
    pub parent: Option<String>,
    pub next_fire: Option<String>,
    pub contact_count: i64,
    pub progress: StartProgress,
    pub error: Option<String>,
    /// Why a firing reached nobody.
    pub note: Option<String>,
    pub created_on: String,
    pub modified_on: String,
}

const COLS: &str = "s.id, s.uuid, s.flow_uuid, s.recipients, s.exclusions, s.params, s.origin, s.schedule, \
    s.status, p.uuid AS parent_uuid, s.fire_on, s.contact_count, s.error, s.note, s.created_on, s.modified_on";
const FROM: &str = "flow_starts s LEFT JOIN flow_starts p ON p.id = s.parent_id";

fn start_row(r: &sqlx::any::AnyRow) -> Result<FlowStart> {
    let params: Option<String> = r.try_get("params")?;
    let schedule: Option<String> = r.try_get("schedule")?;
    Ok(FlowStart {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        flow: r.try_get("flow_uuid")?,
        recipients: parse_json("start recipients", &r.try_get::<String, _>("recipients")?)?,
        exclusions: parse_json("start exclusions", &r.try_get::<String, _>("exclusions")?)?,
        params: params.map(|p| parse_json("start params", &p)).transpose()?,
        origin: r.try_get("origin")?,
        schedule: schedule.map(|s| parse_json("start schedule", &s)).transpose()?,
        state: super::sends::send_state(&r.try_get::<String, _>("status")?),
        status: r.try_get("status")?,
        parent: r.try_get("parent_uuid")?,
        next_fire: r.try_get::<Option<i64>, _>("fire_on")?.map(rfc3339),
        contact_count: r.try_get("contact_count")?,
        progress: StartProgress::default(),
        error: r.try_get("error")?,
        note: r.try_get("note")?,
        created_on: rfc3339(r.try_get("created_on")?),
        modified_on: rfc3339(r.try_get("modified_on")?),
    })
}

/// Insert a start inside an open transaction (`pending`, or `scheduled` /
/// `recurring` with its first firing); returns its UUID.
pub(super) async fn insert_start(tx: &mut Transaction<'_, Any>, s: &NewStart) -> Result<String> {
    let uuid = Uuid::new_v4().to_string();
    let now = now_ms();
    let (status, fire_on) = firings::first_firing(s.schedule.as_ref(), now)?;
    sqlx::query(
        "INSERT INTO flow_starts (uuid, flow_uuid, recipients, exclusions, params, origin, schedule, status, \
         fire_on, created_on, modified_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&uuid)
    .bind(&s.flow)
    .bind(serde_json::to_string(&s.recipients).unwrap_or_default())
    .bind(serde_json::to_string(&s.exclusions).unwrap_or_default())
    .bind(s.params.as_ref().map(|p| p.to_string()))
    .bind(&s.origin)
    .bind(
        s.schedule
            .as_ref()
            .map(|sch| serde_json::to_string(sch).unwrap_or_default()),
    )
    .bind(status)
    // A start to go now needs no firing: the start worker takes pending ones.
    .bind(fire_on.filter(|_| s.schedule.is_some()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(uuid)
}

impl Store {
    /// Validate and accept a start; the gateway's start worker runs it (a
    /// voice flow's start queues a call to each contact), the scheduler
    /// fires a scheduled one. One to go now that reaches nobody is refused
    /// unless `allow_empty`.
    pub async fn create_flow_start(
        &self,
        start: &NewStart,
        default_country: Option<&str>,
        allow_empty: bool,
    ) -> Result<Accepted<FlowStart>> {
        let flow = self
            .get_flow(&start.flow)
            .await
            .map_err(|_| StoreError::invalid("flow", format!("no flow {:?}", start.flow)))?;
        self.check_recipients(&start.recipients, default_country).await?;
        firings::check_schedule(start.schedule.as_ref())?;
        let warnings = self
            .empty_send_warnings(
                &start.recipients,
                default_country,
                Reach::Flow,
                start.schedule.is_some(),
                allow_empty,
            )
            .await?;
        let start = NewStart {
            flow: flow.uuid,
            ..start.clone()
        };
        let mut tx = self.begin_write().await?;
        let uuid = insert_start(&mut tx, &start).await?;
        tx.commit().await?;
        Ok(Accepted {
            send: self.get_flow_start(&uuid).await?,
            warnings,
        })
    }

    pub async fn get_flow_start(&self, uuid: &str) -> Result<FlowStart> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM {FROM} WHERE s.uuid = $1"))
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
            "SELECT {COLS} FROM {FROM} WHERE 1 = 1{}",
            page.sql("s.id")
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
            "SELECT done, COUNT(*) AS n FROM flow_start_contacts WHERE start_id IN \
             (SELECT id FROM flow_starts WHERE id = $1 OR parent_id = $1) GROUP BY done",
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
                DONE_CANCELLED => p.cancelled = n,
                _ => p.skipped = n,
            }
        }
        Ok(p)
    }

    /// Starts to work on: pending ones (to materialise) and starting ones
    /// (contacts left to start, e.g. after a crash).
    pub async fn open_flow_starts(&self) -> Result<Vec<FlowStart>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM {FROM} WHERE s.status IN ('pending', 'starting') ORDER BY s.id LIMIT 50"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(start_row).collect()
    }

    /// Record a start's contacts and mark it `starting`, with `note` (why
    /// it reaches nobody) if any; false when another node already did, or
    /// it was cancelled.
    pub async fn materialize_start(
        &self,
        id: i64,
        contacts: &BTreeSet<i64>,
        note: Option<&str>,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE flow_starts SET status = 'starting', contact_count = $1, note = $2, modified_on = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(contacts.len() as i64)
        .bind(note)
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

    /// Contacts of a start not yet started or skipped; none while it is
    /// paused.
    pub async fn start_todo(&self, id: i64, limit: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT contact_id FROM flow_start_contacts WHERE start_id = $1 AND done = 0 \
             AND NOT EXISTS (SELECT 1 FROM flow_starts WHERE id = $1 AND status = 'paused') \
             ORDER BY contact_id LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("contact_id")?))
            .collect()
    }

    /// Whether one contact of a start is still to be started (not started,
    /// skipped or cancelled) now (its start not paused).
    pub async fn start_contact_todo(&self, id: i64, contact_id: i64) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 AS x FROM flow_start_contacts WHERE start_id = $1 AND contact_id = $2 AND done = 0 \
             AND NOT EXISTS (SELECT 1 FROM flow_starts WHERE id = $1 AND status = 'paused')",
        )
        .bind(id)
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// Close a start that is still open: `completed`, or `failed` with a
    /// reason (a cancelled start stays cancelled). False when it was not
    /// open.
    pub async fn finish_start(&self, id: i64, error: Option<&str>) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE flow_starts SET status = $1, error = $2, modified_on = $3 \
             WHERE id = $4 AND status IN ('pending', 'starting')",
        )
        .bind(if error.is_some() { "failed" } else { "completed" })
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Stop a start, and the firings of a recurring one: no further
    /// firings, and the contacts not yet started are left out. A finished
    /// start is returned as it is.
    pub async fn cancel_flow_start(&self, uuid: &str) -> Result<FlowStart> {
        let s = self.get_flow_start(uuid).await?;
        self.cancel_start_id(s.id).await?;
        self.get_flow_start(uuid).await
    }

    pub(super) async fn cancel_start_id(&self, id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The contacts first, while the starts still read as open.
        sqlx::query(&format!(
            "UPDATE flow_start_contacts SET done = $1 WHERE done = 0 AND start_id IN \
             (SELECT id FROM flow_starts WHERE (id = $2 OR parent_id = $2) AND status IN ({OPEN}))"
        ))
        .bind(DONE_CANCELLED)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE flow_starts SET status = 'cancelled', fire_on = NULL, modified_on = $1 \
             WHERE (id = $2 OR parent_id = $2) AND status IN ({OPEN})"
        ))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Scheduled and recurring starts due to fire.
    pub async fn due_flow_starts(&self, now: Millis) -> Result<Vec<DueFiring>> {
        firings::due(&self.pool, SendTable::FlowStarts, "'scheduled', 'recurring'", now).await
    }

    /// Fire a due start: a scheduled one becomes `pending` for the start
    /// worker; a recurring one gets a pending child (its own start, the
    /// same flow, recipients, exclusions and params) and moves on to `next`.
    /// False when another node fired it first, or it was cancelled.
    pub async fn fire_flow_start(&self, due: &DueFiring, next: Option<Millis>) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if !due.is_recurring() {
            let res = sqlx::query(
                "UPDATE flow_starts SET status = 'pending', fire_on = NULL, modified_on = $1 \
                 WHERE id = $2 AND fire_on = $3 AND status = 'scheduled'",
            )
            .bind(now)
            .bind(due.id)
            .bind(due.fire_on)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(res.rows_affected() == 1);
        }
        if !firings::advance(&mut tx, SendTable::FlowStarts, due.id, due.fire_on, next, now).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO flow_starts (uuid, flow_uuid, recipients, exclusions, params, origin, status, parent_id, \
             created_on, modified_on) \
             SELECT $1, flow_uuid, recipients, exclusions, params, origin, 'pending', id, $2, $2 \
             FROM flow_starts WHERE id = $3",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(now)
        .bind(due.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
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
