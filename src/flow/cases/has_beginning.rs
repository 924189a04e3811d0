//! `has_beginning`: the trimmed operand starts with the trimmed test text,
//! case-insensitively; the match is the operand's own prefix.

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Value};

pub fn has_beginning(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let begin = operand_text(&args[0], env)?;
    let (text, begin) = (text.trim(), begin.trim());
    if text.is_empty() || begin.is_empty() {
        return Ok(CaseResult::NoMatch);
    }
    let n = begin.chars().count();
    let prefix: String = text.chars().take(n).collect();
    Ok(
        match prefix.chars().count() == n && prefix.to_lowercase() == begin.to_lowercase() {
            true => CaseResult::matched(Value::Text(prefix)),
            false => CaseResult::NoMatch,
        },
    )
}
