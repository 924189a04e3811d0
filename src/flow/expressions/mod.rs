//! The Excellent expression language: templates (`Hi @contact.name`,
//! `@(upper(x))`), typed values, the environment and the built-in functions.
//! Pure: knows nothing of flows, sessions, storage or I/O. The flow engine
//! builds the context object and calls [`evaluate_template`].

pub mod convert;
pub mod dates;
pub mod env;
pub mod evaluator;
pub mod functions;
pub mod lexer;
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
                let value = evaluate_piece(&token_source(&token), src, context, env, &mut errors);
                if let Value::Error(_) = value {
                    continue;
                }
                match escape {
                    Some(f) => out.push_str(&f(&value.to_text(env))),
                    None => value.render_into(&mut out, env),
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
        let v = evaluate_piece(&token_source(token), src, context, env, &mut errors);
        return (v, errors);
    }
    let (text, errors) = evaluate_template(template, context, env);
    (Value::Text(text), errors)
}

/// Evaluates a bare expression (no `@`); syntax errors become error values.
pub fn evaluate_expression(expr: &str, context: &Object, env: &Environment) -> Value {
    match parser::parse(expr) {
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
    source: &str,
    expr: &str,
    context: &Object,
    env: &Environment,
    errors: &mut Vec<String>,
) -> Value {
    let value = evaluate_expression(expr, context, env);
    if let Value::Error(e) = &value {
        errors.push(format!("error evaluating {source}: {e}"));
    }
    value
}
