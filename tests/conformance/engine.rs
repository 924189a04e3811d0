//! Conformance tables for the flow engine against the reference corpus in
//! the corpus: migrations, broken flows, single actions and runner
//! scenarios. Events are compared after renaming UUIDs by first appearance
//! and dropping timestamps (their order is the event order).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use mhero::flow::clock::{fixed, Clock, SteppingClock};
use mhero::flow::definition::migrations::{migrate_to, Version};
use mhero::flow::definition::read_flow;
use mhero::flow::events::Event;
use mhero::flow::resume::Resume;
use mhero::flow::services::NoServices;
use mhero::flow::session::{resume, start, Session};
use mhero::flow::session_assets::SessionAssets;
use mhero::flow::trigger::Trigger;
use serde_json::{json, Value};

use super::common::{go_indent, load, load_cases, Table};
use super::mock_http::MockServices;

/// The engine's tables, in report order.
pub fn tables(corpus: &Path) -> Vec<Table> {
    vec![
        migrations(corpus),
        broken_flows(corpus),
        folder_table(corpus, "actions", run_action_case),
        folder_table(corpus, "routers", run_router_case),
        folder_table(corpus, "resumes", run_resume_case),
        folder_table(corpus, "triggers", run_trigger_case),
        runner(corpus),
        run_context(corpus),
        doc_examples_context(corpus),
    ]
}

/// Renames every UUID-shaped string to `uuid-N` in order of first
/// appearance, so fixtures compare without the reference engine's seeds.
fn rename_uuids(v: &Value) -> Value {
    fn is_uuid(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 36
            && b.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    }
    /// First pass: UUIDs in values, in traversal order (object keys sorted).
    fn collect(v: &Value, seen: &mut HashMap<String, usize>) {
        match v {
            Value::String(s) if is_uuid(s) => {
                let n = seen.len();
                seen.entry(s.clone()).or_insert(n);
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, seen)),
            Value::Object(map) => map.values().for_each(|i| collect(i, seen)),
            _ => {}
        }
    }
    fn name(s: &str, seen: &mut HashMap<String, usize>) -> String {
        let n = seen.len();
        format!("uuid-{}", seen.entry(s.to_owned()).or_insert(n))
    }
    fn walk(v: &Value, seen: &mut HashMap<String, usize>) -> Value {
        match v {
            Value::String(s) if is_uuid(s) => Value::String(name(s, seen)),
            // UUIDs inside texts (HTTP logs, payloads) are renamed the same way.
            Value::String(s) if s.len() > 36 => {
                let re = regex::Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
                    .expect("valid regex");
                Value::String(
                    re.replace_all(s, |c: &regex::Captures| name(&c[0], seen))
                        .into_owned(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, seen)).collect()),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let key = if is_uuid(k) { name(k, seen) } else { k.clone() };
                    out.insert(key, walk(v, seen));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
    let mut seen = HashMap::new();
    collect(v, &mut seen);
    walk(v, &mut seen)
}

fn migrations(corpus: &Path) -> Table {
    let mut table = Table::new("migrations");
    let dir = corpus.join("goflow/migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let target = Version::parse(&stem).unwrap_or_else(|| panic!("unexpected migration file {stem}"));
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, case) in cases.iter().enumerate() {
            let outcome = match migrate_to(case["original"].clone(), target) {
                Err(e) => Err(format!("migration failed: {e}")),
                Ok(got) if rename_uuids(&got) == rename_uuids(&case["migrated"]) => Ok(()),
                Ok(got) => Err(format!("got {got}")),
            };
            table.record(format!("{stem}#{i}"), outcome);
        }
    }
    table
}

fn broken_flows(corpus: &Path) -> Table {
    const FLOW: &str = "76f0a02f-3b75-4b86-9064-e9195e1b3a02";
    let mut table = Table::new("broken_flows");
    let expected: Vec<Value> =
        serde_json::from_value(load(corpus, "goflow/broken_flows/_expected_errors.json")).unwrap();
    for case in expected {
        let file = case["file"].as_str().unwrap_or_default();
        let want = case["expected_error"].as_str().unwrap_or_default();
        let assets = load(corpus, &format!("goflow/broken_flows/{file}"));
        let flow = assets["flows"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["uuid"] == FLOW))
            .cloned()
            .unwrap_or(Value::Null);
        let outcome = match read_flow(&flow) {
            Ok(_) => Err("loaded without error".to_owned()),
            Err(e) if e.to_string() == want => Ok(()),
            Err(e) => Err(format!("error was: {e}")),
        };
        table.record(file.to_owned(), outcome);
    }
    table
}

/// Drops timestamp fields so streams compare by order only.
fn strip_times(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "created_on" | "expires_on" | "arrived_on" | "modified_on"
                    )
                })
                .map(|(k, v)| (k.clone(), strip_times(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_times).collect()),
        other => other.clone(),
    }
}

fn normalise(events: &Value) -> Value {
    rename_uuids(&strip_times(events))
}

fn events_json(events: &[Event]) -> Value {
    serde_json::to_value(events).unwrap_or(Value::Null)
}

/// Describes the first difference between two normalised event lists.
fn diff_events(got: &Value, want: &Value) -> String {
    let g = got.as_array().cloned().unwrap_or_default();
    let w = want.as_array().cloned().unwrap_or_default();
    for i in 0..g.len().max(w.len()) {
        if g.get(i) != w.get(i) {
            return format!(
                "event {i}: got {} want {}",
                g.get(i)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "nothing".into()),
                w.get(i)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "nothing".into())
            );
        }
    }
    "differs".to_owned()
}

/// The reference runs' clocks: the runner's starts here and moves on a
/// second per reading, the single-type tables' is fixed here.
const RUNNER_NOW: &str = "2018-07-06T12:30:00.123456789Z";
const TABLE_NOW: &str = "2018-10-18T14:20:30.000123456Z";

fn clock(at: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(at)
        .expect("a fixed clock parses")
        .with_timezone(&chrono::Utc)
}

fn is_msg_received(e: &Event) -> bool {
    matches!(e.kind, mhero::flow::events::EventKind::MsgReceived { .. })
}

fn run_scenario(corpus: &Path, entry: &Value) -> Result<(), String> {
    let assets_file = entry["assets_file"].as_str().unwrap_or_default();
    let test_file = entry["test_file"].as_str().unwrap_or_default();
    let assets = SessionAssets::from_value(load(corpus, &format!("goflow/runner/{assets_file}")))
        .map_err(|e| format!("assets: {e}"))?;
    let test = load_cases(corpus, &format!("goflow/runner/{test_file}"));
    let trigger: Trigger =
        serde_json::from_value(test["trigger"].clone()).map_err(|e| format!("reading trigger: {e}"))?;
    let outputs = test["outputs"].as_array().cloned().unwrap_or_default();
    // One clock for the whole scenario, engine and HTTP double alike,
    // moving on a second per reading as the reference's test clock does.
    let clock: Arc<dyn Clock> = Arc::new(SteppingClock::new(
        clock(RUNNER_NOW),
        chrono::Duration::seconds(1),
    ));
    let services = MockServices::new(&test["http_mocks"], None).with_clock(clock.clone());
    let (mut session, events) =
        start(&assets, &services, trigger, clock.clone()).map_err(|e| format!("start: {e}"))?;
    let mut got = vec![events_json(&events)];
    for r in test["resumes"].as_array().cloned().unwrap_or_default() {
        // Between steps the session is stored and read back, as the
        // reference's runner does (Go's indented JSON, raw JSON included).
        session = go_round_trip(&session)?;
        let resume_value: Resume = serde_json::from_value(r).map_err(|e| format!("reading resume: {e}"))?;
        let events = resume(&assets, &services, &mut session, resume_value, clock.clone())
            .map_err(|e| format!("resume: {e}"))?;
        got.push(events_json(&events));
    }
    let want: Vec<Value> = outputs.iter().map(|o| o["events"].clone()).collect();
    let (got, want) = (normalise(&Value::Array(got)), normalise(&Value::Array(want)));
    if got == want {
        return Ok(());
    }
    let (g, w) = (
        got.as_array().cloned().unwrap_or_default(),
        want.as_array().cloned().unwrap_or_default(),
    );
    for step in 0..g.len().max(w.len()) {
        let (gs, ws) = (
            g.get(step).cloned().unwrap_or(Value::Null),
            w.get(step).cloned().unwrap_or(Value::Null),
        );
        if gs != ws {
            return Err(format!("step {step}: {}", diff_events(&gs, &ws)));
        }
    }
    Err("differs".to_owned())
}

/// `session` written as Go's `json.MarshalIndent` writes it (four spaces,
/// embedded raw JSON re-indented in place) and read back.
fn go_round_trip(session: &Session) -> Result<Session, String> {
    let compact = serde_json::to_string(session).map_err(|e| format!("writing session: {e}"))?;
    serde_json::from_str(&go_indent(&compact, "    ")).map_err(|e| format!("reading session: {e}"))
}

fn runner(corpus: &Path) -> Table {
    let mut table = Table::new("runner");
    let index = load(corpus, "goflow/runner/_index.json");
    for entry in index.as_array().cloned().unwrap_or_default() {
        let id = entry["test_file"].as_str().unwrap_or_default().to_owned();
        let outcome = std::panic::catch_unwind(|| run_scenario(corpus, &entry))
            .unwrap_or_else(|_| Err("engine panicked".to_owned()));
        table.record(id, outcome);
    }
    table
}

const ACTION_FLOW: &str = "bead76f5-dac4-4c9d-996c-c62b326e8c0a";
const VOICE_ACTION_FLOW: &str = "7a84463d-d209-4d3e-a0ff-79f977cd7bd0";

fn default_contact() -> Value {
    serde_json::json!({
        "uuid": "5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f",
        "name": "Ryan Lewis",
        "language": "eng",
        "status": "active",
        "timezone": "America/Guayaquil",
        "created_on": "2018-06-20T11:40:30.123456789Z",
        "urns": [
            "tel:+12065551212?channel=57f1078f-88aa-46f4-a59a-948a5739c03d&id=123",
            "twitterid:54784326227#nyaruka"
        ],
        "groups": [
            {"uuid": "b7cf0d83-f1c9-411c-96fd-c511a4cfa86d", "name": "Testers"},
            {"uuid": "0ec97956-c451-48a0-a180-1ce766623e31", "name": "Males"}
        ],
        "fields": {"gender": {"text": "Male"}}
    })
}

fn run_action_case(case: &Value, base_assets: &Value) -> Result<(), String> {
    let voice = case["in_flow_type"].as_str() == Some("voice");
    let flow_uuid = if voice { VOICE_ACTION_FLOW } else { ACTION_FLOW };
    let mut assets_json = base_assets.clone();
    let flows = assets_json["flows"]
        .as_array_mut()
        .ok_or("assets without flows")?;
    let flow = flows
        .iter_mut()
        .find(|f| f["uuid"] == flow_uuid)
        .ok_or("action flow missing")?;
    flow["nodes"][0]["actions"] = Value::Array(vec![case["action"].clone()]);
    let mut contact = if case["contact"].is_object() {
        case["contact"].clone()
    } else {
        default_contact()
    };
    if case["has_ticket"].as_bool().unwrap_or(false) {
        // The case's contact already has an open ticket (any topic will do),
        // so is already in the assets' "tickets > 0" smart group.
        contact["ticket"] = serde_json::json!({
            "uuid": "78d1fe0d-7e39-461e-81c3-a6a25f15ed69",
            "topic": {"uuid": "0d9a2c56-6fc2-4f27-93c5-a6322e26b740", "name": "General"}
        });
        if let Some(groups) = contact["groups"].as_array_mut() {
            groups.push(
                serde_json::json!({"uuid": "91564dee-e7ea-49b2-a903-598ce71b1d07", "name": "With Tickets"}),
            );
        }
    }
    if let Some(loc) = case.get("localization").filter(|l| !l.is_null()) {
        flow["localization"] = loc.clone();
        contact["language"] = Value::String("spa".into());
    }
    if let Some(want) = case["read_error"].as_str() {
        return match mhero::flow::definition::read_flow(flow) {
            Ok(_) => Err(format!("read without error (wanted '{want}')")),
            Err(e) if e.to_string().ends_with(want) => Ok(()),
            Err(e) => Err(format!("read error was: {e}")),
        };
    }
    let assets = SessionAssets::from_value(assets_json).map_err(|e| format!("assets: {e}"))?;
    if let Some(p) = assets.broken.first() {
        return Err(format!("flow failed to read: {p}"));
    }
    let no_input = case["no_input"].as_bool().unwrap_or(false) || case["as_batch"].as_bool().unwrap_or(false);
    let mut trigger = serde_json::json!({
        "type": "manual",
        "flow": {"uuid": flow_uuid, "name": "Action Tester"},
        "contact": contact,
        "environment": {
            "allowed_languages": ["eng", "spa"], "default_country": "RW",
            "date_format": "DD-MM-YYYY", "time_format": "tt:mm", "timezone": "America/Guayaquil"
        },
    });
    if case["redact_urns"].as_bool().unwrap_or(false) {
        trigger["environment"]["redaction_policy"] = Value::String("urns".into());
    }
    if case["as_batch"].as_bool().unwrap_or(false) {
        trigger["batch"] = Value::Bool(true);
    }
    if !no_input {
        trigger["type"] = Value::String("msg".into());
        trigger["msg"] = serde_json::json!({
            "uuid": "aa90ce99-3b4d-44ba-b0ca-79e63d9ed842",
            "urn": "tel:+12065551212",
            "text": "Hi everybody",
            "attachments": ["image/jpeg:http://http://s3.amazon.com/bucket/test.jpg", "audio/mp3:http://s3.amazon.com/bucket/test.mp3"]
        });
    }
    let trigger: Trigger = serde_json::from_value(trigger).map_err(|e| format!("trigger: {e}"))?;
    let services = MockServices::new(
        &case["http_mocks"],
        case["smtp_error"].as_str().map(str::to_owned),
    );
    let (_, events) =
        start(&assets, &services, trigger, fixed(clock(TABLE_NOW))).map_err(|e| format!("start: {e}"))?;
    // The table lists what the action did at its own step: not the
    // trigger's message, nor what a subflow it entered went on to do.
    let first_step = events.iter().find_map(|e| e.step_uuid.clone());
    let events: Vec<Event> = events
        .into_iter()
        .filter(|e| !is_msg_received(e) && (e.step_uuid.is_none() || e.step_uuid == first_step))
        .collect();
    let got = normalise(&events_json(&events));
    let want = normalise(&case["events"]);
    if got == want {
        Ok(())
    } else {
        Err(diff_events(&got, &want))
    }
}

/// The contact the router, resume and trigger tables start with.
fn table_trigger(flow_uuid: &str, contact: Value) -> Value {
    serde_json::json!({
        "type": "manual",
        "flow": {"uuid": flow_uuid, "name": "Tester"},
        "contact": contact,
        "environment": {
            "allowed_languages": ["eng", "spa"], "default_country": "RW",
            "date_format": "DD-MM-YYYY", "time_format": "tt:mm", "timezone": "America/Guayaquil"
        },
    })
}

/// Compares the expected parts of results (timestamps and node aside).
fn compare_results(got: &mhero::flow::session::Session, want: &Value) -> Result<(), String> {
    let results = got
        .runs
        .first()
        .map(|r| serde_json::to_value(&r.results).unwrap_or(Value::Null));
    let results = results.unwrap_or(Value::Null);
    for (key, expected) in want.as_object().cloned().unwrap_or_default() {
        let actual = &results[&key];
        if key == "random_result" {
            // The reference's pick came from its seeded generator: check the
            // shape instead (bucket index as value, its category, a number in
            // [0, 1) as input).
            let index: usize = actual["value"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .ok_or("no bucket index")?;
            let categories = ["Yes", "No", "Other"];
            let input: f64 = actual["input"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .ok_or("no random input")?;
            if categories.get(index).map(|c| Value::String((*c).into())) != Some(actual["category"].clone())
                || !(0.0..1.0).contains(&input)
            {
                return Err(format!("random result inconsistent: {actual}"));
            }
            continue;
        }
        for field in ["name", "value", "category", "input", "extra"] {
            if expected.get(field).is_some() && expected[field] != actual[field] {
                return Err(format!(
                    "result {key}.{field}: got {} want {}",
                    actual[field], expected[field]
                ));
            }
        }
    }
    Ok(())
}

fn run_router_case(case: &Value, base_assets: &Value) -> Result<(), String> {
    let mut assets_json = base_assets.clone();
    let flow = &mut assets_json["flows"][0];
    flow["nodes"][0]["router"] = case["router"].clone();
    if let Some(want) = case["read_error"].as_str() {
        return match read_flow(flow) {
            Ok(_) => Err(format!("read without error (wanted '{want}')")),
            Err(e) if e.to_string().ends_with(want) => Ok(()),
            Err(e) => Err(format!("read error was: {e}")),
        };
    }
    let flow_uuid = flow["uuid"].as_str().unwrap_or_default().to_owned();
    let assets = SessionAssets::from_value(assets_json).map_err(|e| format!("assets: {e}"))?;
    if let Some(p) = assets.broken.first() {
        return Err(format!("flow failed to read: {p}"));
    }
    // The reference's router tables run for a contact in no group (their
    // has_group cases see `[]`).
    let mut contact = default_contact();
    contact["groups"] = json!([]);
    let mut trigger = table_trigger(&flow_uuid, contact);
    trigger["type"] = Value::String("msg".into());
    trigger["msg"] = serde_json::json!({"uuid": "aa90ce99-3b4d-44ba-b0ca-79e63d9ed842", "urn": "tel:+12065551212", "text": "Hi everybody"});
    let trigger: Trigger = serde_json::from_value(trigger).map_err(|e| format!("trigger: {e}"))?;
    let (session, events) =
        start(&assets, &NoServices, trigger, fixed(clock(TABLE_NOW))).map_err(|e| format!("start: {e}"))?;
    if case.get("results").is_some() {
        compare_results(&session, &case["results"])?;
    }
    if case.get("events").is_some() {
        let got: Vec<Event> = events.into_iter().filter(|e| !is_msg_received(e)).collect();
        let (mut got, mut want) = (normalise(&events_json(&got)), normalise(&case["events"]));
        if case["router"]["type"] == "random" {
            // A random pick can't match the reference's seeded one: compare
            // which events happened (the results check covers their values).
            let types = |v: &Value| {
                v.as_array()
                    .map(|a| a.iter().map(|e| e["type"].clone()).collect::<Vec<_>>())
            };
            (got, want) = (json!(types(&got)), json!(types(&want)));
        }
        if got != want {
            return Err(diff_events(&got, &want));
        }
    }
    Ok(())
}

/// Holds a read against the case's `read_error`: `None` when the expected
/// error happened, the value when reading should (and did) succeed.
fn expect_read<T>(read: Result<T, String>, case: &Value) -> Result<Option<T>, String> {
    match (read, case["read_error"].as_str()) {
        (Err(e), Some(want)) if want == e => Ok(None),
        (Err(e), _) => Err(format!("read error: {e}")),
        (Ok(_), Some(want)) => Err(format!("read without error (wanted '{want}')")),
        (Ok(v), None) => Ok(Some(v)),
    }
}

fn run_resume_case(case: &Value, base_assets: &Value) -> Result<(), String> {
    let Some(resume_value) = expect_read(Resume::read(&case["resume"]), case)? else {
        return Ok(());
    };
    let flow_uuid = case["flow_uuid"].as_str().unwrap_or_default();
    let mut assets_json = base_assets.clone();
    let flows = assets_json["flows"]
        .as_array_mut()
        .ok_or("assets without flows")?;
    let flow = flows
        .iter_mut()
        .find(|f| f["uuid"] == flow_uuid)
        .ok_or("resume flow missing")?;
    if let Some(wait) = case.get("wait") {
        flow["nodes"][0]["router"]["wait"] = wait.clone();
    }
    let assets = SessionAssets::from_value(assets_json).map_err(|e| format!("assets: {e}"))?;
    if let Some(p) = assets.broken.first() {
        return Err(format!("flow failed to read: {p}"));
    }
    let trigger: Trigger = serde_json::from_value(table_trigger(flow_uuid, default_contact()))
        .map_err(|e| format!("trigger: {e}"))?;
    let (mut session, _) =
        start(&assets, &NoServices, trigger, fixed(clock(TABLE_NOW))).map_err(|e| format!("start: {e}"))?;
    match resume(
        &assets,
        &NoServices,
        &mut session,
        resume_value,
        fixed(clock(TABLE_NOW)),
    ) {
        Err(e) => match case["resume_error"].as_str() {
            Some(want) if e.to_string() == want => {}
            _ => return Err(format!("resume failed: {e}")),
        },
        Ok(events) => {
            if case["resume_error"].is_string() {
                return Err("resumed without error".to_owned());
            }
            let (got, want) = (normalise(&events_json(&events)), normalise(&case["events"]));
            if got != want {
                return Err(diff_events(&got, &want));
            }
        }
    }
    fn status<T: serde::Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap_or(Value::Null)
    }
    if let Some(want) = case.get("run_status") {
        let got = session
            .runs
            .first()
            .map(|r| status(&r.status))
            .unwrap_or(Value::Null);
        if &got != want {
            return Err(format!("run status {got}, want {want}"));
        }
    }
    if let Some(want) = case.get("session_status") {
        let got = status(&session.status);
        if &got != want {
            return Err(format!("session status {got}, want {want}"));
        }
    }
    Ok(())
}

fn run_trigger_case(case: &Value, base_assets: &Value) -> Result<(), String> {
    let Some(trigger) = expect_read(Trigger::read(&case["trigger"]), case)? else {
        return Ok(());
    };
    let assets = SessionAssets::from_value(base_assets.clone()).map_err(|e| format!("assets: {e}"))?;
    let (session, events) =
        start(&assets, &NoServices, trigger, fixed(clock(TABLE_NOW))).map_err(|e| format!("start: {e}"))?;
    let (got, want) = (normalise(&events_json(&events)), normalise(&case["events"]));
    if got != want {
        return Err(diff_events(&got, &want));
    }
    if let Some(want) = case.get("context") {
        let got = mhero::flow::context::trigger_object(&session).to_json();
        if &got != want {
            return Err(format!("@trigger was {got}, want {want}"));
        }
    }
    Ok(())
}

/// A table over every `<type>.json` of a corpus folder.
fn folder_table(corpus: &Path, name: &'static str, run: fn(&Value, &Value) -> Result<(), String>) -> Table {
    let mut table = Table::new(name);
    let assets = load(corpus, &format!("goflow/{name}/_assets.json"));
    let dir = corpus.join(format!("goflow/{name}"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if stem.starts_with('_') {
            continue;
        }
        let cases = load_cases(corpus, &format!("goflow/{name}/{stem}.json"));
        let cases = cases.as_array().cloned().unwrap_or_default();
        for (i, case) in cases.iter().enumerate() {
            let outcome = std::panic::catch_unwind(|| run(case, &assets))
                .unwrap_or_else(|_| Err("engine panicked".to_owned()));
            table.record(format!("{stem}#{i}"), outcome);
        }
    }
    table
}

/// Replaces every UUID inside a text with `<uuid>`: the reference run's
/// UUIDs came from a seeded generator.
fn mask_uuids(text: &str) -> String {
    let re = regex::Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("valid regex");
    re.replace_all(text, "<uuid>").into_owned()
}

/// The fixture session the context tables evaluate in: the trigger, resumed
/// once, at the given time.
fn fixture_session(
    corpus: &Path,
    assets: &SessionAssets,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Session, String> {
    let trigger = Trigger::read(&load(corpus, "goflow/context_fixture/trigger.json"))?;
    let resume_value = Resume::read(&load(corpus, "goflow/context_fixture/resume.json"))?;
    let services = MockServices::new(&Value::Null, None);
    let (mut session, _) = start(assets, &services, trigger, fixed(now)).map_err(|e| e.to_string())?;
    resume(assets, &services, &mut session, resume_value, fixed(now)).map_err(|e| e.to_string())?;
    Ok(session)
}

/// Evaluates `template` as text in the first run of `session`.
fn evaluate_in(
    assets: &SessionAssets,
    session: &Session,
    now: chrono::DateTime<chrono::Utc>,
    template: &str,
) -> (String, Vec<String>) {
    let mut env = mhero::flow::session::environment_of(&session.environment, &session.contact).unwrap();
    env.fix_now(now);
    let ctx = mhero::flow::context::build(assets, session, 0, &env);
    mhero::flow::expressions::evaluate_template(template, &ctx, &env)
}

/// The reference context: the fixture's trigger, resumed once, evaluated
/// in the first run.
fn run_context(corpus: &Path) -> Table {
    let mut table = Table::new("run_context");
    let spec = load(corpus, "extracted/run_context.json");
    let now = clock(spec["now"].as_str().unwrap_or(TABLE_NOW));
    let assets = SessionAssets::from_value(load(corpus, "goflow/context_fixture/assets.json")).unwrap();
    let session = fixture_session(corpus, &assets, now);
    for case in spec["cases"].as_array().cloned().unwrap_or_default() {
        let template = case["template"].as_str().unwrap_or_default().to_owned();
        let want = case["expected"].as_str().unwrap_or_default();
        let outcome = match &session {
            Err(e) => Err(format!("session failed: {e}")),
            Ok(session) => {
                let (got, errors) = evaluate_in(&assets, session, now, &template);
                if mask_uuids(&got) == mask_uuids(want) {
                    Ok(())
                } else {
                    Err(format!("got {got:?} (errors {errors:?}) want {want:?}"))
                }
            }
        };
        table.record(template, outcome);
    }
    table
}

/// The documented examples that read the run context (the others are the
/// expressions engineer's `doc_examples` table).
fn doc_examples_context(corpus: &Path) -> Table {
    /// The clock the documentation examples were written against.
    const DOC_NOW: &str = "2018-04-11T18:24:30.123456Z";
    let mut table = Table::new("doc_examples_context");
    let docs = load(corpus, "extracted/doc_examples.json");
    let now = clock(DOC_NOW);
    let assets = SessionAssets::from_value(load(corpus, "goflow/context_fixture/assets.json")).unwrap();
    let session = fixture_session(corpus, &assets, now);
    for section in ["functions", "router_tests"] {
        for entry in docs[section].as_array().cloned().unwrap_or_default() {
            for example in entry["examples"].as_array().cloned().unwrap_or_default() {
                if example["uses_context"] != Value::Bool(true) {
                    continue;
                }
                let template = example["template"].as_str().unwrap_or_default().to_owned();
                let outcome = match &session {
                    Err(e) => Err(format!("session failed: {e}")),
                    Ok(session) => {
                        let (got, errors) = evaluate_in(&assets, session, now, &template);
                        match (
                            example["error"].as_bool().unwrap_or(false),
                            example["expected"].as_str(),
                        ) {
                            (true, _) if !errors.is_empty() => Ok(()),
                            (true, _) => Err(format!("no error; got {got:?}")),
                            (false, Some(want)) if got == want => Ok(()),
                            (false, want) => Err(format!("got {got:?} (errors {errors:?}) want {want:?}")),
                        }
                    }
                };
                table.record(template, outcome);
            }
        }
    }
    table
}
