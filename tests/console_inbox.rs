//! The console's inbox, end to end in a real browser against `mhero serve`
//! on SQLite and on PostgreSQL: a health worker's message that no keyword
//! matches appears at the top of "Not understood" without a reload (the
//! live stream), one a keyword trigger answered only under "All replies";
//! a reply sent from the console reaches the simulated phone and is in the
//! audit log; an empty reply comes back beside its message with nothing
//! sent; a viewer reads the inbox but has no reply form and is refused a
//! forged one. The API behind it: `?unmatched=true`, `handled_by`, and the
//! Server-Sent Events of `GET /api/v1/messages/events`.

mod common;
mod console_support;

use common::*;
use console_support::*;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "kilosa district office 2026";
const VIEWER_FIRST: &str = "neema first password 1";
const VIEWER_PASSWORD: &str = "neema reads the inbox daily";
/// A keyword trigger, as a ministry configures one.
const TRIGGERS: &str = r#"
[[triggers]]
keywords = ["report"]
reply = "Send: REPORT <disease> <cases>"
"#;
const LOST: &str = "Dawa za malaria zimeisha kituoni";
const LOST_FROM: &str = "+255712000101";
const REPORT: &str = "REPORT malaria 3";
const REPORT_FROM: &str = "+255712000102";
const REPLY: &str = "Asante. Dawa zitafika kesho asubuhi.";

/// `GET /api/v1/messages/events?{query}`, open.
async fn events(base: &str, query: &str) -> reqwest::Response {
    let res = reqwest::Client::new()
        .get(format!("{base}/api/v1/messages/events?{query}"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("events");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    res
}

/// Read `GET /api/v1/messages/events?{query}` until an event's data names
/// `wanted`; the data lines seen up to it.
async fn events_until(base: &str, query: &str, wanted: &str) -> Vec<Value> {
    let mut res = events(base, query).await;
    let mut text = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !text.contains(wanted) {
        assert!(
            std::time::Instant::now() < deadline,
            "no event named {wanted}: {text}"
        );
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), res.chunk())
            .await
            .expect("an event in time")
            .expect("the stream")
            .expect("a chunk, not the end");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str(d.trim()).expect("JSON data"))
        .collect()
}

on_both!(an_unmatched_message_arrives_live_and_is_answered);
async fn an_unmatched_message_arrives_live_and_is_answered(kind: Db) {
    let mut gw = Gateway::start(kind, TRIGGERS);
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);
    let mut b = Browser::start(&format!("console_inbox_{kind:?}"), &base, "en-GB,en").await;
    b.first_login(&gw, ADMIN_PASSWORD).await;
    assert!(b.has("nav a[href='/inbox']").await, "the inbox is in the menu");
    b.visit("/inbox").await;
    assert!(b.page_text().await.contains("No messages yet."));
    b.check("inbox-empty").await;
    // Marks this document: still there after the messages arrive, so they
    // came without a reload.
    b.execute("window.__same_page = 'yes';").await;

    // A message no trigger matches, then one a trigger answers.
    let (s, lost) = api
        .post("/simulator/inbound", json!({"from": LOST_FROM, "text": LOST}))
        .await;
    assert_eq!(s, 201, "{lost}");
    assert_eq!(lost["handled_by"], "none", "{lost}");
    let lost_uuid = lost["uuid"].as_str().unwrap().to_string();
    let (s, report) = api
        .post("/simulator/inbound", json!({"from": REPORT_FROM, "text": REPORT}))
        .await;
    assert_eq!(s, 201, "{report}");
    assert_eq!(report["handled_by"], "trigger", "{report}");
    let report_uuid = report["uuid"].as_str().unwrap().to_string();

    b.wait_for(&format!("#list-unmatched #u-m-{lost_uuid}")).await;
    b.wait_for(&format!("#list-all #a-m-{lost_uuid}")).await;
    // The stream keeps its order: once the second is under "All replies",
    // anything it would have put under "Not understood" is there too.
    b.wait_for(&format!("#list-all #a-m-{report_uuid}")).await;
    assert_eq!(b.execute("return window.__same_page").await, "yes");
    assert_eq!(b.path().await, "/inbox");
    assert!(!b.has(&format!("#u-m-{report_uuid}")).await);
    assert!(b.text("#list-unmatched").await.contains(LOST));
    assert!(!b.text("#list-unmatched").await.contains(REPORT));
    assert!(b.text("#list-all").await.contains(REPORT));
    assert_eq!(
        b.attr("#list-all li:first-child", "id").await.as_deref(),
        Some(format!("a-m-{report_uuid}").as_str()),
        "the newest is at the top"
    );
    let contact = lost["contact"].as_str().unwrap();
    assert_eq!(
        b.attr(&format!("#u-m-{lost_uuid} a"), "href").await,
        Some(format!("/contacts/{contact}")),
        "the health worker links to their page"
    );
    b.check("inbox-live").await;

    // The same split through the API.
    let v = api.ok("/messages?direction=in&unmatched=true").await;
    let uuids: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, vec![lost_uuid.as_str()]);
    let (s, v) = api.get("/messages?unmatched=maybe").await;
    assert_eq!(s, 400, "{v}");

    // An empty reply: the page again, the error beside that message,
    // nothing sent.
    let outbound = |v: &Value| v["results"].as_array().map_or(0, Vec::len);
    let before = outbound(&api.ok("/messages?direction=out").await);
    b.click(&format!("#u-m-{lost_uuid} form.reply button")).await;
    assert_eq!(
        b.attr(&format!("#u-t-{lost_uuid}"), "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        b.attr(&format!("#u-t-{lost_uuid}"), "aria-describedby").await,
        Some(format!("u-e-{lost_uuid}"))
    );
    assert!(b
        .text(&format!("#u-e-{lost_uuid}"))
        .await
        .contains("must not be empty"));
    assert!(
        !b.has(&format!("#a-e-{lost_uuid}")).await,
        "said once, where it was typed"
    );
    b.check("inbox-reply-refused").await;
    assert_eq!(outbound(&api.ok("/messages?direction=out").await), before);

    // The reply, from the console, reaches the phone.
    b.fill(&format!("#u-t-{lost_uuid}"), REPLY).await;
    b.click(&format!("#u-m-{lost_uuid} form.reply button")).await;
    assert_eq!(b.path().await, "/inbox");
    assert!(b.text(".flash").await.contains("Your reply is being sent"));
    b.check("inbox-replied").await;
    api.wait_for(&format!("/simulator/phones/{LOST_FROM}/received"), 30, |v| {
        v["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|m| m["text"] == REPLY))
    })
    .await;
    let audit = api.ok("/audit?action=message.send").await;
    let entry = &audit["results"][0];
    assert_eq!(entry["actor"], "admin", "{audit}");
    assert_eq!(entry["target_type"], "message", "{audit}");
    assert_eq!(entry["after"]["text"], REPLY, "{audit}");
    assert_eq!(entry["after"]["contact"], contact, "{audit}");

    // The API's live stream: from the start, and only the unmatched.
    let all = events_until(&base, "direction=in&after=0", &report_uuid).await;
    assert_eq!(
        all.iter()
            .map(|m| m["uuid"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec![lost_uuid.as_str(), report_uuid.as_str()]
    );
    assert_eq!(all[1]["handled_by"], "trigger");
    let unmatched = events_until(&base, "unmatched=true&after=0", &lost_uuid).await;
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0]["text"], LOST);
    let (s, v) = api.get("/messages/events?direction=sideways").await;
    assert_eq!(s, 400, "{v}");

    let w = b.page_weight("/inbox").await;
    assert!(w.cold_document > 0);

    // A viewer reads the inbox, has no reply form, and a forged reply is
    // refused with nothing sent.
    let (s, v) = api
        .post(
            "/accounts",
            json!({"username": "neema", "display_name": "Neema Said", "role": "viewer", "password": VIEWER_FIRST}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let mut viewer = Http::logged_in(&base, "neema", VIEWER_FIRST, VIEWER_PASSWORD).await;
    let page = viewer.get("/inbox").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(LOST) && page.body.contains(REPORT));
    assert!(!page.body.contains("/reply\""), "no reply form for a viewer");
    assert!(!page.body.contains("<textarea"));
    let csrf = viewer.csrf().await;
    let before = outbound(&api.ok("/messages?direction=out").await);
    let forged = viewer
        .post(
            &format!("/inbox/{lost_uuid}/reply"),
            &[("text", "from a viewer"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(forged.status, 403);
    let (s, _) = api
        .with_token(VIEWER)
        .post("/messages", json!({"urn": LOST_FROM, "text": "from a viewer"}))
        .await;
    assert_eq!(s, 403);
    assert_eq!(outbound(&api.ok("/messages?direction=out").await), before);
    // A reply to something that is not an inbound message.
    let mut admin = Http::logged_in(&base, "admin", ADMIN_PASSWORD, ADMIN_PASSWORD).await;
    let csrf = admin.csrf().await;
    let missing = admin
        .post(
            "/inbox/no-such-message/reply",
            &[("text", "hello"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(missing.status, 404);

    // A browser left on the inbox and an API listener (their streams open)
    // do not hold back a stop: the streams end, the gateway drains and exits.
    b.visit("/inbox").await;
    let listener = events(&base, "direction=in").await;
    let pid = gw.banner.child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.expect("kill").success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = gw.banner.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the gateway did not stop with event streams open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    drop(listener);
}
