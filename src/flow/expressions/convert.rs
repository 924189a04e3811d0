//! Conversions between value types (goflow `ToXText`, `ToXNumber`, …) and the
//! wording of conversion errors. Knows the environment's formats; knows
//! nothing of functions or templates.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::dates;
use super::env::Environment;
use super::value::{parse_decimal, Value};

/// A failed conversion or call; becomes a [`Value::Error`].
pub type Fail = String;

/// How a value is named in error messages (goflow `Describe`).
pub fn describe(v: &Value, env: &Environment) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Text(s) => format!("{s:?}"),
        Value::Error(e) => e.to_string(),
        Value::Object(o) => match o.default_value() {
            Some(d) => describe(d, env),
            None => "object".into(),
        },
        Value::Array(_) => "array".into(),
        other => other.to_text(env),
    }
}

fn unable(v: &Value, what: &str, env: &Environment) -> Fail {
    format!("unable to convert {} to {what}", describe(v, env))
}

/// Text of a value; errors pass through as failures.
pub fn to_text(v: &Value, env: &Environment) -> Result<String, Fail> {
    match v {
        Value::Error(e) => Err(e.to_string()),
        Value::Text(s) => Ok(s.clone()),
        other => Ok(other.to_text(env)),
    }
}

/// Truthiness as a conversion; errors pass through.
pub fn to_boolean(v: &Value) -> Result<bool, Fail> {
    match v {
        Value::Error(e) => Err(e.to_string()),
        other => Ok(other.is_truthy()),
    }
}

/// A number from a number, numeric text, or an object's default.
pub fn to_number(v: &Value, env: &Environment) -> Result<Decimal, Fail> {
    match v.resolve_default() {
        Value::Error(e) => Err(e.to_string()),
        Value::Number(n) => Ok(*n),
        Value::Text(s) => parse_decimal(s)
            .or_else(|| parse_localized(s, env))
            .ok_or_else(|| unable(v, "a number", env)),
        other => Err(unable(other, "a number", env)),
    }
}

/// Text written with the environment's decimal symbol (`1,5` where `,` is decimal).
fn parse_localized(s: &str, env: &Environment) -> Option<Decimal> {
    let dec = env.number_format.decimal_symbol.as_str();
    if dec == "." || dec.is_empty() {
        return None;
    }
    parse_decimal(&s.replace(dec, "."))
}

/// An integer (truncated); numbers beyond 32 bits are refused like goflow does.
pub fn to_integer(v: &Value, env: &Environment) -> Result<i64, Fail> {
    let n = to_number(v, env)?;
    n.trunc()
        .to_i32()
        .map(i64::from)
        .ok_or_else(|| format!("unable to convert {} to an integer", describe(v, env)))
}

/// A date from a date, datetime (its local date) or text in the env's date format.
pub fn to_date(v: &Value, env: &Environment) -> Result<NaiveDate, Fail> {
    match v.resolve_default() {
        Value::Error(e) => Err(e.to_string()),
        Value::Date(d) => Ok(*d),
        Value::DateTime(dt) => Ok(dt.date_naive()),
        Value::Text(s) => dates::date_from_string(env, s).ok_or_else(|| unable(v, "a date", env)),
        other => Err(unable(other, "a date", env)),
    }
}

/// A datetime from a datetime, a date (midnight in the env timezone) or text.
pub fn to_datetime(v: &Value, env: &Environment) -> Result<DateTime<Tz>, Fail> {
    match v.resolve_default() {
        Value::Error(e) => Err(e.to_string()),
        Value::DateTime(dt) => Ok(*dt),
        Value::Date(d) => midnight(*d, env.timezone).ok_or_else(|| unable(v, "a datetime", env)),
        Value::Text(s) => {
            dates::datetime_from_string(env, s, false).ok_or_else(|| unable(v, "a datetime", env))
        }
        other => Err(unable(other, "a datetime", env)),
    }
}

/// Midnight of `d` in `tz` (the first valid instant of that day).
pub fn midnight(d: NaiveDate, tz: Tz) -> Option<DateTime<Tz>> {
    let naive = d.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&naive).earliest()
}

/// A time of day from a time, datetime, text or a number of hours.
pub fn to_time(v: &Value, env: &Environment) -> Result<NaiveTime, Fail> {
    match v.resolve_default() {
        Value::Error(e) => Err(e.to_string()),
        Value::Time(t) => Ok(*t),
        Value::DateTime(dt) => Ok(dt.time()),
        Value::Text(s) => dates::time_from_string(s).ok_or_else(|| unable(v, "a time", env)),
        // A number of hours; 24 is midnight.
        Value::Number(n) => n
            .to_u32()
            .filter(|h| *h <= 24 && n.fract().is_zero())
            .and_then(|h| NaiveTime::from_hms_opt(h % 24, 0, 0))
            .ok_or_else(|| unable(v, "a time", env)),
        other => Err(unable(other, "a time", env)),
    }
}

/// Items of an array; null is the empty array.
pub fn to_array(v: &Value, env: &Environment) -> Result<std::sync::Arc<Vec<Value>>, Fail> {
    match v.resolve_default() {
        Value::Error(e) => Err(e.to_string()),
        Value::Null => Ok(Default::default()),
        Value::Array(a) => Ok(a.clone()),
        other => Err(unable(other, "an array", env)),
    }
}

/// An object; null is the empty object.
pub fn to_object(v: &Value, env: &Environment) -> Result<super::value::Object, Fail> {
    match v {
        Value::Error(e) => Err(e.to_string()),
        Value::Null => Ok(Default::default()),
        Value::Object(o) => Ok(o.clone()),
        other => Err(unable(other, "an object", env)),
    }
}
