//! Time as the store keeps it (milliseconds since the Unix epoch, UTC) and the
//! calendar rules sends obey: sending hours in the recipient's time zone and
//! recurring schedules.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

/// Records into a histogram, in seconds, the time from its start until it
/// goes out of scope (early returns and errors included).
pub struct HistogramTimer {
    histogram: metrics::Histogram,
    started: std::time::Instant,
}

impl HistogramTimer {
    pub fn start(histogram: metrics::Histogram) -> HistogramTimer {
        HistogramTimer {
            histogram,
            started: std::time::Instant::now(),
        }
    }

    pub fn started(&self) -> std::time::Instant {
        self.started
    }
}

impl Drop for HistogramTimer {
    fn drop(&mut self) {
        self.histogram.record(self.started.elapsed().as_secs_f64());
    }
}

pub fn to_datetime(ms: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn rfc3339(ms: Millis) -> String {
    to_datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Serde helpers for row types that keep [`Millis`] (the store's and the
/// dialer's arithmetic wants numbers) but answer in RFC 3339 UTC like every
/// other timestamp of the API:
/// `#[serde(serialize_with = "rfc3339::serialize")]`, or `rfc3339::option`
/// for an `Option<Millis>`.
pub mod rfc3339 {
    use super::Millis;

    pub fn serialize<S: serde::Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*ms))
    }

    pub fn option<S: serde::Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => serialize(ms, s),
            None => s.serialize_none(),
        }
    }
}

/// Local hours in which bulk sends may reach a handset, e.g. 08:00–20:00.
/// `start == end` means any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl SendingHours {
    pub const ALWAYS: SendingHours = SendingHours {
        start: NaiveTime::MIN,
        end: NaiveTime::MIN,
    };

    fn contains(&self, t: NaiveTime) -> bool {
        if self.start == self.end {
            true
        } else if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            // A window across midnight, e.g. 22:00–06:00.
            t >= self.start || t < self.end
        }
    }

    /// The earliest instant at or after `at` that falls inside the window in
    /// time zone `tz`.
    pub fn next_allowed(&self, at: Millis, tz: Tz) -> Millis {
        let utc = to_datetime(at);
        let local = utc.with_timezone(&tz);
        if self.contains(local.time()) {
            return at;
        }
        // Start of the window today or tomorrow, local time.
        let mut day = local.date_naive();
        if local.time() >= self.start {
            day = day.succ_opt().unwrap_or(day);
        }
        let start = day.and_time(self.start);
        // A DST gap can make the local start not exist: take the next hour.
        let resolved = tz.from_local_datetime(&start).earliest().or_else(|| {
            let later = start.checked_add_signed(Duration::hours(1))?;
            tz.from_local_datetime(&later).earliest()
        });
        resolved.map(|d| d.timestamp_millis()).unwrap_or(at)
    }
}

/// As written in the config: `08:00-20:00`.
impl std::fmt::Display for SendingHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

/// When a broadcast fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "repeat", rename_all = "lowercase", deny_unknown_fields)]
pub enum Schedule {
    /// Once at the given instant.
    Once { at: DateTime<Utc> },
    /// Every day at a local time.
    Daily {
        time: NaiveTime,
        timezone: Option<String>,
    },
    /// On the given weekdays at a local time.
    Weekly {
        days: Vec<Weekday>,
        time: NaiveTime,
        timezone: Option<String>,
    },
    /// Whenever a five-field cron expression matches, in local time
    /// (`"14 14 */3 * *"`: 14:14 on every third day of the month, as iHRIS
    /// composes recurring sends). Day of month and weekday combine as in
    /// Vixie cron (either matches when both are restricted).
    Cron { expr: String, timezone: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("unknown time zone {0:?}")]
    BadTimezone(String),
    #[error("a weekly schedule needs at least one day")]
    NoDays,
    #[error("cron expression {0:?}: {1}")]
    BadCron(String, String),
}

/// A cron expression parsed the one way this crate reads them.
fn parse_cron(expr: &str) -> Result<croner::Cron, ScheduleError> {
    if expr.split_whitespace().count() != 5 {
        return Err(ScheduleError::BadCron(
            expr.to_string(),
            "expected five fields (minute hour day month weekday)".into(),
        ));
    }
    croner::Cron::new(expr)
        .parse()
        .map_err(|e| ScheduleError::BadCron(expr.to_string(), e.to_string()))
}

impl Schedule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        match self {
            Schedule::Once { .. } => Ok(()),
            Schedule::Daily { timezone, .. } => parse_tz(timezone.as_deref()).map(|_| ()),
            Schedule::Weekly { days, timezone, .. } => {
                if days.is_empty() {
                    return Err(ScheduleError::NoDays);
                }
                parse_tz(timezone.as_deref()).map(|_| ())
            }
            Schedule::Cron { expr, timezone } => {
                parse_cron(expr)?;
                parse_tz(timezone.as_deref()).map(|_| ())
            }
        }
    }

    pub fn is_recurring(&self) -> bool {
        !matches!(self, Schedule::Once { .. })
    }

    /// The first firing strictly after `after` (for `Once`, its instant if it
    /// is later, else none).
    pub fn next_after(&self, after: Millis, default_tz: Tz) -> Option<Millis> {
        match self {
            Schedule::Once { at } => {
                let at = at.timestamp_millis();
                (at > after).then_some(at)
            }
            Schedule::Daily { time, timezone } => {
                let tz = parse_tz(timezone.as_deref()).ok()?.unwrap_or(default_tz);
                next_matching(after, tz, *time, |_| true)
            }
            Schedule::Weekly { days, time, timezone } => {
                let tz = parse_tz(timezone.as_deref()).ok()?.unwrap_or(default_tz);
                next_matching(after, tz, *time, |d| days.contains(&d))
            }
            Schedule::Cron { expr, timezone } => {
                let tz = parse_tz(timezone.as_deref()).ok()?.unwrap_or(default_tz);
                let cron = parse_cron(expr).ok()?;
                let local = to_datetime(after).with_timezone(&tz);
                let next = cron.find_next_occurrence(&local, false).ok()?;
                let ms = next.timestamp_millis();
                // Matches are whole minutes; `after` may sit inside one.
                (ms > after).then_some(ms)
            }
        }
    }
}

fn parse_tz(name: Option<&str>) -> Result<Option<Tz>, ScheduleError> {
    match name {
        None => Ok(None),
        Some(n) => n
            .parse::<Tz>()
            .map(Some)
            .map_err(|_| ScheduleError::BadTimezone(n.to_string())),
    }
}

fn next_matching(after: Millis, tz: Tz, time: NaiveTime, day_ok: impl Fn(Weekday) -> bool) -> Option<Millis> {
    let local = to_datetime(after).with_timezone(&tz);
    let mut day = local.date_naive();
    // Eight days always contains the next matching weekday.
    for _ in 0..9 {
        if day_ok(day.weekday()) {
            if let Some(dt) = tz.from_local_datetime(&day.and_time(time)).earliest() {
                let ms = dt.timestamp_millis();
                if ms > after {
                    return Some(ms);
                }
            }
        }
        day = day.succ_opt()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn millis_fields_serialise_as_rfc3339_utc() {
        #[derive(Serialize)]
        struct Row {
            #[serde(serialize_with = "rfc3339::serialize")]
            at: Millis,
            #[serde(serialize_with = "rfc3339::option")]
            maybe: Option<Millis>,
            #[serde(serialize_with = "rfc3339::option")]
            never: Option<Millis>,
        }
        let at = ms("2026-12-07T14:05:00.123Z");
        let json = serde_json::to_value(Row {
            at,
            maybe: Some(at + 1),
            never: None,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at": "2026-12-07T14:05:00.123Z", "maybe": "2026-12-07T14:05:00.124Z", "never": null})
        );
    }

    #[test]
    fn inside_the_window_sends_now() {
        let h = SendingHours {
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
        };
        let tz: Tz = "Africa/Dar_es_Salaam".parse().unwrap(); // UTC+3
        let at = ms("2026-11-24T09:00:00Z"); // 12:00 local
        assert_eq!(h.next_allowed(at, tz), at);
        // 21:00 local: wait for 08:00 local next day = 05:00Z.
        let late = ms("2026-11-24T18:00:00Z");
        assert_eq!(h.next_allowed(late, tz), ms("2026-11-25T05:00:00Z"));
        // 03:00 local: later the same local day.
        let early = ms("2026-11-24T00:00:00Z");
        assert_eq!(h.next_allowed(early, tz), ms("2026-11-24T05:00:00Z"));
        assert_eq!(SendingHours::ALWAYS.next_allowed(late, tz), late);
        assert_eq!(h.to_string(), "08:00-20:00");
    }

    #[test]
    fn cron_schedule_follows_ihris_every_third_day() {
        let s = Schedule::Cron {
            expr: "14 14 */3 * *".into(),
            timezone: Some("Africa/Dar_es_Salaam".into()), // UTC+3
        };
        s.validate().unwrap();
        assert!(s.is_recurring());
        // Days 1, 4, 7, ... of the month at 14:14 local = 11:14Z.
        let first = s.next_after(ms("2026-11-24T12:00:00Z"), chrono_tz::UTC).unwrap();
        assert_eq!(first, ms("2026-11-25T11:14:00Z"));
        let second = s.next_after(first, chrono_tz::UTC).unwrap();
        assert_eq!(second, ms("2026-11-28T11:14:00Z"));
        // Month end: day 31 does not exist in November; December 1 follows.
        let third = s.next_after(ms("2026-11-28T11:14:00Z"), chrono_tz::UTC).unwrap();
        assert_eq!(third, ms("2026-12-01T11:14:00Z"));
    }

    #[test]
    fn bad_cron_expressions_are_refused_with_a_reason() {
        for expr in ["14 14 */3 *", "61 14 * * *", "a b c d e", "* * * * * *"] {
            let s = Schedule::Cron {
                expr: expr.into(),
                timezone: None,
            };
            assert!(matches!(s.validate(), Err(ScheduleError::BadCron(..))), "{expr}");
        }
    }

    #[test]
    fn weekly_schedule_finds_next_monday() {
        let s = Schedule::Weekly {
            days: vec![Weekday::Mon],
            time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            timezone: Some("Africa/Kampala".into()),
        };
        // 2026-11-24 is a Tuesday.
        let next = s.next_after(ms("2026-11-24T10:00:00Z"), chrono_tz::UTC).unwrap();
        assert_eq!(next, ms("2026-11-30T05:00:00Z"));
        // Exactly at a firing, the next is a week on.
        assert_eq!(
            s.next_after(next, chrono_tz::UTC).unwrap(),
            ms("2026-12-07T05:00:00Z")
        );
    }

    #[test]
    fn schedules_parse_from_json() {
        let s: Schedule =
            serde_json::from_str(r#"{"repeat":"weekly","days":["Mon","Thu"],"time":"08:00:00"}"#).unwrap();
        assert!(s.is_recurring());
        let bad = serde_json::from_str::<Schedule>(r#"{"repeat":"hourly"}"#);
        assert!(bad.is_err());
        let tz = Schedule::Daily {
            time: NaiveTime::MIN,
            timezone: Some("Mars/Base".into()),
        };
        assert_eq!(tz.validate(), Err(ScheduleError::BadTimezone("Mars/Base".into())));
    }
}
