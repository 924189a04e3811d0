//! `call_webhook`: call an HTTP endpoint through the host's `Services`.

use std::collections::BTreeMap;

use super::exec::Outcome;
use super::exec::MAX_WEBHOOK_URL_LEN;
use crate::flow::definition::Flow;
use crate::flow::services::HttpCall;
use crate::flow::sprint::Sprinter;
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

impl CallWebhook {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let url = s.template(&a.url).trim().to_owned();
        if url.is_empty() {
            s.error("webhook URL evaluated to empty string");
            return Outcome::Continue;
        }
        let lower = url.to_ascii_lowercase();
        let has_scheme = lower.starts_with("http://") || lower.starts_with("https://");
        if !has_scheme || url.len() > MAX_WEBHOOK_URL_LEN {
            s.error(format!("webhook URL evaluated to an invalid URL: '{url}'"));
            return Outcome::Continue;
        }
        let body = s.template(&a.body);
        let headers = a
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), s.template(v)))
            .collect();
        let call = HttpCall {
            method: a.method.clone(),
            url,
            headers,
            body,
        };
        match s.services.webhook(&call) {
            Some(outcome) => {
                for e in outcome.events {
                    s.emit(e);
                }
                let status = outcome.status.unwrap_or(0);
                let json = outcome.body.as_deref().and_then(|b| serde_json::from_str(b).ok());
                s.session.webhook = Some(serde_json::json!({"status": status, "json": json}));
                if !a.result_name.is_empty() {
                    let category = if (200..300).contains(&status) {
                        "Success"
                    } else {
                        "Failure"
                    };
                    let node = s.current_node_uuid();
                    s.save_result(
                        &a.result_name,
                        status.to_string(),
                        category.into(),
                        String::new(),
                        Some(call.url.clone()),
                        json,
                        &node,
                    );
                }
            }
            None => s.error("no webhook service configured"),
        }
        Outcome::Continue
    }
}
