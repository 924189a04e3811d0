//! Broadcasts: accept, schedule, follow progress (its funnel, live as
//! Server-Sent Events), pause, resume, retry the failed ones, cancel.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter};
use super::{ApiError, ApiState};
use crate::core::time::Schedule;
use crate::store::{send_finished, Accepted, NewBroadcast, Recipients, StoreError};

/// A text, or texts per language code.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum Text {
    One(String),
    Translated(BTreeMap<String, String>),
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBroadcastBody {
    text: Text,
    base_language: Option<String>,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    query: Option<String>,
    #[serde(default)]
    urns: Vec<String>,
    schedule: Option<Schedule>,
    #[serde(default = "yes")]
    respect_hours: bool,
    /// Accept a broadcast to go now that reaches nobody (it completes with
    /// 0 recipients and a warning) instead of refusing it.
    #[serde(default)]
    allow_empty: bool,
}

fn yes() -> bool {
    true
}

impl NewBroadcastBody {
    /// The broadcast this body asks for; a text without a language is in
    /// the base language (the gateway's default unless named).
    fn into_new(self, default_lang: &str) -> (NewBroadcast, bool) {
        let (translations, base) = match self.text {
            Text::One(t) => {
                let base = self.base_language.unwrap_or_else(|| default_lang.to_string());
                (BTreeMap::from([(base.clone(), t)]), base)
            }
            Text::Translated(map) => {
                let base = self
                    .base_language
                    .or_else(|| map.contains_key(default_lang).then(|| default_lang.to_string()))
                    .or_else(|| map.keys().next().cloned())
                    .unwrap_or_default();
                (map, base)
            }
        };
        let b = NewBroadcast {
            translations,
            base_language: base,
            recipients: Recipients {
                contacts: self.contacts,
                groups: self.groups,
                query: self.query,
                urns: self.urns,
            },
            schedule: self.schedule,
            respect_hours: self.respect_hours,
        };
        (b, self.allow_empty)
    }
}

pub async fn create(
    State(s): State<ApiState>,
    Body(b): Body<NewBroadcastBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (b, allow_empty) = b.into_new(&s.gw.config.contacts.default_language);
    let created =
        s.gw.store
            .create_broadcast(b, s.gw.config.contacts.default_country.as_deref(), allow_empty)
            .await?;
    Ok((StatusCode::CREATED, Json(with_warnings(&created))))
}

/// What the same body would send, without sending: recipients after
/// exclusions, segments per language, routes, time and cost.
pub async fn preview(
    State(s): State<ApiState>,
    Body(b): Body<NewBroadcastBody>,
) -> Result<Json<Value>, ApiError> {
    let (b, _) = b.into_new(&s.gw.config.contacts.default_language);
    Ok(Json(json!(s.gw.preview_broadcast(&b).await?)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentsBody {
    text: String,
}

/// What a text costs: encoding, segments, characters, and the characters
/// that force UCS-2.
pub async fn segments(Body(b): Body<SegmentsBody>) -> Json<Value> {
    Json(json!(crate::core::segments::describe(&b.text)))
}

/// A send as accepted, with a `warnings` array (empty when all is well).
pub(super) fn with_warnings<T: serde::Serialize>(a: &Accepted<T>) -> Value {
    let mut v = json!(a.send);
    v["warnings"] = json!(a.warnings);
    v
}

pub async fn list(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_broadcasts(&l.page).await?, |b| b.id))
}

pub async fn get_one(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.get_broadcast(&uuid).await?)))
}

pub async fn cancel(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.cancel_broadcast(&uuid).await?)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// The text in the broadcast's base language.
    text: Option<String>,
    schedule: Option<Schedule>,
}

/// Change a broadcast that has not fired yet (409 once it has).
pub async fn edit(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
    Body(b): Body<EditBody>,
) -> Result<Json<Value>, ApiError> {
    let edited =
        s.gw.store
            .edit_scheduled_broadcast(&uuid, b.text.as_deref(), b.schedule.as_ref())
            .await?;
    Ok(Json(json!(edited)))
}

/// Pause a sending broadcast: its unsent messages wait (409 when it is not
/// sending).
pub async fn pause(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.pause_broadcast(&uuid).await?)))
}

/// Resume a paused broadcast (409 when it is not paused).
pub async fn resume(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.resume_broadcast(&uuid).await?)))
}

/// Send the failed messages of a broadcast again; the answer carries
/// `retried`, how many.
pub async fn retry_failed(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (b, n) = s.gw.store.retry_failed_broadcast(&uuid).await?;
    let mut v = json!(b);
    v["retried"] = json!(n);
    Ok(Json(v))
}

/// Where a broadcast's messages are, overall and per link, with its
/// failures grouped by reason (the reason as the link gave it and in words).
pub async fn funnel(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(s.gw.store.broadcast_funnel(&uuid).await?)))
}

/// The funnel as Server-Sent Events (see [`snapshots`]).
pub async fn events(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Response, ApiError> {
    // Unknown sends are a 404 before the stream starts.
    s.gw.store.get_broadcast(&uuid).await?;
    Ok(broadcast_snapshots(&s, uuid))
}

/// A known broadcast's funnel as Server-Sent Events, for the API's stream
/// and the console's.
pub fn broadcast_snapshots(s: &ApiState, uuid: String) -> Response {
    let store = s.gw.store.clone();
    snapshots(s.streams_end.clone(), move || {
        let (store, uuid) = (store.clone(), uuid.clone());
        async move {
            let f = store.broadcast_funnel(&uuid).await?;
            Ok((json!(f), f.state))
        }
    })
}

/// How often a live send is looked at.
const SNAPSHOT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Server-Sent Events of a send: a `funnel` event with the snapshot `poll`
/// gives at once, then each second one whenever it changed; the stream ends
/// after the snapshot of a finished send (completed, cancelled, failed). A
/// store failure ends it with an `error` event, and the server's stop
/// (`end`) ends it too, so a page left open on a paused send does not hold
/// back a graceful stop. The API and the console both answer with this.
pub fn snapshots<F, Fut>(end: tokio_util::sync::CancellationToken, poll: F) -> Response
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(Value, &'static str), StoreError>> + Send,
{
    struct At<F> {
        poll: F,
        last: Option<String>,
        done: bool,
    }
    let start = At {
        poll,
        last: None,
        done: false,
    };
    let stream = futures::stream::unfold(start, |mut at| async move {
        if at.done {
            return None;
        }
        loop {
            if at.last.is_some() {
                tokio::time::sleep(SNAPSHOT_EVERY).await;
            }
            match (at.poll)().await {
                Err(e) => {
                    at.done = true;
                    let ev = Event::default().event("error").data(e.to_string());
                    return Some((Ok::<_, Infallible>(ev), at));
                }
                Ok((v, state)) => {
                    let data = v.to_string();
                    if at.last.as_deref() == Some(data.as_str()) {
                        continue;
                    }
                    at.done = send_finished(state);
                    at.last = Some(data.clone());
                    return Some((Ok(Event::default().event("funnel").data(data)), at));
                }
            }
        }
    });
    let stream = futures::StreamExt::take_until(stream, end.cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
