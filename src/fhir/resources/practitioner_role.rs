//! `PractitionerRole`: where a practitioner works (facility) and as what
//! (job/cadre in `code`, iHRIS's position details in extensions).

use serde::{Deserialize, Serialize};

use super::{
    impl_resource, CodeableConcept, ContactPoint, Extension, Extra, Identifier, Meta, Reference, TypeTag,
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PractitionerRole {
    pub resource_type: TypeTag<PractitionerRole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(PractitionerRole);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    const ROLE: &str = r#"{"resourceType":"PractitionerRole","id":"R1","active":true,
        "practitioner":{"reference":"Practitioner/P6194"},"organization":{"reference":"Organization/MOH"},
        "code":[{"coding":[{"system":"http://ihris.org/fhir/CodeSystem/ihris-job","code":"nurse","display":"Nurse"}]}],
        "location":[{"reference":"Location/F1"}],
        "period":{"start":"2019-01-01"},
        "extension":[{"url":"http://ihris.org/fhir/StructureDefinition/ihris-practitionerrole-details",
          "extension":[{"url":"position","valueReference":{"reference":"Basic/POS1"}}]}]}"#;

    #[test]
    fn role_round_trips() {
        let r: PractitionerRole = round_trip(ROLE);
        assert_eq!(
            r.practitioner.as_ref().and_then(|p| p.id_of("Practitioner")),
            Some("P6194")
        );
        assert_eq!(r.code[0].label(), Some("Nurse"));
        assert!(r.extra.contains_key("period"));
    }
}
