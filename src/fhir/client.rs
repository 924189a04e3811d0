//! The thin FHIR R4 client: read, search (with paging), create, update,
//! batch and transaction, over one pooled `reqwest` client. Retries are
//! bounded with jittered backoff, and only where repeating cannot duplicate
//! work. Knows resources and HTTP, nothing of contacts, flows or SQL.
//!
//! A `FhirClient` is a cheap cloneable handle (reqwest's pool is the one
//! owner of the sockets), so concurrent callers need no task of their own.

mod auth;
mod batch;
mod error;
mod retry;
mod search;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use url::Url;

pub use auth::FhirAuth;
pub use batch::{EntryOutcome, MAX_BUNDLE_ENTRIES};
pub use error::{BatchItemError, FhirError};
pub use retry::RetryPolicy;
pub use search::{Search, SearchPage, MAX_IDS_PER_SEARCH, MAX_SEARCH_PAGES};

use super::resources::{OperationOutcome, Resource};
use retry::Retry;

const FHIR_JSON: &str = "application/fhir+json";
/// Largest response body we read: a 200-entry page of big resources is a few
/// MB; anything near this is a misbehaving server, not data.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Characters of a non-FHIR error body quoted in an error message.
const ERROR_EXCERPT_CHARS: usize = 200;
/// Whole-request limit: a 200-entry batch on a busy HAPI takes a few seconds;
/// a request still unanswered after this is hung, and is retried or reported.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Search page size: emNutt's default against HAPI, large enough that a
/// 10,000-worker registry is 50 requests, small enough for HAPI's page cache.
pub const DEFAULT_PAGE_SIZE: u32 = 200;

#[derive(Debug, Clone)]
pub struct FhirConfig {
    /// The FHIR base, e.g. `http://localhost:8080/hapi/fhir`.
    pub base_url: String,
    pub auth: FhirAuth,
    /// Whole-request limit (connect, send, wait, read).
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// `_count` of searches.
    pub page_size: u32,
}

impl FhirConfig {
    pub fn new(base_url: impl Into<String>) -> FhirConfig {
        FhirConfig {
            base_url: base_url.into(),
            auth: FhirAuth::None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FhirClient {
    http: reqwest::Client,
    /// The base with a trailing slash, so relative joins stay under it.
    base: Url,
    config: Arc<FhirConfig>,
}

impl FhirClient {
    pub fn new(config: FhirConfig) -> Result<FhirClient, FhirError> {
        let mut base = Url::parse(&config.base_url).map_err(|e| FhirError::BadUrl {
            url: config.base_url.clone(),
            reason: e.to_string(),
        })?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("mhero/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FhirError::BadUrl {
                url: config.base_url.clone(),
                reason: e.to_string(),
            })?;
        Ok(FhirClient {
            http,
            base,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &FhirConfig {
        &self.config
    }

    /// `base/<path>`; `path` has no leading slash.
    pub(crate) fn url(&self, path: &str) -> Result<Url, FhirError> {
        self.base.join(path).map_err(|e| FhirError::BadUrl {
            url: path.to_string(),
            reason: e.to_string(),
        })
    }

    /// Read `R/<id>`.
    pub async fn read<R: Resource>(&self, id: &str) -> Result<R, FhirError> {
        let what = format!("{}/{id}", R::TYPE);
        let body = self
            .send(&what, Method::GET, self.url(&what)?, None, true)
            .await?;
        parse_body(&what, &body)
    }

    /// Create `resource` with a server-chosen id (POST). Not retried after a
    /// possibly-applied failure: that could create it twice. Prefer
    /// [`FhirClient::update`] with a deterministic id.
    pub async fn create<R: Resource>(&self, resource: &R) -> Result<R, FhirError> {
        let what = format!("{} (create)", R::TYPE);
        let body = to_body(&what, resource)?;
        let body = self
            .send(&what, Method::POST, self.url(R::TYPE)?, Some(body), false)
            .await?;
        parse_body(&what, &body)
    }

    /// Create or replace `R/<id>` (PUT). Idempotent, so retried freely.
    pub async fn update<R: Resource>(&self, resource: &R) -> Result<R, FhirError> {
        let id = resource.id().ok_or(FhirError::NoId {
            resource_type: R::TYPE,
        })?;
        let what = format!("{}/{id}", R::TYPE);
        let body = to_body(&what, resource)?;
        let body = self
            .send(&what, Method::PUT, self.url(&what)?, Some(body), true)
            .await?;
        parse_body(&what, &body)
    }

    /// One request with retries; the body of the 2xx answer. `what` names it in errors and logs.
    pub(crate) async fn send(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Result<Vec<u8>, FhirError> {
        let policy = self.config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= policy.max_attempts.max(1);
            let (retry, retry_after, failure) =
                match self.attempt(what, method.clone(), url.clone(), &body).await {
                    Ok((status, _, body)) if (200..300).contains(&status) => return Ok(body),
                    Ok((status, retry_after, body)) => {
                        let retry = Retry::for_status(status);
                        let err = status_error(what, status, &body);
                        let err = if last && attempt > 1 && retry.allows(idempotent) {
                            let last = Box::new(err);
                            FhirError::GaveUp {
                                resource: what.to_string(),
                                status,
                                attempts: attempt,
                                last,
                            }
                        } else {
                            err
                        };
                        (retry, retry_after, err)
                    }
                    Err(Failure::Limit(err)) => return Err(err),
                    Err(Failure::Transport(e)) => {
                        let retry = if e.is_connect() {
                            Retry::Always
                        } else {
                            Retry::IfIdempotent
                        };
                        let err = if e.is_timeout() {
                            FhirError::Timeout {
                                resource: what.to_string(),
                                attempts: attempt,
                            }
                        } else {
                            FhirError::Transport {
                                resource: what.to_string(),
                                attempts: attempt,
                                source: e,
                            }
                        };
                        (retry, None, err)
                    }
                };
            if last || !retry.allows(idempotent) {
                return Err(failure);
            }
            let wait = policy.delay(attempt, retry_after);
            tracing::warn!(request = what, attempt, ?wait, error = %failure, "FHIR request failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: &Option<Vec<u8>>,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), Failure> {
        let mut request = self.http.request(method, url).header(ACCEPT, FHIR_JSON);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, FHIR_JSON)
                .header("prefer", HeaderValue::from_static("return=representation"))
                .body(body.clone());
        }
        let mut response = self
            .config
            .auth
            .apply(request)
            .send()
            .await
            .map_err(Failure::Transport)?;
        let status = response.status();
        let retry_after = retry_after(&response, status);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Failure::Transport)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                let limit = MAX_RESPONSE_BYTES;
                return Err(Failure::Limit(FhirError::TooLarge {
                    resource: what.to_string(),
                    limit,
                }));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status.as_u16(), retry_after, bytes))
    }
}

enum Failure {
    Transport(reqwest::Error),
    Limit(FhirError),
}

/// `Retry-After` in seconds (the HTTP-date form is rare from FHIR servers and ignored).
fn retry_after(response: &reqwest::Response, status: StatusCode) -> Option<Duration> {
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let secs = response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// The error for a non-2xx answer: the server's OperationOutcome if it sent one.
pub(crate) fn status_error(what: &str, status: u16, body: &[u8]) -> FhirError {
    if let Ok(outcome) = serde_json::from_slice::<OperationOutcome>(body) {
        if status == 404 {
            return FhirError::NotFound {
                resource: what.to_string(),
            };
        }
        return FhirError::Rejected {
            resource: what.to_string(),
            status,
            outcome: outcome.summary(),
        };
    }
    if status == 404 {
        return FhirError::NotFound {
            resource: what.to_string(),
        };
    }
    let excerpt: String = String::from_utf8_lossy(body)
        .chars()
        .take(ERROR_EXCERPT_CHARS)
        .collect();
    FhirError::Status {
        resource: what.to_string(),
        status,
        excerpt,
    }
}

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, FhirError> {
    serde_json::from_slice(body).map_err(|e| FhirError::Malformed {
        resource: what.to_string(),
        reason: e.to_string(),
    })
}

fn to_body<T: serde::Serialize>(what: &str, value: &T) -> Result<Vec<u8>, FhirError> {
    serde_json::to_vec(value).map_err(|e| FhirError::Malformed {
        resource: what.to_string(),
        reason: e.to_string(),
    })
}
