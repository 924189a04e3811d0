//! Delivery-receipt correlation: which message each carrier segment id
//! belongs to, the roll-up of one receipt per segment into one report per
//! message, and receipts that arrive before the submit_sm_resp that explains
//! them (held briefly, then reported by their bare id). Pure: the caller
//! passes the clock; ids are already normalised.

use std::collections::{HashMap, VecDeque};

use crate::core::link::DeliveryReport;
use crate::core::time::Millis;

use super::receipt::ReceiptState;

/// Messages tracked at most; the oldest are forgotten first (a receipt
/// for them is then reported by its segment id alone).
pub const MAX_TRACKED: usize = 200_000;
/// How long a message waits for its receipts (carriers give up within 72 h).
pub const MAX_AGE_MS: Millis = 72 * 3600 * 1000;

/// The id segments of one message are joined with in `external_id`.
pub const ID_SEPARATOR: char = ',';

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub external_id: String,
    pub report: DeliveryReport,
}

#[derive(Debug)]
struct Rollup {
    external_id: String,
    segments: Vec<String>,
    done: Vec<bool>,
    failure: Option<String>,
}

#[derive(Debug)]
pub struct Tracker {
    hold_ms: Millis,
    next: u64,
    by_segment: HashMap<String, u64>,
    messages: HashMap<u64, Rollup>,
    order: VecDeque<(Millis, u64)>,
    held: Vec<(Millis, String, ReceiptState, Option<String>)>,
}

impl Tracker {
    pub fn new(hold_ms: Millis) -> Self {
        Tracker {
            hold_ms,
            next: 0,
            by_segment: HashMap::new(),
            messages: HashMap::new(),
            order: VecDeque::new(),
            held: Vec::new(),
        }
    }

    /// Records a sent message's segment ids; returns its `external_id` and any
    /// reports that held receipts now complete.
    pub fn record(&mut self, ids: Vec<String>, now: Millis) -> (String, Vec<Report>) {
        let external_id = ids.join(&ID_SEPARATOR.to_string());
        let key = self.next;
        self.next += 1;
        for id in &ids {
            self.by_segment.insert(id.clone(), key);
        }
        let n = ids.len();
        self.messages.insert(
            key,
            Rollup {
                external_id: external_id.clone(),
                segments: ids,
                done: vec![false; n],
                failure: None,
            },
        );
        self.order.push_back((now, key));
        while self.messages.len() > MAX_TRACKED {
            if let Some((_, old)) = self.order.pop_front() {
                self.forget(old);
            }
        }
        let (ready, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(_, id, _, _)| self.by_segment.contains_key(id));
        self.held = keep;
        let mut reports = Vec::new();
        for (_, id, state, err) in ready {
            reports.extend(self.receipt(&id, state, err, now));
        }
        (external_id, reports)
    }

    /// Applies one final receipt for segment `id`.
    pub fn receipt(
        &mut self,
        id: &str,
        state: ReceiptState,
        err: Option<String>,
        now: Millis,
    ) -> Vec<Report> {
        if !state.is_final() {
            return Vec::new();
        }
        let Some(&key) = self.by_segment.get(id) else {
            self.held.push((now, id.to_string(), state, err));
            return Vec::new();
        };
        let Some(r) = self.messages.get_mut(&key) else {
            return Vec::new();
        };
        if let Some(i) = r.segments.iter().position(|s| s == id) {
            r.done[i] = true;
        }
        if state != ReceiptState::Delivered && r.failure.is_none() {
            r.failure = Some(describe(&state, err.as_deref()));
        }
        if r.done.iter().all(|d| *d) {
            let report = match r.failure.take() {
                None => DeliveryReport::Delivered,
                Some(reason) => DeliveryReport::Failed { reason },
            };
            let external_id = r.external_id.clone();
            self.forget(key);
            return vec![Report { external_id, report }];
        }
        Vec::new()
    }

    /// Reports held receipts that no send explained in time (by their bare
    /// id), and forgets messages older than [`MAX_AGE_MS`].
    pub fn expire(&mut self, now: Millis) -> Vec<Report> {
        let hold = self.hold_ms;
        let (stale, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(t, ..)| now - t >= hold);
        self.held = keep;
        while let Some(&(t, key)) = self.order.front() {
            if now - t < MAX_AGE_MS {
                break;
            }
            self.order.pop_front();
            self.forget(key);
        }
        stale
            .into_iter()
            .map(|(_, id, state, err)| Report {
                external_id: id,
                report: match state {
                    ReceiptState::Delivered => DeliveryReport::Delivered,
                    other => DeliveryReport::Failed {
                        reason: describe(&other, err.as_deref()),
                    },
                },
            })
            .collect()
    }

    fn forget(&mut self, key: u64) {
        if let Some(r) = self.messages.remove(&key) {
            for s in r.segments {
                if self.by_segment.get(&s) == Some(&key) {
                    self.by_segment.remove(&s);
                }
            }
        }
    }

    pub fn tracked(&self) -> usize {
        self.messages.len()
    }

    pub fn held(&self) -> usize {
        self.held.len()
    }
}

fn describe(state: &ReceiptState, err: Option<&str>) -> String {
    let s = format!("{state:?}").to_ascii_lowercase();
    match err {
        Some(e) => format!("{s} (err {e})"),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_segment_reports_at_once() {
        let mut t = Tracker::new(1000);
        let (ext, r) = t.record(vec!["a".into()], 0);
        assert_eq!((ext.as_str(), r.len()), ("a", 0));
        let r = t.receipt("a", ReceiptState::Delivered, None, 1);
        assert_eq!(
            r,
            vec![Report {
                external_id: "a".into(),
                report: DeliveryReport::Delivered
            }]
        );
        assert_eq!(t.tracked(), 0);
    }

    #[test]
    fn segments_roll_up_and_one_failure_fails_the_message() {
        let mut t = Tracker::new(1000);
        let (ext, _) = t.record(vec!["1".into(), "2".into(), "3".into()], 0);
        assert_eq!(ext, "1,2,3");
        assert!(t.receipt("2", ReceiptState::Delivered, None, 1).is_empty());
        assert!(t.receipt("2", ReceiptState::Enroute, None, 1).is_empty());
        assert!(t
            .receipt("3", ReceiptState::Undeliverable, Some("034".into()), 1)
            .is_empty());
        let r = t.receipt("1", ReceiptState::Delivered, None, 2);
        assert_eq!(
            r,
            vec![Report {
                external_id: ext,
                report: DeliveryReport::Failed {
                    reason: "undeliverable (err 034)".into()
                }
            }]
        );
    }

    #[test]
    fn a_receipt_before_its_submit_resp_is_held_then_matched() {
        let mut t = Tracker::new(1000);
        assert!(t.receipt("x2", ReceiptState::Delivered, None, 0).is_empty());
        assert_eq!(t.held(), 1);
        let (_, r) = t.record(vec!["x1".into(), "x2".into()], 10);
        assert!(r.is_empty());
        let r = t.receipt("x1", ReceiptState::Delivered, None, 11);
        assert_eq!(r[0].external_id, "x1,x2");
        assert_eq!(t.held(), 0);
    }

    #[test]
    fn an_unexplained_receipt_is_reported_by_its_bare_id_after_the_hold() {
        let mut t = Tracker::new(1000);
        t.receipt("zz", ReceiptState::Expired, None, 0);
        assert!(t.expire(999).is_empty());
        let r = t.expire(1000);
        assert_eq!(
            r,
            vec![Report {
                external_id: "zz".into(),
                report: DeliveryReport::Failed {
                    reason: "expired".into()
                }
            }]
        );
    }

    #[test]
    fn old_messages_are_forgotten() {
        let mut t = Tracker::new(1000);
        t.record(vec!["old".into()], 0);
        t.expire(MAX_AGE_MS);
        assert_eq!(t.tracked(), 0);
    }
}
