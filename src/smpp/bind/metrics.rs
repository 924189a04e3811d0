//! One bind's figures in /metrics, labelled by link and bind index: bound or
//! not, submits in flight, the current rate, and the counters the links API
//! also shows. Handles are registered once, so updating them on the send
//! path costs an atomic store.

use metrics::{Counter, Gauge};

use super::{BindState, Counters};

pub(super) struct BindMetrics {
    up: Gauge,
    in_flight: Gauge,
    rate: Gauge,
    submitted: Counter,
    accepted: Counter,
    throttled: Counter,
    timeouts: Counter,
    reconnects: Counter,
    malformed: Counter,
}

impl BindMetrics {
    pub(super) fn new(link: &str, index: usize) -> BindMetrics {
        let labels = [("link", link.to_string()), ("bind", index.to_string())];
        let counter = |what: &'static str| {
            metrics::counter!(
                "mhero_smpp_bind_pdus_total",
                &[&labels[..], &[("what", what.to_string())]].concat()
            )
        };
        BindMetrics {
            up: metrics::gauge!("mhero_smpp_bind_up", &labels),
            in_flight: metrics::gauge!("mhero_smpp_bind_in_flight", &labels),
            rate: metrics::gauge!("mhero_smpp_bind_rate", &labels),
            submitted: counter("submitted"),
            accepted: counter("accepted"),
            throttled: counter("throttled"),
            timeouts: counter("timeouts"),
            reconnects: counter("reconnects"),
            malformed: counter("malformed"),
        }
    }

    pub(super) fn state(&self, s: &BindState) {
        self.up.set(if matches!(s, BindState::Bound) { 1.0 } else { 0.0 });
    }

    pub(super) fn in_flight(&self, n: usize) {
        self.in_flight.set(n as f64);
    }

    /// Current segments per second; 0 when unlimited.
    pub(super) fn rate(&self, current: Option<u32>) {
        self.rate.set(f64::from(current.unwrap_or(0)));
    }

    pub(super) fn counters(&self, c: &Counters) {
        self.submitted.absolute(c.submitted);
        self.accepted.absolute(c.accepted);
        self.throttled.absolute(c.throttled);
        self.timeouts.absolute(c.timeouts);
        self.reconnects.absolute(c.reconnects);
        self.malformed.absolute(c.malformed);
    }
}
