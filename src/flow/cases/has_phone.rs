//! `has_phone`: the first phone number in the text, for the given or the
//! environment's country; the match is E.164.

use std::sync::LazyLock;

use regex::Regex;

use super::{operand_text, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::{Environment, Value};

/// Digits with the separators people type between them.
static CANDIDATE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\+?\d[\d\-. ()]*\d").ok());

/// Candidates with more digits than E.164 allows are skipped unparsed.
const MAX_PHONE_DIGITS: usize = 15;

/// National numbers shorter than this are never taken without validation
/// (short codes, local-only numbers).
const MIN_UNVALIDATED_DIGITS: usize = 10;

fn parse(country: Option<phonenumber::country::Id>, digits: &str) -> Option<phonenumber::PhoneNumber> {
    phonenumber::parse(country, digits).ok()
}

fn e164(n: &phonenumber::PhoneNumber) -> String {
    n.format().mode(phonenumber::Mode::E164).to_string()
}

pub fn find_phone(text: &str, country: Option<&str>) -> Option<String> {
    let region = country.and_then(|c| c.to_uppercase().parse::<phonenumber::country::Id>().ok());
    for m in CANDIDATE.as_ref()?.find_iter(text) {
        let raw = m.as_str();
        let plus = raw.starts_with('+');
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 5 || digits.len() > MAX_PHONE_DIGITS {
            continue;
        }
        let written = if plus {
            format!("+{digits}")
        } else {
            digits.clone()
        };
        if let Some(n) = parse(region, &written).filter(|n| n.is_valid()) {
            return Some(e164(&n));
        }
        if let Some(n) = parse(None, &format!("+{digits}")).filter(|n| n.is_valid()) {
            return Some(e164(&n));
        }
        if let Some(n) = parse(region, &written) {
            if n.national().to_string().len() >= MIN_UNVALIDATED_DIGITS {
                return Some(e164(&n));
            }
        }
    }
    None
}

pub fn has_phone(operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
    let text = operand_text(operand, env)?;
    let country = match args.first() {
        Some(Value::Null) => return Ok(CaseResult::NoMatch),
        Some(v) => Some(operand_text(v, env)?),
        None => env.default_country.clone(),
    };
    Ok(match find_phone(&text, country.as_deref()) {
        Some(n) => CaseResult::matched(Value::Text(n)),
        None => CaseResult::NoMatch,
    })
}
