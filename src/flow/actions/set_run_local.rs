//! `set_run_local` (spec 14): set, increment or clear a run-local variable
//! (`@locals.name`), which unlike a result is never shown to users.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalOperation {
    #[default]
    Set,
    Increment,
    Clear,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRunLocal {
    pub uuid: String,
    pub local: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub operation: LocalOperation,
}
