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
        if let Value::Object(o) = g {
            if uuid_matches(o) {
                // The match is the group itself, shown whole (not as its name).
                let mut group = o.clone();
                group.set_default(None);
                return Ok(CaseResult::matched(Value::Object(group)));
            }
        }
    }
    Ok(CaseResult::NoMatch)
}
