//! The running gateway (`mhero serve`) with an SMPP link to an independent
//! SMSC (node-smpp, tests/peers/smsc): a health worker's keyword text comes
//! in as deliver_sm, is stored, answered by its trigger, and the answer goes
//! out as submit_sm and ends `delivered` from the carrier's receipt; a long
//! reply goes out in segments and is settled from their receipts, one per
//! segment, matched through the stored segment ids. A long MO is persisted
//! part by part before each part is answered: a crash between its parts
//! loses nothing, a resent part makes no second message, and a message
//! whose parts stop coming is delivered, marked, after its timeout. A
//! broadcast whose receipts never come completes once its link's receipt
//! wait has passed, or at once on a link that asks for no receipts.

mod common;
#[path = "smpp_support/mod.rs"]
mod smpp_support;

use common::*;
use serde_json::json;
use smpp_support::Smsc;

/// The `[[links]]` table of an SMPP link named `carrier` to the SMSC on `port`.
fn carrier(port: u16, rate: Option<u32>) -> String {
    carrier_with(port, rate, "")
}

/// The same, with more keys in its `timeouts` table (`timeouts` starts
/// with a comma).
fn carrier_with(port: u16, rate: Option<u32>, timeouts: &str) -> String {
    let rate = rate.map(|r| format!("rate = {r}")).unwrap_or_default();
    smpp_support::carrier_link(
        port,
        &rate,
        &format!("timeouts = {{ reconnect_min_ms = 100, reconnect_max_ms = 500{timeouts} }}"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keyword_text_round_trips_through_an_smsc() {
    let mut smsc = Smsc::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let extra = format!(
        r#"{}
[[triggers]]
keywords = ["report"]
reply = "Thank you. Reply with the number of cases."
"#,
        carrier(smsc.port, Some(50))
    );
    let server = Server::start(dir.path(), "mhero", &config(&db.url, "node-a", &extra));
    let api = server.api(OPERATOR);
    let link = api.wait_for("/links/carrier", 30, |l| l["healthy"] == true).await;
    assert_eq!(link["kind"], "smpp");

    smsc.command(json!({"cmd": "mo", "from": "255712345678", "to": "15555", "text": "Report malaria"}));
    let inbound = api
        .wait_for("/messages?direction=in", 30, |v| {
            v["results"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    let m = &inbound["results"][0];
    assert_eq!(m["urn"], "tel:+255712345678");
    assert_eq!(m["text"], "Report malaria");
    assert_eq!(m["link"], "carrier");

    let submits = smsc.wait_for("submit", 1).await;
    assert_eq!(
        submits[0]["text"], "Thank you. Reply with the number of cases.",
        "{:?}",
        submits[0]
    );
    let out = api
        .wait_for("/messages?direction=out", 30, |v| {
            v["results"][0]["status"] == "delivered"
        })
        .await;
    let reply = &out["results"][0];
    assert_eq!(reply["link"], "carrier");
    assert_eq!(reply["priority"], "reply");
    assert!(
        reply["external_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{reply}"
    );
    drop(server);
    smsc.stop();
}

/// The case report conversation end to end over SMPP: each answer comes in
/// as deliver_sm and resumes the waiting flow, each question goes out as
/// submit_sm and ends `delivered` from its receipt, and the run's results
/// are stored. The flow is imported from the config file at start.
#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_runs_over_an_smsc() {
    let mut smsc = Smsc::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let export = common::flows::export(
        &[common::flows::case_report(None)],
        &[("case", "Case Report Test")],
        json!([]),
        json!([]),
        json!([]),
    );
    let export_path = dir.path().join("case_report.json");
    std::fs::write(&export_path, export.to_string()).unwrap();
    let extra = format!(
        r#"
[flows]
imports = ["{}"]

{}"#,
        export_path.display(),
        carrier(smsc.port, Some(50))
    );
    let server = Server::start(dir.path(), "mhero", &config(&db.url, "node-a", &extra));
    let api = server.api(OPERATOR);
    api.wait_for("/links/carrier", 30, |l| l["healthy"] == true).await;

    let turns = [
        ("CASE", "Which disease? MALARIA, CHOLERA or MEASLES"),
        ("cholera", "How many cases of Cholera?"),
        ("12", "Thank you. 12 case(s) of Cholera reported."),
    ];
    for (i, (said, answer)) in turns.iter().enumerate() {
        smsc.command(json!({"cmd": "mo", "from": "255712345679", "to": "15555", "text": said}));
        let submits = smsc.wait_for("submit", i + 1).await;
        assert_eq!(submits[i]["text"], *answer, "{:?}", submits[i]);
        assert_eq!(submits[i]["dest"], "255712345679", "{:?}", submits[i]);
    }
    let out = api
        .wait_for("/messages?direction=out", 30, |v| {
            v["results"]
                .as_array()
                .is_some_and(|a| a.len() == 3 && a.iter().all(|m| m["status"] == "delivered"))
        })
        .await;
    assert!(out["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["link"] == "carrier"));
    let flow = common::flows::uid("Case Report Test", "flow");
    let runs = api.ok(&format!("/flows/{flow}/runs")).await;
    let run = &runs["results"][0];
    assert_eq!(run["status"], "completed");
    assert_eq!(run["results"]["disease"]["category"], "Cholera");
    assert_eq!(run["results"]["case_count"]["value"], "12");
    drop(server);
    smsc.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_reply_is_delivered_when_every_segment_receipt_is_in() {
    // Receipts before the submit_sm_resp: the gateway must still match each
    // segment's receipt to the message once the send is recorded.
    let mut smsc = Smsc::start(&["--receipt-first"]);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let reply =
        "Asante. Tafadhali leta kadi ya chanjo na cheti cha kuzaliwa kliniki kesho saa mbili asubuhi. "
            .repeat(4);
    let extra = format!(
        r#"{}
[[triggers]]
keywords = ["chanjo"]
reply = "{reply}"
"#,
        carrier(smsc.port, None)
    );
    let server = Server::start(dir.path(), "mhero", &config(&db.url, "node-a", &extra));
    let api = server.api(OPERATOR);
    api.wait_for("/links/carrier", 30, |l| l["healthy"] == true).await;
    smsc.command(json!({"cmd": "mo", "from": "255712345679", "to": "15555", "text": "chanjo"}));
    let submits = smsc.wait_for("submit", 3).await;
    assert_eq!(submits.len(), 3, "{submits:?}");
    let out = api
        .wait_for("/messages?direction=out", 30, |v| {
            v["results"][0]["status"] == "delivered"
        })
        .await;
    let m = &out["results"][0];
    let ids: Vec<&str> = m["external_id"].as_str().unwrap().split(',').collect();
    assert_eq!(ids.len(), 3, "{m}");
    for s in &submits {
        assert!(
            ids.contains(&s["message_id"].as_str().unwrap()),
            "{s} not in {ids:?}"
        );
    }
    let link = api.ok("/links/carrier").await;
    assert_eq!(link["details"]["receipts"], 3, "{link}");
    let bind = &link["details"]["binds"][0];
    assert_eq!(bind["state"]["state"], "bound", "{link}");
    assert_eq!(bind["window"], 10, "{link}");
    let metrics = metrics(&server.base).await;
    for line in [
        "mhero_smpp_bind_up{link=\"carrier\",bind=\"0\"} 1",
        "mhero_smpp_bind_pdus_total{link=\"carrier\",bind=\"0\",what=\"accepted\"} 3",
        "mhero_smpp_bind_in_flight{link=\"carrier\",bind=\"0\"}",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
    drop(server);
    smsc.stop();
}

/// A GSM text the SMSC sends as `parts` concatenated parts (153 characters
/// each), and each part's text.
fn long_text(parts: usize) -> (String, Vec<String>) {
    let base = "Ripoti ya wiki kutoka zahanati ya Mbezi: wagonjwa wa malaria 14, kuhara 3, surua 0. ";
    let text: String = base.chars().cycle().take(153 * (parts - 1) + 40).collect();
    let chars: Vec<char> = text.chars().collect();
    let each = chars.chunks(153).map(|c| c.iter().collect()).collect();
    (text, each)
}

/// A gateway with an SMPP link to `smsc` (more `timeouts` keys as in
/// [`carrier_with`]), bound.
async fn gateway(kind: Db, smsc: &Smsc, timeouts: &str) -> Env {
    let env = Env::start(kind, "", &carrier_with(smsc.port, None, timeouts));
    env.server
        .api(OPERATOR)
        .wait_for("/links/carrier", 30, |l| l["healthy"] == true)
        .await;
    env
}

async fn metrics(base: &str) -> String {
    metrics_text(base).await
}

/// The SMSC sends the parts of `text` numbered in `order` under UDH
/// reference `reference`; returns once it has seen `answers` MO answers in
/// all, each ESME_ROK.
async fn send_parts(smsc: &mut Smsc, from: &str, text: &str, order: &[u8], reference: u8, answers: usize) {
    smsc.command(json!({"cmd": "mo", "from": from, "text": text, "order": order, "ref": reference}));
    let resps = smsc.wait_for("mo_resp", answers).await;
    assert!(resps.iter().all(|r| r["status"] == 0), "{resps:?}");
}

async fn inbound(api: &Api) -> Vec<serde_json::Value> {
    let (s, v) = api.get("/messages?direction=in").await;
    assert_eq!(s, 200, "{v}");
    v["results"].as_array().unwrap().clone()
}

async fn wait_for_inbound(api: &Api) -> serde_json::Value {
    let v = api
        .wait_for("/messages?direction=in", 30, |v| {
            v["results"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    v["results"][0].clone()
}

/// Part 1 of 2 is answered (so the SMSC will never send it again), then the
/// gateway is killed (SIGKILL) before part 2; after a restart, part 2 alone
/// completes the message, because part 1 was in the database before its
/// deliver_sm_resp left.
async fn a_long_mo_survives_a_crash_between_its_parts(kind: Db) {
    let mut smsc = Smsc::start(&[]);
    let mut env = gateway(kind, &smsc, "").await;
    let (text, _) = long_text(2);
    send_parts(&mut smsc, "255712300001", &text, &[1], 42, 1).await;
    env.server.kill9();

    env.server.restart();
    let api = env.server.api(OPERATOR);
    api.wait_for("/links/carrier", 30, |l| l["healthy"] == true).await;
    assert!(inbound(&api).await.is_empty(), "half a message was delivered");
    send_parts(&mut smsc, "255712300001", &text, &[2], 42, 2).await;
    let m = wait_for_inbound(&api).await;
    assert_eq!(m["text"], text.as_str(), "{m}");
    assert_eq!(m["urn"], "tel:+255712300001");
    assert_eq!(m["failure_reason"], serde_json::Value::Null, "{m}");
    assert_eq!(inbound(&api).await.len(), 1);
    drop(env);
    smsc.stop();
}
on_both!(a_long_mo_survives_a_crash_between_its_parts);

/// The SMSC resends parts (as it does when our answer was lost): part 1
/// twice before the message is complete, part 2 and part 1 again after.
/// Every copy is answered ESME_ROK and there is one message, also after
/// the reassembly timeout has passed (no resent part lingers as a
/// fragment of its own).
async fn resent_parts_make_one_message(kind: Db) {
    let mut smsc = Smsc::start(&[]);
    let env = gateway(kind, &smsc, ", mo_reassembly_ms = 1000").await;
    let api = env.server.api(OPERATOR);
    let (text, _) = long_text(2);
    send_parts(&mut smsc, "255712300002", &text, &[1, 1, 2, 2, 1], 9, 5).await;
    let m = wait_for_inbound(&api).await;
    assert_eq!(m["text"], text.as_str(), "{m}");
    // Past the 1 s timeout and the next pass over waiting parts (every
    // second): a resent part kept as a new message would be out by now.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let all = inbound(&api).await;
    assert_eq!(all.len(), 1, "{all:?}");
    // The two copies that came after the message was stored were known as
    // resent (the early copy of part 1 met its waiting row).
    let metrics = metrics(&env.server.base).await;
    for line in [
        "mhero_inbound_parts_total{link=\"carrier\",outcome=\"duplicate\"} 2",
        "mhero_inbound_parts_total{link=\"carrier\",outcome=\"completed\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
    drop(env);
    smsc.stop();
}
on_both!(resent_parts_make_one_message);

/// Parts 1 and 3 of 3 arrive, part 2 never does: after the link's
/// reassembly timeout what arrived is delivered as one message, marked
/// with the missing part.
async fn an_incomplete_long_mo_is_delivered_marked_after_its_timeout(kind: Db) {
    let mut smsc = Smsc::start(&[]);
    let env = gateway(kind, &smsc, ", mo_reassembly_ms = 1000").await;
    let api = env.server.api(OPERATOR);
    let (text, parts) = long_text(3);
    send_parts(&mut smsc, "255712300003", &text, &[3, 1], 5, 2).await;
    let m = wait_for_inbound(&api).await;
    assert_eq!(m["text"], format!("{}{}", parts[0], parts[2]), "{m}");
    assert_eq!(
        m["failure_reason"], "incomplete: part 2 of 3 never arrived",
        "{m}"
    );
    assert_eq!(m["urn"], "tel:+255712300003");
    assert_eq!(inbound(&api).await.len(), 1);
    drop(env);
    smsc.stop();
}
on_both!(an_incomplete_long_mo_is_delivered_marked_after_its_timeout);

/// Two links to an SMSC that sends no receipts: `quiet` asks for them and
/// waits 2 s, `blind` does not ask (`registered_delivery = false`) and keeps
/// the default wait of two days. Both broadcasts complete, their messages
/// counted as sent without a receipt.
async fn a_broadcast_without_receipts_completes(kind: Db) {
    let mut smsc = Smsc::start(&["--receipts", "none"]);
    let link = |name: &str, extra: &str| {
        format!(
            r#"
[[links]]
name = "{name}"
kind = "smpp"
{extra}
[links.smpp]
host = "127.0.0.1"
port = {port}
system_id = "mhero"
password = "secret"
source_addr = "15555"
{smpp}
timeouts = {{ reconnect_min_ms = 100, reconnect_max_ms = 500 }}
"#,
            port = smsc.port,
            smpp = if name == "blind" {
                "registered_delivery = false"
            } else {
                ""
            },
        )
    };
    let extra = format!(
        "{}{}\n[[routes]]\nprefix = \"+25571\"\nlinks = [\"quiet\"]\n[[routes]]\nprefix = \"+25578\"\nlinks = [\"blind\"]\n",
        link("quiet", "receipt_wait_secs = 2"),
        link("blind", "")
    );
    let env = Env::start(kind, "", &extra);
    let api = env.server.api(OPERATOR);
    for name in ["quiet", "blind"] {
        api.wait_for(&format!("/links/{name}"), 30, |l| l["healthy"] == true)
            .await;
    }
    for (numbers, link) in [
        (["+255712700001", "+255712700002"], "quiet"),
        (["+255782700001", "+255782700002"], "blind"),
    ] {
        let (s, b) = api
            .post(
                "/broadcasts",
                json!({"text": "Stock count due Friday", "urns": numbers, "respect_hours": false}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let done = api
            .wait_for(&format!("/broadcasts/{}", b["uuid"].as_str().unwrap()), 30, |v| {
                v["status"] == "completed"
            })
            .await;
        let p = &done["progress"];
        assert_eq!(
            (p["total"].as_i64(), p["sent"].as_i64(), p["delivered"].as_i64()),
            (Some(2), Some(2), Some(0)),
            "{link}: {done}"
        );
        let msgs = api
            .ok(&format!("/messages?broadcast={}", b["uuid"].as_str().unwrap()))
            .await;
        for m in msgs["results"].as_array().unwrap() {
            assert_eq!(
                (m["status"].as_str(), m["link"].as_str()),
                (Some("sent"), Some(link)),
                "{m}"
            );
        }
    }
    assert_eq!(smsc.wait_for("submit", 4).await.len(), 4);
    drop(env);
    smsc.stop();
}
on_both!(a_broadcast_without_receipts_completes);
