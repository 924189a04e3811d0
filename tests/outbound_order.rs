//! A reply of several messages reaches the phone in the order the flow sent
//! them (issue #21): 50 health workers take the shipped QUIZ at once, and
//! every phone must receive every message of it in flow order — over the
//! simulator with no rate limit and at 20 msg/s, and over an SMPP link with
//! two transmitter binds to an independent SMSC (node-smpp), on SQLite and
//! on PostgreSQL. A message whose first submit fails and is retried later
//! still goes before the next one. (Two nodes on one PostgreSQL:
//! `tests/multinode.rs`.)

mod common;
#[path = "smpp_support/mod.rs"]
mod smpp_support;

use std::time::{Duration, Instant};

use common::quiz::{self, number, PER_TURN, PHONES, TURNS, TURN_SECS};
use common::*;
use serde_json::{json, Value};
use smpp_support::Smsc;

/// The quiz over a simulator link at `rate` msg/s (0: no limit).
async fn quiz_on_the_simulator(kind: Db, rate: u32) {
    let extra = format!(
        "{}\n[[links]]\nname = \"simulator\"\nkind = \"simulator\"\nrate = {rate}\n",
        quiz::imported()
    );
    let env = Env::start(kind, "", &extra);
    quiz::over_the_simulator(&[env.server.api(OPERATOR)]).await;
    let stats = env.server.api(VIEWER).ok("/simulator/stats").await;
    let all = (PHONES * quiz::RECEIVED.len()) as i64;
    assert_eq!(stats["received"], all, "{stats}");
    assert_eq!(stats["distinct_messages"], all, "{stats}");
}

async fn quiz_on_the_simulator_with_no_limit(kind: Db) {
    quiz_on_the_simulator(kind, 0).await
}
on_both!(quiz_on_the_simulator_with_no_limit);

async fn quiz_on_the_simulator_at_20_per_second(kind: Db) {
    quiz_on_the_simulator(kind, 20).await
}
on_both!(quiz_on_the_simulator_at_20_per_second);

/// An SMPP link named `carrier` to the SMSC on `port`: two transmitter
/// binds the link spreads submits over, and a receiver for the phones'
/// texts.
fn carrier(port: u16) -> String {
    smpp_support::carrier_link(
        port,
        "",
        &format!(
            "binds = [{{ kind = \"transmitter\", count = 2 }}, {{ kind = \"receiver\" }}]\n{}",
            smpp_support::FAST_RECONNECT
        ),
    )
}

async fn smpp_gateway(kind: Db, smsc: &Smsc) -> Env {
    let extra = format!("{}{}", quiz::imported(), carrier(smsc.port));
    let env = Env::start(kind, "retry_backoff_secs = [1]", &extra);
    env.server
        .api(OPERATOR)
        .wait_for("/links/carrier", 30, |l| {
            l["healthy"] == true
                && l["details"]["binds"]
                    .as_array()
                    .is_some_and(|b| b.iter().all(|b| b["state"]["state"] == "bound"))
        })
        .await;
    env
}

/// The texts the SMSC took for `dest` (digits, no `+`), in the order it
/// took them, the segments of a long one joined (they are contiguous: the
/// next message is submitted only after every segment was answered).
fn smsc_texts(smsc: &Smsc, dest: &str) -> Vec<String> {
    let submits: Vec<Value> = smsc
        .events("submit")
        .into_iter()
        .filter(|s| s["dest"] == dest)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < submits.len() {
        let udh = submits[i]["udh"].as_str().unwrap_or_default();
        // The concatenation element ends `total seq`.
        let total = if udh.len() >= 4 {
            usize::from_str_radix(&udh[udh.len() - 4..udh.len() - 2], 16).unwrap()
        } else {
            1
        };
        let end = (i + total).min(submits.len());
        out.push(smpp_support::reassemble(&submits[i..end]));
        i = end;
    }
    out
}

/// What the SMSC submitted for every phone, in order, once each has all
/// `want` messages.
async fn wait_for_smsc(smsc: &Smsc, dests: &[String], want: usize) {
    let deadline = Instant::now() + Duration::from_secs(TURN_SECS);
    loop {
        let behind: Vec<&String> = dests
            .iter()
            .filter(|d| smsc_texts(smsc, d).len() < want)
            .collect();
        if behind.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} phones still wait for {want} messages, e.g. {}",
            behind.len(),
            behind[0]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn quiz_over_smpp_with_two_binds(kind: Db) {
    let mut smsc = Smsc::start(&[]);
    let env = smpp_gateway(kind, &smsc).await;
    let dests: Vec<String> = (0..PHONES)
        .map(|k| number(k).trim_start_matches('+').to_string())
        .collect();
    for (turn, said) in TURNS.iter().enumerate() {
        for d in &dests {
            smsc.command(json!({"cmd": "mo", "from": d, "to": "15555", "text": said}));
        }
        wait_for_smsc(&smsc, &dests, PER_TURN * (turn + 1)).await;
    }
    for d in &dests {
        quiz::assert_in_flow_order(d, &smsc_texts(&smsc, d));
    }
    // Both transmitters carried the traffic.
    let link = env.server.api(VIEWER).ok("/links/carrier").await;
    for b in 0..2 {
        let accepted = link["details"]["binds"][b]["counters"]["accepted"]
            .as_u64()
            .unwrap_or(0);
        assert!(accepted > 0, "bind {b} sent nothing: {link}");
    }
    drop(env);
    smsc.stop();
}
on_both!(quiz_over_smpp_with_two_binds);

/// The SMSC refuses the first submit (ESME_RSYSERR, temporary): the intro
/// is retried a second later, and question 1 waits for it.
async fn a_retried_message_still_goes_first(kind: Db) {
    let mut smsc = Smsc::start(&["--fail-submits", "1"]);
    let env = smpp_gateway(kind, &smsc).await;
    let phone = "255711099999";
    smsc.command(json!({"cmd": "mo", "from": phone, "to": "15555", "text": "quiz"}));
    wait_for_smsc(&smsc, &[phone.to_string()], PER_TURN).await;
    assert_eq!(smsc.events("submit_failed").len(), 1);
    assert_eq!(smsc_texts(&smsc, phone), quiz::RECEIVED[..PER_TURN]);
    let out = env
        .server
        .api(VIEWER)
        .wait_for("/messages?direction=out", 30, |v| {
            v["results"]
                .as_array()
                .is_some_and(|a| a.len() == 2 && a.iter().all(|m| m["status"] == "delivered"))
        })
        .await;
    assert_eq!(out["results"][0]["attempts"], 2, "{out}");
    assert_eq!(out["results"][1]["attempts"], 1, "{out}");
    drop(env);
    smsc.stop();
}
on_both!(a_retried_message_still_goes_first);
