//! Driving the simulators: a fake phone sends a message in; read what a
//! fake phone received; place a simulated voice call and press its keys
//! (`dispatch::voice::simulator`: the real voice runner, no carrier).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter, Params};
use super::{ApiError, ApiState};
use crate::core::time::now_ms;
use crate::core::{LinkKind, Urn};
use crate::dispatch::voice::simulator::{self as voice_sim, NewSimCall, SimStep, SimulatorError};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    from: String,
    text: String,
    /// Which simulator link it arrives on; the first one by default.
    link: Option<String>,
}

pub async fn inbound(
    State(s): State<ApiState>,
    Body(m): Body<Inbound>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let link = match &m.link {
        Some(name) => s.gw.links.get(name),
        None => {
            s.gw.links
                .links()
                .iter()
                .find(|l| l.link.kind() == LinkKind::Simulator)
        }
    }
    .filter(|l| l.link.kind() == LinkKind::Simulator)
    .ok_or_else(|| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "link", "no such simulator link"))?;
    let from = Urn::parse(&m.from, s.gw.config.contacts.default_country.as_deref())
        .map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "from", e.to_string()))?;
    let id = crate::dispatch::handle_inbound(&s.gw, link.name(), &from, &m.text, None, now_ms()).await?;
    let row = s.gw.store.get_msgs_by_ids(&[id]).await?;
    Ok((StatusCode::CREATED, Json(json!(row.first()))))
}

pub async fn received(
    State(s): State<ApiState>,
    Path(number): Path<String>,
    l: List<NoFilter>,
) -> Result<Json<Value>, ApiError> {
    let urn = Urn::parse(&number, s.gw.config.contacts.default_country.as_deref())
        .map_err(|e| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "number", e.to_string()))?;
    let rows = s.gw.store.sim_inbox(&urn.to_string(), &l.page).await?;
    Ok(l.answer(&rows, |r| r.id))
}

pub async fn stats(State(s): State<ApiState>, _: Params<NoFilter>) -> Result<Json<Value>, ApiError> {
    let (total, distinct) = s.gw.store.sim_counts().await?;
    let by_node: serde_json::Map<String, Value> =
        s.gw.store
            .sim_counts_by_node()
            .await?
            .into_iter()
            .map(|(n, c)| (n, json!(c)))
            .collect();
    Ok(Json(
        json!({ "received": total, "distinct_messages": distinct, "by_node": by_node }),
    ))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// An imported voice flow's UUID or name, or an export file optionally
    /// followed by `#` and the voice flow's UUID or name.
    flow: String,
    /// The number called; its contact is found or created.
    to: String,
    /// ISO 639-3 language of the call, instead of the contact's.
    language: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Keys pressed, `0`-`9`, `*`, `#`; empty for silence until the wait times out.
    digits: String,
}

/// Most keys one request may press: a guard, well above any menu or number.
const MAX_KEYS: usize = 64;

pub async fn call(
    State(s): State<ApiState>,
    Body(b): Body<NewCall>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bad =
        |field: &str, message: String| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, message);
    let to = Urn::parse(&b.to, s.gw.config.contacts.default_country.as_deref())
        .map_err(|e| bad("to", e.to_string()))?;
    if let Some(l) = &b.language {
        if l.len() != 3 || !l.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(bad("language", format!("not an ISO 639-3 code: {l:?}")));
        }
    }
    let new = NewSimCall {
        flow: b.flow,
        to,
        language: b.language,
    };
    let step = voice_sim::start(&s.gw, new).await.map_err(sim_error)?;
    Ok((StatusCode::CREATED, Json(view(&s, &step, false).await?)))
}

pub async fn press(
    State(s): State<ApiState>,
    Path(uuid): Path<String>,
    Body(k): Body<Keys>,
) -> Result<Json<Value>, ApiError> {
    let valid = k
        .digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if !valid || k.digits.len() > MAX_KEYS {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "digits",
            format!("up to {MAX_KEYS} of 0-9, * and #"),
        ));
    }
    let step = voice_sim::press(&s.gw, &uuid, &k.digits)
        .await
        .map_err(sim_error)?;
    Ok(Json(view(&s, &step, false).await?))
}

pub async fn get_call(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    let step = s.gw.voice_simulator.get(&uuid).map_err(sim_error)?;
    Ok(Json(view(&s, &step, true).await?))
}

/// A step as JSON: what the caller heard (since the last step, or in the
/// whole call), what the flow waits for, and once the call is stored its
/// results.
async fn view(s: &ApiState, step: &SimStep, whole_call: bool) -> Result<Value, ApiError> {
    let p = &step.progress;
    let heard = if whole_call {
        &p.heard[..]
    } else {
        p.latest_heard()
    };
    let mut out = json!({
        "call": step.call,
        "status": if p.ended { "completed" } else { "waiting" },
        "heard": heard,
        "expects": p.expects,
    });
    if p.ended {
        let call = s.gw.store.get_call_by_uuid(&step.call).await?;
        let runs = s.gw.store.call_runs(call.id).await?;
        out["hangup_by"] = json!(call.hangup_by);
        out["digits"] = json!(call.digits);
        out["results"] = runs.first().map_or(json!({}), |r| r.results.clone());
    }
    Ok(out)
}

fn sim_error(e: SimulatorError) -> ApiError {
    match e {
        SimulatorError::Flow(e) => ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "flow", e.to_string()),
        SimulatorError::Store(e) => e.into(),
        SimulatorError::NoCall(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
        SimulatorError::Ended => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        SimulatorError::Full => ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        SimulatorError::Trigger(_) | SimulatorError::Stuck => {
            tracing::error!(error = %e, "simulated call failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}
