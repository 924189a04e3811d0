//! Reassembly of inbound concatenated messages: parts may arrive in any
//! order (and on different binds); a message that never completes is given
//! up after a timeout with whatever arrived. Pure: the caller passes the clock.

use std::collections::HashMap;

use super::Concat;
use crate::core::time::Millis;

/// Parts kept in memory at most, so a flood of never-completed messages cannot grow without bound.
pub const MAX_PENDING_PARTS: usize = 10_000;

/// Which message a part belongs to: the sender, the reference and the count
/// (a reused reference with another count is another message).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub from: String,
    pub reference: u16,
    pub total: u8,
}

#[derive(Debug)]
struct Pending {
    first_seen: Millis,
    parts: Vec<Option<String>>,
}

/// A message that stopped waiting: complete, or given up with gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub key: Key,
    pub text: String,
    /// Parts that never arrived (1-based), empty when complete.
    pub missing: Vec<u8>,
}

#[derive(Debug)]
pub struct Reassembler {
    timeout: Millis,
    pending: HashMap<Key, Pending>,
    parts: usize,
}

impl Reassembler {
    pub fn new(timeout: Millis) -> Self {
        Reassembler {
            timeout,
            pending: HashMap::new(),
            parts: 0,
        }
    }

    /// Adds one part; returns the message once every part is in. A repeated
    /// part (a carrier retry) replaces the earlier copy.
    pub fn push(&mut self, from: &str, c: Concat, text: String, now: Millis) -> Option<Assembled> {
        let key = Key {
            from: from.to_string(),
            reference: c.reference,
            total: c.total,
        };
        let entry = self.pending.entry(key.clone()).or_insert_with(|| Pending {
            first_seen: now,
            parts: vec![None; usize::from(c.total)],
        });
        let slot = &mut entry.parts[usize::from(c.seq - 1)];
        if slot.is_none() {
            self.parts += 1;
        }
        *slot = Some(text);
        if entry.parts.iter().all(Option::is_some) {
            let done = self.pending.remove(&key)?;
            self.parts -= done.parts.len();
            return Some(Assembled {
                key,
                text: done.parts.into_iter().flatten().collect(),
                missing: vec![],
            });
        }
        None
    }

    /// Gives up on messages older than the timeout (or the oldest ones when
    /// over [`MAX_PENDING_PARTS`]), returning what arrived of each.
    pub fn expire(&mut self, now: Millis) -> Vec<Assembled> {
        let mut stale: Vec<(Millis, Key)> = self
            .pending
            .iter()
            .filter(|(_, p)| now - p.first_seen >= self.timeout)
            .map(|(k, p)| (p.first_seen, k.clone()))
            .collect();
        if self.parts > MAX_PENDING_PARTS {
            let mut by_age: Vec<(Millis, Key)> = self
                .pending
                .iter()
                .map(|(k, p)| (p.first_seen, k.clone()))
                .collect();
            by_age.sort_by_key(|(t, _)| *t);
            let mut over = self.parts - MAX_PENDING_PARTS;
            for (t, k) in by_age {
                if over == 0 {
                    break;
                }
                over = over.saturating_sub(
                    self.pending
                        .get(&k)
                        .map_or(0, |p| p.parts.iter().flatten().count()),
                );
                stale.push((t, k));
            }
        }
        stale.sort_by_key(|(t, _)| *t);
        stale.dedup_by(|a, b| a.1 == b.1);
        let mut out = Vec::new();
        for (_, key) in stale {
            if let Some(p) = self.pending.remove(&key) {
                self.parts -= p.parts.iter().flatten().count();
                let missing = p
                    .parts
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.is_none())
                    .map(|(i, _)| i as u8 + 1)
                    .collect();
                out.push(Assembled {
                    key,
                    text: p.parts.into_iter().flatten().collect(),
                    missing,
                });
            }
        }
        out
    }

    /// Parts held now.
    pub fn held(&self) -> usize {
        self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(reference: u16, total: u8, seq: u8) -> Concat {
        Concat {
            reference,
            total,
            seq,
        }
    }

    #[test]
    fn parts_in_any_order_assemble_in_sequence() {
        let mut r = Reassembler::new(60_000);
        assert_eq!(r.push("+255", c(7, 3, 3), "C".into(), 0), None);
        assert_eq!(r.push("+255", c(7, 3, 1), "A".into(), 1), None);
        // Same reference from someone else is another message.
        assert_eq!(r.push("+256", c(7, 3, 2), "x".into(), 1), None);
        let done = r.push("+255", c(7, 3, 2), "B".into(), 2).unwrap();
        assert_eq!(done.text, "ABC");
        assert!(done.missing.is_empty());
        assert_eq!(r.held(), 1);
    }

    #[test]
    fn a_repeated_part_is_counted_once() {
        let mut r = Reassembler::new(60_000);
        assert_eq!(r.push("a", c(1, 2, 1), "x".into(), 0), None);
        assert_eq!(r.push("a", c(1, 2, 1), "y".into(), 0), None);
        assert_eq!(r.held(), 1);
        assert_eq!(r.push("a", c(1, 2, 2), "z".into(), 0).unwrap().text, "yz");
        assert_eq!(r.held(), 0);
    }

    #[test]
    fn timeouts_give_up_with_what_arrived() {
        let mut r = Reassembler::new(1_000);
        r.push("a", c(1, 3, 2), "B".into(), 0);
        r.push("b", c(2, 2, 1), "new".into(), 900);
        assert!(r.expire(999).is_empty());
        let out = r.expire(1_000);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "B");
        assert_eq!(out[0].missing, vec![1, 3]);
        assert_eq!(r.held(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut r = Reassembler::new(i64::MAX);
        for i in 0..(MAX_PENDING_PARTS + 5) {
            r.push(&i.to_string(), c(1, 2, 1), "p".into(), i as Millis);
        }
        let out = r.expire(0);
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].key.from, "0");
        assert_eq!(r.held(), MAX_PENDING_PARTS);
    }
}
