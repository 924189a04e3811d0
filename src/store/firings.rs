//! What scheduled and recurring sends share, broadcasts and flow starts
//! alike: the status and first firing a schedule gives at acceptance, the
//! sends due to fire, and moving a recurring send on to its next firing.
//!
//! A recurring send is a parent that never sends itself: each firing
//! inserts a child (a broadcast or a start of its own, which completes on
//! its own), and the parent stays `recurring` until its schedule has no
//! next firing, then is `completed`. A conditional update on the parent's
//! `fire_on` makes one node fire each occurrence.

use chrono_tz::Tz;
use sqlx::{Any, Row, Transaction};

use super::{parse_json, Result, StoreError};
use crate::core::time::{Millis, Schedule};

/// Due sends looked at per scheduler pass; the rest wait for the next.
const DUE_BATCH: i64 = 100;

/// The tables that hold sends, each with `status`, `schedule`, `fire_on`.
#[derive(Debug, Clone, Copy)]
pub(super) enum SendTable {
    Broadcasts,
    FlowStarts,
}

impl SendTable {
    fn name(self) -> &'static str {
        match self {
            SendTable::Broadcasts => "broadcasts",
            SendTable::FlowStarts => "flow_starts",
        }
    }
}

/// A send whose (next) firing is due.
#[derive(Debug, Clone)]
pub struct DueFiring {
    pub id: i64,
    /// `pending` (broadcasts only: accepted to go now), `scheduled` or
    /// `recurring`.
    pub status: String,
    pub fire_on: Millis,
    pub schedule: Option<Schedule>,
}

impl DueFiring {
    pub fn is_recurring(&self) -> bool {
        self.status == "recurring"
    }

    /// The firing after this one. A firing that comes late (the gateway was
    /// down) is fired once, not once per occurrence missed: the next is
    /// counted from now.
    pub fn next(&self, now: Millis, default_tz: Tz) -> Option<Millis> {
        self.schedule
            .as_ref()
            .and_then(|s| s.next_after(self.fire_on.max(now), default_tz))
    }
}

/// Refuse a schedule that names an unknown time zone, a weekly one without
/// days, or a bad cron expression.
pub(super) fn check_schedule(schedule: Option<&Schedule>) -> Result<()> {
    match schedule {
        Some(s) => s
            .validate()
            .map_err(|e| StoreError::invalid("schedule", e.to_string())),
        None => Ok(()),
    }
}

/// The status and first firing of a send accepted at `now`: `pending` now
/// without a schedule, else `scheduled` (once) or `recurring`.
pub(super) fn first_firing(
    schedule: Option<&Schedule>,
    now: Millis,
) -> Result<(&'static str, Option<Millis>)> {
    match schedule {
        None => Ok(("pending", Some(now))),
        Some(s) => match s.next_after(now - 1, chrono_tz::UTC) {
            Some(t) if s.is_recurring() => Ok(("recurring", Some(t))),
            Some(t) => Ok(("scheduled", Some(t))),
            None => Err(StoreError::invalid("schedule.at", "is in the past")),
        },
    }
}

/// Sends of `table` in one of `statuses` whose firing is due at `now`,
/// oldest first.
pub(super) async fn due(
    pool: &sqlx::AnyPool,
    table: SendTable,
    statuses: &str,
    now: Millis,
) -> Result<Vec<DueFiring>> {
    let sql = format!(
        "SELECT id, status, fire_on, schedule FROM {} WHERE status IN ({statuses}) AND fire_on <= $1 \
         ORDER BY fire_on, id LIMIT {DUE_BATCH}",
        table.name()
    );
    let rows = sqlx::query(&sql).bind(now).fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let schedule: Option<String> = r.try_get("schedule")?;
            Ok(DueFiring {
                id: r.try_get("id")?,
                status: r.try_get("status")?,
                fire_on: r.try_get("fire_on")?,
                schedule: schedule.map(|s| parse_json("schedule", &s)).transpose()?,
            })
        })
        .collect()
}

/// Move a recurring send from its firing at `fired` to `next` (none: its
/// schedule has ended and it is completed). False when another node
/// already fired it, or it was cancelled meanwhile.
pub(super) async fn advance(
    tx: &mut Transaction<'_, Any>,
    table: SendTable,
    id: i64,
    fired: Millis,
    next: Option<Millis>,
    now: Millis,
) -> Result<bool> {
    let sql = format!(
        "UPDATE {} SET fire_on = $1, status = $2, modified_on = $3 \
         WHERE id = $4 AND fire_on = $5 AND status = 'recurring'",
        table.name()
    );
    let res = sqlx::query(&sql)
        .bind(next)
        .bind(if next.is_some() { "recurring" } else { "completed" })
        .bind(now)
        .bind(id)
        .bind(fired)
        .execute(&mut **tx)
        .await?;
    Ok(res.rows_affected() == 1)
}
