//! Shared pieces of the conformance harness: tables of outcomes, the corpus's
//! typed-value notation, environments and value comparison.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use mhero::flow::expressions::functions;
use mhero::flow::expressions::{Environment, EnvironmentSpec, Function, Object, Value};
use serde_json::value::RawValue;
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

/// Loads a corpus file of cases (one object or a list), keeping each HTTP
/// mock's JSON body as the text it is written as in the file, as the
/// reference's harness does (it holds bodies as raw JSON): responses then
/// carry the file's own spacing and length.
pub fn load_cases(corpus: &Path, file: &str) -> J {
    let path = corpus.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    with_raw_mock_bodies(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Parses cases, replacing every non-text `http_mocks.<url>[i].body` with
/// its raw JSON text.
pub fn with_raw_mock_bodies(text: &str) -> serde_json::Result<J> {
    type Fields<'a> = BTreeMap<String, &'a RawValue>;
    fn fix(case: &mut J, raw: &RawValue) -> serde_json::Result<()> {
        let Ok(fields) = serde_json::from_str::<Fields<'_>>(raw.get()) else {
            return Ok(());
        };
        let Some(mocks) = fields.get("http_mocks") else {
            return Ok(());
        };
        let mocks: BTreeMap<String, Vec<Fields<'_>>> = serde_json::from_str(mocks.get())?;
        for (url, list) in mocks {
            for (i, mock) in list.iter().enumerate() {
                let body = mock.get("body").map(|b| b.get()).unwrap_or("null");
                if !body.starts_with('"') && body != "null" {
                    case["http_mocks"][&url][i]["body"] = J::String(body.to_owned());
                }
            }
        }
        Ok(())
    }
    let mut cases: J = serde_json::from_str(text)?;
    if let J::Array(items) = &mut cases {
        let raws: Vec<&RawValue> = serde_json::from_str(text)?;
        for (case, raw) in items.iter_mut().zip(raws) {
            fix(case, raw)?;
        }
    } else {
        let raw: &RawValue = serde_json::from_str(text)?;
        fix(&mut cases, raw)?;
    }
    Ok(cases)
}

/// Re-indents JSON text the way Go's `json.Indent` does: insignificant
/// whitespace dropped, one member or element per line at `indent` per
/// depth, `": "` after keys, empty objects and arrays kept as `{}` / `[]`.
pub fn go_indent(json: &str, indent: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    // An opening bracket waits for its first member before breaking the line.
    let mut opened = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    };
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        if opened && c != '}' && c != ']' {
            newline(&mut out, depth);
        }
        let was_opened = std::mem::take(&mut opened);
        match c {
            '{' | '[' => {
                out.push(c);
                depth += 1;
                opened = true;
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if !was_opened {
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '"' => {
                in_string = true;
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out
}

pub fn environment(spec: &J, now: Option<&str>) -> Environment {
    let spec: EnvironmentSpec =
        serde_json::from_value(spec.clone()).unwrap_or_else(|e| panic!("bad environment {spec}: {e}"));
    let mut env = Environment::from_spec(&spec).unwrap_or_else(|e| panic!("{e}"));
    if let Some(n) = now {
        env.fix_now(
            DateTime::parse_from_rfc3339(n)
                .unwrap_or_else(|e| panic!("bad now {n}: {e}"))
                .with_timezone(&Utc),
        );
    }
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

#[test]
fn go_indent_writes_what_go_writes() {
    let compact = r#"{"a":[],"b":{"c":[1,{"d":"x, {y}: \"z\""}]},"e":{ "ok" : "true" }}"#;
    let want = "{\n  \"a\": [],\n  \"b\": {\n    \"c\": [\n      1,\n      {\n        \"d\": \"x, {y}: \\\"z\\\"\"\n      }\n    ]\n  },\n  \"e\": {\n    \"ok\": \"true\"\n  }\n}";
    assert_eq!(go_indent(compact, "  "), want);
}

#[test]
fn mock_bodies_keep_the_text_they_are_written_as() {
    let text = "[{\"http_mocks\": {\"http://x\": [{\"status\": 200, \"body\": [ 1,\n  2 ]}, {\"status\": 200, \"body\": \"as text\"}]}}]";
    let cases = with_raw_mock_bodies(text).unwrap();
    let mocks = &cases[0]["http_mocks"]["http://x"];
    assert_eq!(mocks[0]["body"], "[ 1,\n  2 ]");
    assert_eq!(mocks[1]["body"], "as text");
}
