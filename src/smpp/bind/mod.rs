//! One SMPP bind: a task that owns its TCP socket, driven through a
//! cloneable [`BindHandle`] over a bounded channel. It binds, keeps a window
//! of outstanding submit_sm, correlates responses by sequence number, times
//! requests out, answers and sends enquire_link, reacts to throttling,
//! unbinds on shutdown and reconnects with jittered exponential backoff.
//! It knows PDUs and the account's settings; it does not know messages,
//! receipts or what inbound text means (that is the link's job).

mod metrics;
mod task;

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::metrics::BindMetrics;
use super::codec::{BindKind, Sm};
use super::config::SmppConfig;

/// After a throttle, a bind's rate is multiplied by this (AIMD decrease).
const THROTTLE_RATE_CUT: f64 = 0.7;
/// Quiet time after which a throttled bind's rate climbs back one step.
const RATE_RECOVERY_STEP: Duration = Duration::from_secs(5);

/// What became of one submit_sm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitResult {
    Accepted { message_id: String },
    Retry { reason: String },
    Failed { reason: String },
}

pub struct SubmitRequest {
    pub sm: Sm,
    pub reply: oneshot::Sender<SubmitResult>,
}

/// A deliver_sm or data_sm from the SMSC, with the status to answer it with.
pub struct InboundPdu {
    pub bind: usize,
    pub sm: Sm,
    pub is_data_sm: bool,
    pub reply: oneshot::Sender<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BindState {
    Connecting,
    Bound,
    /// Waiting to reconnect after a failure.
    Backoff {
        reason: String,
    },
    /// The SMSC refused our credentials: we stop until reconfigured.
    Rejected {
        reason: String,
    },
    Stopped,
}

/// State shared between the task and whoever watches it (the link, the API).
pub struct BindShared {
    pub index: usize,
    pub kind: BindKind,
    state: Mutex<BindState>,
    in_flight: Mutex<usize>,
    last_error: Mutex<Option<String>>,
    rate: RwLock<Option<RateState>>,
    counters: Mutex<Counters>,
    metrics: BindMetrics,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counters {
    pub submitted: u64,
    pub accepted: u64,
    pub throttled: u64,
    pub timeouts: u64,
    pub reconnects: u64,
    pub malformed: u64,
}

struct RateState {
    configured: u32,
    current: u32,
    limiter: Arc<DefaultDirectRateLimiter>,
    last_cut: Option<Instant>,
}

/// Bursts are a tenth of the rate: carriers police with sliding windows or
/// token buckets, and a full second's worth at once draws ESME_RTHROTTLED.
const BURST_DIVISOR: u32 = 10;

/// A GCRA token bucket for `per_second` segments with a small burst.
pub fn limiter(per_second: u32) -> Arc<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_second.div_ceil(BURST_DIVISOR)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)))
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BindShared {
    fn new(link: &str, index: usize, kind: BindKind, rate: Option<u32>) -> Self {
        let metrics = BindMetrics::new(link, index);
        metrics.rate(rate);
        BindShared {
            index,
            kind,
            state: Mutex::new(BindState::Connecting),
            in_flight: Mutex::new(0),
            last_error: Mutex::new(None),
            rate: RwLock::new(rate.map(|r| RateState {
                configured: r,
                current: r,
                limiter: limiter(r),
                last_cut: None,
            })),
            counters: Mutex::new(Counters::default()),
            metrics,
        }
    }

    pub fn state(&self) -> BindState {
        lock(&self.state).clone()
    }

    pub fn is_bound(&self) -> bool {
        matches!(*lock(&self.state), BindState::Bound)
    }

    pub fn in_flight(&self) -> usize {
        *lock(&self.in_flight)
    }

    pub(super) fn set_in_flight(&self, n: usize) {
        let mut cur = lock(&self.in_flight);
        if *cur != n {
            *cur = n;
            self.metrics.in_flight(n);
        }
    }

    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    pub fn counters(&self) -> Counters {
        *lock(&self.counters)
    }

    /// (configured, current) segments per second, if limited.
    pub fn rate(&self) -> Option<(u32, u32)> {
        self.rate
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|r| (r.configured, r.current))
    }

    /// Changes the per-bind rate at run time (`None` = unlimited).
    pub fn set_rate(&self, per_second: Option<u32>) {
        self.metrics.rate(per_second);
        *self.rate.write().unwrap_or_else(|p| p.into_inner()) = per_second.map(|r| RateState {
            configured: r,
            current: r,
            limiter: limiter(r),
            last_cut: None,
        });
    }

    pub(super) fn set_state(&self, s: BindState) {
        if let BindState::Backoff { reason } | BindState::Rejected { reason } = &s {
            *lock(&self.last_error) = Some(reason.clone());
        }
        self.metrics.state(&s);
        *lock(&self.state) = s;
    }

    pub(super) fn count(&self, f: impl FnOnce(&mut Counters)) {
        let mut c = lock(&self.counters);
        f(&mut c);
        self.metrics.counters(&c);
    }

    /// How long until the bind may send one more segment (zero = now).
    pub(super) fn rate_wait(&self) -> Duration {
        let guard = self.rate.read().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            None => Duration::ZERO,
            Some(r) => match r.limiter.check() {
                Ok(()) => Duration::ZERO,
                Err(not_until) => not_until.wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                )),
            },
        }
    }

    /// AIMD: cut the rate on a throttle, climb back a step after quiet time.
    pub(super) fn adjust_rate(&self, throttled: bool) {
        let mut guard = self.rate.write().unwrap_or_else(|p| p.into_inner());
        let Some(r) = guard.as_mut() else { return };
        let now = Instant::now();
        let next = if throttled {
            r.last_cut = Some(now);
            ((f64::from(r.current) * THROTTLE_RATE_CUT) as u32).max(1)
        } else if r.current < r.configured && r.last_cut.is_some_and(|t| now - t >= RATE_RECOVERY_STEP) {
            r.last_cut = Some(now);
            (r.current + (r.configured / 10).max(1)).min(r.configured)
        } else {
            return;
        };
        if next != r.current {
            r.current = next;
            r.limiter = limiter(next);
            self.metrics.rate(Some(next));
        }
    }
}

/// A cloneable handle to one bind task.
#[derive(Clone)]
pub struct BindHandle {
    tx: mpsc::Sender<SubmitRequest>,
    pub shared: Arc<BindShared>,
}

impl BindHandle {
    /// Queues one submit_sm and waits for its fate.
    pub async fn submit(&self, sm: Sm) -> SubmitResult {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(SubmitRequest { sm, reply }).await.is_err() {
            return SubmitResult::Retry {
                reason: "bind task has stopped".into(),
            };
        }
        rx.await.unwrap_or(SubmitResult::Retry {
            reason: "bind task dropped the request".into(),
        })
    }
}

/// Starts one bind task.
pub fn spawn(
    link: &str,
    cfg: Arc<SmppConfig>,
    index: usize,
    kind: BindKind,
    inbound: mpsc::Sender<InboundPdu>,
    shutdown: CancellationToken,
) -> BindHandle {
    // One window queued behind the one in flight: the task refills its
    // window from its own queue the moment responses arrive, instead of
    // waiting for the dispatcher to hand over the next message (several
    // task wakeups, milliseconds on a busy host). A stalled bind still
    // holds at most two windows.
    let (tx, rx) = mpsc::channel(cfg.window.max(1));
    let shared = Arc::new(BindShared::new(link, index, kind, cfg.rate_per_bind));
    let task = task::BindTask {
        cfg,
        shared: shared.clone(),
        rx,
        inbound,
        shutdown,
    };
    tokio::spawn(task.run());
    BindHandle { tx, shared }
}

/// Jittered exponential backoff: min × 2^attempt capped at max, then a
/// random point in its upper half so a fleet of binds does not reconnect in step.
pub fn backoff(attempt: u32, min_ms: u64, max_ms: u64) -> Duration {
    let exp = min_ms
        .saturating_mul(1u64 << attempt.min(20))
        .min(max_ms.max(min_ms));
    let jittered = rand::rng().random_range(exp / 2..=exp);
    Duration::from_millis(jittered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        for attempt in 0..30 {
            let exp = (1_000u64 << attempt.min(20)).min(60_000);
            let d = backoff(attempt, 1_000, 60_000).as_millis() as u64;
            assert!(
                (exp / 2..=exp).contains(&d),
                "attempt {attempt}: {d} ms not in {}..={exp}",
                exp / 2
            );
        }
    }

    #[test]
    fn a_throttle_cuts_the_rate_and_it_never_reaches_zero() {
        let s = BindShared::new("test", 0, BindKind::Transceiver, Some(100));
        s.adjust_rate(true);
        assert_eq!(s.rate(), Some((100, 70)));
        for _ in 0..30 {
            s.adjust_rate(true);
        }
        assert_eq!(s.rate(), Some((100, 1)));
        // Recovery waits for quiet time.
        s.adjust_rate(false);
        assert_eq!(s.rate(), Some((100, 1)));
        s.set_rate(None);
        assert_eq!(s.rate(), None);
        assert!(s.rate_wait().is_zero());
    }

    #[test]
    fn the_bucket_allows_only_a_small_burst() {
        let l = limiter(100);
        let burst = (0..100).take_while(|_| l.check().is_ok()).count();
        assert_eq!(burst, 10);
    }
}
