//! The router tests, callable as functions: the result is an object
//! `{match, extra}` whose default is `true` on a match and `false` otherwise.

use crate::flow::cases::{evaluate_case_args, CaseResult};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::value::{Object, Value};

type R = Result<Value, Fail>;

/// The value a router test returns when called as a function.
pub fn case_value(result: CaseResult) -> R {
    match result {
        CaseResult::Matched { value, extra } => Ok(Value::Object(Object::with_default(
            Value::Boolean(true),
            vec![
                ("match".into(), value),
                ("extra".into(), extra.map(Value::Object).unwrap_or(Value::Null)),
            ],
        ))),
        // Renders as "false" but still answers `.match` (with nothing).
        CaseResult::NoMatch => Ok(Value::Object(Object::with_default(
            Value::Boolean(false),
            vec![("match".into(), Value::Null), ("extra".into(), Value::Null)],
        ))),
        CaseResult::Error(e) => Err(e),
    }
}

macro_rules! case_fns {
    ($($name:ident),* $(,)?) => {
        $(
            pub fn $name(c: &Ctx<'_>, a: &[Value]) -> R {
                case_value(evaluate_case_args(stringify!($name), a, c.env))
            }
        )*
    };
}

case_fns!(
    has_all_words,
    has_any_word,
    has_beginning,
    has_category,
    has_date,
    has_date_eq,
    has_date_gt,
    has_date_lt,
    has_district,
    has_email,
    has_error,
    has_group,
    has_intent,
    has_number,
    has_number_between,
    has_number_eq,
    has_number_gt,
    has_number_gte,
    has_number_lt,
    has_number_lte,
    has_only_phrase,
    has_only_text,
    has_pattern,
    has_phone,
    has_phrase,
    has_state,
    has_text,
    has_time,
    has_top_intent,
    has_ward,
);
