//! Dates and times in text: fuzzy parsing of what people type ("it's
//! 31-12-18", "10:30pm") and ISO 8601. Knows the environment's formats and
//! clock; knows nothing of values. The layout language is in `layout`.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
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
pub(crate) fn expand_year(y: i32, digits: usize) -> i32 {
    match digits {
        2 if y < 50 => 2000 + y,
        2 => 1900 + y,
        _ => y,
    }
}

/// Nanoseconds from a fraction written with any number of digits.
pub(crate) fn fraction_nanos(frac: &str) -> u32 {
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
    // Times of day typed by people keep microseconds, as goflow's do.
    let nanos = caps
        .get(4)
        .map(|m| fraction_nanos(m.as_str()) / 1000 * 1000)
        .unwrap_or(0);
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

/// Combines a naive local datetime with a zone, taking the earlier of two
/// ambiguous instants and skipping forward over a gap.
pub fn localize(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Tz>> {
    tz.from_local_datetime(&naive).earliest().or_else(|| {
        // Checked: the last hour chrono can hold has no hour after it.
        let later = naive.checked_add_signed(chrono::Duration::hours(1))?;
        tz.from_local_datetime(&later).earliest()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::expressions::layout::{format_parts, parse_layout};

    #[test]
    fn dates_written_in_the_environment_format_read_back() {
        for format in [
            DateFormat::DayMonthYear,
            DateFormat::MonthDayYear,
            DateFormat::YearMonthDay,
        ] {
            let env = Environment {
                date_format: format,
                ..Environment::default()
            };
            let parts = parse_layout(format.layout(), true, false).unwrap();
            for (y, m, d) in [(2018, 12, 31), (1999, 1, 2), (2024, 2, 29)] {
                let date = NaiveDate::from_ymd_opt(y, m, d);
                let text = format!("it's {} ok", format_parts(&parts, date, None, None));
                assert_eq!(date_from_string(&env, &text), date, "{text}");
            }
        }
    }

    #[test]
    fn iso_datetimes_keep_their_instant_and_offset() {
        let env = Environment::default();
        let dt = datetime_from_string(&env, "2017-06-10T17:34:00.250-06:00", false).unwrap();
        assert_eq!(dt.to_rfc3339(), "2017-06-10T17:34:00.250-06:00");
        assert_eq!(
            dt.with_timezone(&chrono::Utc).to_rfc3339(),
            "2017-06-10T23:34:00.250+00:00"
        );
    }
}
