//! The evaluator: an [`Expr`] over a context to a [`Value`]. Resolves names
//! (lambda parameters, then functions, then the context), lookups, calls and
//! operators. Errors are values, never panics.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::convert::{describe, to_integer, to_text};
use super::env::Environment;
use super::functions;
use super::operators;
use super::parser::Expr;
use super::value::{Function, Lambda, Object, Value};

/// Function calls nested deeper than this (lambdas calling lambdas through
/// `foreach`) fail instead of exhausting the stack.
pub const MAX_CALL_DEPTH: usize = 32;

/// Where names are looked up: lambda parameters over the context.
#[derive(Clone)]
pub struct Scope<'a> {
    pub context: &'a Object,
    pub locals: &'a [(String, Value)],
}

/// What a built-in function gets besides its arguments.
pub struct Ctx<'a> {
    pub env: &'a Environment,
    depth: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(env: &'a Environment) -> Ctx<'a> {
        Ctx { env, depth: 0 }
    }

    /// Calls a function value (built-in or anonymous) with `args`.
    pub fn call(&self, f: &Function, args: &[Value]) -> Value {
        if self.depth >= MAX_CALL_DEPTH {
            return Value::error(format!("calls nest deeper than {MAX_CALL_DEPTH}"));
        }
        let inner = Ctx {
            env: self.env,
            depth: self.depth + 1,
        };
        match f {
            Function::Builtin(name) => match functions::lookup(name) {
                Some(builtin) => builtin.call(&inner, args),
                None => Value::error(format!("{name} is not a function")),
            },
            Function::Lambda(lambda) => {
                if args.len() != lambda.params.len() {
                    return Value::error(format!(
                        "expected {} argument(s), got {}",
                        lambda.params.len(),
                        args.len()
                    ));
                }
                let mut locals = lambda.locals.clone();
                locals.extend(lambda.params.iter().cloned().zip(args.iter().cloned()));
                let scope = Scope {
                    context: &lambda.scope,
                    locals: &locals,
                };
                eval(&lambda.body, &scope, &inner)
            }
        }
    }
}

/// Evaluates `expr` in `scope`.
pub fn eval(expr: &Expr, scope: &Scope<'_>, ctx: &Ctx<'_>) -> Value {
    match expr {
        Expr::Text(s) => Value::Text(s.clone()),
        Expr::Number(n) => n
            .parse::<Decimal>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::error(format!("number {n} is out of range"))),
        Expr::Boolean(b) => Value::Boolean(*b),
        Expr::Null => Value::Null,
        Expr::Name(name) => resolve(name, scope)
            .unwrap_or_else(|| Value::error(format!("context has no property '{}'", name.to_lowercase()))),
        Expr::Paren(e) => eval(e, scope, ctx),
        Expr::Negate(e) => operators::negate(&eval(e, scope, ctx), ctx.env),
        Expr::Binary(op, l, r) => {
            let l = eval(l, scope, ctx);
            let r = eval(r, scope, ctx);
            operators::binary(*op, &l, &r, ctx.env)
        }
        Expr::Dot(e, key) => match eval(e, scope, ctx) {
            // The common case (`contact.name`) needs no key value built.
            Value::Object(o) => match o.get(key) {
                Some(found) => found.clone(),
                None => Value::error(format!("object has no property '{key}'")),
            },
            other => lookup_key(&other, &Value::Text(key.clone()), true, ctx.env),
        },
        Expr::Index(e, idx) => {
            let v = eval(e, scope, ctx);
            if v.is_error() {
                return v;
            }
            let i = eval(idx, scope, ctx);
            lookup_key(&v, &i, false, ctx.env)
        }
        Expr::Lambda(params, body) => Value::Function(Function::Lambda(Arc::new(Lambda {
            params: params.clone(),
            body: body.clone(),
            scope: scope.context.clone(),
            locals: scope.locals.to_vec(),
        }))),
        Expr::Call(callee, args) => {
            let f = match callee.as_ref() {
                Expr::Name(name) => match resolve(name, scope) {
                    Some(v) => v,
                    None => return Value::error(format!("{} is not a function", name.to_lowercase())),
                },
                other => eval(other, scope, ctx),
            };
            let f = match f {
                Value::Function(f) => f,
                Value::Error(e) => return Value::Error(e),
                other => {
                    // goflow names the callee as written when it is a plain name.
                    let what = match callee.as_ref() {
                        Expr::Name(name) => name.to_lowercase(),
                        _ => describe(&other, ctx.env),
                    };
                    return Value::error(format!("{what} is not a function"));
                }
            };
            let args: Vec<Value> = args.iter().map(|a| eval(a, scope, ctx)).collect();
            ctx.call(&f, &args)
        }
    }
}

fn resolve(name: &str, scope: &Scope<'_>) -> Option<Value> {
    if let Some((_, v)) = scope
        .locals
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        return Some(v.clone());
    }
    if let Some(f) = functions::lookup(name) {
        return Some(Value::Function(Function::Builtin(f.name)));
    }
    scope.context.get(name).cloned()
}

/// Evaluates `@name.path` shorthand without parsing: the first name from the
/// context, then a property per segment. `None` when the path needs the full
/// parser (a segment starting with a digit, or a name that is a function).
pub fn resolve_path(path: &str, context: &Object, env: &Environment) -> Option<Value> {
    let mut segments = path.split('.');
    let first = segments.next()?;
    if path
        .split('.')
        .any(|s| s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()))
        || functions::lookup(first).is_some()
    {
        return None;
    }
    let mut current = match context.get(first) {
        Some(v) => v.clone(),
        None => {
            return Some(Value::error(format!(
                "context has no property '{}'",
                first.to_lowercase()
            )))
        }
    };
    for key in segments {
        current = match &current {
            Value::Object(o) => match o.get(key) {
                Some(found) => found.clone(),
                None => Value::error(format!("object has no property '{key}'")),
            },
            other => lookup_key(other, &Value::text(key), true, env),
        };
        if current.is_error() {
            break;
        }
    }
    Some(current)
}

/// `x.key` (dot) or `x[key]` (index) on arrays and objects.
pub fn lookup_key(v: &Value, key: &Value, dot: bool, env: &Environment) -> Value {
    match v {
        Value::Error(_) => v.clone(),
        Value::Array(items) => {
            if let Value::Error(_) = key {
                return key.clone();
            }
            let idx = match key {
                Value::Text(s) if dot => s.parse::<i64>().map_err(|_| format!("{s} is not a valid index")),
                other => to_integer(other, env),
            };
            match idx {
                Ok(i) => {
                    let len = items.len() as i64;
                    let real = if i < 0 { len + i } else { i };
                    if real < 0 || real >= len {
                        Value::error(format!("index {i} out of range for {len} items"))
                    } else {
                        items[real as usize].clone()
                    }
                }
                Err(e) => Value::error(e),
            }
        }
        Value::Object(o) => match to_text(key, env) {
            Ok(k) => match o.get(&k) {
                Some(found) => found.clone(),
                None => Value::error(format!("object has no property '{k}'")),
            },
            Err(e) => Value::error(e),
        },
        other => Value::error(format!("{} doesn't support lookups", describe(other, env))),
    }
}
