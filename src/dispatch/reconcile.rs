//! Settling messages left `wired` (handed to a link, outcome not recorded)
//! by a crash: at start for this node's own, and later for any node whose
//! heartbeat has stopped. Each is asked of the link that had it.

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use crate::config::UnknownAfterCrash;
use crate::core::time::now_ms;
use crate::core::Reconciled;
use crate::store::{ClaimedMsg, Outcome, StoreError};

/// Settle this node's wired messages at start (before any send of this run
/// began); returns how many there were.
pub(super) async fn settle_own(gw: &Gateway) -> Result<usize, StoreError> {
    let wired = gw.store.wired_for_node(&gw.node).await?;
    settle(gw, &wired).await?;
    Ok(wired.len())
}

/// Ask each message's link whether it went out, and record the answer.
async fn settle(gw: &Gateway, wired: &[ClaimedMsg]) -> Result<(), StoreError> {
    let mut outcomes = Vec::with_capacity(wired.len());
    for c in wired {
        let o = match gw.links.get(&c.link) {
            None => Outcome::Requeue {
                note: Some(format!("link {:?} is gone; sent again", c.link)),
            },
            Some(h) => match h.link.reconcile(&c.msg).await {
                Reconciled::Sent { external_id } => Outcome::Sent { external_id },
                Reconciled::NotSent => Outcome::Requeue { note: None },
                Reconciled::Unknown => match gw.config.outbox.unknown_after_crash {
                    UnknownAfterCrash::Resend => Outcome::Requeue {
                        note: Some("sent again after a restart: the carrier never acknowledged it".into()),
                    },
                    UnknownAfterCrash::Fail => Outcome::Failed {
                        reason: "unknown whether the carrier took it before a restart".into(),
                    },
                },
            },
        };
        outcomes.push((c.msg.id, o));
    }
    gw.store.record_outcomes(&gw.node, &outcomes).await
}

pub(super) async fn heartbeat(gw: Arc<Gateway>) {
    let every = Duration::from_secs(gw.config.outbox.heartbeat_secs);
    let dead_after = super::secs_to_ms(gw.config.outbox.node_dead_after_secs);
    loop {
        tokio::select! {
            _ = gw.cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if let Err(e) = beat(&gw, dead_after).await {
            tracing::warn!(error = %e, "heartbeat failed");
        }
    }
}

async fn beat(gw: &Gateway, dead_after: i64) -> Result<(), StoreError> {
    gw.store.heartbeat(&gw.node, gw.started_on).await?;
    let taken = gw
        .store
        .take_over_dead_nodes(&gw.node, now_ms().saturating_sub(dead_after))
        .await?;
    if !taken.is_empty() {
        tracing::warn!(
            messages = taken.len(),
            "took over in-flight messages of a silent node"
        );
        settle(gw, &taken).await?;
    }
    gw.links.wake_all();
    Ok(())
}
