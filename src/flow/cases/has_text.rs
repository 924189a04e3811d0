//! `has_text` (alias `has_value`): any non-whitespace text; the match is the trimmed text.

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Value};

pub fn has_text(operand: &Value, env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let trimmed = text.trim();
    Ok(match trimmed.is_empty() {
        true => CaseResult::NoMatch,
        false => CaseResult::matched(Value::text(trimmed)),
    })
}
