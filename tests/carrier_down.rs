//! No fake deliveries (issue #21): the SMPP carrier (node-smpp,
//! tests/peers/smsc) crashes in the middle of a broadcast (between two
//! PDUs: see `Smsc::crash`). Nothing is marked
//! sent or delivered that the SMSC did not take; nothing fails over to the
//! simulator link configured beside it (the default route leaves it out);
//! the messages left wait, saying they wait for the carrier; and when the
//! SMSC is back on the same port every message is delivered, each taken by
//! the SMSC exactly once.

mod common;
#[path = "smpp_support/mod.rs"]
mod smpp_support;

use std::collections::HashMap;

use common::*;
use serde_json::{json, Value};
use smpp_support::Smsc;

/// Messages in the broadcast.
const N: usize = 300;
/// Segments per second on the carrier: a modest rate, so the SMSC dies
/// with most of the broadcast still queued.
const RATE: u32 = 50;
/// Submits the SMSC takes before it is stopped.
const BEFORE_STOP: usize = 100;
/// The restarted SMSC numbers its messages from here, so no receipt of
/// it can name a message the first one took.
const SECOND_SMSC_IDS: &str = "1000000";

/// A simulator link beside the carrier, and no `[[routes]]`.
fn links(port: u16) -> String {
    format!(
        "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\n{}",
        smpp_support::carrier_link(port, &format!("rate = {RATE}"), smpp_support::FAST_RECONNECT)
    )
}

/// Submits the SMSC took, per destination (E.164 digits).
fn submits_by_dest(smscs: &[&Smsc]) -> HashMap<String, usize> {
    let mut by = HashMap::new();
    for s in smscs {
        for e in s.events("submit") {
            *by.entry(e["dest"].as_str().unwrap().to_string()).or_insert(0) += 1;
        }
    }
    by
}

/// Every message of the broadcast (as the API lists them).
async fn messages(api: &Api, broadcast: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let v = api
            .ok(&format!(
                "/messages?broadcast={broadcast}&limit=1000&after={after}"
            ))
            .await;
        out.extend(v["results"].as_array().unwrap().iter().cloned());
        match v["next"].as_i64() {
            Some(n) => after = n,
            None => return out,
        }
    }
}

fn dest(m: &Value) -> String {
    m["urn"].as_str().unwrap().trim_start_matches("tel:+").to_string()
}

async fn a_carrier_down_mid_broadcast_delivers_nothing_falsely(kind: Db) {
    let mut smsc = Smsc::start(&[]);
    let port = smsc.port;
    let env = Env::start(kind, "retry_backoff_secs = [1]", &links(port));
    let api = env.server.api(OPERATOR);
    api.wait_for("/links/carrier", 30, |l| l["healthy"] == true).await;
    let urns: Vec<String> = (0..N).map(|k| format!("+2557{k:08}")).collect();
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "Chanjo ya surua kesho", "urns": urns, "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let broadcast = b["uuid"].as_str().unwrap().to_string();

    smsc.wait_for("submit", BEFORE_STOP).await;
    smsc.crash();
    api.wait_for("/links/carrier", 30, |l| l["healthy"] == false)
        .await;
    // What was handed to the carrier when it died is settled: sent, or
    // errored to be tried again.
    api.wait_for(&format!("/broadcasts/{broadcast}"), 30, |v| {
        v["progress"]["wired"] == 0 && v["progress"]["sent"] == 0
    })
    .await;

    let taken = submits_by_dest(&[&smsc]);
    let msgs = messages(&api, &broadcast).await;
    assert_eq!(msgs.len(), N);
    let mut waiting = 0;
    for m in &msgs {
        match m["status"].as_str().unwrap() {
            "sent" | "delivered" => assert!(
                taken.contains_key(&dest(m)),
                "marked {} though the SMSC never took it: {m}",
                m["status"]
            ),
            "queued" | "errored" => {
                assert!(
                    !taken.contains_key(&dest(m)),
                    "the SMSC took it, yet it waits to be sent again: {m}"
                );
                assert_eq!(m["waiting_reason"], "waiting for a link: carrier is down", "{m}");
                waiting += 1;
            }
            other => panic!("a message is {other} while the carrier is down: {m}"),
        }
    }
    assert!(waiting > 0, "the carrier died after the broadcast was sent");
    let stats = api.ok("/simulator/stats").await;
    assert_eq!(
        stats["received"], 0,
        "a message failed over to the simulator: {stats}"
    );

    // The SMSC comes back on the same port; the link binds again by itself.
    let mut again = Smsc::start_on(port, &["--first-id", SECOND_SMSC_IDS]);
    api.wait_for(&format!("/broadcasts/{broadcast}"), 120, |v| {
        v["progress"]["delivered"] == N as i64
    })
    .await;
    let taken = submits_by_dest(&[&smsc, &again]);
    assert_eq!(taken.len(), N, "every number reached the SMSC");
    let twice: Vec<_> = taken.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "taken more than once: {twice:?}");
    for m in messages(&api, &broadcast).await {
        assert_eq!(m["link"], "carrier", "{m}");
        assert!(m["waiting_reason"].is_null(), "{m}");
    }
    let stats = api.ok("/simulator/stats").await;
    assert_eq!(stats["received"], 0, "{stats}");
    drop(env);
    again.stop();
}
on_both!(a_carrier_down_mid_broadcast_delivers_nothing_falsely);
