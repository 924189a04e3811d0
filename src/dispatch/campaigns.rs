//! Campaigns: keep each event's fires in step with its group and date
//! field (every `flows.campaign_sync_secs`), and fire what is due (every
//! second). One node runs this at a time (the `campaigns` lease); each fire
//! is marked in the transaction that starts its flow or queues its message.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::engine::{FlowError, StartOpts, StartReason};
use super::supervise::catch;
use super::Gateway;
use crate::core::contact::parse_datetime;
use crate::core::time::{now_ms, Millis};
use crate::core::{segments, ContactStatus, Priority};
use crate::store::{check_offset, Completion, DueFire, EventRow, NewOutMsg};

const TICK: Duration = Duration::from_secs(1);
const LEASE: &str = "campaigns";
/// Fires handled per tick.
const FIRE_BATCH: i64 = 500;

/// When an event fires for a date: `offset` units after it; for day and
/// week offsets with a delivery hour, at that hour in the contact's zone.
/// `None` when there is no such time (an unknown unit, an offset or a
/// delivery hour out of range, a date past chrono's): checked arithmetic
/// throughout, so no stored event can panic the scheduler.
pub fn fire_time(date: DateTime<Utc>, offset: i64, unit: &str, delivery_hour: i64, tz: Tz) -> Option<Millis> {
    let t = match unit {
        "M" => date.checked_add_signed(TimeDelta::try_minutes(offset)?)?,
        "H" => date.checked_add_signed(TimeDelta::try_hours(offset)?)?,
        "D" | "W" => {
            let days = if unit == "W" {
                offset.checked_mul(7)?
            } else {
                offset
            };
            let local = date.with_timezone(&tz);
            let moved = if days >= 0 {
                local.checked_add_days(Days::new(days as u64))?
            } else {
                local.checked_sub_days(Days::new(days.unsigned_abs()))?
            };
            if delivery_hour >= 0 {
                let naive = moved
                    .date_naive()
                    .and_hms_opt(u32::try_from(delivery_hour).ok()?, 0, 0)?;
                tz.from_local_datetime(&naive).earliest()?.with_timezone(&Utc)
            } else {
                moved.with_timezone(&Utc)
            }
        }
        _ => return None,
    };
    Some(t.timestamp_millis())
}

pub(super) async fn run(gw: Arc<Gateway>) {
    let sync_every = Duration::from_secs(gw.config.flows.campaign_sync_secs.max(1));
    let mut last_sync: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = gw.cancel.cancelled() => break,
            _ = tokio::time::sleep(TICK) => {}
        }
        match gw.store.hold_lease(LEASE, &gw.node, 10_000).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "could not take the campaigns lease");
                continue;
            }
        }
        if last_sync.is_none_or(|t| t.elapsed() >= sync_every) {
            last_sync = Some(Instant::now());
            if let Err(e) = sync(&gw).await {
                tracing::warn!(error = %e, "campaign sync failed; will retry");
            }
        }
        if let Err(e) = fire_due(&gw).await {
            tracing::warn!(error = %e, "firing campaign events failed; will retry");
        }
    }
    let _ = gw.store.release_lease(LEASE, &gw.node).await;
}

/// Bring every event's fires in step with its group and date field. Each
/// event stands alone: one that fails (a store error, a panic) is logged
/// and retried at the next pass, and the others are still synced.
pub(super) async fn sync(gw: &Gateway) -> Result<(), FlowError> {
    let now = now_ms();
    for ev in gw.store.campaign_events().await? {
        match catch(sync_event(gw, &ev, now)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(event = %ev.uuid, error = %e, "campaign event not rescheduled; will retry")
            }
            Err(panic) => gw
                .health
                .failed("campaigns", &format!("event {}: {panic}", ev.uuid)),
        }
    }
    Ok(())
}

async fn sync_event(gw: &Gateway, ev: &EventRow, now: Millis) -> Result<(), FlowError> {
    let mut desired = HashMap::new();
    if let Err(e) = check_offset(ev.offset, &ev.unit) {
        // Stored before offsets were bounded, or by hand: it never fires,
        // and the fires it had scheduled are removed below.
        tracing::error!(event = %ev.uuid, error = %e, "campaign event cannot fire; skipped");
    } else {
        for (cid, value, tz) in gw.store.members_with_field(&ev.group, &ev.relative_to).await? {
            let Some(date) = value.as_deref().and_then(parse_datetime) else {
                continue;
            };
            let tz: Tz = tz.and_then(|t| t.parse().ok()).unwrap_or(gw.default_tz);
            if let Some(at) = fire_time(date, ev.offset, &ev.unit, ev.delivery_hour, tz) {
                desired.insert(cid, at);
            }
        }
    }
    let (added, moved, removed) = gw.store.sync_event_fires(ev, &desired, now).await?;
    if added + moved + removed > 0 {
        tracing::info!(event = %ev.uuid, added, moved, removed, "campaign event rescheduled");
    }
    Ok(())
}

async fn fire_due(gw: &Gateway) -> Result<(), FlowError> {
    let mut events: HashMap<i64, EventRow> = HashMap::new();
    for due in gw.store.due_fires(now_ms(), FIRE_BATCH).await? {
        if gw.is_stopping() {
            break;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = events.entry(due.event_id) {
            e.insert(gw.store.campaign_event(due.event_id).await?);
        }
        let ev = &events[&due.event_id];
        let failed = match catch(fire(gw, ev, &due)).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(panic) => {
                gw.health
                    .failed("campaigns", &format!("event {}: {panic}", ev.uuid));
                Some(panic)
            }
        };
        if let Some(e) = failed {
            tracing::warn!(event = %ev.uuid, contact = due.contact_id, error = %e, "campaign event not fired; skipped");
            gw.store
                .complete(&[Completion::EventFire {
                    fire_id: due.id,
                    outcome: "failed".into(),
                }])
                .await?;
        }
    }
    Ok(())
}

async fn fire(gw: &Gateway, ev: &EventRow, due: &DueFire) -> Result<(), FlowError> {
    let skipped = Completion::EventFire {
        fire_id: due.id,
        outcome: "skipped".into(),
    };
    let contact = gw.store.get_contact_by_id(due.contact_id).await?;
    let in_group = contact.groups.iter().any(|g| g.eq_ignore_ascii_case(&ev.group));
    if contact.status != ContactStatus::Active || !in_group {
        gw.store.complete(&[skipped]).await?;
        return Ok(());
    }
    if let Some(flow) = &ev.flow {
        if ev.start_mode == "S" && gw.store.waiting_session(contact.id).await?.is_some() {
            gw.store.complete(&[skipped]).await?;
            return Ok(());
        }
        let reason = StartReason::Campaign {
            event: json!({"uuid": ev.uuid, "campaign": {"uuid": "", "name": ev.group}}),
        };
        let opts = StartOpts {
            start_id: None,
            completions: vec![Completion::EventFire {
                fire_id: due.id,
                outcome: "started".into(),
            }],
            handled_msg: None,
        };
        gw.start_flow(&contact, flow, reason, opts).await?;
        return Ok(());
    }
    let texts = ev.message.clone().unwrap_or_default();
    let text = contact
        .language
        .as_ref()
        .and_then(|l| texts.get(l))
        .or_else(|| texts.get(&ev.base_language))
        .cloned()
        .unwrap_or_default();
    let msg = contact
        .urns
        .iter()
        .find(|u| u.scheme() == "tel")
        .filter(|_| !text.is_empty())
        .map(|urn| NewOutMsg {
            contact_id: Some(contact.id),
            route: gw.links.route_for(urn.path()),
            urn: urn.to_string(),
            segments: segments::count(&text).1,
            text: text.clone(),
            priority: Priority::Bulk,
            next_attempt_on: now_ms(),
            broadcast_id: None,
            held_reason: None,
        });
    gw.store.fire_message(due.id, msg).await?;
    gw.wake();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn day_offsets_land_at_the_delivery_hour_in_the_contacts_zone() {
        let kigali: Tz = "Africa/Kigali".parse().unwrap();
        // Trained on 1 March at 14:30 local (12:30 UTC); +3 days at 09:00 local.
        let at = fire_time(utc("2026-03-01T12:30:00Z"), 3, "D", 9, kigali).unwrap();
        assert_eq!(at, utc("2026-03-04T07:00:00Z").timestamp_millis());
        // Same time of day when no delivery hour is set.
        let at = fire_time(utc("2026-03-01T12:30:00Z"), 3, "D", -1, kigali).unwrap();
        assert_eq!(at, utc("2026-03-04T12:30:00Z").timestamp_millis());
        // Weeks are seven days; negative offsets go before the date.
        let at = fire_time(utc("2026-03-01T12:30:00Z"), 2, "W", 9, kigali).unwrap();
        assert_eq!(at, utc("2026-03-15T07:00:00Z").timestamp_millis());
        let at = fire_time(utc("2026-03-10T12:30:00Z"), -1, "D", 9, kigali).unwrap();
        assert_eq!(at, utc("2026-03-09T07:00:00Z").timestamp_millis());
    }

    #[test]
    fn minute_and_hour_offsets_ignore_the_delivery_hour() {
        let tz: Tz = "UTC".parse().unwrap();
        let d = utc("2026-03-01T12:30:00Z");
        assert_eq!(
            fire_time(d, 90, "M", 9, tz),
            Some(utc("2026-03-01T14:00:00Z").timestamp_millis())
        );
        assert_eq!(
            fire_time(d, 2, "H", 9, tz),
            Some(utc("2026-03-01T14:30:00Z").timestamp_millis())
        );
        assert_eq!(fire_time(d, 1, "X", 9, tz), None);
    }

    #[test]
    fn no_offset_panics_and_offsets_past_a_century_are_refused() {
        let tz: Tz = "Africa/Kigali".parse().unwrap();
        let d = utc("2026-03-01T12:30:00Z");
        // i64::MAX minutes once panicked in TimeDelta::minutes on every tick.
        for unit in ["M", "H", "D", "W"] {
            for offset in [i64::MAX, i64::MIN, i64::MAX / 7 + 1, i64::MIN / 60, 1 << 40] {
                assert_eq!(fire_time(d, offset, unit, 9, tz), None, "{offset} {unit}");
                assert!(check_offset(offset, unit).is_err(), "{offset} {unit}");
            }
        }
        // The bounds themselves are computable, both ways.
        for (unit, limit) in [("M", 52_596_000), ("H", 876_600), ("D", 36_525), ("W", 5_217)] {
            for offset in [limit, -limit] {
                assert_eq!(check_offset(offset, unit), Ok(offset));
                assert!(fire_time(d, offset, unit, 9, tz).is_some(), "{offset} {unit}");
            }
            assert!(check_offset(limit + 1, unit).is_err());
        }
        assert_eq!(
            check_offset(9_223_372_036_854_775_807, "M")
                .unwrap_err()
                .to_string(),
            "must be within ±52596000 (minutes; 100 years), got 9223372036854775807"
        );
    }

    proptest::proptest! {
        #[test]
        fn fire_time_never_panics(
            offset: i64,
            unit in "[MHDWX]",
            hour in -2i64..30,
            secs in -9_000_000_000_000i64..9_000_000_000_000,
        ) {
            let date = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let _ = fire_time(date, offset, &unit, hour, chrono_tz::UTC);
        }
    }

    #[test]
    fn a_delivery_hour_is_local_even_across_a_dst_change() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 7 March 2026 (EST, UTC-5) + 2 days = 9 March (EDT, UTC-4) at 09:00.
        let at = fire_time(utc("2026-03-07T15:00:00Z"), 2, "D", 9, ny).unwrap();
        assert_eq!(at, utc("2026-03-09T13:00:00Z").timestamp_millis());
    }
}
