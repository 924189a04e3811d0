//! The send rates an operator may set: a link's messages (segments) per
//! second and a trunk's new calls per second. Config, the API and the code
//! that turns a rate into a timer all check against the same range, so a
//! value that passes a check can never reach `Duration::from_secs_f64(1 / rate)`
//! with a period too long for a `Duration` (a rate below about 5e-20).

/// A range of rates, per second, with what 0 means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRange {
    /// Slowest rate accepted.
    pub min: f64,
    /// Fastest rate accepted.
    pub max: f64,
    /// Whether 0 is accepted, meaning no limit at all.
    pub zero_is_no_limit: bool,
}

/// A link's rate: 0 is no limit (documented, and used in configs).
pub const LINK_RATE: RateRange = RateRange {
    // One segment per 1,000 s (about 17 minutes): anything slower is a link
    // switched off, which `enabled = false` says plainly.
    min: 0.001,
    // The limiter's finest tick is one microsecond: above this a limit is
    // indistinguishable from none.
    max: 1_000_000.0,
    zero_is_no_limit: true,
};

/// A trunk's new calls per second: there is always a limit (carriers
/// reject bursts of INVITEs).
pub const CALLS_PER_SECOND: RateRange = RateRange {
    // One call per 1,000 s; slower is a trunk that does not call.
    min: 0.001,
    // Far above what any carrier accepts; `max_calls` bounds calls up anyway.
    max: 1_000.0,
    zero_is_no_limit: false,
};

/// A rate outside its range (negative, too small, too large, not a number).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}, got {got:?}", range.describe())]
pub struct RateOutOfRange {
    pub range: RateRange,
    pub got: f64,
}

impl RateRange {
    /// The rate when it is in range.
    pub fn check(&self, rate: f64) -> Result<f64, RateOutOfRange> {
        let ok = (self.zero_is_no_limit && rate == 0.0) || (self.min..=self.max).contains(&rate);
        if ok {
            Ok(rate)
        } else {
            Err(RateOutOfRange {
                range: *self,
                got: rate,
            })
        }
    }

    /// What the range accepts, in words, for error messages.
    pub fn describe(&self) -> String {
        let span = format!("between {} and {} per second", self.min, self.max);
        if self.zero_is_no_limit {
            format!("must be 0 (no limit) or {span}")
        } else {
            format!("must be {span}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_limit_only_where_it_is_documented() {
        assert_eq!(LINK_RATE.check(0.0), Ok(0.0));
        assert!(CALLS_PER_SECOND.check(0.0).is_err());
    }

    #[test]
    fn the_bounds_are_in_and_everything_past_them_is_out() {
        for r in [0.001, 0.5, 12.5, 1_000_000.0] {
            assert_eq!(LINK_RATE.check(r), Ok(r));
        }
        for r in [
            1e-300,
            5e-20,
            0.000_999,
            -1.0,
            -0.0001,
            1_000_000.1,
            1e300,
            f64::NAN,
            f64::INFINITY,
        ] {
            let e = LINK_RATE.check(r).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("must be 0 (no limit) or between 0.001 and 1000000"),
                "{e}"
            );
        }
        assert_eq!(CALLS_PER_SECOND.check(1_000.0), Ok(1_000.0));
        assert!(CALLS_PER_SECOND.check(1_000.5).is_err());
        assert_eq!(
            CALLS_PER_SECOND.check(1e-300).unwrap_err().to_string(),
            "must be between 0.001 and 1000 per second, got 1e-300"
        );
    }
}
