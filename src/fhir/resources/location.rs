//! `Location`: a facility, or an administrative area (district, region)
//! reached through the `partOf` chain.

use serde::{Deserialize, Serialize};

use super::{impl_resource, CodeableConcept, Extension, Extra, Identifier, Meta, Reference, TypeTag};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub resource_type: TypeTag<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_type: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Location);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    const FACILITY: &str = r#"{"resourceType":"Location","id":"F1","status":"active","name":"Mwanza Health Centre",
        "type":[{"coding":[{"system":"urn:ietf:rfc:3986","code":"urn:ihe:iti:mcsd:2019:facility"}]}],
        "physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bu"}]},
        "partOf":{"reference":"Location/D1"},"position":{"longitude":32.9,"latitude":-2.5}}"#;

    #[test]
    fn facility_round_trips() {
        let l: Location = round_trip(FACILITY);
        assert_eq!(l.part_of.as_ref().and_then(|r| r.id_of("Location")), Some("D1"));
        assert!(l.extra.contains_key("position"));
    }
}
