//! Shared pieces of the conformance harness: tables of outcomes, the corpus's
//! typed-value notation, environments and value comparison.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use mhero::flow::expressions::functions;
use mhero::flow::expressions::{Environment, EnvironmentSpec, Function, Object, Value};
use serde_json::Value as J;

/// One table's outcomes: case id → pass, or the reason it failed.
pub struct Table {
    pub name: String,
    pub cases: Vec<(String, Result<(), String>)>,
}

impl Table {
    pub fn new(name: &str) -> Table {
        Table {
            name: name.to_string(),
            cases: Vec::new(),
        }
    }

    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|(_, r)| r.is_ok()).count()
    }

    /// Records a case; ids are made unique by suffixing `#2`, `#3`…
    pub fn record(&mut self, id: String, outcome: Result<(), String>) {
        let mut unique = id.clone();
        let mut n = 1;
        while self.cases.iter().any(|(existing, _)| *existing == unique) {
            n += 1;
            unique = format!("{id}#{n}");
        }
        self.cases.push((unique, outcome));
    }
}

pub fn load(corpus: &Path, file: &str) -> J {
    let path = corpus.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub fn environment(spec: &J, now: Option<&str>) -> Environment {
    let spec: EnvironmentSpec =
        serde_json::from_value(spec.clone()).unwrap_or_else(|e| panic!("bad environment {spec}: {e}"));
    let mut env = Environment::from_spec(&spec).unwrap_or_else(|e| panic!("{e}"));
    env.now = now.map(|n| {
        DateTime::parse_from_rfc3339(n)
            .unwrap_or_else(|e| panic!("bad now {n}: {e}"))
            .with_timezone(&Utc)
    });
    env
}

/// A value in the corpus notation `{"type": T, "value": V}`; anything else
/// (a raw JSON object) is read as plain JSON.
pub fn typed(j: &J) -> Value {
    let Some(kind) = j.get("type").and_then(J::as_str) else {
        return if j.is_null() {
            Value::Null
        } else {
            Value::from_json(j)
        };
    };
    let v = &j["value"];
    let s = v.as_str().unwrap_or_default();
    match kind {
        "text" => Value::text(s),
        "number" => Value::Number(s.parse().unwrap_or_else(|e| panic!("bad number {s}: {e}"))),
        "boolean" => Value::Boolean(v.as_bool().unwrap_or_default()),
        "date" => Value::Date(
            NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s}: {e}")),
        ),
        "time" => Value::Time(
            NaiveTime::parse_from_str(s, "%H:%M:%S%.f").unwrap_or_else(|e| panic!("bad time {s}: {e}")),
        ),
        "datetime" => {
            let dt = DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("bad datetime {s}: {e}"));
            let tz: Tz = j
                .get("tz")
                .and_then(J::as_str)
                .and_then(|t| t.parse().ok())
                .unwrap_or(Tz::UTC);
            Value::DateTime(dt.with_timezone(&tz))
        }
        "array" => Value::array(
            v.as_array()
                .map(|a| a.iter().map(typed).collect())
                .unwrap_or_default(),
        ),
        "object" => {
            let mut o = Object::new();
            if let Some(map) = v.as_object() {
                for (k, item) in map {
                    o.insert(k.clone(), typed(item));
                }
            }
            Value::Object(o)
        }
        "function" => match functions::lookup(s) {
            Some(f) => Value::Function(Function::Builtin(f.name)),
            None => panic!("unknown function {s}"),
        },
        "error" => Value::error(s),
        other => panic!("unknown value type {other}"),
    }
}

pub fn typed_object(j: &J) -> Object {
    match typed(j) {
        Value::Object(o) => o,
        Value::Null => Object::new(),
        other => panic!("expected an object, got {other:?}"),
    }
}

/// Compares an actual value with an expected one; an expected error means
/// "any error".
pub fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Error(_), Value::Error(_)) => true,
        (Value::DateTime(a), Value::DateTime(b)) => {
            use chrono::Offset;
            a == b && a.offset().fix() == b.offset().fix()
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            let defaults = match (a.default_value(), b.default_value()) {
                (None, None) => true,
                (Some(x), Some(y)) => same(x, y),
                _ => false,
            };
            defaults && a.len() == b.len() && b.iter().all(|(k, v)| a.get(k).is_some_and(|w| same(w, v)))
        }
        _ => actual.equals(expected),
    }
}

/// Short description of a value for failure reasons.
pub fn show(v: &Value) -> String {
    let s = match v {
        Value::Error(e) => format!("error({e})"),
        Value::Null => "null".into(),
        other => format!("{}:{}", other.type_name(), other.to_text(&Environment::default())),
    };
    s.chars().take(120).collect()
}

pub fn outcome(actual: &Value, expected: &Value) -> Result<(), String> {
    if same(actual, expected) {
        Ok(())
    } else {
        Err(format!("got {}, expected {}", show(actual), show(expected)))
    }
}

pub fn shared<T>(t: T) -> Arc<T> {
    Arc::new(t)
}
