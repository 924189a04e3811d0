//! The audit page (admins): the newest entries first, filtered by actor,
//! action and target, as `GET /api/v1/audit` answers them.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{self, render, Ctx};
use crate::api::ApiState;
use crate::store::{AuditFilter, AuditRow, Paging};

/// Entries per page of the audit page.
const PAGE_ROWS: i64 = 50;

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    /// The `next` cursor of the previous page.
    pub before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub ctx: Ctx,
    pub rows: Vec<AuditRow>,
    pub filter: AuditForm,
    /// The query string of the next page, when there is one.
    pub next: Option<String>,
}

impl AuditPage {
    pub fn json(&self, v: &Option<serde_json::Value>) -> String {
        v.as_ref().map(|v| v.to_string()).unwrap_or_default()
    }
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub async fn show(State(s): State<ApiState>, ctx: Ctx, Query(f): Query<AuditForm>) -> Response {
    let filter = AuditFilter {
        actor: some(&f.actor),
        action: some(&f.action),
        target_id: some(&f.target),
        ..AuditFilter::default()
    };
    let paging = Paging::new(None, f.before, true, Some(PAGE_ROWS));
    let rows = match s.gw.store.list_audit(&filter, &paging).await {
        Ok(r) => r,
        Err(e) => return page::store_failed(ctx, e),
    };
    let next = paging.next(&rows, |r| r.id).map(|id| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("actor", &f.actor)
            .append_pair("action", &f.action)
            .append_pair("target", &f.target)
            .append_pair("before", &id.to_string())
            .finish()
    });
    let page = AuditPage {
        ctx,
        rows,
        filter: f,
        next,
    };
    render(&page.ctx, StatusCode::OK, &page)
}
