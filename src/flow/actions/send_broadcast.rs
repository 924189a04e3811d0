//! `send_broadcast`: ask the host to send a message to other contacts.

use serde::{Deserialize, Serialize};

use crate::flow::assets::Recipients;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendBroadcast {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    #[serde(flatten)]
    pub recipients: Recipients,
}
