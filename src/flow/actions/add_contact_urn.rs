//! `add_contact_urn`: add a URN (scheme + templated path) to the contact.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddContactUrn {
    pub uuid: String,
    pub scheme: String,
    pub path: String,
}
