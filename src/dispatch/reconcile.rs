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

/// Settle this node's wired messages of one link (after its outbox worker
/// was restarted); returns how many there were.
pub(super) async fn settle_link(gw: &Gateway, link: &str) -> Result<usize, StoreError> {
    let wired: Vec<ClaimedMsg> = gw
        .store
        .wired_for_node(&gw.node)
        .await?
        .into_iter()
        .filter(|c| c.link == link)
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::now_ms;
    use crate::core::Priority;
    use crate::dispatch::Gateway;
    use crate::store::{NewOutMsg, Store};

    /// What a failed outbox worker left wired goes back to the queue (the
    /// simulator never received it), and the link then sends it once.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_workers_unsent_messages_are_queued_again_and_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::config::load_str(
            &format!(
                "[node]\nid = \"n1\"\n[database]\nurl = \"sqlite://{}/m.db\"\n[api]\ntokens = [{{ name = \"a\", token = \"test-admin-token-0000000000000001\", role = \"admin\" }}]\n",
                dir.path().display()
            ),
            std::iter::empty(),
        )
        .expect("config");
        let store = Store::open(config.database.url.expose(), 2).await.expect("store");
        let running = Gateway::start(config, store).await.expect("gateway");
        let gw = running.gateway.clone();
        let sim = gw.links.get("simulator").expect("the simulator link").clone();
        // Switched off, the worker claims nothing: the row is wired by hand,
        // as a worker that died between claim and record leaves it.
        sim.set_enabled(false);
        let route = gw.links.route_for("+255712000009");
        let ids = gw
            .store
            .queue_msgs(&[NewOutMsg {
                contact_id: None,
                urn: "tel:+255712000009".into(),
                text: "left in flight".into(),
                priority: Priority::Reply,
                segments: 1,
                route: route.clone(),
                next_attempt_on: now_ms(),
                broadcast_id: None,
                held_reason: None,
            }])
            .await
            .expect("queued");
        let claimed = gw
            .store
            .claim(&gw.node, "simulator", &route, Priority::Reply, 10)
            .await
            .expect("claimed");
        assert_eq!(claimed.len(), 1);

        assert_eq!(settle_link(&gw, "other-link").await.expect("settled"), 0);
        assert_eq!(settle_link(&gw, "simulator").await.expect("settled"), 1);
        let row = &gw.store.get_msgs_by_ids(&ids).await.expect("read")[0];
        assert_eq!(row.status, "queued", "{row:?}");

        sim.set_enabled(true);
        gw.wake();
        let mut status = String::new();
        for _ in 0..100 {
            status = gw.store.get_msgs_by_ids(&ids).await.expect("read")[0]
                .status
                .clone();
            if status == "delivered" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, "delivered");
        let received = gw
            .store
            .sim_inbox(
                "tel:+255712000009",
                &crate::store::Paging::new(None, None, false, None),
            )
            .await
            .expect("inbox");
        assert_eq!(received.len(), 1, "sent once: {received:?}");
        running.shutdown().await;
    }
}
