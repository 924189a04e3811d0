//! Broadcasts: accept, schedule, follow progress, cancel.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter};
use super::{ApiError, ApiState};
use crate::core::time::Schedule;
use crate::store::{Accepted, NewBroadcast, Recipients};

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
