//! The outside services some actions need (webhooks, e-mail, tickets,
//! airtime, classifiers, LLMs). The engine defines the seam and the host
//! implements it; with a service missing, the action emits the same error
//! event the reference engine does and the run goes on.

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

/// Services the host offers. Every method has the "not configured" default.
pub trait Services {
    fn webhook(&self, _call: &HttpCall) -> Option<ServiceOutcome> {
        None
    }

    /// Sends an e-mail; `Err` carries why it could not be sent.
    fn email(&self, _addresses: &[String], _subject: &str, _body: &str) -> Option<Result<(), String>> {
        None
    }
}

/// A host with no services configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoServices;

impl Services for NoServices {}
