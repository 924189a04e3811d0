//! Outbound calling for one trunk: stored calls that are due are claimed as
//! the trunk has room, held back until the recipient's calling window opens,
//! paced to the trunk's calls per second, and dialled. Busy, unanswered and
//! congested calls wait for the next step of the retry schedule (kept in the
//! row, so it survives a restart); everything else ends the call.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use tokio::time::Instant;

use super::{flows, Ivr, IvrError};
use crate::core::rate::CALLS_PER_SECOND;
use crate::core::time::{now_ms, Millis};
use crate::sip::outcome::CallOutcome;
use crate::store::{call_status, CallRow, NewCall, Store};

/// How often the dialer looks for due calls.
const DIALER_POLL: Duration = Duration::from_millis(250);
/// Most calls claimed at once: a trunk's room is usually far smaller.
const CLAIM_BATCH: u32 = 50;
/// When the trunk is full at dialling time, try again this much later.
const FULL_BACKOFF_MS: Millis = 1000;

/// Store an outbound voice flow call to a contact for `trunk`'s dialer to
/// place as soon as its limits and the calling window allow. `flow` is a
/// voice flow in the store (UUID or name), or an export file optionally
/// followed by `#` and the flow's UUID or name. Returns the call's id.
pub async fn queue_voice_call(
    store: &Store,
    trunk: &str,
    contact_id: i64,
    urn: &str,
    flow: &str,
) -> Result<i64, crate::store::StoreError> {
    store
        .insert_call(&NewCall {
            trunk: trunk.to_owned(),
            direction: "out",
            contact_id: Some(contact_id),
            urn: urn.to_owned(),
            flow: flow.to_owned(),
            status: call_status::QUEUED,
            next_attempt_on: Some(now_ms()),
        })
        .await
}

impl Ivr {
    /// "Place a voice flow call to this contact": checks the trunk and the
    /// flow, then stores the call for the dialer. Returns the call's id.
    pub async fn place_voice_call(
        &self,
        trunk: &str,
        contact: &crate::core::contact::Contact,
        flow: &str,
    ) -> Result<i64, PlaceError> {
        if self.runtime(trunk).is_none() {
            return Err(PlaceError::Ivr(IvrError::NoTrunk(trunk.to_owned())));
        }
        self.voice_flow(flow).await.map_err(PlaceError::Flow)?;
        let urn = contact
            .urns
            .iter()
            .find(|u| u.scheme() == "tel")
            .ok_or(PlaceError::NoPhone)?;
        Ok(
            queue_voice_call(self.store(), trunk, contact.id, &urn.to_string(), flow)
                .await
                .map_err(IvrError::from)?,
        )
    }
}

/// Why a call could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error(transparent)]
    Ivr(#[from] IvrError),
    #[error(transparent)]
    Flow(flows::FlowLoadError),
    #[error("the contact has no phone number")]
    NoPhone,
}

pub(super) async fn run(ivr: Ivr, trunk: String) {
    let Some(rt) = ivr.runtime(&trunk) else { return };
    let gap = dial_gap(rt.config.calls_per_second);
    let dialing = Arc::new(AtomicU32::new(0));
    let mut next_dial = Instant::now();
    loop {
        tokio::time::sleep(DIALER_POLL).await;
        if rt.trunk.is_shut_down() {
            return;
        }
        let busy = rt.trunk.active_calls().max(dialing.load(Ordering::Relaxed));
        let room = rt.trunk.max_calls().saturating_sub(busy);
        if room == 0 {
            continue;
        }
        let due = match ivr
            .store()
            .claim_due_calls(&ivr.shared.gw.node, &trunk, room.min(CLAIM_BATCH))
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(%trunk, %err, "due calls not readable");
                continue;
            }
        };
        for row in due {
            let tz = timezone_of(&ivr, &row).await;
            let now = now_ms();
            if let Some(window) = rt.config.parsed_window {
                let allowed = window.next_allowed(now, tz);
                if allowed > now {
                    tracing::info!(call = row.id, %tz, "outside the calling window; postponed");
                    postpone(ivr.store(), row.id, allowed).await;
                    continue;
                }
            }
            if rt.trunk.active_calls() >= rt.trunk.max_calls() {
                postpone(ivr.store(), row.id, now + FULL_BACKOFF_MS).await;
                continue;
            }
            tokio::time::sleep_until(next_dial).await;
            let from = next_dial.max(Instant::now());
            next_dial = from.checked_add(gap).unwrap_or(from);
            let ivr = ivr.clone();
            let trunk = trunk.clone();
            let dialing = Arc::clone(&dialing);
            dialing.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                attempt(&ivr, &trunk, row, tz).await;
                dialing.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }
}

/// Time between two dials at `calls_per_second`. The config refused rates
/// outside [`CALLS_PER_SECOND`]; a rate that reaches here anyway is clamped
/// into it, so the division can never make a period no `Duration` holds.
fn dial_gap(calls_per_second: f64) -> Duration {
    let cps = if calls_per_second.is_nan() {
        CALLS_PER_SECOND.max
    } else {
        calls_per_second.clamp(CALLS_PER_SECOND.min, CALLS_PER_SECOND.max)
    };
    Duration::try_from_secs_f64(1.0 / cps).unwrap_or(Duration::ZERO)
}

async fn postpone(store: &Store, id: i64, until: Millis) {
    if let Err(err) = store.postpone_call(id, until).await {
        tracing::error!(call = id, %err, "call not postponed");
    }
}

/// The recipient's time zone: the contact's, else the gateway's default.
async fn timezone_of(ivr: &Ivr, row: &CallRow) -> Tz {
    let contact_tz = match row.contact_id {
        Some(id) => ivr
            .store()
            .get_contact_by_id(id)
            .await
            .ok()
            .and_then(|c| c.timezone)
            .and_then(|tz| tz.parse().ok()),
        None => None,
    };
    contact_tz.unwrap_or(ivr.shared.gw.default_tz)
}

/// When to try a call again after `outcome` on its `attempts`-th attempt, if at all.
pub fn retry_at(
    rt_retry_minutes: &[f64],
    window: Option<crate::core::time::SendingHours>,
    attempts: i64,
    outcome: CallOutcome,
    tz: Tz,
    now: Millis,
) -> Option<Millis> {
    if !outcome.is_retryable() {
        return None;
    }
    let step = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let minutes = *rt_retry_minutes.get(step)?;
    // `as` saturates, and the config bounds the minutes; saturating
    // arithmetic keeps a stray value from overflowing anyway.
    let at = now.saturating_add((minutes * 60_000.0) as Millis);
    Some(window.map_or(at, |w| w.next_allowed(at, tz)))
}

async fn attempt(ivr: &Ivr, trunk: &str, row: CallRow, tz: Tz) {
    let Some(rt) = ivr.runtime(trunk) else { return };
    let store = ivr.store();
    let fail = |reason: String| async move {
        tracing::error!(call = row.id, %reason, "outbound call not placed");
        if let Err(err) = store
            .record_unanswered(row.id, CallOutcome::Failed.wire_name(), None, None)
            .await
        {
            tracing::error!(call = row.id, %err, "call outcome not stored");
        }
    };
    let flow = match ivr.voice_flow(&row.flow).await {
        Ok(flow) => flow,
        Err(err) => return fail(err.to_string()).await,
    };
    let contact = match row.contact_id {
        Some(id) => match store.get_contact_by_id(id).await {
            Ok(contact) => contact,
            Err(err) => return fail(err.to_string()).await,
        },
        None => return fail("the contact was deleted".into()).await,
    };
    let trigger = match flows::trigger_for(&flow, &contact, &row.urn, false, &rt.config.language) {
        Ok(trigger) => trigger,
        Err(err) => return fail(err).await,
    };
    let number = row.urn.strip_prefix("tel:").unwrap_or(&row.urn);
    let ring = Duration::from_secs(rt.config.ring_timeout_secs);
    match rt.trunk.place_call(number, ring).await {
        Ok(call) => {
            let ctx = super::CallContext {
                flow,
                contact,
                trigger,
            };
            ivr.talk(rt, row.id, call, ctx).await
        }
        Err(failure) => {
            let next = retry_at(
                &rt.config.retry_minutes,
                rt.config.parsed_window,
                row.attempts,
                failure.outcome,
                tz,
                now_ms(),
            );
            tracing::info!(
                call = row.id,
                outcome = failure.outcome.wire_name(),
                status = ?failure.status,
                reason = %failure.reason,
                retry_at = ?next,
                "outbound call not answered"
            );
            if let Err(err) = store
                .record_unanswered(row.id, failure.outcome.wire_name(), failure.status, next)
                .await
            {
                tracing::error!(call = row.id, %err, "call outcome not stored");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rate_or_retry_makes_a_timer_panic() {
        assert_eq!(dial_gap(5.0), Duration::from_millis(200));
        for cps in [1e-300, 0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert!(dial_gap(cps) <= Duration::from_secs(1000), "{cps:e}");
        }
        let tz: Tz = "UTC".parse().unwrap();
        assert_eq!(
            retry_at(&[f64::INFINITY], None, 1, CallOutcome::Busy, tz, 1),
            Some(Millis::MAX)
        );
    }

    #[test]
    fn retries_follow_the_schedule_and_stay_in_the_window() {
        let tz: Tz = "Africa/Dar_es_Salaam".parse().unwrap(); // UTC+3
        let schedule = [30.0, 60.0, 1440.0];
        let now: Millis = chrono::DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
            .unwrap()
            .timestamp_millis(); // 12:00 local
        let min = 60_000;
        assert_eq!(
            retry_at(&schedule, None, 1, CallOutcome::Busy, tz, now),
            Some(now + 30 * min)
        );
        assert_eq!(
            retry_at(&schedule, None, 2, CallOutcome::NoAnswer, tz, now),
            Some(now + 60 * min)
        );
        assert_eq!(
            retry_at(&schedule, None, 3, CallOutcome::Congestion, tz, now),
            Some(now + 1440 * min)
        );
        assert_eq!(
            retry_at(&schedule, None, 4, CallOutcome::Busy, tz, now),
            None,
            "schedule used up"
        );
        assert_eq!(
            retry_at(&schedule, None, 1, CallOutcome::InvalidNumber, tz, now),
            None
        );
        assert_eq!(retry_at(&schedule, None, 1, CallOutcome::Rejected, tz, now), None);
        // A 12:00 local failure with a 60-minute retry and an 08:00-12:30 window
        // waits until 08:00 local the next day (05:00 UTC).
        let window = crate::core::time::SendingHours {
            start: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: chrono::NaiveTime::from_hms_opt(12, 30, 0).unwrap(),
        };
        let next_morning = chrono::DateTime::parse_from_rfc3339("2026-11-25T05:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            retry_at(&schedule, Some(window), 2, CallOutcome::NoAnswer, tz, now),
            Some(next_morning)
        );
    }
}
