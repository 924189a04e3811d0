//! Array and object functions, including the higher-order ones (`foreach`,
//! `filter`) that call function values.

use std::sync::Arc;

use super::args::{arg, no_errors, text};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::value::{Function, Object, Value};

type R = Result<Value, Fail>;

fn array_arg(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<Arc<Vec<Value>>, Fail> {
    match arg(a, i) {
        Value::Array(items) => Ok(items.clone()),
        other => convert::to_array(other, c.env),
    }
}

fn function_arg(a: &[Value], i: usize) -> Result<Function, Fail> {
    match arg(a, i) {
        Value::Function(f) => Ok(f.clone()),
        Value::Error(e) => Err(e.to_string()),
        _ => Err("requires a function as its second argument".into()),
    }
}

pub fn array(_: &Ctx<'_>, a: &[Value]) -> R {
    no_errors(a)?;
    Ok(Value::array(a.to_vec()))
}

pub fn object(c: &Ctx<'_>, a: &[Value]) -> R {
    no_errors(a)?;
    if !a.len().is_multiple_of(2) {
        return Err("requires an even number of arguments".into());
    }
    let mut obj = Object::new();
    for pair in a.chunks(2) {
        obj.insert(convert::to_text(&pair[0], c.env)?, pair[1].clone());
    }
    Ok(Value::Object(obj))
}

pub fn count(_: &Ctx<'_>, a: &[Value]) -> R {
    match arg(a, 0) {
        Value::Error(e) => Err(e.to_string()),
        Value::Null => Ok(Value::number(0u64)),
        Value::Array(items) => Ok(Value::number(items.len() as u64)),
        Value::Object(o) => Ok(Value::number(o.len() as u64)),
        _ => Err("value isn't countable".into()),
    }
}

pub fn contains(_: &Ctx<'_>, a: &[Value]) -> R {
    no_errors(a)?;
    let needle = arg(a, 1);
    match arg(a, 0) {
        Value::Array(items) => Ok(Value::Boolean(items.iter().any(|i| i.equals(needle)))),
        _ => Err("requires an array as its first argument".into()),
    }
}

pub fn join(c: &Ctx<'_>, a: &[Value]) -> R {
    let items = match arg(a, 0) {
        Value::Array(items) => items.clone(),
        Value::Error(e) => return Err(e.to_string()),
        _ => return Err("requires an array as its first argument".into()),
    };
    let sep = text(c, a, 1)?;
    let parts: Result<Vec<String>, Fail> = items.iter().map(|i| convert::to_text(i, c.env)).collect();
    Ok(Value::Text(parts?.join(&sep)))
}

pub fn reverse(c: &Ctx<'_>, a: &[Value]) -> R {
    let items = array_arg(c, a, 0)?;
    Ok(Value::array(items.iter().rev().cloned().collect()))
}

pub fn sort(c: &Ctx<'_>, a: &[Value]) -> R {
    let mut items = array_arg(c, a, 0)?.to_vec();
    let mut failed = false;
    items.sort_by(|x, y| match (x, y) {
        (Value::Null, _) | (_, Value::Null) => {
            failed = true;
            std::cmp::Ordering::Equal
        }
        _ => x.compare(y).unwrap_or_else(|| {
            failed = true;
            std::cmp::Ordering::Equal
        }),
    });
    if failed {
        return Err("unable to sort items of different types".into());
    }
    Ok(Value::array(items))
}

pub fn unique(c: &Ctx<'_>, a: &[Value]) -> R {
    let items = array_arg(c, a, 0)?;
    let mut out: Vec<Value> = Vec::new();
    for i in items.iter() {
        if !out.iter().any(|o| o.equals(i)) {
            out.push(i.clone());
        }
    }
    Ok(Value::array(out))
}

pub fn concat(c: &Ctx<'_>, a: &[Value]) -> R {
    let mut out = array_arg(c, a, 0)?.to_vec();
    out.extend(array_arg(c, a, 1)?.iter().cloned());
    Ok(Value::array(out))
}

pub fn filter(c: &Ctx<'_>, a: &[Value]) -> R {
    let items = array_arg(c, a, 0)?;
    let f = function_arg(a, 1)?;
    let mut out = Vec::new();
    for i in items.iter() {
        let keep = c.call(&f, std::slice::from_ref(i));
        if convert::to_boolean(&keep)? {
            out.push(i.clone());
        }
    }
    Ok(Value::array(out))
}

pub fn foreach(c: &Ctx<'_>, a: &[Value]) -> R {
    let items = array_arg(c, a, 0)?;
    let f = function_arg(a, 1)?;
    let extra = &a[2.min(a.len())..];
    let mut out = Vec::with_capacity(items.len());
    for i in items.iter() {
        let mut args = vec![i.clone()];
        args.extend(extra.iter().cloned());
        match c.call(&f, &args) {
            Value::Error(e) => return Err(e.to_string()),
            v => out.push(v),
        }
    }
    Ok(Value::array(out))
}

fn object_arg(a: &[Value], i: usize) -> Result<Object, Fail> {
    match arg(a, i) {
        Value::Object(o) => Ok(o.clone()),
        Value::Error(e) => Err(e.to_string()),
        _ => Err("requires an object as its first argument".into()),
    }
}

pub fn foreach_value(c: &Ctx<'_>, a: &[Value]) -> R {
    let obj = object_arg(a, 0)?;
    let f = function_arg(a, 1)?;
    let extra = &a[2.min(a.len())..];
    let mut out = Object::new();
    for (k, v) in obj.iter() {
        let mut args = vec![v.clone()];
        args.extend(extra.iter().cloned());
        match c.call(&f, &args) {
            Value::Error(e) => return Err(e.to_string()),
            r => out.insert(k, r),
        }
    }
    Ok(Value::Object(out))
}

pub fn keys(_: &Ctx<'_>, a: &[Value]) -> R {
    match arg(a, 0) {
        Value::Null => Ok(Value::array(Vec::new())),
        Value::Object(o) => {
            let mut ks: Vec<&str> = o.keys().collect();
            ks.sort_unstable();
            Ok(Value::array(ks.into_iter().map(Value::text).collect()))
        }
        Value::Error(e) => Err(e.to_string()),
        _ => Err("requires an object".into()),
    }
}

pub fn extract(c: &Ctx<'_>, a: &[Value]) -> R {
    let obj = object_arg(a, 0)?;
    let key = text(c, a, 1)?;
    Ok(obj.get(&key).cloned().unwrap_or(Value::Null))
}

pub fn extract_object(c: &Ctx<'_>, a: &[Value]) -> R {
    let obj = object_arg(a, 0)?;
    let mut out = Object::new();
    for i in 1..a.len() {
        let key = text(c, a, i)?;
        let v = obj.get(&key).cloned().unwrap_or(Value::Null);
        out.insert(key, v);
    }
    Ok(Value::Object(out))
}
