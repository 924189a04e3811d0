//! The Excellent expression language: templates (`Hi @contact.name`,
//! `@(upper(x))`), typed values, the environment and the built-in functions.
//! Pure: knows nothing of flows, sessions, storage or I/O. The flow engine
//! builds the context object and calls [`evaluate_template`].

mod cache;
pub mod convert;
pub mod dates;
pub mod env;
pub mod evaluator;
pub mod functions;
pub mod layout;
pub mod lexer;
pub mod object;
pub mod operators;
pub mod parser;
pub mod scanner;
pub mod text;
pub mod value;

pub use env::{Environment, EnvironmentSpec, Location, LocationTree, Locations};
pub use value::{Function, Object, Value};

use evaluator::{eval, Ctx, Scope};
use scanner::{scan, Token};

/// Templates longer than this (bytes) are not evaluated: one message or
/// webhook body never needs more, and it bounds work per evaluation.
pub const MAX_TEMPLATE_LEN: usize = 256 * 1024;

/// Evaluates a template to text. Each expression that fails renders as "" and
/// its message (`error evaluating @(…): …`) is returned, the way goflow reports
/// `error` events.
pub fn evaluate_template(template: &str, context: &Object, env: &Environment) -> (String, Vec<String>) {
    evaluate_template_escaped(template, context, env, None)
}

/// As [`evaluate_template`], passing each inserted value's text through
/// `escape` (webhook bodies escape for JSON or URLs).
pub fn evaluate_template_escaped(
    template: &str,
    context: &Object,
    env: &Environment,
    escape: Option<&dyn Fn(&str) -> String>,
) -> (String, Vec<String>) {
    let mut errors = Vec::new();
    if template.len() > MAX_TEMPLATE_LEN {
        errors.push(format!("template longer than {MAX_TEMPLATE_LEN} bytes"));
        return (String::new(), errors);
    }
    if !template.contains('@') {
        return (template.to_string(), errors);
    }
    let mut out = String::with_capacity(template.len() + 16);
    for token in scan(template, &|name| context.get(name).is_some()) {
        match token {
            Token::Body(text) => out.push_str(&text),
            Token::Identifier(src) | Token::Expression(src) => {
                let value = evaluate_piece(&token, src, context, env, &mut errors);
                if let Value::Error(_) = value {
                    continue;
                }
                match escape {
                    Some(f) => out.push_str(&f(&value.to_text(env))),
                    None => value.render_into(&mut out),
                }
            }
        }
    }
    (out, errors)
}

/// Evaluates a template keeping the type when it is exactly one `@…` piece;
/// otherwise the rendered text. Errors as in [`evaluate_template`].
pub fn evaluate_template_value(template: &str, context: &Object, env: &Environment) -> (Value, Vec<String>) {
    let mut errors = Vec::new();
    if template.len() > MAX_TEMPLATE_LEN {
        errors.push(format!("template longer than {MAX_TEMPLATE_LEN} bytes"));
        return (Value::Null, errors);
    }
    let tokens = scan(template, &|name| context.get(name).is_some());
    if let [token @ (Token::Identifier(src) | Token::Expression(src))] = tokens.as_slice() {
        let v = evaluate_piece(token, src, context, env, &mut errors);
        return (v, errors);
    }
    let (text, errors) = evaluate_template(template, context, env);
    (Value::Text(text), errors)
}

/// Evaluates a bare expression (no `@`); syntax errors become error values.
pub fn evaluate_expression(expr: &str, context: &Object, env: &Environment) -> Value {
    match cache::parsed(expr) {
        Ok(e) => {
            let scope = Scope { context, locals: &[] };
            eval(&e, &scope, &Ctx::new(env))
        }
        Err(e) => Value::error(e.to_string()),
    }
}

fn token_source(token: &Token<'_>) -> String {
    match token {
        Token::Identifier(src) => format!("@{src}"),
        Token::Expression(src) => format!("@({src})"),
        Token::Body(text) => text.clone(),
    }
}

fn evaluate_piece(
    token: &Token<'_>,
    expr: &str,
    context: &Object,
    env: &Environment,
    errors: &mut Vec<String>,
) -> Value {
    let value = match token {
        Token::Identifier(path) => evaluator::resolve_path(path, context, env)
            .unwrap_or_else(|| evaluate_expression(expr, context, env)),
        _ => evaluate_expression(expr, context, env),
    };
    if let Value::Error(e) = &value {
        errors.push(format!("error evaluating {}: {e}", token_source(token)));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn context() -> Object {
        let mut contact = Object::with_default(Value::text("Bob"), vec![("name".into(), Value::text("Bob"))]);
        contact.insert("age", Value::Number(Decimal::new(42, 0)));
        let mut ctx = Object::new();
        ctx.insert("contact", Value::Object(contact));
        ctx
    }

    #[test]
    fn renders_identifiers_expressions_and_literal_at_signs() {
        let env = Environment::default();
        let (out, errors) = evaluate_template(
            "Hi @contact.name (@(contact.age + 1)), mail bob@example.com @@",
            &context(),
            &env,
        );
        assert_eq!(out, "Hi Bob (43), mail bob@example.com @");
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn errors_render_empty_and_are_reported_without_losing_the_rest() {
        let env = Environment::default();
        let (out, errors) = evaluate_template("a@(1 / 0)b@contact.nope c", &context(), &env);
        assert_eq!(out, "ab c");
        assert_eq!(
            errors,
            vec![
                "error evaluating @(1 / 0): division by zero".to_string(),
                "error evaluating @contact.nope: object has no property 'nope'".to_string(),
            ]
        );
    }

    #[test]
    fn a_lone_expression_keeps_its_type() {
        let env = Environment::default();
        let (v, _) = evaluate_template_value("@(contact.age * 2)", &context(), &env);
        assert!(matches!(v, Value::Number(n) if n == Decimal::new(84, 0)));
        let (v, _) = evaluate_template_value("@contact", &context(), &env);
        assert!(matches!(v, Value::Object(_)));
        let (v, _) = evaluate_template_value("x @contact", &context(), &env);
        assert!(matches!(v, Value::Text(ref s) if s == "x Bob"));
    }

    #[test]
    fn escaping_applies_to_inserted_values_only() {
        let env = Environment::default();
        let mut ctx = Object::new();
        ctx.insert("name", Value::text("a\"b"));
        let escape = |s: &str| s.replace('"', "\\\"");
        let (out, _) = evaluate_template_escaped("{\"n\": \"@name\"}", &ctx, &env, Some(&escape));
        assert_eq!(out, "{\"n\": \"a\\\"b\"}");
    }

    #[test]
    fn json_round_trips_through_values() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, 2.50, "x", null, true], "a": {"c": "d"}}"#).unwrap();
        let v = Value::from_json(&json);
        assert_eq!(v.to_json_string(), r#"{"a":{"c":"d"},"b":[1,2.5,"x",null,true]}"#);
        let back: serde_json::Value = serde_json::from_str(&v.to_json_string()).unwrap();
        assert!(Value::from_json(&back).equals(&v));
    }

    #[test]
    fn lookups_are_case_insensitive() {
        let env = Environment::default();
        assert_eq!(evaluate_template("@CONTACT.Name", &context(), &env).0, "Bob");
        assert!(matches!(
            evaluate_expression("Contact.AGE", &context(), &env),
            Value::Number(_)
        ));
    }

    #[test]
    fn oversized_templates_are_refused_not_evaluated() {
        let env = Environment::default();
        let big = "@(1)".repeat(MAX_TEMPLATE_LEN / 4 + 1);
        let (out, errors) = evaluate_template(&big, &context(), &env);
        assert!(out.is_empty());
        assert_eq!(errors.len(), 1);
    }
}
