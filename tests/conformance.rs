//! Conformance against the reference engine's corpus (goflow v0.234.3 test
//! tables, read from disk at test time: `MHERO_CONFORMANCE_DIR`, default
//! `../shared/conformance`). Each table prints one line
//! `conformance <table>: <passed>/<total> passed` and is held to its
//! known-failures list in `tests/conformance/known-failures/<table>.txt`:
//! a failure not on the list, or a pass count under the recorded floor,
//! fails the test. `MHERO_CONFORMANCE_BLESS=1` rewrites the lists from the
//! current results.
//!
//! Adding a table: write a module in `tests/conformance/<name>.rs` with a
//! `pub fn tables(corpus: &Path) -> Vec<Table>` and list it in [`SUITES`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[path = "conformance/common.rs"]
mod common;
#[path = "conformance/engine.rs"]
mod engine;
#[path = "conformance/expressions.rs"]
mod expressions;
#[path = "conformance/mock_dtone.rs"]
mod mock_dtone;
#[path = "conformance/mock_http.rs"]
mod mock_http;
#[path = "conformance/values.rs"]
mod values;

pub use common::Table;

/// Every suite of tables, in report order. The engine adds `engine::tables`.
const SUITES: &[fn(&Path) -> Vec<Table>] = &[expressions::tables, values::tables, engine::tables];

fn corpus_dir() -> PathBuf {
    let dir = match std::env::var_os("MHERO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    };
    if !dir.join("extracted").is_dir() {
        panic!(
            "conformance corpus not found at {} (set MHERO_CONFORMANCE_DIR to the folder holding `extracted/` and `goflow/`)",
            dir.display()
        );
    }
    dir
}

struct KnownFailures {
    floor: usize,
    ids: BTreeMap<String, String>,
}

fn known_failures_path(table: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/known-failures")
        .join(format!("{table}.txt"))
}

fn read_known_failures(table: &str) -> KnownFailures {
    let text = std::fs::read_to_string(known_failures_path(table)).unwrap_or_default();
    let mut floor = 0;
    let mut ids = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# floor:") {
            floor = rest.trim().parse().unwrap_or(0);
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            let (id, reason) = line.split_once(" -- ").unwrap_or((line, ""));
            ids.insert(id.to_string(), reason.to_string());
        }
    }
    KnownFailures { floor, ids }
}

fn bless(table: &Table) {
    let mut out = format!("# floor: {}\n", table.passed());
    for (id, outcome) in &table.cases {
        if let Err(reason) = outcome {
            let reason: String = reason.replace('\n', "\\n").chars().take(160).collect();
            let _ = writeln!(out, "{id} -- {reason}");
        }
    }
    if let Err(e) = std::fs::write(known_failures_path(&table.name), out) {
        panic!("writing known failures for {}: {e}", table.name);
    }
}

#[test]
fn conformance() {
    let corpus = corpus_dir();
    let blessing = std::env::var_os("MHERO_CONFORMANCE_BLESS").is_some();
    let mut problems = Vec::new();
    // `MHERO_CONFORMANCE_DETAIL=<text>` prints the whole reason of each
    // failing case whose id contains the text (the lists keep 160 chars).
    let detail = std::env::var("MHERO_CONFORMANCE_DETAIL").ok();
    for suite in SUITES {
        for table in suite(&corpus) {
            if let Some(want) = &detail {
                for (id, outcome) in &table.cases {
                    if let (true, Err(reason)) = (id.contains(want.as_str()), outcome) {
                        let _ = writeln!(std::io::stderr(), "DETAIL {}/{id}: {reason}", table.name);
                    }
                }
            }
            // Straight to the stderr handle, which the test harness does
            // not capture, so every run (CI included) shows the table.
            let _ = writeln!(
                std::io::stderr(),
                "conformance {}: {}/{} passed",
                table.name,
                table.passed(),
                table.cases.len()
            );
            if blessing {
                bless(&table);
                continue;
            }
            let known = read_known_failures(&table.name);
            for (id, outcome) in &table.cases {
                if let Err(reason) = outcome {
                    if !known.ids.contains_key(id) {
                        problems.push(format!("{}: {id} failed: {reason}", table.name));
                    }
                }
            }
            if table.passed() < known.floor {
                problems.push(format!(
                    "{}: {} passed, below the floor of {}",
                    table.name,
                    table.passed(),
                    known.floor
                ));
            }
        }
    }
    if !problems.is_empty() {
        panic!(
            "{} conformance problem(s):\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}
