//! Type conversion and logic functions: `text`, `number`, `date`, `if`,
//! `and`, `default`, `json`, `format`…

use super::args::{self, arg, no_errors};
use super::dates::{format_date_layout, format_datetime_layout};
use super::numbers::format_decimal;
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::value::Value;

/// `parse_json` refuses documents larger than this (bytes).
pub const MAX_JSON_LEN: usize = 1024 * 1024;

type R = Result<Value, Fail>;

pub fn text(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Text(args::text(c, a, 0)?))
}

pub fn boolean(_: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Boolean(convert::to_boolean(arg(a, 0))?))
}

pub fn number(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Number(args::number(c, a, 0)?))
}

pub fn date(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Date(args::date(c, a, 0)?))
}

pub fn datetime(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::DateTime(args::datetime(c, a, 0)?))
}

pub fn time(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Time(args::time(c, a, 0)?))
}

pub fn and(_: &Ctx<'_>, a: &[Value]) -> R {
    let mut all = true;
    for v in a {
        all &= convert::to_boolean(v)?;
    }
    Ok(Value::Boolean(all))
}

pub fn or(_: &Ctx<'_>, a: &[Value]) -> R {
    let mut any = false;
    for v in a {
        any |= convert::to_boolean(v)?;
    }
    Ok(Value::Boolean(any))
}

pub fn if_(_: &Ctx<'_>, a: &[Value]) -> R {
    let chosen = if convert::to_boolean(arg(a, 0))? {
        arg(a, 1)
    } else {
        arg(a, 2)
    };
    match chosen {
        Value::Error(e) => Err(e.to_string()),
        other => Ok(other.clone()),
    }
}

pub fn is_error(_: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Boolean(arg(a, 0).is_error()))
}

/// The first argument unless it is an error or empty, else the second.
pub fn default(_: &Ctx<'_>, a: &[Value]) -> R {
    let first = arg(a, 0);
    if first.is_error() || !first.is_truthy() && first.to_text(&Default::default()).is_empty() {
        return Ok(arg(a, 1).clone());
    }
    Ok(first.clone())
}

pub fn json(_: &Ctx<'_>, a: &[Value]) -> R {
    no_errors(a)?;
    Ok(Value::Text(arg(a, 0).to_json_string()))
}

pub fn parse_json(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = args::text(c, a, 0)?;
    if s.len() > MAX_JSON_LEN {
        return Err(format!("JSON longer than {MAX_JSON_LEN} bytes"));
    }
    let parsed: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| format!("unable to parse JSON: {e}"))?;
    Ok(Value::from_json(&parsed))
}

/// Formats a value for humans, using the environment's formats.
pub fn format(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Text(format_value(c, arg(a, 0))?))
}

fn format_value(c: &Ctx<'_>, v: &Value) -> Result<String, Fail> {
    let env = c.env;
    Ok(match v {
        Value::Error(e) => return Err(e.to_string()),
        Value::Number(n) => format_decimal(*n, None, true, &env.number_format),
        Value::Date(d) => format_date_layout(*d, env.date_format.layout())?,
        Value::DateTime(dt) => {
            let layout = format!("{} {}", env.date_format.layout(), env.time_format.layout());
            format_datetime_layout(&dt.with_timezone(&env.timezone), &layout)?
        }
        Value::Time(t) => super::dates::format_time_layout(*t, env.time_format.layout())?,
        Value::Array(items) => {
            let parts: Result<Vec<String>, Fail> = items
                .iter()
                .map(|i| match i {
                    Value::Object(_) => format_value(c, i).map(|s| indent_item(&s)),
                    _ => format_value(c, i),
                })
                .collect();
            match items
                .iter()
                .any(|i| matches!(i, Value::Object(o) if o.default_value().is_none()))
            {
                true => parts?.join("\n"),
                false => parts?.join(", "),
            }
        }
        Value::Object(o) => match o.default_value() {
            Some(d) => format_value(c, d)?,
            None => {
                let mut lines = Vec::new();
                for (k, item) in o.sorted() {
                    match item {
                        Value::Object(inner) if inner.default_value().is_none() => {
                            lines.push(format!("{k}:"));
                            for l in format_value(c, item)?.lines() {
                                lines.push(format!("  {l}"));
                            }
                        }
                        _ => lines.push(format!("{k}: {}", format_value(c, item)?)),
                    }
                }
                lines.join("\n")
            }
        },
        other => other.to_text(env),
    })
}

fn indent_item(s: &str) -> String {
    s.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("- {l}")
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
