//! `Group`: a contact group (`type = practitioner`, `actual = true`), members
//! as `Practitioner/<id>` references, as emNutt and iHRIS write them.

use serde::{Deserialize, Serialize};

use super::{impl_resource, CodeableConcept, Extension, Extra, Identifier, Meta, Reference, TypeTag};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub resource_type: TypeTag<Group>,
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
    /// Required in R4, but iHRIS's "add group" omits it: kept optional so we can read those.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Required in R4; optional for the same reason as `type_`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member: Vec<GroupMember>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Group);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupMember {
    pub entity: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Group {
    /// Ids of active `Practitioner` members.
    pub fn practitioner_ids(&self) -> Vec<&str> {
        self.member
            .iter()
            .filter(|m| m.inactive != Some(true))
            .filter_map(|m| m.entity.id_of("Practitioner"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    #[test]
    fn rapidpro_group_round_trips() {
        let g: Group = round_trip(
            r#"{"resourceType":"Group","id":"0b5e4e1c-2f1a-4f7a-9d0e-0c6f3f3d5a11","name":"Nurses Mwanza",
            "identifier":[{"system":"http://app.rapidpro.io/group-uuid","value":"0b5e4e1c-2f1a-4f7a-9d0e-0c6f3f3d5a11"}],
            "type":"practitioner","actual":true,
            "member":[{"entity":{"reference":"Practitioner/P6194"}},{"entity":{"reference":"Practitioner/P8699"},"inactive":true}]}"#,
        );
        assert_eq!(g.practitioner_ids(), vec!["P6194"]);
    }

    #[test]
    fn ihris_minimal_group_parses() {
        let g: Group = round_trip(r#"{"resourceType":"Group","name":"District officers"}"#);
        assert!(g.member.is_empty());
    }
}
