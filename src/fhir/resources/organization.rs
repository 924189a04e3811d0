//! `Organization`: an employer or ministry unit a role or facility belongs to.

use serde::{Deserialize, Serialize};

use super::{
    impl_resource, CodeableConcept, ContactPoint, Extension, Extra, Identifier, Meta, Reference, TypeTag,
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub resource_type: TypeTag<Organization>,
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
    #[serde(rename = "type", default, skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Organization);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    #[test]
    fn organization_round_trips() {
        let o: Organization = round_trip(
            r#"{"resourceType":"Organization","id":"MOH","active":true,"name":"Ministry of Health",
            "type":[{"text":"Government"}],"alias":["MoH"],"partOf":{"reference":"Organization/GOV"}}"#,
        );
        assert_eq!(o.name.as_deref(), Some("Ministry of Health"));
        assert!(o.extra.contains_key("alias"));
    }
}
