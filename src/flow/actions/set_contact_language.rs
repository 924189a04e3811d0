//! `set_contact_language`: set (or clear) the contact's ISO-639-3 language.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactLanguage {
    pub uuid: String,
    #[serde(default)]
    pub language: String,
}
