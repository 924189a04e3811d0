//! The run context templates see: `@contact`, `@fields`, `@urns`, `@results`,
//! `@input`, `@run`, `@parent`, `@child`, `@node`, `@trigger`, `@resume`,
//! `@webhook`, `@locals`, `@globals`, built as an expressions `Object` from
//! the session. It must not change the session.

use chrono::DateTime;

use crate::flow::contact::{Contact, FieldValue};
use crate::flow::events::MsgIn;
use crate::flow::expressions::value::parse_decimal;
use crate::flow::expressions::{Environment, Object, Value};
use crate::flow::run::{result_key, Run, RunResult};
use crate::flow::session::Session;
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::TriggerKind;

fn text(s: &str) -> Value {
    Value::text(s)
}

fn datetime(s: Option<&str>, env: &Environment) -> Value {
    match s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
        Some(dt) => Value::DateTime(dt.with_timezone(&env.timezone)),
        None => Value::Null,
    }
}

/// A timestamp the engine recorded, in UTC as it was recorded (the
/// reference engine's JSON shows these with `Z`).
fn utc_datetime(s: Option<&str>) -> Value {
    match s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
        Some(dt) => Value::DateTime(dt.with_timezone(&chrono_tz::UTC)),
        None => Value::Null,
    }
}

/// A datetime field keeps the offset it was saved with (as the reference
/// engine does), when that offset is a whole number of hours.
fn stored_datetime(s: &str) -> Option<Value> {
    let dt = DateTime::parse_from_rfc3339(s).ok()?;
    let offset = dt.offset().local_minus_utc();
    let tz: chrono_tz::Tz = if offset % 3600 == 0 {
        // IANA's Etc zones count hours west of UTC, so the sign flips.
        let hours = -offset / 3600;
        let name = match hours {
            0 => "Etc/UTC".to_owned(),
            h if h > 0 => format!("Etc/GMT+{h}"),
            h => format!("Etc/GMT{h}"),
        };
        name.parse().ok()?
    } else {
        chrono_tz::UTC
    };
    Some(Value::DateTime(dt.with_timezone(&tz)))
}

fn field_value(assets: &SessionAssets, key: &str, v: &FieldValue) -> Value {
    let declared = assets.field(key).map(|f| f.value_type.as_str()).unwrap_or("text");
    let typed = match declared {
        "number" => v
            .number
            .as_ref()
            .and_then(|n| match n {
                serde_json::Value::Number(n) => parse_decimal(&n.to_string()),
                serde_json::Value::String(s) => parse_decimal(s),
                _ => None,
            })
            .map(Value::Number),
        "datetime" => v.datetime.as_deref().and_then(stored_datetime),
        "state" => v.state.as_deref().map(text),
        "district" => v.district.as_deref().map(text),
        "ward" => v.ward.as_deref().map(text),
        _ => None,
    };
    typed.unwrap_or_else(|| text(&v.text))
}

/// `@fields`: field key → typed value; renders as "Name: value" lines of
/// the fields that are set.
fn fields_object(assets: &SessionAssets, contact: &Contact, env: &Environment) -> Object {
    let mut lines: Vec<(String, String)> = contact
        .fields
        .iter()
        .map(|(k, v)| {
            let name = assets
                .field(k)
                .map(|f| f.name.clone())
                .unwrap_or_else(|| k.clone());
            (name, field_value(assets, k, v).to_text(env))
        })
        .collect();
    lines.sort();
    let rendered: Vec<String> = lines.into_iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let mut obj = Object::new();
    obj.set_default(Some(text(&rendered.join("\n"))));
    for f in &assets.fields {
        let v = contact
            .fields
            .get(&f.key)
            .map(|v| field_value(assets, &f.key, v))
            .unwrap_or(Value::Null);
        obj.insert(f.key.clone(), v);
    }
    for (k, v) in &contact.fields {
        if obj.get(k).is_none() {
            obj.insert(k.clone(), field_value(assets, k, v));
        }
    }
    obj
}

/// URN schemes `@urns` always has a key for (null when the contact has none).
const URN_SCHEMES: &[&str] = &[
    "discord",
    "ext",
    "facebook",
    "fcm",
    "freshchat",
    "instagram",
    "jiochat",
    "line",
    "mailto",
    "rocketchat",
    "slack",
    "tel",
    "telegram",
    "twitter",
    "twitterid",
    "viber",
    "vk",
    "webchat",
    "wechat",
    "whatsapp",
];

fn urns_object(contact: &Contact) -> Object {
    let mut obj = Object::new();
    for scheme in URN_SCHEMES {
        obj.insert(*scheme, Value::Null);
    }
    for urn in &contact.urns {
        let scheme = Contact::scheme(urn);
        if obj.get(scheme).is_none_or(Value::is_null) {
            obj.insert(scheme.to_owned(), text(Contact::bare_urn(urn)));
        }
    }
    obj
}

/// `@contact`: renders as the name, or the first URN's path without one.
pub fn contact_object(assets: &SessionAssets, contact: &Contact, env: &Environment) -> Object {
    let first_urn = contact
        .urns
        .first()
        .map(|u| Contact::bare_urn(u))
        .unwrap_or_default();
    let display = if contact.name.is_empty() {
        first_urn
            .split_once(':')
            .map(|(_, p)| p)
            .unwrap_or_default()
            .to_owned()
    } else {
        contact.name.clone()
    };
    let groups = contact
        .groups
        .iter()
        .map(|g| {
            Value::Object(Object::with_default(
                text(&g.name),
                vec![("uuid".into(), text(&g.uuid)), ("name".into(), text(&g.name))],
            ))
        })
        .collect();
    let urns = contact.urns.iter().map(|u| text(Contact::bare_urn(u))).collect();
    let channel = contact
        .urns
        .first()
        .and_then(|u| Contact::urn_channel(u))
        .and_then(|c| assets.channel(c))
        .map(|c| {
            Value::Object(Object::with_default(
                text(&c.name),
                vec![
                    ("uuid".into(), text(&c.uuid)),
                    ("name".into(), text(&c.name)),
                    ("address".into(), text(&c.address)),
                ],
            ))
        })
        .unwrap_or(Value::Null);
    let first_name = contact
        .name
        .split_whitespace()
        .next()
        .map(text)
        .unwrap_or(Value::Null);
    let opt = |s: &str| if s.is_empty() { Value::Null } else { text(s) };
    Object::with_default(
        text(&display),
        vec![
            ("uuid".into(), text(&contact.uuid)),
            ("id".into(), text(&contact.id.to_string())),
            ("name".into(), opt(&contact.name)),
            ("first_name".into(), first_name),
            ("language".into(), opt(&contact.language)),
            ("status".into(), text(&contact.status)),
            ("timezone".into(), opt(&contact.timezone)),
            ("created_on".into(), utc_datetime(contact.created_on.as_deref())),
            (
                "last_seen_on".into(),
                utc_datetime(contact.last_seen_on.as_deref()),
            ),
            ("urns".into(), Value::array(urns)),
            (
                "urn".into(),
                if first_urn.is_empty() {
                    Value::Null
                } else {
                    text(first_urn)
                },
            ),
            ("groups".into(), Value::array(groups)),
            (
                "fields".into(),
                Value::Object(fields_object(assets, contact, env)),
            ),
            ("channel".into(), channel),
            (
                "tickets".into(),
                Value::array(contact.ticket.iter().map(ticket_value).collect()),
            ),
        ],
    )
}

/// After a resume `@webhook` is recreated, as the reference engine does
/// for old flows, from the extra of the run's most recent result that has
/// one (a deprecated fallback: webhook results now carry it themselves).
pub fn webhook_from_results(run: &Run) -> Option<serde_json::Value> {
    run.results
        .values()
        .filter(|r| r.extra.is_some())
        .max_by(|a, b| a.created_on.cmp(&b.created_on))
        .and_then(|r| r.extra.as_ref())
        .map(crate::flow::run::RawJson::value)
}

/// A ticket as templates see it: uuid, topic and assignee (null if none).
pub fn ticket_value(t: &crate::flow::contact::Ticket) -> Value {
    let json = serde_json::json!({"uuid": t.uuid, "topic": t.topic, "assignee": t.assignee});
    Value::from_json(&json)
}

/// `@results`: result key → result object rendering as its value.
pub fn results_object(run: &Run, env: &Environment) -> Object {
    results_map_object(&run.results, env)
}

/// Results keyed by result key; timestamps render in UTC.
fn results_map_object(results: &std::collections::BTreeMap<String, RunResult>, env: &Environment) -> Object {
    let utc = Environment {
        timezone: chrono_tz::UTC,
        ..env.clone()
    };
    let mut obj = Object::new();
    for (key, r) in results {
        let extra = r
            .extra
            .as_ref()
            .map(|x| Value::from_json(&x.value()))
            .unwrap_or(Value::Null);
        let localized = if r.category_localized.is_empty() {
            &r.category
        } else {
            &r.category_localized
        };
        let one = |s: &str| Value::array(vec![text(s)]);
        let result = Object::with_default(
            text(&r.value),
            vec![
                ("name".into(), text(&r.name)),
                ("value".into(), text(&r.value)),
                ("values".into(), one(&r.value)),
                ("category".into(), text(&r.category)),
                ("categories".into(), one(&r.category)),
                ("category_localized".into(), text(localized)),
                ("categories_localized".into(), one(localized)),
                ("input".into(), text(r.input.as_deref().unwrap_or_default())),
                ("extra".into(), extra),
                ("node_uuid".into(), text(&r.node_uuid)),
                ("created_on".into(), datetime(Some(&r.created_on), &utc)),
            ],
        );
        obj.insert(key.clone(), Value::Object(result));
    }
    obj
}

/// `@run.flow`: the flow as the run knows it, with the revision it runs.
fn flow_object(assets: &SessionAssets, run: &Run) -> Value {
    let revision = assets.flow(&run.flow.uuid).map_or(0, |f| f.revision);
    Value::Object(Object::with_default(
        text(&run.flow.name),
        vec![
            ("uuid".into(), text(&run.flow.uuid)),
            ("name".into(), text(&run.flow.name)),
            ("revision".into(), Value::number(revision)),
        ],
    ))
}

/// `@run.path`: the steps taken, each with the exit it left by ("" while
/// the run is still at that node).
fn path_value(run: &Run, env: &Environment) -> Value {
    let utc = Environment {
        timezone: chrono_tz::UTC,
        ..env.clone()
    };
    let steps = run
        .path
        .iter()
        .map(|step| {
            Value::Object(Object::from_props(vec![
                ("uuid".into(), text(&step.uuid)),
                ("node_uuid".into(), text(&step.node_uuid)),
                (
                    "exit_uuid".into(),
                    text(step.exit_uuid.as_deref().unwrap_or_default()),
                ),
                ("arrived_on".into(), datetime(Some(&step.arrived_on), &utc)),
            ]))
        })
        .collect();
    Value::array(steps)
}

fn run_object(assets: &SessionAssets, session: &Session, run: &Run, env: &Environment) -> Object {
    let contact = contact_object(assets, &session.contact, env);
    Object::with_default(
        text(&format!("{}@{}", session.contact.name, run.flow.name)),
        vec![
            ("uuid".into(), text(&run.uuid)),
            ("contact".into(), Value::Object(contact)),
            ("flow".into(), flow_object(assets, run)),
            ("path".into(), path_value(run, env)),
            ("status".into(), text(run.status.wire_name())),
            ("results".into(), Value::Object(results_object(run, env))),
            ("created_on".into(), utc_datetime(Some(&run.created_on))),
            ("exited_on".into(), utc_datetime(run.exited_on.as_deref())),
        ],
    )
}

/// `@parent` / `@child`: a related run, rendering as "contact@flow".
fn related_object(assets: &SessionAssets, contact: &Contact, run: &Run, env: &Environment) -> Value {
    let flow_name = assets
        .flow(&run.flow.uuid)
        .map(|f| f.name.as_str())
        .unwrap_or(&run.flow.name);
    let flow = Value::Object(Object::with_default(
        text(flow_name),
        vec![
            ("uuid".into(), text(&run.flow.uuid)),
            ("name".into(), text(flow_name)),
        ],
    ));
    let status = text(run.status.wire_name());
    Value::Object(Object::with_default(
        text(&format!("{}@{}", contact.name, flow_name)),
        vec![
            ("uuid".into(), text(&run.uuid)),
            (
                "run".into(),
                Value::Object(Object::from_props(vec![("status".into(), status.clone())])),
            ),
            (
                "contact".into(),
                Value::Object(contact_object(assets, contact, env)),
            ),
            ("flow".into(), flow),
            (
                "fields".into(),
                Value::Object(fields_object(assets, contact, env)),
            ),
            ("urns".into(), Value::Object(urns_object(contact))),
            ("results".into(), Value::Object(results_object(run, env))),
            ("status".into(), status),
        ],
    ))
}

/// The run that started this session by a `flow_action` trigger, as a run.
fn trigger_parent(session: &Session) -> Option<(Contact, Run)> {
    let TriggerKind::FlowAction { run_summary } = &session.trigger.kind else {
        return None;
    };
    let contact: Contact = serde_json::from_value(run_summary.get("contact")?.clone()).ok()?;
    let mut summary = run_summary.clone();
    let obj = summary.as_object_mut()?;
    obj.remove("contact");
    let blank = || serde_json::Value::String(String::new());
    obj.entry("created_on").or_insert_with(blank);
    if let Some(serde_json::Value::Object(results)) = obj.get_mut("results") {
        for r in results.values_mut().filter_map(serde_json::Value::as_object_mut) {
            r.entry("node_uuid").or_insert_with(blank);
            r.entry("created_on").or_insert_with(blank);
        }
    }
    let run: Run = serde_json::from_value(summary).ok()?;
    Some((contact, run))
}

/// `@input`: renders as the text followed by attachments, one per line.
pub fn input_object(msg: &MsgIn, env: &Environment, received_on: Option<&str>) -> Value {
    let mut rendered = msg.text.clone();
    for a in &msg.attachments {
        if !rendered.is_empty() {
            rendered.push('\n');
        }
        rendered.push_str(a);
    }
    Value::Object(Object::with_default(
        text(&rendered),
        vec![
            ("uuid".into(), text(&msg.uuid)),
            ("created_on".into(), datetime(received_on, env)),
            (
                "channel".into(),
                msg.channel.as_ref().map(|c| text(&c.name)).unwrap_or(Value::Null),
            ),
            ("urn".into(), msg.urn.as_deref().map(text).unwrap_or(Value::Null)),
            ("text".into(), text(&msg.text)),
            (
                "attachments".into(),
                Value::array(msg.attachments.iter().map(|a| text(a)).collect()),
            ),
            (
                "external_id".into(),
                msg.external_id.as_deref().map(text).unwrap_or(Value::Null),
            ),
        ],
    ))
}

/// `@trigger`: why the session started.
pub fn trigger_object(session: &Session) -> Value {
    let t = &session.trigger;
    let mut params = Value::Object(Object::new());
    let mut keyword = text("");
    let mut user = Value::Null;
    let mut origin = text("");
    let mut campaign = Value::Null;
    let mut optin = Value::Null;
    let mut ticket = Value::Null;
    match &t.kind {
        TriggerKind::Manual {
            params: p,
            user: u,
            origin: o,
        } => {
            if let Some(p) = p {
                params = Value::from_json(p);
            }
            if let Some(u) = u {
                let name = u.get("name").and_then(|n| n.as_str()).unwrap_or_default();
                user = Value::Object(Object::with_default(
                    text(name),
                    vec![
                        (
                            "email".into(),
                            Value::from_json(u.get("email").unwrap_or(&serde_json::Value::Null)),
                        ),
                        ("name".into(), text(name)),
                        (
                            "first_name".into(),
                            text(name.split_whitespace().next().unwrap_or_default()),
                        ),
                    ],
                ));
            }
            if let Some(o) = o {
                origin = text(o);
            }
        }
        TriggerKind::Msg {
            keyword_match,
            params: msg_params,
            ..
        } => {
            if let Some(k) = keyword_match {
                keyword = text(&k.keyword);
            }
            if let Some(p) = msg_params {
                params = Value::from_json(p);
            }
        }
        TriggerKind::Campaign { event } => {
            campaign = event.get("campaign").map(Value::from_json).unwrap_or(Value::Null);
        }
        TriggerKind::Channel { params: Some(p), .. } => params = Value::from_json(p),
        TriggerKind::Optin { event } => {
            optin = event.get("optin").map(Value::from_json).unwrap_or(Value::Null)
        }
        TriggerKind::Ticket { event } => {
            ticket = event
                .get("ticket")
                .and_then(|t| serde_json::from_value::<crate::flow::contact::Ticket>(t.clone()).ok())
                .map(|t| ticket_value(&t))
                .unwrap_or(Value::Null)
        }
        _ => {}
    }
    Value::Object(Object::from_props(vec![
        ("type".into(), text(t.type_name())),
        ("params".into(), params),
        ("keyword".into(), keyword),
        ("user".into(), user),
        ("origin".into(), origin),
        ("campaign".into(), campaign),
        ("optin".into(), optin),
        ("ticket".into(), ticket),
    ]))
}

/// Builds the whole context for run `run_index` of `session`.
pub fn build(assets: &SessionAssets, session: &Session, run_index: usize, env: &Environment) -> Object {
    build_for(assets, session, run_index, env, &|_| true)
}

/// The top-level names of the run context, in the order they are built.
const CONTEXT_KEYS: [&str; 16] = [
    "contact",
    "fields",
    "urns",
    "results",
    "input",
    "run",
    "child",
    "parent",
    "node",
    "trigger",
    "resume",
    "webhook",
    "globals",
    "locals",
    "ticket",
    "legacy_extra",
];

/// The context for one template: a top-level entry the template does not
/// name cannot be seen by it, so only the ones `wanted` accepts are built
/// (building `@contact` and `@run` dominates the cost of a simple template).
pub fn build_for(
    assets: &SessionAssets,
    session: &Session,
    run_index: usize,
    env: &Environment,
    wanted: &dyn Fn(&str) -> bool,
) -> Object {
    let Some(run) = session.runs.get(run_index) else {
        return Object::new();
    };
    // Under a URN redaction policy templates see every URN's path masked.
    let redacted;
    let contact = if env.redaction_policy == crate::flow::expressions::env::RedactionPolicy::Urns {
        redacted = redact_urns(&session.contact);
        &redacted
    } else {
        &session.contact
    };
    let make = |key: &str| -> Value {
        match key {
            "contact" => Value::Object(contact_object(assets, contact, env)),
            "fields" => Value::Object(fields_object(assets, contact, env)),
            "urns" => Value::Object(urns_object(contact)),
            "results" => Value::Object(results_object(run, env)),
            "input" => match &session.input {
                Some(m) => input_object(m, env, session.input_received_on.as_deref()),
                None => Value::Null,
            },
            "run" => Value::Object(run_object(assets, session, run, env)),
            "child" => session
                .runs
                .iter()
                .rev()
                .find(|r| r.parent_uuid.as_deref() == Some(run.uuid.as_str()))
                .map(|c| related_object(assets, contact, c, env))
                .unwrap_or(Value::Null),
            "parent" => run
                .parent_uuid
                .as_deref()
                .and_then(|p| session.runs.iter().find(|r| r.uuid == p))
                .map(|p| related_object(assets, contact, p, env))
                .or_else(|| trigger_parent(session).map(|(c, r)| related_object(assets, &c, &r, env)))
                .unwrap_or(Value::Null),
            "node" => match run.path.last() {
                Some(step) => Value::Object(Object::from_props(vec![
                    ("uuid".into(), text(&step.node_uuid)),
                    (
                        "visit_count".into(),
                        Value::number(run.visits(&step.node_uuid) as i64),
                    ),
                ])),
                None => Value::Null,
            },
            "trigger" => trigger_object(session),
            "resume" => session
                .last_resume
                .as_ref()
                .map(Value::from_json)
                .unwrap_or(Value::Null),
            "webhook" => match &session.webhook {
                Some(webhook) => Value::from_json(webhook),
                None => webhook_from_results(run)
                    .map(|extra| Value::from_json(&serde_json::json!({ "json": extra })))
                    .unwrap_or(Value::Null),
            },
            "globals" => {
                let globals = assets
                    .globals
                    .iter()
                    .map(|g| (g.key.clone(), text(&g.value)))
                    .collect();
                Value::Object(Object::from_props(globals))
            }
            "locals" => Value::Object(Object::from_props(
                run.locals.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            )),
            "ticket" => Value::Null,
            "legacy_extra" => legacy_extra(session, run),
            _ => Value::Null,
        }
    };
    Object::from_props(
        CONTEXT_KEYS
            .iter()
            .filter(|key| wanted(key))
            .map(|key| ((*key).to_owned(), make(key)))
            .collect(),
    )
}

/// `@legacy_extra`: what old flows read as `@extra`: the trigger's params,
/// then, for each result with an extra (oldest first), the extra's text
/// under the result's key and its values (an array's by index) merged in,
/// the latest winning.
fn legacy_extra(session: &Session, run: &Run) -> Value {
    let mut results: Vec<&crate::flow::run::RunResult> = run.results.values().collect();
    results.sort_by(|a, b| a.created_on.cmp(&b.created_on));
    let mut merged = serde_json::Map::new();
    let params = match &session.trigger.kind {
        TriggerKind::Manual { params, .. } | TriggerKind::Channel { params, .. } => params.as_ref(),
        _ => None,
    };
    if let Some(serde_json::Value::Object(p)) = params {
        merged.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for r in results {
        let Some(extra) = &r.extra else {
            continue;
        };
        // Each result's extra as it came (text), then its values.
        merged.insert(
            result_key(&r.name),
            serde_json::Value::String(extra.text().to_owned()),
        );
        match extra.value() {
            serde_json::Value::Object(values) => merged.extend(values),
            serde_json::Value::Array(items) => {
                merged.extend(items.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)));
            }
            _ => {}
        }
    }
    Value::from_json(&serde_json::Value::Object(merged))
}

/// What a redacted URN's path reads as.
const REDACTED_PATH: &str = "********";

/// `contact` with each URN's path (and its parameters) masked.
fn redact_urns(contact: &Contact) -> Contact {
    let mut c = contact.clone();
    c.urns = c
        .urns
        .iter()
        .map(|u| format!("{}:{REDACTED_PATH}", Contact::scheme(u)))
        .collect();
    c
}
