//! `set_contact_status`: set the contact's status.

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
