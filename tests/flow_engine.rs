//! The flow engine end to end on our own example exports: every export under
//! `flows/` loads cleanly, a waiting session survives a JSON round trip (a
//! restart) and resumes to the same outcome, runaway loops fail with a
//! `failure` event, bad expressions are `error` events, and the terminal
//! simulator runs a conversation.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use mhero::flow::definition::export::Export;
use mhero::flow::events::{Event, EventKind, MsgIn};
use mhero::flow::resume::{Resume, ResumeKind};
use mhero::flow::services::NoServices;
use mhero::flow::session::{self, Session, SessionStatus};
use mhero::flow::session_assets::SessionAssets;
use mhero::flow::trigger::Trigger;

const CHECKIN: &str = "flows/health_worker_checkin.json";
const CHECKIN_UUID: &str = "4b3c9a52-6f1e-4d8a-9b7c-2e5f1a0d3c11";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn assets(path: &str) -> SessionAssets {
    let text = std::fs::read_to_string(repo(path)).unwrap();
    SessionAssets::from_value(serde_json::from_str(&text).unwrap()).unwrap()
}

fn trigger(flow_uuid: &str, language: &str) -> Trigger {
    serde_json::from_value(serde_json::json!({
        "type": "manual",
        "flow": {"uuid": flow_uuid, "name": "x"},
        "contact": {
            "uuid": "0d4b1f6e-2a61-4c1b-9d7e-5f3c2b1a0e9d", "name": "Aline Uwase", "language": language,
            "urns": ["tel:+250788123456"], "fields": {"facility": {"text": "Kigali CHC"}}
        },
        "environment": {"allowed_languages": ["eng", "fra"], "default_country": "RW"}
    }))
    .unwrap()
}

fn reply(text: &str) -> Resume {
    Resume {
        kind: ResumeKind::Msg {
            msg: MsgIn {
                uuid: "b1".into(),
                text: text.into(),
                ..MsgIn::default()
            },
        },
        contact: None,
        environment: None,
        resumed_on: None,
    }
}

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::MsgCreated { msg } => Some(msg.text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_example_export_loads_without_problems() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo("flows")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let export = Export::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            export.problems.is_empty(),
            "{}: {:?}",
            path.display(),
            export.problems
        );
        assert!(!export.flows.is_empty(), "{} has no flows", path.display());
        seen += 1;
    }
    assert!(seen > 0, "no example exports under flows/");
}

#[test]
fn a_waiting_session_survives_a_restart() {
    let assets = assets(CHECKIN);
    let (session, events) = session::start(&assets, &NoServices, trigger(CHECKIN_UUID, "eng"), None).unwrap();
    assert_eq!(
        texts(&events),
        vec!["Hello Aline! Any fever cases this week? (yes/no)"]
    );
    assert_eq!(session.status, SessionStatus::Waiting);

    // What the host persists, and reads back after a restart.
    let stored = serde_json::to_string(&session).unwrap();
    let mut restored: Session = serde_json::from_str(&stored).unwrap();
    let mut original = session;

    for s in [&mut original, &mut restored] {
        let events = session::resume(&assets, &NoServices, s, reply("yes"), None).unwrap();
        assert_eq!(texts(&events), vec!["How many cases?"]);
        let events = session::resume(&assets, &NoServices, s, reply("I saw 12"), None).unwrap();
        assert_eq!(
            texts(&events),
            vec!["Thank you, 12 cases recorded for Kigali CHC."]
        );
        assert_eq!(s.status, SessionStatus::Completed);
        assert_eq!(s.contact.fields["last_fever_cases"].text, "12");
        assert_eq!(s.runs[0].results["fever_cases"].category, "Yes");
    }
}

#[test]
fn translations_follow_the_contact_language() {
    let assets = assets(CHECKIN);
    let (mut s, events) = session::start(&assets, &NoServices, trigger(CHECKIN_UUID, "fra"), None).unwrap();
    assert_eq!(
        texts(&events),
        vec!["Bonjour Aline ! Avez-vous des cas de fievre cette semaine ? (oui/non)"]
    );
    let events = session::resume(&assets, &NoServices, &mut s, reply("non"), None).unwrap();
    assert_eq!(texts(&events), vec!["Merci, aucun cas enregistre."]);
}

#[test]
fn a_timeout_routes_to_no_response_and_other_resumes_are_refused() {
    let assets = assets(CHECKIN);
    let (mut s, _) = session::start(&assets, &NoServices, trigger(CHECKIN_UUID, "eng"), None).unwrap();
    let timeout = Resume {
        kind: ResumeKind::WaitTimeout {},
        contact: None,
        environment: None,
        resumed_on: None,
    };
    let events = session::resume(&assets, &NoServices, &mut s, timeout.clone(), None).unwrap();
    assert!(matches!(events[0].kind, EventKind::WaitTimedOut {}));
    assert_eq!(s.runs[0].results["fever_cases"].category, "No Response");
    assert_eq!(s.status, SessionStatus::Completed);
    let err = session::resume(&assets, &NoServices, &mut s, timeout, None).unwrap_err();
    assert!(err.to_string().contains("only waiting sessions"), "{err}");
}

fn one_node_flow(actions: serde_json::Value, loops: bool) -> SessionAssets {
    let node = "a1b2c3d4-0000-4000-8000-000000000001";
    let dest = if loops {
        serde_json::json!(node)
    } else {
        serde_json::Value::Null
    };
    SessionAssets::from_value(serde_json::json!({"flows": [{
        "uuid": "a1b2c3d4-0000-4000-8000-0000000000f0", "name": "Tiny", "spec_version": "13.6.1",
        "language": "eng", "type": "messaging",
        "nodes": [{"uuid": node, "actions": actions,
                   "exits": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000002", "destination_uuid": dest}]}]
    }]}))
    .unwrap()
}

fn start_tiny(assets: &SessionAssets) -> (Session, Vec<Event>) {
    let tiny = trigger("a1b2c3d4-0000-4000-8000-0000000000f0", "eng");
    session::start(assets, &NoServices, tiny, None).unwrap()
}

#[test]
fn a_loop_without_a_wait_fails_the_session() {
    let assets = one_node_flow(serde_json::json!([]), true);
    let (s, events) = start_tiny(&assets);
    assert_eq!(s.status, SessionStatus::Failed);
    let last = events.last().unwrap();
    assert!(
        matches!(&last.kind, EventKind::Failure { text } if text.contains("maximum number of steps")),
        "{last:?}"
    );
}

#[test]
fn a_bad_expression_is_an_error_event_and_the_run_goes_on() {
    let actions = serde_json::json!([
        {"uuid": "a1b2c3d4-0000-4000-8000-000000000003", "type": "send_msg", "text": "Broken @(1 / 0) text"},
        {"uuid": "a1b2c3d4-0000-4000-8000-000000000004", "type": "set_contact_name", "name": "Bosco"}
    ]);
    let assets = one_node_flow(actions, false);
    let (s, events) = start_tiny(&assets);
    assert!(
        matches!(&events[0].kind, EventKind::Error { text } if text == "error evaluating @(1 / 0): division by zero")
    );
    assert_eq!(texts(&events), vec!["Broken  text"]);
    assert_eq!(s.contact.name, "Bosco");
    assert_eq!(s.status, SessionStatus::Completed);
}

#[test]
fn the_simulator_runs_a_conversation() {
    let mut input = Cursor::new("yes\nabc\n7\n");
    let mut out = Vec::new();
    let fields = vec![("facility".to_owned(), "Huye DH".to_owned())];
    let session =
        mhero::cli::flow::simulate(&repo(CHECKIN), None, None, &fields, &mut input, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("< How many cases?"), "{out}");
    assert!(
        out.contains("< Thank you, 7 cases recorded for Huye DH."),
        "{out}"
    );
    assert!(out.contains("Cases = \"7\" (Count)"), "{out}");
    assert_eq!(session.status, SessionStatus::Completed);
}

#[test]
fn check_reports_each_broken_flow_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    let bad = serde_json::json!({"flows": [{
        "uuid": "a1b2c3d4-0000-4000-8000-0000000000f0", "name": "Tiny", "spec_version": "13.6.1",
        "language": "eng", "type": "messaging",
        "nodes": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000001",
                   "actions": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000003", "type": "say_msg", "text": "hi"}],
                   "exits": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000002"}]}]
    }]});
    std::fs::write(&path, bad.to_string()).unwrap();
    let problems = mhero::cli::flow::check_file(&path).unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].ends_with(
            "flow 'Tiny' (a1b2c3d4-0000-4000-8000-0000000000f0): invalid node[uuid=a1b2c3d4-0000-4000-8000-000000000001]: \
             action type 'say_msg' is not allowed in a flow of type 'messaging'"
        ),
        "{}",
        problems[0]
    );
    assert!(!mhero::cli::flow::check(&[path]));
}

/// A host whose webhook answers every call with one canned response.
struct CannedWebhook {
    status: u16,
    body: &'static str,
    calls: std::cell::RefCell<Vec<mhero::flow::services::HttpCall>>,
}

impl mhero::flow::services::Services for CannedWebhook {
    fn webhook(
        &self,
        call: &mhero::flow::services::HttpCall,
    ) -> Option<mhero::flow::services::ServiceOutcome> {
        self.calls.borrow_mut().push(call.clone());
        Some(mhero::flow::services::ServiceOutcome {
            events: Vec::new(),
            status: Some(self.status),
            body: Some(self.body.to_owned()),
        })
    }
}

#[test]
fn webhooks_go_through_the_hosts_services_and_feed_results() {
    let actions = serde_json::json!([
        {"uuid": "a1b2c3d4-0000-4000-8000-000000000005", "type": "call_webhook", "method": "POST",
         "url": "https://registry.example.org/checkin?who=@(url_encode(contact.name))",
         "headers": {"Content-Type": "application/json"}, "body": "{\"facility\": \"@fields.facility\"}",
         "result_name": "Registry"},
        {"uuid": "a1b2c3d4-0000-4000-8000-000000000006", "type": "send_msg",
         "text": "@results.registry.category: @webhook.json.message (@webhook.status)"}
    ]);
    let assets = one_node_flow(actions, false);
    let host = CannedWebhook {
        status: 201,
        body: r#"{"message": "recorded"}"#,
        calls: Default::default(),
    };
    let tiny = trigger("a1b2c3d4-0000-4000-8000-0000000000f0", "eng");
    let (s, events) = session::start(&assets, &host, tiny, None).unwrap();
    let calls = host.calls.borrow();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].url,
        "https://registry.example.org/checkin?who=Aline%20Uwase"
    );
    assert_eq!(calls[0].body, "{\"facility\": \"Kigali CHC\"}");
    assert_eq!(texts(&events), vec!["Success: recorded (201)"]);
    assert_eq!(s.runs[0].results["registry"].value, "201");
}

#[test]
fn without_a_webhook_service_the_action_is_an_error_and_the_run_goes_on() {
    let actions = serde_json::json!([
        {"uuid": "a1b2c3d4-0000-4000-8000-000000000005", "type": "call_webhook", "method": "GET",
         "url": "https://registry.example.org/"},
        {"uuid": "a1b2c3d4-0000-4000-8000-000000000006", "type": "send_msg", "text": "still here"}
    ]);
    let assets = one_node_flow(actions, false);
    let (s, events) = start_tiny(&assets);
    assert!(matches!(&events[0].kind, EventKind::Error { text } if text == "no webhook service configured"));
    assert_eq!(texts(&events), vec!["still here"]);
    assert_eq!(s.status, SessionStatus::Completed);
}
