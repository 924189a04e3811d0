//! The expression language's tables: `functions`, `router_tests`,
//! `expressions`, `doc_examples` (examples that read no context) and `values`.
//! The flow engine extends [`doc_examples_with_context`] for the examples
//! that read the run context built from `goflow/context_fixture/`.

use std::path::Path;

use mhero::flow::cases::{evaluate_case, evaluate_case_args, CaseResult};
use mhero::flow::expressions::evaluator::Ctx;
use mhero::flow::expressions::{
    evaluate_template, evaluate_template_escaped, evaluate_template_value, functions, Environment, Location,
    LocationTree, Object, Value,
};
use serde_json::Value as J;

use super::common::{environment, load, outcome, same, shared, show, typed, typed_object, Table};

pub fn tables(corpus: &Path) -> Vec<Table> {
    vec![
        functions_table(corpus),
        router_tests_table(corpus),
        expressions_table(corpus),
        doc_examples_table(corpus),
    ]
}

fn functions_table(corpus: &Path) -> Table {
    let data = load(corpus, "extracted/functions.json");
    let now = data["now"].as_str();
    let mut table = Table::new("functions");
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for case in data["cases"].as_array().into_iter().flatten() {
        let name = case["function"].as_str().unwrap_or_default().to_string();
        let n = counts.entry(name.clone()).or_default();
        *n += 1;
        let id = format!("function:{name}#{n}");
        let env = environment(
            &data["environments"][case["env"].as_str().unwrap_or_default()],
            now,
        );
        let args: Vec<Value> = case["args"].as_array().into_iter().flatten().map(typed).collect();
        let expected = typed(&case["expected"]);
        let Some(builtin) = functions::lookup(&name) else {
            table.record(id, Err(format!("no function {name}")));
            continue;
        };
        let actual = builtin.call(&Ctx::new(&env), &args);
        let result = if case["nondeterministic"].as_bool().unwrap_or(false) {
            nondeterministic(&name, &actual, &args)
        } else {
            outcome(&actual, &expected)
        };
        table.record(id, result);
    }
    table
}

/// `rand` and `rand_between` can only be checked for type and range.
fn nondeterministic(name: &str, actual: &Value, args: &[Value]) -> Result<(), String> {
    let Value::Number(n) = actual else {
        return Err(format!("{name} gave {}", show(actual)));
    };
    let (lo, hi) = match (name, args) {
        ("rand_between", [a, b]) => match (a, b) {
            (Value::Number(a), Value::Number(b)) => (*a, *b),
            _ => return Err("rand_between needs numbers".into()),
        },
        _ => (0.into(), 1.into()),
    };
    if *n >= lo && *n <= hi {
        Ok(())
    } else {
        Err(format!("{name} gave {n}, outside {lo}..{hi}"))
    }
}

fn location(j: &J) -> Location {
    serde_json::from_value(j.clone()).unwrap_or_else(|e| panic!("bad location {j}: {e}"))
}

fn case_outcome(actual: &CaseResult, expected: &J) -> Result<(), String> {
    let want_error = expected["error"].as_bool().unwrap_or(false);
    let want_match = expected["matched"].as_bool().unwrap_or(false);
    match actual {
        CaseResult::Error(_) if want_error => Ok(()),
        CaseResult::NoMatch if !want_error && !want_match => Ok(()),
        CaseResult::Matched { value, extra } if want_match => {
            let want = typed(&expected["match"]);
            if !same(value, &want) {
                return Err(format!("matched {}, expected {}", show(value), show(&want)));
            }
            if let Some(want_extra) = expected.get("extra") {
                let want_extra = Value::Object(typed_object(want_extra));
                let got = extra.clone().map(Value::Object).unwrap_or(Value::Null);
                if !same(&got, &want_extra) {
                    return Err(format!("extra {}, expected {}", show(&got), show(&want_extra)));
                }
            }
            Ok(())
        }
        other => Err(format!("got {other:?}, expected {expected}")),
    }
}

fn router_tests_table(corpus: &Path) -> Table {
    let data = load(corpus, "extracted/router_tests.json");
    let now = data["now"].as_str();
    let tree = shared(LocationTree {
        roots: data["locations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(location)
            .collect(),
    });
    let mut table = Table::new("router_tests");
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for case in data["cases"].as_array().into_iter().flatten() {
        let test = case["test"].as_str().unwrap_or_default().to_string();
        let n = counts.entry(test.clone()).or_default();
        *n += 1;
        let mut env = environment(
            &data["environments"][case["env"].as_str().unwrap_or_default()],
            now,
        );
        env.locations = Some(tree.clone());
        let args: Vec<Value> = case["args"].as_array().into_iter().flatten().map(typed).collect();
        let actual = evaluate_case_args(&test, &args, &env);
        table.record(format!("{test}#{n}"), case_outcome(&actual, &case["expected"]));
    }
    let mut phone_env = environment(&data["environments"]["dmy"], now);
    phone_env.default_country = Some("RW".into());
    for (i, case) in data["has_phone_cases"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let text = Value::text(case["text"].as_str().unwrap_or_default());
        let args: Vec<Value> = case["country"].as_str().map(Value::text).into_iter().collect();
        let actual = evaluate_case("has_phone", &text, &args, &phone_env);
        let expected = match case["expected_match"].as_str() {
            Some(m) => serde_json::json!({"matched": true, "match": {"type": "text", "value": m}}),
            None => serde_json::json!({"matched": false}),
        };
        table.record(
            format!("has_phone_case#{}", i + 1),
            case_outcome(&actual, &expected),
        );
    }
    table
}

fn quote_escape(s: &str) -> String {
    s.replace('"', "\\\"")
}

fn expressions_table(corpus: &Path) -> Table {
    let data = load(corpus, "extracted/expressions.json");
    let mut table = Table::new("expressions");
    for suite in data["suites"].as_array().into_iter().flatten() {
        let mode = suite["mode"].as_str().unwrap_or_default();
        let env = environment(&suite["env"], Some("2018-04-11T13:24:30.123456Z"));
        let context = typed_object(&suite["context"]);
        for case in suite["cases"].as_array().into_iter().flatten() {
            let template = case["template"].as_str().unwrap_or_default();
            let id = format!("{mode}:{template:?}");
            let result = match mode {
                "value" => {
                    let (v, _) = evaluate_template_value(template, &context, &env);
                    let v = match v {
                        Value::Error(_) => v,
                        other => other,
                    };
                    outcome(&v, &typed(&case["expected"]))
                }
                "error_message" => {
                    let (_, errors) = evaluate_template(template, &context, &env);
                    // The wording is "useful, not normative" in the corpus; we hold
                    // ourselves to it anyway since hosts show it to flow authors.
                    let want = case["expected_error"].as_str().unwrap_or_default();
                    let got = errors.join(", ");
                    match got == want {
                        true => Ok(()),
                        false => Err(format!("error {got:?}, expected {want:?}")),
                    }
                }
                "text" | "text_escaped" => {
                    let escape: &dyn Fn(&str) -> String = &quote_escape;
                    let (out, errors) = if mode == "text" {
                        evaluate_template(template, &context, &env)
                    } else {
                        evaluate_template_escaped(template, &context, &env, Some(escape))
                    };
                    let want_error = case["error"].as_bool().unwrap_or(false);
                    let want = case["expected"].as_str().unwrap_or_default();
                    if want_error == errors.is_empty() {
                        Err(format!("errors {errors:?}, expected error: {want_error}"))
                    } else if out != want {
                        Err(format!("got {out:?}, expected {want:?}"))
                    } else {
                        Ok(())
                    }
                }
                other => Err(format!("unknown mode {other}")),
            };
            table.record(id, result);
        }
    }
    table
}

/// The environment of `goflow/context_fixture/`: DD-MM-YYYY, tt:mm,
/// America/Guayaquil, default country US, clock fixed at 2018-04-11T18:24:30.123456Z.
pub fn doc_environment() -> Environment {
    let spec = serde_json::json!({
        "date_format": "DD-MM-YYYY", "time_format": "tt:mm", "timezone": "America/Guayaquil",
        "default_country": "US", "allowed_languages": ["eng", "spa"]
    });
    environment(&spec, Some("2018-04-11T18:24:30.123456Z"))
}

fn doc_locations(corpus: &Path) -> LocationTree {
    let assets = load(corpus, "goflow/context_fixture/assets.json");
    LocationTree {
        roots: assets["locations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(location)
            .collect(),
    }
}

fn doc_example_outcome(example: &J, context: &Object, env: &Environment) -> Result<(), String> {
    let template = example["template"].as_str().unwrap_or_default();
    let (out, errors) = evaluate_template(template, context, env);
    if example["error"].as_bool().unwrap_or(false) {
        return match errors.is_empty() {
            true => Err(format!("no error, got {out:?}")),
            false => Ok(()),
        };
    }
    let want = example["expected"].as_str().unwrap_or_default();
    match (out == want, errors.is_empty()) {
        (true, true) => Ok(()),
        _ => Err(format!("got {out:?} (errors {errors:?}), expected {want:?}")),
    }
}

/// Examples filtered by whether they read the context, as one table.
fn doc_examples_where(
    corpus: &Path,
    name: &str,
    uses_context: bool,
    context: &Object,
    env: &Environment,
) -> Table {
    let data = load(corpus, "extracted/doc_examples.json");
    let mut table = Table::new(name);
    for kind in ["functions", "router_tests"] {
        for entry in data[kind].as_array().into_iter().flatten() {
            let fname = entry["name"].as_str().unwrap_or_default();
            for example in entry["examples"].as_array().into_iter().flatten() {
                if example["uses_context"].as_bool().unwrap_or(false) != uses_context {
                    continue;
                }
                let template = example["template"].as_str().unwrap_or_default();
                let result = if fname == "rand" || fname == "rand_between" {
                    // Seeded by the reference engine's PRNG: type and range only.
                    let (v, _) = evaluate_template_value(template, context, env);
                    let args = if fname == "rand_between" {
                        vec![Value::Number(1.into()), Value::Number(10.into())]
                    } else {
                        vec![]
                    };
                    nondeterministic(fname, &v, &args)
                } else {
                    doc_example_outcome(example, context, env)
                };
                table.record(format!("{fname}:{template}"), result);
            }
        }
    }
    table
}

fn doc_examples_table(corpus: &Path) -> Table {
    let mut env = doc_environment();
    env.locations = Some(shared(doc_locations(corpus)));
    doc_examples_where(corpus, "doc_examples", false, &Object::new(), &env)
}

/// Hook for the flow engine: the documented examples that read the run
/// context, evaluated against the context the engine builds from
/// `goflow/context_fixture/` (call from `engine.rs` as table `doc_examples_context`).
#[allow(dead_code)]
pub fn doc_examples_with_context(corpus: &Path, context: &Object, env: &Environment) -> Table {
    doc_examples_where(corpus, "doc_examples_context", true, context, env)
}
