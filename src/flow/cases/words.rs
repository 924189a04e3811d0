//! The word tests: `has_any_word`, `has_all_words`, `has_phrase`,
//! `has_only_phrase`. Both sides are tokenized into words and compared under
//! the environment's input collation; the match is the operand's own words.

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::text::{collate, tokenize};
use crate::flow::expressions::{Environment, Value};

struct Words {
    /// The operand's words as written.
    original: Vec<String>,
    /// The operand's words collated.
    operand: Vec<String>,
    /// The test's words collated.
    test: Vec<String>,
}

fn words(operand: &Value, args: &[Value], env: &Environment) -> Result<Words, Fail> {
    let text = operand_text(operand, env)?;
    let test = operand_text(&args[0], env)?;
    let original: Vec<String> = tokenize(&text).into_iter().map(String::from).collect();
    let operand = original.iter().map(|w| collate(w, env.input_collation)).collect();
    let test = tokenize(&test)
        .into_iter()
        .map(|w| collate(w, env.input_collation))
        .collect();
    Ok(Words {
        original,
        operand,
        test,
    })
}

fn matched(words: Vec<&str>) -> CaseResult {
    CaseResult::matched(Value::Text(words.join(" ")))
}

pub fn has_any_word(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let w = words(operand, args, env)?;
    let found: Vec<&str> = w
        .operand
        .iter()
        .zip(&w.original)
        .filter(|(o, _)| w.test.contains(o))
        .map(|(_, orig)| orig.as_str())
        .collect();
    Ok(if found.is_empty() {
        CaseResult::NoMatch
    } else {
        matched(found)
    })
}

pub fn has_all_words(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let w = words(operand, args, env)?;
    if w.test.is_empty() || !w.test.iter().all(|t| w.operand.contains(t)) {
        return Ok(CaseResult::NoMatch);
    }
    let found = w
        .operand
        .iter()
        .zip(&w.original)
        .filter(|(o, _)| w.test.contains(o))
        .map(|(_, orig)| orig.as_str())
        .collect();
    Ok(matched(found))
}

pub fn has_phrase(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let w = words(operand, args, env)?;
    if w.test.is_empty() {
        return Ok(CaseResult::matched(Value::text("")));
    }
    let n = w.test.len();
    for start in 0..w.operand.len().saturating_sub(n - 1) {
        if w.operand[start..start + n] == w.test[..] {
            return Ok(matched(
                w.original[start..start + n].iter().map(String::as_str).collect(),
            ));
        }
    }
    Ok(CaseResult::NoMatch)
}

pub fn has_only_phrase(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let w = words(operand, args, env)?;
    Ok(match w.operand == w.test {
        true => matched(w.original.iter().map(String::as_str).collect()),
        false => CaseResult::NoMatch,
    })
}
