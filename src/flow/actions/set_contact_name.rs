//! `set_contact_name`: set (or clear) the contact's name.

use super::exec::Outcome;
use super::exec::MAX_FIELD_VALUE_CHARS;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactName {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
}

impl SetContactName {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let Some(name) = s.template_ok(&a.name) else {
            return Outcome::Continue;
        };
        let name: String = name.trim().chars().take(MAX_FIELD_VALUE_CHARS).collect();
        if s.session.contact.name != name {
            s.session.contact.name = name.clone();
            s.emit(EventKind::ContactNameChanged { name });
        }
        Outcome::Continue
    }
}
