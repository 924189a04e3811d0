//! `set_contact_name`: set (or clear) the contact's name.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactName {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
}
