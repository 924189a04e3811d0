//! Outbox workers (one per link) and the recorder that writes outcomes.
//!
//! A worker claims small batches for the routes its link serves — replies
//! first — paces each message through the link's rate limit (counted in
//! segments), and sends up to the link's window at once. A batch never holds
//! two unsent messages of one priority to the same number (the store's claim
//! takes the next only once the previous outcome is recorded), so sending
//! them at once cannot reorder a conversation. Outcomes go to the recorder,
//! which writes them in batches and wakes the claimers for the messages they
//! unblocked; a database hiccup delays them but never drops them (rows still
//! `wired` at a crash are reconciled later).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use super::{outcome_for, Gateway};
use crate::core::link::DeliveryReport;
use crate::core::{OutMsg, Priority, SendOutcome};
use crate::links::LinkHandle;
use crate::store::Outcome;

/// A link send that takes longer than this is abandoned and retried.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// The recorder writes at least this often while work arrives.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Most records written in one transaction.
const RECORD_BATCH: usize = 1000;
/// How long a receipt may wait for the send it belongs to be recorded.
const REPORT_GRACE: Duration = Duration::from_secs(120);
/// Pause after a failed database write before trying again.
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// How long a restarted worker waits before settling what its predecessor
/// left wired: outcomes it had already handed to the recorder are written
/// within a flush or two, and must land before the link is asked.
const RESTART_SETTLE_DELAY: Duration = Duration::from_secs(1);

/// A worker restarted by the supervisor (its predecessor panicked or
/// returned) first settles the messages the predecessor had handed to the
/// link and never recorded, as a start after a crash does; otherwise they
/// would stay `wired` until the process restarts.
pub(super) async fn restarted_worker(gw: Arc<Gateway>, h: Arc<LinkHandle>) {
    tokio::select! {
        _ = gw.cancel.cancelled() => return,
        _ = tokio::time::sleep(RESTART_SETTLE_DELAY) => {}
    }
    match super::reconcile::settle_link(&gw, h.name()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            link = h.name(),
            messages = n,
            "settled messages a failed outbox worker left in flight"
        ),
        // The rows stay wired; the next start settles them.
        Err(e) => {
            tracing::error!(link = h.name(), error = %e, "could not settle what a failed outbox worker left in flight")
        }
    }
    worker(gw, h).await
}

pub(super) enum Record {
    Outcome(i64, Outcome),
    Report {
        link: String,
        external_id: String,
        report: DeliveryReport,
    },
    /// Write what is pending now (used at shutdown).
    Flush,
}

pub(super) async fn worker(gw: Arc<Gateway>, h: Arc<LinkHandle>) {
    let window = Arc::new(Semaphore::new(h.link.max_in_flight().max(1)));
    let mut in_flight: JoinSet<()> = JoinSet::new();
    // Claiming runs ahead by one batch, so pacing never waits on the
    // database between batches (a wait the rate limiter could not make up).
    let (batches_tx, mut batches) = mpsc::channel::<Vec<OutMsg>>(1);
    let claimer = tokio::spawn(claimer(gw.clone(), h.clone(), batches_tx));
    'outer: while let Some(batch) = batches.recv().await {
        while in_flight.try_join_next().is_some() {}
        let mut rest = batch.into_iter();
        while let Some(msg) = rest.next() {
            let paced = tokio::select! {
                _ = gw.cancel.cancelled() => false,
                _ = h.acquire(msg.segments) => true,
            };
            if !paced {
                requeue(&gw, std::iter::once(msg).chain(rest)).await;
                break 'outer;
            }
            let Ok(permit) = window.clone().acquire_owned().await else {
                break 'outer;
            };
            h.in_flight.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (gw2, h2) = (gw.clone(), h.clone());
            in_flight.spawn(async move {
                let outcome = match tokio::time::timeout(SEND_TIMEOUT, h2.link.send(&msg)).await {
                    Ok(o) => o,
                    Err(_) => SendOutcome::Retry {
                        reason: format!("no answer from link within {}s", SEND_TIMEOUT.as_secs()),
                    },
                };
                count_send(h2.name(), &outcome);
                let rec = outcome_for(&gw2.config, msg.attempts, outcome);
                let _ = gw2.outcomes.send(Record::Outcome(msg.id, rec)).await;
                h2.in_flight.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                drop(permit);
            });
        }
    }
    // Stopping: whatever the claimer holds goes back to the queue.
    batches.close();
    while let Some(batch) = batches.recv().await {
        requeue(&gw, batch.into_iter()).await;
    }
    let _ = claimer.await;
    while in_flight.join_next().await.is_some() {}
}

async fn claimer(gw: Arc<Gateway>, h: Arc<LinkHandle>, out: mpsc::Sender<Vec<OutMsg>>) {
    let poll = Duration::from_millis(gw.config.outbox.poll_interval_ms);
    while !gw.is_stopping() {
        let (batch, full) = claim(&gw, &h).await;
        if !batch.is_empty() {
            if let Err(unsent) = out.send(batch).await {
                requeue(&gw, unsent.0.into_iter()).await;
                break;
            }
        }
        // A claim that could not fill its batch found the queue empty for
        // now: wait for new work (or the poll) instead of asking again at
        // once, which under a steady trickle doubled the claims. A wake
        // that came meanwhile left its permit, so none is missed.
        if !full {
            tokio::select! {
                _ = gw.cancel.cancelled() => break,
                _ = h.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// Claim up to a batch for the link; true with it when the batch is full
/// (more may be waiting).
async fn claim(gw: &Gateway, h: &LinkHandle) -> (Vec<OutMsg>, bool) {
    if !h.usable() {
        return (vec![], false);
    }
    let routes = gw.links.routes_served_by(h.name());
    let size = h.claim_size(gw.config.outbox.claim_batch);
    let mut out = Vec::new();
    for priority in [Priority::Reply, Priority::Bulk] {
        for route in &routes {
            let want = size.saturating_sub(out.len() as u32);
            if want == 0 {
                return (out, true);
            }
            match gw.store.claim(&gw.node, h.name(), route, priority, want).await {
                Ok(mut got) => out.append(&mut got),
                Err(e) => {
                    tracing::warn!(link = h.name(), error = %e, "claim failed; will try again");
                    return (out, false);
                }
            }
        }
    }
    let full = out.len() as u32 >= size;
    (out, full)
}

async fn requeue(gw: &Gateway, msgs: impl Iterator<Item = OutMsg>) {
    for m in msgs {
        let _ = gw
            .outcomes
            .send(Record::Outcome(m.id, Outcome::Requeue { note: None }))
            .await;
    }
}

fn count_send(link: &str, o: &SendOutcome) {
    let (status, reason) = match o {
        SendOutcome::Sent { .. } => ("sent", None),
        SendOutcome::Retry { reason } => ("errored", Some(reason)),
        SendOutcome::Failed { reason } => ("failed", Some(reason)),
    };
    metrics::counter!("mhero_sends_total", "link" => link.to_string(), "status" => status).increment(1);
    if let Some(r) = reason {
        // Reasons are short fixed phrases from the links; cap them so a
        // chatty carrier cannot blow up the label set.
        let r: String = r.chars().take(60).collect();
        metrics::counter!("mhero_send_failures_total", "link" => link.to_string(), "reason" => r)
            .increment(1);
    }
}

struct PendingReport {
    link: String,
    external_id: String,
    report: DeliveryReport,
    since: Instant,
}

/// `rx` is held outside the task so a restart takes over what is queued;
/// what a failed run had gathered and not written stays `wired` in the
/// store, and is reconciled at the next start.
pub(super) async fn recorder(gw: Arc<Gateway>, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Record>>>) {
    let mut rx = rx.lock().await;
    let mut buf = Vec::with_capacity(RECORD_BATCH);
    let mut outcomes: Vec<(i64, Outcome)> = Vec::new();
    let mut reports: Vec<PendingReport> = Vec::new();
    loop {
        // Gather for FLUSH_EVERY (or a full batch) before writing: fewer,
        // larger transactions, and the database's one write lock stays free
        // for the claimers most of the time.
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        let mut closed = false;
        let mut flush = false;
        while !flush && outcomes.len() < RECORD_BATCH {
            let room = RECORD_BATCH - outcomes.len();
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut buf, room)).await {
                Ok(0) => closed = true,
                Ok(_) => {}
                Err(_) => break,
            }
            for r in buf.drain(..) {
                match r {
                    Record::Outcome(id, o) => outcomes.push((id, o)),
                    Record::Report {
                        link,
                        external_id,
                        report,
                    } => reports.push(PendingReport {
                        link,
                        external_id,
                        report,
                        since: Instant::now(),
                    }),
                    Record::Flush => flush = true,
                }
            }
            if closed {
                break;
            }
        }
        write_outcomes(&gw, &mut outcomes).await;
        apply_reports(&gw, &mut reports).await;
        if closed {
            break;
        }
    }
}

async fn write_outcomes(gw: &Gateway, outcomes: &mut Vec<(i64, Outcome)>) {
    if outcomes.is_empty() {
        return;
    }
    loop {
        match gw.store.record_outcomes(&gw.node, outcomes).await {
            Ok(()) => {
                // A message sent or failed lets the next one to its number
                // be claimed (`Store::claim`): wake the claimers rather
                // than leave it to their poll.
                if outcomes
                    .iter()
                    .any(|(_, o)| matches!(o, Outcome::Sent { .. } | Outcome::Failed { .. }))
                {
                    gw.wake();
                }
                for (_, o) in outcomes.iter() {
                    let status = match o {
                        Outcome::Sent { .. } => "sent",
                        Outcome::Retry { .. } => "errored",
                        Outcome::Failed { .. } => "failed",
                        Outcome::Requeue { .. } => "queued",
                    };
                    metrics::counter!("mhero_msgs_total", "status" => status).increment(1);
                }
                outcomes.clear();
                return;
            }
            Err(e) => {
                // Keep them: a later write succeeds, or the rows stay wired
                // and are reconciled at the next start.
                tracing::warn!(error = %e, pending = outcomes.len(), "could not record send outcomes; retrying");
                if gw.is_stopping() {
                    return;
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

async fn apply_reports(gw: &Gateway, reports: &mut Vec<PendingReport>) {
    if reports.is_empty() {
        return;
    }
    let delivered: Vec<(String, String)> = reports
        .iter()
        .filter(|r| r.report == DeliveryReport::Delivered)
        .map(|r| (r.link.clone(), r.external_id.clone()))
        .collect();
    let matched: std::collections::HashSet<(String, String)> =
        match gw.store.apply_delivered(&delivered).await {
            Ok(m) => m.into_iter().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not apply receipts; retrying");
                return;
            }
        };
    metrics::counter!("mhero_msgs_total", "status" => "delivered").increment(matched.len() as u64);
    let mut keep = Vec::new();
    for r in reports.drain(..) {
        let applied = match &r.report {
            DeliveryReport::Delivered => Ok(matched.contains(&(r.link.clone(), r.external_id.clone()))),
            DeliveryReport::Failed { reason } => {
                gw.store
                    .apply_failed_report(&r.link, &r.external_id, reason)
                    .await
            }
        };
        match applied {
            Ok(true) => {
                if matches!(r.report, DeliveryReport::Failed { .. }) {
                    metrics::counter!("mhero_msgs_total", "status" => "failed").increment(1);
                }
            }
            Ok(false) if r.since.elapsed() < REPORT_GRACE => keep.push(r),
            Ok(false) => {
                tracing::warn!(link = %r.link, external_id = %r.external_id, "receipt for an unknown message dropped")
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not apply a receipt; retrying");
                keep.push(r);
            }
        }
    }
    *reports = keep;
}
