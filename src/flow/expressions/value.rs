//! Typed Excellent values: what an expression evaluates to and what the
//! context is made of. Knows rendering, truthiness, equality and JSON, but
//! nothing of templates, functions or flows.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::env::Environment;
pub use super::object::Object;
use super::parser::Expr;

/// An Excellent value. Cheap to clone: arrays, objects and functions are shared.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Text(String),
    Number(Decimal),
    Boolean(bool),
    Date(NaiveDate),
    Time(NaiveTime),
    DateTime(DateTime<Tz>),
    Array(Arc<Vec<Value>>),
    Object(Object),
    Function(Function),
    Error(Arc<str>),
}

/// A callable value: a built-in function by name, or an anonymous function
/// `(a, b) => expr` that closes over the context it was written in.
#[derive(Debug, Clone)]
pub enum Function {
    Builtin(&'static str),
    Lambda(Arc<Lambda>),
}

/// An anonymous function: parameter names, body, and the scope it was created in.
#[derive(Debug)]
pub struct Lambda {
    pub params: Vec<String>,
    pub body: Arc<Expr>,
    /// The context the function was written in.
    pub scope: Object,
    /// Parameters of enclosing anonymous functions.
    pub locals: Vec<(String, Value)>,
}

impl Function {
    pub fn name(&self) -> &str {
        match self {
            Function::Builtin(name) => name,
            Function::Lambda(_) => "<anon>",
        }
    }
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn error(msg: impl AsRef<str>) -> Value {
        Value::Error(Arc::from(msg.as_ref()))
    }

    pub fn number(n: impl Into<Decimal>) -> Value {
        Value::Number(n.into())
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The wire name of this value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Text(_) => "text",
            Value::Number(_) => "number",
            Value::Boolean(_) => "boolean",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "datetime",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Function(_) => "function",
            Value::Error(_) => "error",
        }
    }

    /// Objects with a default stand in for that default in most operations.
    pub fn resolve_default(&self) -> &Value {
        let mut v = self;
        for _ in 0..MAX_DEFAULT_DEPTH {
            match v {
                Value::Object(o) => match o.default_value() {
                    Some(d) => v = d,
                    None => return v,
                },
                _ => return v,
            }
        }
        v
    }

    /// Text used when the value is inserted in a template (goflow `Render`).
    /// Rendering is the same in every environment today; the environment is
    /// part of the signature so locale-aware rendering needs no API change.
    pub fn to_text(&self, _env: &Environment) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    /// Appends the rendering of this value to `out`.
    pub fn render_into(&self, out: &mut String) {
        match self {
            Value::Null | Value::Error(_) => {}
            Value::Text(s) => out.push_str(s),
            Value::Number(n) => out.push_str(&render_number(n)),
            Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Date(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
            Value::Time(t) => out.push_str(&render_time(t)),
            Value::DateTime(dt) => out.push_str(&render_datetime(dt)),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_into(out);
                }
                out.push(']');
            }
            Value::Object(o) => match o.default_value() {
                Some(d) => d.render_into(out),
                None => {
                    out.push('{');
                    for (i, (k, v)) in o.sorted().into_iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(k);
                        out.push_str(": ");
                        v.render_into(out);
                    }
                    out.push('}');
                }
            },
            Value::Function(f) => out.push_str(f.name()),
        }
    }

    /// Truthiness (goflow `Truthy`): empty text/array/object, zero, false, null
    /// and errors are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null | Value::Error(_) => false,
            Value::Text(s) => !s.is_empty() && !s.eq_ignore_ascii_case("false"),
            Value::Number(n) => !n.is_zero(),
            Value::Boolean(b) => *b,
            Value::Date(_) | Value::Time(_) | Value::DateTime(_) | Value::Function(_) => true,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => match o.default_value() {
                Some(d) => d.is_truthy(),
                None => !o.is_empty(),
            },
        }
    }

    /// JSON form (goflow `MarshalJSON`): errors become null, dates ISO strings.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Error(_) | Value::Function(_) => J::Null,
            Value::Text(s) => J::String(s.clone()),
            Value::Number(n) => {
                let s = render_number(n);
                serde_json::from_str::<serde_json::Number>(&s)
                    .map(J::Number)
                    .unwrap_or(J::String(s))
            }
            Value::Boolean(b) => J::Bool(*b),
            Value::Date(_) | Value::Time(_) | Value::DateTime(_) => {
                J::String(self.to_text(&Environment::default()))
            }
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(o) => {
                let mut map = serde_json::Map::new();
                for (k, v) in o.sorted() {
                    map.insert(k.to_string(), v.to_json());
                }
                J::Object(map)
            }
        }
    }

    /// The JSON text of [`Value::to_json`].
    pub fn to_json_string(&self) -> String {
        let mut s = String::new();
        write_json(&mut s, self);
        s
    }

    /// Builds a value from JSON: numbers exact, objects keep their key order.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Boolean(*b),
            J::Number(n) => parse_decimal(&n.to_string())
                .map(Value::Number)
                .unwrap_or(Value::Null),
            J::String(s) => Value::Text(s.clone()),
            J::Array(items) => Value::array(items.iter().map(Value::from_json).collect()),
            J::Object(map) => {
                let props = map
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect();
                Value::Object(Object::from_ordered(props))
            }
        }
    }

    /// Strict equality of type and value (goflow `types.Equals`).
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a == b,
            (Value::Error(a), Value::Error(b)) => a == b,
            (Value::Function(a), Value::Function(b)) => a.name() == b.name(),
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                let defaults_equal = match (a.default_value(), b.default_value()) {
                    (None, None) => true,
                    (Some(x), Some(y)) => x.equals(y),
                    _ => false,
                };
                defaults_equal
                    && a.len() == b.len()
                    && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.equals(w)))
            }
            _ => false,
        }
    }

    /// Ordering of two values of the same type; null sorts first. `None`
    /// when the values can't be compared.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, Value::Null) => Some(Ordering::Equal),
            (Value::Null, _) => Some(Ordering::Less),
            (_, Value::Null) => Some(Ordering::Greater),
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            (Value::Number(a), Value::Number(b)) => Some(a.cmp(b)),
            (Value::Boolean(a), Value::Boolean(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Nested `__default__`s are followed at most this deep (guards self-reference).
const MAX_DEFAULT_DEPTH: usize = 16;

/// Numbers render without trailing zeros and without exponent: `123.00` → `123`.
pub fn render_number(n: &Decimal) -> String {
    let n = n.normalize();
    if n.is_zero() {
        return "0".to_string();
    }
    n.to_string()
}

/// Times render as `15:04:05.000000`.
pub fn render_time(t: &NaiveTime) -> String {
    t.format("%H:%M:%S%.6f").to_string()
}

/// Datetimes render as RFC 3339 with microseconds, `Z` for UTC offsets.
pub fn render_datetime(dt: &DateTime<Tz>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a decimal the way goflow accepts numbers in text: optional sign,
/// digits, optional fraction. No exponent, no trailing point.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() || body.ends_with('.') || body.starts_with('.') && body.len() == 1 {
        return None;
    }
    let mut seen_dot = false;
    for c in body.chars() {
        match c {
            '0'..='9' => {}
            '.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    s.parse::<Decimal>().ok()
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.sorted().into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.to_string()).to_string());
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
        Value::Number(n) => out.push_str(&render_number(n)),
        other => out.push_str(&other.to_json().to_string()),
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Boolean(b)
    }
}

impl From<Decimal> for Value {
    fn from(n: Decimal) -> Value {
        Value::Number(n)
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        Value::Object(o)
    }
}
