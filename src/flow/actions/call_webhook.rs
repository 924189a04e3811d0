//! `call_webhook`: call an HTTP endpoint through the host's `Services`, and
//! report the exchange as `webhook_called`, `@webhook` and a result.

use std::collections::BTreeMap;

use super::exec::Outcome;
use super::exec::MAX_WEBHOOK_URL_LEN;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::run::RawJson;
use crate::flow::services::{HttpCall, HttpTrace};
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

/// The request and response texts in `webhook_called` are cut to this many
/// characters (the reference's log limit; `@webhook` keeps the whole body).
pub const MAX_HTTP_LOG_CHARS: usize = 10_000;

/// A response body longer than this is not kept as the result's `extra`
/// (results are stored with the run; `@webhook` still has it whole).
pub const MAX_RESULT_EXTRA_BYTES: usize = 10_000;

/// How a webhook call ended, as `webhook_called` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Success,
    ResponseError,
    ConnectionError,
    SubscriberGone,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Success => "success",
            CallStatus::ResponseError => "response_error",
            CallStatus::ConnectionError => "connection_error",
            CallStatus::SubscriberGone => "subscriber_gone",
        }
    }
}

/// A finished call: what the result and `@webhook` are made of.
pub struct Called {
    pub url: String,
    pub status: CallStatus,
    pub status_code: u16,
    pub json: Option<serde_json::Value>,
    /// The JSON body as received (the result's extra).
    pub raw: Option<RawJson>,
    pub body_len: usize,
    /// What `@webhook` shows for this call.
    pub webhook: serde_json::Value,
}

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
        super::check_optional_result_name(&self.result_name)?;
        for name in self.headers.keys() {
            if !is_header_token(name) {
                return Err(format!("header '{name}' is not a valid HTTP header"));
            }
        }
        Ok(())
    }
}

/// `text` cut to [`MAX_HTTP_LOG_CHARS`], ending in `...` when cut.
pub fn trim_log(text: &str) -> String {
    if text.chars().count() <= MAX_HTTP_LOG_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_HTTP_LOG_CHARS - 3).collect();
    out.push_str("...");
    out
}

/// Makes `call` through the host, reports it as `webhook_called` (with
/// `resthook` when it is one) and sets `@webhook`. `None` when the host
/// has no HTTP service.
pub fn make_call(s: &mut Sprinter<'_>, call: &HttpCall, resthook: Option<&str>) -> Option<Called> {
    let trace: HttpTrace = s.services.http(call)?;
    for e in trace.events {
        s.emit(e);
    }
    let json = match (&trace.body, trace.body_too_large) {
        (Some(b), false) => serde_json::from_str::<serde_json::Value>(b).ok(),
        _ => None,
    };
    let extraction = match (&trace.body, trace.body_too_large, trace.status_code) {
        (_, true, _) | (None, _, _) | (_, _, None) => "none",
        (Some(_), false, Some(_)) if json.is_some() => "valid",
        _ => "ignored",
    };
    if trace.body_too_large {
        s.error("response body exceeds size limit");
    }
    let status = match trace.status_code {
        None => CallStatus::ConnectionError,
        Some(_) if trace.body_too_large => CallStatus::ConnectionError,
        Some(410) if resthook.is_some() => CallStatus::SubscriberGone,
        Some(code) if (200..300).contains(&code) => CallStatus::Success,
        Some(_) => CallStatus::ResponseError,
    };
    let mut event = serde_json::json!({
        "type": "webhook_called",
        "url": call.url,
        "request": trim_log(&trace.request),
        "elapsed_ms": trace.elapsed_ms,
        "retries": trace.retries,
        "status": status.as_str(),
    });
    if let Some(code) = trace.status_code {
        event["status_code"] = code.into();
    }
    if let Some(response) = &trace.response {
        event["response"] = trim_log(response).into();
    }
    if let Some(slug) = resthook {
        event["resthook"] = slug.into();
    }
    event["extraction"] = extraction.into();
    s.emit(EventKind::Service(event));
    let status_code = trace.status_code.unwrap_or(0);
    let headers: serde_json::Map<String, serde_json::Value> = trace
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let webhook = serde_json::json!({
        "__default__": format!("{} {}", call.method, call.url),
        "headers": headers,
        "json": json,
        "status": status_code,
    });
    s.session.webhook = Some(webhook.clone());
    Some(Called {
        url: call.url.clone(),
        status,
        status_code,
        raw: json.as_ref().and(trace.body.as_deref()).and_then(RawJson::parse),
        json,
        body_len: trace.body.as_ref().map_or(0, String::len),
        webhook,
    })
}

/// Saves a webhook's result: the status code as value, `Success` or
/// `Failure`, the response JSON as extra.
pub fn save_call_result(s: &mut Sprinter<'_>, name: &str, called: &Called, method: &str) {
    let category = if called.status == CallStatus::Success {
        "Success"
    } else {
        "Failure"
    };
    let node = s.current_node_uuid();
    s.save_result(
        name,
        called.status_code.to_string(),
        category.into(),
        String::new(),
        Some(format!("{method} {}", called.url)),
        called
            .raw
            .clone()
            .filter(|_| called.body_len <= MAX_RESULT_EXTRA_BYTES),
        &node,
    );
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
        match make_call(s, &call, None) {
            Some(called) => {
                if !a.result_name.is_empty() {
                    save_call_result(s, &a.result_name, &called, &call.method);
                }
            }
            None => s.error("no webhook service configured"),
        }
        Outcome::Continue
    }
}
