//! `call_webhook`: call an HTTP endpoint through the host's `Services`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallWebhook {
    pub uuid: String,
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

/// An HTTP header name is an RFC 7230 token.
fn is_header_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl CallWebhook {
    pub fn validate(&self) -> Result<(), String> {
        for name in self.headers.keys() {
            if !is_header_token(name) {
                return Err(format!("header '{name}' is not a valid HTTP header"));
            }
        }
        super::check_optional_result_name(&self.result_name)
    }
}
