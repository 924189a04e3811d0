//! Where the engine's "now" comes from. The host hands the engine a clock
//! with the environment; the engine reads it each time something happens
//! (a run starts, a step arrives, an event is made, a result is saved, a
//! run moves on, waits or ends), as the reference engine does, so the
//! timestamps of a sprint tell its order. Tests and replays give a fixed
//! or stepping clock instead of the system's. This module must not know
//! what the readings are used for.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant.
pub trait Clock: std::fmt::Debug + Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Always the same instant (replays, tests of one moment).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Starts at an instant and moves on by a fixed step after every reading,
/// so each reading is distinct and ordered (the reference's test clock).
#[derive(Debug)]
pub struct SteppingClock {
    start: DateTime<Utc>,
    step: Duration,
    readings: AtomicI64,
}

impl SteppingClock {
    pub fn new(start: DateTime<Utc>, step: Duration) -> SteppingClock {
        SteppingClock {
            start,
            step,
            readings: AtomicI64::new(0),
        }
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        let n = self.readings.fetch_add(1, Ordering::Relaxed);
        // Past chrono's range (after ~2^62 readings) the clock stays put.
        self.step
            .checked_mul(i32::try_from(n).unwrap_or(i32::MAX))
            .and_then(|d| self.start.checked_add_signed(d))
            .unwrap_or(self.start)
    }
}

/// The system clock, shared: one instance for the process, so each
/// sprint and each environment takes a reference count, not an allocation.
pub fn system() -> Arc<dyn Clock> {
    static SYSTEM: std::sync::LazyLock<Arc<dyn Clock>> = std::sync::LazyLock::new(|| Arc::new(SystemClock));
    SYSTEM.clone()
}

/// A clock that always reads `at`, shared.
pub fn fixed(at: DateTime<Utc>) -> Arc<dyn Clock> {
    Arc::new(FixedClock(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stepping_clock_moves_on_after_each_reading() {
        let start = DateTime::parse_from_rfc3339("2018-07-06T12:30:00.123456789Z")
            .expect("valid")
            .with_timezone(&Utc);
        let clock = SteppingClock::new(start, Duration::seconds(1));
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now(), start + Duration::seconds(1));
        assert_eq!(clock.now(), start + Duration::seconds(2));
    }

    #[test]
    fn a_fixed_clock_stays() {
        let at = Utc::now();
        let clock = fixed(at);
        assert_eq!((clock.now(), clock.now()), (at, at));
    }
}
