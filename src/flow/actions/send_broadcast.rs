//! `send_broadcast`: ask the host to send a message to other contacts.

use serde::{Deserialize, Serialize};

use super::exec::Outcome;
use crate::flow::assets::Recipients;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendBroadcast {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    #[serde(flatten)]
    pub recipients: Recipients,
}

impl SendBroadcast {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, flow: &Flow) -> Outcome {
        let a = self;
        let text = s.template(&a.text);
        let payload = serde_json::json!({
            "type": "broadcast_created",
            "translations": {flow.language.clone(): {"text": text, "attachments": a.attachments, "quick_replies": a.quick_replies}},
            "base_language": flow.language,
            "groups": a.recipients.groups,
            "contacts": a.recipients.contacts,
            "contact_query": a.recipients.contact_query,
            "urns": a.recipients.urns,
        });
        s.emit(EventKind::Service(payload));
        Outcome::Continue
    }
}
