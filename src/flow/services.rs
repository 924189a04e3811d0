//! The outside services some actions need (webhooks, e-mail, airtime,
//! classifiers). The engine defines the seam and the host
//! implements it; with a service missing, the action emits the same error
//! event the reference engine does and the run goes on.
//!
//! The host only moves bytes (or asks its provider); the engine builds every
//! event (`webhook_called`, `resthook_called`, `service_called`,
//! `airtime_transferred`, …) and result from what the host returns.

use serde::{Deserialize, Serialize};

use crate::flow::assets::NamedRef;
use crate::flow::events::EventKind;

/// What a service call produced: events to report, and for webhooks the
/// HTTP status and response body that feed the action's result.
#[derive(Debug, Clone, Default)]
pub struct ServiceOutcome {
    pub events: Vec<EventKind>,
    pub status: Option<u16>,
    pub body: Option<String>,
}

/// A webhook request after its templates were evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One HTTP exchange as the host saw it: what was sent and what came back.
/// The engine turns it into a `webhook_called` event, `@webhook` and the
/// action's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpTrace {
    /// `None` when no response arrived (refused, timed out, unreachable).
    pub status_code: Option<u16>,
    /// The request as written on the wire (head and body).
    pub request: String,
    /// The response as read (head and body); `None` without a response.
    pub response: Option<String>,
    /// Response headers, in the order received.
    pub headers: Vec<(String, String)>,
    /// Response body, when one was read whole.
    pub body: Option<String>,
    /// The body was longer than the host reads; it is then not used.
    pub body_too_large: bool,
    pub elapsed_ms: u64,
    pub retries: u32,
    /// Further events the host wants reported (e.g. why it refused the URL).
    pub events: Vec<EventKind>,
}

impl HttpTrace {
    /// A trace from the older [`ServiceOutcome`] answer, with the request
    /// and response rendered from what is known of them.
    pub fn from_outcome(call: &HttpCall, outcome: ServiceOutcome) -> HttpTrace {
        let status_code = outcome.status.filter(|s| *s != 0);
        let response = status_code.map(|s| {
            let body = outcome.body.as_deref().unwrap_or_default();
            format!("HTTP/1.1 {s}\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        });
        HttpTrace {
            status_code,
            request: render_request(call),
            response,
            headers: Vec::new(),
            body: outcome.body,
            body_too_large: false,
            elapsed_ms: 0,
            retries: 0,
            events: outcome.events,
        }
    }
}

/// `call` as an HTTP/1.1 request text: request line, `Host`, the call's
/// headers, then the body.
pub fn render_request(call: &HttpCall) -> String {
    let after_scheme = call.url.split_once("://").map_or(call.url.as_str(), |(_, r)| r);
    let (host, path) = match after_scheme.find(['/', '?']) {
        Some(i) => (&after_scheme[..i], &after_scheme[i..]),
        None => (after_scheme, ""),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    };
    let mut out = format!("{} {path} HTTP/1.1\r\nHost: {host}\r\n", call.method);
    for (k, v) in &call.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&call.body);
    out
}

/// A request to a provider API, as `service_called` and
/// `airtime_transferred` list them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpLog {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub request: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    pub elapsed_ms: u64,
    pub retries: u32,
    /// `success`, `response_error` or `connection_error`.
    pub status: String,
    pub created_on: String,
}

/// An intent a classifier recognised, with its confidence (0–1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub name: String,
    pub confidence: serde_json::Number,
}

/// An entity value a classifier recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub value: String,
    pub confidence: serde_json::Number,
}

/// What a classifier made of a text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub intents: Vec<Intent>,
    pub entities: std::collections::BTreeMap<String, Vec<Entity>>,
}

/// The answer of a provider call: its HTTP logs, and the value or why it
/// failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCall<T> {
    pub http_logs: Vec<HttpLog>,
    pub result: Result<T, String>,
}

/// An airtime transfer as the provider carried it out (or tried to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AirtimeTransfer {
    pub external_id: String,
    pub sender: String,
    pub recipient: String,
    pub currency: String,
    pub amount: serde_json::Number,
}

/// Services the host offers. Every method has the "not configured" default.
pub trait Services {
    fn webhook(&self, _call: &HttpCall) -> Option<ServiceOutcome> {
        None
    }

    /// Makes an HTTP call and reports the whole exchange. The default goes
    /// through [`Services::webhook`], so hosts implementing only that keep
    /// working.
    fn http(&self, call: &HttpCall) -> Option<HttpTrace> {
        self.webhook(call).map(|o| HttpTrace::from_outcome(call, o))
    }

    /// Sends an e-mail; `Err` carries why it could not be sent.
    fn email(&self, _addresses: &[String], _subject: &str, _body: &str) -> Option<Result<(), String>> {
        None
    }

    /// Classifies `input` with the classifier `classifier` (its `type`
    /// names the provider).
    fn classify(
        &self,
        _classifier: &NamedRef,
        _kind: &str,
        _input: &str,
    ) -> Option<ProviderCall<Classification>> {
        None
    }

    /// Transfers airtime from `sender` to `recipient` (tel URNs), picking
    /// from `amounts` (currency → amount) the one the recipient's operator
    /// takes. `transfer_uuid` names the transfer (its `airtime_transferred`
    /// event): providers take it as the idempotency key of the request.
    fn transfer_airtime(
        &self,
        _transfer_uuid: &str,
        _sender: &str,
        _recipient: &str,
        _amounts: &[(String, serde_json::Number)],
    ) -> Option<ProviderCall<AirtimeTransfer>> {
        None
    }
}

/// A host with no services configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoServices;

impl Services for NoServices {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that implements only the older `webhook` method.
    struct OldHost;

    impl Services for OldHost {
        fn webhook(&self, _call: &HttpCall) -> Option<ServiceOutcome> {
            Some(ServiceOutcome {
                events: vec![EventKind::error("refused")],
                status: Some(201),
                body: Some("{\"ok\":true}".into()),
            })
        }
    }

    fn call() -> HttpCall {
        HttpCall {
            method: "POST".into(),
            url: "https://example.org?x=1".into(),
            headers: vec![("X-Token".into(), "abc".into())],
            body: "hi".into(),
        }
    }

    #[test]
    fn a_webhook_only_host_still_answers_http_calls() {
        let trace = OldHost.http(&call()).expect("answered");
        assert_eq!(trace.status_code, Some(201));
        assert_eq!(trace.body.as_deref(), Some("{\"ok\":true}"));
        assert_eq!(trace.events, vec![EventKind::error("refused")]);
        assert!(trace.response.expect("a response").ends_with("{\"ok\":true}"));
    }

    #[test]
    fn no_response_means_no_status_code() {
        struct Down;
        impl Services for Down {
            fn webhook(&self, _call: &HttpCall) -> Option<ServiceOutcome> {
                Some(ServiceOutcome {
                    status: Some(0),
                    ..ServiceOutcome::default()
                })
            }
        }
        let trace = Down.http(&call()).expect("answered");
        assert_eq!(trace.status_code, None);
        assert_eq!(trace.response, None);
    }

    #[test]
    fn requests_render_with_path_host_headers_and_body() {
        assert_eq!(
            render_request(&call()),
            "POST /?x=1 HTTP/1.1\r\nHost: example.org\r\nX-Token: abc\r\n\r\nhi"
        );
    }

    #[test]
    fn no_services_answers_nothing() {
        assert!(NoServices.http(&call()).is_none());
        assert!(NoServices.classify(&NamedRef::default(), "wit", "hi").is_none());
        assert!(NoServices
            .transfer_airtime("t1", "tel:+1", "tel:+2", &[])
            .is_none());
    }
}
