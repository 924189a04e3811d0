//! `open_ticket`: open a support ticket through the host's `Services`.

use serde::{Deserialize, Serialize};

use crate::flow::assets::{NamedRef, UserRef};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTicket {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<NamedRef>,
    /// 14.2 renamed `body` to `note`; both are read.
    #[serde(default, alias = "note", skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserRef>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

impl OpenTicket {
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_result_name(&self.result_name)
    }
}
