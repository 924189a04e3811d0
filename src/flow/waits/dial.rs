//! `dial` wait (voice only): connect the caller to another number and
//! stop until that call ends.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialWait {
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_limit_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_limit_seconds: Option<u32>,
}
