//! The console's sends, end to end in a real browser against `mhero serve`
//! on SQLite and on PostgreSQL: a broadcast to 300 simulated phones on a
//! link slowed to 20 messages a second, its page's funnel moving without
//! a reload (Server-Sent Events), pause (the simulator receives nothing
//! more once the messages already with the link are through), resume (it
//! receives again), cancel (every message accounted for, and the delivered
//! ones exactly those the simulator received); a second broadcast whose
//! refused numbers show their reason in words, and "send the failed ones
//! again" requeueing them; a viewer sees the figures without buttons and
//! is refused the actions. Every page checked by axe-core and
//! screenshotted, and within the page-weight budget.

mod common;
mod console_support;

use std::time::{Duration, Instant};

use common::*;
use console_support::*;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "kilosa district office 2026";
const VIEWER_PASSWORD: &str = "viewer of the sends 2026";
const VIEWER_NEW: &str = "viewer changed password 9";

/// The simulator refuses numbers ending in 0000 as an SMSC refuses an
/// invalid number (ESME_RINVDSTADR, 0x0B).
const LINKS: &str = r#"
[[links]]
name = "simulator"
kind = "simulator"
[links.simulator]
refuse_suffix = "0000"
"#;

/// How long the test waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(60);

/// Poll `probe` until it gives `Some`, or panic saying `what`.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until a send's page follows its figures live: its first event has
/// come and matched the state the page shows (a page whose state moved on
/// reloads itself at that event), so a click lands on the page in view.
async fn live(b: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let on = b
            .execute("const l = document.querySelector('[data-events] .live'); return !!l && !l.hidden;")
            .await;
        if on == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "the send's page never went live");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn received(api: &Api) -> i64 {
    api.ok("/simulator/stats").await["received"].as_i64().unwrap()
}

/// A number in the page's figures (grouping separators dropped).
async fn figure(b: &Browser, css: &str) -> i64 {
    let t: String = b.text(css).await.chars().filter(char::is_ascii_digit).collect();
    t.parse().unwrap_or_else(|_| panic!("{css} is no number: {t:?}"))
}

on_both!(a_send_moves_live_pauses_resumes_and_cancels);
async fn a_send_moves_live_pauses_resumes_and_cancels(kind: Db) {
    let gw = Gateway::start(kind, LINKS);
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);
    let (s, v) = api.patch("/links/simulator", json!({"rate": 20})).await;
    assert_eq!(s, 200, "{v}");

    let mut b = Browser::start(&format!("console_sends_{kind:?}"), &base, "en-GB,en").await;
    b.login("admin", &gw.password).await;
    b.fill("#f-current_password", &gw.password).await;
    b.fill("#f-password", ADMIN_PASSWORD).await;
    b.fill("#f-confirm", ADMIN_PASSWORD).await;
    b.click("form[action='/password'] button[type=submit]").await;
    assert_eq!(b.path().await, "/");

    // 300 health workers on a link that sends 20 a second: 15 seconds.
    let urns: Vec<String> = (1..=300).map(|k| format!("+255712{k:06}")).collect();
    let (s, v) = api
        .post(
            "/broadcasts",
            json!({"text": "Mafunzo ya chanjo yataanza Jumatatu", "urns": urns}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let uuid = v["uuid"].as_str().unwrap().to_string();
    let page = format!("/sends/{uuid}");
    // Its messages are queued (the scheduler has made them) before its page
    // opens, so the page opens on a send that is sending.
    eventually("the broadcast's messages to be queued", || async {
        let v = api.ok(&format!("/broadcasts/{uuid}")).await;
        (v["state"] == "sending").then_some(())
    })
    .await;

    b.visit("/sends").await;
    let list = b.page_text().await;
    assert!(list.contains("Mafunzo ya chanjo"), "{list}");
    assert!(b.has(&format!("a[href='{page}']")).await);
    b.check("sends").await;

    // The funnel moves while the page stays: the mark set on this document
    // survives, so no navigation happened.
    b.click(&format!("a[href='{page}']")).await;
    b.execute("window.__same_page = true;").await;
    let delivered = "td.num[data-of='delivered']";
    let first = figure(&b, delivered).await;
    let later = eventually("the delivered figure to grow on the page", || async {
        let n = figure(&b, delivered).await;
        (n > first && n > 0).then_some(n)
    })
    .await;
    assert!(later > first);
    assert_eq!(
        b.execute("return window.__same_page === true").await,
        Value::Bool(true),
        "the page was reloaded"
    );
    assert!(b.attr(".live", "hidden").await.is_none_or(|h| h != "true"));
    b.check("send-live").await;

    // Pause: once the messages already with the link are through, the
    // simulator receives nothing more.
    live(&b).await;
    b.click(&format!("form[action='{page}/pause'] button")).await;
    assert!(b.text(".flash").await.contains("The send is paused"));
    let paused = eventually(
        "the paused broadcast's messages with the link to settle",
        || async {
            let v = api.ok(&format!("/broadcasts/{uuid}")).await;
            (v["progress"]["wired"] == 0).then_some(v)
        },
    )
    .await;
    assert_eq!(paused["status"], "paused", "{paused}");
    assert_eq!(paused["state"], "paused", "{paused}");
    assert!(paused["progress"]["paused"].as_i64().unwrap() > 0, "{paused}");
    let at_pause = received(&api).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        received(&api).await,
        at_pause,
        "the simulator received while paused"
    );
    assert!(at_pause < 300, "all was sent before the pause: {at_pause}");
    assert!(b.has(&format!("form[action='{page}/resume']")).await);
    assert!(!b.has(&format!("form[action='{page}/pause']")).await);
    b.check("send-paused").await;
    // The API says the same, and refuses a second pause.
    let (s, _) = api.post(&format!("/broadcasts/{uuid}/pause"), json!({})).await;
    assert_eq!(s, 409);

    // Resume: it receives again.
    live(&b).await;
    b.click(&format!("form[action='{page}/resume'] button")).await;
    let flash = b.text(".flash").await;
    assert!(flash.contains("The send goes on"), "{flash:?}");
    eventually("the simulator to receive again after resuming", || async {
        (received(&api).await > at_pause).then_some(())
    })
    .await;

    // Cancel: every message accounted for, the delivered ones exactly
    // those the simulator received.
    live(&b).await;
    b.click(&format!("form[action='{page}/cancel'] button")).await;
    let flash = b.text(".flash").await;
    assert!(flash.contains("The send was cancelled"), "{flash:?}");
    let end = eventually("the cancelled broadcast's messages to settle", || async {
        let v = api.ok(&format!("/broadcasts/{uuid}")).await;
        let p = &v["progress"];
        (p["wired"] == 0 && p["sent"] == 0).then_some(v)
    })
    .await;
    let p = &end["progress"];
    let n = |k: &str| p[k].as_i64().unwrap();
    assert_eq!(end["status"], "cancelled", "{end}");
    assert_eq!(n("total"), 300, "{end}");
    assert_eq!(n("delivered") + n("cancelled") + n("failed"), 300, "{end}");
    assert!(n("cancelled") > 0, "nothing was left to cancel: {end}");
    assert_eq!(n("queued") + n("paused") + n("errored"), 0, "{end}");
    let stats = api.ok("/simulator/stats").await;
    assert_eq!(
        stats["received"].as_i64().unwrap(),
        n("delivered"),
        "{stats} {end}"
    );
    assert_eq!(stats["distinct_messages"], stats["received"], "{stats}");
    // The page shows the final figures (the state changed: it reloaded).
    b.visit(&page).await;
    assert_eq!(figure(&b, delivered).await, n("delivered"));
    assert_eq!(figure(&b, "td.num[data-of='cancelled']").await, n("cancelled"));
    assert!(!b.has(&format!("form[action='{page}/cancel']")).await);
    b.check("send-cancelled").await;
    // The funnel through the API, per link.
    let funnel = api.ok(&format!("/broadcasts/{uuid}/funnel")).await;
    let sim = funnel["per_link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["link"] == "simulator")
        .unwrap_or_else(|| panic!("no simulator in {funnel}"));
    assert_eq!(sim["progress"]["delivered"].as_i64().unwrap(), n("delivered"));

    // Failures in words: refused numbers, their reason on the page, and
    // sent again on request.
    let mut urns: Vec<String> = (1..=7).map(|k| format!("+255713{k:06}")).collect();
    urns.extend((1..=3).map(|k| format!("+2557140{k}0000")));
    let (s, v) = api
        .post("/broadcasts", json!({"text": "Kikao cha wakunga", "urns": urns}))
        .await;
    assert_eq!(s, 201, "{v}");
    let second = v["uuid"].as_str().unwrap().to_string();
    let second_page = format!("/sends/{second}");
    let done = eventually("the second broadcast to complete", || async {
        let v = api.ok(&format!("/broadcasts/{second}")).await;
        (v["status"] == "completed").then_some(v)
    })
    .await;
    assert_eq!(
        (
            done["progress"]["delivered"].as_i64(),
            done["progress"]["failed"].as_i64()
        ),
        (Some(7), Some(3)),
        "{done}"
    );
    let funnel = api.ok(&format!("/broadcasts/{second}/funnel")).await;
    assert_eq!(
        funnel["failures"][0]["reason"], "ESME_RINVDSTADR (0x0B)",
        "{funnel}"
    );
    assert_eq!(funnel["failures"][0]["count"], 3, "{funnel}");
    assert_eq!(
        funnel["failures"][0]["sentence"],
        "the carrier refused the number as invalid (0x0B)"
    );
    b.visit(&second_page).await;
    let failures = b.text("table.failures").await;
    assert!(
        failures.contains("the carrier refused the number as invalid (0x0B)"),
        "{failures}"
    );
    b.check("send-failures").await;
    b.click(&format!("form[action='{second_page}/retry_failed'] button"))
        .await;
    assert!(b.text(".flash").await.contains("will be sent again"));
    let again = eventually("the retried messages to fail again", || async {
        let v = api
            .ok(&format!("/messages?broadcast={second}&status=failed"))
            .await;
        let rows = v["results"].as_array().unwrap().clone();
        (rows.len() == 3 && rows.iter().all(|m| m["attempts"] == 2)).then_some(rows)
    })
    .await;
    assert!(again
        .iter()
        .all(|m| m["failure_reason"] == "ESME_RINVDSTADR (0x0B)"));
    b.visit(&second_page).await;
    b.check("send-retried").await;

    // The French page says it in French.
    let (s, _) = api.patch("/accounts/admin", json!({"language": "fra"})).await;
    assert_eq!(s, 200);
    b.visit(&second_page).await;
    let fr = b.text("table.failures").await;
    assert!(
        fr.contains("l'opérateur a refusé le numéro comme invalide (0x0B)"),
        "{fr}"
    );
    b.check("send-failures-fr").await;
    let (s, _) = api.patch("/accounts/admin", json!({"language": "eng"})).await;
    assert_eq!(s, 200);

    // A scheduled send: its text changed before it goes (an empty one
    // refused beside the field, nothing written), then cancelled.
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (s, v) = api
        .post(
            "/broadcasts",
            json!({"text": "Mkutano kesho", "urns": ["+255715000001"], "schedule": {"repeat": "once", "at": at}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let later = v["uuid"].as_str().unwrap().to_string();
    let later_page = format!("/sends/{later}");
    b.visit(&later_page).await;
    assert_eq!(
        b.attr("[data-state]", "data-state").await.as_deref(),
        Some("scheduled")
    );
    assert!(!b.has(&format!("form[action='{later_page}/pause']")).await);
    b.fill("#f-text", "   ").await;
    b.click(&format!("form[action='{later_page}/edit'] button")).await;
    assert_eq!(b.attr("#f-text", "aria-invalid").await.as_deref(), Some("true"));
    assert!(b.text("#e-text").await.contains("must not be empty"));
    b.check("send-edit-refused").await;
    let v = api.ok(&format!("/broadcasts/{later}")).await;
    assert_eq!(v["translations"]["eng"], "Mkutano kesho", "{v}");
    b.fill("#f-text", "Mkutano kesho saa tatu").await;
    b.click(&format!("form[action='{later_page}/edit'] button")).await;
    assert!(b.text(".flash").await.contains("The send was changed"));
    b.check("send-scheduled").await;
    let v = api.ok(&format!("/broadcasts/{later}")).await;
    assert_eq!(v["translations"]["eng"], "Mkutano kesho saa tatu", "{v}");
    b.click(&format!("form[action='{later_page}/cancel'] button"))
        .await;
    let v = api.ok(&format!("/broadcasts/{later}")).await;
    assert_eq!(
        (v["status"].as_str(), v["state"].as_str()),
        (Some("cancelled"), Some("cancelled"))
    );
    let (s, _) = api
        .patch(&format!("/broadcasts/{later}"), json!({"text": "too late"}))
        .await;
    assert_eq!(s, 409, "a cancelled send is not edited");

    b.page_weight("/sends").await;
    b.page_weight(&page).await;

    // The audit log lists each button the officer pressed: through the
    // API, and on its page in the console.
    for (target, action) in [
        (&uuid, "broadcast.pause"),
        (&uuid, "broadcast.resume"),
        (&uuid, "broadcast.cancel"),
        (&second, "broadcast.retry_failed"),
    ] {
        let v = api
            .ok(&format!("/audit?action={action}&target_id={target}"))
            .await;
        let rows = v["results"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{action}: {v}");
        assert_eq!(
            (&rows[0]["actor"], &rows[0]["result"]),
            (&json!("admin"), &json!("ok"))
        );
    }
    b.visit(&format!("/audit?target={uuid}")).await;
    let listed = b.text("table.audit").await;
    for action in ["broadcast.pause", "broadcast.resume", "broadcast.cancel"] {
        assert!(
            listed.contains(action),
            "{action} not on the audit page:\n{listed}"
        );
    }
    b.check("audit-send").await;

    // A viewer reads the figures, without buttons, and may not act.
    let mut viewer = Http::new_viewer(&api, &base, "neema", VIEWER_PASSWORD, VIEWER_NEW).await;
    let a = viewer.get(&second_page).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("the carrier refused the number as invalid"));
    assert!(!a.body.contains("/retry_failed"), "a viewer sees no buttons");
    let csrf = Http::csrf_of(&viewer.get("/account").await.body);
    for action in ["pause", "resume", "cancel", "retry_failed"] {
        let a = viewer
            .post(&format!("{second_page}/{action}"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(a.status, 403, "{action}: {}", a.body);
    }
    let (s, _) = Api::for_base(&base, VIEWER)
        .post(&format!("/broadcasts/{second}/retry_failed"), json!({}))
        .await;
    assert_eq!(s, 403);
}

on_both!(a_flow_start_pauses_and_resumes);
async fn a_flow_start_pauses_and_resumes(kind: Db) {
    let gw = Gateway::start(kind, "[flows]\nstart_batch = 5");
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/fixtures/rapidpro_export_14.json").unwrap())
            .unwrap();
    let (s, v) = api.post("/flows", export).await;
    assert_eq!(s, 201, "{v}");
    let urns: Vec<String> = (1..=200).map(|k| format!("+255716{k:06}")).collect();
    let (s, v) = api
        .post("/flow_starts", json!({"flow": "Stock-out Report", "urns": urns}))
        .await;
    assert_eq!(s, 201, "{v}");
    let start = v["uuid"].as_str().unwrap().to_string();

    // Paused through the console: no contact is started while it waits.
    let mut admin = Http::logged_in(&base, "admin", &gw.password, ADMIN_PASSWORD).await;
    let csrf = Http::csrf_of(&admin.get("/account").await.body);
    let a = admin
        .post(&format!("/sends/{start}/pause"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (303, Some(format!("/sends/{start}").as_str()))
    );
    let v = api.ok(&format!("/flow_starts/{start}")).await;
    assert_eq!(
        (v["status"].as_str(), v["state"].as_str()),
        (Some("paused"), Some("paused")),
        "{v}"
    );
    // A batch under way when the pause came finishes; then nothing moves.
    let settled = |v: &Value| v["progress"].clone();
    let mut last = settled(&api.ok(&format!("/flow_starts/{start}")).await);
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = settled(&api.ok(&format!("/flow_starts/{start}")).await);
        if now == last {
            break;
        }
        last = now;
    }
    let started = last["started"].as_i64().unwrap_or(0);
    assert!(started < 200, "all were started before the pause: {last}");
    println!("started before the pause took hold: {started} of 200");
    let page = admin.get(&format!("/sends/{start}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Flow started for many"), "{}", page.body);
    assert!(page.body.contains(&format!("action=\"/sends/{start}/resume\"")));
    // The API refuses a second pause, and resumes it.
    let (s, _) = api.post(&format!("/flow_starts/{start}/pause"), json!({})).await;
    assert_eq!(s, 409);
    let (s, v) = api.post(&format!("/flow_starts/{start}/resume"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let done = eventually("the resumed flow start to complete", || async {
        let v = api.ok(&format!("/flow_starts/{start}")).await;
        (v["status"] == "completed").then_some(v)
    })
    .await;
    let p = &done["progress"];
    assert_eq!(
        p["started"].as_i64().unwrap() + p["skipped"].as_i64().unwrap(),
        200,
        "{done}"
    );
    assert_eq!(done["contact_count"], 200, "{done}");
}
