//! `set_contact_field`: set (or, with an empty value, clear) a contact field.

use serde::{Deserialize, Serialize};

use crate::flow::assets::FieldRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactField {
    pub uuid: String,
    pub field: FieldRef,
    #[serde(default)]
    pub value: String,
}
