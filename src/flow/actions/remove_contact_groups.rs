//! `remove_contact_groups`: remove the contact from some or all groups.

use serde::{Deserialize, Serialize};

use super::exec::resolve_groups;
use super::exec::Outcome;
use crate::flow::assets::GroupRef;
use crate::flow::assets::NamedRef;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveContactGroups {
    pub uuid: String,
    #[serde(default)]
    pub groups: Vec<GroupRef>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_groups: bool,
}

impl RemoveContactGroups {
    pub fn validate(&self) -> Result<(), String> {
        if self.all_groups && !self.groups.is_empty() {
            return Err("can't specify specific groups when all_groups=true".to_owned());
        }
        Ok(())
    }
}

impl RemoveContactGroups {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let targets: Vec<NamedRef> = if a.all_groups {
            // Every group, reported in the workspace's order of groups.
            let mut all = s.session.contact.groups.clone();
            let rank = |g: &NamedRef| {
                s.assets
                    .groups
                    .iter()
                    .position(|d| d.uuid == g.uuid)
                    .unwrap_or(usize::MAX)
            };
            all.sort_by_key(rank);
            all
        } else {
            resolve_groups(s, &a.groups)
        };
        let mut removed = Vec::new();
        for g in targets {
            if s.assets.group(&g.uuid).is_some_and(|d| d.query.is_some()) {
                if !a.all_groups {
                    s.error(format!(
                        "can't remove contacts from the query based group '{}'",
                        g.name
                    ));
                }
                continue;
            }
            if s.session.contact.in_group(&g.uuid) {
                s.session.contact.groups.retain(|x| x.uuid != g.uuid);
                removed.push(g);
            }
        }
        if !removed.is_empty() {
            s.emit(EventKind::ContactGroupsChanged {
                groups_added: Vec::new(),
                groups_removed: removed,
            });
        }
        Outcome::Continue
    }
}
