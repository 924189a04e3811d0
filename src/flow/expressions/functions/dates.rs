//! Date and time functions: formatting and parsing by layout, arithmetic,
//! epochs, zones and the clock.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::args::{arg, date, datetime, integer, number, text, time};
use crate::flow::expressions::convert::{self, Fail};
use crate::flow::expressions::dates::localize;
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::layout::{format_parts, parse_by_layout, parse_layout};
use crate::flow::expressions::value::Value;

type R = Result<Value, Fail>;

/// Formats a date by a layout of date parts only.
pub fn format_date_layout(d: NaiveDate, layout: &str) -> Result<String, Fail> {
    let parts = parse_layout(layout, true, false).map_err(|e| e.to_string())?;
    Ok(format_parts(&parts, Some(d), None, None))
}

/// Formats a time by a layout of time parts only.
pub fn format_time_layout(t: NaiveTime, layout: &str) -> Result<String, Fail> {
    let parts = parse_layout(layout, false, true).map_err(|e| e.to_string())?;
    Ok(format_parts(&parts, None, Some(t), None))
}

/// Formats a datetime (in its own zone) by a layout.
pub fn format_datetime_layout(dt: &DateTime<Tz>, layout: &str) -> Result<String, Fail> {
    use chrono::Offset;
    let parts = parse_layout(layout, true, true).map_err(|e| e.to_string())?;
    let offset = dt.offset().fix().local_minus_utc();
    Ok(format_parts(
        &parts,
        Some(dt.date_naive()),
        Some(dt.time()),
        Some(offset),
    ))
}

fn zone_arg(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<Tz, Fail> {
    if a.len() <= i {
        return Ok(c.env.timezone);
    }
    let name = text(c, a, i)?;
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name}"))
}

pub fn format_date(c: &Ctx<'_>, a: &[Value]) -> R {
    let d = date(c, a, 0)?;
    let layout = if a.len() > 1 {
        text(c, a, 1)?
    } else {
        c.env.date_format.layout().to_string()
    };
    Ok(Value::Text(format_date_layout(d, &layout)?))
}

pub fn format_datetime(c: &Ctx<'_>, a: &[Value]) -> R {
    let dt = datetime(c, a, 0)?;
    let layout = if a.len() > 1 {
        text(c, a, 1)?
    } else {
        format!("{} {}", c.env.date_format.layout(), c.env.time_format.layout())
    };
    let tz = zone_arg(c, a, 2)?;
    Ok(Value::Text(format_datetime_layout(
        &dt.with_timezone(&tz),
        &layout,
    )?))
}

pub fn format_time(c: &Ctx<'_>, a: &[Value]) -> R {
    let t = time(c, a, 0)?;
    let layout = if a.len() > 1 {
        text(c, a, 1)?
    } else {
        c.env.time_format.layout().to_string()
    };
    Ok(Value::Text(format_time_layout(t, &layout)?))
}

pub fn parse_datetime(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let layout = text(c, a, 1)?;
    let tz = zone_arg(c, a, 2)?;
    let parts = parse_layout(&layout, true, true).map_err(|e| e.to_string())?;
    let parsed = parse_by_layout(&parts, &s).ok_or_else(|| format!("unable to parse {s:?} as {layout}"))?;
    let naive = parsed
        .date
        .unwrap_or_default()
        .and_time(parsed.time.unwrap_or(NaiveTime::MIN));
    let dt = match parsed.offset {
        Some(off) => {
            let fixed = naive.and_local_timezone(off).single().ok_or("invalid datetime")?;
            fixed.with_timezone(&tz)
        }
        None => localize(tz, naive).ok_or("invalid datetime")?,
    };
    Ok(Value::DateTime(dt))
}

pub fn parse_time(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let layout = text(c, a, 1)?;
    let parts = parse_layout(&layout, false, true).map_err(|e| e.to_string())?;
    let parsed = parse_by_layout(&parts, &s).ok_or_else(|| format!("unable to parse {s:?} as {layout}"))?;
    Ok(Value::Time(parsed.time.unwrap_or(NaiveTime::MIN)))
}

/// Adds `n` units: calendar units keep the local time of day, clock units
/// add elapsed time.
fn add(dt: DateTime<Tz>, n: i64, unit: &str) -> Result<DateTime<Tz>, Fail> {
    let overflow = || "datetime out of range".to_string();
    let tz = dt.timezone();
    let local = dt.naive_local();
    let calendar =
        |naive: Option<chrono::NaiveDateTime>| naive.and_then(|n| localize(tz, n)).ok_or_else(overflow);
    match unit {
        "Y" | "M" => {
            // Like Go's AddDate: the day is kept and overflow rolls into the
            // next month (Jan 31 + 1 month = Mar 3), it is not clamped.
            let months = if unit == "Y" {
                n.checked_mul(12).ok_or_else(overflow)?
            } else {
                n
            };
            let first = local.with_day(1).ok_or_else(overflow)?;
            let m = Months::new(u32::try_from(months.unsigned_abs()).map_err(|_| overflow())?);
            let moved = if months >= 0 {
                first.checked_add_months(m)
            } else {
                first.checked_sub_months(m)
            };
            let days = Duration::try_days(i64::from(local.day()) - 1).ok_or_else(overflow)?;
            calendar(moved.and_then(|d| d.checked_add_signed(days)))
        }
        "W" => calendar(local.checked_add_signed(
            Duration::try_days(n.checked_mul(7).ok_or_else(overflow)?).ok_or_else(overflow)?,
        )),
        "D" => calendar(local.checked_add_signed(Duration::try_days(n).ok_or_else(overflow)?)),
        "h" => dt
            .checked_add_signed(Duration::try_hours(n).ok_or_else(overflow)?)
            .ok_or_else(overflow),
        "m" => dt
            .checked_add_signed(Duration::try_minutes(n).ok_or_else(overflow)?)
            .ok_or_else(overflow),
        "s" => dt
            .checked_add_signed(Duration::try_seconds(n).ok_or_else(overflow)?)
            .ok_or_else(overflow),
        other => Err(format!(
            "unknown unit: {other}, must be one of s, m, h, D, W, M, Y"
        )),
    }
}

pub fn datetime_add(c: &Ctx<'_>, a: &[Value]) -> R {
    let dt = datetime(c, a, 0)?;
    let n = integer(c, a, 1)?;
    let unit = text(c, a, 2)?;
    Ok(Value::DateTime(add(dt, n, &unit)?))
}

pub fn datetime_diff(c: &Ctx<'_>, a: &[Value]) -> R {
    let from = datetime(c, a, 0)?;
    let to = datetime(c, a, 1)?;
    let unit = text(c, a, 2)?;
    let elapsed = to.signed_duration_since(from);
    let (d1, d2) = (from.date_naive(), to.with_timezone(&from.timezone()).date_naive());
    let days = d2.signed_duration_since(d1).num_days();
    let n = match unit.as_str() {
        "s" => elapsed.num_seconds(),
        "m" => elapsed.num_minutes(),
        "h" => elapsed.num_hours(),
        "D" => days,
        "W" => days / 7,
        "M" => (d2.year() as i64 * 12 + d2.month() as i64) - (d1.year() as i64 * 12 + d1.month() as i64),
        "Y" => d2.year() as i64 - d1.year() as i64,
        other => {
            return Err(format!(
                "unknown unit: {other}, must be one of s, m, h, D, W, M, Y"
            ))
        }
    };
    Ok(Value::number(n))
}

pub fn datetime_from_epoch(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = number(c, a, 0)?;
    let secs = n.trunc().to_i64().ok_or("epoch out of range")?;
    let nanos = (n.fract() * Decimal::from(1_000_000_000))
        .trunc()
        .to_u32()
        .unwrap_or(0);
    let dt = DateTime::from_timestamp(secs, nanos).ok_or("epoch out of range")?;
    Ok(Value::DateTime(dt.with_timezone(&c.env.timezone)))
}

pub fn epoch(c: &Ctx<'_>, a: &[Value]) -> R {
    let dt = datetime(c, a, 0)?;
    let secs = Decimal::from(dt.timestamp());
    let frac = Decimal::new(i64::from(dt.timestamp_subsec_nanos()), 9);
    Ok(Value::Number((secs + frac).normalize()))
}

pub fn now(c: &Ctx<'_>, a: &[Value]) -> R {
    super::args::no_errors(a)?;
    Ok(Value::DateTime(c.env.now_local()))
}

pub fn today(c: &Ctx<'_>, a: &[Value]) -> R {
    super::args::no_errors(a)?;
    Ok(Value::Date(c.env.now_local().date_naive()))
}

pub fn date_from_parts(c: &Ctx<'_>, a: &[Value]) -> R {
    let (y, m, d) = (integer(c, a, 0)?, integer(c, a, 1)?, integer(c, a, 2)?);
    // Days past the month's end roll over the way Go's time.Date does (Feb 31 → Mar 3).
    let date = i32::try_from(y)
        .ok()
        .zip(u32::try_from(m).ok())
        .filter(|_| (1..=31).contains(&d))
        .and_then(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1))
        .and_then(|first| first.checked_add_signed(Duration::days(d - 1)));
    date.map(Value::Date)
        .ok_or_else(|| "invalid value for year, month or day".into())
}

pub fn time_from_parts(c: &Ctx<'_>, a: &[Value]) -> R {
    let (h, m, s) = (integer(c, a, 0)?, integer(c, a, 1)?, integer(c, a, 2)?);
    let t = u32::try_from(h)
        .ok()
        .zip(u32::try_from(m).ok())
        .zip(u32::try_from(s).ok())
        .filter(|((h, m), s)| *h < 24 && *m < 60 && *s < 60)
        .and_then(|((h, m), s)| NaiveTime::from_hms_opt(h, m, s));
    t.map(Value::Time)
        .ok_or_else(|| "invalid value for hour, minute or second".into())
}

pub fn replace_time(c: &Ctx<'_>, a: &[Value]) -> R {
    let dt = datetime(c, a, 0)?;
    let t = time(c, a, 1)?;
    let naive = dt.date_naive().and_time(t);
    localize(dt.timezone(), naive)
        .map(Value::DateTime)
        .ok_or_else(|| "invalid datetime".into())
}

pub fn tz(c: &Ctx<'_>, a: &[Value]) -> R {
    let dt = datetime(c, a, 0)?;
    Ok(Value::text(dt.timezone().name()))
}

pub fn tz_offset(c: &Ctx<'_>, a: &[Value]) -> R {
    let dt = datetime(c, a, 0)?;
    Ok(Value::Text(dt.format("%z").to_string()))
}

pub fn weekday(c: &Ctx<'_>, a: &[Value]) -> R {
    let d = date(c, a, 0)?;
    Ok(Value::number(d.weekday().num_days_from_sunday()))
}

pub fn week_number(c: &Ctx<'_>, a: &[Value]) -> R {
    let d = date(c, a, 0)?;
    Ok(Value::number(d.iso_week().week()))
}

/// Migrated legacy `date + n`: numbers add; a date and a whole number of days
/// add days.
pub fn legacy_add(c: &Ctx<'_>, a: &[Value]) -> R {
    let env = c.env;
    let (x, y) = (arg(a, 0), arg(a, 1));
    super::args::no_errors(a)?;
    let (nx, ny) = (convert::to_number(x, env), convert::to_number(y, env));
    let days = |n: Decimal| -> Result<i64, Fail> {
        n.trunc()
            .to_i32()
            .map(i64::from)
            .ok_or_else(|| format!("{n} is not a valid number of days"))
    };
    match (nx, ny) {
        (Ok(p), Ok(q)) => Ok(Value::Number(p + q)),
        (Ok(p), Err(_)) => Ok(Value::DateTime(add(
            convert::to_datetime(y, env)?,
            days(p)?,
            "D",
        )?)),
        (Err(_), Ok(q)) => Ok(Value::DateTime(add(
            convert::to_datetime(x, env)?,
            days(q)?,
            "D",
        )?)),
        (Err(e), Err(_)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn month_arithmetic_rolls_over_like_go() {
        let jan31 = Tz::UTC.with_ymd_and_hms(2019, 1, 31, 10, 0, 0).unwrap();
        assert_eq!(
            add(jan31, 1, "M").unwrap().date_naive(),
            NaiveDate::from_ymd_opt(2019, 3, 3).unwrap()
        );
        assert_eq!(
            add(jan31, -2, "M").unwrap().date_naive(),
            NaiveDate::from_ymd_opt(2018, 12, 1).unwrap()
        );
        let leap = Tz::UTC.with_ymd_and_hms(2020, 2, 29, 0, 0, 0).unwrap();
        assert_eq!(
            add(leap, 1, "Y").unwrap().date_naive(),
            NaiveDate::from_ymd_opt(2021, 3, 1).unwrap()
        );
    }
}
