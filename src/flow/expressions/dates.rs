//! Dates and times in text: fuzzy parsing of what people type ("it's
//! 31-12-18", "10:30pm"), ISO 8601, and the layout language of
//! `format_datetime`/`parse_datetime` (`YYYY-MM-DD tt:mm`). Knows the
//! environment's formats and clock; knows nothing of values.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use regex::Regex;

use super::env::{DateFormat, Environment};

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static ISO_DATETIME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})$")
});
static ISO_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"^(\d{4})-(\d{2})-(\d{2})(?:$|\s)"));
static DAY_FIRST: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(\d{1,2})[-./\\ _](\d{1,2})[-./\\ _](\d{4}|\d{2})\b"));
static YEAR_FIRST: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(\d{4}|\d{2})[-./\\ _](\d{1,2})[-./\\ _](\d{1,2})\b"));
static TIME: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?i)\b(\d{1,2})(?::?(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*([ap]m)?\b"));

/// A two-digit year: 00–49 are this century, 50–99 the last (goflow's pivot).
fn expand_year(y: i32, digits: usize) -> i32 {
    match digits {
        2 if y < 50 => 2000 + y,
        2 => 1900 + y,
        _ => y,
    }
}

/// Nanoseconds from a fraction written with any number of digits.
fn fraction_nanos(frac: &str) -> u32 {
    let digits: String = frac.chars().take(9).collect();
    let padded = format!("{digits:0<9}");
    padded.parse().unwrap_or(0)
}

/// Parses an RFC 3339-like datetime with its own offset.
pub fn parse_iso_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    let caps = ISO_DATETIME.as_ref()?.captures(s.trim())?;
    let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(num(1)? as i32, num(2)?, num(3)?)?;
    let nanos = caps.get(7).map(|m| fraction_nanos(m.as_str())).unwrap_or(0);
    let time = NaiveTime::from_hms_nano_opt(num(4)?, num(5)?, num(6).unwrap_or(0), nanos)?;
    let zone = caps.get(8)?.as_str();
    let offset = parse_offset(zone)?;
    offset.from_local_datetime(&date.and_time(time)).single()
}

/// `Z`, `+02:00`, `-0700`.
pub fn parse_offset(zone: &str) -> Option<FixedOffset> {
    if zone.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0);
    }
    let sign = match zone.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Puts an instant with a fixed offset into a named zone: UTC for zero, the
/// environment's zone when it agrees, else the matching `Etc/GMT±N`.
pub fn to_named_zone(dt: DateTime<FixedOffset>, env: &Environment) -> DateTime<Tz> {
    let secs = dt.offset().local_minus_utc();
    if secs == 0 {
        return dt.with_timezone(&Tz::UTC);
    }
    let local = dt.with_timezone(&env.timezone);
    if local.offset().fix().local_minus_utc() == secs {
        return local;
    }
    if secs % 3600 == 0 {
        let name = format!("Etc/GMT{:+}", -secs / 3600);
        if let Ok(tz) = name.parse::<Tz>() {
            return dt.with_timezone(&tz);
        }
    }
    dt.with_timezone(&Tz::UTC)
}

use chrono::Offset;

/// Finds a date in free text using the environment's date format.
fn find_date(env: &Environment, s: &str) -> Option<(NaiveDate, usize)> {
    if let Some(caps) = ISO_DATE.as_ref().and_then(|r| r.captures(s.trim_start())) {
        let n = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let d = NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)?;
        let offset = s.len() - s.trim_start().len();
        return Some((d, offset + caps.get(3).map(|m| m.end()).unwrap_or(0)));
    }
    let (pattern, order) = match env.date_format {
        DateFormat::DayMonthYear => (&DAY_FIRST, [2usize, 1, 3]),
        DateFormat::MonthDayYear => (&DAY_FIRST, [1, 2, 3]),
        DateFormat::YearMonthDay => (&YEAR_FIRST, [2, 3, 1]),
    };
    let caps = pattern.as_ref()?.captures(s)?;
    let get = |i: usize| caps.get(i).map(|m| m.as_str()).unwrap_or("");
    let (month, day, year) = (get(order[0]), get(order[1]), get(order[2]));
    let y = expand_year(year.parse().ok()?, year.len());
    let d = NaiveDate::from_ymd_opt(y, month.parse().ok()?, day.parse().ok()?)?;
    Some((d, caps.get(0).map(|m| m.end()).unwrap_or(0)))
}

/// A date in free text, in the environment's date format (or ISO).
pub fn date_from_string(env: &Environment, s: &str) -> Option<NaiveDate> {
    if let Some(dt) = parse_iso_datetime(s) {
        return Some(dt.date_naive());
    }
    find_date(env, s).map(|(d, _)| d)
}

/// A datetime in free text: ISO 8601, or a date in the environment's format
/// with an optional time after it. Without a time, midnight (or the current
/// time of day when `fill_time`), in the environment's timezone.
pub fn datetime_from_string(env: &Environment, s: &str, fill_time: bool) -> Option<DateTime<Tz>> {
    if let Some(dt) = parse_iso_datetime(s) {
        return Some(to_named_zone(dt, env));
    }
    let (date, end) = find_date(env, s)?;
    let time = match time_in(&s[end..]) {
        Some(Some(t)) => t,
        Some(None) => return None,
        None if fill_time => env.now_local().time(),
        None => NaiveTime::MIN,
    };
    env.timezone.from_local_datetime(&date.and_time(time)).earliest()
}

/// `None`: no time in the text; `Some(None)`: one that is out of range.
fn time_in(s: &str) -> Option<Option<NaiveTime>> {
    let caps = TIME.as_ref()?.captures(s)?;
    let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let mut hour = num(1)?;
    let minute = num(2).unwrap_or(0);
    let second = num(3).unwrap_or(0);
    let nanos = caps.get(4).map(|m| fraction_nanos(m.as_str())).unwrap_or(0);
    if let Some(ampm) = caps.get(5) {
        if hour == 0 || hour > 12 {
            return Some(None);
        }
        let pm = ampm.as_str().eq_ignore_ascii_case("pm");
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    if hour == 24 && minute == 0 && second == 0 {
        hour = 0;
    }
    Some(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).filter(|_| minute < 60 && second < 60))
}

/// A time of day in free text ("10", "10:30pm", "1030", "10:30:45.123").
pub fn time_from_string(s: &str) -> Option<NaiveTime> {
    if let Some(dt) = parse_iso_datetime(s) {
        return Some(dt.time());
    }
    time_in(s).flatten()
}

/// One piece of a date/time layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutPart {
    Literal(String),
    Year4,
    Year2,
    Month2,
    Month1,
    MonthShort,
    MonthLong,
    Day2,
    Day1,
    WeekdayShort,
    WeekdayLong,
    Hour24Pad,
    Hour24,
    Hour12Pad,
    Hour12,
    Minute2,
    Minute1,
    Second2,
    Second1,
    Fraction(usize),
    AmPmLower,
    AmPmUpper,
    /// `Z`: `Z` for UTC, else `±hh:mm`.
    ZoneZ,
    /// `ZZZ`: always `±hh:mm`.
    ZoneOffset,
    /// `K`: `±hhmm`.
    ZoneCompact,
}

/// The layout is not one the language knows (`YYYYYYY`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid date/time format")]
pub struct BadLayout(pub String);

/// Splits a layout into parts; date parts are refused when `allow_date` is
/// false and time parts when `allow_time` is false.
pub fn parse_layout(layout: &str, allow_date: bool, allow_time: bool) -> Result<Vec<LayoutPart>, BadLayout> {
    use LayoutPart::*;
    let chars: Vec<char> = layout.chars().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    let bad = || BadLayout(layout.to_string());
    while i < chars.len() {
        let c = chars[i];
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let run = j - i;
        let part = match (c, run) {
            ('Y', 4) => Year4,
            ('Y', 2) => Year2,
            ('M', 1) => Month1,
            ('M', 2) => Month2,
            ('M', 3) => MonthShort,
            ('M', 4) => MonthLong,
            ('D', 1) => Day1,
            ('D', 2) => Day2,
            ('E', 3) => WeekdayShort,
            ('E', 4) => WeekdayLong,
            ('t', 1) => Hour24,
            ('t', 2) => Hour24Pad,
            ('h', 1) => Hour12,
            ('h', 2) => Hour12Pad,
            ('m', 1) => Minute1,
            ('m', 2) => Minute2,
            ('s', 1) => Second1,
            ('s', 2) => Second2,
            ('f', 3) | ('f', 6) | ('f', 9) => Fraction(run),
            ('a', 2) => AmPmLower,
            ('A', 2) => AmPmUpper,
            ('Z', 1) => ZoneZ,
            ('Z', 3) => ZoneOffset,
            ('K', 1) => ZoneCompact,
            (c, _) if c.is_alphabetic() && c != 'T' => return Err(bad()),
            _ => Literal(chars[i..j].iter().collect()),
        };
        let is_date = matches!(
            part,
            Year4
                | Year2
                | Month1
                | Month2
                | MonthShort
                | MonthLong
                | Day1
                | Day2
                | WeekdayShort
                | WeekdayLong
        );
        let is_time = !is_date && !matches!(part, Literal(_));
        if (is_date && !allow_date) || (is_time && !allow_time) {
            return Err(bad());
        }
        parts.push(part);
        i = j;
    }
    Ok(parts)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Formats date and/or time parts; `offset` is seconds east of UTC when known.
pub fn format_parts(
    parts: &[LayoutPart],
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    offset: Option<i32>,
) -> String {
    use LayoutPart::*;
    let mut out = String::new();
    let d = date.unwrap_or_default();
    let t = time.unwrap_or(NaiveTime::MIN);
    let h12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let zone = |colon: bool, z: bool| {
        let secs = offset.unwrap_or(0);
        if z && secs == 0 {
            return "Z".to_string();
        }
        let sign = if secs < 0 { '-' } else { '+' };
        let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
        if colon {
            format!("{sign}{h:02}:{m:02}")
        } else {
            format!("{sign}{h:02}{m:02}")
        }
    };
    for p in parts {
        match p {
            Literal(s) => out.push_str(s),
            Year4 => out.push_str(&format!("{:04}", d.year())),
            Year2 => out.push_str(&format!("{:02}", d.year().rem_euclid(100))),
            Month2 => out.push_str(&format!("{:02}", d.month())),
            Month1 => out.push_str(&d.month().to_string()),
            MonthShort => out.push_str(&MONTHS[d.month0() as usize][..3]),
            MonthLong => out.push_str(MONTHS[d.month0() as usize]),
            Day2 => out.push_str(&format!("{:02}", d.day())),
            Day1 => out.push_str(&d.day().to_string()),
            WeekdayShort => out.push_str(&WEEKDAYS[d.weekday().num_days_from_sunday() as usize][..3]),
            WeekdayLong => out.push_str(WEEKDAYS[d.weekday().num_days_from_sunday() as usize]),
            Hour24Pad => out.push_str(&format!("{:02}", t.hour())),
            Hour24 => out.push_str(&t.hour().to_string()),
            Hour12Pad => out.push_str(&format!("{h12:02}")),
            Hour12 => out.push_str(&h12.to_string()),
            Minute2 => out.push_str(&format!("{:02}", t.minute())),
            Minute1 => out.push_str(&t.minute().to_string()),
            Second2 => out.push_str(&format!("{:02}", t.second())),
            Second1 => out.push_str(&t.second().to_string()),
            Fraction(n) => {
                let nanos = format!("{:09}", t.nanosecond().min(999_999_999));
                out.push_str(&nanos[..*n]);
            }
            AmPmLower => out.push_str(if t.hour() < 12 { "am" } else { "pm" }),
            AmPmUpper => out.push_str(if t.hour() < 12 { "AM" } else { "PM" }),
            ZoneZ => out.push_str(&zone(true, true)),
            ZoneOffset => out.push_str(&zone(true, false)),
            ZoneCompact => out.push_str(&zone(false, false)),
        }
    }
    out
}

/// What a layout-driven parse found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub date: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    pub offset: Option<FixedOffset>,
}

/// Parses `s` strictly by layout parts (`parse_datetime`, `parse_time`).
pub fn parse_by_layout(parts: &[LayoutPart], s: &str) -> Option<Parsed> {
    use LayoutPart::*;
    let mut rest = s;
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset = None;
    let mut has_time = false;
    fn digits(rest: &mut &str, min: usize, max: usize) -> Option<u32> {
        let n = rest.chars().take(max).take_while(|c| c.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let v = rest[..n].parse().ok()?;
        *rest = &rest[n..];
        Some(v)
    }
    for p in parts {
        match p {
            Literal(l) => rest = rest.strip_prefix(l.as_str())?,
            Year4 => year = Some(digits(&mut rest, 4, 4)? as i32),
            Year2 => year = Some(expand_year(digits(&mut rest, 2, 2)? as i32, 2)),
            Month2 => month = Some(digits(&mut rest, 2, 2)?),
            Month1 => month = Some(digits(&mut rest, 1, 2)?),
            Day2 => day = Some(digits(&mut rest, 2, 2)?),
            Day1 => day = Some(digits(&mut rest, 1, 2)?),
            MonthShort | MonthLong => {
                let idx = MONTHS.iter().position(|m| {
                    let candidate = if *p == MonthShort { &m[..3] } else { m };
                    rest.len() >= candidate.len()
                        && rest.is_char_boundary(candidate.len())
                        && rest[..candidate.len()].eq_ignore_ascii_case(candidate)
                })?;
                let len = if *p == MonthShort { 3 } else { MONTHS[idx].len() };
                rest = &rest[len..];
                month = Some(idx as u32 + 1);
            }
            WeekdayShort | WeekdayLong => {
                let n = rest.chars().take_while(|c| c.is_alphabetic()).count();
                rest = &rest[n..];
            }
            Hour24Pad | Hour12Pad => {
                hour = digits(&mut rest, 2, 2)?;
                has_time = true;
            }
            Hour24 | Hour12 => {
                hour = digits(&mut rest, 1, 2)?;
                has_time = true;
            }
            Minute2 => minute = digits(&mut rest, 2, 2)?,
            Minute1 => minute = digits(&mut rest, 1, 2)?,
            Second2 | Second1 => {
                second = digits(&mut rest, if *p == Second2 { 2 } else { 1 }, 2)?;
                if let Some(after) = rest.strip_prefix('.') {
                    let n = after.chars().take_while(|c| c.is_ascii_digit()).count();
                    if n > 0
                        && !matches!(parts.iter().skip_while(|q| *q != p).nth(1), Some(Literal(l)) if l.starts_with('.'))
                    {
                        nanos = fraction_nanos(&after[..n]);
                        rest = &after[n..];
                    }
                }
            }
            Fraction(_) => {
                let n = rest.chars().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 {
                    return None;
                }
                nanos = fraction_nanos(&rest[..n]);
                rest = &rest[n..];
            }
            AmPmLower | AmPmUpper => {
                let tag = rest.get(..2)?;
                pm = Some(match tag.to_ascii_lowercase().as_str() {
                    "am" => false,
                    "pm" => true,
                    _ => return None,
                });
                rest = &rest[2..];
            }
            ZoneZ | ZoneOffset | ZoneCompact => {
                if let Some(r) = rest.strip_prefix(['Z', 'z']) {
                    offset = FixedOffset::east_opt(0);
                    rest = r;
                } else {
                    let len = if rest.get(3..4) == Some(":") { 6 } else { 5 };
                    offset = Some(parse_offset(rest.get(..len)?)?);
                    rest = &rest[len..];
                }
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    if let Some(pm) = pm {
        if hour == 0 || hour > 12 {
            return None;
        }
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let date = match (year, month, day) {
        (None, None, None) => None,
        (y, m, d) => Some(NaiveDate::from_ymd_opt(
            y.unwrap_or(1),
            m.unwrap_or(1),
            d.unwrap_or(1),
        )?),
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(Parsed {
        date,
        time: Some(time).filter(|_| has_time || date.is_none() || nanos > 0 || second > 0),
        offset,
    })
}

/// Combines a naive local datetime with a zone, taking the earlier of two
/// ambiguous instants and skipping forward over a gap.
pub fn localize(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Tz>> {
    tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
    })
}
