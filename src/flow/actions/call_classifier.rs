//! `call_classifier`: classify text with an NLU service (deprecated in 14).

use serde::{Deserialize, Serialize};

use crate::flow::assets::NamedRef;

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
