//! The link set: every configured link behind a handle that adds what all
//! link kinds share — an operator switch, a segment-counted rate limit that
//! can be changed while running, and counters — plus routing of numbers to
//! links by longest prefix with failover to the next healthy link.

pub mod simulator;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;

use crate::core::rate::LINK_RATE;
use crate::core::Link;

/// Shortest interval between tokens we accept (1,000,000/s): above that a
/// limit is indistinguishable from none.
const MIN_PERIOD: Duration = Duration::from_micros(1);
/// Smallest limiter burst: enough to absorb a late wake-up of the sender.
const MIN_BURST: u32 = 2;

/// A link plus its live controls.
pub struct LinkHandle {
    pub link: Arc<dyn Link>,
    enabled: AtomicBool,
    rate_bits: AtomicU64,
    limiter: RwLock<Option<Arc<DefaultDirectRateLimiter>>>,
    /// Wakes this link's dispatcher when work is queued locally.
    pub wake: Notify,
    pub in_flight: AtomicUsize,
}

impl LinkHandle {
    pub fn new(link: Arc<dyn Link>, rate: f64) -> LinkHandle {
        let h = LinkHandle {
            link,
            enabled: AtomicBool::new(true),
            rate_bits: AtomicU64::new(0),
            limiter: RwLock::new(None),
            wake: Notify::new(),
            in_flight: AtomicUsize::new(0),
        };
        h.set_rate(rate);
        h
    }

    pub fn name(&self) -> &str {
        self.link.name()
    }

    /// Usable for sending: enabled by the operator and healthy.
    pub fn usable(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) && self.link.healthy()
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        self.wake.notify_one();
    }

    pub fn rate(&self) -> f64 {
        f64::from_bits(self.rate_bits.load(Ordering::Relaxed))
    }

    /// Messages (segments) per second; 0 or less means unlimited. Takes
    /// effect for the next segment sent. Callers check the rate against
    /// [`LINK_RATE`] first; whatever arrives here anyway is made safe (no
    /// limit when not a positive number, clamped into the range otherwise),
    /// so no value can panic a timer.
    pub fn set_rate(&self, rate: f64) {
        let rate = if rate > 0.0 && rate.is_finite() {
            rate.clamp(LINK_RATE.min, LINK_RATE.max)
        } else {
            0.0
        };
        let limiter = if rate > 0.0 { limiter_for(rate) } else { None };
        self.rate_bits.store(
            if limiter.is_some() { rate } else { 0.0 }.to_bits(),
            Ordering::Relaxed,
        );
        if let Ok(mut l) = self.limiter.write() {
            *l = limiter;
        }
        self.wake.notify_one();
    }

    /// Wait until `segments` more segments may go out.
    pub async fn acquire(&self, segments: u32) {
        for _ in 0..segments.max(1) {
            let limiter = self.limiter.read().ok().and_then(|l| l.clone());
            match limiter {
                Some(l) => l.until_ready().await,
                None => return,
            }
        }
    }

    /// How many messages to claim at once: a quarter second's worth at the
    /// current rate, so a reply waits at most about half a second behind
    /// the batch being sent and the one claimed ahead.
    pub fn claim_size(&self, max: u32) -> u32 {
        let rate = self.rate();
        if rate <= 0.0 {
            max
        } else {
            ((rate / 4.0).ceil() as u32).clamp(1, max)
        }
    }
}

/// A limiter for a positive rate within [`LINK_RATE`].
fn limiter_for(rate: f64) -> Option<Arc<DefaultDirectRateLimiter>> {
    let period = Duration::try_from_secs_f64(1.0 / rate).ok()?.max(MIN_PERIOD);
    // A burst of 2% of a second's allowance (at least two) absorbs timer
    // overshoot, which a burst of one would lose for good, while any
    // one-second window stays within 2% of the rate.
    let burst = NonZeroU32::new(((rate / 50.0).ceil() as u32).max(MIN_BURST)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period).map(|q| Arc::new(RateLimiter::direct(q.allow_burst(burst))))
}

struct Route {
    prefix: String,
    links: Vec<usize>,
}

/// All links and the routing table.
pub struct LinkSet {
    links: Vec<Arc<LinkHandle>>,
    routes: Vec<Route>,
}

impl LinkSet {
    /// `routes` are `(prefix, link names in preference order)`; unknown
    /// names were rejected when the config was checked.
    pub fn new(links: Vec<Arc<LinkHandle>>, routes: &[(String, Vec<String>)]) -> LinkSet {
        let mut rs: Vec<Route> = routes
            .iter()
            .map(|(prefix, names)| Route {
                prefix: prefix.clone(),
                links: names
                    .iter()
                    .filter_map(|n| links.iter().position(|l| l.name() == n))
                    .collect(),
            })
            .collect();
        // Longest prefix first, so the first match is the most specific.
        rs.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        LinkSet { links, routes: rs }
    }

    pub fn links(&self) -> &[Arc<LinkHandle>] {
        &self.links
    }

    pub fn get(&self, name: &str) -> Option<&Arc<LinkHandle>> {
        self.links.iter().find(|l| l.name() == name)
    }

    /// The route (its prefix; `""` is the default route) for an E.164 number.
    pub fn route_for(&self, number: &str) -> String {
        self.routes
            .iter()
            .find(|r| number.starts_with(&r.prefix))
            .map(|r| r.prefix.clone())
            .unwrap_or_default()
    }

    /// Routes that `link` serves right now: those where it is the first
    /// usable link in preference order.
    pub fn routes_served_by(&self, link: &str) -> Vec<String> {
        self.routes
            .iter()
            .filter(|r| {
                r.links
                    .iter()
                    .map(|i| &self.links[*i])
                    .find(|l| l.usable())
                    .is_some_and(|l| l.name() == link)
            })
            .map(|r| r.prefix.clone())
            .collect()
    }

    /// The link serving `route` now, if any is usable.
    pub fn active_link(&self, route: &str) -> Option<&Arc<LinkHandle>> {
        self.routes
            .iter()
            .find(|r| r.prefix == route)
            .and_then(|r| r.links.iter().map(|i| &self.links[*i]).find(|l| l.usable()))
    }

    /// Why no link sends `route`'s messages now; `None` when one can. A
    /// route reaches only the links it lists: nothing else takes its
    /// messages while they are all down or switched off.
    pub fn why_unserved(&self, route: &str) -> Option<String> {
        let Some(r) = self.routes.iter().find(|r| r.prefix == route) else {
            return Some(if route.is_empty() {
                "no route reaches this number (no default route)".into()
            } else {
                format!("route {route:?} is no longer configured")
            });
        };
        if r.links.iter().any(|i| self.links[*i].usable()) {
            return None;
        }
        let states: Vec<String> = r
            .links
            .iter()
            .map(|i| {
                let l = &self.links[*i];
                let state = if l.enabled() { "down" } else { "switched off" };
                format!("{} is {state}", l.name())
            })
            .collect();
        Some(format!("waiting for a link: {}", states.join(", ")))
    }

    pub fn wake_all(&self) {
        for l in &self.links {
            l.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{LinkKind, OutMsg, Reconciled, SendOutcome};

    struct Fake(&'static str, AtomicBool);

    #[async_trait::async_trait]
    impl Link for Fake {
        fn name(&self) -> &str {
            self.0
        }
        fn kind(&self) -> LinkKind {
            LinkKind::Simulator
        }
        fn healthy(&self) -> bool {
            self.1.load(Ordering::Relaxed)
        }
        async fn send(&self, _: &OutMsg) -> SendOutcome {
            SendOutcome::Sent { external_id: None }
        }
        async fn reconcile(&self, _: &OutMsg) -> Reconciled {
            Reconciled::Unknown
        }
    }

    fn set() -> (LinkSet, Arc<Fake>) {
        let a = Arc::new(Fake("airtel", AtomicBool::new(true)));
        let b = Arc::new(Fake("vodacom", AtomicBool::new(true)));
        let links = vec![
            Arc::new(LinkHandle::new(a.clone(), 0.0)),
            Arc::new(LinkHandle::new(b, 0.0)),
        ];
        let routes = vec![
            (
                "+25568".to_string(),
                vec!["airtel".to_string(), "vodacom".to_string()],
            ),
            ("+25576".to_string(), vec!["vodacom".to_string()]),
            (String::new(), vec!["vodacom".to_string(), "airtel".to_string()]),
        ];
        (LinkSet::new(links, &routes), a)
    }

    #[test]
    fn longest_prefix_wins() {
        let (s, _) = set();
        assert_eq!(s.route_for("+255681234567"), "+25568");
        assert_eq!(s.route_for("+255761234567"), "+25576");
        assert_eq!(s.route_for("+254700000000"), "");
    }

    #[test]
    fn failover_moves_routes_to_the_next_healthy_link() {
        let (s, airtel) = set();
        assert_eq!(s.routes_served_by("airtel"), vec!["+25568".to_string()]);
        airtel.1.store(false, Ordering::Relaxed);
        assert!(s.routes_served_by("airtel").is_empty());
        let mut v = s.routes_served_by("vodacom");
        v.sort();
        assert_eq!(
            v,
            vec!["".to_string(), "+25568".to_string(), "+25576".to_string()]
        );
        // The operator switch works the same way.
        airtel.1.store(true, Ordering::Relaxed);
        s.get("vodacom").unwrap().set_enabled(false);
        assert!(s.active_link("+25576").is_none());
        assert_eq!(s.active_link("").unwrap().name(), "airtel");
    }

    #[test]
    fn an_unserved_route_says_why() {
        let (s, airtel) = set();
        assert_eq!(s.why_unserved("+25568"), None);
        airtel.1.store(false, Ordering::Relaxed);
        // Vodacom is listed for +25568 and takes over.
        assert_eq!(s.why_unserved("+25568"), None);
        s.get("vodacom").unwrap().set_enabled(false);
        assert_eq!(
            s.why_unserved("+25568").as_deref(),
            Some("waiting for a link: airtel is down, vodacom is switched off")
        );
        assert_eq!(
            s.why_unserved("+25576").as_deref(),
            Some("waiting for a link: vodacom is switched off")
        );
        assert_eq!(
            s.why_unserved("+25571").as_deref(),
            Some("route \"+25571\" is no longer configured")
        );
        let no_default = LinkSet::new(
            s.links().to_vec(),
            &[("+25568".to_string(), vec!["airtel".to_string()])],
        );
        assert_eq!(no_default.route_for("+255761234567"), "");
        assert_eq!(
            no_default.why_unserved("").as_deref(),
            Some("no route reaches this number (no default route)")
        );
    }

    #[test]
    fn claim_size_follows_the_rate() {
        let (s, _) = set();
        let h = s.get("airtel").unwrap();
        assert_eq!(h.claim_size(200), 200);
        h.set_rate(100.0);
        assert_eq!(h.claim_size(200), 25);
        h.set_rate(0.5);
        assert_eq!(h.claim_size(200), 1);
        assert_eq!(h.rate(), 0.5);
        h.set_rate(-3.0);
        assert_eq!(h.rate(), 0.0);
    }

    #[test]
    fn no_rate_panics_the_limiter() {
        let (s, _) = set();
        let h = s.get("airtel").unwrap();
        // 1e-300 once panicked in Duration::from_secs_f64(1 / rate).
        for (given, kept) in [
            (1e-300, LINK_RATE.min),
            (f64::MIN_POSITIVE, LINK_RATE.min),
            (5e-324, LINK_RATE.min),
            (1e300, LINK_RATE.max),
            (f64::MAX, LINK_RATE.max),
            (f64::INFINITY, 0.0),
            (f64::NAN, 0.0),
            (-0.0, 0.0),
            (0.001, 0.001),
        ] {
            h.set_rate(given);
            assert_eq!(h.rate(), kept, "{given:e}");
            assert!(h.claim_size(200) >= 1);
        }
    }
}
