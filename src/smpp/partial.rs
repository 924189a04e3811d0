//! Multi-segment messages the carrier accepted only in part: which segments
//! it already took (with their carrier ids) and which concatenation
//! reference they carry, so a retry sends only the missing segments, under
//! the same reference, and the handset can still join them. Pure: the
//! caller passes the clock. Kept in memory: after a restart a retry resends
//! the whole message (the carrier's duplicates are then the only cost).

use std::collections::{HashMap, VecDeque};

use crate::core::time::Millis;

/// Messages remembered at most; the oldest are forgotten first (their retry
/// then resends every segment).
pub const MAX_PARTIALS: usize = 10_000;
/// How long a partial acceptance is remembered: longer than the outbox's
/// longest retry backoff (30 min by default).
pub const MAX_AGE_MS: Millis = 6 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    pub reference: u16,
    /// The carrier id of each segment it accepted, by segment index.
    pub accepted: Vec<Option<String>>,
}

#[derive(Debug, Default)]
pub struct Partials {
    by_msg: HashMap<i64, (Millis, Partial)>,
    order: VecDeque<(Millis, i64)>,
}

impl Partials {
    /// The earlier partial acceptance of message `id`, if one is remembered
    /// and not too old. The caller checks the segment count still matches.
    pub fn take(&mut self, id: i64, now: Millis) -> Option<Partial> {
        let (at, p) = self.by_msg.remove(&id)?;
        (now - at < MAX_AGE_MS).then_some(p)
    }

    /// Remembers what the carrier accepted of message `id` before a retry.
    pub fn keep(&mut self, id: i64, partial: Partial, now: Millis) {
        self.by_msg.insert(id, (now, partial));
        self.order.push_back((now, id));
        // The queue may hold slots of entries taken since: those are
        // dropped as they reach the front.
        while let Some(&(at, old)) = self.order.front() {
            let current = self.by_msg.get(&old).is_some_and(|(t, _)| *t == at);
            if current && now - at < MAX_AGE_MS && self.by_msg.len() <= MAX_PARTIALS {
                break;
            }
            self.order.pop_front();
            if current {
                self.by_msg.remove(&old);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_msg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_msg.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(reference: u16, accepted: &[Option<&str>]) -> Partial {
        Partial {
            reference,
            accepted: accepted.iter().map(|a| a.map(str::to_string)).collect(),
        }
    }

    #[test]
    fn a_kept_partial_is_taken_once() {
        let mut ps = Partials::default();
        ps.keep(7, p(42, &[Some("a"), None, Some("c")]), 0);
        assert_eq!(ps.take(7, 10), Some(p(42, &[Some("a"), None, Some("c")])));
        assert_eq!(ps.take(7, 10), None);
    }

    #[test]
    fn an_old_entry_starts_afresh() {
        let mut ps = Partials::default();
        ps.keep(2, p(1, &[Some("a"), None]), 0);
        assert_eq!(ps.take(2, MAX_AGE_MS), None);
    }

    #[test]
    fn the_oldest_are_forgotten_beyond_the_cap() {
        let mut ps = Partials::default();
        for id in 0..(MAX_PARTIALS as i64 + 5) {
            ps.keep(id, p(0, &[Some("a"), None]), id);
        }
        assert_eq!(ps.len(), MAX_PARTIALS);
        assert_eq!(ps.take(0, 100), None);
        assert!(ps.take(MAX_PARTIALS as i64 + 4, 100).is_some());
    }
}
