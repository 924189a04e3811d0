//! Supervision of the gateway's long-lived tasks (outbox workers, recorder,
//! inbound, scheduler, campaigns, starts, sessions, heartbeat, message parts,
//! registries, dialers): a task that panics, or returns while the gateway is
//! not stopping, is logged at error, counted in
//! `mhero_task_restarts_total{task}`, reported by `/healthz` as degraded,
//! and started again after a backoff that doubles up to a cap. A task that
//! then runs for [`STABLE_AFTER`] without failing is healthy again.
//!
//! Loops that work through items (inbound messages, campaign events) also
//! catch a panic per item with [`catch`] and report it with
//! [`TaskHealth::failed`]: one bad item costs that item, not the queue
//! behind it. What this must not know: what any task does.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// First pause before a failed task is started again: long enough that a
/// task failing at once does not spin, short enough that a one-off panic
/// costs a second of work.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest pause between restarts: a task failing for good is tried every
/// minute, and its error logged as often, not thousands of times.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A task that has run this long since its last failure is healthy again,
/// and its next failure starts the backoff over.
pub const STABLE_AFTER: Duration = Duration::from_secs(60);

/// How long to wait before each restart.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: FIRST_BACKOFF,
            max: MAX_BACKOFF,
        }
    }
}

impl Backoff {
    /// The pause after the `n`-th failure in a row (1-based).
    fn pause(&self, n: u32) -> Duration {
        let doubled = self
            .first
            .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)));
        doubled.min(self.max)
    }
}

/// What one task's supervision has seen.
#[derive(Debug, Clone, Default)]
struct TaskState {
    /// Failures since the gateway started.
    failures: u64,
    /// Waiting to be started again.
    down: bool,
    last_error: Option<String>,
    last_failure: Option<Instant>,
}

/// A task reported by `/healthz` as degraded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Degraded {
    pub task: String,
    /// Failures (panics, early returns, items that panicked) since start.
    pub failures: u64,
    /// Waiting for its restart now.
    pub down: bool,
    pub last_error: String,
}

/// Failures of every supervised task, shared with the API.
#[derive(Debug, Default)]
pub struct TaskHealth {
    tasks: Mutex<BTreeMap<String, TaskState>>,
}

impl TaskHealth {
    fn update(&self, task: &str, f: impl FnOnce(&mut TaskState)) {
        // Plain counters: a panic while holding the lock cannot leave them
        // inconsistent, so a poisoned lock is used as it is.
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        f(tasks.entry(task.to_owned()).or_default());
    }

    /// `task` failed (`error` says how): logged at error, counted, and the
    /// task degraded until it has run [`STABLE_AFTER`] without failing.
    pub fn failed(&self, task: &str, error: &str) {
        tracing::error!(task, error, "task failed");
        metrics::counter!("mhero_task_restarts_total", "task" => task.to_owned()).increment(1);
        self.update(task, |s| {
            s.failures += 1;
            s.last_error = Some(error.to_owned());
            s.last_failure = Some(Instant::now());
        });
    }

    fn set_down(&self, task: &str, down: bool) {
        self.update(task, |s| s.down = down);
    }

    /// Tasks down now, or that failed less than [`STABLE_AFTER`] ago.
    pub fn degraded(&self) -> Vec<Degraded> {
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks
            .iter()
            .filter(|(_, s)| s.down || s.last_failure.is_some_and(|t| t.elapsed() < STABLE_AFTER))
            .map(|(name, s)| Degraded {
                task: name.clone(),
                failures: s.failures,
                down: s.down,
                last_error: s.last_error.clone().unwrap_or_default(),
            })
            .collect()
    }
}

/// Run `fut`, turning a panic into its message.
pub async fn catch<F: Future>(fut: F) -> Result<F::Output, String> {
    AssertUnwindSafe(fut).catch_unwind().await.map_err(panic_message)
}

fn panic_message(panic: Box<dyn Any + Send>) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    format!("panicked: {text}")
}

/// Run the task `make` builds until `stop` is cancelled, building it again
/// after each failure. A task that owns a channel's receiver keeps it
/// outside the future (behind an `Arc<tokio::sync::Mutex<_>>` it locks), so
/// the receiver, and what is queued in it, outlives a panic.
pub async fn supervise<F, Fut>(
    health: Arc<TaskHealth>,
    stop: CancellationToken,
    task: String,
    backoff: Backoff,
    mut make: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut in_a_row = 0u32;
    loop {
        let started = Instant::now();
        let result = catch(make()).await;
        if stop.is_cancelled() {
            return;
        }
        let error = match result {
            Ok(()) => "returned while the gateway was running".to_owned(),
            Err(panic) => panic,
        };
        in_a_row = if started.elapsed() >= STABLE_AFTER {
            1
        } else {
            in_a_row.saturating_add(1)
        };
        health.failed(&task, &error);
        health.set_down(&task, true);
        let pause = backoff.pause(in_a_row);
        tracing::warn!(task = %task, pause_ms = pause.as_millis() as u64, "restarting the task after a pause");
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        health.set_down(&task, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let b = Backoff::default();
        let pauses: Vec<u64> = (1..=9).map(|n| b.pause(n).as_secs()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(b.pause(u32::MAX), MAX_BACKOFF);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_twice_is_restarted_and_then_runs() {
        let health = Arc::new(TaskHealth::default());
        let stop = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let working = Arc::new(tokio::sync::Notify::new());
        let sup = tokio::spawn(supervise(
            health.clone(),
            stop.clone(),
            "flaky".into(),
            Backoff::default(),
            {
                let (runs, working, stop) = (runs.clone(), working.clone(), stop.clone());
                move || {
                    let (runs, working, stop) = (runs.clone(), working.clone(), stop.clone());
                    async move {
                        let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                        if n <= 2 {
                            panic!("bad value number {n}");
                        }
                        working.notify_one();
                        stop.cancelled().await;
                    }
                }
            },
        ));
        working.notified().await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        // Running again, but it failed moments ago: still degraded.
        let d = health.degraded();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].task.as_str(), d[0].failures, d[0].down),
            ("flaky", 2, false)
        );
        assert_eq!(d[0].last_error, "panicked: bad value number 2");
        // After running a while without failing it is healthy.
        tokio::time::sleep(STABLE_AFTER).await;
        assert!(health.degraded().is_empty());
        stop.cancel();
        sup.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_returns_early_is_down_until_its_restart() {
        let health = Arc::new(TaskHealth::default());
        let stop = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let backoff = Backoff {
            first: Duration::from_secs(10),
            ..Backoff::default()
        };
        let sup = tokio::spawn(supervise(
            health.clone(),
            stop.clone(),
            "quitter".into(),
            backoff,
            {
                let runs = runs.clone();
                move || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    async {}
                }
            },
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let d = health.degraded();
        assert_eq!(d.len(), 1);
        assert!(d[0].down);
        assert_eq!(d[0].last_error, "returned while the gateway was running");
        // Restarted after 10 s, failed again at once: now waiting 20 s.
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(health.degraded()[0].failures, 2);
        // Stopping ends the supervision even mid-backoff.
        stop.cancel();
        sup.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ends_because_the_gateway_stops_is_not_restarted() {
        let health = Arc::new(TaskHealth::default());
        let stop = CancellationToken::new();
        stop.cancel();
        supervise(
            health.clone(),
            stop,
            "done".into(),
            Backoff::default(),
            || async {},
        )
        .await;
        assert!(health.degraded().is_empty());
    }

    #[tokio::test]
    async fn a_panic_caught_per_item_becomes_its_message() {
        let r = catch(async { panic!("offset {} out of range", 7) }).await;
        assert_eq!(r, Err::<(), _>("panicked: offset 7 out of range".into()));
        assert_eq!(catch(async { 5 }).await, Ok(5));
    }
}
