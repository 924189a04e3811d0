//! Properties of the API over whole numeric ranges (issue #22), against a
//! gateway running in this process (the router over a SQLite file, every
//! task running): a link rate anywhere in the f64 range, subnormals,
//! negatives and huge values included (JSON has no NaN), and a campaign
//! offset anywhere in i64, in every unit, are either kept (200/201) or
//! refused with 422 naming the field, exactly as their ranges say, never a
//! 5xx; the campaign scheduler, syncing every accepted event meanwhile,
//! never fails; and the gateway then starts again on what was stored.

use std::time::Duration;

use mhero::core::rate::LINK_RATE;
use mhero::store::check_offset;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

#[path = "../fuzz/api_gateway.rs"]
mod api_gateway;

use api_gateway::{InProcess, FIELD, GROUP, LINK};

/// Rates from everywhere in f64 that JSON can carry, with extra weight
/// near the bounds and below the smallest rate a `Duration` can time.
fn rates() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
        0.0..0.002f64,
        999_999.0..1_000_001.0f64,
        1e-320..1e-15f64,
        -10.0..10.0f64,
    ]
}

fn offsets() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -60_000_000i64..60_000_000, -40_000i64..40_000]
}

/// Kept or refused as the range says, never anything else.
fn expect(
    status: u16,
    accepted: u16,
    in_range: bool,
    answer: &serde_json::Value,
    field: &str,
) -> Result<(), TestCaseError> {
    if in_range {
        prop_assert_eq!(status, accepted, "{}", answer);
    } else {
        prop_assert_eq!(status, 422, "{}", answer);
        prop_assert_eq!(answer["field"].as_str(), Some(field), "{}", answer);
    }
    Ok(())
}

#[test]
fn rates_and_offsets_across_their_types_are_kept_or_refused_and_the_gateway_starts_again() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut gw = rt.block_on(InProcess::start(dir.path()));
    // A member of the group with a date, so every accepted event is synced
    // into a fire time by the running scheduler.
    let contact =
        json!({"name": "A", "urns": ["tel:+255713000400"], "fields": {FIELD: "2026-03-01T12:30:00Z"}});
    let (s, v) = rt.block_on(gw.call("POST", "/contacts", contact.to_string().as_bytes()));
    assert_eq!(s, 201, "{v}");
    let members = json!({"contacts": [v["uuid"]]});
    let (s, v) = rt.block_on(gw.call(
        "POST",
        &format!("/groups/{GROUP}/members"),
        members.to_string().as_bytes(),
    ));
    assert_eq!(s, 200, "{v}");

    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let last_kept = std::cell::Cell::new(10.0);
    runner
        .run(&rates(), |rate| {
            let body = json!({ "rate": rate }).to_string();
            // What the server parses, which is what its range is checked on.
            let sent: f64 = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["rate"].as_f64())
                .unwrap_or(f64::NAN);
            let (status, answer) = rt.block_on(gw.call("PATCH", &format!("/links/{LINK}"), body.as_bytes()));
            let in_range = LINK_RATE.check(sent).is_ok();
            expect(status, 200, in_range, &answer, "rate")?;
            if in_range {
                prop_assert_eq!(answer["rate"].as_f64(), Some(sent));
                last_kept.set(sent);
            }
            Ok(())
        })
        .expect("every rate is kept or refused");

    let units = prop::sample::select(vec!["M", "H", "D", "W"]);
    runner
        .run(&(offsets(), units), |(offset, unit)| {
            let body = json!({"name": "Random", "group": GROUP, "events": [
                {"relative_to": FIELD, "offset": offset, "unit": unit, "delivery_hour": 9,
                 "message": {"eng": "hello"}}
            ]});
            let (status, answer) = rt.block_on(gw.call("POST", "/campaigns", body.to_string().as_bytes()));
            expect(
                status,
                201,
                check_offset(offset, unit).is_ok(),
                &answer,
                "events[0].offset",
            )
        })
        .expect("every offset is kept or refused");

    // Two sync passes over every accepted event (campaign_sync_secs = 1).
    std::thread::sleep(Duration::from_secs(3));
    let failed = gw.gateway().map(|g| g.health.degraded()).unwrap_or_default();
    assert!(failed.is_empty(), "tasks failed: {failed:?}");

    rt.block_on(gw.restart()).expect("the gateway starts again");
    let (s, link) = rt.block_on(gw.call("GET", &format!("/links/{LINK}"), b""));
    assert_eq!((s, link["rate"].as_f64()), (200, Some(last_kept.get())), "{link}");
    let (s, campaigns) = rt.block_on(gw.call("GET", "/campaigns", b""));
    assert_eq!(s, 200, "{campaigns}");
}

#[test]
fn healthz_names_a_failed_task_and_stays_200() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let gw = rt.block_on(InProcess::start(dir.path()));
    let (s, v) = rt.block_on(gw.request("GET", "/healthz", b""));
    assert_eq!((s, v["status"].as_str()), (200, Some("ok")), "{v}");
    // What a supervisor records when a task panics.
    let health = &gw.gateway().expect("running").health;
    health.failed("campaigns", "panicked: event 1: offset out of range");
    let (s, v) = rt.block_on(gw.request("GET", "/healthz", b""));
    assert_eq!((s, v["status"].as_str()), (200, Some("degraded")), "{v}");
    assert_eq!(
        v["tasks"],
        json!([{"task": "campaigns", "failures": 1, "down": false,
                "last_error": "panicked: event 1: offset out of range"}])
    );
}
