//! `add_input_labels`: label the message that resumed the run.

use serde::{Deserialize, Serialize};

use super::exec::resolve_refs;
use super::exec::Outcome;
use crate::flow::assets::LabelRef;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddInputLabels {
    pub uuid: String,
    pub labels: Vec<LabelRef>,
}

impl AddInputLabels {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let Some(input) = s.session.input.clone() else {
            s.error("no input to add labels to");
            return Outcome::Continue;
        };
        let known = s.assets.labels.clone();
        let labels = resolve_refs(s, &a.labels, &known, "label");
        if !labels.is_empty() {
            s.emit(EventKind::InputLabelsAdded {
                input_uuid: input.uuid,
                labels,
            });
        }
        Outcome::Continue
    }
}
