//! When an mHero `CommunicationRequest` is to be sent, as a broadcast
//! [`Schedule`]: now, once at `occurrenceDateTime`, or what the
//! `sms-cron-expression-schedule` extension says. A recurring send is a
//! daily or weekly schedule when it is one (a minute and hour, every day or
//! on listed weekdays), else the cron expression itself; a one-off send is
//! an instant (a minute and hour, and a date or none). What neither can
//! express is refused with a reason, never approximated.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::request::{CronSchedule, Frequency, RequestShapeError, SendCategory};
use crate::core::time::Schedule;
use crate::fhir::resources::CommunicationRequest;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    #[error(transparent)]
    Shape(#[from] RequestShapeError),
    #[error("occurrenceDateTime {0:?} is not a FHIR dateTime")]
    BadOccurrence(String),
    #[error("cron expression {expr:?}: {reason}")]
    Unsupported { expr: String, reason: &'static str },
}

/// The schedule of `request` seen at `now`; `None` = send now. Times without
/// a zone are read in `tz` (iHRIS sends the operator's local time).
pub fn schedule_of(
    request: &CommunicationRequest,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<Schedule>, TimingError> {
    if let Some(cron) = CronSchedule::of(request) {
        return from_cron(&cron?, tz, now);
    }
    let Some(raw) = request.occurrence_date_time.as_deref() else {
        return Ok(None);
    };
    let at = parse_date_time(raw, tz).ok_or_else(|| TimingError::BadOccurrence(raw.to_string()))?;
    Ok((at > now).then_some(Schedule::Once { at }))
}

/// A FHIR `dateTime`: with an offset, or local (`2021-06-21T10:00:00`, a
/// bare date means its midnight) in `tz`.
pub fn parse_date_time(raw: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| {
            Some(
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .ok()?
                    .and_time(NaiveTime::MIN),
            )
        })?;
    Some(tz.from_local_datetime(&local).earliest()?.with_timezone(&Utc))
}

fn from_cron(cron: &CronSchedule, tz: Tz, now: DateTime<Utc>) -> Result<Option<Schedule>, TimingError> {
    let unsupported = |reason| TimingError::Unsupported {
        expr: cron.cron_expression.clone(),
        reason,
    };
    let fields: Vec<&str> = cron.cron_expression.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields[..] else {
        return Err(unsupported(
            "expected five fields (minute hour day month weekday)",
        ));
    };
    let number = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| *n <= max);
    let simple = number(minute, 59).is_some() && number(hour, 23).is_some() && dom == "*" && month == "*";
    let weekday_list = dow == "*" || weekdays(dow).is_some();
    if cron.frequency == Frequency::Recurring && !(simple && weekday_list) {
        // Anything else iHRIS can compose (every third day, the first of
        // the month, every hour) runs as the cron expression itself.
        let schedule = Schedule::Cron {
            expr: cron.cron_expression.clone(),
            timezone: Some(tz.name().to_string()),
        };
        return match schedule.validate() {
            Ok(()) => Ok(Some(schedule)),
            Err(_) => Err(unsupported("not a valid five-field cron expression")),
        };
    }
    let (Some(m), Some(h)) = (number(minute, 59), number(hour, 23)) else {
        return Err(unsupported("minute and hour must be plain numbers"));
    };
    let time = NaiveTime::from_hms_opt(h, m, 0).ok_or_else(|| unsupported("no such time"))?;
    if cron.frequency == Frequency::Once && cron.send_category == SendCategory::Now {
        return Ok(None);
    }
    let timezone = Some(tz.name().to_string());
    match cron.frequency {
        Frequency::Recurring => {
            if dom != "*" || month != "*" {
                return Err(unsupported(
                    "a recurring send must be daily or on weekdays (day and month `*`)",
                ));
            }
            if dow == "*" {
                return Ok(Some(Schedule::Daily { time, timezone }));
            }
            let days = weekdays(dow).ok_or_else(|| unsupported("weekday must be a list of 0-7 or names"))?;
            Ok(Some(Schedule::Weekly { days, time, timezone }))
        }
        Frequency::Once => {
            if dow != "*" {
                return Err(unsupported("a one-off send cannot name a weekday"));
            }
            let local_now = now.with_timezone(&tz);
            let at = match (dom, month) {
                ("*", "*") => next_local(tz, local_now.date_naive(), time, now, |d| d.succ_opt()),
                _ => {
                    let (Some(d), Some(mo)) = (number(dom, 31), number(month, 12)) else {
                        return Err(unsupported("a one-off send needs a day and month, or neither"));
                    };
                    let this_year = NaiveDate::from_ymd_opt(local_now.year(), mo, d)
                        .ok_or_else(|| unsupported("no such date"))?;
                    next_local(tz, this_year, time, now, |day| {
                        NaiveDate::from_ymd_opt(day.year() + 1, mo, d)
                    })
                }
            };
            let at = at.ok_or_else(|| unsupported("no such local time"))?;
            Ok(Some(Schedule::Once { at }))
        }
    }
}

/// `day` at `time` in `tz`, or the next candidate from `step` if that is not after `now`.
fn next_local(
    tz: Tz,
    day: NaiveDate,
    time: NaiveTime,
    now: DateTime<Utc>,
    step: impl Fn(NaiveDate) -> Option<NaiveDate>,
) -> Option<DateTime<Utc>> {
    let mut day = day;
    // Two candidates always suffice except across a DST gap; eight is ample.
    for _ in 0..8 {
        if let Some(t) = tz.from_local_datetime(&day.and_time(time)).earliest() {
            let t = t.with_timezone(&Utc);
            if t > now {
                return Some(t);
            }
        }
        day = step(day)?;
    }
    None
}

fn weekdays(field: &str) -> Option<Vec<Weekday>> {
    let mut days = Vec::new();
    for part in field.split(',') {
        let day = match part.to_ascii_lowercase().as_str() {
            "0" | "7" | "sun" => Weekday::Sun,
            "1" | "mon" => Weekday::Mon,
            "2" | "tue" => Weekday::Tue,
            "3" | "wed" => Weekday::Wed,
            "4" | "thu" => Weekday::Thu,
            "5" | "fri" => Weekday::Fri,
            "6" | "sat" => Weekday::Sat,
            _ => return None,
        };
        if !days.contains(&day) {
            days.push(day);
        }
    }
    Some(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::mhero::request::CronSchedule;

    fn tz() -> Tz {
        "Africa/Dar_es_Salaam".parse().expect("zone") // UTC+3
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn cron(frequency: Frequency, category: SendCategory, expr: &str) -> CommunicationRequest {
        CommunicationRequest {
            extension: vec![CronSchedule {
                frequency,
                send_category: category,
                cron_expression: expr.into(),
                cron_expression_parsed: None,
            }
            .to_extension()],
            ..CommunicationRequest::default()
        }
    }

    #[test]
    fn occurrence_in_local_time_or_with_offset() {
        let mut cr = CommunicationRequest {
            occurrence_date_time: Some("2026-11-24T14:00:00".into()),
            ..CommunicationRequest::default()
        };
        let at = DateTime::parse_from_rfc3339("2026-11-24T11:00:00Z").expect("valid");
        assert_eq!(
            schedule_of(&cr, tz(), now()),
            Ok(Some(Schedule::Once {
                at: at.with_timezone(&Utc)
            }))
        );
        cr.occurrence_date_time = Some("2021-06-21T10:00:00".into());
        assert_eq!(schedule_of(&cr, tz(), now()), Ok(None), "in the past: now");
        cr.occurrence_date_time = Some("2026-11-24T12:00:00+00:00".into());
        assert!(matches!(
            schedule_of(&cr, tz(), now()),
            Ok(Some(Schedule::Once { .. }))
        ));
        cr.occurrence_date_time = Some("next tuesday".into());
        assert!(matches!(
            schedule_of(&cr, tz(), now()),
            Err(TimingError::BadOccurrence(_))
        ));
        assert_eq!(
            schedule_of(&CommunicationRequest::default(), tz(), now()),
            Ok(None)
        );
    }

    #[test]
    fn recurring_daily_and_weekly() {
        let daily = cron(Frequency::Recurring, SendCategory::Later, "30 8 * * *");
        assert_eq!(
            schedule_of(&daily, tz(), now()),
            Ok(Some(Schedule::Daily {
                time: NaiveTime::from_hms_opt(8, 30, 0).expect("time"),
                timezone: Some("Africa/Dar_es_Salaam".into()),
            }))
        );
        let weekly = cron(Frequency::Recurring, SendCategory::Later, "0 9 * * 1,5");
        assert!(matches!(
            schedule_of(&weekly, tz(), now()),
            Ok(Some(Schedule::Weekly { ref days, .. })) if days == &[Weekday::Mon, Weekday::Fri]
        ));
    }

    #[test]
    fn once_later_on_a_date_rolls_to_next_year_when_past() {
        let once = cron(Frequency::Once, SendCategory::Later, "14 14 1 3 *");
        let Ok(Some(Schedule::Once { at })) = schedule_of(&once, tz(), now()) else {
            panic!("a one-off schedule");
        };
        assert_eq!(at.to_rfc3339(), "2027-03-01T11:14:00+00:00");
        let today = cron(Frequency::Once, SendCategory::Later, "0 18 * * *");
        let Ok(Some(Schedule::Once { at })) = schedule_of(&today, tz(), now()) else {
            panic!("a one-off schedule");
        };
        assert_eq!(at.to_rfc3339(), "2026-11-24T15:00:00+00:00");
        let now_send = cron(Frequency::Once, SendCategory::Now, "0 18 * * *");
        assert_eq!(schedule_of(&now_send, tz(), now()), Ok(None));
    }

    #[test]
    fn other_recurring_shapes_run_as_their_cron_expression() {
        for expr in ["14 14 */3 * *", "*/5 * * * *", "0 9 * * mon-fri", "0 8 1 * *"] {
            let cr = cron(Frequency::Recurring, SendCategory::Later, expr);
            let Ok(Some(Schedule::Cron { expr: got, timezone })) = schedule_of(&cr, tz(), now()) else {
                panic!("{expr}: a cron schedule");
            };
            assert_eq!(got, expr);
            assert_eq!(timezone.as_deref(), Some(tz().name()));
        }
    }

    #[test]
    fn shapes_no_schedule_can_express_are_refused() {
        let refused = [
            (Frequency::Recurring, "0 9 1"),
            (Frequency::Recurring, "0 25 * * *"),
            (Frequency::Once, "14 14 */3 * *"),
        ];
        for (frequency, expr) in refused {
            let cr = cron(frequency, SendCategory::Later, expr);
            assert!(
                matches!(
                    schedule_of(&cr, tz(), now()),
                    Err(TimingError::Unsupported { .. })
                ),
                "{expr}"
            );
        }
    }
}
