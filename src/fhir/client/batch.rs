//! Batch and transaction bundles. A batch is split into bundles of at most
//! [`MAX_BUNDLE_ENTRIES`] and each entry's result is reported on its own: one
//! rejected resource never fails the rest. A transaction is all-or-nothing,
//! so it is never split; the caller chunks.

use reqwest::Method;
use serde_json::Value;

use super::{parse_body, FhirClient, FhirError};
use crate::fhir::resources::{Bundle, BundleEntry, BundleType, Resource};

/// Entries per bundle: emNutt writes 200–250 to HAPI; bigger bundles make
/// HAPI's single database transaction outlast common proxy timeouts.
pub const MAX_BUNDLE_ENTRIES: usize = 200;

/// A successful entry of a batch or transaction response.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryOutcome {
    pub status: u16,
    /// `Type/id/_history/version` of a written resource.
    pub location: Option<String>,
    pub etag: Option<String>,
    /// The resource, if the server returned it.
    pub resource: Option<Value>,
}

impl EntryOutcome {
    /// The written version: from the `ETag` (`W/"3"`), the location's
    /// `_history/3`, or the returned resource's `meta.versionId`, whichever
    /// the server gave.
    pub fn version_id(&self) -> Option<String> {
        let from_etag = self
            .etag
            .as_deref()
            .map(|e| e.trim_start_matches("W/").trim_matches('"').to_string());
        let from_location = || Some(self.location.as_deref()?.split_once("/_history/")?.1.to_string());
        let from_resource = || {
            Some(
                self.resource
                    .as_ref()?
                    .get("meta")?
                    .get("versionId")?
                    .as_str()?
                    .to_string(),
            )
        };
        from_etag
            .filter(|v| !v.is_empty())
            .or_else(from_location)
            .or_else(from_resource)
    }
}

impl FhirClient {
    /// Send `entries` as batch bundles of at most [`MAX_BUNDLE_ENTRIES`];
    /// one result per entry, in order. A bundle that fails as a whole (after
    /// retries) turns into an error on each of its entries, and later
    /// bundles are still sent.
    pub async fn batch(&self, entries: Vec<BundleEntry>) -> Vec<Result<EntryOutcome, BatchItemError>> {
        let mut results = Vec::with_capacity(entries.len());
        let mut start = 0;
        let mut entries = entries.into_iter().peekable();
        while entries.peek().is_some() {
            let chunk: Vec<BundleEntry> = entries.by_ref().take(MAX_BUNDLE_ENTRIES).collect();
            let labels: Vec<String> = chunk.iter().map(request_label).collect();
            let what = format!("batch of {} (entries {start}..)", chunk.len());
            match self.post_bundle(&what, BundleType::Batch, chunk).await {
                Ok(response) => results.extend(per_entry(start, &labels, response)),
                Err(e) => {
                    tracing::warn!(error = %e, "batch bundle failed as a whole");
                    results.extend(labels.iter().enumerate().map(|(i, request)| {
                        Err(BatchItemError {
                            index: start + i,
                            request: request.clone(),
                            status: None,
                            reason: e.to_string(),
                        })
                    }));
                }
            }
            start += labels.len();
        }
        results
    }

    /// PUT every resource (deterministic ids) in batches; see [`FhirClient::batch`].
    pub async fn put_all<R: Resource>(&self, resources: &[R]) -> Vec<Result<EntryOutcome, BatchItemError>> {
        let mut entries = Vec::with_capacity(resources.len());
        let mut early: Vec<(usize, BatchItemError)> = Vec::new();
        for (i, r) in resources.iter().enumerate() {
            match BundleEntry::put(r) {
                Ok(entry) => entries.push(entry),
                Err(e) => early.push((
                    i,
                    BatchItemError {
                        index: i,
                        request: format!("PUT {}", R::TYPE),
                        status: None,
                        reason: e.to_string(),
                    },
                )),
            }
        }
        let mut sent = self.batch(entries).await.into_iter();
        let mut early = early.into_iter().peekable();
        (0..resources.len())
            .map(|i| match early.next_if(|(at, _)| *at == i) {
                Some((_, e)) => Err(e),
                None => sent
                    .next()
                    .unwrap_or_else(|| Err(missing(i, "PUT")))
                    .map_err(|mut e| {
                        e.index = i;
                        e
                    }),
            })
            .collect()
    }

    /// Send `entries` as one transaction: all applied, or none (then the
    /// error names what the server rejected).
    pub async fn transaction(&self, entries: Vec<BundleEntry>) -> Result<Vec<EntryOutcome>, FhirError> {
        if entries.len() > MAX_BUNDLE_ENTRIES {
            return Err(FhirError::TooManyEntries {
                kind: "transaction",
                count: entries.len(),
                max: MAX_BUNDLE_ENTRIES,
            });
        }
        let labels: Vec<String> = entries.iter().map(request_label).collect();
        let what = format!("transaction of {}", entries.len());
        let response = self.post_bundle(&what, BundleType::Transaction, entries).await?;
        per_entry(0, &labels, response)
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FhirError::Rejected {
                resource: what,
                status: e.status.unwrap_or(0),
                outcome: e.to_string(),
            })
    }

    async fn post_bundle(
        &self,
        what: &str,
        type_: BundleType,
        entries: Vec<BundleEntry>,
    ) -> Result<Bundle, FhirError> {
        // Repeating is safe only if every entry is: creates by POST are not.
        let idempotent = entries
            .iter()
            .all(|e| e.request.as_ref().is_some_and(|r| r.method != "POST"));
        let bundle = Bundle::request(type_, entries);
        let body = serde_json::to_vec(&bundle).map_err(|e| FhirError::Malformed {
            resource: what.to_string(),
            reason: e.to_string(),
        })?;
        let body = self
            .send(what, Method::POST, self.base.clone(), Some(body), idempotent)
            .await?;
        parse_body(what, &body)
    }
}

use super::BatchItemError;

fn request_label(entry: &BundleEntry) -> String {
    entry
        .request
        .as_ref()
        .map(|r| format!("{} {}", r.method, r.url))
        .unwrap_or_else(|| "(no request)".to_string())
}

fn missing(index: usize, request: &str) -> BatchItemError {
    BatchItemError {
        index,
        request: request.to_string(),
        status: None,
        reason: "the server's response has no entry for it".to_string(),
    }
}

/// One result per request entry, matched by position as R4 requires.
fn per_entry(start: usize, labels: &[String], response: Bundle) -> Vec<Result<EntryOutcome, BatchItemError>> {
    let mut answers = response.entry.into_iter();
    labels
        .iter()
        .enumerate()
        .map(|(i, request)| {
            let index = start + i;
            let entry = answers.next().ok_or_else(|| missing(index, request))?;
            let response = entry.response.ok_or_else(|| missing(index, request))?;
            let status = response.code();
            match status {
                Some(code) if (200..300).contains(&code) => Ok(EntryOutcome {
                    status: code,
                    location: response.location,
                    etag: response.etag,
                    resource: entry.resource,
                }),
                _ => {
                    let reason = response.outcome().map(|o| o.summary()).unwrap_or_else(|| {
                        format!("status {:?} without an OperationOutcome", response.status)
                    });
                    Err(BatchItemError {
                        index,
                        request: request.clone(),
                        status,
                        reason,
                    })
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_matched_by_position_and_failures_kept_apart() {
        let response: Bundle = serde_json::from_value(serde_json::json!({
            "resourceType": "Bundle", "type": "batch-response",
            "entry": [
                {"response": {"status": "200 OK", "location": "Practitioner/P1/_history/2"}},
                {"response": {"status": "400 Bad Request", "outcome": {"resourceType": "OperationOutcome",
                  "issue": [{"severity": "error", "code": "structure", "details": {"text": "Missing required property"},
                             "expression": ["Communication.status"]}]}}}
            ]}))
        .expect("parses");
        let labels = vec![
            "PUT Practitioner/P1".to_string(),
            "PUT Communication/c1".into(),
            "PUT Basic/b".into(),
        ];
        let results = per_entry(200, &labels, response);
        assert_eq!(results[0].as_ref().map(|o| o.status), Ok(200));
        let err = results[1].as_ref().expect_err("rejected");
        assert_eq!((err.index, err.status), (201, Some(400)));
        assert!(
            err.to_string().contains("PUT Communication/c1")
                && err.to_string().contains("Communication.status")
        );
        assert!(results[2]
            .as_ref()
            .expect_err("no answer")
            .reason
            .contains("no entry"));
        assert_eq!(
            results[0]
                .as_ref()
                .ok()
                .and_then(EntryOutcome::version_id)
                .as_deref(),
            Some("2")
        );
    }

    #[test]
    fn version_from_etag_or_resource() {
        let outcome = |etag: Option<&str>, resource: Option<Value>| EntryOutcome {
            status: 200,
            location: Some("Practitioner/P1".into()),
            etag: etag.map(str::to_string),
            resource,
        };
        assert_eq!(outcome(Some("W/\"7\""), None).version_id().as_deref(), Some("7"));
        let resource = serde_json::json!({"resourceType": "Practitioner", "meta": {"versionId": "v9"}});
        assert_eq!(outcome(None, Some(resource)).version_id().as_deref(), Some("v9"));
        assert_eq!(outcome(None, None).version_id(), None);
    }

    #[tokio::test]
    async fn oversized_transactions_are_refused_before_sending() {
        // Nothing listens on the discard port: refusing must not need the network.
        let client =
            FhirClient::new(crate::fhir::client::FhirConfig::new("http://127.0.0.1:9/fhir")).expect("valid");
        let entries = vec![BundleEntry::default(); MAX_BUNDLE_ENTRIES + 1];
        let err = client.transaction(entries).await.expect_err("too many");
        assert!(
            matches!(
                err,
                FhirError::TooManyEntries {
                    count: 201,
                    max: 200,
                    ..
                }
            ),
            "{err}"
        );
    }
}
