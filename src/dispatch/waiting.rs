//! Why an unsent outbound message is not going now, as the API shows it.
//! Derived when a message is read, from what the store keeps (its due
//! time, the reason it was held, whether an earlier message to the same
//! number is unsent) and the state of its route's links now: nothing is
//! written to queued rows while they wait, and a link that comes back
//! changes the answer at once.

use super::Gateway;
use crate::core::time::{now_ms, rfc3339, Millis};
use crate::core::MsgStatus;
use crate::links::LinkSet;
use crate::store::MsgRow;

/// The status shown for a `queued` message that is not due yet (outside
/// sending hours); never stored.
pub const HELD: &str = "held";

impl Gateway {
    /// Fill in `status` (`held`), `next_attempt_on` and `waiting_reason`
    /// of messages read for the API.
    pub fn explain_waiting(&self, rows: &mut [MsgRow]) {
        let now = now_ms();
        for row in rows {
            explain(row, &self.links, now);
        }
    }
}

fn explain(row: &mut MsgRow, links: &LinkSet, now: Millis) {
    let queued = row.status == MsgStatus::Queued.as_str();
    if row.direction != "out" || !(queued || row.status == MsgStatus::Errored.as_str()) {
        return;
    }
    let w = &row.waiting;
    let due = w.next_attempt_on.unwrap_or(now);
    row.next_attempt_on = w.next_attempt_on.map(rfc3339);
    // Held: not due for its own sake (sending hours), rather than behind
    // an earlier message's retry. The same rule as the store's
    // `status=held` filter.
    if queued && due > now && (w.held_reason.is_some() || !w.behind) {
        row.status = HELD.to_string();
        row.waiting_reason = Some(
            w.held_reason
                .clone()
                .unwrap_or_else(|| format!("not due before {}", rfc3339(due))),
        );
        return;
    }
    row.waiting_reason = links
        .why_unserved(w.route.as_deref().unwrap_or_default())
        .or_else(|| {
            w.behind
                .then(|| "waits for an earlier message to this number to be sent first".to_string())
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Waiting;

    fn row(status: &str, waiting: Waiting) -> MsgRow {
        MsgRow {
            waiting,
            ..MsgRow::example(1, "out", status)
        }
    }

    #[test]
    fn held_waiting_for_a_link_and_behind_are_told_apart() {
        let links = LinkSet::new(vec![], &[]);
        let now = 1_000_000;
        let mut held = row(
            "queued",
            Waiting {
                route: Some(String::new()),
                next_attempt_on: Some(now + 60_000),
                held_reason: Some("outside sending hours 08:00-20:00 in Africa/Dar_es_Salaam".into()),
                behind: false,
            },
        );
        explain(&mut held, &links, now);
        assert_eq!(held.status, "held");
        assert_eq!(held.next_attempt_on, Some(rfc3339(now + 60_000)));
        assert_eq!(
            held.waiting_reason.as_deref(),
            Some("outside sending hours 08:00-20:00 in Africa/Dar_es_Salaam")
        );

        let mut due = row(
            "queued",
            Waiting {
                route: Some(String::new()),
                next_attempt_on: Some(now),
                held_reason: Some("outside sending hours 08:00-20:00 in UTC".into()),
                behind: true,
            },
        );
        explain(&mut due, &links, now);
        assert_eq!(due.status, "queued");
        assert_eq!(
            due.waiting_reason.as_deref(),
            Some("no route reaches this number (no default route)")
        );

        let mut sent = row("sent", Waiting::default());
        explain(&mut sent, &links, now);
        assert_eq!((sent.status.as_str(), sent.waiting_reason), ("sent", None));
    }
}
