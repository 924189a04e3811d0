//! The bind task itself: connect, bind, then one loop that owns the socket
//! (responses we owe first, then frames from the SMSC, then new submits
//! while the window and rate allow, then timers), and reconnect on failure.
//! Within the session every PDU is only buffered; the loop writes what one
//! wakeup produced in a single flush, so a burst of responses is answered
//! by one write of new submits instead of one write per PDU.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use super::{backoff, BindShared, BindState, InboundPdu, SubmitRequest, SubmitResult};
use crate::smpp::codec::{Bind, CodecError, Frame, Incoming, Pdu, Sm, SmppCodec};
use crate::smpp::command_status::{self as cs, SubmitFailure};
use crate::smpp::config::{SmppConfig, Timeouts};

/// How often the task checks timers (request timeouts, idle enquire_link).
const TICK: Duration = Duration::from_millis(100);
/// Sequence numbers run 1..=0x7FFF_FFFF (SMPP 3.4 §3.2).
const MAX_SEQUENCE: u32 = 0x7FFF_FFFF;
/// How long to wait for unbind_resp when closing deliberately.
const UNBIND_WAIT: Duration = Duration::from_secs(2);
/// A rejected bind only waits for shutdown; this just bounds each sleep.
const REJECTED_RECHECK: Duration = Duration::from_secs(3600);

pub(super) struct BindTask {
    pub(super) cfg: Arc<SmppConfig>,
    pub(super) shared: Arc<BindShared>,
    pub(super) rx: mpsc::Receiver<SubmitRequest>,
    pub(super) inbound: mpsc::Sender<InboundPdu>,
    pub(super) shutdown: CancellationToken,
}

/// Why a session ended.
enum End {
    Shutdown,
    Rejected(String),
    Failed(String),
}

struct Pending {
    req: SubmitRequest,
    sent_at: Instant,
}

/// The session state `fill_window` works on.
struct Fill<'a> {
    window: usize,
    pending: &'a mut HashMap<u32, Pending>,
    again: &'a mut VecDeque<SubmitRequest>,
    paused_until: &'a mut Instant,
}

type Conn = Framed<TcpStream, SmppCodec>;

impl BindTask {
    pub(super) async fn run(mut self) {
        let t = self.cfg.timeouts;
        let mut attempt: u32 = 0;
        loop {
            self.shared.set_state(BindState::Connecting);
            let end = match self.connect_and_bind().await {
                Ok(conn) => {
                    attempt = 0;
                    self.shared.set_state(BindState::Bound);
                    tracing::info!(bind = self.shared.index, kind = ?self.shared.kind, "smpp bound");
                    self.session(conn).await
                }
                Err(e) => e,
            };
            let reason = match end {
                End::Shutdown => break,
                End::Rejected(reason) => {
                    tracing::error!(bind = self.shared.index, %reason, "smpp credentials refused; not retrying");
                    self.shared.set_state(BindState::Rejected { reason });
                    self.refuse_until_shutdown().await;
                    break;
                }
                End::Failed(reason) => reason,
            };
            self.shared.count(|c| c.reconnects += 1);
            let delay = backoff(attempt, t.reconnect_min_ms, t.reconnect_max_ms);
            attempt = attempt.saturating_add(1);
            tracing::warn!(bind = self.shared.index, %reason, ?delay, "smpp bind down; reconnecting");
            self.shared.set_state(BindState::Backoff { reason });
            if self.refuse_for(delay).await {
                break;
            }
        }
        self.shared.set_state(BindState::Stopped);
        self.rx.close();
        while let Ok(req) = self.rx.try_recv() {
            let _ = req.reply.send(SubmitResult::Retry {
                reason: "link is shutting down".into(),
            });
        }
    }

    /// While not bound, every request is answered "retry" at once so no
    /// caller waits on a dead bind. Returns true on shutdown.
    async fn refuse_for(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return true,
                _ = sleep_until(until) => return false,
                Some(req) = self.rx.recv() => {
                    let reason = format!("bind {} is not bound", self.shared.index);
                    let _ = req.reply.send(SubmitResult::Retry { reason });
                }
            }
        }
    }

    async fn refuse_until_shutdown(&mut self) {
        while !self.refuse_for(REJECTED_RECHECK).await {}
    }

    async fn connect_and_bind(&mut self) -> Result<Conn, End> {
        let t = self.cfg.timeouts;
        let addr = format!("{}:{}", self.cfg.host, self.cfg.port);
        let stream = tokio::select! {
            _ = self.shutdown.cancelled() => return Err(End::Shutdown),
            r = timeout(Timeouts::ms(t.connect_ms), TcpStream::connect(&addr)) => match r {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return Err(End::Failed(format!("connect to {addr}: {e}"))),
                Err(_) => return Err(End::Failed(format!("connect to {addr}: timed out"))),
            },
        };
        let _ = stream.set_nodelay(true);
        let mut conn = Framed::new(stream, SmppCodec);
        let bind = Bind {
            kind: self.shared.kind,
            system_id: self.cfg.system_id.clone(),
            password: self.cfg.password.clone(),
            system_type: self.cfg.system_type.clone(),
            version: self.cfg.version,
            addr_ton: self.cfg.addr_ton,
            addr_npi: self.cfg.addr_npi,
            address_range: self.cfg.address_range.clone(),
        };
        conn.send(Frame {
            status: 0,
            sequence: 1,
            pdu: Pdu::Bind(bind),
        })
        .await
        .map_err(|e| End::Failed(format!("sending bind: {e}")))?;
        let deadline = Instant::now() + Timeouts::ms(t.bind_ms);
        loop {
            let next = tokio::select! {
                _ = self.shutdown.cancelled() => return Err(End::Shutdown),
                _ = sleep_until(deadline) => return Err(End::Failed("no bind_resp in time".into())),
                n = conn.next() => n,
            };
            match next {
                Some(Ok(Incoming::Frame(Frame {
                    status,
                    pdu: Pdu::BindResp { .. },
                    ..
                })))
                | Some(Ok(Incoming::Frame(Frame {
                    status,
                    pdu: Pdu::GenericNack,
                    ..
                }))) => {
                    return match status {
                        cs::ESME_ROK => Ok(conn),
                        s if cs::is_credentials_error(s) => {
                            Err(End::Rejected(format!("bind refused: {}", cs::name(s))))
                        }
                        s => Err(End::Failed(format!("bind refused: {}", cs::name(s)))),
                    };
                }
                Some(Ok(Incoming::Frame(Frame {
                    sequence,
                    pdu: Pdu::EnquireLink,
                    ..
                }))) => {
                    let _ = conn
                        .send(Frame {
                            status: 0,
                            sequence,
                            pdu: Pdu::EnquireLinkResp,
                        })
                        .await;
                }
                Some(Ok(other)) => tracing::debug!(?other, "ignored before bind_resp"),
                Some(Err(e)) => return Err(End::Failed(format!("reading bind_resp: {e}"))),
                None => return Err(End::Failed("connection closed before bind_resp".into())),
            }
        }
    }

    async fn session(&mut self, mut conn: Conn) -> End {
        let t = self.cfg.timeouts;
        let window = self.cfg.window.max(1);
        let mut seq: u32 = 1;
        let mut next_seq = || {
            seq = if seq >= MAX_SEQUENCE { 1 } else { seq + 1 };
            seq
        };
        let mut pending: HashMap<u32, Pending> = HashMap::new();
        // Throttled requests go back to the head of the line.
        let mut again: VecDeque<SubmitRequest> = VecDeque::new();
        let mut paused_until = Instant::now();
        let mut replies = FuturesUnordered::new();
        let mut last_rx = Instant::now();
        let mut enquiring: Option<(u32, Instant)> = None;
        let mut tick = tokio::time::interval(TICK);
        let end = loop {
            if !conn.write_buffer().is_empty() {
                if let Err(e) = conn.flush().await {
                    break End::Failed(format!("writing to SMSC: {e}"));
                }
            }
            let now = Instant::now();
            let can_send = self.shared.kind.can_send() && pending.len() < window && now >= paused_until;
            self.shared.set_in_flight(pending.len());
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break End::Shutdown,
                Some((sequence, pdu, status)) = replies.next(), if !replies.is_empty() => {
                    if let Err(e) = conn.feed(Frame { status, sequence, pdu }).await {
                        break End::Failed(format!("writing response: {e}"));
                    }
                }
                next = conn.next() => {
                    last_rx = Instant::now();
                    match next {
                        None => break End::Failed("SMSC closed the connection".into()),
                        Some(Err(e)) => {
                            self.shared.count(|c| c.malformed += 1);
                            break End::Failed(format!("unreadable stream from SMSC: {e}"));
                        }
                        Some(Ok(Incoming::Malformed { command_id, sequence, reason })) => {
                            self.shared.count(|c| c.malformed += 1);
                            tracing::warn!(bind = self.shared.index, command_id, sequence, %reason, "malformed PDU from SMSC");
                            if command_id & 0x8000_0000 == 0 {
                                let status = if cs::is_known_command(command_id) { cs::ESME_RINVCMDLEN } else { cs::ESME_RINVCMDID };
                                let nack = Frame { status, sequence, pdu: Pdu::GenericNack };
                                if let Err(e) = conn.feed(nack).await {
                                    break End::Failed(format!("writing generic_nack: {e}"));
                                }
                            } else if let Some(p) = pending.remove(&sequence) {
                                let _ = p.req.reply.send(SubmitResult::Retry { reason: format!("malformed response: {reason}") });
                            }
                        }
                        Some(Ok(Incoming::Frame(f))) => {
                            match self.on_frame(f, &mut pending, &mut again, &mut paused_until, &mut enquiring, &mut replies, &mut conn).await {
                                Ok(None) => {}
                                Ok(Some(end)) => break end,
                                Err(e) => break End::Failed(e),
                            }
                        }
                    }
                }
                _ = std::future::ready(()), if can_send && !again.is_empty() => {
                    let mut fill = Fill { window, pending: &mut pending, again: &mut again, paused_until: &mut paused_until };
                    if let Err(e) = self.fill_window(None, &mut next_seq, &mut fill, &mut conn).await {
                        break End::Failed(e);
                    }
                }
                req = self.rx.recv(), if can_send && again.is_empty() => {
                    let Some(req) = req else { break End::Shutdown };
                    let mut fill = Fill { window, pending: &mut pending, again: &mut again, paused_until: &mut paused_until };
                    if let Err(e) = self.fill_window(Some(req), &mut next_seq, &mut fill, &mut conn).await {
                        break End::Failed(e);
                    }
                }
                // Wakes the loop when a rate or throttle pause ends.
                _ = sleep_until(paused_until), if now < paused_until => {}
                _ = tick.tick() => {
                    let now = Instant::now();
                    let expired: Vec<u32> = pending
                        .iter()
                        .filter(|(_, p)| now - p.sent_at >= Timeouts::ms(t.response_ms))
                        .map(|(s, _)| *s)
                        .collect();
                    let burst = expired.len() >= window;
                    for s in expired {
                        if let Some(p) = pending.remove(&s) {
                            self.shared.count(|c| c.timeouts += 1);
                            let reason = format!("no submit_sm_resp within {} ms", t.response_ms);
                            let _ = p.req.reply.send(SubmitResult::Retry { reason });
                        }
                    }
                    if burst {
                        break End::Failed("a whole window of submits timed out".into());
                    }
                    if let Some((_, at)) = enquiring {
                        if now - at >= Timeouts::ms(t.enquire_link_timeout_ms) {
                            break End::Failed("enquire_link unanswered".into());
                        }
                    } else if now - last_rx >= Timeouts::ms(t.enquire_link_ms) {
                        let s = next_seq();
                        enquiring = Some((s, now));
                        if let Err(e) = conn.feed(Frame { status: 0, sequence: s, pdu: Pdu::EnquireLink }).await {
                            break End::Failed(format!("writing enquire_link: {e}"));
                        }
                    }
                    self.shared.adjust_rate(false);
                }
            }
        };
        if matches!(end, End::Shutdown) {
            let s = next_seq();
            if conn
                .send(Frame {
                    status: 0,
                    sequence: s,
                    pdu: Pdu::Unbind,
                })
                .await
                .is_ok()
            {
                let _ = timeout(UNBIND_WAIT, async {
                    while let Some(Ok(f)) = conn.next().await {
                        if matches!(
                            f,
                            Incoming::Frame(Frame {
                                pdu: Pdu::UnbindResp,
                                ..
                            })
                        ) {
                            break;
                        }
                    }
                })
                .await;
            }
        }
        let reason = match &end {
            End::Shutdown => "link is shutting down".to_string(),
            End::Rejected(r) | End::Failed(r) => format!("connection lost before response: {r}"),
        };
        for (_, p) in pending.drain() {
            let _ = p.req.reply.send(SubmitResult::Retry {
                reason: reason.clone(),
            });
        }
        for req in again.drain(..) {
            let _ = req.reply.send(SubmitResult::Retry {
                reason: reason.clone(),
            });
        }
        self.shared.set_in_flight(0);
        end
    }

    /// Buffers submits while the window and the rate allow: throttled ones
    /// first, then whatever is queued (starting with `first`, already taken
    /// from the queue). The loop flushes them together.
    async fn fill_window(
        &mut self,
        first: Option<SubmitRequest>,
        next_seq: &mut impl FnMut() -> u32,
        fill: &mut Fill<'_>,
        conn: &mut Conn,
    ) -> Result<(), String> {
        let mut next = first;
        loop {
            let req = match next.take() {
                Some(r) => r,
                None => {
                    if fill.pending.len() >= fill.window || Instant::now() < *fill.paused_until {
                        return Ok(());
                    }
                    match fill.again.pop_front() {
                        Some(r) => r,
                        None => match self.rx.try_recv() {
                            Ok(r) => r,
                            Err(_) => return Ok(()),
                        },
                    }
                }
            };
            if let Some(back) = self
                .write_submit(req, next_seq(), fill.pending, fill.paused_until, conn)
                .await?
            {
                fill.again.push_front(back);
                return Ok(());
            }
        }
    }

    async fn write_submit(
        &self,
        req: SubmitRequest,
        sequence: u32,
        pending: &mut HashMap<u32, Pending>,
        paused_until: &mut Instant,
        conn: &mut Conn,
    ) -> Result<Option<SubmitRequest>, String> {
        let wait = self.shared.rate_wait();
        if !wait.is_zero() {
            // Over the per-bind rate: the request goes back to the head of
            // the line and the bind pauses until a token is free.
            *paused_until = Instant::now() + wait;
            return Ok(Some(req));
        }
        let frame = Frame {
            status: 0,
            sequence,
            pdu: Pdu::SubmitSm(Box::new(req.sm.clone())),
        };
        match conn.feed(frame).await {
            Ok(()) => {}
            Err(CodecError::Field { field, reason }) => {
                let _ = req.reply.send(SubmitResult::Failed {
                    reason: format!("cannot encode {field}: {reason}"),
                });
                return Ok(None);
            }
            Err(e) => {
                let _ = req.reply.send(SubmitResult::Retry {
                    reason: format!("writing submit_sm: {e}"),
                });
                return Err(format!("writing submit_sm: {e}"));
            }
        }
        self.shared.count(|c| c.submitted += 1);
        pending.insert(
            sequence,
            Pending {
                req,
                sent_at: Instant::now(),
            },
        );
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    async fn on_frame(
        &self,
        f: Frame,
        pending: &mut HashMap<u32, Pending>,
        again: &mut VecDeque<SubmitRequest>,
        paused_until: &mut Instant,
        enquiring: &mut Option<(u32, Instant)>,
        replies: &mut FuturesUnordered<futures::future::BoxFuture<'static, (u32, Pdu, u32)>>,
        conn: &mut Conn,
    ) -> Result<Option<End>, String> {
        match f.pdu {
            Pdu::SubmitSmResp { message_id } | Pdu::DataSmResp { message_id } => {
                let Some(p) = pending.remove(&f.sequence) else {
                    tracing::debug!(sequence = f.sequence, "response for no pending request");
                    return Ok(None);
                };
                self.on_submit_status(p, f.status, message_id, again, paused_until);
            }
            Pdu::GenericNack => {
                if let Some(p) = pending.remove(&f.sequence) {
                    self.on_submit_status(p, f.status.max(1), String::new(), again, paused_until);
                } else if enquiring.is_some_and(|(s, _)| s == f.sequence) {
                    *enquiring = None;
                }
            }
            Pdu::EnquireLink => {
                conn.feed(Frame {
                    status: 0,
                    sequence: f.sequence,
                    pdu: Pdu::EnquireLinkResp,
                })
                .await
                .map_err(|e| format!("writing enquire_link_resp: {e}"))?;
            }
            Pdu::EnquireLinkResp => {
                if enquiring.is_some_and(|(s, _)| s == f.sequence) {
                    *enquiring = None;
                }
            }
            Pdu::Unbind => {
                let _ = conn
                    .send(Frame {
                        status: 0,
                        sequence: f.sequence,
                        pdu: Pdu::UnbindResp,
                    })
                    .await;
                return Ok(Some(End::Failed("SMSC unbound".into())));
            }
            Pdu::DeliverSm(sm) => self.inbound(*sm, false, f.sequence, replies, conn).await?,
            Pdu::DataSm(sm) => self.inbound(*sm, true, f.sequence, replies, conn).await?,
            Pdu::UnbindResp | Pdu::BindResp { .. } | Pdu::DeliverSmResp => {}
            other => {
                if !other.is_response() {
                    conn.feed(Frame {
                        status: cs::ESME_RINVCMDID,
                        sequence: f.sequence,
                        pdu: Pdu::GenericNack,
                    })
                    .await
                    .map_err(|e| format!("writing generic_nack: {e}"))?;
                }
            }
        }
        Ok(None)
    }

    /// Hands a deliver_sm / data_sm to the link; its response goes out
    /// only when the link answers (after the message is persisted).
    async fn inbound(
        &self,
        sm: Sm,
        is_data_sm: bool,
        sequence: u32,
        replies: &mut FuturesUnordered<futures::future::BoxFuture<'static, (u32, Pdu, u32)>>,
        conn: &mut Conn,
    ) -> Result<(), String> {
        let (reply, rx) = oneshot::channel();
        let msg = InboundPdu {
            bind: self.shared.index,
            sm,
            is_data_sm,
            reply,
        };
        let resp = if is_data_sm {
            Pdu::DataSmResp {
                message_id: String::new(),
            }
        } else {
            Pdu::DeliverSmResp
        };
        // Never wait here: a slow consumer must not stall this socket's
        // submit responses. A full queue is a temporary error the carrier
        // answers by redelivering later.
        if let Err(e) = self.inbound.try_send(msg) {
            tracing::warn!(bind = self.shared.index, error = %e, "inbound queue unavailable; asking the SMSC to redeliver");
            return conn
                .feed(Frame {
                    status: cs::ESME_RX_T_APPN,
                    sequence,
                    pdu: resp,
                })
                .await
                .map_err(|e| format!("writing deliver_sm_resp: {e}"));
        }
        let limit = Timeouts::ms(self.cfg.timeouts.response_ms);
        replies.push(Box::pin(async move {
            // Not acknowledged in time: a temporary error, so the carrier
            // redelivers rather than the message being lost.
            let status = timeout(limit, rx)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(cs::ESME_RX_T_APPN);
            (sequence, resp, status)
        }));
        Ok(())
    }

    fn on_submit_status(
        &self,
        p: Pending,
        status: u32,
        message_id: String,
        again: &mut VecDeque<SubmitRequest>,
        paused_until: &mut Instant,
    ) {
        let t = self.cfg.timeouts;
        if status == cs::ESME_ROK {
            self.shared.count(|c| c.accepted += 1);
            let _ = p.req.reply.send(SubmitResult::Accepted { message_id });
            return;
        }
        match cs::classify_submit(status) {
            SubmitFailure::Throttled => {
                self.shared.count(|c| c.throttled += 1);
                self.shared.adjust_rate(true);
                *paused_until = (*paused_until).max(Instant::now() + Timeouts::ms(t.throttle_pause_ms));
                again.push_back(p.req);
            }
            SubmitFailure::QueueFull => {
                self.shared.count(|c| c.throttled += 1);
                self.shared.adjust_rate(true);
                *paused_until = (*paused_until).max(Instant::now() + Timeouts::ms(t.queue_full_pause_ms));
                again.push_back(p.req);
            }
            SubmitFailure::Temporary => {
                let _ = p.req.reply.send(SubmitResult::Retry {
                    reason: cs::name(status),
                });
            }
            SubmitFailure::Permanent => {
                let _ = p.req.reply.send(SubmitResult::Failed {
                    reason: cs::name(status),
                });
            }
        }
    }
}
