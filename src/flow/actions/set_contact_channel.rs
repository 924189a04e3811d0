//! `set_contact_channel`: make a channel the contact's preferred one.

use serde::{Deserialize, Serialize};

use crate::flow::assets::NamedRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactChannel {
    pub uuid: String,
    #[serde(default)]
    pub channel: Option<NamedRef>,
}
