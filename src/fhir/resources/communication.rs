//! `Communication`: one message sent to or received from a health worker.

use serde::{Deserialize, Serialize};

use super::{
    impl_resource, CodeableConcept, Extension, Extra, Identifier, Meta, Payload, Reference, TypeTag,
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Communication {
    pub resource_type: TypeTag<Communication>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// An array in R4; emNutt writes a bare `"Type/id"` string, read here as
    /// a one-element array (and so written back as valid R4).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient_refs"
    )]
    pub based_on: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part_of: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_response_to: Vec<Reference>,
    /// Required in R4; emNutt omits it, so optional for reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<Payload>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Communication);

/// Reads `basedOn` as R4's array, or emNutt's bare `"Type/id"` string as a
/// one-element array (so reports written by today's stack stay readable).
fn lenient_refs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Reference>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<Reference>),
        Bare(String),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(refs) => refs,
        OneOrMany::Bare(r) => vec![Reference {
            reference: Some(r),
            ..Reference::default()
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    const INBOX: &str = r#"{"resourceType":"Communication","id":"2b5a1c9e-6d0f-5e4a-8b3c-7d6e5f4a3b2c",
        "payload":[{"contentString":"Stock out of ORS at Mwanza HC"}],
        "category":[{"coding":[{"system":"http://ihris.org/fhir/CodeSystem/message-category","code":"inbox","display":"Inbox"}]}],
        "sender":{"reference":"Practitioner/P6194"},"received":"2021-06-21T10:05:00Z"}"#;

    const REPLY: &str = r#"{"resourceType":"Communication","id":"r1","status":"completed",
        "meta":{"profile":["http://mhero.org/fhir/StructureDefinition/mhero-communication"]},
        "basedOn":[{"reference":"CommunicationRequest/c1"}],
        "inResponseTo":[{"reference":"Communication/q1"}],
        "sender":{"reference":"Practitioner/P6194"},"received":"2021-06-21T10:05:00Z",
        "payload":[{"contentString":"Yes"}]}"#;

    #[test]
    fn inbox_and_reply_round_trip() {
        let inbox: Communication = round_trip(INBOX);
        assert_eq!(inbox.category[0].coding[0].code.as_deref(), Some("inbox"));
        let reply: Communication = round_trip(REPLY);
        assert_eq!(reply.in_response_to[0].id_of("Communication"), Some("q1"));
    }

    #[test]
    fn emnutt_bare_based_on_is_read_as_an_array() {
        let json = r#"{"resourceType":"Communication","id":"q1","basedOn":"CommunicationRequest/c1",
            "recipient":[{"reference":"Practitioner/P6194"}],"payload":[{"contentString":"Q?"}]}"#;
        let c: Communication = serde_json::from_str(json).expect("parses");
        assert_eq!(c.based_on[0].id_of("CommunicationRequest"), Some("c1"));
        let written = serde_json::to_value(&c).expect("serialises");
        assert!(written["basedOn"].is_array(), "written back as valid R4");
    }
}
