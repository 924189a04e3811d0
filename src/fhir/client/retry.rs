//! When and how long to wait before trying a request again: bounded attempts,
//! exponential backoff with full jitter (so many workers retrying after one
//! registry hiccup do not arrive in lockstep), and `Retry-After` honoured up
//! to the same cap.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries, the first included.
    pub max_attempts: u32,
    /// Backoff ceiling of the first retry; doubles per retry.
    pub base_delay: Duration,
    /// No single wait is longer, whatever the server's `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four tries over at most ~7 s: long enough for a registry restart's
    /// first seconds, short enough that a sync run notices a dead registry.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 = first retry).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.saturating_sub(1)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let jittered = rand::rng().random_range(Duration::ZERO..=ceiling);
        match retry_after {
            Some(asked) => asked.min(self.max_delay).max(jittered),
            None => jittered,
        }
    }
}

/// What a failed attempt means for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The server refused before doing anything (429, 503) or we never
    /// connected: safe to retry any request.
    Always,
    /// The request may have been applied (500, 502, 504, timeout): retry only
    /// idempotent requests (GET, PUT, batches of those).
    IfIdempotent,
    Never,
}

impl Retry {
    pub(crate) fn for_status(status: u16) -> Retry {
        match status {
            429 | 503 => Retry::Always,
            500 | 502 | 504 => Retry::IfIdempotent,
            _ => Retry::Never,
        }
    }

    pub(crate) fn allows(self, idempotent: bool) -> bool {
        match self {
            Retry::Always => true,
            Retry::IfIdempotent => idempotent,
            Retry::Never => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_exponential_ceiling_and_the_cap() {
        let p = RetryPolicy::default();
        for retry in 1..40 {
            let ceiling = (p.base_delay * 2u32.saturating_pow(retry - 1)).min(p.max_delay);
            assert!(p.delay(retry, None) <= ceiling);
        }
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600))), p.max_delay);
        assert!(p.delay(1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }

    #[test]
    fn only_idempotent_requests_retry_after_a_maybe_applied_failure() {
        assert!(Retry::for_status(429).allows(false));
        assert!(Retry::for_status(503).allows(false));
        assert!(!Retry::for_status(500).allows(false));
        assert!(Retry::for_status(500).allows(true));
        assert!(!Retry::for_status(400).allows(true));
        assert!(!Retry::for_status(404).allows(true));
    }
}
