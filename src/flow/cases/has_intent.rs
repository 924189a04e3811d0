//! `has_intent` and `has_top_intent`: an NLU result (a classifier's result)
//! has this intent with at least this confidence; extra holds the best
//! value of each entity.

use rust_decimal::Decimal;

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::{Environment, Object, Value};

fn prop<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => o.get(key),
        _ => None,
    }
}

pub fn has_intent(
    operand: &Value,
    args: &[Value],
    env: &Environment,
    top_only: bool,
) -> Result<CaseResult, Fail> {
    let name = operand_text(&args[0], env)?;
    let threshold = convert::to_number(&args[1], env)?;
    let extra = prop(operand, "extra").ok_or("must have a classification result as its first argument")?;
    let intents = match prop(extra, "intents") {
        Some(Value::Array(items)) => items.clone(),
        _ => return Err("must have a classification result as its first argument".into()),
    };
    let candidates = if top_only {
        &intents[..intents.len().min(1)]
    } else {
        &intents[..]
    };
    for intent in candidates {
        let iname = prop(intent, "name").map(|v| v.to_text(env)).unwrap_or_default();
        let conf = prop(intent, "confidence")
            .and_then(|v| convert::to_number(v, env).ok())
            .unwrap_or_default();
        if iname.eq_ignore_ascii_case(&name) && conf >= threshold {
            return Ok(CaseResult::Matched {
                value: Value::Text(iname),
                extra: Some(entities(extra, env)),
            });
        }
    }
    Ok(CaseResult::NoMatch)
}

/// The most confident value of each entity.
fn entities(extra: &Value, env: &Environment) -> Object {
    let mut out = Object::new();
    if let Some(Value::Object(ents)) = prop(extra, "entities") {
        for (name, list) in ents.iter() {
            if let Value::Array(items) = list {
                let best = items.iter().max_by_key(|e| {
                    prop(e, "confidence")
                        .and_then(|c| convert::to_number(c, env).ok())
                        .unwrap_or(Decimal::MIN)
                });
                if let Some(best) = best {
                    out.insert(name, prop(best, "value").cloned().unwrap_or(Value::Null));
                }
            }
        }
    }
    out
}
