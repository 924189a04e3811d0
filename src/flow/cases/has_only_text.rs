//! `has_only_text`: exact, case-sensitive equality.

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Value};

pub fn has_only_text(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let other = operand_text(&args[0], env)?;
    Ok(match text == other {
        true => CaseResult::matched(Value::Text(text)),
        false => CaseResult::NoMatch,
    })
}
