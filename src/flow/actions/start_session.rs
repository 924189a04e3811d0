//! `start_session`: ask the host to start other contacts in a flow.

use serde::{Deserialize, Serialize};

use super::exec::Outcome;
use crate::flow::assets::{FlowRef, Recipients};
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Exclusions {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_a_flow: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartSession {
    pub uuid: String,
    pub flow: FlowRef,
    #[serde(flatten)]
    pub recipients: Recipients,
    #[serde(default)]
    pub exclusions: Exclusions,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_contact: bool,
}

impl StartSession {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let query = s.template(&a.recipients.contact_query);
        let payload = serde_json::json!({
            "type": "session_triggered",
            "flow": a.flow,
            "groups": a.recipients.groups,
            "contacts": a.recipients.contacts,
            "contact_query": query,
            "urns": a.recipients.urns,
            "exclusions": a.exclusions,
            "run_summary": {"uuid": s.run().uuid, "flow": s.run().flow, "status": "active"},
        });
        s.emit(EventKind::Service(payload));
        Outcome::Continue
    }
}
