//! Router tests (the `type` of a switch router case: `has_any_word`,
//! `has_number_between`, …). Each takes the operand and the case's evaluated
//! arguments and says whether it matched, with what value (the result value)
//! and extra (the result extra). They are also callable as Excellent
//! functions. Pure: knows values and the environment, nothing of flows.

mod has_beginning;
mod has_category;
mod has_date;
mod has_email;
mod has_error;
mod has_group;
mod has_intent;
mod has_number;
mod has_only_text;
mod has_pattern;
mod has_phone;
mod has_state;
pub use has_state::has_location;
mod has_text;
mod words;

use serde::{Deserialize, Serialize};

use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::{Environment, Object, Value};

/// Compiled `has_pattern`/`regex_match` programs may not exceed this many
/// bytes: flow authors' patterns are small, hostile ones are refused.
pub const MAX_REGEX_SIZE: usize = 1 << 20;

/// What a router test says about its operand.
#[derive(Debug, Clone)]
pub enum CaseResult {
    Matched { value: Value, extra: Option<Object> },
    NoMatch,
    Error(String),
}

impl CaseResult {
    pub fn matched(value: Value) -> CaseResult {
        CaseResult::Matched { value, extra: None }
    }

    pub fn is_match(&self) -> bool {
        matches!(self, CaseResult::Matched { .. })
    }
}

/// The router tests, by wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseTest {
    HasAllWords,
    HasAnyWord,
    HasBeginning,
    HasCategory,
    HasDate,
    HasDateEq,
    HasDateGt,
    HasDateLt,
    HasDistrict,
    HasEmail,
    HasError,
    HasGroup,
    HasIntent,
    HasNumber,
    HasNumberBetween,
    HasNumberEq,
    HasNumberGt,
    HasNumberGte,
    HasNumberLt,
    HasNumberLte,
    HasOnlyPhrase,
    HasOnlyText,
    HasPattern,
    HasPhone,
    HasPhrase,
    HasState,
    HasText,
    /// Older alias of `has_text`.
    HasValue,
    HasTime,
    HasTopIntent,
    HasWard,
}

impl CaseTest {
    /// Looks a test up by its wire name (case-insensitive).
    pub fn from_name(name: &str) -> Option<CaseTest> {
        serde_json::from_value(serde_json::Value::String(name.to_ascii_lowercase())).ok()
    }

    /// Argument counts including the operand: (min, max), `None` = unbounded.
    pub fn arity(self) -> (usize, Option<usize>) {
        use CaseTest::*;
        match self {
            HasText | HasValue | HasError | HasNumber | HasDate | HasTime | HasEmail | HasState => {
                (1, Some(1))
            }
            HasOnlyText | HasAnyWord | HasAllWords | HasPhrase | HasOnlyPhrase | HasBeginning
            | HasPattern | HasNumberLt | HasNumberLte | HasNumberEq | HasNumberGte | HasNumberGt
            | HasDateLt | HasDateEq | HasDateGt => (2, Some(2)),
            HasNumberBetween | HasIntent | HasTopIntent => (3, Some(3)),
            HasPhone | HasDistrict => (1, Some(2)),
            HasGroup => (2, Some(3)),
            HasCategory => (2, None),
            HasWard => (1, Some(3)),
        }
    }

    fn evaluate(self, operand: &Value, args: &[Value], env: &Environment) -> Result<CaseResult, Fail> {
        use CaseTest::*;
        match self {
            HasText | HasValue => has_text::has_text(operand, env),
            HasOnlyText => has_only_text::has_only_text(operand, args, env),
            HasBeginning => has_beginning::has_beginning(operand, args, env),
            HasAnyWord => words::has_any_word(operand, args, env),
            HasAllWords => words::has_all_words(operand, args, env),
            HasPhrase => words::has_phrase(operand, args, env),
            HasOnlyPhrase => words::has_only_phrase(operand, args, env),
            HasPattern => has_pattern::has_pattern(operand, args, env),
            HasNumber => has_number::has_number(operand, env),
            HasNumberBetween => has_number::has_number_between(operand, args, env),
            HasNumberLt => has_number::compare(operand, args, env, |n, x| n < x),
            HasNumberLte => has_number::compare(operand, args, env, |n, x| n <= x),
            HasNumberEq => has_number::compare(operand, args, env, |n, x| n == x),
            HasNumberGte => has_number::compare(operand, args, env, |n, x| n >= x),
            HasNumberGt => has_number::compare(operand, args, env, |n, x| n > x),
            HasDate => has_date::has_date(operand, env),
            HasDateLt => has_date::compare(operand, args, env, |d, x| d < x),
            HasDateEq => has_date::compare(operand, args, env, |d, x| d == x),
            HasDateGt => has_date::compare(operand, args, env, |d, x| d > x),
            HasTime => has_date::has_time(operand, env),
            HasPhone => has_phone::has_phone(operand, args, env),
            HasEmail => has_email::has_email(operand, env),
            HasGroup => has_group::has_group(operand, args, env),
            HasCategory => has_category::has_category(operand, args, env),
            HasIntent => has_intent::has_intent(operand, args, env, false),
            HasTopIntent => has_intent::has_intent(operand, args, env, true),
            HasState => has_state::has_location(operand, args, env, 1),
            HasDistrict => has_state::has_location(operand, args, env, 2),
            HasWard => has_state::has_location(operand, args, env, 3),
            HasError => has_error::has_error(operand),
        }
    }
}

/// Argument counts of a router test including the operand, for flow validation.
pub fn case_arity(test: &str) -> Option<(usize, Option<usize>)> {
    CaseTest::from_name(test).map(CaseTest::arity)
}

/// Runs router test `test` on `operand` with the case's evaluated `args`.
pub fn evaluate_case(test: &str, operand: &Value, args: &[Value], env: &Environment) -> CaseResult {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(operand.clone());
    all.extend_from_slice(args);
    evaluate_case_args(test, &all, env)
}

/// As [`evaluate_case`] with the operand first in `args` (function-call form).
pub fn evaluate_case_args(test: &str, args: &[Value], env: &Environment) -> CaseResult {
    let Some(case) = CaseTest::from_name(test) else {
        return CaseResult::Error(format!("{test} is not a router test"));
    };
    let (min, max) = case.arity();
    let n = args.len();
    if n < min || max.is_some_and(|m| n > m) {
        return CaseResult::Error(match max {
            Some(m) if m == min => format!("need {min} argument(s), got {n}"),
            Some(m) => format!("need {min} to {m} argument(s), got {n}"),
            None => format!("need at least {min} argument(s), got {n}"),
        });
    }
    if case != CaseTest::HasError {
        if let Some(Value::Error(e)) = args.iter().find(|a| a.is_error()) {
            return CaseResult::Error(e.to_string());
        }
    }
    match case.evaluate(&args[0], &args[1..], env) {
        Ok(r) => r,
        Err(e) => CaseResult::Error(e),
    }
}

/// The operand as text; null is empty text.
pub(crate) fn operand_text(v: &Value, env: &Environment) -> Result<String, Fail> {
    convert::to_text(v, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_includes_the_operand() {
        assert_eq!(case_arity("has_number_between"), Some((3, Some(3))));
        assert_eq!(case_arity("HAS_CATEGORY"), Some((2, None)));
        assert_eq!(case_arity("has_nothing"), None);
    }

    #[test]
    fn matches_carry_value_and_extra() {
        let env = Environment::default();
        let r = evaluate_case(
            "has_pattern",
            &Value::text("Buy cheese"),
            &[Value::text("buy (\\w+)")],
            &env,
        );
        match r {
            CaseResult::Matched {
                value,
                extra: Some(extra),
            } => {
                assert_eq!(value.to_text(&env), "Buy cheese");
                assert_eq!(
                    extra.get("1").map(|v| v.to_text(&env)),
                    Some("cheese".to_string())
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let r = evaluate_case(
            "has_any_word",
            &Value::text("no thanks"),
            &[Value::text("yes")],
            &env,
        );
        assert!(matches!(r, CaseResult::NoMatch));
    }

    #[test]
    fn wrong_argument_counts_and_error_operands_are_errors() {
        let env = Environment::default();
        assert!(matches!(
            evaluate_case("has_text", &Value::text("x"), &[Value::Null], &env),
            CaseResult::Error(_)
        ));
        assert!(matches!(
            evaluate_case("has_text", &Value::error("boom"), &[], &env),
            CaseResult::Error(_)
        ));
        assert!(evaluate_case("has_error", &Value::error("boom"), &[], &env).is_match());
    }
}
