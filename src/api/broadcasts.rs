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

pub async fn create(
    State(s): State<ApiState>,
    Body(b): Body<NewBroadcastBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let default_lang = s.gw.config.contacts.default_language.clone();
    let (translations, base) = match b.text {
        Text::One(t) => {
            let base = b.base_language.unwrap_or(default_lang);
            (BTreeMap::from([(base.clone(), t)]), base)
        }
        Text::Translated(map) => {
            let base = b
                .base_language
                .or_else(|| map.contains_key(&default_lang).then_some(default_lang))
                .or_else(|| map.keys().next().cloned())
                .unwrap_or_default();
            (map, base)
        }
    };
    let created =
        s.gw.store
            .create_broadcast(
                NewBroadcast {
                    translations,
                    base_language: base,
                    recipients: Recipients {
                        contacts: b.contacts,
                        groups: b.groups,
                        query: b.query,
                        urns: b.urns,
                    },
                    schedule: b.schedule,
                    respect_hours: b.respect_hours,
                },
                s.gw.config.contacts.default_country.as_deref(),
                b.allow_empty,
            )
            .await?;
    Ok((StatusCode::CREATED, Json(with_warnings(&created))))
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
