//! `set_run_local` (spec 14): set, increment or clear a run-local variable
//! (`@locals.name`), which unlike a result is never shown to users.

use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::expressions::value::parse_decimal;
use crate::flow::sprint::Sprinter;
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

impl SetRunLocal {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let value = s.template(&a.value);
        let locals = &mut s.run_mut().locals;
        match a.operation {
            LocalOperation::Set => {
                locals.insert(a.local.clone(), value);
            }
            LocalOperation::Clear => {
                locals.remove(&a.local);
            }
            LocalOperation::Increment => {
                let current = locals
                    .get(&a.local)
                    .and_then(|v| parse_decimal(v))
                    .unwrap_or_default();
                let by = parse_decimal(&value).unwrap_or_default();
                locals.insert(a.local.clone(), (current + by).normalize().to_string());
            }
        }
        Outcome::Continue
    }
}
