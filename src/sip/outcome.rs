//! How a call attempt ended, as the retry schedule and the reports see it:
//! one class per SIP final response (RFC 3261 §21), plus our own ring timeout.
//! Knows nothing of dialogs or flows.

use serde::{Deserialize, Serialize};

/// The outcome class of one call attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// 2xx: the call was answered (whatever happened after).
    Answered,
    /// 486, 600: the callee's line is busy.
    Busy,
    /// 408, 480, or 487 after our own CANCEL at the ring timeout.
    NoAnswer,
    /// 404, 484, 604, 410: the number does not exist.
    InvalidNumber,
    /// 403, 603 and other 4xx: the carrier or callee refused.
    Rejected,
    /// 500, 502, 503, 504 and other 5xx: the network is overloaded or failing; retry sooner.
    Congestion,
    /// No response at all (transport error, transaction timeout) or a bad answer.
    Failed,
}

impl CallOutcome {
    /// The outcome of a final status code. `cancelled` is true when we sent
    /// CANCEL because the ring timeout passed, which makes a 487 "no answer".
    pub fn from_status(code: u16, cancelled: bool) -> CallOutcome {
        match code {
            200..=299 => CallOutcome::Answered,
            486 | 600 => CallOutcome::Busy,
            408 | 480 => CallOutcome::NoAnswer,
            487 if cancelled => CallOutcome::NoAnswer,
            404 | 410 | 484 | 604 => CallOutcome::InvalidNumber,
            500..=599 => CallOutcome::Congestion,
            400..=499 | 603 | 606 | 601..=699 => CallOutcome::Rejected,
            _ => CallOutcome::Failed,
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::Busy => "busy",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::InvalidNumber => "invalid_number",
            CallOutcome::Rejected => "rejected",
            CallOutcome::Congestion => "congestion",
            CallOutcome::Failed => "failed",
        }
    }

    pub fn from_wire(name: &str) -> Option<CallOutcome> {
        [
            CallOutcome::Answered,
            CallOutcome::Busy,
            CallOutcome::NoAnswer,
            CallOutcome::InvalidNumber,
            CallOutcome::Rejected,
            CallOutcome::Congestion,
            CallOutcome::Failed,
        ]
        .into_iter()
        .find(|o| o.wire_name() == name)
    }

    /// Busy and unanswered calls are tried again on the trunk's schedule
    /// (RapidPro's `ivr_retry`); so is congestion, which is the network's fault.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            CallOutcome::Busy | CallOutcome::NoAnswer | CallOutcome::Congestion
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_codes_map_to_outcome_classes() {
        let table = [
            (200, false, CallOutcome::Answered),
            (486, false, CallOutcome::Busy),
            (600, false, CallOutcome::Busy),
            (408, false, CallOutcome::NoAnswer),
            (480, false, CallOutcome::NoAnswer),
            (487, true, CallOutcome::NoAnswer),
            (487, false, CallOutcome::Rejected),
            (404, false, CallOutcome::InvalidNumber),
            (484, false, CallOutcome::InvalidNumber),
            (604, false, CallOutcome::InvalidNumber),
            (403, false, CallOutcome::Rejected),
            (603, false, CallOutcome::Rejected),
            (503, false, CallOutcome::Congestion),
            (500, false, CallOutcome::Congestion),
            (0, false, CallOutcome::Failed),
        ];
        for (code, cancelled, want) in table {
            assert_eq!(CallOutcome::from_status(code, cancelled), want, "{code}");
            assert_eq!(CallOutcome::from_wire(want.wire_name()), Some(want));
        }
        assert!(CallOutcome::Busy.is_retryable());
        assert!(!CallOutcome::InvalidNumber.is_retryable());
        assert!(!CallOutcome::Answered.is_retryable());
    }
}
