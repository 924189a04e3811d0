//! Values that pass one check and then panic later (issue #22), through the
//! real binary on SQLite and PostgreSQL: a link rate too small for a timer
//! is refused before it is stored, and one stored anyway (by an older
//! version, by hand) no longer keeps the gateway down; campaign offsets past
//! a century are refused at the API and at import; and one campaign event
//! that cannot fire, stored behind the API's back, does not stop the
//! others.

mod common;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::*;
use serde_json::{json, Value};

const LINKS: &str = r#"
[flows]
campaign_sync_secs = 1
[[links]]
name = "airtel"
kind = "simulator"
rate = 20
"#;

async fn healthz(server: &Server) -> Value {
    let resp = reqwest::get(format!("{}/healthz", server.base))
        .await
        .expect("healthz");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("healthz JSON")
}

on_both!(a_rate_too_small_for_a_timer_is_refused_and_the_gateway_restarts);
async fn a_rate_too_small_for_a_timer_is_refused_and_the_gateway_restarts(kind: Db) {
    let mut env = Env::start(kind, "", LINKS);
    let api = env.server.api(ADMIN);
    // 1e-300 was saved, then panicked Duration::from_secs_f64(1 / rate), and
    // every later start exited with 101.
    for rate in [
        json!(1e-300),
        json!(5e-20),
        json!(0.0009),
        json!(-1),
        json!(1e7),
        json!(1.7e308),
    ] {
        let (s, v) = api.patch("/links/airtel", json!({ "rate": rate })).await;
        assert_eq!(s, 422, "{rate}: {v}");
        assert_eq!(v["field"], "rate", "{v}");
        assert!(
            v["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("must be 0 (no limit) or between 0.001 and 1000000")),
            "{v}"
        );
    }
    // A refused body changes nothing, not even its valid half.
    let (s, v) = api
        .patch("/links/airtel", json!({"rate": 1e-300, "enabled": false}))
        .await;
    assert_eq!(s, 422, "{v}");
    let link = api.ok("/links/airtel").await;
    assert_eq!(
        (link["rate"].clone(), link["enabled"].clone()),
        (json!(20.0), json!(true))
    );
    // The bounds themselves are accepted.
    for rate in [0.001, 1_000_000.0, 0.0] {
        let (s, v) = api.patch("/links/airtel", json!({ "rate": rate })).await;
        assert_eq!((s, v["rate"].as_f64()), (200, Some(rate)), "{v}");
    }
    env.server.restart();
    assert_eq!(healthz(&env.server).await["status"], "ok");
    assert_eq!(env.server.api(VIEWER).ok("/links/airtel").await["rate"], 0.0);
}

on_both!(a_stored_rate_out_of_range_is_ignored_at_start);
async fn a_stored_rate_out_of_range_is_ignored_at_start(kind: Db) {
    let mut env = Env::start(kind, "", LINKS);
    let (s, v) = env
        .server
        .api(ADMIN)
        .patch("/links/airtel", json!({"rate": 12.5}))
        .await;
    assert_eq!(s, 200, "{v}");
    // What the unbounded API stored before this fix.
    env.db
        .sql("UPDATE link_settings SET rate = 1e-300 WHERE link = 'airtel'")
        .await;
    env.server.restart();
    let api = env.server.api(VIEWER);
    // The configured rate is used, and the gateway works.
    assert_eq!(api.ok("/links/airtel").await["rate"], 20.0);
    assert_eq!(healthz(&env.server).await["status"], "ok");
    let (s, v) = env
        .server
        .api(OPERATOR)
        .post(
            "/messages",
            json!({"urn": "tel:+255713000301", "text": "still sending"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let uuid = v["uuid"].as_str().expect("uuid").to_string();
    api.wait_for(&format!("/messages/{uuid}"), 20, |m| m["status"] == "delivered")
        .await;
}

#[test]
fn check_config_refuses_rates_that_would_panic_serve() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[links]]\nname = \"a\"\nkind = \"simulator\"\nrate = 1e-300\n\
         [[trunks]]\nname = \"t\"\nbind = \"127.0.0.1:5070\"\npeer = \"127.0.0.1:5080\"\ncalls_per_second = 1e-300\n",
    )
    .unwrap();
    let out = check_config(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "links[0].rate: must be 0 (no limit) or between 0.001 and 1000000 per second, got 1e-300",
        "trunks[0].calls_per_second: must be between 0.001 and 1000 per second, got 1e-300",
    ] {
        assert!(err.contains(needle), "{needle} missing from:\n{err}");
    }
}

/// The date field and group campaigns count from.
async fn campaign_assets(api: &Api) {
    let (s, v) = api
        .post("/fields", json!({"key": "training_date", "type": "datetime"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post("/groups", json!({"name": "Trained"})).await;
    assert_eq!(s, 201, "{v}");
}

fn message_event(uuid: &str, offset: Value, unit: &str, text: &str) -> Value {
    json!({"uuid": uuid, "relative_to": "training_date", "offset": offset, "unit": unit,
           "message": {"eng": text}, "start_mode": "P"})
}

on_both!(campaign_offsets_past_a_century_are_refused);
async fn campaign_offsets_past_a_century_are_refused(kind: Db) {
    let env = Env::start(kind, "", LINKS);
    let api = env.server.api(ADMIN);
    campaign_assets(&api).await;
    // i64::MAX minutes was accepted (201), then panicked the scheduler on
    // every tick.
    for (offset, unit, limit) in [
        (json!(i64::MAX), "M", "±52596000 (minutes"),
        (json!(52_596_001), "M", "±52596000 (minutes"),
        (json!(-876_601), "H", "±876600 (hours"),
        (json!(36_526), "D", "±36525 (days"),
        (json!(i64::MAX / 7 + 1), "W", "±5217 (weeks"),
    ] {
        let body = json!({"name": "Far", "group": "Trained", "events": [
            message_event("4f0e1d2c-0000-4000-8000-000000000001", json!(1), "D", "fine"),
            message_event("4f0e1d2c-0000-4000-8000-000000000002", offset.clone(), unit, "too far"),
        ]});
        let (s, v) = api.post("/campaigns", body).await;
        assert_eq!(s, 422, "{offset} {unit}: {v}");
        assert_eq!(v["field"], "events[1].offset", "{v}");
        assert!(v["error"].as_str().is_some_and(|e| e.contains(limit)), "{v}");
    }
    // Nothing of a refused campaign was stored.
    assert_eq!(api.ok("/campaigns").await["results"], json!([]));
    // A century, exactly, either way, is fine.
    let body = json!({"name": "Century", "group": "Trained", "events": [
        message_event("4f0e1d2c-0000-4000-8000-000000000003", json!(-5_217), "W", "before"),
        message_event("4f0e1d2c-0000-4000-8000-000000000004", json!(52_596_000), "M", "after"),
    ]});
    let (s, v) = api.post("/campaigns", body).await;
    assert_eq!(s, 201, "{v}");

    // A RapidPro export carries offsets too: refused the same way.
    let export = json!({"version": "13", "site": "https://app.rapidpro.io", "flows": [],
        "groups": [{"uuid": "1b6c7b1e-0000-4000-8000-000000000002", "name": "Trained"}],
        "campaigns": [{"uuid": "5e1f0b9e-0000-4000-8000-000000000003", "name": "Imported",
            "group": {"uuid": "1b6c7b1e-0000-4000-8000-000000000002", "name": "Trained"},
            "events": [{"uuid": "0c3c2d1e-0000-4000-8000-000000000004", "offset": i64::MAX, "unit": "M",
                "event_type": "M", "delivery_hour": -1, "message": {"eng": "hi"}, "base_language": "eng",
                "relative_to": {"key": "training_date", "label": "Training Date"}, "start_mode": "I"}]}]});
    let (s, v) = api.post("/flows", export).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["field"], "campaigns.Imported", "{v}");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("events[0].offset: must be within ±52596000")),
        "{v}"
    );
    assert_eq!(
        api.ok("/campaigns").await["results"].as_array().map(Vec::len),
        Some(1)
    );
}

on_both!(one_bad_campaign_event_does_not_stop_the_others);
async fn one_bad_campaign_event_does_not_stop_the_others(kind: Db) {
    let env = Env::start(kind, "", LINKS);
    let api = env.server.api(ADMIN);
    campaign_assets(&api).await;
    // Trained 57 s ago: a one-minute event is due in about 3 s.
    let trained = (Utc::now() - chrono::Duration::seconds(57)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let number = "+255713000300";
    let (s, v) = api
        .post(
            "/contacts",
            json!({"name": "A", "urns": [format!("tel:{number}")], "fields": {"training_date": trained}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let contact = v["uuid"].as_str().expect("uuid").to_string();
    let bad = "4f0e1d2c-0000-4000-8000-0000000000b0";
    let body = json!({"name": "Follow-up", "group": "Trained", "events": [
        message_event(bad, json!(1), "M", "from the bad event"),
        message_event("4f0e1d2c-0000-4000-8000-0000000000b1", json!(1), "M", "first good event"),
        message_event("4f0e1d2c-0000-4000-8000-0000000000b2", json!(60), "H", "not due yet"),
        message_event("4f0e1d2c-0000-4000-8000-0000000000b3", json!(1), "M", "second good event"),
    ]});
    let (s, v) = api.post("/campaigns", body).await;
    assert_eq!(s, 201, "{v}");
    let campaign = v["uuid"].as_str().expect("uuid").to_string();
    // The offset the API refuses now, written behind its back (as an older
    // version stored it): the first event the scheduler reads.
    env.db
        .sql(&format!(
            "UPDATE campaign_events SET offset_value = 9223372036854775807 WHERE uuid = '{bad}'"
        ))
        .await;
    // Joining the group makes every event schedule a fire for the contact.
    let (s, v) = api
        .post("/groups/Trained/members", json!({"contacts": [contact]}))
        .await;
    assert_eq!(s, 200, "{v}");

    let received = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["text"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let path = format!("/simulator/phones/{number}/received");
    let got = api.wait_for(&path, 30, |v| received(v).len() >= 2).await;
    let mut texts = received(&got);
    texts.sort();
    assert_eq!(texts, ["first good event", "second good event"]);
    // The API refuses that offset now, also when replacing the campaign.
    let body = json!({"uuid": campaign, "name": "Follow-up", "group": "Trained", "events": [
        message_event(bad, json!(i64::MAX), "M", "from the bad event"),
    ]});
    let (s, v) = api.post("/campaigns", body).await;
    assert_eq!((s, v["field"].clone()), (422, json!("events[0].offset")), "{v}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !received(&api.ok(&path).await).contains(&"from the bad event".to_string()),
        "the bad event fired"
    );
    let c = api.ok(&format!("/campaigns/{campaign}")).await;
    let fired: Vec<(String, i64)> = c["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["uuid"].as_str().unwrap_or_default().to_string(),
                e["fired"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    // The bad event never fired; the two good ones each once.
    assert!(fired.contains(&(bad.to_string(), 0)), "{c}");
    assert_eq!(fired.iter().map(|(_, n)| n).sum::<i64>(), 2, "{c}");
    // No task failed: the bad event was that event's error, not a panic.
    assert_eq!(healthz(&env.server).await["status"], "ok");
}
