//! `has_email`: the first e-mail address in the text.

use std::sync::LazyLock;

use regex::Regex;

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Value};

static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[\pL\pN.!#$%&*+/=?^_`{|}~-]+@[\pL\pN-]+(?:\.[\pL\pN-]+)+").ok());

pub fn has_email(operand: &Value, env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let found = EMAIL.as_ref().and_then(|re| re.find(&text)).map(|m| m.as_str());
    Ok(match found {
        Some(email) => CaseResult::matched(Value::text(email)),
        None => CaseResult::NoMatch,
    })
}
