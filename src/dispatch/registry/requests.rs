//! Acting on a `CommunicationRequest`, whether iHRIS posted it to the
//! emNutt-compatible API or the registry holds it as `status=active`: record
//! it (a second sight of the same id does nothing), resolve its recipients
//! (Practitioners, Groups, contained resources) to contacts, groups and
//! numbers, and create a broadcast now, at `occurrenceDateTime`, or on the
//! cron schedule. A flow reference (`payload.contentReference =
//! Basic/<flow uuid>`) becomes a flow start for the same recipients.

use chrono::Utc;
use chrono_tz::Tz;
use serde_json::Value;
use uuid::Uuid;

use crate::config::{Config, RegistryConfig};
use crate::fhir::mhero::request::{RequestContent, RequestShapeError};
use crate::fhir::mhero::schedule::{schedule_of, TimingError};
use crate::fhir::mhero::PARENT_REQUEST_TAG_SYSTEM;
use crate::fhir::resources::{CommunicationRequest, ContactPoint};
use crate::fhir::{FhirClient, FhirError};
use crate::store::{NewBroadcast, NewRequest, NewStart, Recipients, RequestRow, Store, StoreError};

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `POST /emNutt/fhir/CommunicationRequest` (iHRIS 5's mHero module).
    Emnutt,
    /// Polled from this registry.
    Registry(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Shape(#[from] RequestShapeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Record and act on `request`. A request whose id was seen before is not
/// acted on again; its stored row is returned. A request without a usable
/// payload is refused before anything is stored.
pub async fn accept_request(
    store: &Store,
    config: &Config,
    request: &CommunicationRequest,
    source: Source,
) -> Result<RequestRow, RequestError> {
    let content = RequestContent::of(request)?;
    let (id, registry, source_name) = match &source {
        Source::Emnutt => (Uuid::new_v4().to_string(), None, "emnutt"),
        Source::Registry(r) => (
            format!("{r}/{}", request.id.as_deref().unwrap_or("?")),
            Some(r.clone()),
            "fhir",
        ),
    };
    let (kind, flow_uuid) = match &content {
        RequestContent::Text(_) => ("text", None),
        RequestContent::Flow(f) => ("flow", Some(f.clone())),
    };
    let mut resource = serde_json::to_value(request).unwrap_or(Value::Null);
    if source == Source::Emnutt {
        // emNutt replaces iHRIS's id with its own; so do we (it is our reqID).
        resource["id"] = Value::String(id.clone());
    }
    let parent_id = request.meta.as_ref().and_then(|m| {
        m.tag
            .iter()
            .find(|t| t.system.as_deref() == Some(PARENT_REQUEST_TAG_SYSTEM))
            .and_then(|t| t.code.clone())
    });
    let new = NewRequest {
        id: id.clone(),
        source: source_name,
        registry: registry.clone(),
        request_id: if source == Source::Emnutt {
            id.clone()
        } else {
            request.id.clone().unwrap_or_default()
        },
        parent_id,
        kind,
        flow_uuid,
        resource,
    };
    if !store.insert_request(&new).await? {
        return Ok(store.get_request(&id).await?);
    }

    let resolved = resolve(store, config, request, registry.as_deref()).await?;
    let registry = registry.or(resolved.registry.clone());
    let finish = |status: &'static str, broadcast: Option<i64>, error: Option<String>| {
        let resolved = &resolved;
        let registry = registry.clone();
        let id = id.clone();
        async move {
            let mut listed = resolved.recipients.contacts.clone();
            listed.extend(resolved.recipients.urns.iter().cloned());
            store
                .finish_request(
                    &id,
                    status,
                    registry.as_deref(),
                    broadcast,
                    &listed,
                    &resolved.unresolved,
                    error.as_deref(),
                )
                .await
        }
    };
    if resolved.is_empty() {
        let error = format!(
            "no recipient could be resolved to a contact (unknown: {})",
            resolved.unresolved.join(", ")
        );
        finish("failed", None, Some(error)).await?;
        return Ok(store.get_request(&id).await?);
    }
    match content {
        RequestContent::Text(text) => {
            let tz: Tz = config.contacts.default_timezone.parse().unwrap_or(chrono_tz::UTC);
            let schedule = match schedule_of(request, tz, Utc::now()) {
                Ok(s) => s,
                Err(e) => {
                    finish("failed", None, Some(timing_error(&e))).await?;
                    return Ok(store.get_request(&id).await?);
                }
            };
            let scheduled = schedule.is_some();
            let language = config.contacts.default_language.clone();
            let created = store
                .create_broadcast(
                    NewBroadcast {
                        translations: [(language.clone(), text)].into(),
                        base_language: language,
                        recipients: resolved.recipients.clone(),
                        schedule,
                        respect_hours: true,
                    },
                    config.contacts.default_country.as_deref(),
                    // Nobody to send to now fails the request, saying why.
                    false,
                )
                .await;
            match created {
                Ok(b) => {
                    let status = if scheduled { "scheduled" } else { "sent" };
                    finish(status, Some(b.send.id), None).await?;
                }
                Err(e) => finish("failed", None, Some(e.to_string())).await?,
            }
        }
        RequestContent::Flow(flow) => {
            // The flow-start worker picks the start up within half a second.
            let start = NewStart {
                flow,
                recipients: resolved.recipients.clone(),
                params: Some(serde_json::json!({"communication_request": id})),
                origin: "registry".into(),
                ..Default::default()
            };
            let started = store
                .create_flow_start(&start, config.contacts.default_country.as_deref(), false)
                .await;
            match started {
                Ok(start) => {
                    // Its runs find the request by the start (results, responses).
                    store.set_request_start(&id, &start.send.uuid).await?;
                    finish("started", None, None).await?
                }
                Err(e) => finish("failed", None, Some(e.to_string())).await?,
            }
        }
    }
    Ok(store.get_request(&id).await?)
}

fn timing_error(e: &TimingError) -> String {
    format!("cannot schedule: {e}")
}

/// Recipients as the broadcast takes them.
struct Resolved {
    recipients: Recipients,
    unresolved: Vec<String>,
    /// For an emNutt request: the registry the Practitioners were found in.
    registry: Option<String>,
}

impl Resolved {
    fn is_empty(&self) -> bool {
        self.recipients.contacts.is_empty()
            && self.recipients.groups.is_empty()
            && self.recipients.urns.is_empty()
    }
}

async fn resolve(
    store: &Store,
    config: &Config,
    request: &CommunicationRequest,
    registry: Option<&str>,
) -> Result<Resolved, StoreError> {
    let mut practitioners = Vec::new();
    let mut groups = Vec::new();
    let mut out = Resolved {
        recipients: Recipients::default(),
        unresolved: Vec::new(),
        registry: None,
    };
    let contained = request.extra.get("contained").and_then(Value::as_array);
    for r in &request.recipient {
        let Some(reference) = r.reference.as_deref() else {
            out.unresolved
                .push(r.display.clone().unwrap_or_else(|| "(empty reference)".into()));
            continue;
        };
        if let Some(local) = reference.strip_prefix('#') {
            let phones = contained
                .into_iter()
                .flatten()
                .find(|c| c.get("id").and_then(Value::as_str) == Some(local))
                .map(contained_phones)
                .unwrap_or_default();
            let country = registry_country(config, registry);
            let urns: Vec<String> = phones
                .iter()
                .filter_map(|p| crate::core::Urn::parse(&format!("tel:{p}"), country.as_deref()).ok())
                .map(|u| u.to_string())
                .collect();
            match urns.first() {
                Some(u) => out.recipients.urns.push(u.clone()),
                None => out.unresolved.push(reference.to_string()),
            }
        } else if let Some(id) = ["Practitioner", "Person", "Patient"]
            .iter()
            .find_map(|t| r.id_of(t))
        {
            practitioners.push((id.to_string(), reference.to_string()));
        } else if let Some(id) = r.id_of("Group") {
            groups.push((id.to_string(), reference.to_string()));
        } else {
            out.unresolved.push(reference.to_string());
        }
    }
    // An emNutt request names no registry: look in each, in config order.
    let registries: Vec<Option<&str>> = match registry {
        Some(r) => vec![Some(r)],
        None => config.registries.iter().map(|r| Some(r.name.as_str())).collect(),
    };
    let mut left = practitioners;
    for reg in registries {
        if left.is_empty() {
            break;
        }
        let ids: Vec<String> = left.iter().map(|(id, _)| id.clone()).collect();
        let found = store.contacts_of_practitioners(reg, &ids).await?;
        if !found.is_empty() && out.registry.is_none() {
            out.registry = reg.map(str::to_string);
        }
        left.retain(|(id, _)| match found.get(id) {
            Some(uuid) => {
                out.recipients.contacts.push(uuid.clone());
                false
            }
            None => true,
        });
    }
    out.unresolved.extend(left.into_iter().map(|(_, r)| r));
    out.recipients.contacts.sort();
    out.recipients.contacts.dedup();
    let ids: Vec<String> = groups.iter().map(|(id, _)| id.clone()).collect();
    let found = store.groups_of_registry_groups(registry, &ids).await?;
    for (id, reference) in groups {
        match found.get(&id) {
            Some(uuid) => out.recipients.groups.push(uuid.clone()),
            None => out.unresolved.push(reference),
        }
    }
    Ok(out)
}

fn registry_country(config: &Config, registry: Option<&str>) -> Option<String> {
    registry
        .and_then(|r| config.registries.iter().find(|c| c.name == r))
        .or(config.registries.first())
        .and_then(|r| r.country.clone())
        .or_else(|| config.contacts.default_country.clone())
}

/// Phone numbers of a contained Practitioner/Person/Patient, best rank first.
fn contained_phones(resource: &Value) -> Vec<String> {
    let mut phones: Vec<ContactPoint> = resource
        .get("telecom")
        .and_then(|t| serde_json::from_value(t.clone()).ok())
        .unwrap_or_default();
    phones.retain(|t| t.system.as_deref() == Some("phone"));
    phones.sort_by_key(|t| t.rank.unwrap_or(u32::MAX));
    phones.into_iter().filter_map(|t| t.value).collect()
}

/// Poll `registry` for `CommunicationRequest?status=active`, act on each not
/// seen before, and mark it on the server: `completed` once its broadcast or
/// flow start exists, `on-hold` when scheduled. Returns how many were acted on.
pub async fn poll(
    store: &Store,
    config: &Config,
    registry: &RegistryConfig,
    client: &FhirClient,
) -> Result<usize, PollError> {
    let active = client
        .search_all::<CommunicationRequest>(&[("status", "active")])
        .await?;
    for bad in &active.malformed {
        tracing::warn!(registry = %registry.name, error = %bad, "unreadable CommunicationRequest skipped");
    }
    let keys: Vec<String> = active
        .resources
        .iter()
        .filter_map(|r| Some(format!("{}/{}", registry.name, r.id.as_deref()?)))
        .collect();
    let known = store.known_requests(&keys).await?;
    let mut acted = 0;
    for request in &active.resources {
        let Some(id) = request.id.as_deref() else { continue };
        if known.contains(&format!("{}/{id}", registry.name)) {
            continue;
        }
        let row = match accept_request(store, config, request, Source::Registry(registry.name.clone())).await
        {
            Ok(row) => row,
            Err(RequestError::Shape(e)) => {
                tracing::warn!(registry = %registry.name, request = id, error = %e, "send request not understood");
                record_unreadable(store, &registry.name, request, &e).await?;
                continue;
            }
            Err(RequestError::Store(e)) => return Err(e.into()),
        };
        acted += 1;
        let status = match row.status.as_str() {
            // A flow start is acted on once started; its runs report per recipient.
            "sent" | "started" => "completed",
            "scheduled" => "on-hold",
            _ => continue,
        };
        let mut updated = request.clone();
        updated.status = Some(status.to_string());
        if let Err(e) = client.update(&updated).await {
            tracing::warn!(registry = %registry.name, request = id, error = %e, "could not mark the request on the registry");
        }
    }
    Ok(acted)
}

/// A request whose payload we cannot read is recorded as failed, so it is
/// reported once instead of on every poll.
async fn record_unreadable(
    store: &Store,
    registry: &str,
    request: &CommunicationRequest,
    e: &RequestShapeError,
) -> Result<(), StoreError> {
    let id = format!("{registry}/{}", request.id.as_deref().unwrap_or("?"));
    let new = NewRequest {
        id: id.clone(),
        source: "fhir",
        registry: Some(registry.to_string()),
        request_id: request.id.clone().unwrap_or_default(),
        parent_id: None,
        kind: "text",
        flow_uuid: None,
        resource: serde_json::to_value(request).unwrap_or(Value::Null),
    };
    if store.insert_request(&new).await? {
        store
            .finish_request(
                &id,
                "failed",
                Some(registry),
                None,
                &[],
                &[],
                Some(&e.to_string()),
            )
            .await?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fhir(#[from] FhirError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
