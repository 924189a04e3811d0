//! `has_number` and its comparisons (`has_number_lt`, `_between`, …): the
//! first number in the text, Arabic-Indic and Persian digits included.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::value::parse_decimal;
use crate::flow::expressions::{Environment, Value};

static NUMBER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"-?\.?\d[\d,]*(?:\.\d+)?").ok());

/// Arabic-Indic (U+0660…) and Extended/Persian (U+06F0…) digits to ASCII.
fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            other => other,
        })
        .collect()
}

/// The first number in free text.
pub fn find_number(text: &str, env: &Environment) -> Option<Decimal> {
    let text = ascii_digits(text);
    let re = NUMBER.as_ref()?;
    for m in re.find_iter(&text) {
        let mut s = m.as_str();
        let before = text[..m.start()].chars().next_back();
        if s.trim_start_matches('-').starts_with('.') && before.is_some_and(char::is_alphanumeric) {
            s = s.trim_start_matches('-').trim_start_matches('.');
        }
        let cleaned = s
            .replace(env.number_format.digit_grouping_symbol.as_str(), "")
            .replace(',', "");
        let cleaned = if cleaned.starts_with("-.") {
            cleaned.replacen("-.", "-0.", 1)
        } else if cleaned.starts_with('.') {
            format!("0{cleaned}")
        } else {
            cleaned
        };
        if let Some(n) = parse_decimal(&cleaned) {
            return Some(n);
        }
    }
    None
}

pub fn has_number(operand: &Value, env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    Ok(match find_number(&text, env) {
        Some(n) => CaseResult::matched(Value::Number(n)),
        None => CaseResult::NoMatch,
    })
}

pub fn compare(
    operand: &Value,
    args: &[Value],
    env: &Environment,
    test: fn(Decimal, Decimal) -> bool,
) -> Result<CaseResult, Fail> {
    let x = convert::to_number(&args[0], env)?;
    let text = operand_text(operand, env)?;
    Ok(match find_number(&text, env) {
        Some(n) if test(n, x) => CaseResult::matched(Value::Number(n)),
        _ => CaseResult::NoMatch,
    })
}

pub fn has_number_between(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let lo = convert::to_number(&args[0], env)?;
    let hi = convert::to_number(&args[1], env)?;
    let text = operand_text(operand, env)?;
    Ok(match find_number(&text, env) {
        Some(n) if lo <= n && n <= hi => CaseResult::matched(Value::Number(n)),
        _ => CaseResult::NoMatch,
    })
}
