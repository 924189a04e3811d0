//! How a waiting session continues: a reply (`msg`), a timeout
//! (`wait_timeout`), expiry (`run_expiration`) or the end of a dialled call
//! (`dial`). A resume may carry a refreshed contact and environment.

use serde::{Deserialize, Serialize};

use crate::flow::contact::Contact;
use crate::flow::events::MsgIn;

/// How a dialled call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dial {
    pub status: String,
    #[serde(default)]
    pub duration: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResumeKind {
    Msg { msg: MsgIn },
    WaitTimeout {},
    RunExpiration {},
    Dial { dial: Dial },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    #[serde(flatten)]
    pub kind: ResumeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_on: Option<String>,
}

impl Resume {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ResumeKind::Msg { .. } => "msg",
            ResumeKind::WaitTimeout {} => "wait_timeout",
            ResumeKind::RunExpiration {} => "run_expiration",
            ResumeKind::Dial { .. } => "dial",
        }
    }
}

impl Resume {
    /// Reads a resume, naming a missing required field as the reference
    /// engine does.
    pub fn read(raw: &serde_json::Value) -> Result<Resume, String> {
        let field = match raw.get("type").and_then(serde_json::Value::as_str) {
            Some("msg") => Some("msg"),
            Some("dial") => Some("dial"),
            _ => None,
        };
        if let Some(field) = field {
            if raw.get(field).is_none_or(serde_json::Value::is_null) {
                return Err(format!("field '{field}' is required"));
            }
        }
        serde_json::from_value(raw.clone()).map_err(|e| format!("unable to read resume: {e}"))
    }
}
