//! `send_msg`: send a message to the contact.

use serde::{Deserialize, Serialize};

use crate::flow::assets::NamedRef;

/// Topics a message may be sent under (decides which channel rules apply).
pub const MSG_TOPICS: &[&str] = &["event", "account", "purchase", "agent"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendMsg {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_urns: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<NamedRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_variables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

impl SendMsg {
    pub fn validate(&self) -> Result<(), String> {
        match &self.topic {
            Some(t) if !t.is_empty() && !MSG_TOPICS.contains(&t.as_str()) => {
                Err("field 'topic' is not a valid message topic".to_owned())
            }
            _ => Ok(()),
        }
    }
}
