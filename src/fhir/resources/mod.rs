//! The R4 resources the gateway reads and writes, one file each, named by
//! resource type. Every struct models the fields we use and keeps the rest in
//! `extra`, so resources read from a registry round-trip unchanged. Knows
//! nothing of HTTP; `crate::fhir::client` moves these over the wire.

mod any;
mod basic;
mod bundle;
mod communication;
mod communication_request;
mod datatypes;
mod group;
mod location;
mod operation_outcome;
mod organization;
mod practitioner;
mod practitioner_role;
mod questionnaire_response;
mod type_tag;

pub use any::{AnyResource, ResourceParseError};
pub use basic::Basic;
pub use bundle::{Bundle, BundleEntry, BundleLink, BundleType, EntryRequest, EntryResponse, EntrySearch};
pub use communication::Communication;
pub use communication_request::CommunicationRequest;
pub use datatypes::{
    find_extension, Attachment, CodeableConcept, Coding, ContactPoint, Extension, Extra, HumanName,
    Identifier, Meta, Payload, Reference,
};
pub use group::{Group, GroupMember};
pub use location::Location;
pub use operation_outcome::{Issue, OperationOutcome};
pub use organization::Organization;
pub use practitioner::Practitioner;
pub use practitioner_role::PractitionerRole;
pub use questionnaire_response::{
    QuestionnaireResponse, QuestionnaireResponseAnswer, QuestionnaireResponseItem,
};
pub use type_tag::TypeTag;

#[cfg(test)]
pub(crate) use basic::tests as basic_fixtures;
#[cfg(test)]
pub(crate) use communication_request::tests as comm_request_fixtures;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A FHIR resource type we model: its wire name and where its id and meta live.
pub trait Resource: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The `resourceType` string, which is also the REST path segment.
    const TYPE: &'static str;
    fn id(&self) -> Option<&str>;
    fn set_id(&mut self, id: String);
    fn meta(&self) -> Option<&Meta>;

    /// `meta.versionId`, which a server bumps on every real change.
    fn version_id(&self) -> Option<&str> {
        self.meta()?.version_id.as_deref()
    }
}

/// Implements [`Resource`] for a struct with `id: Option<String>` and `meta: Option<Meta>`.
macro_rules! impl_resource {
    ($ty:ident) => {
        impl $crate::fhir::resources::Resource for $ty {
            const TYPE: &'static str = stringify!($ty);
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
            fn set_id(&mut self, id: String) {
                self.id = Some(id);
            }
            fn meta(&self) -> Option<&$crate::fhir::resources::Meta> {
                self.meta.as_ref()
            }
        }
    };
}
pub(crate) use impl_resource;

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::Value;

    /// Parse `json` as `R`, serialise, parse again: both the value and the JSON
    /// must survive unchanged (unknown fields included).
    pub fn round_trip<R>(json: &str) -> R
    where
        R: super::Resource + PartialEq + std::fmt::Debug,
    {
        let original: Value = serde_json::from_str(json).expect("fixture is JSON");
        let parsed: R = serde_json::from_value(original.clone()).expect("fixture parses");
        let written = serde_json::to_value(&parsed).expect("serialises");
        assert_eq!(written, original, "JSON changed in a round trip");
        let reparsed: R = serde_json::from_value(written).expect("re-parses");
        assert_eq!(reparsed, parsed);
        parsed
    }
}
