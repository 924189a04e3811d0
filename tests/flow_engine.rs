//! The flow engine end to end on our own example exports: every export under
//! `flows/` loads cleanly, a waiting session survives a JSON round trip (a
//! restart) and resumes to the same outcome, runaway loops fail with a
//! `failure` event, bad expressions are `error` events, and the terminal
//! simulator runs a conversation.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use mhero::flow::clock;
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
    let (session, events) = session::start(
        &assets,
        &NoServices,
        trigger(CHECKIN_UUID, "eng"),
        clock::system(),
    )
    .unwrap();
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
        let events = session::resume(&assets, &NoServices, s, reply("yes"), clock::system()).unwrap();
        assert_eq!(texts(&events), vec!["How many cases?"]);
        let events = session::resume(&assets, &NoServices, s, reply("I saw 12"), clock::system()).unwrap();
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
    let (mut s, events) = session::start(
        &assets,
        &NoServices,
        trigger(CHECKIN_UUID, "fra"),
        clock::system(),
    )
    .unwrap();
    assert_eq!(
        texts(&events),
        vec!["Bonjour Aline ! Avez-vous des cas de fièvre cette semaine ? (oui/non)"]
    );
    let events = session::resume(&assets, &NoServices, &mut s, reply("non"), clock::system()).unwrap();
    assert_eq!(texts(&events), vec!["Merci, aucun cas enregistré."]);
}

#[test]
fn a_timeout_routes_to_no_response_and_other_resumes_are_refused() {
    let assets = assets(CHECKIN);
    let (mut s, _) = session::start(
        &assets,
        &NoServices,
        trigger(CHECKIN_UUID, "eng"),
        clock::system(),
    )
    .unwrap();
    let timeout = Resume {
        kind: ResumeKind::WaitTimeout {},
        contact: None,
        environment: None,
        resumed_on: None,
    };
    let events = session::resume(&assets, &NoServices, &mut s, timeout.clone(), clock::system()).unwrap();
    assert!(matches!(events[0].kind, EventKind::WaitTimedOut {}));
    assert_eq!(s.runs[0].results["fever_cases"].category, "No Response");
    assert_eq!(s.status, SessionStatus::Completed);
    let err = session::resume(&assets, &NoServices, &mut s, timeout, clock::system()).unwrap_err();
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
    session::start(assets, &NoServices, tiny, clock::system()).unwrap()
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

/// A host whose webhook answers calls with canned responses, in order (the
/// last one again once they run out).
struct CannedWebhook {
    answers: std::cell::RefCell<std::collections::VecDeque<(u16, &'static str)>>,
    calls: std::cell::RefCell<Vec<mhero::flow::services::HttpCall>>,
}

impl CannedWebhook {
    fn new(answers: &[(u16, &'static str)]) -> CannedWebhook {
        CannedWebhook {
            answers: std::cell::RefCell::new(answers.iter().copied().collect()),
            calls: Default::default(),
        }
    }
}

impl mhero::flow::services::Services for CannedWebhook {
    fn webhook(
        &self,
        call: &mhero::flow::services::HttpCall,
    ) -> Option<mhero::flow::services::ServiceOutcome> {
        self.calls.borrow_mut().push(call.clone());
        let mut answers = self.answers.borrow_mut();
        let (status, body) = match answers.len() {
            0 => return None,
            1 => answers[0],
            _ => answers.pop_front()?,
        };
        Some(mhero::flow::services::ServiceOutcome {
            events: Vec::new(),
            status: Some(status),
            body: Some(body.to_owned()),
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
    let host = CannedWebhook::new(&[(201, r#"{"message": "recorded"}"#)]);
    let tiny = trigger("a1b2c3d4-0000-4000-8000-0000000000f0", "eng");
    let (s, events) = session::start(&assets, &host, tiny, clock::system()).unwrap();
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

/// A RapidPro export of today (spec 14.4.2): a stock-out report that posts
/// to the LMIS and routes on `@(default(webhook.status, 0))`, counts its
/// attempts in a run local, and opens a ticket with a note when the LMIS
/// stays down (routing on `@locals._new_ticket`).
const EXPORT_14: &str = "tests/fixtures/rapidpro_export_14.json";
const STOCKOUT_UUID: &str = "9b1e4f3a-6c2d-4e8f-a1b3-5d7c9e0f2a41";
const WEBHOOK_NODE: &str = "f7a40087-b4b2-4f02-a91d-7b42d50f236f";

/// The export with the workspace's ticket topic, as the host supplies it.
fn export_14_assets(export: serde_json::Value) -> SessionAssets {
    let mut raw = export;
    raw["topics"] =
        serde_json::json!([{"uuid": "f2a7c0de-3b1a-4c55-9a0e-7d1e2c3b4a51", "name": "Stock-outs"}]);
    SessionAssets::from_value(raw).unwrap()
}

/// Reports `medicine` with the LMIS answering `answers`; the events of both
/// sprints, the session and the calls the LMIS got.
fn report_stockout(
    assets: &SessionAssets,
    medicine: &str,
    answers: &[(u16, &'static str)],
) -> (
    Vec<serde_json::Value>,
    Session,
    Vec<mhero::flow::services::HttpCall>,
) {
    let host = CannedWebhook::new(answers);
    let now = clock::system();
    let (mut s, mut events) =
        session::start(assets, &host, trigger(STOCKOUT_UUID, "eng"), now.clone()).unwrap();
    assert_eq!(s.status, SessionStatus::Waiting);
    events.extend(session::resume(assets, &host, &mut s, reply(medicine), now).unwrap());
    let events = events.iter().map(|e| serde_json::to_value(e).unwrap()).collect();
    let calls = host.calls.borrow().clone();
    (events, s, calls)
}

fn of_type<'a>(events: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[test]
fn a_rapidpro_14_export_loads_validates_and_runs() {
    let text = std::fs::read_to_string(repo(EXPORT_14)).unwrap();
    let export = Export::parse(&text).unwrap();
    assert!(export.problems.is_empty(), "{:?}", export.problems);
    assert_eq!(export.triggers[0].all_keywords(), vec!["stockout"]);
    let assets = export_14_assets(serde_json::from_str(&text).unwrap());

    // The LMIS is down twice: the run retries once, then opens a ticket.
    let (events, s, calls) = report_stockout(&assets, "Amoxicillin", &[(503, "unavailable")]);
    assert!(of_type(&events, "error").is_empty(), "{events:#?}");
    assert_eq!(calls.len(), 2);
    let bodies: Vec<serde_json::Value> = calls
        .iter()
        .map(|c| serde_json::from_str(&c.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        serde_json::json!({"facility": "Kigali CHC", "medicine": "Amoxicillin", "reporter": "+250788123456", "attempt": "1"})
    );
    assert_eq!(bodies[1]["attempt"], "2");
    let lmis: Vec<_> = of_type(&events, "run_result_changed")
        .into_iter()
        .filter(|e| e["name"] == "LMIS")
        .map(|e| (e["value"].clone(), e["category"].clone()))
        .collect();
    assert_eq!(lmis, vec![("503".into(), "Failure".into()); 2]);
    let tickets = of_type(&events, "ticket_opened");
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        tickets[0]["note"],
        "Stock-out of Amoxicillin at Kigali CHC reported by Aline Uwase; LMIS unreachable after 2 attempts (last status 503)."
    );
    assert_eq!(tickets[0]["ticket"]["topic"]["name"], "Stock-outs");
    let ticket = &s.runs[0].results["ticket"];
    assert_eq!(
        (ticket.category.as_str(), &ticket.value),
        ("Success", &s.runs[0].locals["_new_ticket"])
    );
    assert_eq!(s.runs[0].locals["attempts"], "2");
    assert_eq!(
        texts_of(&events).last().map(String::as_str),
        Some("We could not reach LMIS. A district supervisor has been asked to follow up on the Amoxicillin stock-out.")
    );
    assert_eq!(s.status, SessionStatus::Completed);

    // The LMIS answers: no ticket, the reference is read from the reply.
    let (events, s, calls) = report_stockout(&assets, "ORS", &[(201, r#"{"reference": "SO-1042"}"#)]);
    assert_eq!(calls.len(), 1);
    assert!(of_type(&events, "ticket_opened").is_empty());
    assert_eq!(
        texts_of(&events).last().map(String::as_str),
        Some("Thank you Aline. LMIS recorded the stock-out of ORS as SO-1042.")
    );
    assert_eq!(s.runs[0].locals["attempts"], "1");
}

#[test]
fn an_older_14_export_is_migrated_to_the_same_behaviour() {
    // The same export as RapidPro wrote it at 14.1.0: the ticket's note was
    // `body` and the webhook split read `@webhook.status` directly.
    let mut raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo(EXPORT_14)).unwrap()).unwrap();
    let flow = &mut raw["flows"][0];
    flow["spec_version"] = "14.1.0".into();
    for node in flow["nodes"].as_array_mut().unwrap() {
        if node["uuid"] == WEBHOOK_NODE {
            node["router"]["operand"] = "@webhook.status".into();
        }
        for action in node["actions"].as_array_mut().unwrap() {
            if action["type"] == "open_ticket" {
                let note = action.as_object_mut().unwrap().remove("note").unwrap();
                action["body"] = note;
            }
        }
    }
    let assets = export_14_assets(raw);
    let flow = assets.flow(STOCKOUT_UUID).unwrap();
    assert_eq!(flow.spec_version, "14.4.2");
    let (events, _, _) = report_stockout(&assets, "Amoxicillin", &[(500, "oops")]);
    assert!(of_type(&events, "error").is_empty(), "{events:#?}");
    assert!(of_type(&events, "ticket_opened")[0]["note"]
        .as_str()
        .unwrap()
        .ends_with("after 2 attempts (last status 500)."));
}

/// The texts of the `msg_created` events among serialised events.
fn texts_of(events: &[serde_json::Value]) -> Vec<String> {
    of_type(events, "msg_created")
        .iter()
        .filter_map(|e| e["msg"]["text"].as_str().map(str::to_owned))
        .collect()
}

/// An airtime provider that carries out its first transfer and refuses the
/// rest.
struct OneTransfer {
    done: std::cell::Cell<bool>,
}

impl mhero::flow::services::Services for OneTransfer {
    fn transfer_airtime(
        &self,
        transfer_uuid: &str,
        sender: &str,
        recipient: &str,
        _amounts: &[(String, serde_json::Number)],
    ) -> Option<mhero::flow::services::ProviderCall<mhero::flow::services::AirtimeTransfer>> {
        let result = if self.done.replace(true) {
            Err("insufficient balance".to_owned())
        } else {
            Ok(mhero::flow::services::AirtimeTransfer {
                external_id: format!("dt-{transfer_uuid}"),
                sender: sender.to_owned(),
                recipient: recipient.to_owned(),
                currency: "RWF".to_owned(),
                amount: 500.into(),
            })
        };
        Some(mhero::flow::services::ProviderCall {
            http_logs: Vec::new(),
            result,
        })
    }
}

#[test]
fn a_14_airtime_split_routes_on_this_transfers_local() {
    // Two airtime nodes as RapidPro 14 writes them: each routes on
    // @locals._new_transfer and saves its result on the router.
    let node = |n: u32, next: Option<String>| {
        let id = |k: u32| format!("a1b2c3d4-0000-4000-8000-{:012}", n * 10 + k);
        serde_json::json!({
            "uuid": id(0),
            "actions": [{"uuid": id(1), "type": "transfer_airtime", "amounts": {"RWF": 500}}],
            "router": {"type": "switch", "operand": "@locals._new_transfer", "result_name": format!("Reward {n}"),
                "cases": [{"uuid": id(2), "type": "has_text", "arguments": [], "category_uuid": id(3)}],
                "categories": [{"uuid": id(3), "name": "Success", "exit_uuid": id(5)},
                               {"uuid": id(4), "name": "Failure", "exit_uuid": id(6)}],
                "default_category_uuid": id(4)},
            "exits": [{"uuid": id(5), "destination_uuid": next.clone()}, {"uuid": id(6), "destination_uuid": next}]
        })
    };
    let second = node(2, None);
    let first = node(1, second["uuid"].as_str().map(str::to_owned));
    let assets = SessionAssets::from_value(serde_json::json!({"flows": [{
        "uuid": "a1b2c3d4-0000-4000-8000-0000000000f0", "name": "Rewards", "spec_version": "14.4.2",
        "language": "eng", "type": "messaging", "nodes": [first, second]
    }]}))
    .unwrap();
    assert!(assets.broken.is_empty(), "{:?}", assets.broken);
    let host = OneTransfer {
        done: Default::default(),
    };
    let tiny = trigger("a1b2c3d4-0000-4000-8000-0000000000f0", "eng");
    let (s, events) = session::start(&assets, &host, tiny, clock::system()).unwrap();
    let results = &s.runs[0].results;
    assert_eq!(results["reward_1"].category, "Success");
    assert_eq!(results["reward_2"].category, "Failure", "{events:#?}");
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Error { text } if text == "insufficient balance")));
}

#[test]
fn a_sprint_reads_the_clock_where_the_reference_engine_does() {
    // A message, then a wait, on a clock that moves a second per reading.
    let assets = SessionAssets::from_value(serde_json::json!({"flows": [{
        "uuid": "a1b2c3d4-0000-4000-8000-0000000000f0", "name": "Ask", "spec_version": "13.6.1",
        "language": "eng", "type": "messaging", "expire_after_minutes": 60,
        "nodes": [
            {"uuid": "a1b2c3d4-0000-4000-8000-000000000001",
             "actions": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000003", "type": "send_msg", "text": "Ready?"}],
             "exits": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000002",
                        "destination_uuid": "a1b2c3d4-0000-4000-8000-000000000004"}]},
            {"uuid": "a1b2c3d4-0000-4000-8000-000000000004", "actions": [],
             "router": {"type": "switch", "operand": "@input.text", "wait": {"type": "msg"},
                        "categories": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000005", "name": "All",
                                        "exit_uuid": "a1b2c3d4-0000-4000-8000-000000000006"}],
                        "default_category_uuid": "a1b2c3d4-0000-4000-8000-000000000005"},
             "exits": [{"uuid": "a1b2c3d4-0000-4000-8000-000000000006"}]}
        ]
    }]}))
    .unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-05T08:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let stepping = std::sync::Arc::new(clock::SteppingClock::new(start, chrono::Duration::seconds(1)));
    let tiny = trigger("a1b2c3d4-0000-4000-8000-0000000000f0", "eng");
    let (s, events) = session::start(&assets, &NoServices, tiny, stepping).unwrap();
    let at = |second: u32| format!("2026-01-05T08:00:{second:02}.000000000Z");
    let run = &s.runs[0];
    // 0 run created, 1 step, 2 msg_created, 3 logged, 4 moved on, 5 step,
    // 6 expiry read, 7 msg_wait, 8 logged, 9 waiting.
    assert_eq!(run.created_on, at(0));
    let arrived: Vec<&str> = run.path.iter().map(|p| p.arrived_on.as_str()).collect();
    assert_eq!(arrived, vec![at(1), at(5)]);
    let made: Vec<&str> = events.iter().map(|e| e.created_on.as_str()).collect();
    assert_eq!(made, vec![at(2), at(7)]);
    assert!(
        matches!(&events[1].kind, EventKind::MsgWait { expires_on: Some(e), .. } if *e == "2026-01-05T09:00:06.000000000Z")
    );
    assert_eq!(run.modified_on.as_deref(), Some(at(9).as_str()));
}
