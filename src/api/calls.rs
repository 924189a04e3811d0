//! IVR calls: queue voice flow calls to contacts, list calls and read one
//! with its flow results. Calls are stored here and dialled by the trunk's
//! dialer, which applies the trunk's limits, calling window and retries.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::body::Body;
use super::list::{List, NoFilter};
use super::{ApiError, ApiState};
use crate::dispatch::voice::flows::{is_file_reference, FlowCache};
use crate::dispatch::voice::queue_voice_call;

/// Most contacts one request may call.
const MAX_CONTACTS: usize = 1000;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCallsBody {
    /// Contact UUIDs.
    contacts: Vec<String>,
    /// An imported voice flow's UUID or name, or an export file optionally
    /// followed by `#` and the voice flow's UUID or name.
    flow: String,
    /// Trunk name; the first configured trunk when absent.
    trunk: Option<String>,
}

pub async fn create(
    State(s): State<ApiState>,
    Body(b): Body<NewCallsBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bad =
        |field: &str, message: String| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, message);
    let trunks = &s.gw.config.trunks;
    let trunk = match &b.trunk {
        Some(name) => trunks
            .iter()
            .find(|t| &t.name == name)
            .ok_or_else(|| bad("trunk", format!("no trunk named {name:?}")))?,
        None => trunks
            .first()
            .ok_or_else(|| bad("trunk", "no SIP trunk is configured".into()))?,
    };
    if b.contacts.is_empty() || b.contacts.len() > MAX_CONTACTS {
        return Err(bad("contacts", format!("give 1 to {MAX_CONTACTS} contact UUIDs")));
    }
    let flow = if is_file_reference(&b.flow) {
        FlowCache::default()
            .voice_flow(&b.flow)
            .map_err(|e| bad("flow", e.to_string()))?;
        b.flow.clone()
    } else {
        let flow =
            s.gw.store
                .get_flow(&b.flow)
                .await
                .map_err(|_| bad("flow", format!("no flow {:?}", b.flow)))?;
        if flow.flow_type != "voice" {
            return Err(bad("flow", format!("{:?} is not a voice flow", flow.name)));
        }
        flow.uuid
    };
    // Check every contact first, so a bad UUID queues nothing.
    let mut targets = Vec::with_capacity(b.contacts.len());
    for uuid in &b.contacts {
        let contact = s.gw.store.get_contact(uuid).await?;
        let urn = contact
            .urns
            .iter()
            .find(|u| u.scheme() == "tel")
            .ok_or_else(|| bad("contacts", format!("contact {uuid} has no phone number")))?;
        targets.push((contact.id, urn.to_string(), uuid.clone()));
    }
    let mut queued = Vec::with_capacity(targets.len());
    for (contact_id, urn, uuid) in targets {
        let id = queue_voice_call(&s.gw.store, &trunk.name, contact_id, &urn, &flow).await?;
        let call = s.gw.store.get_call(id).await?;
        queued.push(json!({"uuid": call.uuid, "contact": uuid, "urn": urn, "status": call.status}));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({"trunk": trunk.name, "calls": queued})),
    ))
}

pub async fn list(State(s): State<ApiState>, l: List<NoFilter>) -> Result<Json<Value>, ApiError> {
    Ok(l.answer(&s.gw.store.list_calls(&l.page).await?, |c| c.id))
}

pub async fn get_one(State(s): State<ApiState>, Path(uuid): Path<String>) -> Result<Json<Value>, ApiError> {
    let call = s.gw.store.get_call_by_uuid(&uuid).await?;
    let runs = s.gw.store.call_runs(call.id).await?;
    Ok(Json(json!({"call": call, "runs": runs})))
}
