//! A bench-only SMSC sink on 127.0.0.1, written straight on the wire format
//! (not on our codec, so it shares no code with the ESME it measures): it
//! accepts any bind, answers submit_sm with an id, optionally after a fixed
//! delay, optionally answers ESME_RTHROTTLED (0x58) above N submit_sm per
//! wall-clock second (the node-smpp simulator's rule), optionally sends a
//! delivery receipt per accepted submit, and counts what it sees. It runs on
//! its own multi-threaded runtime so the bench's own polling cannot slow it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BufMut, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant as TokioInstant;

const HEADER_LEN: usize = 16;
/// Longest PDU we accept (SMPP 3.4 leaves it open; carriers use a few KiB).
const MAX_PDU: usize = 64 * 1024;
/// Frames buffered between a connection's reader and writer.
const WRITE_QUEUE: usize = 8192;
/// Worker threads of the sink's own runtime.
const SINK_THREADS: usize = 2;
/// How early a delayed response's timer fires before the rest is slept on
/// the OS clock: one tick of tokio's millisecond timer, plus margin.
const TIMER_SLACK: Duration = Duration::from_micros(1500);

const BIND_RECEIVER: u32 = 0x0000_0001;
const BIND_TRANSMITTER: u32 = 0x0000_0002;
const SUBMIT_SM: u32 = 0x0000_0004;
const DELIVER_SM: u32 = 0x0000_0005;
const UNBIND: u32 = 0x0000_0006;
const BIND_TRANSCEIVER: u32 = 0x0000_0009;
const ENQUIRE_LINK: u32 = 0x0000_0015;
const GENERIC_NACK: u32 = 0x8000_0000;
const RESP: u32 = 0x8000_0000;
const ESME_RTHROTTLED: u32 = 0x58;
const ESME_RINVCMDID: u32 = 0x03;
const TLV_RECEIPTED_MESSAGE_ID: u16 = 0x001E;
const TLV_MESSAGE_STATE: u16 = 0x0427;
const MESSAGE_STATE_DELIVERED: u8 = 2;

#[derive(Debug, Clone, Copy, Default)]
pub struct SinkOptions {
    /// Every submit_sm_resp leaves this long after its submit_sm arrived.
    pub resp_delay: Duration,
    /// Answer 0x58 to submits beyond this many in one wall-clock second.
    pub throttle_above: Option<u32>,
    /// Send a deliver_sm receipt after each accepted submit.
    pub receipts: bool,
    /// Record each destination's first attempt and acceptance times.
    pub track_messages: bool,
}

#[derive(Default)]
pub struct Stats {
    pub submits: AtomicU64,
    pub accepted: AtomicU64,
    pub throttled: AtomicU64,
    pub receipts_acked: AtomicU64,
    pub binds: AtomicU64,
    /// Nanoseconds since the sink's epoch of the first and last acceptance.
    first_ns: AtomicU64,
    last_ns: AtomicU64,
    /// Acceptances per second since the first.
    per_second: Mutex<Vec<u64>>,
    /// Destination → (first attempt, acceptance), when tracking.
    messages: Mutex<HashMap<Vec<u8>, Attempts>>,
}

/// When a destination was first tried and when it was accepted.
type Attempts = (Instant, Option<Instant>);

/// What a run looked like from the sink.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub submits: u64,
    pub accepted: u64,
    pub throttled: u64,
    pub receipts_acked: u64,
    /// Accepted ÷ (last − first acceptance).
    pub rate: f64,
    pub span: Duration,
    pub per_second: Vec<u64>,
    /// Distinct destinations accepted, and the longest any waited between its
    /// first attempt and its acceptance.
    pub distinct_accepted: usize,
    pub max_wait: Duration,
}

pub struct Sink {
    pub port: u16,
    pub stats: Arc<Stats>,
    epoch: Instant,
    stop: Arc<AtomicBool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Sink {
    /// Starts listening on 127.0.0.1:`port` (0 = any free port).
    pub fn start(port: u16, opts: SinkOptions) -> Sink {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(SINK_THREADS)
            .thread_name("smsc-sink")
            .enable_all()
            .build()
            .expect("sink runtime");
        // Bound without `block_on`, so a sink can start inside another runtime.
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("sink listen");
        std_listener.set_nonblocking(true).expect("sink nonblocking");
        let listener = {
            let _inside = runtime.enter();
            TcpListener::from_std(std_listener).expect("sink listener")
        };
        let port = listener.local_addr().expect("sink addr").port();
        let stats = Arc::new(Stats::default());
        let epoch = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            opts,
            stats: stats.clone(),
            epoch,
            throttle: Mutex::new((0, 0)),
            next_id: AtomicU64::new(1),
        });
        runtime.spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(connection(sock, shared.clone()));
            }
        });
        Sink {
            port,
            stats,
            epoch,
            stop,
            runtime: Some(runtime),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let s = &self.stats;
        let accepted = s.accepted.load(Ordering::Relaxed);
        let first = s.first_ns.load(Ordering::Relaxed);
        let last = s.last_ns.load(Ordering::Relaxed);
        let span = Duration::from_nanos(last.saturating_sub(first));
        let rate = if accepted > 1 && !span.is_zero() {
            (accepted - 1) as f64 / span.as_secs_f64()
        } else {
            0.0
        };
        let msgs = s.messages.lock().unwrap();
        let max_wait = msgs
            .values()
            .filter_map(|(first, ok)| ok.map(|ok| ok - *first))
            .max()
            .unwrap_or_default();
        Snapshot {
            submits: s.submits.load(Ordering::Relaxed),
            accepted,
            throttled: s.throttled.load(Ordering::Relaxed),
            receipts_acked: s.receipts_acked.load(Ordering::Relaxed),
            rate,
            span,
            per_second: s.per_second.lock().unwrap().clone(),
            distinct_accepted: msgs.values().filter(|(_, ok)| ok.is_some()).count(),
            max_wait,
        }
    }

    /// Forgets what was counted so far (between runs on one sink).
    pub fn reset(&self) {
        let s = &self.stats;
        for a in [
            &s.submits,
            &s.accepted,
            &s.throttled,
            &s.receipts_acked,
            &s.first_ns,
            &s.last_ns,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        s.per_second.lock().unwrap().clear();
        s.messages.lock().unwrap().clear();
    }

    /// Waits until `n` submits were accepted, or `limit` passes.
    pub fn wait_accepted(&self, n: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.stats.accepted.load(Ordering::Relaxed) < n {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

struct Shared {
    opts: SinkOptions,
    stats: Arc<Stats>,
    epoch: Instant,
    /// (wall-clock second, submits seen in it), shared by all binds.
    throttle: Mutex<(u64, u32)>,
    next_id: AtomicU64,
}

impl Shared {
    fn throttles_now(&self) -> bool {
        let Some(limit) = self.opts.throttle_above else {
            return false;
        };
        let second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut t = self.throttle.lock().unwrap();
        if t.0 != second {
            *t = (second, 0);
        }
        t.1 += 1;
        t.1 > limit
    }

    fn accepted(&self, dest: &[u8], now: Instant) {
        let s = &self.stats;
        let ns = (now - self.epoch).as_nanos() as u64;
        if s.accepted.fetch_add(1, Ordering::Relaxed) == 0 {
            s.first_ns.store(ns, Ordering::Relaxed);
        }
        s.last_ns.fetch_max(ns, Ordering::Relaxed);
        let first = s.first_ns.load(Ordering::Relaxed);
        let second = (ns.saturating_sub(first) / 1_000_000_000) as usize;
        {
            let mut ps = s.per_second.lock().unwrap();
            if ps.len() <= second {
                ps.resize(second + 1, 0);
            }
            ps[second] += 1;
        }
        if self.opts.track_messages {
            let mut m = s.messages.lock().unwrap();
            let e = m.entry(dest.to_vec()).or_insert((now, None));
            e.1.get_or_insert(now);
        }
    }

    fn attempted(&self, dest: &[u8], now: Instant) {
        if self.opts.track_messages {
            self.stats
                .messages
                .lock()
                .unwrap()
                .entry(dest.to_vec())
                .or_insert((now, None));
        }
    }
}

/// One outgoing frame and when it may leave.
struct Out {
    due: TokioInstant,
    bytes: BytesMut,
}

async fn connection(sock: TcpStream, shared: Arc<Shared>) {
    let (mut rd, wr) = sock.into_split();
    let (tx, rx) = mpsc::channel::<Out>(WRITE_QUEUE);
    let writer = tokio::spawn(write_loop(wr, rx));
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut seq: u32 = 0;
    'read: loop {
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        while buf.len() >= 4 {
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if !(HEADER_LEN..=MAX_PDU).contains(&len) {
                break 'read;
            }
            if buf.len() < len {
                break;
            }
            let pdu = buf.split_to(len);
            let id = u32::from_be_bytes([pdu[4], pdu[5], pdu[6], pdu[7]]);
            let sequence = u32::from_be_bytes([pdu[12], pdu[13], pdu[14], pdu[15]]);
            let body = &pdu[HEADER_LEN..];
            let now = TokioInstant::now();
            let outs: Vec<Out> = match id {
                BIND_RECEIVER | BIND_TRANSMITTER | BIND_TRANSCEIVER => {
                    shared.stats.binds.fetch_add(1, Ordering::Relaxed);
                    vec![Out {
                        due: now,
                        bytes: pdu_bytes(id | RESP, 0, sequence, b"SINK\0"),
                    }]
                }
                SUBMIT_SM => submit(&shared, body, sequence, now, &mut seq),
                ENQUIRE_LINK => vec![Out {
                    due: now,
                    bytes: pdu_bytes(ENQUIRE_LINK | RESP, 0, sequence, &[]),
                }],
                UNBIND => {
                    let _ = tx
                        .send(Out {
                            due: now,
                            bytes: pdu_bytes(UNBIND | RESP, 0, sequence, &[]),
                        })
                        .await;
                    break 'read;
                }
                x if x == DELIVER_SM | RESP => {
                    shared.stats.receipts_acked.fetch_add(1, Ordering::Relaxed);
                    vec![]
                }
                x if x & RESP != 0 => vec![],
                _ => vec![Out {
                    due: now,
                    bytes: pdu_bytes(GENERIC_NACK, ESME_RINVCMDID, sequence, &[]),
                }],
            };
            for o in outs {
                if tx.send(o).await.is_err() {
                    break 'read;
                }
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

fn submit(shared: &Shared, body: &[u8], sequence: u32, now: TokioInstant, seq: &mut u32) -> Vec<Out> {
    let stats = &shared.stats;
    stats.submits.fetch_add(1, Ordering::Relaxed);
    let f = SubmitFields::read(body);
    let wall = now.into_std();
    if shared.throttles_now() {
        stats.throttled.fetch_add(1, Ordering::Relaxed);
        shared.attempted(f.dest, wall);
        return vec![Out {
            due: now,
            bytes: pdu_bytes(SUBMIT_SM | RESP, ESME_RTHROTTLED, sequence, &[]),
        }];
    }
    shared.accepted(f.dest, wall);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed).to_string();
    let mut resp_body = id.clone().into_bytes();
    resp_body.push(0);
    let due = now + shared.opts.resp_delay;
    let mut outs = vec![Out {
        due,
        bytes: pdu_bytes(SUBMIT_SM | RESP, 0, sequence, &resp_body),
    }];
    if shared.opts.receipts && f.registered_delivery & 0x03 != 0 {
        *seq = seq.wrapping_add(1).max(1);
        outs.push(Out {
            due,
            bytes: receipt(&f, &id, *seq),
        });
    }
    outs
}

async fn write_loop(wr: tokio::net::tcp::OwnedWriteHalf, mut rx: mpsc::Receiver<Out>) {
    let mut w = BufWriter::with_capacity(64 * 1024, wr);
    while let Some(o) = rx.recv().await {
        // The delay is the same for every response, so due times are in
        // arrival order and one FIFO suffices.
        if o.due > TokioInstant::now() {
            if w.flush().await.is_err() {
                return;
            }
            // Tokio's timer counts whole milliseconds and rounds up, which
            // turns 20 ms into 20–22 ms: wake a little early and finish on
            // the OS clock (blocking this worker for under TIMER_SLACK) so
            // the delay is the one the case names.
            tokio::time::sleep_until(o.due.checked_sub(TIMER_SLACK).unwrap_or(o.due)).await;
            let left = o.due.saturating_duration_since(TokioInstant::now());
            if !left.is_zero() {
                std::thread::sleep(left);
            }
        }
        if w.write_all(&o.bytes).await.is_err() {
            return;
        }
        if rx.is_empty() && w.flush().await.is_err() {
            return;
        }
    }
    let _ = w.flush().await;
}

/// The submit_sm fields the sink needs, read without a full decode.
struct SubmitFields<'a> {
    source: &'a [u8],
    dest: &'a [u8],
    registered_delivery: u8,
}

impl<'a> SubmitFields<'a> {
    fn read(body: &'a [u8]) -> SubmitFields<'a> {
        let mut at = 0;
        let cstr = |at: &mut usize| -> &'a [u8] {
            let rest = body.get(*at..).unwrap_or(&[]);
            let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            *at += end + 1;
            &rest[..end]
        };
        let _service_type = cstr(&mut at);
        at += 2;
        let source = cstr(&mut at);
        at += 2;
        let dest = cstr(&mut at);
        at += 3; // esm_class, protocol_id, priority_flag
        let _schedule = cstr(&mut at);
        let _validity = cstr(&mut at);
        let registered_delivery = body.get(at).copied().unwrap_or(0);
        SubmitFields {
            source,
            dest,
            registered_delivery,
        }
    }
}

/// A deliver_sm receipt (SMPP 3.4 appendix B text plus the TLVs).
fn receipt(f: &SubmitFields<'_>, id: &str, sequence: u32) -> BytesMut {
    let text = format!(
        "id:{id} sub:001 dlvrd:001 submit date:2601010000 done date:2601010000 stat:DELIVRD err:000 text:"
    );
    let mut b = BytesMut::with_capacity(128);
    b.put_u8(0); // service_type
    b.put_slice(&[1, 1]);
    b.put_slice(f.dest);
    b.put_u8(0);
    b.put_slice(&[0, 0]);
    b.put_slice(f.source);
    b.put_u8(0);
    b.put_slice(&[0x04, 0, 0]); // esm_class receipt, protocol_id, priority
    b.put_slice(&[0, 0]); // schedule, validity
    b.put_slice(&[0, 0, 0, 0]); // registered_delivery, replace, data_coding, default msg
    b.put_u8(text.len() as u8);
    b.put_slice(text.as_bytes());
    b.put_u16(TLV_RECEIPTED_MESSAGE_ID);
    b.put_u16(id.len() as u16 + 1);
    b.put_slice(id.as_bytes());
    b.put_u8(0);
    b.put_u16(TLV_MESSAGE_STATE);
    b.put_u16(1);
    b.put_u8(MESSAGE_STATE_DELIVERED);
    pdu_bytes(DELIVER_SM, 0, sequence, &b)
}

fn pdu_bytes(command_id: u32, status: u32, sequence: u32, body: &[u8]) -> BytesMut {
    let mut b = BytesMut::with_capacity(HEADER_LEN + body.len());
    b.put_u32((HEADER_LEN + body.len()) as u32);
    b.put_u32(command_id);
    b.put_u32(status);
    b.put_u32(sequence);
    b.put_slice(body);
    b
}

/// The sink's own ceiling: a plain client that binds, blasts `n` pre-encoded
/// submit_sm with at most `window` outstanding, and counts the responses.
/// Returns submit_sm per second as the client saw them answered.
pub async fn blast(port: u16, n: u32, window: u32) -> f64 {
    let sock = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to sink");
    let _ = sock.set_nodelay(true);
    let (mut rd, mut wr) = sock.into_split();
    let mut bind = BytesMut::new();
    bind.put_slice(b"blaster\0pw\0\0");
    bind.put_slice(&[0x34, 0, 0, 0]);
    wr.write_all(&pdu_bytes(BIND_TRANSCEIVER, 0, 1, &bind))
        .await
        .unwrap();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    // Wait for the bind_resp.
    loop {
        rd.read_buf(&mut buf).await.unwrap();
        if buf.len() >= 4 {
            let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if buf.len() >= len {
                buf.advance(len);
                break;
            }
        }
    }
    let start = Instant::now();
    let (credit_tx, mut credit_rx) = mpsc::unbounded_channel::<u32>();
    let reader = tokio::spawn(async move {
        let mut got = 0u32;
        while got < n {
            if rd.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                break;
            }
            let mut answered = 0;
            while buf.len() >= 4 {
                let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
                if buf.len() < len {
                    break;
                }
                buf.advance(len);
                answered += 1;
            }
            got += answered;
            let _ = credit_tx.send(answered);
        }
        got
    });
    let mut sent = 0u32;
    let mut credit = window;
    let mut out = BytesMut::with_capacity(64 * 1024);
    while sent < n {
        while credit == 0 {
            credit += credit_rx.recv().await.unwrap_or(window);
        }
        while let Ok(c) = credit_rx.try_recv() {
            credit += c;
        }
        out.clear();
        while credit > 0 && sent < n {
            sent += 1;
            credit -= 1;
            out.put_slice(&submit_body_frame(sent + 1, &format!("2557{:08}", sent)));
        }
        wr.write_all(&out).await.unwrap();
    }
    let got = reader.await.unwrap_or(0);
    got as f64 / start.elapsed().as_secs_f64()
}

/// A 40-character GSM text submit_sm to `dest`.
fn submit_body_frame(sequence: u32, dest: &str) -> BytesMut {
    let mut b = BytesMut::with_capacity(96);
    b.put_u8(0);
    b.put_slice(&[0, 0]);
    b.put_slice(b"15555\0");
    b.put_slice(&[1, 1]);
    b.put_slice(dest.as_bytes());
    b.put_u8(0);
    b.put_slice(&[0, 0, 0, 0, 0]); // esm, pid, priority, schedule, validity
    b.put_slice(&[0, 0, 0, 0]); // registered_delivery, replace, coding, default
    let text = b"Bench message for the sink ceiling run.";
    b.put_u8(text.len() as u8);
    b.put_slice(text);
    pdu_bytes(SUBMIT_SM, 0, sequence, &b)
}
