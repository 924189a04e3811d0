//! `request_optin`: ask the contact to opt in to a channel's messages.

use serde::{Deserialize, Serialize};

use crate::flow::assets::NamedRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestOptin {
    pub uuid: String,
    pub optin: NamedRef,
}
