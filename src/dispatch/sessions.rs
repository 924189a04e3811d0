//! Wait timeouts and flow expirations. One node at a time runs this (it
//! holds the `sessions` lease); each resume is also guarded by the session's
//! version, so a node that lost its lease mid-pass cannot fire one twice.

use std::sync::Arc;
use std::time::Duration;

use super::engine::Sprinted;
use super::Gateway;
use crate::core::time::now_ms;
use crate::core::Priority;
use crate::flow::resume::ResumeKind;

/// Sessions handled per pass.
const BATCH: i64 = 200;
const LEASE: &str = "sessions";

pub(super) async fn run(gw: Arc<Gateway>) {
    let every = Duration::from_millis(gw.config.flows.timeout_poll_ms.max(50));
    // The lease outlives a few missed passes, not a dead node.
    let ttl = (every.as_millis() as i64 * 5).max(5_000);
    loop {
        tokio::select! {
            _ = gw.cancel.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
        match gw.store.hold_lease(LEASE, &gw.node, ttl).await {
            Ok(true) => {
                if let Err(e) = pass(&gw).await {
                    tracing::warn!(error = %e, "session timeout pass failed; will retry");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not take the sessions lease"),
        }
    }
    let _ = gw.store.release_lease(LEASE, &gw.node).await;
}

async fn pass(gw: &Gateway) -> Result<(), super::FlowError> {
    let now = now_ms();
    for s in gw.store.due_sessions(now, BATCH).await? {
        if gw.is_stopping() {
            break;
        }
        let contact = gw.store.get_contact_by_id(s.contact_id).await?;
        let expired = s.expires_on.is_some_and(|t| t <= now);
        let kind = if expired {
            ResumeKind::RunExpiration {}
        } else {
            ResumeKind::WaitTimeout {}
        };
        match gw.resume_flow(&contact, &s, kind, Priority::Bulk, None).await {
            Ok(Sprinted::Done { status, .. }) => {
                tracing::debug!(session = %s.uuid, expired, status = %status, "session timed out");
                metrics::counter!("mhero_session_timeouts_total", "kind" => if expired { "expired" } else { "wait_timeout" }).increment(1);
            }
            Ok(Sprinted::Stale) => {}
            Err(e) => {
                // A session the engine cannot continue must not be retried
                // forever: end it and say why.
                tracing::warn!(session = %s.uuid, error = %e, "timed-out session could not continue; interrupted");
                gw.store.interrupt_session(s.contact_id).await?;
            }
        }
    }
    Ok(())
}
