//! Argument helpers shared by the function families: typed access to the
//! n-th argument with goflow's conversion errors.

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::value::Value;

pub fn arg(a: &[Value], i: usize) -> &Value {
    a.get(i).unwrap_or(&Value::Null)
}

pub fn text(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<String, Fail> {
    convert::to_text(arg(a, i), c.env)
}

pub fn number(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<Decimal, Fail> {
    convert::to_number(arg(a, i), c.env)
}

pub fn integer(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<i64, Fail> {
    convert::to_integer(arg(a, i), c.env)
}

pub fn date(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<NaiveDate, Fail> {
    convert::to_date(arg(a, i), c.env)
}

pub fn datetime(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<DateTime<Tz>, Fail> {
    convert::to_datetime(arg(a, i), c.env)
}

pub fn time(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<NaiveTime, Fail> {
    convert::to_time(arg(a, i), c.env)
}

/// Fails with the first error among the arguments.
pub fn no_errors(a: &[Value]) -> Result<(), Fail> {
    match a.iter().find(|v| v.is_error()) {
        Some(Value::Error(e)) => Err(e.to_string()),
        _ => Ok(()),
    }
}
