//! Number functions: rounding, aggregates, modulo, random, percent and
//! locale-aware formatting.

use rand::Rng;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::args::{arg, integer, number};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::env::NumberFormat;
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::value::{render_number, Value};

/// `format_number` and `round` accept at most this many decimal places
/// (rust_decimal keeps 28 significant digits).
pub const MAX_DECIMAL_PLACES: i64 = 15;

type R = Result<Value, Fail>;

pub fn abs(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Number(number(c, a, 0)?.abs()))
}

fn places(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<i64, Fail> {
    if a.len() <= i {
        return Ok(0);
    }
    let p = integer(c, a, i)?;
    if p.abs() > MAX_DECIMAL_PLACES {
        return Err(format!("can't round to {p} places"));
    }
    Ok(p)
}

/// Rounds to `places` (negative rounds to tens, hundreds…).
fn round_with(n: Decimal, places: i64, strategy: RoundingStrategy) -> Decimal {
    if places >= 0 {
        return n.round_dp_with_strategy(places as u32, strategy);
    }
    let scale = Decimal::from(10i64.pow((-places) as u32));
    (n / scale).round_dp_with_strategy(0, strategy) * scale
}

pub fn round(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = number(c, a, 0)?;
    Ok(Value::Number(round_with(
        n,
        places(c, a, 1)?,
        RoundingStrategy::MidpointAwayFromZero,
    )))
}

pub fn round_up(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = number(c, a, 0)?;
    Ok(Value::Number(round_with(
        n,
        places(c, a, 1)?,
        RoundingStrategy::AwayFromZero,
    )))
}

pub fn round_down(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = number(c, a, 0)?;
    Ok(Value::Number(round_with(
        n,
        places(c, a, 1)?,
        RoundingStrategy::ToZero,
    )))
}

fn numbers(c: &Ctx<'_>, a: &[Value]) -> Result<Vec<Decimal>, Fail> {
    a.iter().map(|v| convert::to_number(v, c.env)).collect()
}

pub fn max(c: &Ctx<'_>, a: &[Value]) -> R {
    numbers(c, a)?
        .into_iter()
        .max()
        .map(Value::Number)
        .ok_or_else(|| "no values".into())
}

pub fn min(c: &Ctx<'_>, a: &[Value]) -> R {
    numbers(c, a)?
        .into_iter()
        .min()
        .map(Value::Number)
        .ok_or_else(|| "no values".into())
}

pub fn mean(c: &Ctx<'_>, a: &[Value]) -> R {
    let ns = numbers(c, a)?;
    let total = ns
        .iter()
        .try_fold(Decimal::ZERO, |acc, n| acc.checked_add(*n))
        .ok_or("numeric overflow")?;
    Ok(Value::Number(total / Decimal::from(ns.len().max(1) as u64)))
}

pub fn sum(c: &Ctx<'_>, a: &[Value]) -> R {
    let items = convert::to_array(arg(a, 0), c.env)?;
    let ns = numbers(c, &items)?;
    let total = ns
        .iter()
        .try_fold(Decimal::ZERO, |acc, n| acc.checked_add(*n))
        .ok_or("numeric overflow")?;
    Ok(Value::Number(total))
}

pub fn modulo(c: &Ctx<'_>, a: &[Value]) -> R {
    let (x, y) = (number(c, a, 0)?, number(c, a, 1)?);
    if y.is_zero() {
        return Err("division by zero".into());
    }
    Ok(Value::Number(x % y))
}

pub fn rand(_: &Ctx<'_>, _: &[Value]) -> R {
    let x: f64 = rand::rng().random();
    Ok(Value::Number(
        Decimal::from_f64_retain(x).unwrap_or_default().round_dp(16),
    ))
}

pub fn rand_between(c: &Ctx<'_>, a: &[Value]) -> R {
    let (lo, hi) = (number(c, a, 0)?.trunc(), number(c, a, 1)?.trunc());
    let (lo, hi) = (
        lo.to_i64().ok_or("number out of range")?,
        hi.to_i64().ok_or("number out of range")?,
    );
    if hi < lo {
        return Err("max must be greater than min".into());
    }
    Ok(Value::number(rand::rng().random_range(lo..=hi)))
}

pub fn percent(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = number(c, a, 0)? * Decimal::from(100);
    let rounded = n.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    Ok(Value::Text(format!("{}%", render_number(&rounded))))
}

pub fn format_number(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = number(c, a, 0)?;
    let places = if a.len() > 1 {
        let p = integer(c, a, 1)?;
        if !(0..=MAX_DECIMAL_PLACES).contains(&p) {
            return Err(format!(
                "must take 0-{MAX_DECIMAL_PLACES} number of places, got {p}"
            ));
        }
        Some(p as u32)
    } else {
        None
    };
    let group = if a.len() > 2 {
        convert::to_boolean(arg(a, 2))?
    } else {
        true
    };
    Ok(Value::Text(format_decimal(
        n,
        places,
        group,
        &c.env.number_format,
    )))
}

/// Formats with `places` fixed decimals (or as many as needed when `None`),
/// digit grouping and the environment's symbols.
pub fn format_decimal(n: Decimal, places: Option<u32>, group: bool, nf: &NumberFormat) -> String {
    let n = match places {
        Some(p) => n.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero),
        None => n.normalize(),
    };
    let text = match places {
        Some(p) => format!("{:.*}", p as usize, n.abs()),
        None => render_number(&n.abs()),
    };
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let mut out = String::new();
    if n.is_sign_negative() && !n.is_zero() {
        out.push('-');
    }
    let digits: Vec<char> = int_part.chars().collect();
    for (i, d) in digits.iter().enumerate() {
        if group && i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(&nf.digit_grouping_symbol);
        }
        out.push(*d);
    }
    if let Some(f) = frac_part.filter(|f| !f.is_empty()) {
        out.push_str(&nf.decimal_symbol);
        out.push_str(&f);
    }
    out
}
