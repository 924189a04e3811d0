//! URN, attachment and location text functions.

use super::args::text;
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::value::{Object, Value};

type R = Result<Value, Fail>;

/// The parts of `scheme:path[?query][#display]`.
struct UrnParts<'a> {
    scheme: &'a str,
    path: &'a str,
    display: &'a str,
}

fn parse_urn(s: &str) -> Option<UrnParts<'_>> {
    let (scheme, rest) = s.split_once(':')?;
    let valid_scheme = scheme.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !valid_scheme {
        return None;
    }
    let (rest, display) = rest.split_once('#').unwrap_or((rest, ""));
    let path = rest.split_once('?').map(|(p, _)| p).unwrap_or(rest);
    if path.is_empty() || path.chars().any(char::is_whitespace) {
        return None;
    }
    Some(UrnParts {
        scheme,
        path,
        display,
    })
}

pub fn urn_parts(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let u = parse_urn(&s).ok_or_else(|| format!("{s} is not a valid URN"))?;
    Ok(Value::Object(Object::from_props(vec![
        ("scheme".into(), Value::text(u.scheme)),
        ("path".into(), Value::text(u.path)),
        ("display".into(), Value::text(u.display)),
    ])))
}

pub fn attachment_parts(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let (content_type, url) = match s.split_once(':') {
        Some((t, u)) if t.contains('/') => (t, u),
        _ => ("", s.as_str()),
    };
    Ok(Value::Object(Object::from_props(vec![
        ("content_type".into(), Value::text(content_type)),
        ("url".into(), Value::text(url)),
    ])))
}

pub fn format_urn(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let u = parse_urn(&s).ok_or_else(|| format!("{s} is not a valid URN"))?;
    if !u.display.is_empty() {
        return Ok(Value::text(u.display));
    }
    if u.scheme == "tel" {
        if let Ok(number) = phonenumber::parse(None, u.path) {
            return Ok(Value::Text(
                number.format().mode(phonenumber::Mode::National).to_string(),
            ));
        }
    }
    Ok(Value::text(u.path))
}

pub fn format_location(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    Ok(Value::text(s.rsplit('>').next().unwrap_or("").trim()))
}
