//! `add_contact_groups`: add the contact to groups.

use serde::{Deserialize, Serialize};

use crate::flow::assets::GroupRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddContactGroups {
    pub uuid: String,
    pub groups: Vec<GroupRef>,
}
