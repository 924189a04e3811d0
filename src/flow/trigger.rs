//! How a session starts: the trigger names the flow, the contact and the
//! environment, and says why (`manual`, `msg`, `flow_action`, `campaign`,
//! `channel`, …). This module must not know how the host matched it.

use serde::{Deserialize, Serialize};

use crate::flow::assets::FlowRef;
use crate::flow::contact::Contact;
use crate::flow::events::MsgIn;

/// A keyword that matched the trigger message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordMatch {
    #[serde(rename = "type")]
    pub match_type: String,
    pub keyword: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TriggerKind {
    Manual {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    Msg {
        msg: MsgIn,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keyword_match: Option<KeywordMatch>,
        /// Extra values the host passes in (`@trigger.params`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<serde_json::Value>,
    },
    FlowAction {
        run_summary: serde_json::Value,
    },
    Campaign {
        event: serde_json::Value,
    },
    Channel {
        event: serde_json::Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<serde_json::Value>,
    },
    Ticket {
        event: serde_json::Value,
    },
    Optin {
        event: serde_json::Value,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    #[serde(flatten)]
    pub kind: TriggerKind,
    pub flow: FlowRef,
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggered_on: Option<String>,
    /// Set when a batch start should not count the contact's input.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch: bool,
}

impl Trigger {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            TriggerKind::Manual { .. } => "manual",
            TriggerKind::Msg { .. } => "msg",
            TriggerKind::FlowAction { .. } => "flow_action",
            TriggerKind::Campaign { .. } => "campaign",
            TriggerKind::Channel { .. } => "channel",
            TriggerKind::Ticket { .. } => "ticket",
            TriggerKind::Optin { .. } => "optin",
        }
    }
}

fn missing(obj: &serde_json::Value, path: &str) -> bool {
    let mut v = obj;
    for part in path.split('.') {
        match v.get(part) {
            Some(next) => v = next,
            None => return true,
        }
    }
    v.is_null() || v.as_str() == Some("")
}

/// Fields each trigger type requires, in the order errors name them.
fn required_fields(trigger_type: &str) -> &'static [&'static str] {
    match trigger_type {
        "msg" => &["msg"],
        "campaign" | "channel" | "optin" => &["event"],
        "flow_action" => &["run_summary"],
        "ticket" => &["event.type", "event.ticket"],
        _ => &[],
    }
}

impl Trigger {
    /// Reads a trigger, naming every missing required field together the
    /// way the reference engine does.
    pub fn read(raw: &serde_json::Value) -> Result<Trigger, String> {
        let trigger_type = raw
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let mut problems: Vec<String> = ["flow", "contact"]
            .into_iter()
            .chain(required_fields(trigger_type).iter().copied())
            .filter(|f| missing(raw, f))
            .map(|f| format!("field '{f}' is required"))
            .collect();
        if raw.get("keyword_match").is_some_and(|k| !k.is_null()) && missing(raw, "keyword_match.type") {
            problems.push("field 'keyword_match.type' is required".to_owned());
        }
        if !problems.is_empty() {
            return Err(problems.join(", "));
        }
        serde_json::from_value(raw.clone()).map_err(|e| format!("unable to read trigger: {e}"))
    }
}
