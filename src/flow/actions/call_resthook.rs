//! `call_resthook`: POST the run's summary to every subscriber of a
//! resthook through `Services`, reporting `resthook_called` and one
//! `webhook_called` per subscriber.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use super::call_webhook::{make_call, save_call_result, CallStatus, Called};
use super::exec::Outcome;
use crate::flow::contact::Contact;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::services::HttpCall;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallResthook {
    pub uuid: String,
    pub resthook: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

impl CallResthook {
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_result_name(&self.result_name)
    }
}

/// A timestamp as payloads carry them: UTC, microseconds.
fn micros(text: &str) -> Json {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => Json::String(
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        Err(_) => Json::String(text.to_owned()),
    }
}

/// The message being handled, as payloads describe it.
fn input_json(s: &Sprinter<'_>, redact: bool) -> Json {
    let Some(msg) = &s.session.input else {
        return Json::Null;
    };
    let urn = msg.urn.as_deref().map(|u| {
        let bare = Contact::bare_urn(u);
        let (scheme, path) = bare.split_once(':').unwrap_or(("", bare));
        let display = if scheme == "tel" {
            phonenumber::parse(None, path)
                .map(|n| n.format().mode(phonenumber::Mode::National).to_string())
                .unwrap_or_else(|_| path.to_owned())
        } else {
            path.to_owned()
        };
        if redact {
            json!({"display": "********", "path": "********", "scheme": scheme})
        } else {
            json!({"display": display, "path": path, "scheme": scheme})
        }
    });
    let attachments: Vec<Json> = msg
        .attachments
        .iter()
        .map(|a| {
            let (content_type, url) = a.split_once(':').unwrap_or(("", a));
            json!({"content_type": content_type, "url": url})
        })
        .collect();
    let received = s.session.input_received_on.clone().unwrap_or_else(|| s.now());
    json!({
        "attachments": attachments,
        "channel": msg.channel,
        "created_on": micros(&received),
        "text": msg.text,
        "type": "msg",
        "urn": urn,
        "uuid": msg.uuid,
    })
}

/// The summary of the run subscribers receive.
fn payload(s: &mut Sprinter<'_>, flow: &Flow) -> Json {
    let redact = s.env.redaction_policy == crate::flow::expressions::env::RedactionPolicy::Urns;
    let contact = &s.session.contact;
    let urn = contact.urns.first().map(|u| {
        let bare = Contact::bare_urn(u);
        if redact {
            format!("{}:********", Contact::scheme(bare))
        } else {
            bare.to_owned()
        }
    });
    let contact = json!({
        "uuid": contact.uuid, "name": contact.name, "urn": urn, "language": contact.language,
    });
    let run = s.run();
    let path: Vec<Json> = run
        .path
        .iter()
        .map(|st| {
            json!({"arrived_on": micros(&st.arrived_on), "exit_uuid": st.exit_uuid.clone().unwrap_or_default(),
                   "node_uuid": st.node_uuid, "uuid": st.uuid})
        })
        .collect();
    let results: serde_json::Map<String, Json> = run
        .results
        .iter()
        .map(|(k, r)| {
            (
                k.clone(),
                json!({"name": r.name, "value": r.value, "category": r.category,
                       "node_uuid": r.node_uuid, "input": r.input, "created_on": micros(&r.created_on)}),
            )
        })
        .collect();
    let run_summary = json!({"uuid": run.uuid, "created_on": micros(&run.created_on)});
    let input = input_json(s, redact);
    let channel = input.get("channel").cloned().unwrap_or(Json::Null);
    json!({
        "channel": channel,
        "contact": contact,
        "flow": {"name": flow.name, "revision": flow.revision, "uuid": flow.uuid},
        "input": input,
        "path": path,
        "results": results,
        "run": run_summary,
    })
}

impl CallResthook {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, flow: &Flow) -> Outcome {
        let Some(resthook) = s.assets.resthook(&self.resthook).cloned() else {
            return Outcome::Continue;
        };
        let payload = payload(s, flow);
        s.emit(EventKind::Service(json!({
            "type": "resthook_called", "resthook": self.resthook, "payload": payload,
        })));
        let body = payload.to_string();
        let mut last_success: Option<Called> = None;
        let mut last_failure: Option<Called> = None;
        for url in &resthook.subscribers {
            let call = HttpCall {
                method: "POST".to_owned(),
                url: url.clone(),
                headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
                body: body.clone(),
            };
            let Some(called) = make_call(s, &call, Some(&self.resthook)) else {
                s.error("no webhook service configured");
                return Outcome::Continue;
            };
            match called.status {
                CallStatus::Success | CallStatus::SubscriberGone => {
                    if called.status == CallStatus::Success {
                        last_success = Some(called);
                    }
                }
                _ => last_failure = Some(called),
            }
        }
        let chosen = last_failure.or(last_success);
        if let Some(called) = &chosen {
            s.session.webhook = Some(called.webhook.clone());
        }
        if self.result_name.is_empty() {
            return Outcome::Continue;
        }
        match chosen {
            Some(called) => save_call_result(s, &self.result_name, &called, "POST"),
            None => {
                let node = s.current_node_uuid();
                s.save_result(
                    &self.result_name,
                    "no subscribers".to_owned(),
                    "Failure".to_owned(),
                    String::new(),
                    None,
                    None,
                    &node,
                );
            }
        }
        Outcome::Continue
    }
}
