//! `has_error`: the operand is an error; the match is its message.

use super::CaseResult;
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::Value;

pub fn has_error(operand: &Value) -> Result<CaseResult, Fail> {
    Ok(match operand {
        Value::Error(e) => CaseResult::matched(Value::text(e.as_ref())),
        _ => CaseResult::NoMatch,
    })
}
