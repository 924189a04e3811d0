//! Steering a send while it goes: pause, resume, retry the failed ones,
//! and its funnel (messages by status, overall and per carrier link, and
//! the failures grouped by reason).
//!
//! Pausing moves a broadcast's unsent messages (`queued`, `errored`) to
//! `paused`: the claim only takes `queued` and `errored` rows, so nothing
//! paused is sent, and nothing is lost (the rows stay, with their attempts
//! and times). Messages already with a link (`wired`) go on to be sent.
//! Resuming puts them back (`errored` again for those that had been tried,
//! due when they were). A paused broadcast is not completed; cancelling one
//! cancels its paused messages. A flow start is paused by its status: the
//! start worker starts none of its contacts until it is resumed.

use sqlx::Row;

use super::firings;
use super::{Result, Store, StoreError};
use crate::core::failure::{self, Described};
use crate::core::time::{now_ms, Schedule};
use crate::store::{Broadcast, BroadcastProgress, FlowStart};

/// A send's status as its life reads.
pub fn send_state(status: &str) -> &'static str {
    match status {
        "scheduled" | "recurring" => "scheduled",
        // Pending is accepted to go now (or a recurring send's firing).
        "pending" | "sending" | "queued" | "starting" => "sending",
        "paused" => "paused",
        "completed" => "completed",
        "cancelled" => "cancelled",
        _ => "failed",
    }
}

/// Whether a send in `state` will change no more.
pub fn finished(state: &str) -> bool {
    matches!(state, "completed" | "cancelled" | "failed")
}

/// One carrier link's share of a broadcast (messages not yet with a link
/// are counted under their route).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkFunnel {
    pub link: String,
    pub progress: BroadcastProgress,
}

/// Failed messages of one reason.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailureGroup {
    /// As the link said it.
    pub reason: String,
    pub count: i64,
    #[serde(flatten)]
    pub described: Described,
}

/// Where a broadcast's messages are.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Funnel {
    pub uuid: String,
    pub status: String,
    pub state: &'static str,
    pub progress: BroadcastProgress,
    pub per_link: Vec<LinkFunnel>,
    pub failures: Vec<FailureGroup>,
}

/// The messages of broadcast `$n` and its firings.
const OF_BROADCAST: &str = "broadcast_id IN (SELECT id FROM broadcasts WHERE id = $1 OR parent_id = $1)";

impl Store {
    /// Pause a sending broadcast (and its firings still sending): its
    /// unsent messages are `paused`, which no claim takes. Refused (409)
    /// when nothing of it is sending.
    pub async fn pause_broadcast(&self, uuid: &str) -> Result<Broadcast> {
        self.move_broadcast(
            uuid,
            ("queued", "paused"),
            "UPDATE msgs SET status = 'paused', modified_on = $2 WHERE status IN ('queued', 'errored')",
            "is not sending",
        )
        .await
    }

    /// Resume a paused broadcast: its paused messages are due again (as
    /// retries when they were tried before).
    pub async fn resume_broadcast(&self, uuid: &str) -> Result<Broadcast> {
        self.move_broadcast(
            uuid,
            ("paused", "queued"),
            "UPDATE msgs SET status = CASE WHEN attempts > 0 THEN 'errored' ELSE 'queued' END, modified_on = $2 \
             WHERE status = 'paused'",
            "is not paused",
        )
        .await
    }

    /// Move a broadcast and its firings from `states.0` to `states.1` and
    /// its messages by `msgs` (an UPDATE whose WHERE the broadcast's own
    /// condition is added to; `$1` its id, `$2` now), in one transaction.
    /// Refused (409, "broadcast … `refusal`") when none was in `states.0`.
    async fn move_broadcast(
        &self,
        uuid: &str,
        states: (&str, &str),
        msgs: &str,
        refusal: &str,
    ) -> Result<Broadcast> {
        let b = self.get_broadcast(uuid).await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE broadcasts SET status = $3, modified_on = $2 \
             WHERE (id = $1 OR parent_id = $1) AND status = $4",
        )
        .bind(b.id)
        .bind(now)
        .bind(states.1)
        .bind(states.0)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "broadcast {uuid} {refusal} (it is {})",
                b.state
            )));
        }
        sqlx::query(&format!("{msgs} AND {OF_BROADCAST}"))
            .bind(b.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get_broadcast(uuid).await
    }

    /// Send a broadcast's failed messages again: queued now (paused if the
    /// broadcast is), and the broadcast open again until they settle.
    /// Returns the broadcast and how many were requeued. Refused for a
    /// cancelled broadcast.
    pub async fn retry_failed_broadcast(&self, uuid: &str) -> Result<(Broadcast, u64)> {
        let b = self.get_broadcast(uuid).await?;
        if b.state == "cancelled" {
            return Err(StoreError::Conflict(format!("broadcast {uuid} was cancelled")));
        }
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let status = if b.state == "paused" { "paused" } else { "queued" };
        let res = sqlx::query(&format!(
            "UPDATE msgs SET status = $2, next_attempt_on = $3, failure_reason = NULL, node = NULL, \
             external_id = NULL, modified_on = $3 WHERE status = 'failed' AND {OF_BROADCAST}"
        ))
        .bind(b.id)
        .bind(status)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() > 0 {
            sqlx::query(
                "UPDATE broadcasts SET status = 'queued', modified_on = $2 \
                 WHERE (id = $1 OR parent_id = $1) AND status = 'completed' AND recipient_count > 0",
            )
            .bind(b.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((self.get_broadcast(uuid).await?, res.rows_affected()))
    }

    /// A broadcast's funnel: its progress, per link, and its failures by
    /// reason (most first).
    pub async fn broadcast_funnel(&self, uuid: &str) -> Result<Funnel> {
        let b = self.get_broadcast(uuid).await?;
        let rows = sqlx::query(&format!(
            "SELECT COALESCE(link, route, '') AS link, status, COUNT(*) AS n FROM msgs \
             WHERE {OF_BROADCAST} GROUP BY COALESCE(link, route, ''), status"
        ))
        .bind(b.id)
        .fetch_all(&self.pool)
        .await?;
        let mut per_link: Vec<LinkFunnel> = Vec::new();
        for r in rows {
            let link: String = r.try_get("link")?;
            let status: String = r.try_get("status")?;
            let n: i64 = r.try_get("n")?;
            let at = match per_link.iter().position(|l| l.link == link) {
                Some(i) => i,
                None => {
                    per_link.push(LinkFunnel {
                        link,
                        progress: BroadcastProgress::default(),
                    });
                    per_link.len() - 1
                }
            };
            per_link[at].progress.add(&status, n);
        }
        per_link.sort_by(|a, b| a.link.cmp(&b.link));
        let rows = sqlx::query(&format!(
            "SELECT COALESCE(failure_reason, '') AS reason, COUNT(*) AS n FROM msgs \
             WHERE status = 'failed' AND {OF_BROADCAST} GROUP BY COALESCE(failure_reason, '') \
             ORDER BY COUNT(*) DESC, COALESCE(failure_reason, '')"
        ))
        .bind(b.id)
        .fetch_all(&self.pool)
        .await?;
        let failures = rows
            .iter()
            .map(|r| {
                let reason: String = r.try_get("reason")?;
                Ok(FailureGroup {
                    described: failure::describe(&reason),
                    count: r.try_get("n")?,
                    reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Funnel {
            uuid: b.uuid,
            status: b.status,
            state: b.state,
            progress: b.progress,
            per_link,
            failures,
        })
    }

    /// Change a broadcast that has not fired yet: its text in its base
    /// language and/or its schedule (validated as when it was made; a
    /// schedule moves its next firing). Refused (409) once it has fired,
    /// for a recurring one too (its firings are sends of their own).
    pub async fn edit_scheduled_broadcast(
        &self,
        uuid: &str,
        text: Option<&str>,
        schedule: Option<&Schedule>,
    ) -> Result<Broadcast> {
        let b = self.get_broadcast(uuid).await?;
        if b.state != "scheduled" {
            return Err(StoreError::Conflict(format!(
                "broadcast {uuid} is no longer scheduled (it is {})",
                b.state
            )));
        }
        let mut translations = b.translations.clone();
        if let Some(t) = text {
            if t.trim().is_empty() {
                return Err(StoreError::invalid("text", "must not be empty"));
            }
            translations.insert(b.base_language.clone(), t.to_string());
        }
        let now = now_ms();
        let (status, fire_on, schedule_json) = match schedule {
            Some(sc) => {
                firings::check_schedule(Some(sc))?;
                let (status, fire_on) = firings::first_firing(Some(sc), now)?;
                (status.to_string(), fire_on, serde_json::to_string(sc).ok())
            }
            None => (
                b.status.clone(),
                b.next_fire
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_millis()),
                b.schedule.as_ref().and_then(|sc| serde_json::to_string(sc).ok()),
            ),
        };
        let res = sqlx::query(
            "UPDATE broadcasts SET translations = $1, schedule = $2, status = $3, fire_on = $4, modified_on = $5 \
             WHERE id = $6 AND status = $7",
        )
        .bind(serde_json::to_string(&translations).unwrap_or_else(|_| "{}".into()))
        .bind(schedule_json)
        .bind(status)
        .bind(fire_on)
        .bind(now)
        .bind(b.id)
        .bind(&b.status)
        .execute(self.writer())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("broadcast {uuid} fired meanwhile")));
        }
        self.get_broadcast(uuid).await
    }

    /// Pause a flow start not yet through its contacts (pending or
    /// starting): none more is started until it is resumed (runs already
    /// started go on).
    pub async fn pause_flow_start(&self, uuid: &str) -> Result<FlowStart> {
        self.move_flow_start(uuid, "'paused'", "'pending', 'starting'", "sending")
            .await
    }

    /// Resume a paused flow start: `starting` again once its contacts were
    /// listed, else `pending` (they are listed first).
    pub async fn resume_flow_start(&self, uuid: &str) -> Result<FlowStart> {
        let to = "CASE WHEN EXISTS (SELECT 1 FROM flow_start_contacts c \
                  WHERE c.start_id = flow_starts.id) THEN 'starting' ELSE 'pending' END";
        self.move_flow_start(uuid, to, "'paused'", "paused").await
    }

    /// Set the status of a start (and its firings) that is in one of
    /// `from` to `to` (SQL); 409 naming `wanted` when none was.
    async fn move_flow_start(&self, uuid: &str, to: &str, from: &str, wanted: &str) -> Result<FlowStart> {
        let s = self.get_flow_start(uuid).await?;
        let res = sqlx::query(&format!(
            "UPDATE flow_starts SET status = {to}, modified_on = $1 \
             WHERE (id = $2 OR parent_id = $2) AND status IN ({from})"
        ))
        .bind(now_ms())
        .bind(s.id)
        .execute(self.writer())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "flow start {uuid} is not {wanted} (it is {})",
                s.state
            )));
        }
        self.get_flow_start(uuid).await
    }
}

impl BroadcastProgress {
    /// Count `n` messages of a stored status.
    pub(super) fn add(&mut self, status: &str, n: i64) {
        self.total += n;
        match status {
            "queued" => self.queued += n,
            "wired" => self.wired += n,
            "sent" => self.sent += n,
            "delivered" => self.delivered += n,
            "errored" => self.errored += n,
            "cancelled" => self.cancelled += n,
            "paused" => self.paused += n,
            _ => self.failed += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_a_send_life() {
        assert_eq!(send_state("recurring"), "scheduled");
        assert_eq!(send_state("pending"), "sending");
        assert_eq!(send_state("queued"), "sending");
        assert_eq!(send_state("starting"), "sending");
        assert_eq!(send_state("paused"), "paused");
        assert!(finished("cancelled") && !finished("paused"));
    }
}
