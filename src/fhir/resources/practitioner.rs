//! `Practitioner`: a health worker in the registry, and a contact for us.

use serde::{Deserialize, Serialize};

use super::{impl_resource, ContactPoint, Extension, Extra, HumanName, Identifier, Meta, TypeTag};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Practitioner {
    pub resource_type: TypeTag<Practitioner>,
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(Practitioner);

impl Practitioner {
    /// The name to show: the `official` name if any, else the first usable one.
    pub fn display_name(&self) -> Option<String> {
        let official = self.name.iter().filter(|n| n.use_.as_deref() == Some("official"));
        official.chain(self.name.iter()).find_map(HumanName::display)
    }

    /// Raw `telecom` values with `system = phone`, best rank first.
    pub fn phones(&self) -> Vec<&str> {
        let mut phones: Vec<&ContactPoint> = self
            .telecom
            .iter()
            .filter(|t| t.system.as_deref() == Some("phone"))
            .collect();
        phones.sort_by_key(|t| t.rank.unwrap_or(u32::MAX));
        phones.into_iter().filter_map(|t| t.value.as_deref()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    /// §1.4 (f): a Practitioner created from a RapidPro-only contact.
    const FROM_RAPIDPRO: &str = r#"{"resourceType":"Practitioner","id":"5f6a2a5e-0d36-4c55-9e1b-7f7fb1f5c1a1",
        "active":true,"name":[{"use":"official","text":"Amina Mushi","given":["Amina"],"family":"Mushi"}],
        "identifier":[{"system":"http://app.rapidpro.io/contact-uuid","value":"5f6a2a5e-0d36-4c55-9e1b-7f7fb1f5c1a1"}],
        "telecom":[{"system":"phone","value":"+255712345678"}]}"#;

    /// An iHRIS practitioner with profile, opt-out tag, and fields we do not model.
    const IHRIS: &str = r#"{"resourceType":"Practitioner","id":"P6194",
        "meta":{"versionId":"3","lastUpdated":"2021-06-21T10:00:00Z",
          "profile":["http://ihris.org/fhir/StructureDefinition/ihris-practitioner"],
          "tag":[{"system":"http://mhero.org/codesystem","code":"optedout"}]},
        "extension":[{"url":"http://ihris.org/fhir/StructureDefinition/ihris-related-group",
          "extension":[{"url":"location","valueReference":{"reference":"Location/D1"}}]}],
        "name":[{"use":"official","family":"Doe","given":["Jane","Q"],"prefix":["Dr"]}],
        "telecom":[{"system":"email","value":"j@x.org"},{"system":"phone","value":"0712 345 678","rank":2},
          {"system":"phone","value":"+255 713 000 111","rank":1}],
        "gender":"female","birthDate":"1980-02-03",
        "qualification":[{"code":{"text":"Nurse"}}]}"#;

    #[test]
    fn rapidpro_contact_round_trips() {
        let p: Practitioner = round_trip(FROM_RAPIDPRO);
        assert_eq!(p.display_name().as_deref(), Some("Amina Mushi"));
        assert_eq!(p.phones(), vec!["+255712345678"]);
    }

    #[test]
    fn ihris_practitioner_round_trips_and_keeps_unknown_fields() {
        let p: Practitioner = round_trip(IHRIS);
        assert_eq!(p.display_name().as_deref(), Some("Jane Q Doe"));
        assert_eq!(p.phones(), vec!["+255 713 000 111", "0712 345 678"]);
        assert_eq!(
            p.extra.get("birthDate").and_then(|v| v.as_str()),
            Some("1980-02-03")
        );
    }

    #[test]
    fn another_resource_type_is_refused() {
        let err = serde_json::from_str::<Practitioner>(r#"{"resourceType":"Patient","id":"x"}"#)
            .expect_err("a Patient is not a Practitioner");
        assert!(
            err.to_string().contains("expected resourceType \"Practitioner\""),
            "{err}"
        );
    }
}
