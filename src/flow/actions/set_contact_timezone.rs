//! `set_contact_timezone`: set (or clear) the contact's IANA timezone.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactTimezone {
    pub uuid: String,
    #[serde(default)]
    pub timezone: String,
}
