//! Flows: import RapidPro exports, list flows, and read what ran — runs with
//! their results, per-category counts for every result (overall and per
//! group, e.g. per training cohort), and a CSV export. Flow starts and
//! campaigns live here too.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::DateTime;
use serde_json::{json, Value};

use super::body::Body;
use super::broadcasts::with_warnings;
use super::list::{List, NoFilter, Order, Params};
use super::{ApiError, ApiState};
use crate::core::time::Schedule;
use crate::dispatch::{import_export, ImportError};
use crate::store::{Exclusions, NewCampaign, NewStart, Paging, Recipients, RunFilter};

/// Rows per page of the CSV export.
const CSV_PAGE: i64 = 1000;

pub async fn list(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_flows_page(&l.page).await?, |f| f.id))
}

/// Import a RapidPro export (flows, fields, groups, triggers, campaigns).
pub async fn import(
    State(s): State<ApiState>,
    Body(raw): Body<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    match import_export(&s.gw, raw, "api").await {
        Ok(summary) => Ok((StatusCode::CREATED, Json(json!(summary)))),
        Err(ImportError::Part { what, error }) => Err(match ApiError::from(error) {
            e if e.status.is_server_error() => e,
            // The part is the field; the message keeps the field inside it
            // (`events[0].offset`), which names what to fix.
            ApiError {
                status,
                message,
                field: Some(inner),
                ..
            } => ApiError::field(status, what, format!("{inner}: {message}")),
            e => ApiError::field(e.status, what, e.message),
        }),
        Err(e) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    }
}

/// Filters shared by runs, results and the CSV export. Here `after` and
/// `before` are times (as documented before lists had cursors), so the
/// run id cursors are `after_id` and `before_id`.
#[derive(Debug, serde::Deserialize)]
pub struct RunQuery {
    /// Runs created at or after this RFC 3339 time.
    after: Option<String>,
    before: Option<String>,
    /// Only contacts in this group (name or UUID).
    group: Option<String>,
    /// `completed`, `incomplete`, `waiting`, `expired`, `interrupted`, `failed`.
    status: Option<String>,
    /// Results: also count per each of these groups (comma-separated).
    by_group: Option<String>,
    /// Paging for runs.
    after_id: Option<i64>,
    before_id: Option<i64>,
    #[serde(default)]
    order: Order,
    limit: Option<i64>,
}

fn time_param(name: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp_millis())
                .map_err(|e| {
                    ApiError::field(
                        StatusCode::BAD_REQUEST,
                        name,
                        format!("not an RFC 3339 time: {e}"),
                    )
                })
        })
        .transpose()
}

async fn filter(s: &ApiState, q: &RunQuery) -> Result<RunFilter, ApiError> {
    const STATUSES: [&str; 6] = [
        "completed",
        "incomplete",
        "waiting",
        "expired",
        "interrupted",
        "failed",
    ];
    if let Some(st) = &q.status {
        if !STATUSES.contains(&st.as_str()) {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "status",
                format!("must be one of {}", STATUSES.join(", ")),
            ));
        }
    }
    let group_id = match &q.group {
        Some(g) => Some(
            s.gw.store
                .get_group(g)
                .await
                .map_err(|_| ApiError::field(StatusCode::BAD_REQUEST, "group", format!("no group {g:?}")))?
                .id,
        ),
        None => None,
    };
    Ok(RunFilter {
        after: time_param("after", &q.after)?,
        before: time_param("before", &q.before)?,
        group_id,
        status: q.status.clone(),
        page: Paging::new(q.after_id, q.before_id, q.order == Order::Desc, q.limit),
    })
}

pub async fn get_one(State(s): State<ApiState>, Path(flow): Path<String>) -> Result<Json<Value>, ApiError> {
    let f = s.gw.store.get_flow(&flow).await?;
    let counts = s.gw.store.run_counts(&f.uuid, &RunFilter::default()).await?;
    Ok(Json(json!({"flow": f, "runs": counts})))
}

pub async fn runs(
    State(s): State<ApiState>,
    Path(flow): Path<String>,
    Params(q): Params<RunQuery>,
) -> Result<Json<Value>, ApiError> {
    let f = s.gw.store.get_flow(&flow).await?;
    let filter = filter(&s, &q).await?;
    let runs = s.gw.store.list_runs(&f.uuid, &filter).await?;
    let next = filter.page.next(&runs, |r| r.id);
    // `next_after_id` is the older name of `next`, kept for clients that
    // read it; it only makes sense ascending.
    let next_after_id = next.filter(|_| !filter.page.desc);
    Ok(Json(
        json!({"results": runs, "next": next, "next_after_id": next_after_id}),
    ))
}

/// Per result: how many runs fell in each category; with `by_group`, the
/// same for each named group.
pub async fn results(
    State(s): State<ApiState>,
    Path(flow): Path<String>,
    Params(q): Params<RunQuery>,
) -> Result<Json<Value>, ApiError> {
    let f = s.gw.store.get_flow(&flow).await?;
    let base = filter(&s, &q).await?;
    let counts = s.gw.store.run_counts(&f.uuid, &base).await?;
    let summary = s.gw.store.result_summary(&f.uuid, &base).await?;
    let mut body = json!({"flow": f, "runs": counts, "results": summary});
    if let Some(groups) = &q.by_group {
        let mut per = serde_json::Map::new();
        for g in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
            let group = s.gw.store.get_group(g).await.map_err(|_| {
                ApiError::field(StatusCode::BAD_REQUEST, "by_group", format!("no group {g:?}"))
            })?;
            let f2 = RunFilter {
                group_id: Some(group.id),
                ..base.clone()
            };
            per.insert(
                group.name.clone(),
                json!({
                    "runs": s.gw.store.run_counts(&f.uuid, &f2).await?,
                    "results": s.gw.store.result_summary(&f.uuid, &f2).await?,
                }),
            );
        }
        body["by_group"] = Value::Object(per);
    }
    Ok(Json(body))
}

/// Every run of the flow under the filter as CSV: one row per run, one
/// value and one category column per result.
pub async fn runs_csv(
    State(s): State<ApiState>,
    Path(flow): Path<String>,
    Params(q): Params<RunQuery>,
) -> Result<Response, ApiError> {
    let f = s.gw.store.get_flow(&flow).await?;
    let mut filter = filter(&s, &q).await?;
    filter.page.limit = CSV_PAGE;
    let mut runs = Vec::new();
    loop {
        let page = s.gw.store.list_runs(&f.uuid, &filter).await?;
        let next = filter.page.next(&page, |r| r.id);
        runs.extend(page);
        match next {
            Some(last) => filter.page = filter.page.past(last),
            None => break,
        }
    }
    let mut keys: Vec<(String, String)> = Vec::new();
    for r in &runs {
        for (k, v) in &r.results {
            if !keys.iter().any(|(have, _)| have == k) {
                keys.push((k.clone(), v.name.clone()));
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "run".to_string(),
        "contact".into(),
        "name".into(),
        "urn".into(),
        "status".into(),
        "started".into(),
        "exited".into(),
    ];
    for (_, name) in &keys {
        header.push(format!("{name} (value)"));
        header.push(format!("{name} (category)"));
    }
    let csv_err = |e: csv::Error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("csv: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    for r in &runs {
        let mut row = vec![
            r.uuid.clone(),
            r.contact.clone(),
            r.contact_name.clone().unwrap_or_default(),
            r.urn.clone().unwrap_or_default(),
            r.status.clone(),
            r.created_on.clone(),
            r.exited_on.clone().unwrap_or_default(),
        ];
        for (k, _) in &keys {
            let res = r.results.get(k);
            row.push(res.map(|x| x.value.clone()).unwrap_or_default());
            row.push(res.map(|x| x.category.clone()).unwrap_or_default());
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("csv: {e}")))?;
    let disposition = format!("attachment; filename=\"{}-runs.csv\"", f.uuid);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStartBody {
    /// Flow UUID or name.
    flow: String,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    query: Option<String>,
    #[serde(default)]
    urns: Vec<String>,
    #[serde(default)]
    exclusions: Exclusions,
    /// Available to the flow as `@trigger.params`.
    params: Option<Value>,
    /// Once at a time, or recurring (daily, weekly, cron), as broadcasts
    /// take it; each firing is a start of its own.
    schedule: Option<Schedule>,
    /// Accept a start to go now that reaches nobody (it completes with no
    /// contact and a warning) instead of refusing it.
    #[serde(default)]
    allow_empty: bool,
}

impl NewStartBody {
    fn into_new(self) -> (NewStart, bool) {
        let start = NewStart {
            flow: self.flow,
            recipients: Recipients {
                contacts: self.contacts,
                groups: self.groups,
                query: self.query,
                urns: self.urns,
            },
            exclusions: self.exclusions,
            params: self.params,
            origin: "api".into(),
            schedule: self.schedule,
        };
        (start, self.allow_empty)
    }
}

/// Who the same body would start, without starting anyone.
pub async fn preview_start(
    State(s): State<ApiState>,
    Body(b): Body<NewStartBody>,
) -> Result<Json<Value>, ApiError> {
    let (start, _) = b.into_new();
    Ok(Json(json!(s.gw.preview_flow_start(&start).await?)))
}

pub async fn create_start(
    State(s): State<ApiState>,
    Body(b): Body<NewStartBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if s.gw.config.trunks.is_empty() {
        if let Ok(flow) = s.gw.store.get_flow(&b.flow).await {
            if flow.flow_type == "voice" {
                return Err(ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "flow",
                    format!(
                        "{:?} is a voice flow and no SIP trunk is configured to call over",
                        flow.name
                    ),
                ));
            }
        }
    }
    let (start, allow_empty) = b.into_new();
    let accepted =
        s.gw.store
            .create_flow_start(
                &start,
                s.gw.config.contacts.default_country.as_deref(),
                allow_empty,
            )
            .await?;
    s.gw.wake_starts();
    Ok((StatusCode::CREATED, Json(with_warnings(&accepted))))
}

/// Stop a start (and every later firing of a recurring one): contacts not
/// yet started are left out.
pub async fn cancel_start(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.cancel_flow_start(&uuid).await?)))
}

pub async fn list_starts(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_flow_starts(&l.page).await?, |f| f.id))
}

/// Pause a flow start: no more of its contacts are started (409 when it is
/// not starting them).
pub async fn pause_start(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.pause_flow_start(&uuid).await?)))
}

/// Resume a paused flow start.
pub async fn resume_start(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let start = s.gw.store.resume_flow_start(&uuid).await?;
    s.gw.wake_starts();
    Ok(Json(json!(start)))
}

/// A flow start's progress as Server-Sent Events, as a broadcast's funnel.
pub async fn start_events(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Response, ApiError> {
    s.gw.store.get_flow_start(&uuid).await?;
    Ok(start_snapshots(&s, uuid))
}

/// A known flow start's progress as Server-Sent Events, for the API's
/// stream and the console's.
pub fn start_snapshots(s: &ApiState, uuid: String) -> Response {
    let store = s.gw.store.clone();
    super::broadcasts::snapshots(s.streams_end.clone(), move || {
        let (store, uuid) = (store.clone(), uuid.clone());
        async move {
            let f = store.get_flow_start(&uuid).await?;
            Ok((json!(f), f.state))
        }
    })
}

pub async fn get_start(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.get_flow_start(&uuid).await?)))
}

pub async fn list_campaigns(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_campaigns(&l.page).await?, |c| c.id))
}

/// Create a campaign, or replace the one with the same `uuid`.
pub async fn put_campaign(
    State(s): State<ApiState>,
    Body(c): Body<NewCampaign>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(json!(s.gw.store.upsert_campaign(&c).await?)),
    ))
}

pub async fn get_campaign(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.get_campaign(&uuid).await?)))
}

pub async fn delete_campaign(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.gw.store.delete_campaign(&uuid).await?;
    Ok(StatusCode::NO_CONTENT)
}
