//! `has_group`: the operand (the contact's groups) holds the group with this UUID.

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::{Environment, Value};

pub fn has_group(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let groups = convert::to_array(operand, env)?;
    let uuid = operand_text(&args[0], env)?;
    for g in groups.iter() {
        if let Value::Error(e) = g {
            return Err(e.to_string());
        }
        let uuid_matches = |o: &crate::flow::expressions::Object| {
            o.get("uuid")
                .is_some_and(|u| u.to_text(env).eq_ignore_ascii_case(&uuid))
        };
        if matches!(g, Value::Object(o) if uuid_matches(o)) {
            return Ok(CaseResult::matched(g.clone()));
        }
    }
    Ok(CaseResult::NoMatch)
}
