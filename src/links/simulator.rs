//! The `simulator` link: an in-process set of fake phones. What each phone
//! receives is written to the database (so a test can count deliveries
//! across a crash), a delivery receipt follows each send, and the API can
//! make a phone send a message in.
//!
//! Sends are batched: each `send` joins a queue that one writer task flushes
//! in a single transaction, which is what lets the simulator keep up with an
//! unthrottled dispatcher.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::config::SimulatorConfig;
use crate::core::link::DeliveryReport;
use crate::core::{Link, LinkEvent, LinkKind, OutMsg, Reconciled, SendOutcome};
use crate::store::Store;

/// Sends waiting for the writer; bounds memory if the database stalls.
const QUEUE: usize = 4096;
/// Most sends written in one transaction.
const BATCH: usize = 512;
/// Sends in flight per dispatcher: enough to fill a batch.
const IN_FLIGHT: usize = 512;

type Pending = (OutMsg, oneshot::Sender<SendOutcome>);

pub struct SimulatorLink {
    name: String,
    store: Store,
    cfg: SimulatorConfig,
    queue: mpsc::Sender<Pending>,
}

impl SimulatorLink {
    /// Start the link and its writer task. Receipts go to `events`.
    pub fn start(
        name: &str,
        node: &str,
        cfg: SimulatorConfig,
        store: Store,
        events: mpsc::Sender<LinkEvent>,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(
            name.to_string(),
            node.to_string(),
            store.clone(),
            rx,
            events,
        ));
        Arc::new(SimulatorLink {
            name: name.to_string(),
            store,
            cfg,
            queue: tx,
        })
    }
}

async fn writer(
    link: String,
    node: String,
    store: Store,
    mut rx: mpsc::Receiver<Pending>,
    events: mpsc::Sender<LinkEvent>,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let rows: Vec<(String, String, String)> = batch
            .iter()
            .map(|(m, _)| (m.uuid.to_string(), m.urn.to_string(), m.text.clone()))
            .collect();
        match store.sim_receive(&link, &node, &rows).await {
            Ok(ids) => {
                for ((_, reply), id) in batch.drain(..).zip(ids) {
                    let external_id = format!("sim-{id}");
                    let _ = reply.send(SendOutcome::Sent {
                        external_id: Some(external_id.clone()),
                    });
                    // The handset "acknowledges" at once.
                    let _ = events
                        .send(LinkEvent::Report {
                            link: link.clone(),
                            external_id,
                            report: DeliveryReport::Delivered,
                        })
                        .await;
                }
            }
            Err(e) => {
                tracing::warn!(link = %link, error = %e, "simulator could not record a batch; senders will retry");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(SendOutcome::Retry {
                        reason: format!("simulator store error: {e}"),
                    });
                }
            }
        }
    }
}

#[async_trait]
impl Link for SimulatorLink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> LinkKind {
        LinkKind::Simulator
    }

    fn healthy(&self) -> bool {
        !self.queue.is_closed()
    }

    fn max_in_flight(&self) -> usize {
        IN_FLIGHT
    }

    async fn send(&self, msg: &OutMsg) -> SendOutcome {
        let number = msg.urn.path();
        if self
            .cfg
            .fail_prefix
            .as_deref()
            .is_some_and(|p| number.starts_with(p))
        {
            return SendOutcome::Failed {
                reason: "simulated permanent failure".into(),
            };
        }
        if self
            .cfg
            .retry_prefix
            .as_deref()
            .is_some_and(|p| number.starts_with(p))
        {
            return SendOutcome::Retry {
                reason: "simulated temporary failure".into(),
            };
        }
        if self.cfg.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.cfg.latency_ms)).await;
        }
        let (tx, rx) = oneshot::channel();
        if self.queue.send((msg.clone(), tx)).await.is_err() {
            return SendOutcome::Retry {
                reason: "simulator stopped".into(),
            };
        }
        rx.await.unwrap_or(SendOutcome::Retry {
            reason: "simulator dropped the send".into(),
        })
    }

    async fn reconcile(&self, msg: &OutMsg) -> Reconciled {
        match self.store.sim_lookup(&[msg.uuid.to_string()]).await {
            Ok(rows) => match rows.first() {
                Some((_, id)) => Reconciled::Sent {
                    external_id: Some(format!("sim-{id}")),
                },
                None => Reconciled::NotSent,
            },
            Err(e) => {
                tracing::warn!(error = %e, "simulator could not look up a message");
                Reconciled::Unknown
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "latency_ms": self.cfg.latency_ms,
            "fail_prefix": self.cfg.fail_prefix,
            "retry_prefix": self.cfg.retry_prefix,
            "queued_writes": QUEUE - self.queue.capacity(),
        })
    }
}
