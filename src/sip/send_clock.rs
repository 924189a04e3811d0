//! How steady the RTP send clock is across every call of the process: for
//! each packet sent, how much longer than the packet time it came after the
//! call's previous packet. A carrier's jitter buffer hides a few milliseconds;
//! a late tick past that is an audible gap. Read by `/metrics` and the SIPp
//! load benchmark. Also the shared packet-time grid the media clock
//! ([`crate::sip::media_clock`]) ticks on. Knows nothing of sockets, SIP or flows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Upper bounds (µs past the packet time) of the lateness buckets; the last
/// bucket takes everything above. 5 ms is the limit for a gap.
pub const LATE_BOUNDS_US: [u64; 5] = [1_000, 2_000, 5_000, 10_000, 20_000];

/// Phases of the shared packet-time grid. Every call's clock ticks on one
/// of these, so the media clock wakes a few times per packet time and sends
/// a batch of calls' frames each time, instead of waking once per call at
/// scattered instants; four phases keep each burst of packets short.
pub const CLOCK_PHASES: u32 = 4;

/// Process-wide counters, updated with relaxed atomics by the media clock.
#[derive(Debug)]
pub struct SendClock {
    sends: AtomicU64,
    max_late_us: AtomicU64,
    buckets: [AtomicU64; LATE_BOUNDS_US.len() + 1],
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendClockSnapshot {
    /// Packets timed (every send after a call's first).
    pub sends: u64,
    /// Largest lateness seen, µs past the packet time.
    pub max_late_us: u64,
    /// Sends per lateness bucket, by [`LATE_BOUNDS_US`] plus one overflow bucket.
    pub buckets: [u64; LATE_BOUNDS_US.len() + 1],
}

impl SendClockSnapshot {
    /// Sends that came more than `bound_us` late (`bound_us` must be one of the bounds).
    pub fn later_than(&self, bound_us: u64) -> u64 {
        let first = LATE_BOUNDS_US
            .iter()
            .position(|b| *b == bound_us)
            .map_or(LATE_BOUNDS_US.len(), |i| i + 1);
        self.buckets[first..].iter().sum()
    }
}

/// The one clock record for this process.
pub static SEND_CLOCK: SendClock = SendClock::new();

impl SendClock {
    const fn new() -> Self {
        SendClock {
            sends: AtomicU64::new(0),
            max_late_us: AtomicU64::new(0),
            buckets: [const { AtomicU64::new(0) }; LATE_BOUNDS_US.len() + 1],
        }
    }

    /// One packet sent `interval` after the call's previous one.
    pub fn record(&self, interval: Duration, ptime: Duration) {
        let late = interval.saturating_sub(ptime).as_micros();
        let late = u64::try_from(late).unwrap_or(u64::MAX);
        self.sends.fetch_add(1, Ordering::Relaxed);
        let bucket = LATE_BOUNDS_US
            .iter()
            .position(|bound| late <= *bound)
            .unwrap_or(LATE_BOUNDS_US.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        // Read first: the maximum rarely moves, and a plain load keeps the line shared.
        if late > self.max_late_us.load(Ordering::Relaxed) {
            self.max_late_us.fetch_max(late, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> SendClockSnapshot {
        SendClockSnapshot {
            sends: self.sends.load(Ordering::Relaxed),
            max_late_us: self.max_late_us.load(Ordering::Relaxed),
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
        }
    }
}

/// The first tick of a call's send clock: the next instant on the shared grid
/// (a process-wide epoch plus whole packet times) at the call's phase, which
/// its SSRC picks. Calls that share a phase tick in the same timer slot.
pub fn first_tick(ptime: Duration, ssrc: u32) -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    grid_tick(epoch, Instant::now(), ptime, ssrc % CLOCK_PHASES)
}

fn grid_tick(epoch: Instant, now: Instant, ptime: Duration, phase: u32) -> Instant {
    let offset = ptime * phase / CLOCK_PHASES;
    let period = ptime.as_nanos().max(1);
    let since = now.saturating_duration_since(epoch + offset).as_nanos();
    let periods = u32::try_from(since / period + 1).unwrap_or(u32::MAX);
    epoch + offset + ptime * periods
}

/// Copy the counters into the metrics registry (called at scrape time).
pub fn publish_metrics() {
    let s = SEND_CLOCK.snapshot();
    metrics::gauge!("mhero_rtp_sends_timed_total").set(s.sends as f64);
    metrics::gauge!("mhero_rtp_send_late_max_us").set(s.max_late_us as f64);
    for (i, count) in s.buckets.iter().enumerate() {
        let le = LATE_BOUNDS_US
            .get(i)
            .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
        metrics::gauge!("mhero_rtp_send_late_us_bucket", "le" => le).set(*count as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_land_on_the_grid_at_the_calls_phase() {
        let epoch = Instant::now();
        let ptime = Duration::from_millis(20);
        let now = epoch + Duration::from_millis(47);
        assert_eq!(grid_tick(epoch, now, ptime, 0), epoch + Duration::from_millis(60));
        assert_eq!(grid_tick(epoch, now, ptime, 1), epoch + Duration::from_millis(65));
        assert_eq!(grid_tick(epoch, now, ptime, 3), epoch + Duration::from_millis(55));
        // Exactly on a tick: the next one, never one in the past.
        let on = epoch + Duration::from_millis(40);
        assert_eq!(grid_tick(epoch, on, ptime, 0), epoch + Duration::from_millis(60));
    }

    #[test]
    fn lateness_lands_in_its_bucket_and_raises_the_maximum() {
        let clock = SendClock::new();
        let ptime = Duration::from_millis(20);
        clock.record(Duration::from_micros(19_900), ptime);
        clock.record(Duration::from_micros(21_500), ptime);
        clock.record(Duration::from_micros(26_000), ptime);
        clock.record(Duration::from_millis(60), ptime);
        let s = clock.snapshot();
        assert_eq!(s.sends, 4);
        assert_eq!(s.buckets, [1, 1, 0, 1, 0, 1]);
        assert_eq!(s.max_late_us, 40_000);
        assert_eq!(s.later_than(5_000), 2);
        assert_eq!(s.later_than(20_000), 1);
    }
}
