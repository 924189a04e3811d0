//! A send's review, computed without sending: who it reaches and who is
//! left out (`store::preview`), the segments each language's text costs
//! (`core::segments`, as the outbox charges them), the links the numbers
//! route to now with their live rates, how long the sending takes at those
//! rates and within the sending hours, and what it costs when a price per
//! segment is configured. `POST /api/v1/broadcasts/preview`,
//! `POST /api/v1/flow_starts/preview` and the console's send wizard all
//! read it from here.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Gateway;
use crate::core::segments::{self, Counted, Encoding};
use crate::core::time::{now_ms, rfc3339, Millis, Schedule, SendingHours};
use crate::store::{check_texts, Excluded, NewBroadcast, NewStart, Reach, Reached, StoreError};

/// One language's text and who gets it.
#[derive(Debug, Clone, Serialize)]
pub struct LanguagePreview {
    pub lang: String,
    pub recipients: usize,
    pub encoding: Encoding,
    pub chars: u32,
    pub segments_per_msg: u32,
    pub segments_total: u64,
    pub ucs2_chars: Vec<String>,
}

/// The messages one link would carry.
#[derive(Debug, Clone, Serialize)]
pub struct RoutePreview {
    /// The link sending them now; `None` while no link of the route is up.
    pub link: Option<String>,
    /// The route's prefix (`""` is the default route).
    pub route: String,
    pub recipients: usize,
    pub segments: u64,
    /// The link's live rate, segments per second; 0 is no limit.
    pub rate_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub amount: f64,
    pub currency: String,
    pub price_per_segment: f64,
}

/// What a send would do.
#[derive(Debug, Clone, Serialize)]
pub struct SendPreview {
    pub recipients: usize,
    pub excluded: Excluded,
    pub languages: Vec<LanguagePreview>,
    pub routes: Vec<RoutePreview>,
    pub segments_total: u64,
    /// Seconds from now until the last message is handed to its link, at
    /// the links' rates now; `None` while a route has no link up.
    pub eta_seconds: Option<u64>,
    /// What the estimate assumes or waits for (sending hours, a link down).
    pub eta_note: Option<String>,
    /// When sending begins (a time given, or the start of sending hours).
    pub starts_on: String,
    pub cost: Option<Cost>,
}

impl Gateway {
    /// The review of a broadcast, refused as accepting it would be.
    pub async fn preview_broadcast(&self, b: &NewBroadcast) -> Result<SendPreview, StoreError> {
        check_texts(b)?;
        let audience = self
            .store
            .preview_audience(&b.recipients, self.default_country(), Reach::Text, false)
            .await?;
        let mut langs: BTreeMap<String, (Counted, usize)> = BTreeMap::new();
        let mut by_route: BTreeMap<String, (usize, u64)> = BTreeMap::new();
        for r in &audience.reached {
            // The text materialising picks: the contact's language, else the base.
            let (lang, text) = text_for(b, r);
            let entry = langs
                .entry(lang.to_string())
                .or_insert_with(|| (segments::describe(text), 0));
            entry.1 += 1;
            let segs = u64::from(entry.0.segments);
            let number = r.urn.as_deref().unwrap_or_default();
            let route = self
                .links
                .route_for(number.strip_prefix("tel:").unwrap_or(number));
            let e = by_route.entry(route).or_default();
            e.0 += 1;
            e.1 += segs;
        }
        let languages: Vec<LanguagePreview> = langs
            .into_iter()
            .map(|(lang, (c, n))| LanguagePreview {
                lang,
                recipients: n,
                encoding: c.encoding,
                chars: c.chars,
                segments_per_msg: c.segments,
                segments_total: u64::from(c.segments) * n as u64,
                ucs2_chars: c.ucs2_chars,
            })
            .collect();
        let segments_total = languages.iter().map(|l| l.segments_total).sum();
        let routes: Vec<RoutePreview> = by_route
            .into_iter()
            .map(|(route, (recipients, segments))| {
                let link = self.links.active_link(&route);
                RoutePreview {
                    link: link.map(|l| l.name().to_string()),
                    rate_per_s: link.map(|l| l.rate()).unwrap_or(0.0),
                    route,
                    recipients,
                    segments,
                }
            })
            .collect();
        let hours = if b.respect_hours {
            self.config.sending.window()
        } else {
            SendingHours::ALWAYS
        };
        let asked = match &b.schedule {
            Some(Schedule::Once { at }) => at.timestamp_millis().max(now_ms()),
            _ => now_ms(),
        };
        let starts = hours.next_allowed(asked, self.default_tz);
        let (eta_seconds, eta_note) = self.estimate(&routes, hours, asked, starts);
        let cost = self.config.sending.price_per_segment.map(|p| Cost {
            amount: p * segments_total as f64,
            currency: self.config.sending.currency.clone(),
            price_per_segment: p,
        });
        Ok(SendPreview {
            recipients: audience.reached.len(),
            excluded: audience.excluded,
            languages,
            routes,
            segments_total,
            eta_seconds,
            eta_note,
            starts_on: rfc3339(starts),
            cost,
        })
    }

    /// The review of a flow start: who it starts. What the flow then sends
    /// depends on the answers, so there are no segments or times.
    pub async fn preview_flow_start(&self, s: &NewStart) -> Result<SendPreview, StoreError> {
        self.store
            .get_flow(&s.flow)
            .await
            .map_err(|_| StoreError::invalid("flow", format!("no flow {:?}", s.flow)))?;
        let audience = self
            .store
            .preview_audience(
                &s.recipients,
                self.default_country(),
                Reach::Flow,
                s.exclusions.in_a_flow,
            )
            .await?;
        let starts = match &s.schedule {
            Some(Schedule::Once { at }) => at.timestamp_millis().max(now_ms()),
            _ => now_ms(),
        };
        Ok(SendPreview {
            recipients: audience.reached.len(),
            excluded: audience.excluded,
            languages: Vec::new(),
            routes: Vec::new(),
            segments_total: 0,
            eta_seconds: None,
            eta_note: Some("what the flow sends depends on each health worker's answers".into()),
            starts_on: rfc3339(starts),
            cost: None,
        })
    }

    fn default_country(&self) -> Option<&str> {
        self.config.contacts.default_country.as_deref()
    }

    /// Seconds until the last segment leaves: links send side by side, each
    /// at its rate, from when sending starts.
    fn estimate(
        &self,
        routes: &[RoutePreview],
        hours: SendingHours,
        asked: Millis,
        starts: Millis,
    ) -> (Option<u64>, Option<String>) {
        let mut notes = Vec::new();
        let unserved: Vec<String> = routes
            .iter()
            .filter(|r| r.link.is_none())
            .filter_map(|r| self.links.why_unserved(&r.route))
            .collect();
        if !unserved.is_empty() {
            return (None, Some(unserved.join("; ")));
        }
        let mut per_link: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
        for r in routes {
            let e = per_link.entry(r.link.as_deref().unwrap_or_default()).or_default();
            e.0 += r.segments;
            e.1 = r.rate_per_s;
        }
        let sending = per_link
            .values()
            .map(|(segs, rate)| if *rate > 0.0 { *segs as f64 / rate } else { 0.0 })
            .fold(0.0, f64::max);
        if per_link.values().any(|(_, rate)| *rate <= 0.0) {
            notes.push("a link without a rate limit is counted as instant".to_string());
        }
        if hours != SendingHours::ALWAYS {
            let zone = self.default_tz.name();
            if starts > asked {
                notes.push(format!(
                    "outside sending hours {hours} ({zone}): sending starts at {}",
                    rfc3339(starts)
                ));
            } else {
                notes.push(format!(
                    "within sending hours {hours} ({zone}); what is not sent by their end waits for the next day"
                ));
            }
        }
        let wait_ms = (starts - now_ms()).max(0) as f64;
        let eta = (wait_ms / 1000.0 + sending).ceil() as u64;
        (Some(eta), (!notes.is_empty()).then(|| notes.join("; ")))
    }
}

/// The language and text a recipient gets, as materialising picks them.
fn text_for<'a>(b: &'a NewBroadcast, r: &Reached) -> (&'a str, &'a str) {
    r.language
        .as_ref()
        .and_then(|l| b.translations.get_key_value(l))
        .or_else(|| b.translations.get_key_value(&b.base_language))
        .map(|(l, t)| (l.as_str(), t.as_str()))
        .unwrap_or((b.base_language.as_str(), ""))
}
