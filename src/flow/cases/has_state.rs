//! `has_state`, `has_district`, `has_ward`: a location named (or aliased) in
//! the text, at level 1, 2 or 3 of the environment's locations, optionally
//! within the locations named by the extra arguments. The match is the
//! location's path joined by " > ".

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::env::LocationCandidate;
use crate::flow::expressions::{Environment, Value};

/// Lower case, every run of non-alphanumeric characters one space.
fn normalize(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

fn names_match(names: &[String], wanted: &str) -> bool {
    let wanted = normalize(wanted);
    !wanted.is_empty() && names.iter().any(|n| normalize(n) == wanted)
}

/// Whether `name` (normalized) occurs in `text` (normalized) on word boundaries.
fn mentions(text: &str, name: &str) -> bool {
    let name = normalize(name);
    !name.is_empty() && format!(" {text} ").contains(&format!(" {name} "))
}

pub fn has_location(
    operand: &Value,
    args: &[Value],
    env: &Environment,
    level: usize,
) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let within: Vec<String> = args
        .iter()
        .map(|a| operand_text(a, env))
        .collect::<Result<_, _>>()?;
    let Some(locations) = env.locations.as_ref() else {
        return Ok(CaseResult::NoMatch);
    };
    let candidates: Vec<LocationCandidate> = locations
        .at_level(level)
        .into_iter()
        .filter(|c| {
            within
                .iter()
                .all(|w| c.ancestors.iter().any(|a| names_match(a, w)))
        })
        .collect();
    let normalized = normalize(&text);
    let exact = candidates.iter().find(|c| names_match(&c.names, &text));
    let found = exact.or_else(|| {
        candidates
            .iter()
            .find(|c| c.names.iter().any(|n| mentions(&normalized, n)))
    });
    Ok(match found {
        Some(c) => CaseResult::matched(Value::Text(c.path.join(" > "))),
        None => CaseResult::NoMatch,
    })
}
