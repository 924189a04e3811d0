//! Collecting the keys a caller presses for one menu or number entry: a fixed
//! count (menus), or digits ended by a finish key, with a first-digit timeout
//! that starts when the prompt has finished and an inter-digit timeout after
//! each key. A timeout hands back what was gathered, possibly nothing, so the
//! flow routes an empty answer to its "Other" category as RapidPro does with
//! its voice providers. Pure: the caller passes time in.

use std::time::Duration;

use crate::sip::media::digit::Digit;

/// Most keys one entry takes: a guard against a stuck key or a replayed stream.
pub const MAX_DIGITS: usize = 32;

/// What one wait asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherSpec {
    /// Stop after this many keys (a menu is 1).
    pub count: Option<usize>,
    /// Stop at this key, which is not part of the answer.
    pub finish_key: Option<Digit>,
    /// Silence allowed after the prompt before the first key.
    pub first_digit_timeout: Duration,
    /// Silence allowed between keys.
    pub inter_digit_timeout: Duration,
}

/// Why the entry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherEnd {
    Count,
    FinishKey,
    Timeout,
    TooMany,
}

/// The answer: the keys without the finish key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gathered {
    pub digits: String,
    pub end: GatherEnd,
}

/// One entry in progress.
#[derive(Debug)]
pub struct Gather {
    spec: GatherSpec,
    digits: String,
    /// When the current timeout started: the end of the prompt, then each key.
    since: Option<Duration>,
}

impl Gather {
    pub fn new(spec: GatherSpec) -> Self {
        Gather {
            spec,
            digits: String::new(),
            since: None,
        }
    }

    /// The prompt has played out: the first-digit timeout starts now (if no
    /// key came during the prompt).
    pub fn prompt_finished(&mut self, at: Duration) {
        if self.since.is_none() {
            self.since = Some(at);
        }
    }

    pub fn has_digits(&self) -> bool {
        !self.digits.is_empty()
    }

    /// A key; returns the answer when it completes the entry.
    pub fn on_digit(&mut self, digit: Digit, at: Duration) -> Option<Gathered> {
        self.since = Some(at);
        if self.spec.finish_key == Some(digit) {
            return Some(self.finish(GatherEnd::FinishKey));
        }
        self.digits.push(digit.as_char());
        if self.spec.count.is_some_and(|c| self.digits.len() >= c) {
            return Some(self.finish(GatherEnd::Count));
        }
        if self.digits.len() >= MAX_DIGITS {
            return Some(self.finish(GatherEnd::TooMany));
        }
        None
    }

    /// When the running timeout expires, if one runs.
    pub fn deadline(&self) -> Option<Duration> {
        let since = self.since?;
        let allowed = if self.digits.is_empty() {
            self.spec.first_digit_timeout
        } else {
            self.spec.inter_digit_timeout
        };
        Some(since + allowed)
    }

    /// The answer if the timeout has expired at `at`.
    pub fn poll(&mut self, at: Duration) -> Option<Gathered> {
        match self.deadline() {
            Some(deadline) if at >= deadline => Some(self.finish(GatherEnd::Timeout)),
            _ => None,
        }
    }

    fn finish(&mut self, end: GatherEnd) -> Gathered {
        Gathered {
            digits: std::mem::take(&mut self.digits),
            end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn spec(count: Option<usize>, finish: Option<char>) -> GatherSpec {
        GatherSpec {
            count,
            finish_key: finish.and_then(Digit::from_char),
            first_digit_timeout: ms(5000),
            inter_digit_timeout: ms(2000),
        }
    }

    fn d(c: char) -> Digit {
        Digit::from_char(c).unwrap()
    }

    #[test]
    fn a_menu_ends_at_its_count() {
        let mut g = Gather::new(spec(Some(1), None));
        assert_eq!(g.deadline(), None, "no timeout while the prompt plays");
        let got = g.on_digit(d('3'), ms(100)).unwrap();
        assert_eq!(got.digits, "3");
        assert_eq!(got.end, GatherEnd::Count);
    }

    #[test]
    fn digits_end_at_the_finish_key_which_is_not_kept() {
        let mut g = Gather::new(spec(None, Some('#')));
        g.prompt_finished(ms(0));
        assert!(g.on_digit(d('4'), ms(100)).is_none());
        assert!(g.on_digit(d('2'), ms(200)).is_none());
        let got = g.on_digit(d('#'), ms(300)).unwrap();
        assert_eq!((got.digits.as_str(), got.end), ("42", GatherEnd::FinishKey));
    }

    #[test]
    fn silence_after_the_prompt_gives_an_empty_answer() {
        let mut g = Gather::new(spec(Some(1), None));
        g.prompt_finished(ms(1000));
        assert_eq!(g.deadline(), Some(ms(6000)));
        assert!(g.poll(ms(5999)).is_none());
        let got = g.poll(ms(6000)).unwrap();
        assert_eq!((got.digits.as_str(), got.end), ("", GatherEnd::Timeout));
    }

    #[test]
    fn inter_digit_timeout_hands_back_what_was_keyed() {
        let mut g = Gather::new(spec(None, Some('#')));
        // Barge-in: a key during the prompt; prompt end does not restart the clock.
        assert!(g.on_digit(d('7'), ms(500)).is_none());
        g.prompt_finished(ms(900));
        assert_eq!(g.deadline(), Some(ms(2500)));
        let got = g.poll(ms(2500)).unwrap();
        assert_eq!((got.digits.as_str(), got.end), ("7", GatherEnd::Timeout));
    }

    #[test]
    fn a_stuck_key_stops_at_the_limit() {
        let mut g = Gather::new(spec(None, Some('#')));
        let mut end = None;
        for i in 0..100 {
            if let Some(got) = g.on_digit(d('1'), ms(i)) {
                end = Some(got);
                break;
            }
        }
        let got = end.unwrap();
        assert_eq!(got.digits.len(), MAX_DIGITS);
        assert_eq!(got.end, GatherEnd::TooMany);
    }
}
