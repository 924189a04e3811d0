//! The home page: what is real now — each link up or down with its rate,
//! today's outbound messages by status, and the latest sends — read
//! through the same store and link functions as `GET /links`,
//! `GET /broadcasts` and `/metrics`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::TimeZone;

use super::page::{self, render, Ctx};
use crate::api::ApiState;
use crate::store::{Broadcast, Paging};

/// Sends listed on the home page: the latest few, the rest belong to the
/// sends page.
const RECENT_SENDS: i64 = 5;

pub struct LinkView {
    pub name: String,
    pub up: bool,
    pub enabled: bool,
    /// Segments per second; 0 = no limit.
    pub rate: f64,
}

pub struct SendView {
    pub text: String,
    pub status: String,
    pub recipients: i64,
    pub delivered: i64,
    pub failed: i64,
    pub created_on: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: Ctx,
    pub links: Vec<LinkView>,
    /// (status, count) for today, in the gateway's time zone.
    pub today: Vec<(String, i64)>,
    pub today_total: i64,
    pub sends: Vec<SendView>,
}

impl HomePage {
    /// A message status in the page's language.
    pub fn status_name(&self, status: &str) -> String {
        self.ctx.t(&format!("status-{status}"))
    }
}

fn send_view(b: Broadcast) -> SendView {
    let text = b
        .translations
        .get(&b.base_language)
        .or_else(|| b.translations.values().next())
        .cloned()
        .unwrap_or_default();
    SendView {
        text,
        status: b.status,
        recipients: b.recipient_count,
        delivered: b.progress.delivered,
        failed: b.progress.failed,
        created_on: b.created_on,
    }
}

/// Local midnight today in `tz`, as milliseconds.
fn midnight(tz: chrono_tz::Tz) -> i64 {
    let now = chrono::Utc::now().with_timezone(&tz);
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| tz.from_local_datetime(&m).earliest())
        .map(|m| m.timestamp_millis())
        .unwrap_or_else(|| now.timestamp_millis())
}

pub async fn show(State(s): State<ApiState>, ctx: Ctx) -> Response {
    let links =
        s.gw.links
            .links()
            .iter()
            .map(|h| LinkView {
                name: h.name().to_string(),
                up: h.usable(),
                enabled: h.enabled(),
                rate: h.rate(),
            })
            .collect();
    let today = match s.gw.store.status_counts_since(midnight(ctx.tz)).await {
        Ok(t) => t,
        Err(e) => return page::store_failed(ctx, e),
    };
    let sends = match s
        .gw
        .store
        .list_broadcasts(&Paging::new(None, None, true, Some(RECENT_SENDS)))
        .await
    {
        Ok(b) => b.into_iter().map(send_view).collect(),
        Err(e) => return page::store_failed(ctx, e),
    };
    let page = HomePage {
        today_total: today.iter().map(|(_, n)| n).sum(),
        ctx,
        links,
        today,
        sends,
    };
    render(&page.ctx, StatusCode::OK, &page)
}
