//! Voice flows as flows: the real `mhero serve` with a SIP trunk and the voice
//! quiz imported into its store (`[flows] imports`), against SIPp 3.6.1 on
//! loopback. An inbound call keys quiz answers and they show up in
//! `GET /flows/{flow}/runs` and `/results` like an SMS flow's; a flow start of
//! the voice quiz to two contacts places two calls through the dialer to a
//! SIPp UAS that keys the answers, and both runs land in the same tables; a
//! campaign event whose flow is the voice quiz calls the trained worker when
//! the event falls due (spaced education over voice).
//! Every process listens on 127.0.0.1 and is stopped by its PID.

mod common;
mod sipp_support;

use chrono::{SecondsFormat, Utc};
use common::{Db, Server, TestDb, ADMIN};
use serde_json::{json, Value};
use sipp_support::{finished, free_rtp_base, free_udp_port, manifest, run, scenario, workdir, Run};
const QUIZ_UUID: &str = "5f1c7a3e-6d0b-4d7a-9a43-2b1f9c8e7d10";
/// Bound on a test's calls: prompts of about 20 s in all plus SIPp's pauses.
const CALLS_SECS: u64 = 90;

struct Voice {
    server: Server,
    sip_port: u16,
    peer_port: u16,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// `mhero serve` with the voice quiz imported and a trunk whose inbound
/// number 5551000 runs it by UUID (a stored flow, not a file).
fn serve_with_trunk() -> Voice {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let (sip_port, peer_port) = (free_udp_port(), free_udp_port());
    let extra = format!(
        r#"
[flows]
imports = ["{quiz}"]
campaign_sync_secs = 1
[[trunks]]
name = "carrier"
bind = "127.0.0.1:{sip_port}"
peer = "127.0.0.1:{peer_port}"
options_interval_secs = 0
max_calls = 8
calls_per_second = 20
rtp_port_start = {rtp}
ring_timeout_secs = 5
digit_timeout_secs = 3
inter_digit_timeout_secs = 2
prompts_dir = "{prompts}"
recordings_dir = "{recordings}"
inbound = [{{ number = "5551000", flow = "{QUIZ_UUID}" }}]
"#,
        quiz = manifest("flows/voice_quiz.json").display(),
        rtp = free_rtp_base(),
        prompts = manifest("prompts").display(),
        recordings = dir.path().join("recordings").display(),
    );
    let server = Server::start(dir.path(), "mhero", &common::config(&db.url, "node-a", &extra));
    Voice {
        server,
        sip_port,
        peer_port,
        _db: db,
        _dir: dir,
    }
}

/// The runs of the voice quiz once `n` of them have ended.
async fn ended_runs(api: &common::Api, n: usize) -> Vec<Value> {
    let page = api
        .wait_for(&format!("/flows/{QUIZ_UUID}/runs"), CALLS_SECS, |v| {
            v["results"]
                .as_array()
                .is_some_and(|r| r.iter().filter(|run| run["status"] != "active").count() >= n)
        })
        .await;
    page["results"].as_array().unwrap().clone()
}

fn answer(run: &Value, key: &str) -> (String, String) {
    let r = &run["results"][key];
    (
        r["value"].as_str().unwrap_or_default().to_owned(),
        r["category"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Count of `category` under result `key` in a `/results` body.
fn count(results: &Value, key: &str, category: &str) -> i64 {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .and_then(|r| {
            r["categories"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == category)
        })
        .map_or(0, |c| c["count"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn quiz_answers_keyed_on_a_call_show_up_in_the_flow_runs_and_results() {
    let work = workdir();
    let mut voice = serve_with_trunk();
    let api = voice.server.api(ADMIN);
    let target = format!("127.0.0.1:{}", voice.sip_port);
    let caller = run(
        &Run {
            scenario: &scenario("uac_quiz_rfc4733.xml"),
            to: Some((&target, "5551000")),
            port: free_udp_port(),
            calls: "1",
            timeout_secs: "90",
            extra: &[],
        },
        work.path(),
    );
    finished(caller).await;
    let runs = ended_runs(&api, 1).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let run = &runs[0];
    assert_eq!(run["status"], "completed");
    assert_eq!(run["urn"], "tel:+255712345678");
    assert_eq!(run["responded"], true);
    assert_eq!(answer(run, "question_1"), ("1".into(), "Correct".into()));
    assert_eq!(answer(run, "question_2"), ("3".into(), "Correct".into()));
    let results = api.ok(&format!("/flows/{QUIZ_UUID}/results")).await;
    assert_eq!(count(&results, "question_1", "Correct"), 1, "{results:#}");
    assert_eq!(count(&results, "question_2", "Correct"), 1, "{results:#}");
    // The call itself is listed with the same session.
    let calls = api.ok("/calls").await;
    let call = &calls["results"][0];
    assert_eq!(call["status"], "completed");
    assert_eq!(call["digits"], "13#");
    // Its times are RFC 3339 like every other timestamp of the API.
    for t in ["created_on", "answered_on", "ended_on"] {
        let text = call[t].as_str().unwrap_or_else(|| panic!("{t} in {call}"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok() && text.ends_with('Z'),
            "{t} = {text}"
        );
    }
    voice.server.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flow_start_of_the_voice_quiz_calls_each_contact_and_their_answers_land_in_runs() {
    let work = workdir();
    let mut voice = serve_with_trunk();
    let api = voice.server.api(ADMIN);
    // The carrier: a SIPp UAS that answers both calls and keys 1, 3, #.
    let phones = carrier_keying_answers(&voice, "2", work.path());
    let mut uuids = Vec::new();
    for (name, phone) in [("Asha", "+255712000101"), ("Baraka", "+255712000102")] {
        let (s, c) = api
            .post(
                "/contacts",
                json!({"name": name, "urns": [phone], "language": "eng"}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        uuids.push(c["uuid"].as_str().unwrap().to_owned());
    }
    let (s, start) = api
        .post("/flow_starts", json!({"flow": QUIZ_UUID, "contacts": uuids}))
        .await;
    assert_eq!(s, 201, "a voice flow start is accepted: {start}");
    let start_uuid = start["uuid"].as_str().unwrap();
    let done = api
        .wait_for(&format!("/flow_starts/{start_uuid}"), 30, |v| {
            v["status"] == "completed"
        })
        .await;
    assert_eq!(done["progress"]["started"], 2, "{done}");
    finished(phones).await;
    let runs = ended_runs(&api, 2).await;
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let mut urns: Vec<&str> = runs.iter().map(|r| r["urn"].as_str().unwrap()).collect();
    urns.sort_unstable();
    assert_eq!(urns, ["tel:+255712000101", "tel:+255712000102"]);
    for run in &runs {
        assert_eq!(run["status"], "completed", "{run:#}");
        assert_eq!(answer(run, "question_1"), ("1".into(), "Correct".into()));
        assert_eq!(answer(run, "question_2"), ("3".into(), "Correct".into()));
    }
    let results = api.ok(&format!("/flows/{QUIZ_UUID}/results")).await;
    assert_eq!(count(&results, "question_1", "Correct"), 2, "{results:#}");
    let calls = api.ok("/calls").await;
    let calls = calls["results"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    for call in calls {
        assert_eq!(
            (
                call["direction"].as_str(),
                call["status"].as_str(),
                call["flow"].as_str()
            ),
            (Some("out"), Some("completed"), Some(QUIZ_UUID))
        );
    }
    voice.server.stop();
}

/// A SIPp UAS on the trunk's carrier port answering `calls` calls and keying 1, 3, #.
fn carrier_keying_answers(voice: &Voice, calls: &str, work: &std::path::Path) -> sipp_support::Sipp {
    run(
        &Run {
            scenario: &scenario("uas_quiz_rfc4733.xml"),
            to: None,
            port: voice.peer_port,
            calls,
            timeout_secs: "90",
            extra: &[],
        },
        work,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_event_with_the_voice_quiz_calls_the_worker_when_it_falls_due() {
    let work = workdir();
    let mut voice = serve_with_trunk();
    let api = voice.server.api(ADMIN);
    let phone = carrier_keying_answers(&voice, "1", work.path());
    // Trained three days ago less 3 s: the day-3 quiz call is due in 3 s.
    let trained =
        (Utc::now() - chrono::Duration::seconds(3 * 86_400 - 3)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let (s, v) = api
        .post("/fields", json!({"key": "training_date", "type": "datetime"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, c) = api
        .post(
            "/contacts",
            json!({"name": "Neema", "urns": ["+255712000301"], "language": "eng",
                   "fields": {"training_date": trained}}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let mut export: Value =
        serde_json::from_str(&std::fs::read_to_string(manifest("flows/voice_quiz.json")).unwrap()).unwrap();
    let group = "1d4b5a6c-7e8f-4a0b-9c1d-2e3f4a5b6c7d";
    export["groups"] = json!([{"uuid": group, "name": "Trained"}]);
    export["fields"] = json!([{"key": "training_date", "name": "Training Date", "type": "datetime"}]);
    export["campaigns"] = json!([{
        "uuid": "2e5c6b7d-8f9a-4b1c-8d2e-3f4a5b6c7d8e", "name": "Quiz by phone",
        "group": {"uuid": group, "name": "Trained"},
        "events": [{
            "uuid": "3f6d7c8e-9a0b-4c2d-9e3f-4a5b6c7d8e9f", "offset": 3, "unit": "D",
            "event_type": "F", "delivery_hour": -1,
            "relative_to": {"key": "training_date", "label": "Training Date"},
            "flow": {"uuid": QUIZ_UUID, "name": "Voice Quiz"}, "start_mode": "I",
            "base_language": "eng"
        }]
    }]);
    let (s, v) = api.post("/flows", export).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api
        .post(
            "/groups/Trained/members",
            json!({"contacts": [c["uuid"].as_str().unwrap()]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    finished(phone).await;
    let runs = ended_runs(&api, 1).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["urn"], "tel:+255712000301");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(answer(&runs[0], "question_1"), ("1".into(), "Correct".into()));
    let calls = api.ok("/calls").await;
    assert_eq!(calls["results"][0]["flow"], QUIZ_UUID);
    assert_eq!(calls["results"][0]["direction"], "out");
    voice.server.stop();
}
