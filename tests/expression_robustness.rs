//! Hostile and random templates must never panic (the same property the
//! `fuzz/fuzz_targets/expression.rs` target checks at scale), and every
//! expression that parses must print back to text that parses to the same tree.

use mhero::flow::expressions::Environment;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "../fuzz/exercise.rs"]
mod exercise;

use exercise::{context, exercise};

#[test]
fn hostile_templates_do_not_panic() {
    let ctx = context();
    let env = Environment::default();
    let deep = "@(".to_string() + &"(".repeat(10_000) + &")".repeat(10_000) + ")";
    let lambdas = "@(".to_string() + &"((x) => ".repeat(200) + "1" + &")".repeat(200) + ")";
    let cases = [
        "@",
        "@@",
        "@(",
        "@()",
        "@(\"",
        "@(\"\\",
        "@(\"\\u12",
        "@(\"\\UFFFFFFFF\")",
        "@(1..2)",
        "@(.5)",
        "@(-)",
        "@(a.)",
        "@(nums[)",
        "@(nums[-99999999999])",
        "@(nums.99999999999999999999)",
        "@(2 ^ 99999999)",
        "@(2 ^ -99999999)",
        "@(0 ^ -1)",
        "@(99999999999999999999999999999 * 10)",
        "@(repeat(\"x\", 999999999))",
        "@(format_number(1, 999999))",
        "@(round(1, -999999))",
        "@(datetime_add(now(), 999999999999, \"Y\"))",
        "@(datetime_from_epoch(1e30))",
        "@(date_from_parts(-99999, 1, 1))",
        "@(parse_datetime(\"x\", \"\"))",
        "@(format_datetime(now(), \"ffffffffff\"))",
        "@(regex_match(\"a\", \"(a{1000}){1000}\"))",
        "@(foreach(nums, foreach))",
        "@(((f) => f(f))((f) => f(f)))",
        "@(text_slice(\"é\", 1, -99999))",
        "@(word(\"\", -1))",
        "@(char(-1))",
        "@(char(55296))",
        "@(json(parse_json(\"[[[[[[[[[[]]]]]]]]]]\")))",
        "@(object(1,2,3))",
        "@(split(\"\", \"\"))",
        "@(replace(\"\", \"\", \"x\"))",
        "@(field(\"a\", 99999999999, \",\"))",
        "@contact.name.",
        "@contact..name",
        "é@contact",
        "@(\u{0}) \u{0}",
        "@(has_phone(\"+999999999999999999999\"))",
        deep.as_str(),
        lambdas.as_str(),
    ];
    for text in cases {
        exercise(text, &ctx, &env);
    }
}

#[test]
fn random_templates_do_not_panic() {
    const PIECES: &[&str] = &[
        "@", "(", ")", "\"", "\\", ".", ",", "[", "]", "=>", "x", "contact", "name", "nums", "0", "-1",
        "1.5", " ", "+", "-", "*", "/", "^", "&", "=", "!=", "<", ">=", "upper", "foreach", "array", "json",
        "é", "😀", "@@",
    ];
    let ctx = context();
    let env = Environment::default();
    let mut rng = StdRng::seed_from_u64(0x6d_68_65_72_6f);
    for _ in 0..5_000 {
        let n = rng.random_range(1..24);
        let text: String = (0..n)
            .map(|_| PIECES[rng.random_range(0..PIECES.len())])
            .collect();
        exercise(&text, &ctx, &env);
    }
}
