//! The `values` table: typed value behaviour (rendering, equality, ordering,
//! conversions, number formatting, JSON lookups, operators) from
//! `extracted/values.json`, and fuzzy dates, tokenizers, snakify and the
//! template scanner from `extracted/text_and_dates.json`.

use std::path::Path;

use chrono::{DateTime, NaiveTime};
use mhero::flow::expressions::convert;
use mhero::flow::expressions::dates::{date_from_string, datetime_from_string, time_from_string};
use mhero::flow::expressions::env::NumberFormat;
use mhero::flow::expressions::evaluator::Ctx;
use mhero::flow::expressions::functions::{self, format_decimal};
use mhero::flow::expressions::operators;
use mhero::flow::expressions::parser::BinOp;
use mhero::flow::expressions::scanner::{scan, Token};
use mhero::flow::expressions::text::{snakify, tokenize, tokenize_by_chars, tokenize_segments};
use mhero::flow::expressions::{evaluate_expression, Environment, Object, Value};
use serde_json::Value as J;

use super::common::{environment, load, outcome, typed, Table};

pub fn tables(corpus: &Path) -> Vec<Table> {
    let mut table = Table::new("values");
    let values = load(corpus, "extracted/values.json");
    let text_and_dates = load(corpus, "extracted/text_and_dates.json");
    for (name, sub) in values["tables"].as_object().into_iter().flatten() {
        let env = sub["scope"]
            .get("env")
            .map(|e| environment(e, None))
            .unwrap_or_default();
        for (i, row) in sub["rows"].as_array().into_iter().flatten().enumerate() {
            table.record(format!("{name}#{}", i + 1), value_row(name, row, &env));
        }
    }
    for (name, sub) in text_and_dates["tables"].as_object().into_iter().flatten() {
        for (i, row) in sub["rows"].as_array().into_iter().flatten().enumerate() {
            table.record(format!("{name}#{}", i + 1), text_row(name, row));
        }
    }
    vec![table]
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// A conversion: the error flag must agree, and the value when there is none.
fn conversion(result: Result<Value, String>, row: &J, key: &str) -> Result<(), String> {
    let want_error = row["hasError"].as_bool().unwrap_or(false);
    match result {
        Err(e) => check(want_error, || format!("unexpected error {e}")),
        Ok(_) if want_error => Err("expected an error".into()),
        Ok(v) => outcome(&v, &typed(&row[key])),
    }
}

fn number_format(j: &J) -> NumberFormat {
    let pick = |a: &str, b: &str| {
        j.get(a)
            .or_else(|| j.get(b))
            .and_then(J::as_str)
            .unwrap_or_default()
            .to_string()
    };
    NumberFormat {
        decimal_symbol: pick("decimal_symbol", "DecimalSymbol"),
        digit_grouping_symbol: pick("digit_grouping_symbol", "DigitGroupingSymbol"),
    }
}

fn binop(name: &str) -> Option<BinOp> {
    Some(match name {
        "Concatenate" => BinOp::Concat,
        "Equal" => BinOp::Eq,
        "NotEqual" => BinOp::Neq,
        "Add" => BinOp::Add,
        "Subtract" => BinOp::Sub,
        "Multiply" => BinOp::Mul,
        "Divide" => BinOp::Div,
        "Exponent" => BinOp::Pow,
        "LessThan" => BinOp::Lt,
        "LessThanOrEqual" => BinOp::Lte,
        "GreaterThan" => BinOp::Gt,
        "GreaterThanOrEqual" => BinOp::Gte,
        _ => return None,
    })
}

fn value_row(table: &str, row: &J, env: &Environment) -> Result<(), String> {
    match table {
        "xvalue_render" => {
            let v = typed(&row["value"]);
            let rendered = v.to_text(env);
            check(rendered == row["rendered"].as_str().unwrap_or_default(), || {
                format!("rendered {rendered:?}")
            })?;
            let marshaled = v.to_json_string();
            check(marshaled == row["marshaled"].as_str().unwrap_or_default(), || {
                format!("marshaled {marshaled}")
            })?;
            check(
                v.is_truthy() == row["asBool"].as_bool().unwrap_or_default(),
                || "truthiness".into(),
            )?;
            let format = functions::lookup("format").ok_or("no format function")?;
            let formatted = format.call(&Ctx::new(env), std::slice::from_ref(&v)).to_text(env);
            check(formatted == row["formatted"].as_str().unwrap_or_default(), || {
                format!("formatted {formatted:?}")
            })
        }
        "equals" => {
            let (a, b) = (typed(&row["x1"]), typed(&row["x2"]));
            check(
                a.equals(&b) == row["result"].as_bool().unwrap_or_default(),
                || "equality".into(),
            )
        }
        "compare" => {
            let (a, b) = (typed(&row["x1"]), typed(&row["x2"]));
            let got = a.compare(&b).map(|o| o as i64);
            check(got == row["result"].as_i64(), || format!("compared {got:?}"))
        }
        "to_number" => {
            let v = typed(&row["value"]);
            let n = convert::to_number(&v, env).map(Value::Number);
            let i = convert::to_integer(&v, env);
            conversion(n, row, "asNumber").or_else(|e| {
                // A number too big for an integer still converts to a number.
                check(row["hasError"].as_bool() == Some(true) && i.is_err(), || e)
            })?;
            match i {
                Ok(i) => check(Some(i) == row["asInteger"].as_i64(), || format!("integer {i}")),
                Err(_) => check(row["hasError"].as_bool() == Some(true), || "integer error".into()),
            }
        }
        "format_number" => {
            let n = match typed(&row["input"]) {
                Value::Number(n) => n,
                other => return Err(format!("input {other:?}")),
            };
            let places = row["places"].as_i64().and_then(|p| u32::try_from(p).ok());
            let got = format_decimal(
                n,
                places,
                row["groupDigits"].as_bool().unwrap_or(true),
                &number_format(&row["format"]),
            );
            check(got == row["expected"].as_str().unwrap_or_default(), || {
                format!("formatted {got:?}")
            })
        }
        "to_date" => conversion(
            convert::to_date(&typed(&row["value"]), env).map(Value::Date),
            row,
            "expected",
        ),
        "to_datetime" => conversion(
            convert::to_datetime(&typed(&row["value"]), env).map(Value::DateTime),
            row,
            "expected",
        ),
        "to_time" => conversion(
            convert::to_time(&typed(&row["value"]), env).map(Value::Time),
            row,
            "expected",
        ),
        "to_array" => conversion(
            convert::to_array(&typed(&row["value"]), env).map(|a| Value::array(a.to_vec())),
            row,
            "asArray",
        ),
        "to_object" => conversion(
            convert::to_object(&typed(&row["value"]), env).map(Value::Object),
            row,
            "asObject",
        ),
        "json_lookup" => {
            let parsed = row["JSON"].as_str().map(serde_json::from_str::<J>);
            let j = match parsed {
                Some(Ok(j)) => Value::from_json(&j),
                Some(Err(e)) => Value::error(format!("bad JSON: {e}")),
                None => Value::error("no JSON"),
            };
            let mut context = Object::new();
            context.insert("j", j);
            let v = evaluate_expression(row["expression"].as_str().unwrap_or_default(), &context, env);
            match (v.is_error(), row["hasError"].as_bool().unwrap_or(false)) {
                (true, true) => Ok(()),
                (false, false) => outcome(&v, &typed(&row["expected"])),
                (got, _) => Err(format!("error: {got}, got {v:?}")),
            }
        }
        "binary_operators" => {
            let op =
                binop(row["operator"]["operator"].as_str().unwrap_or_default()).ok_or("unknown operator")?;
            let v = operators::binary(op, &typed(&row["arg1"]), &typed(&row["arg2"]), env);
            outcome(&v, &typed(&row["expected"]))
        }
        "unary_operators" => outcome(
            &operators::negate(&typed(&row["arg"]), env),
            &typed(&row["expected"]),
        ),
        other => Err(format!("no checker for {other}")),
    }
}

/// goflow v0.234.3 `RunContextTopLevels`.
fn is_run_top_level(name: &str) -> bool {
    const TOP_LEVELS: &[&str] = &[
        "contact",
        "fields",
        "urns",
        "results",
        "input",
        "run",
        "child",
        "parent",
        "node",
        "trigger",
        "resume",
        "webhook",
        "globals",
        "ticket",
        "legacy_extra",
    ];
    TOP_LEVELS.iter().any(|t| t.eq_ignore_ascii_case(name))
}

fn strings(j: &J) -> Vec<String> {
    j.as_array()
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
        .map(String::from)
        .collect()
}

fn date_env(date_format: &str, time_format: &str, timezone: &str) -> Environment {
    let spec =
        serde_json::json!({"date_format": date_format, "time_format": time_format, "timezone": timezone});
    environment(&spec, Some("2018-09-13T13:36:30.123456789Z"))
}

fn text_row(table: &str, row: &J) -> Result<(), String> {
    let s = |k: &str| row[k].as_str().unwrap_or_default();
    match table {
        "datetime_from_string" => {
            let env = date_env(s("DateFormat"), s("TimeFormat"), s("Timezone"));
            let got = datetime_from_string(&env, s("Value"), row["FillTime"].as_bool().unwrap_or(false));
            match (got, row["Error"].as_bool().unwrap_or(false)) {
                (None, true) => Ok(()),
                (Some(dt), false) => {
                    // Expected is "DD-MM-YYYY HH:MM:SS[.f] +ZZZZ ZONE": compare as an instant.
                    let want = s("Expected");
                    let without_zone = want.rsplit_once(' ').map(|(a, _)| a).unwrap_or(want);
                    let want = DateTime::parse_from_str(without_zone, "%d-%m-%Y %H:%M:%S%.f %z")
                        .map_err(|e| format!("bad expected {want}: {e}"))?;
                    check(dt == want, || format!("got {dt}, expected {want}"))
                }
                (got, _) => Err(format!("got {got:?}")),
            }
        }
        "date_from_string" => {
            let env = date_env(s("dateFormat"), "tt:mm", "UTC");
            let got = date_from_string(&env, s("value"))
                .map(Value::Date)
                .ok_or_else(|| "no date".to_string());
            conversion(got, row, "expected")
        }
        "time_from_string" => {
            let got: Result<NaiveTime, String> = time_from_string(s("value")).ok_or_else(|| "no time".into());
            conversion(got.map(Value::Time), row, "expected")
        }
        "tokenize_words" => {
            let got = tokenize(s("text"));
            check(got == strings(&row["result"]), || format!("got {got:?}"))
        }
        "tokenize_by_chars" => {
            let got = tokenize_by_chars(s("text"), s("chars"));
            check(got == strings(&row["result"]), || format!("got {got:?}"))
        }
        "tokenize_unicode_segmentation" => {
            let got = tokenize_segments(s("text"));
            check(got == strings(&row["result"]), || format!("got {got:?}"))
        }
        "snakify" => {
            let got = snakify(s("input"));
            check(got == s("expected"), || format!("got {got:?}"))
        }
        "template_scanner" => {
            let mut got: Vec<(String, String)> = Vec::new();
            for token in scan(s("input"), &is_run_top_level) {
                let (kind, text) = match token {
                    Token::Body(b) => ("BODY", b),
                    Token::Identifier(i) => ("IDENTIFIER", i.to_string()),
                    Token::Expression(e) => ("EXPRESSION", e.to_string()),
                };
                match got.last_mut() {
                    Some(last) if kind == "BODY" && last.0 == "BODY" => last.1.push_str(&text),
                    _ => got.push((kind.to_string(), text)),
                }
            }
            let mut want: Vec<(String, String)> = Vec::new();
            for pair in row["tokens"].as_array().into_iter().flatten() {
                let (kind, text) = (
                    pair[0].as_str().unwrap_or_default(),
                    pair[1].as_str().unwrap_or_default(),
                );
                match want.last_mut() {
                    Some(last) if kind == "BODY" && last.0 == "BODY" => last.1.push_str(text),
                    _ => want.push((kind.to_string(), text.to_string())),
                }
            }
            check(got == want, || format!("got {got:?}"))
        }
        other => Err(format!("no checker for {other}")),
    }
}
