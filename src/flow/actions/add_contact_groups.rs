//! `add_contact_groups`: add the contact to groups.

use serde::{Deserialize, Serialize};

use super::exec::resolve_groups;
use super::exec::Outcome;
use crate::flow::assets::GroupRef;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddContactGroups {
    pub uuid: String,
    pub groups: Vec<GroupRef>,
}

impl AddContactGroups {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let mut added = Vec::new();
        for g in resolve_groups(s, &a.groups) {
            if s.assets.group(&g.uuid).is_some_and(|d| d.query.is_some()) {
                s.error(format!(
                    "can't add contacts to the query based group '{}'",
                    g.name
                ));
                continue;
            }
            if !s.session.contact.in_group(&g.uuid) {
                s.session.contact.groups.push(g.clone());
                added.push(g);
            }
        }
        if !added.is_empty() {
            s.emit(EventKind::ContactGroupsChanged {
                groups_added: added,
                groups_removed: Vec::new(),
            });
        }
        Outcome::Continue
    }
}
