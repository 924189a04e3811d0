//! The media clock: one OS thread, outside tokio, that sends every call's RTP
//! frame on the shared packet-time grid ([`crate::sip::send_clock`]). It
//! sleeps to the next grid instant that has a call due, then sends each due
//! call's frame from that call's own socket. A general-purpose runtime shared
//! with SIP signalling, the flow engine and the store (and, on a loaded
//! machine, hundreds of other threads) cannot promise a 20 ms packet clock;
//! a thread that does nothing else can, and with `[sip]
//! media_realtime_priority` it runs under SCHED_FIFO so ordinary threads
//! never delay it. Receiving, decoding and DTMF stay in each call's tokio
//! task (`rtp_session`). Calls join by handing over a [`Playout`]; they
//! leave by dropping its command sender. Knows nothing of SIP or flows.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use thiserror::Error;
use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, RealtimeThreadSchedulePolicy, ThreadPriority,
    ThreadPriorityValue, ThreadSchedulePolicy,
};

use crate::sip::playout::{FrameBuffers, Playout};

/// Calls waiting to join between two ticks; far more than any trunk sets up
/// in one packet time, so a full queue means the clock thread is gone or stuck.
const JOIN_QUEUE: usize = 1024;
/// Largest datagram the clock builds: RTP for telephony fits one Ethernet MTU.
const MAX_DATAGRAM: usize = 1500;
/// A wake this much past its deadline is counted: the limit for a gap.
const LATE_WAKE: Duration = Duration::from_millis(5);
/// SCHED_FIFO priorities Linux accepts.
pub const REALTIME_PRIORITIES: std::ops::RangeInclusive<u8> = 1..=99;

/// Why a call could not join the clock.
#[derive(Debug, Error)]
pub enum MediaClockError {
    #[error("the media clock thread could not be started")]
    NotRunning,
    #[error("{JOIN_QUEUE} calls are already waiting to join the media clock")]
    Busy,
}

/// The process's one clock: the sending end of its join queue.
#[derive(Debug)]
struct MediaClock {
    joins: SyncSender<Playout>,
}

static CLOCK: OnceLock<MediaClock> = OnceLock::new();
/// The SCHED_FIFO priority the clock thread got (0: normal scheduling), for /metrics.
static REALTIME_PRIORITY: AtomicU8 = AtomicU8::new(0);
/// How late the thread itself woke (largest, µs; and wakes past [`LATE_WAKE`]):
/// it tells a late packet caused by scheduling (or a stalled virtual CPU)
/// from one caused by the send path.
static WAKE_LATE_MAX_US: AtomicU64 = AtomicU64::new(0);
static WAKES_LATE: AtomicU64 = AtomicU64::new(0);

/// Start the clock thread, under SCHED_FIFO at `realtime_priority` if given
/// (falling back to normal scheduling, with a warning, when the OS refuses).
/// The clock is process-wide: `serve` calls this before any trunk starts;
/// a call that finds the clock already running changes nothing.
pub fn start(realtime_priority: Option<u8>) {
    let mut started = false;
    CLOCK.get_or_init(|| {
        started = true;
        MediaClock::spawn(realtime_priority)
    });
    if !started && realtime_priority.is_some() {
        tracing::warn!("the media clock was already running; its priority is unchanged");
    }
}

/// Hand a call's sending side to the clock (started at normal priority if
/// nothing started it before).
pub fn join(playout: Playout) -> Result<(), MediaClockError> {
    let clock = CLOCK.get_or_init(|| MediaClock::spawn(None));
    clock.joins.try_send(playout).map_err(|err| match err {
        TrySendError::Full(_) => MediaClockError::Busy,
        TrySendError::Disconnected(_) => MediaClockError::NotRunning,
    })
}

/// Copy the clock's scheduling into the metrics registry (called at scrape time).
pub fn publish_metrics() {
    metrics::gauge!("mhero_media_clock_realtime_priority")
        .set(f64::from(REALTIME_PRIORITY.load(Ordering::Relaxed)));
    metrics::gauge!("mhero_media_clock_wake_late_max_us")
        .set(WAKE_LATE_MAX_US.load(Ordering::Relaxed) as f64);
    metrics::gauge!("mhero_media_clock_wakes_late_total").set(WAKES_LATE.load(Ordering::Relaxed) as f64);
}

fn record_wake(deadline: Instant) {
    let late = Instant::now().saturating_duration_since(deadline);
    if late > LATE_WAKE {
        WAKES_LATE.fetch_add(1, Ordering::Relaxed);
    }
    let late = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
    WAKE_LATE_MAX_US.fetch_max(late, Ordering::Relaxed);
}

impl MediaClock {
    fn spawn(realtime_priority: Option<u8>) -> MediaClock {
        let (joins, joined) = sync_channel(JOIN_QUEUE);
        let spawned = std::thread::Builder::new()
            .name("mhero-media-clock".into())
            .spawn(move || {
                if let Some(priority) = realtime_priority {
                    raise_priority(priority);
                }
                run(&joined);
            });
        // Without the thread the receiver is gone, and every join says so.
        if let Err(err) = spawned {
            tracing::error!(%err, "the media clock thread could not be started; calls get no audio");
        }
        MediaClock { joins }
    }
}

fn raise_priority(priority: u8) {
    let result = ThreadPriorityValue::try_from(priority)
        .map_err(|err| err.to_string())
        .and_then(|value| {
            set_thread_priority_and_policy(
                thread_native_id(),
                ThreadPriority::Crossplatform(value),
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
            )
            .map_err(|err| match err {
                thread_priority::Error::OS(code) => std::io::Error::from_raw_os_error(code).to_string(),
                other => other.to_string(),
            })
        });
    match result {
        Ok(()) => {
            REALTIME_PRIORITY.store(priority, Ordering::Relaxed);
            tracing::info!(priority, "media clock runs under SCHED_FIFO");
        }
        Err(err) => tracing::warn!(
            priority,
            %err,
            "the OS refused realtime priority for the media clock (it needs CAP_SYS_NICE or \
             LimitRTPRIO); it runs at normal priority"
        ),
    }
}

/// The clock's loop: sleep to the earliest due call, send every due call's
/// frame, repeat; block while no call is up.
fn run(joined: &Receiver<Playout>) {
    let mut calls: Vec<Playout> = Vec::new();
    let mut buffers = FrameBuffers::new(MAX_DATAGRAM);
    loop {
        if calls.is_empty() {
            // Idle: no wakeups until a call joins.
            match joined.recv() {
                Ok(playout) => calls.push(playout),
                Err(_) => return,
            }
        }
        loop {
            match joined.try_recv() {
                Ok(playout) => calls.push(playout),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) if calls.is_empty() => return,
                Err(TryRecvError::Disconnected) => break,
            }
        }
        let now = Instant::now();
        // Calls in join order, so each keeps its place in the burst and its
        // interval between packets stays one packet time.
        calls.retain_mut(|call| {
            if call.due() > now {
                return true;
            }
            if !call.take_commands() {
                return false;
            }
            call.tick(&mut buffers);
            true
        });
        if let Some(next) = calls.iter().map(Playout::due).min() {
            let wait = next.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                // A relative sleep to an absolute deadline, recomputed every
                // round, so the error of one sleep never carries to the next.
                std::thread::sleep(wait);
                record_wake(next);
            }
        }
    }
}
