//! `has_date`, `has_date_lt`/`_eq`/`_gt` and `has_time`: dates and times in
//! free text, read with the environment's date format and timezone.

use chrono::NaiveDate;

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::dates::{datetime_from_string, time_from_string};
use crate::flow::expressions::{Environment, Value};

fn find(operand: &Value, env: &Environment) -> Result<Option<chrono::DateTime<chrono_tz::Tz>>, Fail> {
    let text = operand_text(operand, env)?;
    Ok(datetime_from_string(env, &text, true).map(|dt| dt.with_timezone(&env.timezone)))
}

pub fn has_date(operand: &Value, env: &Environment) -> Result<CaseResult, Fail> {
    Ok(match find(operand, env)? {
        Some(dt) => CaseResult::matched(Value::DateTime(dt)),
        None => CaseResult::NoMatch,
    })
}

pub fn compare(
    operand: &Value,
    args: &[Value],
    env: &Environment,
    test: fn(NaiveDate, NaiveDate) -> bool,
) -> Result<CaseResult, Fail> {
    let x = convert::to_date(&args[0], env)?;
    if operand.is_null() {
        return Err("operand is null".into());
    }
    Ok(match find(operand, env)? {
        Some(dt) if test(dt.date_naive(), x) => CaseResult::matched(Value::DateTime(dt)),
        _ => CaseResult::NoMatch,
    })
}

pub fn has_time(operand: &Value, env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    Ok(match time_from_string(&text) {
        Some(t) => CaseResult::matched(Value::Time(t)),
        None => CaseResult::NoMatch,
    })
}
