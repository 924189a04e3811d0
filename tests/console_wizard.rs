//! The send wizard, end to end in a real browser against `mhero serve` on
//! SQLite and on PostgreSQL: 2,000 simulated phones in a group, one of them
//! opted out; the wizard walked with a UCS-2 message (a refused step
//! first: no recipients, then an empty text, each shown again with the
//! error beside its field); the live counter naming the encoding and the
//! characters that force it; the review's figures (1,999 health workers, 1
//! opted out, the segments, the time at the simulator link's rate) equal to
//! `POST /api/v1/broadcasts/preview` and to what the broadcast then sends;
//! the simulator receiving 1,999 messages. A viewer has no Send in the
//! menu and is refused the wizard. Every page checked by axe-core and
//! screenshotted, the first step within the page-weight budget.

mod common;
mod console_support;

use common::*;
use console_support::*;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "morogoro district office 2026";
const VIEWER_FIRST: &str = "viewer first password 1";
const VIEWER_PASSWORD: &str = "viewer kilombero reads only";
/// Segments a second the simulator link sends.
const RATE: f64 = 500.0;
const PHONES: usize = 2000;
/// What a segment costs, in Tanzanian shillings.
const PRICE: f64 = 25.0;
/// Swahili with a Polish letter and an emoji: UCS-2, more than one segment.
const TEXT: &str =
    "Habari mhudumu wa afya! Chanjo ya polio itaanza Jumatatu kituoni Łukuledi saa 2 asubuhi. \
                    Tafadhali fika mapema na kadi yako 💉";

fn config() -> String {
    format!(
        "[sending]\nprice_per_segment = {PRICE:.1}\ncurrency = \"TZS\"\n\
         [[links]]\nname = \"sim\"\nkind = \"simulator\"\nrate = {RATE}\n"
    )
}

/// Segments a UCS-2 text costs: 70 UTF-16 units alone, 67 each when split.
fn ucs2_segments(text: &str) -> u64 {
    let units = text.encode_utf16().count() as u64;
    if units <= 70 {
        1
    } else {
        units.div_ceil(67)
    }
}

on_both!(the_wizard_sends_a_ucs2_message_to_2000_phones);
async fn the_wizard_sends_a_ucs2_message_to_2000_phones(kind: Db) {
    let gw = Gateway::start(kind, &config());
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);

    // 2,000 health workers in a group; the first opts out.
    let (s, group) = api.post("/groups", json!({"name": "Wahudumu Kilosa"})).await;
    assert_eq!(s, 201, "{group}");
    let group_uuid = group["uuid"].as_str().unwrap().to_string();
    let rows: Vec<Value> = (0..PHONES)
        .map(|i| {
            json!({
                "name": format!("Mhudumu {i}"),
                "urns": [format!("tel:+2557{:08}", 10_000 + i)],
                "groups": ["Wahudumu Kilosa"],
            })
        })
        .collect();
    let (s, report) = api.post("/contacts/import", json!({"contacts": rows})).await;
    assert!(s < 300, "{s} {report}");
    assert_eq!(report["created"], PHONES);
    let opted_out = report["contacts"][0]["uuid"].as_str().unwrap().to_string();
    let (s, c) = api
        .patch(&format!("/contacts/{opted_out}"), json!({"status": "stopped"}))
        .await;
    assert_eq!(s, 200, "{c}");

    // The counter and the review through the API first.
    let (s, counted) = api.post("/messages/segments", json!({"text": TEXT})).await;
    assert_eq!(s, 200, "{counted}");
    let segments = ucs2_segments(TEXT);
    assert!(segments > 1, "the message should need several segments");
    assert_eq!(counted["encoding"], "UCS-2");
    assert_eq!(counted["segments"], segments);
    assert_eq!(counted["ucs2_chars"], json!(["Ł", "💉"]));
    let body = json!({"text": TEXT, "groups": [group_uuid]});
    let (s, preview) = api.post("/broadcasts/preview", body.clone()).await;
    assert_eq!(s, 200, "{preview}");
    let reaching = PHONES as u64 - 1;
    assert_eq!(preview["recipients"], reaching, "{preview}");
    assert_eq!(preview["excluded"]["opted_out"], 1, "{preview}");
    assert_eq!(preview["excluded"]["no_phone"], 0, "{preview}");
    assert_eq!(preview["languages"][0]["encoding"], "UCS-2");
    assert_eq!(preview["languages"][0]["segments_per_msg"], segments);
    assert_eq!(preview["languages"][0]["segments_total"], segments * reaching);
    assert_eq!(preview["routes"][0]["link"], "sim");
    assert_eq!(preview["routes"][0]["rate_per_s"], RATE);
    let eta = ((segments * reaching) as f64 / RATE).ceil() as u64;
    let eta_got = preview["eta_seconds"].as_u64().unwrap();
    // The estimate counts from now: a second may pass between its parts.
    assert!(
        eta_got == eta || eta_got == eta + 1,
        "eta {eta_got}, expected {eta}"
    );
    assert_eq!(preview["cost"]["amount"], PRICE * (segments * reaching) as f64);
    assert_eq!(preview["cost"]["currency"], "TZS");
    // The preview wrote nothing.
    assert_eq!(api.ok("/broadcasts").await["results"], json!([]));
    // Numbers typed as well: one of the group's twice (two ways of writing
    // it), a new one twice; each named more than once counts as a duplicate.
    let typed = json!({
        "text": TEXT,
        "groups": [group_uuid],
        "urns": ["+255700010005", "0700010005", "+255711000001", "+255711000001"],
    });
    let (s, p) = api.post("/broadcasts/preview", typed).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["recipients"], reaching + 1, "the new number: {p}");
    assert_eq!(p["excluded"]["duplicate"], 3, "{p}");
    let (s, c) = api.get("/contacts?query=tel%20%3D%20%2B255711000001").await;
    assert_eq!(
        (s, &c["results"]),
        (200, &json!([])),
        "a preview makes no contact"
    );
    let (_, known) = api.get("/contacts?query=tel%20%3D%20%2B255700010005").await;
    assert_eq!(known["results"].as_array().map(Vec::len), Some(1), "{known}");
    let (s, refused) = api.post("/broadcasts/preview", json!({"text": TEXT})).await;
    assert_refused(&(s, refused), "recipients", "name at least one");

    // The console: the first admin changes the printed password.
    let mut b = Browser::start(&format!("console_wizard_{kind:?}"), &base, "en-GB,en").await;
    b.login("admin", &gw.password).await;
    b.fill("#f-current_password", &gw.password).await;
    b.fill("#f-password", ADMIN_PASSWORD).await;
    b.fill("#f-confirm", ADMIN_PASSWORD).await;
    b.click("form[action='/password'] button[type=submit]").await;
    assert_eq!(b.path().await, "/");
    assert!(b.has("nav a[href='/send']").await, "Send is in the menu");

    // Step 1: nothing chosen is refused beside the groups.
    b.visit("/send").await;
    b.check("recipients").await;
    b.click("form[action='/send/message'] button.primary").await;
    assert!(
        b.text("#e-recipients")
            .await
            .contains("Choose at least one group"),
        "{}",
        b.page_text().await
    );
    b.check("recipients-refused").await;
    b.toggle(&format!("input[name=group][value='{group_uuid}']"))
        .await;
    b.click("form[action='/send/message'] button.primary").await;

    // Step 2: an empty text is refused beside it; the counter follows typing.
    assert!(b.has("#f-text_eng").await, "{}", b.page_text().await);
    assert!(b
        .text("label[for=f-text_eng] + .hint")
        .await
        .contains("1,999 health workers"));
    b.check("message").await;
    b.click("form[action='/send/review'] button.primary").await;
    assert_eq!(
        b.attr("#f-text_eng", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert!(b.text("#e-text_eng").await.contains("Write the message"));
    b.check("message-refused").await;
    b.fill("#f-text_eng", TEXT).await;
    let mut counter = String::new();
    for _ in 0..100 {
        counter = b.text("#count-eng").await;
        if counter.contains("UCS-2") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(counter.contains("UCS-2"), "the live counter: {counter}");
    assert!(
        counter.contains(&format!("{segments} message parts of 67 characters each")),
        "{counter}"
    );
    assert!(counter.contains('Ł') && counter.contains('💉'), "{counter}");
    b.check("message-typed").await;
    b.click("form[action='/send/review'] button.primary").await;

    // Step 3: the review's figures, in words and in the tables.
    assert_eq!(
        b.text("#review-who").await,
        "1,999 health workers will receive it"
    );
    assert_eq!(b.text("#review-excluded").await, "1 has opted out");
    let cell = |n: usize| format!("#review-languages tbody tr:first-child td:nth-child({n})");
    let total = segments * reaching;
    assert_eq!(b.text(&cell(2)).await, "1,999");
    assert_eq!(b.text(&cell(3)).await, "UCS-2");
    assert_eq!(b.text(&cell(5)).await, segments.to_string());
    assert_eq!(
        b.text(&cell(6)).await,
        format!("{},{:03}", total / 1000, total % 1000)
    );
    assert_eq!(b.text(&cell(7)).await, "Ł 💉");
    let routes = b.text("#review-routes tbody").await;
    assert!(
        routes.contains("sim") && routes.contains("500 parts a second"),
        "{routes}"
    );
    let said = b.text("#review-eta").await;
    let words = |secs: u64| {
        if secs < 60 {
            format!("about {secs} seconds")
        } else {
            format!("about {} minutes", secs.div_ceil(60))
        }
    };
    assert!(
        said.contains(&words(eta)) || said.contains(&words(eta + 1)),
        "{said} (expected {eta} s)"
    );
    let cost = (PRICE as u64) * total;
    assert_eq!(
        b.text("#review-cost").await,
        format!("Estimated cost: {},{:03} TZS", cost / 1000, cost % 1000)
    );
    b.check("review").await;

    // Send now: the broadcast reaches exactly the review's recipients.
    b.click("#send-button").await;
    let path = b.path().await;
    let uuid = path
        .strip_prefix("/sends/")
        .unwrap_or_else(|| panic!("sent to {path}"))
        .to_string();
    let sent = api
        .wait_for(&format!("/broadcasts/{uuid}"), 60, |v| {
            v["recipient_count"].as_i64() > Some(0)
        })
        .await;
    assert_eq!(sent["recipient_count"], preview["recipients"], "{sent}");
    assert_eq!(sent["translations"]["eng"], TEXT);
    let stats = api
        .wait_for("/simulator/stats", 120, |v| {
            v["received"].as_u64() >= Some(reaching)
        })
        .await;
    assert_eq!(stats["received"], reaching, "{stats}");
    let done = api
        .wait_for(&format!("/broadcasts/{uuid}"), 60, |v| {
            v["progress"]["queued"] == 0 && v["progress"]["wired"] == 0
        })
        .await;
    assert_eq!(done["progress"]["total"], reaching, "{done}");
    assert!(
        api.sim_received("+255700010000").await.is_empty(),
        "the opted-out phone got nothing"
    );
    assert_eq!(api.sim_received("+255700010001").await, vec![TEXT.to_string()]);
    // The send is in the audit log, the steps before it are not.
    let audit = api.ok("/audit?action=broadcast.create").await;
    assert_eq!(audit["results"][0]["target_id"], uuid, "{audit}");

    // A flow start: its review counts who it would start.
    let export: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/flows/case_report.json")).unwrap(),
    )
    .unwrap();
    let (s, v) = api.post("/flows", export).await;
    assert_eq!(s, 201, "{v}");
    let start = json!({"flow": "Case Report", "groups": [group_uuid]});
    let (s, p) = api.post("/flow_starts/preview", start).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["recipients"], reaching, "{p}");
    assert_eq!(p["excluded"]["opted_out"], 1, "{p}");
    // Two health workers are in the flow already (it waits for their
    // answer): a start that skips those leaves them out.
    let (s, first) = api
        .post(
            "/flow_starts",
            json!({"flow": "Case Report", "urns": ["+255700010001", "+255700010002"]}),
        )
        .await;
    assert_eq!(s, 201, "{first}");
    api.wait_for(
        &format!("/flow_starts/{}", first["uuid"].as_str().unwrap()),
        60,
        |v| v["status"] == "completed",
    )
    .await;
    let skipping = json!({"flow": "Case Report", "groups": [group_uuid], "exclusions": {"in_a_flow": true}});
    let (s, p) = api.post("/flow_starts/preview", skipping).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["excluded"]["already_in_flow"], 2, "{p}");
    assert_eq!(p["recipients"], reaching - 2, "{p}");
    let unknown = json!({"flow": "No such flow", "groups": [group_uuid]});
    let (s, bad) = api.post("/flow_starts/preview", unknown).await;
    assert_refused(&(s, bad), "flow", "no flow");
    b.visit("/send").await;
    b.toggle("input[name=kind][value=flow]").await;
    b.select("#f-flow", "575b7daa-1caa-4618-95b5-88f222c88e5f").await;
    b.toggle("input[name=skip_in_flow]").await;
    b.toggle(&format!("input[name=group][value='{group_uuid}']"))
        .await;
    b.click("form[action='/send/message'] button.primary").await;
    assert_eq!(
        b.text("#review-who").await,
        "1,997 health workers will start the flow"
    );
    assert_eq!(
        b.text("#review-excluded").await,
        "1 has opted out\n2 are already in a flow"
    );
    b.check("review-flow").await;
    // The review started nobody: only the first start exists.
    let starts = api.ok("/flow_starts").await;
    assert_eq!(starts["results"].as_array().map(Vec::len), Some(1), "{starts}");

    // Every week, a spaced quiz: a time missing comes back beside its
    // field with nothing started; then Mondays at 07:30.
    b.toggle("input[name=when][value=weekly]").await;
    b.select("#f-weekday", "mon").await;
    b.click("#send-button").await;
    assert_eq!(b.attr("#f-weekly", "aria-invalid").await.as_deref(), Some("true"));
    assert!(b.text("#e-weekly").await.contains("Give a time"));
    b.check("review-weekly-refused").await;
    let starts = api.ok("/flow_starts").await;
    assert_eq!(starts["results"].as_array().map(Vec::len), Some(1), "{starts}");
    // Set as the time picker sets it: typed keys depend on the browser's
    // 12- or 24-hour clock.
    b.execute("document.querySelector('#f-weekly').value = '07:30';")
        .await;
    b.click("#send-button").await;
    let starts = api.ok("/flow_starts?order=desc").await;
    let weekly = &starts["results"][0];
    assert_eq!(
        weekly["schedule"],
        json!({"repeat": "weekly", "days": ["Mon"], "time": "07:30:00", "timezone": "Africa/Dar_es_Salaam"}),
        "{starts}"
    );
    assert_eq!(weekly["status"], "recurring", "{weekly}");
    let (s, v) = api
        .post(
            &format!("/flow_starts/{}/cancel", weekly["uuid"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // A viewer: no Send in the menu, the wizard refused.
    let mut viewer = Http::new_viewer(&api, &base, "reader", VIEWER_FIRST, VIEWER_PASSWORD).await;
    let home = viewer.get("/").await;
    assert_eq!(home.status, 200);
    assert!(!home.body.contains("href=\"/send\""), "no Send for a viewer");
    assert_eq!(viewer.get("/send").await.status, 403);
    let csrf = viewer.csrf().await;
    let forged = viewer
        .post(
            "/send",
            &[
                ("_csrf", &csrf),
                ("kind", "broadcast"),
                ("group", &group_uuid),
                ("text_eng", "hello"),
                ("when", "now"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        api.ok("/broadcasts").await["results"].as_array().unwrap().len(),
        1
    );

    b.page_weight("/send").await;
}
