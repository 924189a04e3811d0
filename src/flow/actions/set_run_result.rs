//! `set_run_result`: save a named result on the run.

use super::exec::Outcome;
use super::exec::MAX_RESULT_VALUE_CHARS;
use crate::flow::definition::Flow;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRunResult {
    pub uuid: String,
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub category: String,
}

impl SetRunResult {
    pub fn validate(&self) -> Result<(), String> {
        super::check_result_name(&self.name)
    }
}

impl SetRunResult {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, flow: &Flow) -> Outcome {
        let a = self;
        let Some(value) = s.template_ok(&a.value) else {
            return Outcome::Continue;
        };
        let value: String = value.chars().take(MAX_RESULT_VALUE_CHARS).collect();
        let (category, lang) = s.localized(&a.uuid, "category", std::slice::from_ref(&a.category));
        let localized = if lang != flow.language {
            category.first().cloned().unwrap_or_default()
        } else {
            String::new()
        };
        let node = s.current_node_uuid();
        s.save_result(&a.name, value, a.category.clone(), localized, None, None, &node);
        Outcome::Continue
    }
}
