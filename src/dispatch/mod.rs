//! The only module that joins store and links (and, once it lands, the flow
//! engine). It owns the running gateway's tasks:
//!
//! - one outbox worker per link (`outbox`), claiming due messages for the
//!   routes the link serves, pacing them through the link's rate limit;
//! - the recorder (`outbox`), writing send outcomes and receipts in batches;
//! - the inbound loop (`inbound`): contact lookup, opt-out words, triggers;
//!   the parts of concatenated messages (`mo_parts`), persisted one by one
//!   and joined when the last is in or the link's timeout passes;
//! - the scheduler (`scheduler`): broadcasts and flow starts due now,
//!   later, or recurring; and the sweep (`settle`) that completes a
//!   broadcast once all its messages are settled;
//! - the heartbeat and reconciliation (`reconcile`): after a crash, every
//!   message this node had handed to a link is settled against that link.
//!
//! Each runs under `supervise`: a panic or an early return is logged,
//! counted, shown by `/healthz` and followed by a restart with backoff.

mod campaigns;
mod engine;
mod import;
mod inbound;
mod mo_parts;
mod optout;
mod outbox;
pub mod preview;
mod reconcile;
pub mod registry;
mod scheduler;
mod send_one;
mod sessions;
mod settle;
mod starts;
pub mod supervise;
pub mod voice;
pub use send_one::SendTo;
mod waiting;
mod webhooks;

use std::future::Future;
use std::sync::Arc;

use chrono_tz::Tz;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, LinkKindName};
use crate::core::rate::LINK_RATE;
use crate::core::time::{now_ms, Millis};
use crate::core::{segments, Contact, ContactStatus, LinkEvent, Priority, Urn};
use crate::links::simulator::SimulatorLink;
use crate::links::{LinkHandle, LinkSet};
use crate::smpp::SmppLink;
use crate::store::{NewOutMsg, Outcome, Store, StoreError};

pub use campaigns::fire_time;
pub use engine::{FlowError, Sprinted, StartOpts, StartReason};
pub use import::{import_export, ImportError, ImportSummary};
pub use inbound::{handle as handle_inbound, tokenize};
pub use waiting::HELD;
pub use webhooks::{is_private, HostServices, WebhookRefused};

/// Link events (inbound messages, receipts) waiting to be handled.
const EVENT_QUEUE: usize = 10_000;
/// Send outcomes waiting to be recorded.
const OUTCOME_QUEUE: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("link {0:?}: {1}")]
    Link(String, String),
    #[error("flows.imports: {0}: {1}")]
    Import(String, String),
}

/// The running gateway.
pub struct Gateway {
    pub store: Store,
    pub config: Arc<Config>,
    pub links: Arc<LinkSet>,
    pub node: String,
    pub started_on: Millis,
    pub default_tz: Tz,
    events: mpsc::Sender<LinkEvent>,
    outcomes: mpsc::Sender<outbox::Record>,
    cancel: CancellationToken,
    /// Stops carrier links (unbind, BYE) once the dispatchers have drained.
    links_cancel: CancellationToken,
    /// Flows, fields and groups as the engine sees them.
    pub(crate) assets: engine::AssetsCache,
    /// Keyword triggers as inbound messages are matched against them.
    pub(crate) triggers: engine::TriggerCache,
    /// Webhooks and other outside services flows call.
    services: HostServices,
    /// Wakes the flow-start worker when a start is accepted.
    starts_wake: tokio::sync::Notify,
    /// Simulated voice calls in progress on this node (`voice::simulator`).
    pub voice_simulator: voice::simulator::VoiceSimulator,
    /// Failures of the supervised tasks, for `/healthz`.
    pub health: Arc<supervise::TaskHealth>,
}

/// Tasks to await at shutdown.
pub struct Running {
    pub gateway: Arc<Gateway>,
    tasks: JoinSet<()>,
    workers: JoinSet<()>,
}

impl Gateway {
    /// Build the links, settle what a previous run left in flight, and start
    /// every task.
    pub async fn start(config: Config, store: Store) -> Result<Running, StartError> {
        let config = Arc::new(config);
        let node = node_id(&config);
        let default_tz: Tz = config.contacts.default_timezone.parse().unwrap_or(chrono_tz::UTC);
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let (out_tx, out_rx) = mpsc::channel(OUTCOME_QUEUE);

        let saved_rates: std::collections::HashMap<String, f64> =
            store.link_rates().await?.into_iter().collect();
        let links_cancel = CancellationToken::new();
        let mut handles = Vec::new();
        for lc in &config.links {
            let link: Arc<dyn crate::core::Link> = match lc.kind {
                LinkKindName::Simulator => SimulatorLink::start(
                    &lc.name,
                    &node,
                    lc.simulator.clone(),
                    store.clone(),
                    events_tx.clone(),
                ),
                LinkKindName::Smpp => {
                    let Some(cfg) = lc.smpp.clone() else {
                        return Err(StartError::Link(
                            lc.name.clone(),
                            "needs a [links.smpp] table".into(),
                        ));
                    };
                    SmppLink::start(&lc.name, cfg, events_tx.clone(), links_cancel.child_token())
                }
            };
            let rate = start_rate(&lc.name, saved_rates.get(&lc.name).copied(), lc.rate);
            handles.push(Arc::new(LinkHandle::new(link, rate)));
        }
        let routes: Vec<(String, Vec<String>)> = config
            .routes
            .iter()
            .map(|r| (r.prefix.clone(), r.links.clone()))
            .collect();
        let links = Arc::new(LinkSet::new(handles, &routes));
        warn_of_simulator_failover(&config);

        store.replace_config_triggers(&config.triggers).await?;
        let config_webhooks = config.webhooks.clone();

        let gw = Arc::new(Gateway {
            store,
            config,
            links,
            node,
            started_on: now_ms(),
            default_tz,
            events: events_tx,
            outcomes: out_tx,
            cancel: CancellationToken::new(),
            links_cancel,
            assets: engine::AssetsCache::default(),
            triggers: engine::TriggerCache::default(),
            services: HostServices::new(config_webhooks, tokio::runtime::Handle::current()),
            starts_wake: tokio::sync::Notify::new(),
            voice_simulator: Default::default(),
            health: Arc::default(),
        });
        gw.store.heartbeat(&gw.node, gw.started_on).await?;
        let settled = reconcile::settle_own(&gw).await?;
        if settled > 0 {
            tracing::info!(node = %gw.node, messages = settled, "reconciled messages left in flight by the last run");
        }

        for path in &gw.config.flows.imports {
            let text =
                std::fs::read_to_string(path).map_err(|e| StartError::Import(path.clone(), e.to_string()))?;
            let raw: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| StartError::Import(path.clone(), e.to_string()))?;
            let summary = import_export(&gw, raw, "config")
                .await
                .map_err(|e| StartError::Import(path.clone(), e.to_string()))?;
            tracing::info!(file = %path, flows = ?summary.flows, triggers = summary.triggers_created, "flows imported");
        }

        // Read before anything can persist a new message (the API is not
        // serving yet; links' events wait in the channel): what is pending
        // now was left by the last run, and only that is recovered.
        let pending = gw.store.pending_inbound(&gw.node).await?;
        let mut tasks = JoinSet::new();
        // The recorder's and inbound loop's receivers live outside their
        // tasks, so what is queued survives a restart of either.
        let out_rx = Arc::new(tokio::sync::Mutex::new(out_rx));
        gw.supervised(&mut tasks, "recorder", {
            let gw = gw.clone();
            move || outbox::recorder(gw.clone(), out_rx.clone())
        });
        let events_rx = Arc::new(tokio::sync::Mutex::new(events_rx));
        let mut pending = Some(pending);
        gw.supervised(&mut tasks, "inbound", {
            let gw = gw.clone();
            move || inbound::run(gw.clone(), events_rx.clone(), pending.take().unwrap_or_default())
        });
        gw.supervised(&mut tasks, "mo_parts", each(&gw, mo_parts::run));
        gw.supervised(&mut tasks, "scheduler", each(&gw, scheduler::run));
        gw.supervised(&mut tasks, "settle", each(&gw, settle::run));
        gw.supervised(&mut tasks, "heartbeat", each(&gw, reconcile::heartbeat));
        gw.supervised(&mut tasks, "sessions", each(&gw, sessions::run));
        gw.supervised(&mut tasks, "starts", each(&gw, starts::run));
        gw.supervised(&mut tasks, "campaigns", each(&gw, campaigns::run));
        registry::spawn(&gw, &mut tasks);
        let mut workers = JoinSet::new();
        for h in gw.links.links() {
            let (gw2, h) = (gw.clone(), h.clone());
            let mut started = false;
            gw.supervised(&mut workers, format!("outbox:{}", h.name()), move || {
                let again = std::mem::replace(&mut started, true);
                let (gw, h) = (gw2.clone(), h.clone());
                async move {
                    if again {
                        outbox::restarted_worker(gw, h).await
                    } else {
                        outbox::worker(gw, h).await
                    }
                }
            });
        }
        Ok(Running {
            gateway: gw,
            tasks,
            workers,
        })
    }

    /// Run the task `make` builds in `set` under supervision (restarted
    /// after a panic or an early return) until the gateway stops.
    pub(crate) fn supervised<F, Fut>(&self, set: &mut JoinSet<()>, task: impl Into<String>, make: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        set.spawn(supervise::supervise(
            self.health.clone(),
            self.cancel.clone(),
            task.into(),
            supervise::Backoff::default(),
            make,
        ));
    }

    /// Where links and the API deliver inbound messages and receipts.
    pub fn events(&self) -> mpsc::Sender<LinkEvent> {
        self.events.clone()
    }

    pub fn is_stopping(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Tell idle dispatchers that work was queued.
    pub fn wake(&self) {
        self.links.wake_all();
    }

    /// Queue one message to a contact. Nothing is queued for a contact who is
    /// not active unless `force` (opt-out confirmations). `handled`, when
    /// given, is the inbound message this answers: marked handled in the
    /// same transaction. Returns the id.
    pub async fn send_to_contact(
        &self,
        contact: &Contact,
        urn: Option<&Urn>,
        text: &str,
        priority: Priority,
        force: bool,
        handled: Option<i64>,
    ) -> Result<Option<i64>, StoreError> {
        if contact.status != ContactStatus::Active && !force {
            return Ok(None);
        }
        let Some(urn) = urn.or_else(|| contact.urns.iter().find(|u| u.scheme() == "tel")) else {
            return Ok(None);
        };
        let ids = self
            .store
            .queue_msgs_handling(
                &[NewOutMsg {
                    contact_id: Some(contact.id),
                    urn: urn.to_string(),
                    text: text.to_string(),
                    priority,
                    segments: segments::count(text).1,
                    route: self.links.route_for(urn.path()),
                    next_attempt_on: now_ms(),
                    broadcast_id: None,
                    held_reason: None,
                }],
                handled,
            )
            .await?;
        self.wake();
        Ok(ids.first().copied())
    }
}

impl Running {
    /// Stop claiming, let sends in flight finish and their outcomes be
    /// written, then stop everything else.
    pub async fn shutdown(mut self) {
        self.gateway.cancel.cancel();
        self.gateway.wake();
        while self.workers.join_next().await.is_some() {}
        self.gateway.links_cancel.cancel();
        // Workers are done: the recorder drains what they sent, then stops
        // when its channel closes with the last sender.
        let _ = self.gateway.outcomes.send(outbox::Record::Flush).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// A route that names the simulator beside a carrier sends real contacts'
/// messages nowhere while the carrier is down, and marks them delivered.
/// The operator asked for it by naming it, but should hear about it.
fn warn_of_simulator_failover(config: &Config) {
    for r in &config.routes {
        let kinds: Vec<LinkKindName> = r
            .links
            .iter()
            .filter_map(|n| config.links.iter().find(|l| &l.name == n))
            .map(|l| l.kind)
            .collect();
        if kinds.contains(&LinkKindName::Simulator) && kinds.iter().any(|k| *k != LinkKindName::Simulator) {
            tracing::warn!(route = %r.prefix, links = ?r.links, "this route names a simulator link beside a carrier: what goes there reaches no phone, yet is marked delivered");
        }
    }
}

/// The rate a link starts with: the one tuned through the API, unless it is
/// out of range (stored by an older version, or edited by hand), in which
/// case the configured rate — checked when the config was read — and an
/// error in the log: a bad stored setting must not keep the gateway down.
fn start_rate(link: &str, saved: Option<f64>, configured: f64) -> f64 {
    match saved.map(|r| LINK_RATE.check(r)) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            tracing::error!(link, error = %e, rate = configured, "stored link rate ignored; using the configured rate");
            configured
        }
        None => configured,
    }
}

/// A task builder that runs `task` on the gateway each time.
fn each<Fut: 'static>(
    gw: &Arc<Gateway>,
    task: fn(Arc<Gateway>) -> Fut,
) -> impl FnMut() -> Fut + Send + 'static {
    let gw = gw.clone();
    move || task(gw.clone())
}

fn node_id(config: &Config) -> String {
    config.node.id.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "mhero".into())
    })
}

/// Seconds from config as milliseconds, saturating: a huge setting means
/// "a long time", never an overflow.
pub(crate) fn secs_to_ms(secs: u64) -> Millis {
    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)
}

/// How a send outcome is recorded, given the retry policy.
fn outcome_for(config: &Config, attempts_before: u32, o: crate::core::SendOutcome) -> Outcome {
    use crate::core::SendOutcome as S;
    match o {
        S::Sent { external_id } => Outcome::Sent { external_id },
        S::Failed { reason } => Outcome::Failed { reason },
        S::Retry { reason } => {
            let attempt = attempts_before + 1;
            if attempt >= config.outbox.max_attempts {
                Outcome::Failed {
                    reason: format!("gave up after {attempt} attempts: {reason}"),
                }
            } else {
                let backoff = &config.outbox.retry_backoff_secs;
                let secs = backoff
                    .get(attempts_before as usize)
                    .or(backoff.last())
                    .copied()
                    .unwrap_or(60);
                Outcome::Retry {
                    reason,
                    next_attempt_on: now_ms().saturating_add(secs_to_ms(secs)),
                }
            }
        }
    }
}
