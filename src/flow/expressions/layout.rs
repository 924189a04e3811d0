//! The layout language of `format_datetime`/`parse_datetime`/`format_time`
//! (`YYYY-MM-DD tt:mm:ss.fff aa Z`): splitting a layout into parts,
//! formatting by parts and strict parsing by parts. Knows nothing of values
//! or the environment.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};

use super::dates::{expand_year, fraction_nanos, parse_offset};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_then_parse_gives_back_the_datetime() {
        let date = NaiveDate::from_ymd_opt(1977, 6, 23);
        let time = NaiveTime::from_hms_micro_opt(15, 34, 7, 123_456);
        for layout in [
            "YYYY-MM-DDTtt:mm:ss.ffffffZZZ",
            "DD/MM/YYYY hh:mm:ss.ffffff AA K",
            "D MMMM YYYY h:m:s.ffffff aa Z",
            "EEE, DD MMM YY tt:mm:ss.ffffff Z",
        ] {
            let parts = parse_layout(layout, true, true).unwrap();
            let text = format_parts(&parts, date, time, Some(-7 * 3600));
            let parsed = parse_by_layout(&parts, &text).unwrap_or_else(|| panic!("{layout}: {text}"));
            assert_eq!((parsed.date, parsed.time), (date, time), "{layout}: {text}");
            assert_eq!(parsed.offset, FixedOffset::west_opt(7 * 3600), "{layout}: {text}");
        }
    }

    #[test]
    fn unknown_or_misplaced_parts_are_refused() {
        assert!(parse_layout("YYYYYYY", true, true).is_err());
        assert!(parse_layout("tt:mm", true, false).is_err());
        assert!(parse_layout("YY", false, true).is_err());
        assert!(parse_layout("YYYY-MM-DDTtt", true, true).is_ok());
    }
}
