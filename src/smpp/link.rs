//! `SmppLink`: one carrier account as a `core::Link`. It owns N bind tasks,
//! sends each message's segments through one bound, healthy bind (round
//! robin), charges the per-account token bucket per segment, remembers a
//! partial acceptance so a retry sends only the missing segments, passes
//! each segment's receipt on under its normalised carrier id (the store
//! rolls them up per message) and turns MO traffic into `LinkEvent::Inbound`
//! (one-part messages) or `LinkEvent::InboundPart` (each part of a
//! concatenated one, joined by the gateway once all are persisted). Every
//! MO is answered only when its event's `ack` says it is persisted. Knows
//! `core` and the SMPP modules; never the store, routing or flows.

use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use governor::DefaultDirectRateLimiter;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::core::link::{DeliveryReport, Link, LinkEvent, LinkKind, MoPart, Reconciled, SendOutcome};
use crate::core::time::now_ms;
use crate::core::{OutMsg, Urn};

use super::bind::{self, BindHandle, InboundPdu, SubmitResult};
use super::codec::{Address, Sm};
use super::command_status as cs;
use super::config::SmppConfig;
use super::encoding::{self, ESM_UDHI};
use super::partial::{Partial, Partials};
use super::receipt::{self, ReceiptState};

/// Inbound PDUs queued between the binds and the link's inbound task.
const INBOUND_QUEUE: usize = 256;
/// `registered_delivery`: receipt on final outcome, success or failure.
const RECEIPT_ON_FINAL: u8 = 0x01;
/// How `external_id` joins the carrier ids of a message's segments (the
/// store splits it the same way to match per-segment receipts).
pub const ID_SEPARATOR: char = ',';

pub struct SmppLink {
    name: String,
    cfg: Arc<SmppConfig>,
    binds: Vec<BindHandle>,
    account: RwLock<Option<(u32, Arc<DefaultDirectRateLimiter>)>>,
    next_bind: AtomicUsize,
    reference: AtomicU16,
    partials: Mutex<Partials>,
    receipts: Arc<AtomicU64>,
}

fn account_limiter(rate: Option<u32>) -> Option<(u32, Arc<DefaultDirectRateLimiter>)> {
    rate.map(|r| (r, bind::limiter(r)))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SmppLink {
    /// Starts the binds and the inbound task; everything stops (binds
    /// unbinding first) when `shutdown` is cancelled.
    pub fn start(
        name: impl Into<String>,
        cfg: SmppConfig,
        events: mpsc::Sender<LinkEvent>,
        shutdown: CancellationToken,
    ) -> Arc<SmppLink> {
        let name = name.into();
        let cfg = Arc::new(cfg);
        let (in_tx, in_rx) = mpsc::channel(INBOUND_QUEUE);
        let mut binds = Vec::new();
        for group in &cfg.binds {
            for _ in 0..group.count {
                binds.push(bind::spawn(
                    &name,
                    cfg.clone(),
                    binds.len(),
                    group.kind,
                    in_tx.clone(),
                    shutdown.clone(),
                ));
            }
        }
        let link = Arc::new(SmppLink {
            name,
            account: RwLock::new(account_limiter(cfg.rate_per_account)),
            cfg: cfg.clone(),
            binds,
            next_bind: AtomicUsize::new(0),
            reference: AtomicU16::new(rand::random()),
            partials: Mutex::new(Partials::default()),
            receipts: Arc::new(AtomicU64::new(0)),
        });
        let inbound = InboundTask {
            link: link.name.clone(),
            cfg,
            receipts: link.receipts.clone(),
            events,
        };
        tokio::spawn(inbound.run(in_rx, shutdown));
        link
    }

    /// Changes the per-bind and per-account rates (segments per second) at
    /// run time; `None` means unlimited.
    pub fn set_rates(&self, per_bind: Option<u32>, per_account: Option<u32>) {
        for b in &self.binds {
            b.shared.set_rate(per_bind);
        }
        *self.account.write().unwrap_or_else(|p| p.into_inner()) = account_limiter(per_account);
    }

    /// The binds, for tests and the API.
    pub fn binds(&self) -> &[BindHandle] {
        &self.binds
    }

    fn pick_bind(&self) -> Option<&BindHandle> {
        let senders: Vec<&BindHandle> = self
            .binds
            .iter()
            .filter(|b| b.shared.kind.can_send() && b.shared.is_bound())
            .collect();
        if senders.is_empty() {
            return None;
        }
        let i = self.next_bind.fetch_add(1, Ordering::Relaxed) % senders.len();
        Some(senders[i])
    }

    async fn charge_account(&self, segments: usize) {
        let limiter = self
            .account
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, l)| l.clone());
        if let Some(l) = limiter {
            for _ in 0..segments {
                l.until_ready().await;
            }
        }
    }

    fn segment_sms(&self, msg: &OutMsg, reference: u16) -> Result<Vec<Sm>, String> {
        let dest = msg.urn.path().trim_start_matches('+').to_string();
        let segments = encoding::split(&msg.text, self.cfg.encoding, reference).map_err(|e| e.to_string())?;
        Ok(segments
            .into_iter()
            .map(|s| Sm {
                source: Address {
                    ton: self.cfg.source_ton,
                    npi: self.cfg.source_npi,
                    addr: self.cfg.source_addr.clone(),
                },
                dest: Address {
                    ton: self.cfg.dest_ton,
                    npi: self.cfg.dest_npi,
                    addr: dest.clone(),
                },
                esm_class: if s.udhi { ESM_UDHI } else { 0 },
                registered_delivery: if self.cfg.registered_delivery {
                    RECEIPT_ON_FINAL
                } else {
                    0
                },
                data_coding: s.data_coding,
                short_message: s.short_message,
                sar: s.sar,
                ..Sm::default()
            })
            .collect())
    }

    /// Remembers a partial acceptance (if any segment went through) so the
    /// retry sends only the rest.
    fn keep_partial(&self, id: i64, reference: u16, accepted: Vec<Option<String>>) {
        if accepted.iter().any(Option::is_some) {
            lock(&self.partials).keep(id, Partial { reference, accepted }, now_ms());
        }
    }
}

#[async_trait]
impl Link for SmppLink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> LinkKind {
        LinkKind::Smpp
    }

    fn healthy(&self) -> bool {
        self.binds
            .iter()
            .any(|b| b.shared.kind.can_send() && b.shared.is_bound())
    }

    /// Per sending bind, its window outstanding at the SMSC plus one window
    /// queued in the bind task (see `bind::spawn`), so the window never
    /// drains while the dispatcher hands over the next messages.
    fn max_in_flight(&self) -> usize {
        let senders = self.binds.iter().filter(|b| b.shared.kind.can_send()).count();
        (senders * self.cfg.window * 2).max(1)
    }

    async fn send(&self, msg: &OutMsg) -> SendOutcome {
        if msg.urn.scheme() != "tel" {
            return SendOutcome::Failed {
                reason: format!("SMPP cannot reach {} URNs", msg.urn.scheme()),
            };
        }
        let earlier = lock(&self.partials).take(msg.id, now_ms());
        let reference = match &earlier {
            Some(p) => p.reference,
            None => self.reference.fetch_add(1, Ordering::Relaxed),
        };
        let sms = match self.segment_sms(msg, reference) {
            Ok(s) => s,
            Err(reason) => return SendOutcome::Failed { reason },
        };
        // A text that now splits differently starts afresh.
        let mut accepted = match earlier {
            Some(p) if p.accepted.len() == sms.len() => p.accepted,
            _ => vec![None; sms.len()],
        };
        let Some(bind) = self.pick_bind() else {
            self.keep_partial(msg.id, reference, accepted);
            return SendOutcome::Retry {
                reason: "no bound transmitter or transceiver".into(),
            };
        };
        // Segments the carrier already took are not sent again.
        let missing: Vec<(usize, Sm)> = sms
            .into_iter()
            .enumerate()
            .filter(|(i, _)| accepted[*i].is_none())
            .collect();
        self.charge_account(missing.len()).await;
        let results = futures::future::join_all(
            missing
                .into_iter()
                .map(|(i, sm)| async move { (i, bind.submit(sm).await) }),
        )
        .await;
        let mut retry = None;
        let mut failed = None;
        for (i, r) in results {
            match r {
                SubmitResult::Accepted { message_id } => {
                    accepted[i] = Some(self.cfg.dlr_ids.submit(&message_id))
                }
                SubmitResult::Failed { reason } => failed = Some(reason),
                SubmitResult::Retry { reason } => retry = Some(reason),
            }
        }
        if let Some(reason) = failed {
            return SendOutcome::Failed { reason };
        }
        if let Some(reason) = retry {
            self.keep_partial(msg.id, reference, accepted);
            return SendOutcome::Retry { reason };
        }
        let ids: Vec<String> = accepted.into_iter().flatten().collect();
        SendOutcome::Sent {
            external_id: Some(ids.join(&ID_SEPARATOR.to_string())),
        }
    }

    async fn reconcile(&self, _msg: &OutMsg) -> Reconciled {
        // SMPP has no way to ask whether an unacknowledged submit went out.
        Reconciled::Unknown
    }

    fn details(&self) -> serde_json::Value {
        let binds: Vec<_> = self
            .binds
            .iter()
            .map(|b| {
                json!({
                    "index": b.shared.index,
                    "kind": b.shared.kind,
                    "state": b.shared.state(),
                    "in_flight": b.shared.in_flight(),
                    "window": self.cfg.window,
                    "rate": b.shared.rate().map(|(configured, current)| json!({"configured": configured, "current": current})),
                    "last_error": b.shared.last_error(),
                    "counters": b.shared.counters(),
                })
            })
            .collect();
        json!({
            "host": self.cfg.host,
            "port": self.cfg.port,
            "system_id": self.cfg.system_id,
            "binds": binds,
            "rate_per_account": self.account.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(r, _)| *r),
            "receipts": self.receipts.load(Ordering::Relaxed),
            "partially_accepted": lock(&self.partials).len(),
        })
    }
}

struct InboundTask {
    link: String,
    cfg: Arc<SmppConfig>,
    receipts: Arc<AtomicU64>,
    events: mpsc::Sender<LinkEvent>,
}

impl InboundTask {
    async fn run(self, mut rx: mpsc::Receiver<InboundPdu>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                pdu = rx.recv() => match pdu {
                    Some(p) => self.handle(p).await,
                    None => break,
                },
            }
        }
    }

    async fn handle(&self, p: InboundPdu) {
        if let Some(r) = receipt::parse(&p.sm) {
            self.receipts.fetch_add(1, Ordering::Relaxed);
            let ok = if r.state.is_final() {
                let ev = LinkEvent::Report {
                    link: self.link.clone(),
                    external_id: self.cfg.dlr_ids.receipt(&r.id),
                    report: report_for(r.state, r.err.as_deref()),
                };
                self.events.send(ev).await.is_ok()
            } else {
                true
            };
            let _ = p.reply.send(if ok { cs::ESME_ROK } else { cs::ESME_RX_T_APPN });
            return;
        }
        let sm = &p.sm;
        let addr = if sm.source.ton == 1 && !sm.source.addr.starts_with('+') {
            format!("+{}", sm.source.addr)
        } else {
            sm.source.addr.clone()
        };
        let from = match self.sender_urn(&addr) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(link = %self.link, sender = %sm.source.addr, error = %e, "MO from an unusable sender; refused");
                let _ = p.reply.send(cs::ESME_RINVSRCADR);
                return;
            }
        };
        let udhi = sm.esm_class & ESM_UDHI != 0;
        let packing = self.cfg.encoding.packing;
        let raw = match encoding::read_part(sm.data_coding, udhi, sm.user_data(), sm.sar, packing) {
            Ok(raw) => raw,
            Err(e) => {
                // A broken header: keep the text rather than lose the message.
                tracing::warn!(link = %self.link, error = %e, "MO with a bad UDH; reading it without one");
                encoding::read_part(sm.data_coding, false, sm.user_data(), None, packing).unwrap_or(
                    encoding::RawPart {
                        concat: None,
                        data_coding: sm.data_coding,
                        payload: Vec::new(),
                    },
                )
            }
        };
        let (ack, ack_rx) = oneshot::channel();
        let now = now_ms();
        let ev = match raw.concat {
            // A "concatenation" of one part is a whole message.
            Some(c) if c.total > 1 => LinkEvent::InboundPart {
                link: self.link.clone(),
                from,
                part: MoPart {
                    reference: c.reference,
                    total: c.total,
                    seq: c.seq,
                    data_coding: raw.data_coding,
                    payload: raw.payload,
                    received_on: now,
                    expires_on: now.saturating_add(
                        i64::try_from(self.cfg.timeouts.mo_reassembly_ms).unwrap_or(i64::MAX),
                    ),
                },
                ack: Some(ack),
            },
            _ => LinkEvent::Inbound {
                link: self.link.clone(),
                from,
                text: encoding::decode_payload(raw.data_coding, &raw.payload),
                external_id: None,
                received_on: now,
                ack: Some(ack),
            },
        };
        if self.events.send(ev).await.is_err() {
            let _ = p.reply.send(cs::ESME_RX_T_APPN);
            return;
        }
        // Answered once persisted; a failure is temporary for the carrier,
        // which keeps the PDU and delivers it again.
        tokio::spawn(async move {
            let status = match ack_rx.await {
                Ok(Ok(())) => cs::ESME_ROK,
                _ => cs::ESME_RX_T_APPN,
            };
            let _ = p.reply.send(status);
        });
    }

    fn sender_urn(&self, addr: &str) -> Result<Urn, crate::core::urn::UrnError> {
        Urn::parse(&format!("tel:{addr}"), self.cfg.country.as_deref())
    }
}

/// A segment's final receipt as the spine's report.
fn report_for(state: ReceiptState, err: Option<&str>) -> DeliveryReport {
    match state {
        ReceiptState::Delivered => DeliveryReport::Delivered,
        other => {
            let s = format!("{other:?}").to_ascii_lowercase();
            DeliveryReport::Failed {
                reason: match err {
                    Some(e) => format!("{s} (err {e})"),
                    None => s,
                },
            }
        }
    }
}
