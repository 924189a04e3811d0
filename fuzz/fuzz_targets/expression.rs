//! Evaluates arbitrary templates (and the same text as a bare expression and
//! as router-test input) against a small context: must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::flow::cases::evaluate_case;
use mhero::flow::expressions::{
    evaluate_expression, evaluate_template, evaluate_template_value, parser, Environment, Object, Value,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut ctx = Object::new();
    ctx.insert(
        "contact",
        Value::Object(Object::with_default(
            Value::text("Bob"),
            vec![("name".into(), Value::text("Bob"))],
        )),
    );
    ctx.insert("nums", Value::array(vec![Value::text("1"), Value::text("2")]));
    let env = Environment::default();
    let _ = evaluate_template(text, &ctx, &env);
    let _ = evaluate_template_value(text, &ctx, &env);
    let _ = evaluate_expression(text, &ctx, &env);
    if let Ok(expr) = parser::parse(text) {
        // Printing must give text that parses back to the same tree.
        let printed = expr.to_string();
        assert_eq!(parser::parse(&printed).ok(), Some(expr));
    }
    for test in [
        "has_number",
        "has_date",
        "has_time",
        "has_phone",
        "has_email",
        "has_any_word",
    ] {
        let _ = evaluate_case(
            test,
            &Value::text(text),
            &[Value::text("a b")][..test_args(test)],
            &env,
        );
    }
});

fn test_args(test: &str) -> usize {
    usize::from(test == "has_any_word")
}
