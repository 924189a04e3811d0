//! `call_classifier`: classify text with an NLU service (deprecated in 14).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::exec::Outcome;
use crate::flow::assets::NamedRef;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::run::RawJson;
use crate::flow::sprint::Sprinter;

/// The categories of a classification result.
const SUCCESS: &str = "Success";
const SKIPPED: &str = "Skipped";
const FAILURE: &str = "Failure";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallClassifier {
    pub uuid: String,
    pub classifier: NamedRef,
    pub input: String,
    pub result_name: String,
}

impl CallClassifier {
    pub fn validate(&self) -> Result<(), String> {
        super::check_result_name(&self.result_name)
    }
}

impl CallClassifier {
    fn save(&self, s: &mut Sprinter<'_>, value: &str, category: &str, input: &str, extra: Option<RawJson>) {
        let node = s.current_node_uuid();
        s.save_result(
            &self.result_name,
            value.to_owned(),
            category.to_owned(),
            String::new(),
            Some(input.to_owned()),
            extra,
            &node,
        );
    }

    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let input = s.template(&self.input);
        let Some(classifier) = s.assets.classifier(&self.classifier.uuid).cloned() else {
            s.error(format!(
                "missing dependency: classifier[uuid={},name={}]",
                self.classifier.uuid, self.classifier.name
            ));
            self.save(s, "0", FAILURE, &input, None);
            return Outcome::Continue;
        };
        if input.trim().is_empty() {
            s.error("can't classify empty input, skipping classification");
            self.save(s, "0", SKIPPED, &input, None);
            return Outcome::Continue;
        }
        let reference = NamedRef {
            uuid: classifier.uuid.clone(),
            name: classifier.name.clone(),
        };
        let Some(call) = s.services.classify(&reference, &classifier.kind, &input) else {
            s.error(format!(
                "no classification service configured for classifier type '{}'",
                classifier.kind
            ));
            self.save(s, "0", FAILURE, &input, None);
            return Outcome::Continue;
        };
        s.emit(EventKind::Service(json!({
            "type": "service_called", "service": "classifier", "classifier": reference,
            "http_logs": call.http_logs,
        })));
        match call.result {
            Ok(classification) => {
                let top = classification
                    .intents
                    .first()
                    .map(|i| i.name.clone())
                    .unwrap_or_default();
                let extra = serde_json::to_value(&classification)
                    .ok()
                    .map(|v| RawJson::from_value(&v));
                self.save(s, &top, SUCCESS, &input, extra);
            }
            Err(why) => {
                s.error(why);
                self.save(s, "0", FAILURE, &input, None);
            }
        }
        Outcome::Continue
    }
}
