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
/// How long a receipt may be missing before the simulator repeats it.
const RECEIPT_RETRY: Duration = Duration::from_secs(5);

type Pending = (OutMsg, oneshot::Sender<SendOutcome>);

pub struct SimulatorLink {
    name: String,
    store: Store,
    cfg: SimulatorConfig,
    queue: mpsc::Sender<Pending>,
    events: mpsc::Sender<LinkEvent>,
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
            events.clone(),
        ));
        tokio::spawn(redeliver_receipts(
            name.to_string(),
            store.clone(),
            events.clone(),
        ));
        Arc::new(SimulatorLink {
            name: name.to_string(),
            store,
            cfg,
            queue: tx,
            events,
        })
    }
}

/// Like an SMSC that repeats receipts until they are acknowledged: receipts
/// for messages still waiting for one after a while (theirs was lost with a
/// crashed node) are sent again. Repeats are harmless: a receipt is applied
/// once.
async fn redeliver_receipts(link: String, store: Store, events: mpsc::Sender<LinkEvent>) {
    loop {
        let older_than = crate::core::time::now_ms() - RECEIPT_RETRY.as_millis() as i64;
        match store.awaiting_receipt(&link, older_than).await {
            Ok(ids) => {
                for external_id in ids {
                    let report = LinkEvent::Report {
                        link: link.clone(),
                        external_id,
                        report: DeliveryReport::Delivered,
                    };
                    if events.send(report).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => tracing::warn!(link = %link, error = %e, "could not look for receipts to redeliver"),
        }
        tokio::time::sleep(RECEIPT_RETRY).await;
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
            .refuse_suffix
            .as_deref()
            .is_some_and(|p| number.ends_with(p))
        {
            return SendOutcome::Failed {
                reason: crate::smpp::command_status::name(crate::smpp::command_status::ESME_RINVDSTADR),
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
                Some((_, id)) => {
                    // Its receipt may have died with the process: send it again.
                    let external_id = format!("sim-{id}");
                    let _ = self
                        .events
                        .send(LinkEvent::Report {
                            link: self.name.clone(),
                            external_id: external_id.clone(),
                            report: DeliveryReport::Delivered,
                        })
                        .await;
                    Reconciled::Sent {
                        external_id: Some(external_id),
                    }
                }
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
            "refuse_suffix": self.cfg.refuse_suffix,
            "queued_writes": QUEUE - self.queue.capacity(),
        })
    }
}
