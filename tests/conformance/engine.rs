//! Conformance tables for the flow engine against the reference corpus in
//! `MHERO_CONFORMANCE_DIR` (default `../shared/conformance`): migrations,
//! broken flows, and (as the engine grows) actions, routers, resumes,
//! triggers, runner scenarios and the run context. Each table prints
//! `conformance <table>: <passed>/<total> passed` and fails when a case not
//! listed in `known-failures/<table>.txt` fails or the pass count drops
//! below that file's floor.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use mhero::flow::definition::migrations::{migrate_to, Version};
use mhero::flow::definition::read_flow;
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("MHERO_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    assert!(
        dir.join("goflow").is_dir(),
        "conformance corpus not found at {} (set MHERO_CONFORMANCE_DIR)",
        dir.display()
    );
    dir
}

fn load_json(rel: &str) -> Value {
    let path = corpus_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The outcome of one table: case ids that failed, with why.
struct Table {
    name: &'static str,
    total: usize,
    failures: BTreeMap<String, String>,
}

impl Table {
    fn new(name: &'static str) -> Table {
        Table {
            name,
            total: 0,
            failures: BTreeMap::new(),
        }
    }

    fn record(&mut self, id: String, outcome: Result<(), String>) {
        self.total += 1;
        if let Err(why) = outcome {
            self.failures.insert(id, why);
        }
    }

    /// Prints the tally and checks it against the known-failures file.
    fn finish(self) {
        let passed = self.total - self.failures.len();
        println!("conformance {}: {passed}/{} passed", self.name, self.total);
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/conformance/known-failures")
            .join(format!("{}.txt", self.name));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut floor = 0;
        let mut known = HashMap::new();
        for line in text.lines() {
            if let Some(n) = line.strip_prefix("# floor:") {
                floor = n.trim().parse().unwrap_or(0);
            } else if !line.trim().is_empty() && !line.starts_with('#') {
                let id = line.split_whitespace().next().unwrap_or_default();
                known.insert(id.to_owned(), ());
            }
        }
        let unexpected: Vec<String> = self
            .failures
            .iter()
            .filter(|(id, _)| !known.contains_key(*id))
            .map(|(id, why)| format!("  {id}  {why}"))
            .collect();
        assert!(
            unexpected.is_empty(),
            "{} unexpected failures in table {}:\n{}",
            unexpected.len(),
            self.name,
            unexpected.join("\n")
        );
        assert!(
            passed >= floor,
            "table {}: {passed} passed, below the floor of {floor}",
            self.name
        );
    }
}

/// Renames every UUID-shaped string to `uuid-N` in order of first
/// appearance, so fixtures compare without the reference engine's seeds.
fn rename_uuids(v: &Value) -> Value {
    fn is_uuid(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 36
            && b.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    }
    /// First pass: UUIDs in values, in traversal order (object keys sorted).
    fn collect(v: &Value, seen: &mut HashMap<String, usize>) {
        match v {
            Value::String(s) if is_uuid(s) => {
                let n = seen.len();
                seen.entry(s.clone()).or_insert(n);
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, seen)),
            Value::Object(map) => map.values().for_each(|i| collect(i, seen)),
            _ => {}
        }
    }
    fn name(s: &str, seen: &mut HashMap<String, usize>) -> String {
        let n = seen.len();
        format!("uuid-{}", seen.entry(s.to_owned()).or_insert(n))
    }
    fn walk(v: &Value, seen: &mut HashMap<String, usize>) -> Value {
        match v {
            Value::String(s) if is_uuid(s) => Value::String(name(s, seen)),
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, seen)).collect()),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let key = if is_uuid(k) { name(k, seen) } else { k.clone() };
                    out.insert(key, walk(v, seen));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
    let mut seen = HashMap::new();
    collect(v, &mut seen);
    walk(v, &mut seen)
}

#[test]
fn migrations() {
    let mut table = Table::new("migrations");
    let dir = corpus_dir().join("goflow/migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let target = Version::parse(&stem).unwrap_or_else(|| panic!("unexpected migration file {stem}"));
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (i, case) in cases.iter().enumerate() {
            let outcome = match migrate_to(case["original"].clone(), target) {
                Err(e) => Err(format!("migration failed: {e}")),
                Ok(got) if rename_uuids(&got) == rename_uuids(&case["migrated"]) => Ok(()),
                Ok(got) => Err(format!("got {got}")),
            };
            table.record(format!("{stem}#{i}"), outcome);
        }
    }
    table.finish();
}

#[test]
fn broken_flows() {
    const FLOW: &str = "76f0a02f-3b75-4b86-9064-e9195e1b3a02";
    let mut table = Table::new("broken_flows");
    let expected: Vec<Value> =
        serde_json::from_value(load_json("goflow/broken_flows/_expected_errors.json")).unwrap();
    for case in expected {
        let file = case["file"].as_str().unwrap_or_default();
        let want = case["expected_error"].as_str().unwrap_or_default();
        let assets = load_json(&format!("goflow/broken_flows/{file}"));
        let flow = assets["flows"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["uuid"] == FLOW))
            .cloned()
            .unwrap_or(Value::Null);
        let outcome = match read_flow(&flow) {
            Ok(_) => Err("loaded without error".to_owned()),
            Err(e) if e.to_string() == want => Ok(()),
            Err(e) => Err(format!("error was: {e}")),
        };
        table.record(file.to_owned(), outcome);
    }
    table.finish();
}
