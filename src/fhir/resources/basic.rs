//! `Basic`: the catch-all resource; mHero keeps RapidPro flows
//! ("workflows") in it, id = flow uuid (see `crate::fhir::mhero`).

use serde::{Deserialize, Serialize};

use super::{impl_resource, CodeableConcept, Extension, Extra, Identifier, Meta, Reference, TypeTag};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Basic {
    pub resource_type: TypeTag<Basic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Required in R4; emNutt puts it in `meta.code` instead, so optional for reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Reference>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Basic);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    /// §1.4 (e): a workflow as emNutt writes it (code misplaced in meta).
    pub const EMNUTT_WORKFLOW: &str = r#"{"resourceType":"Basic","id":"5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f",
        "meta":{"profile":["http://mhero.org/fhir/StructureDefinition/mhero-workflows"],
          "code":{"coding":[{"system":"http://mhero.org/fhir/CodeSystem/mhero-resource","code":"mHeroWorkflows"}]}},
        "extension":[{"url":"http://mhero.org/fhir/StructureDefinition/mhero-workflows-details",
          "extension":[{"url":"name","valueString":"Weekly stock report"},
                       {"url":"uuid","valueString":"5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f"},
                       {"url":"flow_type","valueString":"message"},{"url":"archived","valueBoolean":false},
                       {"url":"expires","valueInteger":10080},
                       {"url":"created_on","valueDateTime":"2020-03-10T14:17:47Z"},
                       {"url":"modified_on","valueDateTime":"2020-03-11T09:00:00Z"},
                       {"url":"http://mhero.org/fhir/StructureDefinition/mhero-run-summary",
                        "extension":[{"url":"active","valueInteger":1},{"url":"completed","valueInteger":40},
                                     {"url":"interrupted","valueInteger":2},{"url":"expired","valueInteger":5}]}]}]}"#;

    #[test]
    fn emnutt_workflow_round_trips() {
        let b: Basic = round_trip(EMNUTT_WORKFLOW);
        assert!(b.code.is_none());
        assert!(b.meta.as_ref().is_some_and(|m| m.extra.contains_key("code")));
    }
}
