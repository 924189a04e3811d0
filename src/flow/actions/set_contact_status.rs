//! `set_contact_status`: set the contact's status.

use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

/// The statuses a contact may have.
pub const CONTACT_STATUSES: &[&str] = &["active", "blocked", "stopped", "archived"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactStatus {
    pub uuid: String,
    pub status: String,
}

impl SetContactStatus {
    pub fn validate(&self) -> Result<(), String> {
        if CONTACT_STATUSES.contains(&self.status.as_str()) {
            Ok(())
        } else {
            Err("field 'status' is not a valid contact status".to_owned())
        }
    }
}

impl SetContactStatus {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        if s.session.contact.status != a.status {
            s.session.contact.status = a.status.clone();
            s.emit(EventKind::ContactStatusChanged {
                status: a.status.clone(),
            });
        }
        Outcome::Continue
    }
}
