//! Hostile and random templates must never panic (the same property the
//! `fuzz/fuzz_targets/expression.rs` target checks at scale), and every
//! expression that parses must print back to text that parses to the same tree.

use mhero::flow::cases::evaluate_case;
use mhero::flow::expressions::{
    evaluate_expression, evaluate_template, evaluate_template_value, parser, Environment, Object, Value,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn context() -> Object {
    let mut ctx = Object::new();
    ctx.insert(
        "contact",
        Value::Object(Object::with_default(
            Value::text("Bob"),
            vec![("name".into(), Value::text("Bob"))],
        )),
    );
    ctx.insert("nums", Value::array(vec![Value::text("1"), Value::text("2")]));
    ctx
}

fn exercise(text: &str, ctx: &Object, env: &Environment) {
    let _ = evaluate_template(text, ctx, env);
    let _ = evaluate_template_value(text, ctx, env);
    let _ = evaluate_expression(text, ctx, env);
    if let Ok(expr) = parser::parse(text) {
        let printed = expr.to_string();
        assert_eq!(
            parser::parse(&printed).ok(),
            Some(expr),
            "{text:?} printed as {printed:?}"
        );
    }
    for test in [
        "has_number",
        "has_date",
        "has_time",
        "has_phone",
        "has_email",
        "has_state",
    ] {
        let _ = evaluate_case(test, &Value::text(text), &[], env);
    }
    let _ = evaluate_case("has_pattern", &Value::text("abc"), &[Value::text(text)], env);
}

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
