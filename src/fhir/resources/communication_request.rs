//! `CommunicationRequest`: a send (text or flow start) as iHRIS posts it, a
//! schedule, and emNutt's per-recipient result record. `status` is optional
//! here because iHRIS omits it (it is 1..1 in R4); what it means for mHero
//! lives in `crate::fhir::mhero`.

use serde::{Deserialize, Serialize};

use super::{
    impl_resource, CodeableConcept, Extension, Extra, Identifier, Meta, Payload, Reference, TypeTag,
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunicationRequest {
    pub resource_type: TypeTag<CommunicationRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<Payload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Reference>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(CommunicationRequest);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    /// §1.4 (a): what iHRIS posts for a text send now.
    pub const IHRIS_TEXT: &str = r#"{"resourceType":"CommunicationRequest","id":"7f0c3b1e-9a55-4e0c-8d43-1f2f1f0b9a10",
        "meta":{"tag":[{"system":"parentReqId","code":"1d1c4b7e-3f55-4c2e-9a0b-2d3c4e5f6a7b"}]},
        "payload":[{"contentString":"Please submit your weekly report"}],
        "recipient":[{"reference":"Practitioner/P6194"},{"reference":"Practitioner/P8699"}],
        "occurrenceDateTime":"2021-06-21T10:00:00",
        "extension":[{"url":"sender","valueReference":{"reference":"Person/u1"}}]}"#;

    /// §1.4 (a): a recurring flow start.
    pub const IHRIS_RECURRING_FLOW: &str = r#"{"resourceType":"CommunicationRequest","id":"c1",
        "meta":{"profile":["http://mhero.org/fhir/StructureDefinition/mhero-communication-request"]},
        "payload":[{"contentReference":{"reference":"Basic/5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f"}}],
        "recipient":[{"reference":"Practitioner/P6194"}],
        "extension":[{"url":"http://mhero.org/fhir/StructureDefinition/sms-cron-expression-schedule",
          "extension":[{"url":"frequency","valueString":"recurring"},{"url":"sendCategory","valueString":"later"},
                       {"url":"cronExpression","valueString":"14 14 */3 * *"}]}]}"#;

    /// §1.4 (b): emNutt's per-recipient result after a flow start.
    pub const RESULT: &str = r#"{"resourceType":"CommunicationRequest","id":"9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
        "meta":{"profile":["http://mhero.org/fhir/StructureDefinition/mhero-communication-request"]},
        "status":"completed","recipient":[{"reference":"Practitioner/P6194"}],
        "payload":[{"contentReference":{"reference":"Basic/5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f"}}],
        "extension":[{"url":"http://mhero.org/fhir/StructureDefinition/mhero-comm-req-flow-starts",
          "extension":[{"url":"created_on","valueDateTime":"2020-03-10T14:17:47.817188Z"},
                       {"url":"modified_on","valueDateTime":"2020-03-10T14:17:47.817290Z"},
                       {"url":"status","valueString":"pending"},
                       {"url":"flow_starts_uuid","valueString":"f5901b62-ba76-4003-9c62-72fdacc1b7b7"},
                       {"url":"rapidpro_contact_id","valueString":"d33e9ad5-5c35-414c-abd4-e7451c69ff1d"}]}]}"#;

    /// The docs' older form: attachment url and contained recipients.
    pub const OLDER_FORM: &str = r##"{"resourceType":"CommunicationRequest","id":"old1","status":"active",
        "contained":[{"resourceType":"Practitioner","id":"P6194","telecom":[{"system":"phone","value":"+255712345678"}]}],
        "recipient":[{"reference":"#P6194"}],
        "payload":[{"contentAttachment":{"url":"5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f"}}]}"##;

    #[test]
    fn every_reference_shape_round_trips() {
        for json in [IHRIS_TEXT, IHRIS_RECURRING_FLOW, RESULT, OLDER_FORM] {
            round_trip::<CommunicationRequest>(json);
        }
    }

    #[test]
    fn text_send_fields_are_read() {
        let cr: CommunicationRequest = round_trip(IHRIS_TEXT);
        assert_eq!(cr.status, None);
        assert_eq!(cr.recipient.len(), 2);
        assert_eq!(
            cr.payload[0].content_string.as_deref(),
            Some("Please submit your weekly report")
        );
        assert_eq!(cr.occurrence_date_time.as_deref(), Some("2021-06-21T10:00:00"));
    }
}
