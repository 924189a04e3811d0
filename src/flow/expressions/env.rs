//! The environment an expression is evaluated in: date/time formats, timezone,
//! default country, number format, input collation, redaction, a clock the
//! host can fix, and the locations tree for `has_state`/`has_district`/`has_ward`.
//! Knows nothing of contacts, sessions or assets beyond the [`Locations`] seam.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::flow::clock::Clock;

/// How dates are written and read (`DD-MM-YYYY`, `MM-DD-YYYY`, `YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DateFormat {
    #[serde(rename = "DD-MM-YYYY")]
    DayMonthYear,
    #[serde(rename = "MM-DD-YYYY")]
    MonthDayYear,
    #[default]
    #[serde(rename = "YYYY-MM-DD")]
    YearMonthDay,
}

impl DateFormat {
    /// The layout string, as used by `format_date`.
    pub fn layout(self) -> &'static str {
        match self {
            DateFormat::DayMonthYear => "DD-MM-YYYY",
            DateFormat::MonthDayYear => "MM-DD-YYYY",
            DateFormat::YearMonthDay => "YYYY-MM-DD",
        }
    }
}

/// How times of day are written (`tt:mm`, `tt:mm:ss`, `h:mm aa`, `h:mm:ss aa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TimeFormat {
    #[default]
    #[serde(rename = "tt:mm")]
    HourMinute,
    #[serde(rename = "tt:mm:ss")]
    HourMinuteSecond,
    #[serde(rename = "h:mm aa")]
    HourMinuteAmPm,
    #[serde(rename = "h:mm:ss aa")]
    HourMinuteSecondAmPm,
}

impl TimeFormat {
    pub fn layout(self) -> &'static str {
        match self {
            TimeFormat::HourMinute => "tt:mm",
            TimeFormat::HourMinuteSecond => "tt:mm:ss",
            TimeFormat::HourMinuteAmPm => "h:mm aa",
            TimeFormat::HourMinuteSecondAmPm => "h:mm:ss aa",
        }
    }
}

/// How text input is compared to keywords and words in router tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InputCollation {
    #[default]
    Default,
    Confusables,
    ArabicVariants,
}

/// Whether URNs are shown to flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RedactionPolicy {
    #[default]
    None,
    Urns,
}

/// Decimal point and digit grouping used by `format_number` and number parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberFormat {
    pub decimal_symbol: String,
    pub digit_grouping_symbol: String,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat {
            decimal_symbol: ".".into(),
            digit_grouping_symbol: ",".into(),
        }
    }
}

/// One node of the locations tree: a country, state, district or ward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Location {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub children: Vec<Location>,
}

/// A location at some level, as the location router tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationCandidate {
    /// Names from the root (country) down to this location.
    pub path: Vec<String>,
    /// This location's name and aliases.
    pub names: Vec<String>,
    /// Name and aliases of each ancestor, root first.
    pub ancestors: Vec<Vec<String>>,
}

/// The administrative boundaries the location router tests resolve against.
/// The host implements it from its assets; [`LocationTree`] is the plain one.
pub trait Locations: fmt::Debug + Send + Sync {
    /// Every location at `level` (1 = state, 2 = district, 3 = ward), in tree order.
    fn at_level(&self, level: usize) -> Vec<LocationCandidate>;
}

/// A locations tree held in memory; each root is a country (level 0).
#[derive(Debug, Clone, Default)]
pub struct LocationTree {
    pub roots: Vec<Location>,
}

impl Location {
    fn names(&self) -> Vec<String> {
        std::iter::once(self.name.clone())
            .chain(self.aliases.iter().cloned())
            .collect()
    }
}

impl Locations for LocationTree {
    fn at_level(&self, level: usize) -> Vec<LocationCandidate> {
        fn walk<'a>(
            loc: &'a Location,
            depth: usize,
            level: usize,
            trail: &mut Vec<&'a Location>,
            out: &mut Vec<LocationCandidate>,
        ) {
            if depth == level {
                out.push(LocationCandidate {
                    path: trail
                        .iter()
                        .map(|l| l.name.clone())
                        .chain(std::iter::once(loc.name.clone()))
                        .collect(),
                    names: loc.names(),
                    ancestors: trail.iter().map(|l| l.names()).collect(),
                });
                return;
            }
            trail.push(loc);
            for child in &loc.children {
                walk(child, depth + 1, level, trail, out);
            }
            trail.pop();
        }
        let mut out = Vec::new();
        for root in &self.roots {
            walk(root, 0, level, &mut Vec::new(), &mut out);
        }
        out
    }
}

/// Everything an expression can learn about where and when it runs.
#[derive(Debug, Clone)]
pub struct Environment {
    pub date_format: DateFormat,
    pub time_format: TimeFormat,
    pub timezone: Tz,
    /// ISO 3166-1 alpha-2, upper case; `None` when the workspace has none.
    pub default_country: Option<String>,
    pub allowed_languages: Vec<String>,
    pub number_format: NumberFormat,
    pub input_collation: InputCollation,
    pub redaction_policy: RedactionPolicy,
    /// Where "now" comes from: the system clock unless the host gives
    /// another (tests, replays).
    pub clock: Arc<dyn Clock>,
    pub locations: Option<Arc<dyn Locations>>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            date_format: DateFormat::default(),
            time_format: TimeFormat::default(),
            timezone: Tz::UTC,
            default_country: None,
            allowed_languages: Vec::new(),
            number_format: NumberFormat::default(),
            input_collation: InputCollation::default(),
            redaction_policy: RedactionPolicy::default(),
            clock: crate::flow::clock::system(),
            locations: None,
        }
    }
}

/// The serialised form of an environment (flow definitions, corpus fixtures).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvironmentSpec {
    pub date_format: DateFormat,
    pub time_format: TimeFormat,
    pub timezone: String,
    pub default_country: Option<String>,
    pub allowed_languages: Vec<String>,
    pub number_format: NumberFormat,
    pub input_collation: InputCollation,
    pub redaction_policy: RedactionPolicy,
}

/// The environment names a timezone that chrono-tz does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown timezone '{0}'")]
pub struct UnknownTimezone(pub String);

impl Environment {
    /// Builds an environment from its serialised form.
    pub fn from_spec(spec: &EnvironmentSpec) -> Result<Environment, UnknownTimezone> {
        let timezone = if spec.timezone.is_empty() {
            Tz::UTC
        } else {
            spec.timezone
                .parse::<Tz>()
                .map_err(|_| UnknownTimezone(spec.timezone.clone()))?
        };
        Ok(Environment {
            date_format: spec.date_format,
            time_format: spec.time_format,
            timezone,
            default_country: spec
                .default_country
                .as_ref()
                .filter(|c| !c.is_empty())
                .map(|c| c.to_uppercase()),
            allowed_languages: spec.allowed_languages.clone(),
            number_format: spec.number_format.clone(),
            input_collation: spec.input_collation,
            redaction_policy: spec.redaction_policy,
            clock: crate::flow::clock::system(),
            locations: None,
        })
    }

    /// The current instant, read from the environment's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Fixes the clock at `at` (tests, replays of one moment).
    pub fn fix_now(&mut self, at: DateTime<Utc>) {
        self.clock = crate::flow::clock::fixed(at);
    }

    /// The current instant in the environment's timezone.
    pub fn now_local(&self) -> DateTime<Tz> {
        self.now().with_timezone(&self.timezone)
    }
}
