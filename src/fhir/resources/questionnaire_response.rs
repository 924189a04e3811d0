//! `QuestionnaireResponse`: the answers of one finished flow run.

use serde::{Deserialize, Serialize};

use super::{impl_resource, Extension, Extra, Identifier, Meta, Reference, TypeTag};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionnaireResponse {
    pub resource_type: TypeTag<QuestionnaireResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub part_of: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub questionnaire: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<QuestionnaireResponseItem>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl_resource!(QuestionnaireResponse);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionnaireResponseItem {
    pub link_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer: Vec<QuestionnaireResponseAnswer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<QuestionnaireResponseItem>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One answer; `value[x]` kept by its JSON key (`valueString`, `valueInteger`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionnaireResponseAnswer {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<QuestionnaireResponseItem>,
    #[serde(flatten)]
    pub value: Extra,
}

impl QuestionnaireResponseAnswer {
    pub fn string(text: &str) -> QuestionnaireResponseAnswer {
        let mut value = Extra::new();
        value.insert(
            "valueString".to_string(),
            serde_json::Value::String(text.to_string()),
        );
        QuestionnaireResponseAnswer {
            item: Vec::new(),
            value,
        }
    }

    pub fn value_string(&self) -> Option<&str> {
        self.value.get("valueString")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::tests::round_trip;

    /// §1.4 (d), as emNutt writes it.
    const EMNUTT_RUN: &str = r#"{"resourceType":"QuestionnaireResponse","id":"0f1e2d3c-4b5a-4968-8776-655443322110",
        "authored":"2021-06-21T10:00:00Z","status":"completed",
        "item":[{"linkId":"a1b2c3d4-0000-4000-8000-000000000001","text":"How many ORS packets?",
                 "answer":[{"valueString":"12"}]},
                {"linkId":"a1b2c3d4-0000-4000-8000-000000000002","text":"Nested",
                 "item":[{"linkId":"n1","answer":[{"valueInteger":3}]}]}]}"#;

    #[test]
    fn emnutt_run_round_trips() {
        let qr: QuestionnaireResponse = round_trip(EMNUTT_RUN);
        assert_eq!(qr.item[0].answer[0].value_string(), Some("12"));
        assert_eq!(
            qr.item[1].item[0].answer[0].value.get("valueInteger"),
            Some(&serde_json::json!(3))
        );
    }
}
