//! Turns a stream of RFC 4733 packets into one report per key press.
//!
//! A press is one (SSRC, RTP timestamp) pair (RFC 4733 §2.5.1.2): start packets
//! repeat with growing durations and the end packet is sent three times, so we
//! report at the first packet seen (lowest latency) and swallow the rest. The
//! marker bit is not trusted (several senders omit it) and sequence numbers
//! are not used at all, so SSRC changes and sequence or timestamp jumps need
//! no special handling. Knows nothing of sockets or the other DTMF paths.

use std::collections::VecDeque;
use std::time::Duration;

use super::digit::Digit;
use super::telephone_event::TelephoneEvent;

/// Presses remembered for de-duplication: far more than can be in flight at once.
const REMEMBERED_PRESSES: usize = 16;
/// A press whose key reappears, not ended, this long after its end packets is a
/// replay of the same press (SIPp replays pcaps verbatim), not a retransmission.
pub const REPLAY_GAP: Duration = Duration::from_millis(250);

#[derive(Debug)]
struct Press {
    ssrc: u32,
    timestamp: u32,
    ended: bool,
    last_seen: Duration,
}

/// De-duplicates telephone events into key presses.
#[derive(Debug, Default)]
pub struct EventTracker {
    recent: VecDeque<Press>,
}

impl EventTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one telephone-event packet that arrived at `at` (any monotonic
    /// clock); returns the key when this packet starts a new press.
    pub fn on_packet(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        event: &TelephoneEvent,
        at: Duration,
    ) -> Option<Digit> {
        let digit = event.digit()?;
        if let Some(press) = self
            .recent
            .iter_mut()
            .find(|p| p.ssrc == ssrc && p.timestamp == timestamp)
        {
            let replayed = press.ended && !event.end && at.saturating_sub(press.last_seen) >= REPLAY_GAP;
            press.last_seen = at;
            if !replayed {
                press.ended |= event.end;
                return None;
            }
            press.ended = false;
            return Some(digit);
        }
        if self.recent.len() == REMEMBERED_PRESSES {
            self.recent.pop_front();
        }
        self.recent.push_back(Press {
            ssrc,
            timestamp,
            ended: event.end,
            last_seen: at,
        });
        Some(digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(event: u8, end: bool, duration: u16) -> TelephoneEvent {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The SIPp pcap pattern: 8 start packets with growing duration, 3 end packets.
    fn press(tracker: &mut EventTracker, ssrc: u32, ts: u32, event: u8, start_ms: u64) -> Vec<Digit> {
        let mut out = Vec::new();
        for i in 0..8u16 {
            out.extend(tracker.on_packet(
                ssrc,
                ts,
                &packet(event, false, 320 * (i + 1)),
                ms(start_ms + 20 * u64::from(i)),
            ));
        }
        for i in 0..3 {
            out.extend(tracker.on_packet(ssrc, ts, &packet(event, true, 2560), ms(start_ms + 160 + i)));
        }
        out
    }

    #[test]
    fn one_report_per_press_despite_repeats_and_end_retransmissions() {
        let mut tracker = EventTracker::new();
        assert_eq!(press(&mut tracker, 1, 1000, 1, 0), vec![Digit::D1]);
        assert_eq!(press(&mut tracker, 1, 3000, 11, 300), vec![Digit::Pound]);
    }

    #[test]
    fn ssrc_changes_and_timestamp_jumps_start_new_presses() {
        let mut tracker = EventTracker::new();
        assert_eq!(press(&mut tracker, 1, 1000, 5, 0), vec![Digit::D5]);
        assert_eq!(press(&mut tracker, 2, 1000, 5, 300), vec![Digit::D5]);
        assert_eq!(press(&mut tracker, 2, 0xFFFF_0000, 7, 600), vec![Digit::D7]);
        assert_eq!(press(&mut tracker, 2, 5, 8, 900), vec![Digit::D8]);
    }

    #[test]
    fn lost_start_packets_still_report_once_from_the_end_packets() {
        let mut tracker = EventTracker::new();
        let reports: Vec<_> = (0..3)
            .filter_map(|i| tracker.on_packet(9, 40, &packet(3, true, 800), ms(i)))
            .collect();
        assert_eq!(reports, vec![Digit::D3]);
    }

    #[test]
    fn a_replayed_pcap_counts_again_but_late_reordered_packets_do_not() {
        let mut tracker = EventTracker::new();
        assert_eq!(press(&mut tracker, 0x0E05_384E, 8000, 1, 0), vec![Digit::D1]);
        // A start packet delayed past the end packets, well inside the replay gap.
        assert_eq!(
            tracker.on_packet(0x0E05_384E, 8000, &packet(1, false, 640), ms(200)),
            None
        );
        // The same pcap played again a second later.
        assert_eq!(press(&mut tracker, 0x0E05_384E, 8000, 1, 1200), vec![Digit::D1]);
    }

    #[test]
    fn non_keypad_events_are_ignored() {
        let mut tracker = EventTracker::new();
        assert_eq!(tracker.on_packet(1, 1, &packet(32, false, 160), ms(0)), None);
    }

    #[test]
    fn memory_is_bounded() {
        let mut tracker = EventTracker::new();
        for ts in 0..100u32 {
            assert_eq!(
                tracker.on_packet(1, ts * 1000, &packet(0, false, 160), ms(u64::from(ts))),
                Some(Digit::D0)
            );
        }
        assert_eq!(tracker.recent.len(), REMEMBERED_PRESSES);
    }
}
