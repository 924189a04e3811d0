//! `set_run_result`: save a named result on the run.

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
