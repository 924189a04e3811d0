//! `has_pattern`: a regular expression, case-insensitive and multi-line
//! unless the pattern says otherwise; extra holds the groups by number.

use super::{operand_text, CaseResult, MAX_REGEX_SIZE};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Object, Value};

pub fn has_pattern(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let pattern = operand_text(&args[0], env)?;
    let re = regex::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .multi_line(true)
        .size_limit(MAX_REGEX_SIZE)
        .build()
        .map_err(|_| "must be called with a valid regular expression".to_string())?;
    let Some(caps) = re.captures(&text) else {
        return Ok(CaseResult::NoMatch);
    };
    let mut extra = Object::new();
    for (i, group) in caps.iter().enumerate() {
        extra.insert(
            i.to_string(),
            Value::text(group.map(|m| m.as_str()).unwrap_or("")),
        );
    }
    let whole = caps.get(0).map(|m| m.as_str()).unwrap_or("");
    Ok(CaseResult::Matched {
        value: Value::text(whole),
        extra: Some(extra),
    })
}
