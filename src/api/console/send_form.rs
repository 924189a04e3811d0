//! What the send wizard's forms carry from step to step ([`SendForm`]:
//! parsed from any step's body, turned into the recipients, broadcast or
//! start the API would take, written back as hidden fields), and how its
//! figures are said in the page's language (counts, the live counter,
//! durations, the time chosen).

use std::collections::BTreeMap;

use super::form::FieldErrors;
use super::page::Ctx;
use crate::core::segments::{self, Counted, Encoding};
use crate::core::time::Schedule;
use crate::store::{Exclusions, NewBroadcast, NewStart, Recipients};

/// Everything the wizard has been told so far, from any step's form.
#[derive(Debug, Default, Clone)]
pub struct SendForm {
    /// `broadcast` or `flow`.
    pub kind: String,
    pub flow: String,
    /// A flow start leaves out those already waiting in a flow.
    pub skip_in_flow: bool,
    pub groups: Vec<String>,
    pub query: String,
    pub numbers: String,
    /// Text per language code (`text_<code>` fields).
    pub texts: BTreeMap<String, String>,
    /// `now`, `at`, `daily` or `weekly`.
    pub when: String,
    pub at: String,
    pub daily: String,
    /// `mon` … `sun`, and the time, of a weekly send.
    pub weekday: String,
    pub weekly: String,
}

impl SendForm {
    pub(super) fn parse(body: &[u8]) -> SendForm {
        let mut f = SendForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "kind" => f.kind = v,
                "flow" => f.flow = v,
                "skip_in_flow" => f.skip_in_flow = v == "1",
                "group" => f.groups.push(v),
                "query" => f.query = v,
                "numbers" => f.numbers = v,
                "when" => f.when = v,
                "at" => f.at = v,
                "daily" => f.daily = v,
                "weekday" => f.weekday = v,
                "weekly" => f.weekly = v,
                other => {
                    if let Some(lang) = other.strip_prefix("text_") {
                        f.texts.insert(lang.to_string(), v);
                    }
                }
            }
        }
        if f.kind != "flow" {
            f.kind = "broadcast".into();
        }
        f
    }

    pub fn is_flow(&self) -> bool {
        self.kind == "flow"
    }

    pub fn has_group(&self, uuid: &str) -> bool {
        self.groups.iter().any(|g| g == uuid)
    }

    pub(super) fn recipients(&self) -> Recipients {
        Recipients {
            contacts: Vec::new(),
            groups: self.groups.clone(),
            query: Some(self.query.trim().to_string()).filter(|q| !q.is_empty()),
            urns: self
                .numbers
                .split(['\n', ',', ';'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    pub(super) fn broadcast(&self, base: &str, schedule: Option<Schedule>) -> NewBroadcast {
        NewBroadcast {
            translations: self.texts.clone(),
            base_language: base.to_string(),
            recipients: self.recipients(),
            schedule,
            respect_hours: true,
        }
    }

    pub(super) fn start(&self, schedule: Option<Schedule>) -> NewStart {
        NewStart {
            flow: self.flow.clone(),
            recipients: self.recipients(),
            exclusions: Exclusions {
                in_a_flow: self.skip_in_flow,
                ..Exclusions::default()
            },
            params: None,
            origin: "api".into(),
            schedule,
        }
    }

    /// The previous steps' answers, for hidden fields.
    pub fn hidden(&self, with_texts: bool) -> Vec<(String, String)> {
        let mut out = vec![
            ("kind".to_string(), self.kind.clone()),
            ("flow".to_string(), self.flow.clone()),
            ("query".to_string(), self.query.clone()),
            ("numbers".to_string(), self.numbers.clone()),
        ];
        if self.skip_in_flow {
            out.push(("skip_in_flow".to_string(), "1".to_string()));
        }
        out.extend(self.groups.iter().map(|g| ("group".to_string(), g.clone())));
        if with_texts {
            out.extend(self.texts.iter().map(|(l, t)| (format!("text_{l}"), t.clone())));
        }
        out
    }
}

/// The live counter of one text, in words.
pub struct Counter {
    pub encoding: &'static str,
    /// "80 characters · 2 message parts of 67 characters each"
    pub summary: String,
    /// The characters that force UCS-2.
    pub ucs2: Vec<String>,
    pub ucs2_note: String,
}

impl Counter {
    pub(super) fn new(ctx: &Ctx, text: &str) -> Counter {
        let c: Counted = segments::describe(text);
        let parts = if c.segments == 1 {
            ctx.t1("send-parts-one", "size", ctx.num(&i64::from(c.per_segment)))
        } else {
            ctx.lang.t_args(
                "send-parts-other",
                &[
                    ("count", ctx.num(&i64::from(c.segments))),
                    ("size", ctx.num(&i64::from(c.per_segment))),
                ],
            )
        };
        Counter {
            encoding: encoding_name(c.encoding),
            summary: format!("{} · {parts}", counted(ctx, "send-chars", c.chars as usize)),
            ucs2_note: ctx.t("send-ucs2-because"),
            ucs2: c.ucs2_chars,
        }
    }
}

/// A count said in words: `key-one` for 1, else `key-other`, with `count`.
pub(super) fn counted(ctx: &Ctx, key: &str, n: usize) -> String {
    let k = if n == 1 {
        format!("{key}-one")
    } else {
        format!("{key}-other")
    };
    ctx.t1(&k, "count", ctx.num(&(n as i64)))
}

/// The language's own name when the console knows it, else its code.
pub(super) fn lang_name(code: &str) -> String {
    super::i18n::Lang::from_code(code)
        .map(|l| l.own_name().to_string())
        .unwrap_or_else(|| code.to_string())
}

pub(super) fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Gsm7 => "GSM-7",
        Encoding::Ucs2 => "UCS-2",
    }
}

pub(super) fn format_rate(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// "about 2 minutes", "less than a minute", "about 3 hours".
pub(super) fn duration(ctx: &Ctx, secs: u64) -> String {
    if secs < 60 {
        ctx.t1("duration-seconds", "count", ctx.num(&(secs as i64)))
    } else if secs < 3600 {
        ctx.t1("duration-minutes", "count", ctx.num(&(secs.div_ceil(60) as i64)))
    } else {
        ctx.t1("duration-hours", "count", ctx.num(&(secs.div_ceil(3600) as i64)))
    }
}

/// When the send goes, from the review's choice; a field error otherwise.
pub(super) fn schedule(ctx: &Ctx, form: &SendForm) -> Result<Option<Schedule>, FieldErrors> {
    let mut errors = FieldErrors::default();
    match form.when.as_str() {
        "at" => {
            let local = chrono::NaiveDateTime::parse_from_str(&form.at, "%Y-%m-%dT%H:%M").ok();
            let at = local.and_then(|l| l.and_local_timezone(ctx.tz).earliest());
            match at {
                Some(at) => Ok(Some(Schedule::Once {
                    at: at.with_timezone(&chrono::Utc),
                })),
                None => {
                    errors.add("at", ctx.t("send-at-bad"));
                    Err(errors)
                }
            }
        }
        "daily" => match chrono::NaiveTime::parse_from_str(&form.daily, "%H:%M") {
            Ok(time) => Ok(Some(Schedule::Daily {
                time,
                timezone: Some(ctx.tz_name.clone()),
            })),
            Err(_) => {
                errors.add("daily", ctx.t("send-daily-bad"));
                Err(errors)
            }
        },
        "weekly" => {
            let day = form.weekday.parse::<chrono::Weekday>().ok();
            let time = chrono::NaiveTime::parse_from_str(&form.weekly, "%H:%M").ok();
            match (day, time) {
                (Some(day), Some(time)) => Ok(Some(Schedule::Weekly {
                    days: vec![day],
                    time,
                    timezone: Some(ctx.tz_name.clone()),
                })),
                (None, _) => {
                    errors.add("weekday", ctx.t("send-weekday-bad"));
                    Err(errors)
                }
                (_, None) => {
                    errors.add("weekly", ctx.t("send-daily-bad"));
                    Err(errors)
                }
            }
        }
        _ => Ok(None),
    }
}

/// The days a weekly send can go on, as the form names them, with their
/// label keys.
pub const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "day-mon"),
    ("tue", "day-tue"),
    ("wed", "day-wed"),
    ("thu", "day-thu"),
    ("fri", "day-fri"),
    ("sat", "day-sat"),
    ("sun", "day-sun"),
];
