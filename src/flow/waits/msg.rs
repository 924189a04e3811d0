//! `msg` wait: stop until the contact replies, or until the timeout.

use serde::{Deserialize, Serialize};

use super::Hint;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsgWait {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
}

/// After `seconds` without a reply the run routes to `category_uuid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeout {
    pub seconds: u32,
    pub category_uuid: String,
}
