//! `call_resthook`: call every subscriber of a resthook through `Services`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallResthook {
    pub uuid: String,
    pub resthook: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

impl CallResthook {
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_result_name(&self.result_name)
    }
}
