//! The console on a district office's 3G link (run with `cargo bench --bench
//! console_3g`): the release `mhero serve` on SQLite with the simulator
//! link, a few hundred health workers and a broadcast, and Debian's headless
//! Chromium over WebDriver, its network emulated by the DevTools protocol at
//! 400 kbit/s each way with 400 ms added to every round trip. Each console
//! page is loaded cold (browser cache emptied) and warm (visited again), with
//! the same loads on the bare loopback as the baseline of the same run; we
//! report medians of first contentful paint, Navigation Timing's DOM ready
//! and load event, the wall time from the WebDriver command to a loaded
//! document, and the bytes and requests. (Navigation Timing's first byte
//! is not reported: Chromium delays a throttled answer after the point it
//! is stamped.) Issue #14's bar is
//! a page usable within 5 s on that link. Method and results:
//! docs/PERFORMANCE.md.
//!
//! `MHERO_3G_RUNS=7` sets the loads per case (default 5), `MHERO_3G_PAGES=/,/audit`
//! the pages (default: every page of [`PAGES`]).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/console_support/mod.rs"]
mod console_support;

use common::{Api, Db, ADMIN};
use console_support::network::{Link, Timing};
use console_support::{Browser, Gateway};
use serde_json::json;

/// The console's pages, as an officer opens them after logging in;
/// `{broadcast}` and `{contact}` stand for ones the bench made.
const PAGES: &[&str] = &[
    "/",
    "/send",
    "/sends",
    "/sends/{broadcast}",
    "/inbox",
    "/contacts",
    "/contacts/{contact}",
    "/contacts/import",
    "/groups",
    "/account",
    "/accounts",
    "/audit",
];
const THREE_G: Link = Link {
    latency_ms: 400,
    kbit_s: 400,
};
const PASSWORD: &str = "kilosa district office 2026";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Case {
    page: String,
    link: &'static str,
    cold: bool,
    runs: Vec<Timing>,
}

impl Case {
    fn row(&self) -> String {
        let m = |f: fn(&Timing) -> f64| median(self.runs.iter().map(f).collect());
        // Chromium records no first contentful paint for some repeated
        // loads of an identical page; the median is of those it did.
        let painted: Vec<f64> = self
            .runs
            .iter()
            .map(|t| t.first_paint)
            .filter(|p| *p >= 0.0)
            .collect();
        let paint = if painted.is_empty() {
            "n/a".to_string()
        } else {
            format!("{:.0}", median(painted))
        };
        format!(
            "| `{}` | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} |",
            self.page,
            self.link,
            if self.cold { "cold" } else { "warm" },
            paint,
            m(|t| t.dom_ready),
            m(|t| t.load),
            m(|t| t.wall),
            m(|t| t.bytes as f64) / 1024.0,
            m(|t| t.requests as f64),
        )
    }

    fn load(&self) -> f64 {
        median(self.runs.iter().map(|t| t.load).collect())
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let runs: usize = std::env::var("MHERO_3G_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let pages: Vec<String> = std::env::var("MHERO_3G_PAGES")
        .map(|v| v.split(',').map(|p| p.trim().to_string()).collect())
        .unwrap_or_else(|_| PAGES.iter().map(|p| p.to_string()).collect());

    let gw = Gateway::start(Db::Sqlite, "");
    let api = Api::for_base(gw.base(), ADMIN);
    // Pages with something in them: health workers and a broadcast.
    let (s, r) = api
        .post("/fields", json!({"key": "district", "type": "text"}))
        .await;
    assert_eq!(s, 201, "{r}");
    let contacts: Vec<_> = (0..300)
        .map(|i| {
            json!({"name": format!("Health worker {i}"), "urns": [format!("tel:+2557123{i:05}")],
                        "fields": {"district": if i % 2 == 0 { "Kilosa" } else { "Mvomero" }}})
        })
        .collect();
    let (s, r) = api.post("/contacts/import", json!({"contacts": contacts})).await;
    assert_eq!(s, 201, "{r}");
    let contact = r["uuids"][0].as_str().expect("a contact").to_string();
    let (s, r) = api
        .post(
            "/broadcasts",
            json!({"text": "Mafunzo ya chanjo yataanza Jumatatu", "urns": ["+255712300001", "+255712300002"]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let broadcast = r["uuid"].as_str().expect("a broadcast").to_string();
    // Replies for the inbox, one that no keyword matches.
    for (from, text) in [
        ("+255712300001", "Asante, nimepokea"),
        ("+255712300002", "Dawa zimeisha"),
    ] {
        let (s, r) = api
            .post("/simulator/inbound", json!({"from": from, "text": text}))
            .await;
        assert!(s < 300, "{r}");
    }

    let pages: Vec<String> = pages
        .iter()
        .map(|p| {
            p.replace("{broadcast}", &broadcast)
                .replace("{contact}", &contact)
        })
        .collect();

    let mut b = Browser::start("console_3g", gw.base(), "en-GB,en").await;
    b.login("admin", &gw.password).await;
    b.fill("#f-current_password", &gw.password).await;
    b.fill("#f-password", PASSWORD).await;
    b.fill("#f-confirm", PASSWORD).await;
    b.click("form[action='/password'] button[type=submit]").await;
    assert_eq!(b.path().await, "/", "the password change led home");

    let mut cases = Vec::new();
    for page in &pages {
        for (name, link) in [("loopback", None), ("3G", Some(THREE_G))] {
            b.emulate(link).await;
            for cold in [true, false] {
                let mut case = Case {
                    page: page.clone(),
                    link: name,
                    cold,
                    runs: Vec::new(),
                };
                for _ in 0..runs {
                    if !cold {
                        // The page once, so the next load finds its files cached.
                        b.visit(page).await;
                    }
                    case.runs.push(b.timed_visit(page, cold).await);
                }
                eprintln!("{}", case.row());
                cases.push(case);
            }
        }
    }
    b.emulate(None).await;

    println!("\nmedians of {runs} loads per case, ms from the start of the navigation\n");
    println!("| page | link | cache | first paint | DOM ready | load | wall | KiB | requests |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for c in &cases {
        println!("{}", c.row());
    }
    println!();
    for pair in cases.chunks(4) {
        // loopback cold, loopback warm, 3G cold, 3G warm
        println!(
            "{}: 3G cold load {:.0} ms ({:.1}x loopback), warm {:.0} ms; within 5 s: {}",
            pair[0].page,
            pair[2].load(),
            pair[2].load() / pair[0].load().max(1.0),
            pair[3].load(),
            if pair[2].load() <= 5000.0 { "yes" } else { "NO" }
        );
    }
}
