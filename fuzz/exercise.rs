//! One template pushed through every entry point: shared by the fuzz target
//! `expression` and `tests/expression_robustness.rs`, so both check the same
//! property (no panic; parse → print → parse is stable).

use mhero::flow::cases::evaluate_case;
use mhero::flow::expressions::layout::{parse_by_layout, parse_layout};
use mhero::flow::expressions::{
    evaluate_expression, evaluate_template, evaluate_template_value, parser, Environment, Object, Value,
};

pub fn context() -> Object {
    let mut ctx = Object::new();
    let contact = Object::with_default(Value::text("Bob"), vec![("name".into(), Value::text("Bob"))]);
    ctx.insert("contact", Value::Object(contact));
    ctx.insert("nums", Value::array(vec![Value::text("1"), Value::text("2")]));
    ctx
}

pub fn exercise(text: &str, ctx: &Object, env: &Environment) {
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
    // The text as a date layout, and as input to a fixed layout.
    if let Ok(parts) = parse_layout(text, true, true) {
        let _ = parse_by_layout(&parts, "2019-01-02 10:11:12.5 PM +02:00");
    }
    if let Ok(parts) = parse_layout("YYYY-MM-DD tt:mm:ss.ffffff aa ZZZ", true, true) {
        let _ = parse_by_layout(&parts, text);
    }
}
