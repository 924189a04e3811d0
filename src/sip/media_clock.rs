//! The media clock: OS threads, outside tokio, that send every call's RTP
//! frame on the shared packet-time grid ([`crate::sip::send_clock`]). Each
//! sleeps to the next grid instant that has a call due, then sends each due
//! call's frame from that call's own socket. A general-purpose runtime shared
//! with SIP signalling, the flow engine and the store (and, on a loaded
//! machine, hundreds of other threads) cannot promise a 20 ms packet clock;
//! threads that do nothing else can, and with `[sip]
//! media_realtime_priority` they run under SCHED_FIFO so ordinary threads
//! never delay them.
//!
//! There is one clock thread per CPU (at most [`MAX_THREADS`]), each pinned
//! to its CPU, and every thread serves every call: at a tick each takes the
//! calls it finds due and not already taken (a per-call `try_lock`). The
//! first thread wakes on the grid and normally sends the whole burst; the
//! spare wakes `STANDBY` later and finds nothing due, at the cost of a
//! glance. When the first thread's CPU stops (the hypervisor deschedules a
//! virtual CPU, or the kernel holds it), its timer cannot fire, since a
//! sleeping thread's timer fires only on its own CPU; the spare then sends
//! that tick's frames, `STANDBY` late, inside a jitter buffer's reach.
//! Receiving, decoding and DTMF stay in each call's tokio task
//! (`rtp_session`). Calls join by handing over a [`Playout`]; they leave by
//! dropping its command sender. Knows nothing of SIP or flows.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, OnceLock, TryLockError};
use std::time::{Duration, Instant};

use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use thiserror::Error;
use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, RealtimeThreadSchedulePolicy, ThreadPriority,
    ThreadPriorityValue, ThreadSchedulePolicy,
};

use crate::sip::playout::{FrameBuffers, Playout};

/// Calls waiting to join between two ticks; far more than any trunk sets up
/// in one packet time, so a full queue means that clock thread is gone or stuck.
const JOIN_QUEUE: usize = 1024;
/// Largest datagram the clock builds: RTP for telephony fits one Ethernet MTU.
const MAX_DATAGRAM: usize = 1500;
/// Clock threads at most: two CPUs' worth covers one stalled CPU; more
/// would only contend for the same calls.
pub const MAX_THREADS: usize = 2;
/// How long after each tick the spare thread looks for frames the first one
/// has not sent: past the first thread's burst (about 1 ms at 500 calls),
/// well inside the 5 ms a late packet may take.
const STANDBY: Duration = Duration::from_millis(2);
/// How long a thread waits before looking again at a due call that the other
/// thread holds (it may be stalled mid-send): short next to a packet time,
/// long enough not to spin a realtime thread.
const TAKEN_RETRY: Duration = Duration::from_micros(500);
/// A wake this much past its deadline is counted: the limit for a gap.
const LATE_WAKE: Duration = Duration::from_millis(5);
/// SCHED_FIFO priorities Linux accepts.
pub const REALTIME_PRIORITIES: std::ops::RangeInclusive<u8> = 1..=99;

/// Why a call could not join the clock.
#[derive(Debug, Error)]
pub enum MediaClockError {
    #[error("no media clock thread could be started")]
    NotRunning,
    #[error("{JOIN_QUEUE} calls are already waiting to join the media clock")]
    Busy,
}

/// The process's one clock: the sending ends of its threads' join queues.
#[derive(Debug)]
struct MediaClock {
    joins: Vec<SyncSender<Arc<Slot>>>,
}

/// One call as the clock threads share it.
#[derive(Debug)]
struct Slot {
    playout: Mutex<Playout>,
    /// [`Playout::due`] as nanoseconds since [`epoch`], readable without the lock.
    due_ns: AtomicU64,
    ended: AtomicBool,
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
    let slot = Arc::new(Slot::new(playout));
    let mut refused = MediaClockError::NotRunning;
    let mut joined = false;
    // One thread that takes the call is enough to send it; each more is a spare.
    for queue in &clock.joins {
        match queue.try_send(Arc::clone(&slot)) {
            Ok(()) => joined = true,
            Err(TrySendError::Full(_)) => refused = MediaClockError::Busy,
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
    if joined {
        Ok(())
    } else {
        Err(refused)
    }
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
        let cpus = allowed_cpus();
        let threads = cpus.len().clamp(1, MAX_THREADS);
        let mut joins = Vec::with_capacity(threads);
        for index in 0..threads {
            let (queue, joined) = sync_channel(JOIN_QUEUE);
            let cpu = cpus.get(index).copied();
            let spawned = std::thread::Builder::new()
                .name(format!("mhero-media-{index}"))
                .spawn(move || {
                    if let Some(cpu) = cpu.filter(|_| threads > 1) {
                        pin_to(cpu);
                    }
                    if let Some(priority) = realtime_priority {
                        raise_priority(priority);
                    }
                    run(index, &joined);
                });
            // Without the thread the receiver is gone, and joins skip it.
            match spawned {
                Ok(_) => joins.push(queue),
                Err(err) => tracing::error!(%err, index, "a media clock thread could not be started"),
            }
        }
        MediaClock { joins }
    }
}

impl Slot {
    fn new(playout: Playout) -> Slot {
        Slot {
            due_ns: AtomicU64::new(since_epoch(playout.due())),
            playout: Mutex::new(playout),
            ended: AtomicBool::new(false),
        }
    }

    fn due(&self) -> Instant {
        epoch() + Duration::from_nanos(self.due_ns.load(Ordering::Acquire))
    }

    /// Send the call's frame if it is due and no other thread is at it;
    /// false if it is due but taken.
    fn serve(&self, now: Instant, buffers: &mut FrameBuffers) -> bool {
        if self.ended.load(Ordering::Relaxed) || self.due() > now {
            return true;
        }
        let mut playout = match self.playout.try_lock() {
            Ok(playout) => playout,
            Err(TryLockError::WouldBlock) => return false,
            Err(TryLockError::Poisoned(_)) => {
                self.ended.store(true, Ordering::Relaxed);
                return true;
            }
        };
        // The other thread may have sent it between the check and the lock.
        if playout.due() > now {
            return true;
        }
        if !playout.take_commands() {
            self.ended.store(true, Ordering::Relaxed);
            return true;
        }
        playout.tick(buffers);
        self.due_ns.store(since_epoch(playout.due()), Ordering::Release);
        true
    }
}

/// The instant `due_ns` counts from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn since_epoch(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch()).as_nanos()).unwrap_or(u64::MAX)
}

/// The CPUs this process may run on, in order (empty if the OS will not say).
fn allowed_cpus() -> Vec<usize> {
    let Ok(set) = sched_getaffinity(Pid::from_raw(0)) else {
        return Vec::new();
    };
    (0..CpuSet::count())
        .filter(|cpu| set.is_set(*cpu).unwrap_or(false))
        .collect()
}

/// Keep the calling thread on `cpu`, so its timer is never queued on the
/// other thread's CPU (a stall of that CPU would then stop both).
fn pin_to(cpu: usize) {
    let mut set = CpuSet::new();
    let pinned = set
        .set(cpu)
        .and_then(|()| sched_setaffinity(Pid::from_raw(0), &set));
    if let Err(err) = pinned {
        tracing::warn!(cpu, %err, "a media clock thread could not be pinned to its CPU");
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

/// A clock thread's loop: sleep to the earliest due call, send every due
/// call's frame not taken by the other thread, repeat; block while no call
/// is up. Spares look `STANDBY` after each tick, and odd threads walk the
/// calls from the end, so two threads that do meet in a burst split it
/// instead of queueing behind each other's locks.
fn run(index: usize, joined: &Receiver<Arc<Slot>>) {
    let mut calls: Vec<Arc<Slot>> = Vec::new();
    let mut buffers = FrameBuffers::new(MAX_DATAGRAM);
    loop {
        if calls.is_empty() {
            // Idle: no wakeups until a call joins.
            match joined.recv() {
                Ok(slot) => calls.push(slot),
                Err(_) => return,
            }
        }
        loop {
            match joined.try_recv() {
                Ok(slot) => calls.push(slot),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) if calls.is_empty() => return,
                Err(TryRecvError::Disconnected) => break,
            }
        }
        let now = Instant::now();
        let mut taken = false;
        if index.is_multiple_of(2) {
            calls
                .iter()
                .for_each(|slot| taken |= !slot.serve(now, &mut buffers));
        } else {
            calls
                .iter()
                .rev()
                .for_each(|slot| taken |= !slot.serve(now, &mut buffers));
        }
        calls.retain(|slot| !slot.ended.load(Ordering::Relaxed));
        let Some(next) = calls.iter().map(|slot| slot.due()).min() else {
            continue;
        };
        let now = Instant::now();
        let next = next + STANDBY * u32::try_from(index).unwrap_or(u32::MAX);
        let (deadline, wait) = if next > now {
            (next, next - now)
        } else if taken {
            (now + TAKEN_RETRY, TAKEN_RETRY)
        } else {
            // Behind the grid (catching up after a stall): no sleep.
            continue;
        };
        // A relative sleep to an absolute deadline, recomputed every round,
        // so the error of one sleep never carries to the next.
        std::thread::sleep(wait);
        record_wake(deadline);
    }
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::sync::mpsc::sync_channel;

    use super::*;
    use crate::sip::media::codec::Codec;
    use crate::sip::playout::PlayoutConfig;
    use crate::sip::rtp_session::RtpStats;

    #[test]
    fn a_due_frame_goes_out_once_and_a_taken_call_is_left_to_its_holder() {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_nonblocking(true).unwrap();
        let (commands, received) = sync_channel(4);
        let (events, _events) = tokio::sync::mpsc::channel(4);
        let playout = Playout::new(
            UdpSocket::bind("127.0.0.1:0").unwrap(),
            PlayoutConfig {
                codec: Codec::Pcma,
                payload_type: 8,
                ssrc: 7,
                ptime: Duration::from_millis(20),
                remote: Some(peer.local_addr().unwrap()),
            },
            received,
            events,
            Arc::new(RtpStats::default()),
        );
        let slot = Slot::new(playout);
        let due = slot.due();
        let mut buffers = FrameBuffers::new(MAX_DATAGRAM);

        // Held by the other thread: not sent, and reported as taken.
        let held = slot.playout.lock().unwrap();
        assert!(!slot.serve(due, &mut buffers));
        drop(held);

        assert!(slot.serve(due, &mut buffers));
        assert_eq!(slot.due(), due + Duration::from_millis(20));
        // The same tick seen again (the other thread, a moment later): nothing more.
        assert!(slot.serve(due, &mut buffers));
        peer.set_nonblocking(false).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buffer = [0u8; 1500];
        assert_eq!(peer.recv(&mut buffer).unwrap(), 12 + 160);
        peer.set_nonblocking(true).unwrap();
        assert!(peer.recv(&mut buffer).is_err(), "one frame per tick");

        // The call hung up: its slot ends at its next due tick.
        drop(commands);
        assert!(slot.serve(slot.due(), &mut buffers));
        assert!(slot.ended.load(Ordering::Relaxed));
    }
}
