//! `has_category`: the operand (a result) has one of these categories.

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Value};

pub fn has_category(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let category = match operand {
        Value::Object(o) => o.get("category").cloned(),
        _ => None,
    }
    .ok_or("must have a result as its first argument")?;
    let category = operand_text(&category, env)?;
    for a in args {
        if operand_text(a, env)?.eq_ignore_ascii_case(&category) {
            return Ok(CaseResult::matched(Value::Text(category)));
        }
    }
    Ok(CaseResult::NoMatch)
}
