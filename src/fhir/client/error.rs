//! What can go wrong talking to the registry. Every variant names the
//! resource or request it concerns (`Practitioner/P1`, `search Location`,
//! `batch of 200`), so a log line alone says what to fix.

use std::fmt;

/// A request failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    #[error("{resource}: the server rejected it ({status}): {outcome}")]
    Rejected {
        resource: String,
        status: u16,
        outcome: String,
    },
    #[error("{resource}: not found")]
    NotFound { resource: String },
    #[error("{resource}: HTTP {status} without an OperationOutcome: {excerpt}")]
    Status {
        resource: String,
        status: u16,
        excerpt: String,
    },
    #[error("{resource}: gave up after {attempts} attempt(s); last answer HTTP {status}: {last}")]
    GaveUp {
        resource: String,
        status: u16,
        attempts: u32,
        last: Box<FhirError>,
    },
    #[error("{resource}: timed out after {attempts} attempt(s)")]
    Timeout { resource: String, attempts: u32 },
    #[error("{resource}: transport error after {attempts} attempt(s): {source}")]
    Transport {
        resource: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    #[error("{resource}: malformed response: {reason}")]
    Malformed { resource: String, reason: String },
    #[error("{resource}: response larger than {limit} bytes")]
    TooLarge { resource: String, limit: usize },
    #[error("a {kind} of {count} entries exceeds the limit of {max}")]
    TooManyEntries {
        kind: &'static str,
        count: usize,
        max: usize,
    },
    #[error("{resource_type}: cannot PUT a resource without an id")]
    NoId { resource_type: &'static str },
    #[error("bad URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("search {resource_type}: more than {max} pages; stopped")]
    TooManyPages { resource_type: &'static str, max: usize },
}

/// One entry of a batch that did not succeed; the others are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BatchItemError {
    /// Position in the entries given to `batch`.
    pub index: usize,
    /// The entry's request (`PUT Practitioner/P1`).
    pub request: String,
    /// The entry's HTTP status, if the server answered for it.
    pub status: Option<u16>,
    pub reason: String,
}

impl fmt::Display for BatchItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} ({})", self.index, self.request)?;
        if let Some(status) = self.status {
            write!(f, " failed with {status}")?;
        }
        write!(f, ": {}", self.reason)
    }
}
