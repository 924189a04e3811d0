//! The binary and unary operators of Excellent (goflow `operators`). Errors in
//! either operand propagate; `=`/`!=` compare rendered text, the rest numbers.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, MathematicalOps};

use super::convert::{to_number, to_text, Fail};
use super::env::Environment;
use super::parser::BinOp;
use super::value::Value;

/// Applies a binary operator.
pub fn binary(op: BinOp, l: &Value, r: &Value, env: &Environment) -> Value {
    into_value(binary_inner(op, l, r, env))
}

fn into_value(r: Result<Value, Fail>) -> Value {
    r.unwrap_or_else(Value::error)
}

fn binary_inner(op: BinOp, l: &Value, r: &Value, env: &Environment) -> Result<Value, Fail> {
    if let Value::Error(e) = l {
        return Err(e.to_string());
    }
    if let Value::Error(e) = r {
        return Err(e.to_string());
    }
    match op {
        BinOp::Concat => Ok(Value::Text(to_text(l, env)? + &to_text(r, env)?)),
        BinOp::Eq => Ok(Value::Boolean(to_text(l, env)? == to_text(r, env)?)),
        BinOp::Neq => Ok(Value::Boolean(to_text(l, env)? != to_text(r, env)?)),
        _ => {
            let a = to_number(l, env)?;
            let b = to_number(r, env)?;
            arithmetic(op, a, b)
        }
    }
}

fn arithmetic(op: BinOp, a: Decimal, b: Decimal) -> Result<Value, Fail> {
    let overflow = || "numeric overflow".to_string();
    Ok(match op {
        BinOp::Lt => Value::Boolean(a < b),
        BinOp::Lte => Value::Boolean(a <= b),
        BinOp::Gt => Value::Boolean(a > b),
        BinOp::Gte => Value::Boolean(a >= b),
        BinOp::Add => Value::Number(a.checked_add(b).ok_or_else(overflow)?),
        BinOp::Sub => Value::Number(a.checked_sub(b).ok_or_else(overflow)?),
        BinOp::Mul => Value::Number(a.checked_mul(b).ok_or_else(overflow)?),
        BinOp::Div => {
            if b.is_zero() {
                return Err("division by zero".into());
            }
            Value::Number(a.checked_div(b).ok_or_else(overflow)?)
        }
        BinOp::Pow => Value::Number(power(a, b)?),
        BinOp::Concat | BinOp::Eq | BinOp::Neq => return Err("not an arithmetic operator".into()),
    })
}

/// Integer exponents are exact; fractional ones go through f64 and come back
/// as the shortest decimal (`9 ^ 0.5` = 3).
pub fn power(a: Decimal, b: Decimal) -> Result<Decimal, Fail> {
    let overflow = || "numeric overflow".to_string();
    if b.fract().is_zero() {
        let e = b.to_i64().ok_or_else(overflow)?;
        return a.checked_powi(e).ok_or_else(overflow);
    }
    let (x, y) = (a.to_f64().ok_or_else(overflow)?, b.to_f64().ok_or_else(overflow)?);
    let r = x.powf(y);
    if !r.is_finite() {
        return Err(overflow());
    }
    Decimal::from_f64(r).map(|d| d.normalize()).ok_or_else(overflow)
}

/// Unary minus.
pub fn negate(v: &Value, env: &Environment) -> Value {
    match to_number(v, env) {
        Ok(n) => Value::Number(-n),
        Err(e) => Value::error(e),
    }
}
