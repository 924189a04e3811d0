//! `start_session`: ask the host to start other contacts (or a new one) in
//! a flow (`session_triggered`, with this run's summary and ancestry).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::exec::Outcome;
use super::recipients;
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
    pub fn execute(&self, s: &mut Sprinter<'_>, flow: &Flow) -> Outcome {
        let Some(started) = s.assets.flow(&self.flow.uuid) else {
            s.error(format!(
                "missing dependency: flow[uuid={},name={}]",
                self.flow.uuid, self.flow.name
            ));
            return Outcome::Continue;
        };
        // Events name the flow as the assets do, not as the action does.
        let started = json!({"uuid": started.uuid, "name": started.name});
        let to = recipients::resolve(s, &self.recipients);
        if s.session.trigger.batch && (!to.groups.is_empty() || !to.contact_query.is_empty()) {
            s.error("can't start new sessions for groups or queries during batch starts");
            return Outcome::Continue;
        }
        if to.is_empty() && !self.create_contact {
            return Outcome::Continue;
        }
        let mut contact = serde_json::to_value(&s.session.contact).unwrap_or_default();
        if let Some(c) = contact.as_object_mut() {
            // Contacts the host has not stored yet have no id to show.
            if s.session.contact.id == 0 {
                c.remove("id");
            }
        }
        let run = s.run();
        let mut flow_ref = json!({"uuid": flow.uuid, "name": flow.name});
        // A flow reference shows its revision only when it has one.
        if flow.revision != 0 {
            flow_ref["revision"] = json!(flow.revision);
        }
        let run_summary = json!({
            "uuid": run.uuid,
            "flow": flow_ref,
            "contact": contact,
            "status": run.status.wire_name(),
            "results": run.results,
        });
        let since_input = u32::from(s.session.input.is_none());
        let mut event = json!({
            "type": "session_triggered",
            "flow": started,
            "exclusions": self.exclusions,
            "run_summary": run_summary,
            "history": {"parent_uuid": s.session.uuid, "ancestors": 1, "ancestors_since_input": since_input},
        });
        to.write_into(&mut event);
        if self.create_contact {
            event["create_contact"] = json!(true);
        }
        s.emit(EventKind::Service(event));
        Outcome::Continue
    }
}
