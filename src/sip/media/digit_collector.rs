//! Merges the three DTMF paths (RFC 4733 events, in-band tones, SIP INFO) into
//! one digit stream. A carrier may send a press on more than one path, at
//! slightly different times; each path already reports a press once, so a
//! report is a duplicate only when another path reported the same key just
//! before and that earlier press has not yet been matched on this path.
//! Knows nothing of sockets or SIP; callers pass arrival times in.

use std::collections::VecDeque;
use std::time::Duration;

use super::digit::Digit;

/// How far apart two paths may report the same press: in-band detection lags
/// the first RFC 4733 packet by ~25 ms and SIP INFO can trail by a few hundred ms.
/// Quick repeats on one path are never merged, so the window can be generous.
pub const MERGE_WINDOW: Duration = Duration::from_millis(400);

/// The path a digit arrived by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigitSource {
    Rfc4733,
    Inband,
    SipInfo,
}

impl DigitSource {
    fn bit(self) -> u8 {
        match self {
            DigitSource::Rfc4733 => 1,
            DigitSource::Inband => 2,
            DigitSource::SipInfo => 4,
        }
    }
}

#[derive(Debug)]
struct Accepted {
    digit: Digit,
    at: Duration,
    sources: u8,
}

/// De-duplicates digits across paths for one call.
#[derive(Debug, Default)]
pub struct DigitCollector {
    recent: VecDeque<Accepted>,
}

impl DigitCollector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Offer one report; returns the digit if it is a new press.
    pub fn offer(&mut self, digit: Digit, source: DigitSource, at: Duration) -> Option<Digit> {
        while self
            .recent
            .front()
            .is_some_and(|a| at.saturating_sub(a.at) > MERGE_WINDOW)
        {
            self.recent.pop_front();
        }
        let bit = source.bit();
        if let Some(earlier) = self
            .recent
            .iter_mut()
            .find(|a| a.digit == digit && a.sources & bit == 0)
        {
            earlier.sources |= bit;
            return None;
        }
        self.recent.push_back(Accepted {
            digit,
            at,
            sources: bit,
        });
        Some(digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DigitSource::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn run(reports: &[(char, DigitSource, u64)]) -> String {
        let mut collector = DigitCollector::new();
        reports
            .iter()
            .filter_map(|&(c, source, at)| collector.offer(Digit::from_char(c)?, source, ms(at)))
            .map(Digit::as_char)
            .collect()
    }

    #[test]
    fn the_same_press_on_all_three_paths_counts_once() {
        assert_eq!(
            run(&[('1', Rfc4733, 0), ('1', Inband, 30), ('1', SipInfo, 250)]),
            "1"
        );
    }

    #[test]
    fn quick_repeats_on_one_path_are_separate_presses() {
        assert_eq!(
            run(&[('5', Rfc4733, 0), ('5', Rfc4733, 100), ('5', Rfc4733, 200)]),
            "555"
        );
    }

    #[test]
    fn quick_repeats_on_two_paths_pair_up_in_order() {
        let reports = [
            ('5', Rfc4733, 0),
            ('5', Rfc4733, 100),
            ('5', Inband, 60),
            ('5', Inband, 160),
        ];
        assert_eq!(run(&reports), "55");
    }

    #[test]
    fn reports_outside_the_window_are_new_presses() {
        assert_eq!(run(&[('2', Inband, 0), ('2', SipInfo, 1000)]), "22");
    }

    #[test]
    fn different_keys_are_never_merged() {
        assert_eq!(
            run(&[('1', Rfc4733, 0), ('2', Inband, 10), ('#', SipInfo, 20)]),
            "12#"
        );
    }
}
