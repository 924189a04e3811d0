//! The built-in function library (89 functions plus the router tests, which
//! are callable as functions). One registry, looked up by name
//! case-insensitively; each family lives in its own file. Functions get
//! already-evaluated arguments and return a value; they know no context.

mod args;
mod arrays;
mod cases;
mod dates;
mod numbers;
mod text;
mod types;
mod urns;

use std::cmp::Ordering;

pub use numbers::format_decimal;

use super::convert::Fail;
use super::evaluator::Ctx;
use super::value::Value;

/// What every built-in is: arguments in, value or failure out.
pub type Native = fn(&Ctx<'_>, &[Value]) -> Result<Value, Fail>;

/// A registry entry: name, argument counts (`max: None` = unbounded), code.
pub struct Builtin {
    pub name: &'static str,
    pub min: usize,
    pub max: Option<usize>,
    pub func: Native,
}

impl Builtin {
    /// Checks the argument count, calls, and words failures the goflow way
    /// (`error calling name(...): reason`).
    pub fn call(&self, ctx: &Ctx<'_>, args: &[Value]) -> Value {
        if let Err(e) = self.check_arity(args.len()) {
            return Value::error(format!("error calling {}(...): {e}", self.name));
        }
        match (self.func)(ctx, args) {
            Ok(v) => v,
            Err(e) => Value::error(format!("error calling {}(...): {e}", self.name)),
        }
    }

    fn check_arity(&self, n: usize) -> Result<(), String> {
        match self.max {
            Some(max) if max == self.min && n != max => Err(format!("need {max} argument(s), got {n}")),
            Some(max) if n < self.min || n > max => {
                Err(format!("need {} to {max} argument(s), got {n}", self.min))
            }
            None if n < self.min => Err(format!("need at least {} argument(s), got {n}", self.min)),
            _ => Ok(()),
        }
    }
}

const fn b(name: &'static str, min: usize, max: Option<usize>, func: Native) -> Builtin {
    Builtin { name, min, max, func }
}

/// All built-ins, sorted by name (binary searched).
static BUILTINS: &[Builtin] = &[
    b("abs", 1, Some(1), numbers::abs),
    b("and", 1, None, types::and),
    b("array", 0, None, arrays::array),
    b("attachment_parts", 1, Some(1), urns::attachment_parts),
    b("boolean", 1, Some(1), types::boolean),
    b("char", 1, Some(1), text::char),
    b("clean", 1, Some(1), text::clean),
    b("code", 1, Some(1), text::code),
    b("concat", 2, Some(2), arrays::concat),
    b("contains", 2, Some(2), arrays::contains),
    b("count", 1, Some(1), arrays::count),
    b("date", 1, Some(1), types::date),
    b("date_from_parts", 3, Some(3), dates::date_from_parts),
    b("datetime", 1, Some(1), types::datetime),
    b("datetime_add", 3, Some(3), dates::datetime_add),
    b("datetime_diff", 3, Some(3), dates::datetime_diff),
    b("datetime_from_epoch", 1, Some(1), dates::datetime_from_epoch),
    b("default", 2, Some(2), types::default),
    b("epoch", 1, Some(1), dates::epoch),
    b("extract", 2, Some(2), arrays::extract),
    b("extract_object", 2, None, arrays::extract_object),
    b("field", 3, Some(3), text::field),
    b("filter", 2, Some(2), arrays::filter),
    b("foreach", 2, None, arrays::foreach),
    b("foreach_value", 2, None, arrays::foreach_value),
    b("format", 1, Some(1), types::format),
    b("format_date", 1, Some(2), dates::format_date),
    b("format_datetime", 1, Some(3), dates::format_datetime),
    b("format_location", 1, Some(1), urns::format_location),
    b("format_number", 1, Some(3), numbers::format_number),
    b("format_time", 1, Some(2), dates::format_time),
    b("format_urn", 1, Some(1), urns::format_urn),
    b("has_all_words", 2, Some(2), cases::has_all_words),
    b("has_any_word", 2, Some(2), cases::has_any_word),
    b("has_beginning", 2, Some(2), cases::has_beginning),
    b("has_category", 2, None, cases::has_category),
    b("has_date", 1, Some(1), cases::has_date),
    b("has_date_eq", 2, Some(2), cases::has_date_eq),
    b("has_date_gt", 2, Some(2), cases::has_date_gt),
    b("has_date_lt", 2, Some(2), cases::has_date_lt),
    b("has_district", 1, Some(2), cases::has_district),
    b("has_email", 1, Some(1), cases::has_email),
    b("has_error", 1, Some(1), cases::has_error),
    b("has_group", 2, Some(3), cases::has_group),
    b("has_intent", 3, Some(3), cases::has_intent),
    b("has_number", 1, Some(1), cases::has_number),
    b("has_number_between", 3, Some(3), cases::has_number_between),
    b("has_number_eq", 2, Some(2), cases::has_number_eq),
    b("has_number_gt", 2, Some(2), cases::has_number_gt),
    b("has_number_gte", 2, Some(2), cases::has_number_gte),
    b("has_number_lt", 2, Some(2), cases::has_number_lt),
    b("has_number_lte", 2, Some(2), cases::has_number_lte),
    b("has_only_phrase", 2, Some(2), cases::has_only_phrase),
    b("has_only_text", 2, Some(2), cases::has_only_text),
    b("has_pattern", 2, Some(2), cases::has_pattern),
    b("has_phone", 1, Some(2), cases::has_phone),
    b("has_phrase", 2, Some(2), cases::has_phrase),
    b("has_state", 1, Some(1), cases::has_state),
    b("has_text", 1, Some(1), cases::has_text),
    b("has_time", 1, Some(1), cases::has_time),
    b("has_top_intent", 3, Some(3), cases::has_top_intent),
    b("has_value", 1, Some(1), cases::has_text),
    b("has_ward", 1, Some(3), cases::has_ward),
    b("html_decode", 1, Some(1), text::html_decode),
    b("if", 3, Some(3), types::if_),
    b("is_error", 1, Some(1), types::is_error),
    b("join", 2, Some(2), arrays::join),
    b("json", 1, Some(1), types::json),
    b("keys", 1, Some(1), arrays::keys),
    b("legacy_add", 2, Some(2), dates::legacy_add),
    b("lower", 1, Some(1), text::lower),
    b("max", 1, None, numbers::max),
    b("mean", 1, None, numbers::mean),
    b("min", 1, None, numbers::min),
    b("mod", 2, Some(2), numbers::modulo),
    b("now", 0, Some(0), dates::now),
    b("number", 1, Some(1), types::number),
    b("object", 0, None, arrays::object),
    b("or", 1, None, types::or),
    b("parse_datetime", 2, Some(3), dates::parse_datetime),
    b("parse_json", 1, Some(1), types::parse_json),
    b("parse_time", 2, Some(2), dates::parse_time),
    b("percent", 1, Some(1), numbers::percent),
    b("rand", 0, Some(0), numbers::rand),
    b("rand_between", 2, Some(2), numbers::rand_between),
    b("read_chars", 1, Some(1), text::read_chars),
    b("regex_match", 2, Some(3), text::regex_match),
    b("remove_first_word", 1, Some(1), text::remove_first_word),
    b("repeat", 2, Some(2), text::repeat),
    b("replace", 3, Some(4), text::replace),
    b("replace_time", 2, Some(2), dates::replace_time),
    b("reverse", 1, Some(1), arrays::reverse),
    b("round", 1, Some(2), numbers::round),
    b("round_down", 1, Some(2), numbers::round_down),
    b("round_up", 1, Some(2), numbers::round_up),
    b("sort", 1, Some(1), arrays::sort),
    b("split", 1, Some(2), text::split),
    b("sum", 1, Some(1), numbers::sum),
    b("text", 1, Some(1), types::text),
    b("text_compare", 2, Some(2), text::text_compare),
    b("text_length", 1, Some(1), text::text_length),
    b("text_slice", 2, Some(4), text::text_slice),
    b("time", 1, Some(1), types::time),
    b("time_from_parts", 3, Some(3), dates::time_from_parts),
    b("title", 1, Some(1), text::title),
    b("today", 0, Some(0), dates::today),
    b("trim", 1, Some(2), text::trim),
    b("trim_left", 1, Some(2), text::trim_left),
    b("trim_right", 1, Some(2), text::trim_right),
    b("tz", 1, Some(1), dates::tz),
    b("tz_offset", 1, Some(1), dates::tz_offset),
    b("unique", 1, Some(1), arrays::unique),
    b("upper", 1, Some(1), text::upper),
    b("url_encode", 1, Some(1), text::url_encode),
    b("urn_parts", 1, Some(1), urns::urn_parts),
    b("week_number", 1, Some(1), dates::week_number),
    b("weekday", 1, Some(1), dates::weekday),
    b("word", 2, Some(3), text::word),
    b("word_count", 1, Some(2), text::word_count),
    b("word_slice", 2, Some(4), text::word_slice),
];

/// Compares ASCII-case-insensitively without allocating (names are ASCII;
/// anything else simply never matches).
fn cmp_ignore_case(registered: &str, wanted: &str) -> Ordering {
    registered
        .bytes()
        .cmp(wanted.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Finds a built-in by name, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| cmp_ignore_case(b.name, name))
        .ok()
        .map(|i| &BUILTINS[i])
}

/// The names of all built-ins (for docs and editors).
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_so_lookup_finds_every_entry() {
        for w in BUILTINS.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
        for b in BUILTINS {
            assert_eq!(lookup(&b.name.to_uppercase()).map(|f| f.name), Some(b.name));
        }
        assert!(lookup("nope").is_none());
    }
}
