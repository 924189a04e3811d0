//! Pages timed under Chromium's network emulation, for the 3G benchmark
//! (`benches/console_3g.rs`): a district office's link, slow and far away.

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

use super::Browser;

/// chromedriver's own network emulation (`/chromium/network_conditions`),
/// which it applies to every navigation of the session, documents
/// included; DevTools' `Network.emulateNetworkConditions` sent beside it
/// was seen to leave the document itself unthrottled.
#[derive(Debug)]
struct NetworkConditions(Option<Value>);

impl WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/chromium/network_conditions",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        match &self.0 {
            Some(c) => (
                axum::http::Method::POST,
                Some(json!({"network_conditions": c}).to_string()),
            ),
            None => (axum::http::Method::DELETE, None),
        }
    }
}

/// A link to emulate: each request's answer delayed by `latency_ms` (the
/// round trip), both directions limited to `kbit_s`.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub latency_ms: u32,
    pub kbit_s: u32,
}

/// One page load as Navigation Timing and Paint Timing saw it, in ms from
/// the start of the navigation, and what it transferred.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub first_paint: f64,
    pub dom_ready: f64,
    pub load: f64,
    pub bytes: u64,
    pub requests: u64,
    /// From the WebDriver command to a loaded document, as the test saw it.
    pub wall: f64,
}

impl Browser {
    /// Every later request goes through `link`; `None` lifts the limits.
    pub async fn emulate(&self, link: Option<Link>) {
        let conditions = link.map(|l| {
            let bytes_s = f64::from(l.kbit_s) * 1000.0 / 8.0;
            json!({"offline": false, "latency": l.latency_ms,
                   "download_throughput": bytes_s, "upload_throughput": bytes_s})
        });
        if let Err(e) = self.c().issue_cmd(NetworkConditions(conditions)).await {
            // Deleting conditions never set is refused; anything else is not.
            assert!(link.is_none(), "network conditions: {e}");
        }
    }

    /// Load `path`, cold (the cache emptied first) or warm, and read its
    /// timings once the load event has fired.
    pub async fn timed_visit(&mut self, path: &str, cold: bool) -> Timing {
        if cold {
            self.cdp("Network.enable", json!({})).await;
            self.cdp("Network.clearBrowserCache", json!({})).await;
        }
        let started = std::time::Instant::now();
        self.visit(path).await;
        let wall = started.elapsed();
        let v = self
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const read = () => {
                   const n = performance.getEntriesByType('navigation')[0];
                   if (!n || n.loadEventEnd === 0) { setTimeout(read, 50); return; }
                   const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                   const res = performance.getEntriesByType('resource');
                   done({first_paint: fcp ? fcp.startTime : -1,
                         dom_ready: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                         bytes: n.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
                         requests: 1 + res.length});
                 };
                 read();",
            )
            .await;
        let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{path}: no {k} in {v}"));
        Timing {
            wall: wall.as_secs_f64() * 1000.0,
            first_paint: f("first_paint"),
            dom_ready: f("dom_ready"),
            load: f("load"),
            bytes: f("bytes") as u64,
            requests: f("requests") as u64,
        }
    }
}
