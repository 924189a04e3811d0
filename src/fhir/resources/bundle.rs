//! `Bundle`: search pages, batch/transaction requests and their responses.
//! Entry resources stay raw JSON until asked for, so one malformed resource in
//! a page is reported on its own instead of failing the whole page.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    impl_resource, AnyResource, Extra, Meta, OperationOutcome, Resource, ResourceParseError, TypeTag,
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: TypeTag<Bundle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(rename = "type")]
    pub type_: BundleType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Bundle);

/// The closed set of R4 `Bundle.type` codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleType {
    Document,
    Message,
    Transaction,
    TransactionResponse,
    Batch,
    BatchResponse,
    History,
    #[default]
    Searchset,
    Collection,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BundleLink {
    pub relation: String,
    pub url: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<EntrySearch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<EntryRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<EntryResponse>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntrySearch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryRequest {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryResponse {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl EntryResponse {
    /// The HTTP status code at the start of `status` (`"201 Created"` → 201).
    pub fn code(&self) -> Option<u16> {
        self.status.split_whitespace().next()?.parse().ok()
    }

    pub fn outcome(&self) -> Option<OperationOutcome> {
        serde_json::from_value(self.outcome.clone()?).ok()
    }
}

impl BundleEntry {
    /// The entry's resource parsed as `R`, with an error naming the resource.
    pub fn resource_as<R: Resource>(&self) -> Result<R, ResourceParseError> {
        let value = self
            .resource
            .clone()
            .ok_or_else(|| ResourceParseError::missing(R::TYPE))?;
        AnyResource::parse_value_as::<R>(value)
    }

    /// A `PUT Type/id` entry for a batch or transaction.
    pub fn put<R: Resource>(resource: &R) -> Result<BundleEntry, ResourceParseError> {
        let id = resource.id().ok_or_else(|| ResourceParseError::no_id(R::TYPE))?;
        let value = serde_json::to_value(resource).map_err(|e| ResourceParseError::new(R::TYPE, id, e))?;
        Ok(BundleEntry {
            resource: Some(value),
            request: Some(EntryRequest {
                method: "PUT".to_string(),
                url: format!("{}/{id}", R::TYPE),
                ..EntryRequest::default()
            }),
            ..BundleEntry::default()
        })
    }
}

impl BundleEntry {
    /// A `POST Type` entry (server-chosen id) for a transaction; other
    /// entries may reference it by `full_url` (a `urn:uuid:`), which the
    /// server rewrites to the created resource's id.
    pub fn post<R: Resource>(
        resource: &R,
        full_url: Option<String>,
    ) -> Result<BundleEntry, ResourceParseError> {
        let id = resource.id().unwrap_or("?");
        let value = serde_json::to_value(resource).map_err(|e| ResourceParseError::new(R::TYPE, id, e))?;
        Ok(BundleEntry {
            full_url,
            resource: Some(value),
            request: Some(EntryRequest {
                method: "POST".to_string(),
                url: R::TYPE.to_string(),
                ..EntryRequest::default()
            }),
            ..BundleEntry::default()
        })
    }
}

impl Bundle {
    /// The `next` paging link, if the server gave one.
    pub fn next_link(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation == "next")
            .map(|l| l.url.as_str())
    }

    /// A request bundle of `type_` (batch or transaction) holding `entries`.
    pub fn request(type_: BundleType, entries: Vec<BundleEntry>) -> Bundle {
        Bundle {
            type_,
            entry: entries,
            ..Bundle::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;
    use crate::fhir::resources::Practitioner;

    const SEARCH: &str = r#"{"resourceType":"Bundle","type":"searchset","total":3,
        "link":[{"relation":"self","url":"http://x/Practitioner?_count=2"},{"relation":"next","url":"http://x/Practitioner?_count=2&_offset=2"}],
        "entry":[{"fullUrl":"http://x/Practitioner/P1","resource":{"resourceType":"Practitioner","id":"P1"},"search":{"mode":"match"}},
                 {"resource":{"resourceType":"Practitioner","id":"P2","name":"not-an-array"},"search":{"mode":"match"}}]}"#;

    const BATCH_RESPONSE: &str = r#"{"resourceType":"Bundle","type":"batch-response",
        "entry":[{"response":{"status":"201 Created","location":"Practitioner/P1/_history/1","etag":"W/\"1\""}},
                 {"response":{"status":"400 Bad Request","outcome":{"resourceType":"OperationOutcome",
                   "issue":[{"severity":"error","code":"structure","details":{"text":"Missing required property"},"expression":["Communication.status"]}]}}}]}"#;

    #[test]
    fn search_page_round_trips_and_reports_the_bad_entry_alone() {
        let b: Bundle = round_trip(SEARCH);
        assert_eq!(b.next_link(), Some("http://x/Practitioner?_count=2&_offset=2"));
        let p1: Practitioner = b.entry[0].resource_as().expect("P1 is fine");
        assert_eq!(p1.id.as_deref(), Some("P1"));
        let err = b.entry[1]
            .resource_as::<Practitioner>()
            .expect_err("P2 is malformed");
        assert!(err.to_string().starts_with("Practitioner/P2"), "{err}");
    }

    #[test]
    fn batch_response_round_trips() {
        let b: Bundle = round_trip(BATCH_RESPONSE);
        assert_eq!(b.type_, BundleType::BatchResponse);
        let bad = b.entry[1].response.as_ref().expect("response");
        assert_eq!(bad.code(), Some(400));
        assert!(bad
            .outcome()
            .expect("outcome")
            .summary()
            .contains("Communication.status"));
    }

    #[test]
    fn put_entry_needs_an_id() {
        assert!(BundleEntry::put(&Practitioner::default()).is_err());
        let p = Practitioner {
            id: Some("P9".into()),
            ..Practitioner::default()
        };
        let entry = BundleEntry::put(&p).expect("has an id");
        assert_eq!(entry.request.expect("request").url, "Practitioner/P9");
    }
}
