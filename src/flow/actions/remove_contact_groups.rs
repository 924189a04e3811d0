//! `remove_contact_groups`: remove the contact from some or all groups.

use serde::{Deserialize, Serialize};

use crate::flow::assets::GroupRef;

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
