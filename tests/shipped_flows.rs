//! The flows we ship in `flows/`: every export there loads and validates
//! cleanly; ours are complete spec 13 exports (editor layout for every node,
//! declared fields, triggers and campaign); every flow there has a French,
//! Swahili and Portuguese translation of every message, quick reply,
//! prompt, category and localized case, within the SMS budget; each runs in
//! each of the four languages; templates read well when a field is empty;
//! and a scripted conversation through the pure engine pins the messages,
//! results and contact changes of each, including the re-ask paths, French,
//! Swahili, Portuguese, and the case report's wait timeout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use mhero::core::segments::{self, Encoding};
use mhero::flow::definition::export::Export;
use mhero::flow::events::{Event, EventKind, MsgIn};
use mhero::flow::resume::{Resume, ResumeKind};
use mhero::flow::services::NoServices;
use mhero::flow::session::{self, Session, SessionStatus};
use mhero::flow::session_assets::SessionAssets;
use mhero::flow::trigger::Trigger;

const HR_UPDATE: &str = "flows/hr_update.json";
const HR_UPDATE_UUID: &str = "0246ad54-71c1-4ec0-af8c-06b8644bbd07";
const CASE_REPORT: &str = "flows/case_report.json";
const CASE_REPORT_UUID: &str = "575b7daa-1caa-4618-95b5-88f222c88e5f";
const TRAINING_QUIZ: &str = "flows/training_quiz.json";
const TRAINING_QUIZ_UUID: &str = "80d7a3cd-e0a8-46b3-aa1e-57af9cf6b993";
const MINISTRY_POLL: &str = "flows/ministry_poll.json";
const MINISTRY_POLL_UUID: &str = "670d39df-5677-497c-931b-161f63220fc5";

/// The exports this file owns; they get the full editor and translation checks.
const SHIPPED: [&str; 4] = [HR_UPDATE, CASE_REPORT, TRAINING_QUIZ, MINISTRY_POLL];

/// Node types RapidPro's editor knows for messaging flows.
const UI_NODE_TYPES: [&str; 6] = [
    "execute_actions",
    "wait_for_response",
    "split_by_expression",
    "split_by_contact_field",
    "split_by_run_result",
    "split_by_random",
];

/// No message we ship costs a health worker's programme more than two SMS
/// when it fits the GSM 03.38 alphabet (English, French, Swahili do).
const MAX_GSM_SEGMENTS: u32 = 2;
/// Correct Portuguese needs ã, õ, ç, á, ê, which GSM 03.38 lacks (and we
/// send no national language shift tables), so its texts go as UCS-2 at 67
/// characters a segment: they may take one segment more.
const MAX_UCS2_SEGMENTS: u32 = 3;

/// The flows' base language and its translations.
const LANGUAGES: [&str; 4] = ["eng", "fra", "swa", "por"];
/// Every language must be written in the GSM alphabet except these.
const UCS2_LANGUAGES: [&str; 1] = ["por"];

/// The contact's own number (Cameroon, a bilingual country).
const URN: &str = "tel:+237670000001";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn raw(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo(path)).unwrap()).unwrap()
}

fn assets(path: &str) -> SessionAssets {
    let assets = SessionAssets::from_value(raw(path)).unwrap();
    assert!(assets.broken.is_empty(), "{path}: {:?}", assets.broken);
    assets
}

/// A fixed clock so results that hold a time are repeatable.
fn clock() -> std::sync::Arc<dyn mhero::flow::clock::Clock> {
    mhero::flow::clock::fixed(Utc.with_ymd_and_hms(2025, 3, 10, 8, 0, 0).unwrap())
}

fn contact(language: &str, fields: Value) -> Value {
    json!({
        "uuid": "6a3c0d52-8f4e-4b1a-9c2d-7e5f3a1b0c9d", "name": "Grace Achu", "language": language,
        "urns": [URN], "fields": fields
    })
}

fn environment() -> Value {
    json!({"allowed_languages": LANGUAGES, "default_country": "CM", "timezone": "Africa/Douala"})
}

fn msg_in(text: &str) -> MsgIn {
    MsgIn {
        uuid: "5e0b8f4c-1d2a-4c3b-8e9f-0a1b2c3d4e5f".into(),
        urn: Some(URN.into()),
        text: text.into(),
        ..MsgIn::default()
    }
}

fn resume(kind: ResumeKind) -> Resume {
    Resume {
        kind,
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

/// One contact's conversation with a flow, driven through `start` / `resume`.
struct Chat {
    assets: SessionAssets,
    session: Session,
    events: Vec<Event>,
}

impl Chat {
    /// Starts `flow_uuid` from a manual trigger (a flow start or campaign).
    fn manual(path: &str, flow_uuid: &str, contact: Value) -> (Chat, Vec<String>) {
        Chat::start(
            path,
            json!({"type": "manual", "flow": {"uuid": flow_uuid, "name": ""}, "contact": contact}),
        )
    }

    /// Starts `flow_uuid` from an inbound message that matched `keyword`.
    fn keyword(
        path: &str,
        flow_uuid: &str,
        contact: Value,
        text: &str,
        keyword: &str,
    ) -> (Chat, Vec<String>) {
        Chat::start(
            path,
            json!({
                "type": "msg", "msg": msg_in(text),
                "keyword_match": {"type": "first_word", "keyword": keyword},
                "flow": {"uuid": flow_uuid, "name": ""}, "contact": contact
            }),
        )
    }

    fn start(path: &str, mut trigger: Value) -> (Chat, Vec<String>) {
        trigger["environment"] = environment();
        let trigger: Trigger = serde_json::from_value(trigger).unwrap();
        let assets = assets(path);
        let (session, events) = session::start(&assets, &NoServices, trigger, clock()).unwrap();
        assert_no_errors(&events);
        let sent = texts(&events);
        (
            Chat {
                assets,
                session,
                events,
            },
            sent,
        )
    }

    fn resume(&mut self, kind: ResumeKind) -> Vec<String> {
        assert_eq!(
            self.session.status,
            SessionStatus::Waiting,
            "the flow should be waiting"
        );
        // The host persists a waiting session and reads it back for the
        // reply, possibly after a restart: every step goes through JSON.
        let stored = serde_json::to_string(&self.session).unwrap();
        self.session = serde_json::from_str(&stored).unwrap();
        let events = session::resume(
            &self.assets,
            &NoServices,
            &mut self.session,
            resume(kind),
            clock(),
        )
        .unwrap();
        assert_no_errors(&events);
        let sent = texts(&events);
        self.events.extend(events);
        sent
    }

    /// The contact replies `text`; returns what the flow sends back.
    fn say(&mut self, text: &str) -> Vec<String> {
        self.resume(ResumeKind::Msg { msg: msg_in(text) })
    }

    /// The wait times out; returns what the flow sends.
    fn time_out(&mut self) -> Vec<String> {
        self.resume(ResumeKind::WaitTimeout {})
    }

    /// A result's value and category (in the flow's base language).
    fn result(&self, key: &str) -> (String, String) {
        let r = self.session.runs[0]
            .results
            .get(key)
            .unwrap_or_else(|| panic!("no result {key}"));
        (r.value.clone(), r.category.clone())
    }

    fn result_keys(&self) -> BTreeSet<String> {
        self.session.runs[0].results.keys().cloned().collect()
    }

    fn category_localized(&self, key: &str) -> String {
        self.session.runs[0].results[key].category_localized.clone()
    }

    /// Every `contact_field_changed` of the conversation, in order.
    fn field_changes(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ContactFieldChanged { field, value } => Some((
                    field.key.clone(),
                    value.as_ref().map(|v| v.text.clone()).unwrap_or_default(),
                )),
                _ => None,
            })
            .collect()
    }

    fn urn_changes(&self) -> Vec<Vec<String>> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ContactUrnsChanged { urns } => Some(urns.clone()),
                _ => None,
            })
            .collect()
    }

    fn is_completed(&self) -> bool {
        self.session.status == SessionStatus::Completed
    }
}

fn assert_no_errors(events: &[Event]) {
    for e in events {
        assert!(
            !matches!(e.kind, EventKind::Error { .. } | EventKind::Failure { .. }),
            "{e:?}"
        );
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn pair(value: &str, category: &str) -> (String, String) {
    (value.to_owned(), category.to_owned())
}

// --- every export ----------------------------------------------------------

#[test]
fn every_export_under_flows_loads_and_validates_without_problems() {
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(repo("flows")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let export = Export::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            export.problems.is_empty(),
            "{}: {:?}",
            path.display(),
            export.problems
        );
        assert!(!export.flows.is_empty(), "{} has no flows", path.display());
        let assets = SessionAssets::from_value(serde_json::from_str(&text).unwrap()).unwrap();
        assert!(
            assets.broken.is_empty(),
            "{}: {:?}",
            path.display(),
            assets.broken
        );
        seen.insert(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    for shipped in SHIPPED {
        let name = Path::new(shipped)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(seen.contains(&name), "{shipped} is missing");
    }
}

/// What a translation must cover: the UUID and property of every send_msg
/// and say_msg text (and its quick replies, and a say_msg's recording),
/// every category, every set_run_result that sets a category, and the
/// arguments of every case that some language localizes.
fn translatable(flow: &Value) -> (Vec<(String, &'static str)>, usize) {
    let mut items = Vec::new();
    let nodes = flow["nodes"].as_array().unwrap();
    let localized = |uuid: &str, property: &str| {
        flow["localization"]
            .as_object()
            .into_iter()
            .flat_map(|l| l.values())
            .any(|entries| entries[uuid].get(property).is_some())
    };
    for node in nodes {
        for action in node["actions"].as_array().into_iter().flatten() {
            let uuid = action["uuid"].as_str().unwrap().to_owned();
            match action["type"].as_str().unwrap() {
                "send_msg" | "say_msg" => {
                    items.push((uuid.clone(), "text"));
                    if action["quick_replies"].as_array().is_some_and(|q| !q.is_empty()) {
                        items.push((uuid.clone(), "quick_replies"));
                    }
                    if action["audio_url"].as_str().is_some_and(|a| !a.is_empty()) {
                        items.push((uuid, "audio_url"));
                    }
                }
                "set_run_result" if action["category"].as_str().is_some_and(|c| !c.is_empty()) => {
                    items.push((uuid, "category"))
                }
                _ => {}
            }
        }
        for case in node["router"]["cases"].as_array().into_iter().flatten() {
            let uuid = case["uuid"].as_str().unwrap();
            if localized(uuid, "arguments") {
                items.push((uuid.to_owned(), "arguments"));
            }
        }
        for category in node["router"]["categories"].as_array().into_iter().flatten() {
            items.push((category["uuid"].as_str().unwrap().to_owned(), "name"));
        }
    }
    (items, nodes.len())
}

/// The base action a translation belongs to.
fn action<'a>(flow: &'a Value, uuid: &str) -> Option<&'a Value> {
    flow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["actions"].as_array().into_iter().flatten())
        .find(|a| a["uuid"] == uuid)
}

/// Every export under `flows/`, by file name.
fn every_export() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo("flows")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((
                name,
                raw(&format!("flows/{}", path.file_name().unwrap().to_string_lossy())),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_flow_has_every_text_in_french_swahili_and_portuguese_within_the_sms_budget() {
    for (file, export) in every_export() {
        for flow in export["flows"].as_array().unwrap() {
            let name = flow["name"].as_str().unwrap();
            assert_eq!(flow["language"], "eng", "{file}: {name}");
            let localization = flow["localization"].as_object().unwrap();
            let (items, _) = translatable(flow);
            assert!(!items.is_empty(), "{name}");
            for language in &LANGUAGES[1..] {
                let translation = localization
                    .get(*language)
                    .unwrap_or_else(|| panic!("{name}: no {language} localization"));
                for (uuid, property) in &items {
                    let values = translation[uuid.as_str()][*property]
                        .as_array()
                        .unwrap_or_else(|| panic!("{name}: no {language} {property} for {uuid}"));
                    assert!(
                        !values.is_empty()
                            && values
                                .iter()
                                .all(|v| v.as_str().is_some_and(|t| !t.trim().is_empty())),
                        "{name}: empty {language} {property} for {uuid}"
                    );
                    if *property == "quick_replies" {
                        let base = action(flow, uuid).unwrap()["quick_replies"].as_array().unwrap();
                        assert_eq!(
                            values.len(),
                            base.len(),
                            "{name}: {language} quick replies of {uuid}"
                        );
                    }
                    if *property == "audio_url" {
                        let base = action(flow, uuid).unwrap()["audio_url"].as_str().unwrap();
                        assert_eq!(values[0], base, "{name}: {language} prompt of {uuid}");
                    }
                }
            }
            if let Some(ui) = flow["_ui"]["languages"].as_array() {
                let listed: Vec<&str> = ui
                    .iter()
                    .flat_map(|l| l.as_object().unwrap().keys().map(String::as_str))
                    .collect();
                assert_eq!(listed, LANGUAGES, "{name}: editor languages");
            }

            // Each text stays within what it may cost (and a template's own
            // length bounds what it renders to, bar the fields it inserts).
            for node in flow["nodes"].as_array().unwrap() {
                for action in node["actions"].as_array().into_iter().flatten() {
                    if action["type"] != "send_msg" {
                        continue;
                    }
                    let uuid = action["uuid"].as_str().unwrap();
                    for language in LANGUAGES {
                        let text = match language {
                            "eng" => action["text"].as_str().unwrap(),
                            other => localization[other][uuid]["text"][0].as_str().unwrap(),
                        };
                        let (encoding, count) = segments::count(text);
                        let limit = match encoding {
                            Encoding::Gsm7 => MAX_GSM_SEGMENTS,
                            Encoding::Ucs2 => {
                                assert!(
                                    UCS2_LANGUAGES.contains(&language),
                                    "{name}: not GSM 03.38 ({language}): {text}"
                                );
                                MAX_UCS2_SEGMENTS
                            }
                        };
                        assert!(count <= limit, "{name}: {count} segments ({language}): {text}");
                    }
                }
            }
        }
    }
}

#[test]
fn shipped_exports_are_complete_for_rapidpro() {
    for path in SHIPPED {
        let export = raw(path);
        assert_eq!(export["version"], "13", "{path}");
        for key in ["site", "flows", "campaigns", "triggers", "fields", "groups"] {
            assert!(export.get(key).is_some(), "{path} lacks '{key}'");
        }
        let flows = export["flows"].as_array().unwrap();
        let flow_uuids: BTreeSet<&str> = flows.iter().map(|f| f["uuid"].as_str().unwrap()).collect();
        let field_keys: BTreeSet<&str> = export["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap())
            .collect();
        for flow in flows {
            let name = flow["name"].as_str().unwrap();
            assert!(
                flow["spec_version"].as_str().unwrap().starts_with("13."),
                "{name}"
            );
            assert_eq!(flow["language"], "eng", "{name}");
            assert_eq!(flow["type"], "messaging", "{name}");

            // The editor needs a position and a known type for every node, and nothing else.
            let ui = flow["_ui"]["nodes"]
                .as_object()
                .unwrap_or_else(|| panic!("{name} has no _ui"));
            let node_uuids: BTreeSet<&str> = flow["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["uuid"].as_str().unwrap())
                .collect();
            let ui_uuids: BTreeSet<&str> = ui.keys().map(String::as_str).collect();
            // The editor takes the top-most (then left-most) node as the entry.
            let at = |uuid: &str| {
                let p = &ui[uuid]["position"];
                (p["top"].as_i64().unwrap(), p["left"].as_i64().unwrap())
            };
            let entry = flow["nodes"][0]["uuid"].as_str().unwrap();
            assert!(
                node_uuids.iter().all(|n| at(entry) <= at(n)),
                "{name}: entry node is not top-left"
            );
            assert_eq!(node_uuids, ui_uuids, "{name}: _ui nodes differ from nodes");
            for node in flow["nodes"].as_array().unwrap() {
                let entry = &ui[node["uuid"].as_str().unwrap()];
                assert!(entry["position"]["left"].is_number() && entry["position"]["top"].is_number());
                let ui_type = entry["type"].as_str().unwrap();
                assert!(UI_NODE_TYPES.contains(&ui_type), "{name}: editor type {ui_type}");
                let wait = node["router"].get("wait").is_some();
                assert_eq!(ui_type == "wait_for_response", wait, "{name}: {entry}");
                assert_eq!(
                    ui_type == "execute_actions",
                    node.get("router").is_none(),
                    "{name}: {entry}"
                );
                for action in node["actions"].as_array().into_iter().flatten() {
                    if action["type"] == "set_contact_field" {
                        let key = action["field"]["key"].as_str().unwrap();
                        assert!(field_keys.contains(key), "{name}: field {key} is not declared");
                    }
                }
            }

            // Every contact field a template reads is declared by the export.
            let text = flow["nodes"].to_string();
            for (i, _) in text.match_indices("fields.") {
                let key: String = text[i + "fields.".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    field_keys.contains(key.as_str()),
                    "{name}: @fields.{key} is not declared"
                );
            }

            // Translations and their cost: see
            // every_flow_has_every_text_in_french_swahili_and_portuguese_within_the_sms_budget.
        }
        for trigger in export["triggers"].as_array().unwrap() {
            assert_eq!(trigger["trigger_type"], "K", "{path}");
            assert!(
                flow_uuids.contains(trigger["flow"]["uuid"].as_str().unwrap()),
                "{path}"
            );
            for k in trigger["keywords"].as_array().unwrap() {
                let k = k.as_str().unwrap();
                assert!(
                    k.len() <= 16 && k.chars().all(|c| c.is_ascii_lowercase()),
                    "{path}: keyword {k}"
                );
            }
        }
    }
}

// --- every flow in every language ---------------------------------------------

const VOICE_QUIZ: &str = "flows/voice_quiz.json";
const VOICE_QUIZ_UUID: &str = "5f1c7a3e-6d0b-4d7a-9a43-2b1f9c8e7d10";
const CHECKIN: &str = "flows/health_worker_checkin.json";
const CHECKIN_UUID: &str = "4b3c9a52-6f1e-4d8a-9b7c-2e5f1a0d3c11";

/// "Yes" as a health worker writes it in each language.
fn yes(language: &str) -> &'static str {
    match language {
        "fra" => "oui",
        "swa" => "ndiyo",
        "por" => "sim",
        _ => "yes",
    }
}

/// The texts a flow said (SMS or voice prompts), each with the language it
/// was written in.
fn said(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::MsgCreated { msg } | EventKind::IvrCreated { msg } => Some((
                msg.locale
                    .as_deref()
                    .and_then(|l| l.split('-').next())
                    .unwrap_or_default()
                    .to_owned(),
                msg.text.clone(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn every_flow_runs_to_its_end_in_each_language() {
    // (export, flow, answers in each language, result key, category it gives)
    type Script = (
        &'static str,
        &'static str,
        fn(&str) -> Vec<String>,
        &'static str,
        &'static str,
    );
    let scripts: [Script; 6] = [
        (
            HR_UPDATE,
            HR_UPDATE_UUID,
            |l| vec![yes(l).into(); 3],
            "phone",
            "Confirmed",
        ),
        (
            CASE_REPORT,
            CASE_REPORT_UUID,
            |l| {
                let (disease, same) = match l {
                    "fra" => ("choléra", "même"),
                    "swa" => ("kipindupindu", "hapa"),
                    "por" => ("cólera", "mesma"),
                    _ => ("cholera", "same"),
                };
                strings(&[disease, "3", same])
            },
            "location",
            "Facility",
        ),
        (
            TRAINING_QUIZ,
            TRAINING_QUIZ_UUID,
            |_| strings(&["2", "1", "3", "2", "1"]),
            "q5",
            "Correct",
        ),
        (
            MINISTRY_POLL,
            MINISTRY_POLL_UUID,
            |l| vec![yes(l).into()],
            "stock",
            "Yes",
        ),
        (
            CHECKIN,
            CHECKIN_UUID,
            |l| vec![yes(l).into(), "5".into()],
            "cases",
            "Count",
        ),
        (
            VOICE_QUIZ,
            VOICE_QUIZ_UUID,
            |_| strings(&["1", "3"]),
            "question_2",
            "Correct",
        ),
    ];
    for (path, uuid, answers, key, category) in scripts {
        for language in LANGUAGES {
            let (mut chat, _) = Chat::manual(path, uuid, contact(language, worker_fields()));
            for answer in answers(language) {
                chat.say(&answer);
            }
            let heard = said(&chat.events);
            assert!(chat.is_completed(), "{path} [{language}] did not finish");
            assert!(!heard.is_empty(), "{path} [{language}] said nothing");
            for (written_in, text) in &heard {
                assert_eq!(written_in, language, "{path}: {text}");
                assert!(!text.contains("()") && !text.contains(" ."), "{path}: {text}");
            }
            assert_eq!(chat.result(key).1, category, "{path} [{language}]");
        }
    }
}

#[test]
fn templates_read_well_when_the_fields_they_show_are_empty() {
    // A worker with no name and no facility on record.
    for language in LANGUAGES {
        let nobody = json!({
            "uuid": "6a3c0d52-8f4e-4b1a-9c2d-7e5f3a1b0c9d", "name": "", "language": language,
            "urns": [URN], "fields": {}
        });
        let (mut case, _) = Chat::keyword(CASE_REPORT, CASE_REPORT_UUID, nobody.clone(), "CASE", "case");
        case.say("ebola");
        let asked = case.say("1");
        let (mut checkin, first) = Chat::manual(CHECKIN, CHECKIN_UUID, nobody.clone());
        checkin.say(yes(language));
        let thanks = checkin.say("2");
        let (_, hello) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, nobody);
        for text in [&asked[0], &first[0], &thanks[0], &hello[0]] {
            for leftover in ["()", " .", " ,", "  ", "@"] {
                assert!(!text.contains(leftover), "[{language}] {leftover:?} in {text}");
            }
            // French sets a space before "!"; the others must not.
            assert!(language == "fra" || !text.contains(" !"), "[{language}] {text}");
        }
        if language == "eng" {
            assert_eq!(
                asked[0],
                "Where were the cases seen? Send the name of the village or facility."
            );
            assert_eq!(first[0], "Hello! Any fever cases this week? (yes/no)");
            assert_eq!(thanks[0], "Thank you, 2 cases recorded.");
            assert!(
                hello[0].starts_with("Hello. We have no facility on record for you."),
                "{hello:?}"
            );
        }
        if language == "fra" {
            // French puts a space before "!" and "?"; nothing else is left over.
            assert_eq!(
                asked[0],
                "Où les cas ont-ils été vus ? Envoyez le nom du village ou de la formation sanitaire."
            );
            assert_eq!(
                first[0],
                "Bonjour ! Avez-vous des cas de fièvre cette semaine ? (oui/non)"
            );
            assert_eq!(thanks[0], "Merci, 2 cas enregistrés.");
        }
    }
}

/// The keywords of an export's triggers, each with the flow it starts.
fn keywords(path: &str) -> Vec<(String, String)> {
    let export = Export::parse(&std::fs::read_to_string(repo(path)).unwrap()).unwrap();
    export
        .triggers
        .iter()
        .flat_map(|t| {
            let flow = t.flow.as_ref().map(|f| f.uuid.clone()).unwrap_or_default();
            t.all_keywords().into_iter().map(move |k| (k, flow.clone()))
        })
        .collect()
}

#[test]
fn keyword_triggers_start_the_shipped_flows() {
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, f)| ((*k).to_owned(), (*f).to_owned()))
            .collect()
    };
    assert_eq!(keywords(HR_UPDATE), pairs(&[("hr", HR_UPDATE_UUID)]));
    assert_eq!(keywords(CASE_REPORT), pairs(&[("case", CASE_REPORT_UUID)]));
    assert_eq!(
        keywords(TRAINING_QUIZ),
        pairs(&[("quiz", TRAINING_QUIZ_UUID), ("learn", TRAINING_QUIZ_UUID)])
    );
    assert!(
        keywords(MINISTRY_POLL).is_empty(),
        "the poll is started, not texted"
    );
}

// --- HR update ---------------------------------------------------------------

fn worker_fields() -> Value {
    json!({"facility": {"text": "Bamenda District Hospital"}, "cadre": {"text": "Nurse"}})
}

#[test]
fn hr_update_corrects_facility_cadre_and_phone() {
    let (mut chat, sent) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("eng", worker_fields()));
    assert_eq!(
        sent,
        strings(&[
            "Hello Grace. Our records show your facility as: Bamenda District Hospital. \
                   Reply YES if this is correct or send the new facility name."
        ])
    );
    assert_eq!(
        chat.say("Mbengwi Health Centre"),
        strings(&[
            "Our records show your cadre as: Nurse. Reply YES if this is correct or send your \
                   cadre: Midwife, Nurse, Clinical Officer, Doctor or Community Health Worker."
        ])
    );
    assert_eq!(chat.result("facility"), pair("Mbengwi Health Centre", "Changed"));

    // An unknown cadre is asked again.
    assert_eq!(
        chat.say("surgeon"),
        strings(&[
            "Sorry, we did not recognise that cadre. Please reply Midwife, Nurse, Clinical \
                   Officer, Doctor or Community Health Worker."
        ])
    );
    assert_eq!(
        chat.say("I am a midwife"),
        strings(&[
            "Your phone number on record is 6 70 00 00 01. Reply YES if it is correct or send \
                   your new number."
        ])
    );
    assert_eq!(chat.result("cadre"), pair("midwife", "Midwife"));

    // Not a number: asked again; a local number is read as Cameroonian.
    assert_eq!(
        chat.say("call me"),
        strings(&[
            "Sorry, that is not a valid phone number. Reply YES or send your new number \
                   starting with + and the country code."
        ])
    );
    assert_eq!(
        chat.say("677 12 34 56"),
        strings(&["Thank you! Your record is up to date: Mbengwi Health Centre, Midwife, +237677123456."])
    );
    assert_eq!(chat.result("phone"), pair("+237677123456", "New Number"));
    assert!(chat.is_completed());
    assert_eq!(
        chat.field_changes(),
        vec![
            pair("facility", "Mbengwi Health Centre"),
            pair("cadre", "Midwife"),
            pair("phone_confirmed", "+237677123456"),
        ]
    );
    assert_eq!(chat.urn_changes(), vec![strings(&[URN, "tel:+237677123456"])]);
    assert_eq!(
        chat.session.contact.fields["facility"].text,
        "Mbengwi Health Centre"
    );
    assert_eq!(
        chat.result_keys(),
        ["cadre", "facility", "phone"].map(String::from).into()
    );
}

#[test]
fn hr_update_asks_a_worker_with_nothing_on_record() {
    let (mut chat, sent) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("eng", json!({})));
    assert_eq!(
        sent,
        strings(&[
            "Hello Grace. We have no facility on record for you. Please send the name of \
                   the health facility where you work."
        ])
    );
    assert_eq!(
        chat.say("Bali Health Centre"),
        strings(&[
            "We have no cadre on record for you. Please send your cadre: Midwife, Nurse, \
                   Clinical Officer, Doctor or Community Health Worker."
        ])
    );
    let sent = chat.say("CHW");
    assert!(sent[0].starts_with("Your phone number on record is"), "{sent:?}");
    chat.say("yes");
    assert_eq!(
        chat.field_changes(),
        vec![
            pair("facility", "Bali Health Centre"),
            pair("cadre", "Community Health Worker"),
            pair("phone_confirmed", "+237670000001"),
        ]
    );
    assert_eq!(chat.result("cadre"), pair("CHW", "Community Health Worker"));
}

#[test]
fn hr_update_in_french_confirms_everything_and_changes_no_record() {
    let fields =
        json!({"facility": {"text": "Hôpital de district de Bafoussam"}, "cadre": {"text": "Médecin"}});
    let (mut chat, sent) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("fra", fields));
    assert_eq!(
        sent,
        strings(&[
            "Bonjour Grace. Selon nos registres, votre formation sanitaire est : Hôpital de \
                   district de Bafoussam. Répondez OUI si c'est correct ou envoyez le nom de la \
                   nouvelle formation sanitaire."
        ])
    );
    assert_eq!(
        chat.say("Oui"),
        strings(&[
            "Selon nos registres, votre profil est : Médecin. Répondez OUI si c'est correct ou \
                   envoyez votre profil : Sage-femme, Infirmier, Assistant médical, Médecin ou Agent \
                   de santé communautaire."
        ])
    );
    assert_eq!(
        chat.say("oui"),
        strings(&[
            "Votre numéro enregistré est 6 70 00 00 01. Répondez OUI s'il est correct ou \
                   envoyez votre nouveau numéro."
        ])
    );
    assert_eq!(
        chat.say("OUI"),
        strings(&[
            "Merci ! Votre dossier est à jour : Hôpital de district de Bafoussam, Médecin, \
                   +237670000001."
        ])
    );
    assert_eq!(
        chat.result("facility"),
        pair("Hôpital de district de Bafoussam", "Confirmed")
    );
    assert_eq!(chat.result("cadre"), pair("Médecin", "Confirmed"));
    assert_eq!(chat.result("phone"), pair("+237670000001", "Confirmed"));
    assert_eq!(chat.category_localized("phone"), "Confirmé");
    // Only the confirmation is recorded; facility and cadre stay as they were.
    assert_eq!(
        chat.field_changes(),
        vec![pair("phone_confirmed", "+237670000001")]
    );
    assert!(chat.urn_changes().is_empty());
}

#[test]
fn hr_update_keeps_a_cadre_it_does_not_know_after_asking_twice() {
    let (mut chat, _) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("fra", worker_fields()));
    chat.say("oui");
    assert_eq!(
        chat.say("pharmacien"),
        strings(&[
            "Désolé, nous n'avons pas reconnu ce profil. Veuillez répondre Sage-femme, \
                   Infirmier, Assistant médical, Médecin ou Agent de santé communautaire."
        ])
    );
    let sent = chat.say("Pharmacien");
    assert!(sent[0].starts_with("Votre numéro enregistré est"), "{sent:?}");
    assert_eq!(chat.result("cadre"), pair("Pharmacien", "Other"));
    assert_eq!(chat.category_localized("cadre"), "Autre");
    assert_eq!(chat.session.contact.fields["cadre"].text, "Pharmacien");

    // A French answer saves the cadre's English name.
    let (mut chat, _) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("fra", worker_fields()));
    chat.say("oui");
    chat.say("agent de santé communautaire");
    assert_eq!(chat.result("cadre").1, "Community Health Worker");
    assert_eq!(chat.category_localized("cadre"), "Agent de santé communautaire");
    assert_eq!(
        chat.session.contact.fields["cadre"].text,
        "Community Health Worker"
    );
}

// --- case report ---------------------------------------------------------------

fn start_case_report(language: &str, fields: Value) -> (Chat, Vec<String>) {
    Chat::keyword(
        CASE_REPORT,
        CASE_REPORT_UUID,
        contact(language, fields),
        "CASE",
        "case",
    )
}

const ASK_DISEASE: &str = "Case report. Which disease? Reply MALARIA, CHOLERA, MEASLES, EBOLA or OTHER.";
const REASK_DISEASE: &str = "Please reply with one of: MALARIA, CHOLERA, MEASLES, EBOLA or OTHER.";

#[test]
fn case_report_validates_each_answer_and_uses_the_facility_for_same() {
    let (mut chat, sent) = start_case_report("eng", worker_fields());
    assert_eq!(sent, strings(&[ASK_DISEASE]));
    assert_eq!(chat.say("dengue"), strings(&[REASK_DISEASE]));
    assert_eq!(
        chat.say("Cholera"),
        strings(&["How many cases of Cholera? Reply with a number."])
    );
    let reask = "Please send the number of cases as a figure between 0 and 10000, for example 3.";
    assert_eq!(chat.say("many"), strings(&[reask]));
    assert_eq!(chat.say("12000"), strings(&[reask]));
    assert_eq!(
        chat.say("7 cases"),
        strings(&[
            "Where were the cases seen? Reply SAME for your facility (Bamenda District \
                   Hospital) or send the name of the village or facility."
        ])
    );
    assert_eq!(
        chat.say("same"),
        strings(&["Thank you. 7 case(s) of Cholera reported at Bamenda District Hospital."])
    );
    assert!(chat.is_completed());
    assert_eq!(chat.result("disease"), pair("Cholera", "Cholera"));
    assert_eq!(chat.result("case_count"), pair("7", "Count"));
    assert_eq!(
        chat.result("location"),
        pair("Bamenda District Hospital", "Facility")
    );
    assert_eq!(
        chat.result_keys(),
        ["case_count", "disease", "location"].map(String::from).into()
    );
    assert!(chat.field_changes().is_empty());
}

#[test]
fn case_report_gives_up_after_two_reasks_and_records_other() {
    let (mut chat, _) = start_case_report("eng", worker_fields());
    assert_eq!(chat.say("dengue"), strings(&[REASK_DISEASE]));
    assert_eq!(chat.say("yellow fever"), strings(&[REASK_DISEASE]));
    assert_eq!(
        chat.say("mpox"),
        strings(&["How many cases of Other? Reply with a number."])
    );
    assert_eq!(chat.result("disease"), pair("mpox", "Other"));
    chat.say("0");
    assert_eq!(
        chat.say("Ndop village"),
        strings(&["Thank you. 0 case(s) of Other reported at Ndop village."])
    );
    assert_eq!(chat.result("location"), pair("Ndop village", "Place"));
    assert_eq!(chat.result("case_count"), pair("0", "Count"));
}

#[test]
fn case_report_reminds_once_when_the_first_question_times_out() {
    let (mut chat, _) = start_case_report("eng", worker_fields());
    assert_eq!(chat.session.wait.as_ref().unwrap().timeout_seconds, Some(3600));
    assert_eq!(
        chat.time_out(),
        strings(&[
            "Reminder: you started a case report. Which disease? Reply MALARIA, CHOLERA, \
                   MEASLES, EBOLA or OTHER."
        ])
    );
    // A timed-out result holds when it timed out.
    assert_eq!(
        chat.result("disease"),
        pair("2025-03-10T08:00:00.000000Z", "No Response")
    );
    assert_eq!(chat.session.wait.as_ref().unwrap().timeout_seconds, Some(3600));
    assert_eq!(
        chat.say("measles"),
        strings(&["How many cases of Measles? Reply with a number."])
    );
    assert_eq!(chat.result("disease"), pair("measles", "Measles"));

    // A second silence closes the report.
    let (mut chat, _) = start_case_report("eng", worker_fields());
    chat.time_out();
    assert_eq!(
        chat.time_out(),
        strings(&["No reply was received, so this case report was closed. Text CASE to start again."])
    );
    assert!(chat.is_completed());
}

#[test]
fn case_report_in_french_and_same_without_a_facility_on_record() {
    let (mut chat, sent) = start_case_report("fra", json!({}));
    assert_eq!(
        sent,
        strings(&[
            "Déclaration de cas. Quelle maladie ? Répondez PALUDISME, CHOLERA, ROUGEOLE, EBOLA ou AUTRE."
        ])
    );
    assert_eq!(
        chat.say("palu"),
        strings(&["Combien de cas de Paludisme ? Répondez avec un nombre."])
    );
    assert_eq!(chat.result("disease"), pair("palu", "Malaria"));
    assert_eq!(chat.category_localized("disease"), "Paludisme");
    chat.say("3");
    assert_eq!(
        chat.say("MÊME"),
        strings(&[
            "Nous n'avons pas de formation sanitaire enregistrée pour vous. Veuillez envoyer \
                   le nom du lieu où les cas ont été vus."
        ])
    );
    assert_eq!(
        chat.say("Marché de Foumban"),
        strings(&["Merci. 3 cas de Paludisme signalé(s) à Marché de Foumban."])
    );
    assert_eq!(chat.result("location"), pair("Marché de Foumban", "Place"));
    assert_eq!(chat.category_localized("location"), "Lieu");
}

// --- training quiz ---------------------------------------------------------------

const REASK_ANSWER: &str = "Please reply 1, 2 or 3 (or A, B or C).";

#[test]
fn training_quiz_gives_feedback_reasks_once_and_scores() {
    let (mut chat, sent) = Chat::manual(TRAINING_QUIZ, TRAINING_QUIZ_UUID, contact("eng", json!({})));
    assert_eq!(
        sent,
        strings(&[
            "Malaria case management quiz: 5 questions. Reply with the number of your answer \
             (1, 2 or 3; A, B or C also work).",
            "Q1 of 5: A patient has fever. What should you do before giving malaria treatment?\n\
             1) Treat without testing\n2) Test with an RDT or microscopy\n3) Wait three days",
        ])
    );
    // Right: feedback, then the next question.
    let sent = chat.say("2");
    assert_eq!(
        sent[0],
        "Correct! Always confirm malaria with an RDT or microscopy before treating."
    );
    assert!(sent[1].starts_with("Q2 of 5:"), "{sent:?}");
    // Wrong, by letter: the right answer is given.
    let sent = chat.say("b");
    assert_eq!(
        sent[0],
        "Not quite. The right answer is 1) an ACT such as artemether-lumefantrine."
    );
    assert!(sent[1].starts_with("Q3 of 5:"), "{sent:?}");
    // Unrecognised, then right.
    assert_eq!(chat.say("convulsions maybe"), strings(&[REASK_ANSWER]));
    let sent = chat.say("C)");
    assert!(sent[0].starts_with("Correct! Convulsions"), "{sent:?}");
    // Unrecognised twice: the right answer is given and the question counts as Other.
    assert_eq!(chat.say("1 2 3"), strings(&[REASK_ANSWER]));
    let sent = chat.say("dunno");
    assert_eq!(
        sent[0],
        "Not quite. The right answer is 2) rectal artesunate, then refer the child immediately."
    );
    assert!(sent[1].starts_with("Q5 of 5:"), "{sent:?}");
    let sent = chat.say("A");
    assert_eq!(
        sent,
        strings(&[
            "Correct! Twice a day for 3 days, with food or milk, and finish every dose.",
            "You scored 3 out of 5. Text LEARN to take the quiz again.",
        ])
    );
    assert!(chat.is_completed());
    assert_eq!(chat.result("q1"), pair("2", "Correct"));
    assert_eq!(chat.result("q2"), pair("b", "Incorrect"));
    assert_eq!(chat.result("q3"), pair("C", "Correct"));
    assert_eq!(chat.result("q4"), pair("dunno", "Other"));
    assert_eq!(chat.result("q5"), pair("A", "Correct"));
    assert_eq!(chat.result("score").0, "3");
    assert_eq!(
        chat.result_keys(),
        ["q1", "q2", "q3", "q4", "q5", "score"].map(String::from).into()
    );
}

#[test]
fn training_quiz_in_french_all_right_scores_five() {
    let (mut chat, sent) = Chat::manual(TRAINING_QUIZ, TRAINING_QUIZ_UUID, contact("fra", json!({})));
    assert!(
        sent[0].starts_with("Quiz sur la prise en charge du paludisme"),
        "{sent:?}"
    );
    assert!(sent[1].starts_with("Q1 sur 5 :"), "{sent:?}");
    for answer in ["2", "a", "3", "B"] {
        let sent = chat.say(answer);
        assert!(sent[0].starts_with("Bonne réponse !"), "{answer}: {sent:?}");
    }
    let sent = chat.say("1");
    assert_eq!(
        sent[1],
        "Vous avez obtenu 5 sur 5. Envoyez LEARN pour refaire le quiz."
    );
    assert_eq!(chat.result("score").0, "5");
    assert_eq!(chat.result("q2"), pair("a", "Correct"));
    assert_eq!(chat.category_localized("q2"), "Bonne réponse");
}

#[test]
fn training_quiz_replays_from_the_learn_keyword() {
    let (mut chat, sent) = Chat::keyword(
        TRAINING_QUIZ,
        TRAINING_QUIZ_UUID,
        contact("eng", json!({})),
        "learn",
        "learn",
    );
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].starts_with("Q1 of 5:"),
        "the keyword is not taken as an answer: {sent:?}"
    );
    // Every answer wrong (the right ones are 2, 1, 3, 2, 1).
    for answer in ["1", "2", "1", "1", "2"] {
        assert!(chat.say(answer)[0].starts_with("Not quite."));
    }
    assert_eq!(chat.result("score").0, "0");
}

#[test]
fn training_quiz_campaign_follows_up_at_day_offsets() {
    let export = Export::parse(&std::fs::read_to_string(repo(TRAINING_QUIZ)).unwrap()).unwrap();
    let group = export
        .groups
        .iter()
        .find(|g| g.name == "Trained Health Workers")
        .expect("group declared");
    assert_eq!(group.query, None);
    let field = export
        .fields
        .iter()
        .find(|f| f.key == "training_date")
        .expect("field declared");
    assert_eq!(field.value_type, "datetime");

    assert_eq!(export.campaigns.len(), 1);
    let campaign = &export.campaigns[0];
    assert_eq!(campaign.name, "Malaria Training Follow-up");
    assert_eq!(campaign.group.uuid.as_deref(), Some(group.uuid.as_str()));
    let offsets: Vec<i64> = campaign
        .events
        .iter()
        .map(|e| e["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, vec![1, 3, 7, 14, 30]);
    let mut event_uuids = BTreeSet::new();
    for event in &campaign.events {
        assert!(event_uuids.insert(event["uuid"].as_str().unwrap().to_owned()));
        assert_eq!(event["unit"], "D");
        assert_eq!(event["event_type"], "F");
        assert_eq!(event["delivery_hour"], 9);
        assert_eq!(event["start_mode"], "I");
        assert_eq!(
            event["relative_to"],
            json!({"key": "training_date", "label": "Training Date"})
        );
        assert_eq!(
            event["flow"],
            json!({"uuid": TRAINING_QUIZ_UUID, "name": "Training Quiz"})
        );
        assert!(event["message"].is_null());
        assert_eq!(event["base_language"], "eng");
    }
}

// --- ministry poll ---------------------------------------------------------------

#[test]
fn ministry_poll_records_yes_no_and_other_with_a_reply_for_each() {
    let answers = [
        ("Yes we do", "Yes", "Yes", "Thank you. We have recorded that you have enough malaria test kits this month."),
        ("n", "n", "No", "Thank you. We have recorded that you need more malaria test kits; the district health team will follow up."),
        ("some", "some", "Other", "Thank you for your reply. We could not read it as YES or NO, so a district officer may contact you to confirm."),
    ];
    for (reply, value, category, thanks) in answers {
        let (mut chat, sent) = Chat::manual(MINISTRY_POLL, MINISTRY_POLL_UUID, contact("eng", json!({})));
        assert_eq!(
            sent,
            strings(&["Do you have enough malaria test kits this month? Reply YES or NO"])
        );
        let replies: Vec<String> = chat
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::MsgCreated { msg } => {
                    Some(msg.quick_replies.iter().map(|q| q.text.clone()).collect())
                }
                _ => None,
            })
            .next()
            .unwrap_or_default();
        assert_eq!(replies, strings(&["Yes", "No"]));
        assert_eq!(chat.say(reply), strings(&[thanks]));
        assert_eq!(chat.result("stock"), pair(value, category));
        assert!(chat.is_completed());
        assert_eq!(chat.result_keys(), ["stock"].map(String::from).into());
    }
}

#[test]
fn ministry_poll_in_french() {
    let (mut chat, sent) = Chat::manual(MINISTRY_POLL, MINISTRY_POLL_UUID, contact("fra", json!({})));
    assert_eq!(
        sent,
        strings(&[
            "Avez-vous assez de tests de diagnostic rapide du paludisme ce mois-ci ? Répondez OUI ou NON"
        ])
    );
    assert_eq!(
        chat.say("Non"),
        strings(&[
            "Merci. Nous avons noté qu'il vous manque des tests de diagnostic rapide du \
                   paludisme ; l'équipe cadre de district fera le suivi."
        ])
    );
    assert_eq!(chat.result("stock"), pair("Non", "No"));
    assert_eq!(chat.category_localized("stock"), "Non");
}

// --- Swahili and Portuguese ---------------------------------------------------

#[test]
fn case_report_in_swahili_and_portuguese() {
    let (mut chat, sent) = start_case_report("swa", worker_fields());
    assert_eq!(
        sent,
        strings(&["Ripoti ya wagonjwa. Ugonjwa gani? Jibu MALARIA, KIPINDUPINDU, SURUA, EBOLA au NYINGINE."])
    );
    assert_eq!(
        chat.say("Kipindupindu"),
        strings(&["Wagonjwa wangapi wa Kipindupindu? Jibu kwa namba."])
    );
    assert_eq!(chat.result("disease"), pair("Kipindupindu", "Cholera"));
    assert_eq!(chat.category_localized("disease"), "Kipindupindu");
    assert_eq!(
        chat.say("4"),
        strings(&[
            "Wagonjwa walionekana wapi? Jibu HAPA kama ni kituo chako (Bamenda District Hospital) \
             au tuma jina la kijiji au kituo cha afya."
        ])
    );
    assert_eq!(
        chat.say("hapa"),
        strings(&["Asante. Wagonjwa 4 wa Kipindupindu wameripotiwa katika Bamenda District Hospital."])
    );
    assert_eq!(chat.category_localized("location"), "Kituo cha afya");

    let (mut chat, sent) = start_case_report("por", worker_fields());
    assert_eq!(
        sent,
        strings(&["Notificação de casos. Que doença? Responda MALARIA, COLERA, SARAMPO, EBOLA ou OUTRA."])
    );
    assert_eq!(
        chat.say("sarampo"),
        strings(&["Quantos casos de Sarampo? Responda com um número."])
    );
    assert_eq!(chat.result("disease"), pair("sarampo", "Measles"));
    assert_eq!(
        chat.say("2"),
        strings(&[
            "Onde foram vistos os casos? Responda MESMA para a sua unidade sanitária (Bamenda \
             District Hospital) ou envie o nome da aldeia ou da unidade sanitária."
        ])
    );
    assert_eq!(
        chat.say("Aldeia de Chókwè"),
        strings(&["Obrigado. 2 caso(s) de Sarampo notificado(s) em Aldeia de Chókwè."])
    );
    assert_eq!(chat.result("location"), pair("Aldeia de Chókwè", "Place"));
    assert_eq!(chat.category_localized("location"), "Local");
}

#[test]
fn hr_update_in_swahili_and_portuguese() {
    let (mut chat, sent) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("swa", worker_fields()));
    assert_eq!(
        sent,
        strings(&[
            "Habari Grace. Kumbukumbu zetu zinaonyesha kituo chako ni: Bamenda District Hospital. \
             Jibu NDIYO kama ni sahihi au tuma jina la kituo kipya."
        ])
    );
    assert_eq!(
        chat.say("Ndiyo"),
        strings(&[
            "Kumbukumbu zetu zinaonyesha kada yako ni: Nurse. Jibu NDIYO kama ni sahihi au tuma \
             kada yako: Mkunga, Muuguzi, Tabibu, Daktari au Mhudumu wa Afya ya Jamii."
        ])
    );
    assert_eq!(
        chat.say("mimi ni mkunga"),
        strings(&[
            "Namba yako ya simu kwenye kumbukumbu ni 6 70 00 00 01. Jibu NDIYO kama ni sahihi au \
             tuma namba yako mpya."
        ])
    );
    assert_eq!(chat.result("cadre"), pair("mkunga", "Midwife"));
    assert_eq!(chat.category_localized("cadre"), "Mkunga");
    assert_eq!(
        chat.say("ndio"),
        strings(&[
            "Asante! Kumbukumbu zako zimesasishwa: Bamenda District Hospital, Midwife, +237670000001."
        ])
    );
    assert_eq!(chat.category_localized("facility"), "Imethibitishwa");

    let (mut chat, sent) = Chat::manual(HR_UPDATE, HR_UPDATE_UUID, contact("por", worker_fields()));
    assert!(sent[0].starts_with("Olá Grace. Nos nossos registos"), "{sent:?}");
    chat.say("Sim");
    let sent = chat.say("enfermeira");
    assert!(
        sent[0].starts_with("O seu número de telefone registado é"),
        "{sent:?}"
    );
    assert_eq!(chat.result("cadre").1, "Nurse");
    assert_eq!(chat.category_localized("cadre"), "Enfermeiro");
    assert_eq!(
        chat.say("sim"),
        strings(&[
            "Obrigado! O seu registo está atualizado: Bamenda District Hospital, Nurse, +237670000001."
        ])
    );
    assert_eq!(chat.category_localized("phone"), "Confirmado");
}

#[test]
fn training_quiz_and_poll_in_swahili_and_portuguese() {
    let (mut chat, sent) = Chat::manual(TRAINING_QUIZ, TRAINING_QUIZ_UUID, contact("swa", json!({})));
    assert!(
        sent[0].starts_with("Jaribio la matibabu ya malaria: maswali 5."),
        "{sent:?}"
    );
    assert!(sent[1].starts_with("S1 kati ya 5:"), "{sent:?}");
    assert_eq!(
        chat.say("sijui"),
        strings(&["Tafadhali jibu 1, 2 au 3 (au A, B au C)."])
    );
    let sent = chat.say("2");
    assert!(sent[0].starts_with("Sahihi!"), "{sent:?}");
    for answer in ["b", "1", "1"] {
        assert!(chat.say(answer)[0].starts_with("Si sahihi."));
    }
    assert_eq!(
        chat.say("A")[1],
        "Umepata 2 kati ya 5. Tuma LEARN kufanya jaribio tena."
    );
    assert_eq!(chat.category_localized("q2"), "Si sahihi");

    let (mut chat, sent) = Chat::manual(TRAINING_QUIZ, TRAINING_QUIZ_UUID, contact("por", json!({})));
    assert!(sent[1].starts_with("P1 de 5: Um doente tem febre."), "{sent:?}");
    for answer in ["2", "a", "3", "B"] {
        assert!(chat.say(answer)[0].starts_with("Correto!"), "{answer}");
    }
    assert_eq!(
        chat.say("1")[1],
        "Obteve 5 em 5. Envie LEARN para repetir o questionário."
    );

    let (mut chat, sent) = Chat::manual(MINISTRY_POLL, MINISTRY_POLL_UUID, contact("swa", json!({})));
    assert_eq!(
        sent,
        strings(&["Je, una vipimo vya kutosha vya malaria mwezi huu? Jibu NDIYO au HAPANA"])
    );
    assert_eq!(
        chat.say("Hapana"),
        strings(&[
            "Asante. Tumerekodi kwamba unahitaji vipimo zaidi vya malaria; timu ya afya ya wilaya \
             itafuatilia."
        ])
    );
    assert_eq!(chat.result("stock"), pair("Hapana", "No"));

    let (mut chat, _) = Chat::manual(MINISTRY_POLL, MINISTRY_POLL_UUID, contact("por", json!({})));
    let replies: Vec<String> = chat
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::MsgCreated { msg } => Some(msg.quick_replies.iter().map(|q| q.text.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(replies, strings(&["Sim", "Não"]));
    assert_eq!(
        chat.say("não"),
        strings(&[
            "Obrigado. Registámos que precisa de mais testes rápidos de malária; a equipa distrital \
             de saúde vai dar seguimento."
        ])
    );
    assert_eq!(chat.category_localized("stock"), "Não");
}
