//! `enter_flow`: start a child run in another flow; the parent waits for it.

use serde::{Deserialize, Serialize};

use super::exec::Outcome;
use crate::flow::assets::FlowRef;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterFlow {
    pub uuid: String,
    pub flow: FlowRef,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminal: bool,
}

impl EnterFlow {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, flow: &Flow) -> Outcome {
        let a = self;
        let Some(child) = s.assets.flow(&a.flow.uuid) else {
            s.fail(format!("no such flow with UUID '{}'", a.flow.uuid));
            return Outcome::Continue;
        };
        if child.flow_type != flow.flow_type {
            s.fail(format!(
                "can't enter flow[uuid={},name={}] of type {} from type {}",
                child.uuid,
                child.name,
                child.flow_type.wire_name(),
                flow.flow_type.wire_name()
            ));
            return Outcome::Continue;
        }
        let parent_run_uuid = s.run().uuid.clone();
        // Events name the flow as the assets do, not as the action does.
        let flow = s.assets.flow(&a.flow.uuid).map(|f| FlowRef {
            uuid: f.uuid.clone(),
            name: f.name.clone(),
        });
        s.emit(EventKind::FlowEntered {
            flow: flow.unwrap_or_else(|| a.flow.clone()),
            parent_run_uuid,
            terminal: a.terminal,
        });
        Outcome::EnterFlow {
            flow: a.flow.clone(),
            terminal: a.terminal,
        }
    }
}
