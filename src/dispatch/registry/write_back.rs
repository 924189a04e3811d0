//! Writing back to a registry, all by PUT with ids that do not change, so a
//! repeat changes nothing: Practitioners get the contact-uuid identifier and
//! the `optedout` tag (read-modify-PUT, keeping every other field); emNutt-API
//! requests are stored as `CommunicationRequest`s; every settled message of a
//! linked contact becomes a `Communication`, after a cursor kept in the store.

use std::collections::HashMap;

use uuid::Uuid;

use crate::config::RegistryConfig;
use crate::core::msg::{Direction, MsgStatus};
use crate::core::time::{now_ms, to_datetime, Millis};
use crate::fhir::client::MAX_BUNDLE_ENTRIES;
use crate::fhir::mhero::request::{recipient_result, BroadcastRecord, RecipientOutcome, StartRecord};
use crate::fhir::mhero::{set_contact_uuid, set_opted_out};
use crate::fhir::resources::{BundleEntry, CommunicationRequest, Practitioner, Reference};
use crate::fhir::write_back::{communication, result_id, MessageRecord};
use crate::fhir::{BatchItemError, FhirClient};
use crate::store::{Store, StoreError};

/// Practitioners written back per round: one batch bundle.
const PRACTITIONER_ROUND: i64 = MAX_BUNDLE_ENTRIES as i64;
/// Rounds per call, so one call is bounded (10,000 practitioners = 50 rounds).
const MAX_ROUNDS: usize = 500;
/// Messages modified this recently are left for the next round: a row being
/// committed now may carry an earlier stamp than one already read.
pub(super) const SETTLE_MS: Millis = 2_000;

/// What one write-back call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBackReport {
    pub practitioners: usize,
    pub requests: usize,
    pub communications: usize,
    /// Per-recipient results (`CommunicationRequest`s) of requests.
    pub recipient_results: usize,
    /// One per finished run of a registry request.
    pub questionnaire_responses: usize,
    /// PractitionerRoles moved by HR update answers.
    pub hr_updates: usize,
    /// HR update answers not applied (the registry wins) and registry edits
    /// of exported groups not taken, see `registry_conflicts`.
    pub conflicts: usize,
    /// Local groups published as `Group`s.
    pub groups: usize,
    /// Exported groups changed locally by an edit made on the registry.
    pub group_edits: usize,
    /// Flows published as `Basic` `mhero-workflows` resources.
    pub workflows: usize,
    /// Self-registered workers created as Practitioners (and refused ones).
    pub registered: usize,
    pub registrations_refused: usize,
    /// Resources the registry refused, each with the server's reason.
    pub rejected: Vec<String>,
}

impl WriteBackReport {
    pub fn is_empty(&self) -> bool {
        self.practitioners == 0
            && self.requests == 0
            && self.communications == 0
            && self.recipient_results == 0
            && self.questionnaire_responses == 0
            && self.hr_updates == 0
            && self.conflicts == 0
            && self.groups == 0
            && self.group_edits == 0
            && self.workflows == 0
            && self.registered == 0
            && self.registrations_refused == 0
            && self.rejected.is_empty()
    }
}

/// Everything due for `registry`.
pub async fn write_back(
    store: &Store,
    registry: &RegistryConfig,
    client: &FhirClient,
) -> Result<WriteBackReport, StoreError> {
    let name = registry.name.as_str();
    let mut registered = super::registrations::Registered::default();
    if let Some(config) = &registry.self_registration {
        registered = super::registrations::register(store, name, client, config).await?;
    }
    let (practitioners, mut rejected) = write_back_practitioners(store, name, client).await?;
    rejected.append(&mut registered.errors);
    let (requests, more) = write_back_requests(store, name, client).await?;
    rejected.extend(more);
    let mut groups = super::groups::export_groups(store, name, &registry.export_groups, client).await?;
    rejected.append(&mut groups.errors);
    let (workflows, more) = super::workflows::publish_workflows(store, client).await?;
    rejected.extend(more);
    let messages = write_back_messages(store, name, client).await?;
    rejected.extend(messages.errors);
    let runs = super::runs::write_back_runs(store, registry, client).await?;
    rejected.extend(runs.errors);
    Ok(WriteBackReport {
        practitioners,
        requests,
        communications: messages.communications,
        recipient_results: messages.recipient_results + runs.recipient_results,
        questionnaire_responses: runs.questionnaire_responses,
        hr_updates: runs.hr_updates,
        conflicts: runs.conflicts + groups.conflicts,
        groups: groups.written,
        group_edits: groups.registry_edits,
        workflows,
        registered: registered.created,
        registrations_refused: registered.refused,
        rejected,
    })
}

/// The contact-uuid identifier and `optedout` tag onto every Practitioner
/// that lags its contact. Returns how many were written and the errors.
pub async fn write_back_practitioners(
    store: &Store,
    registry: &str,
    client: &FhirClient,
) -> Result<(usize, Vec<String>), StoreError> {
    let mut written = 0;
    let mut errors = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let pending = store
            .pending_practitioner_writes(registry, PRACTITIONER_ROUND)
            .await?;
        if pending.is_empty() {
            break;
        }
        let ids: Vec<&str> = pending.iter().map(|p| p.practitioner_id.as_str()).collect();
        let read = match client.read_many::<Practitioner>(&ids).await {
            Ok(r) => r,
            Err(e) => {
                errors.push(e.to_string());
                break;
            }
        };
        errors.extend(read.malformed.iter().map(ToString::to_string));
        let mut by_id: HashMap<String, Practitioner> = read
            .resources
            .into_iter()
            .filter_map(|p| Some((p.id.clone()?, p)))
            .collect();
        let mut updates = Vec::new();
        let mut missing = 0;
        for p in &pending {
            let Some(mut resource) = by_id.remove(&p.practitioner_id) else {
                missing += 1;
                errors.push(format!(
                    "Practitioner/{} is gone from the registry",
                    p.practitioner_id
                ));
                continue;
            };
            set_contact_uuid(&mut resource.identifier, &p.contact_uuid);
            set_opted_out(&mut resource.meta, p.stopped);
            add_phones(&mut resource.telecom, &p.new_phones);
            updates.push((p, resource));
        }
        let resources: Vec<Practitioner> = updates.iter().map(|(_, r)| r.clone()).collect();
        let results = client.put_all(&resources).await;
        let mut progressed = false;
        for ((p, _), result) in updates.iter().zip(results) {
            match result {
                Ok(_) => {
                    store
                        .mark_practitioner_written(registry, &p.practitioner_id, &p.contact_uuid, p.stopped)
                        .await?;
                    store
                        .add_registry_phones(registry, &p.practitioner_id, &p.new_phones)
                        .await?;
                    written += 1;
                    progressed = true;
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        // Nothing moved (all gone or refused): the same rows would come back.
        if !progressed || missing == pending.len() {
            break;
        }
    }
    Ok((written, errors))
}

/// A worker's new numbers (an HR update in a flow) join the Practitioner's
/// `telecom` as mobile phones, unless a phone with the same digits is there.
fn add_phones(telecom: &mut Vec<crate::fhir::resources::ContactPoint>, phones: &[String]) {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    for phone in phones {
        let d = digits(phone);
        let known = telecom.iter().any(|t| {
            t.system.as_deref() == Some("phone")
                && t.value.as_deref().is_some_and(|v| {
                    let v = digits(v);
                    !v.is_empty() && (d.ends_with(&v) || v.ends_with(&d))
                })
        });
        if !known {
            let mut cp = crate::fhir::resources::ContactPoint::phone(phone);
            cp.use_ = Some("mobile".into());
            telecom.push(cp);
        }
    }
}

/// R4 status of a request we hold, as iHRIS's screens read it.
fn request_status(status: &str) -> &'static str {
    match status {
        "scheduled" => "on-hold",
        "sent" => "completed",
        "cancelled" | "failed" => "revoked",
        _ => "active",
    }
}

/// Store the requests iHRIS posted to us on the registry, as emNutt did, so
/// Communications can point at them. Their invalid relative `sender`
/// extension is dropped.
async fn write_back_requests(
    store: &Store,
    registry: &str,
    client: &FhirClient,
) -> Result<(usize, Vec<String>), StoreError> {
    let rows = store
        .unwritten_requests(registry, MAX_BUNDLE_ENTRIES as i64)
        .await?;
    if rows.is_empty() {
        return Ok((0, vec![]));
    }
    let mut errors = Vec::new();
    let mut resources = Vec::new();
    let mut ids = Vec::new();
    for row in &rows {
        match serde_json::from_value::<CommunicationRequest>(row.resource.clone()) {
            Ok(mut cr) => {
                cr.id = Some(row.request_id.clone());
                cr.status = Some(request_status(&row.status).to_string());
                cr.extension.retain(|e| e.url.contains("://"));
                if let Some(meta) = cr.meta.as_mut() {
                    meta.version_id = None;
                    meta.last_updated = None;
                }
                resources.push(cr);
                ids.push(row.id.clone());
            }
            Err(e) => {
                errors.push(format!("request {}: {e}", row.id));
                store.mark_request_written(&row.id).await?;
            }
        }
    }
    let mut written = 0;
    for (id, result) in ids.iter().zip(client.put_all(&resources).await) {
        match result {
            Ok(_) => {
                written += 1;
                store.mark_request_written(id).await?;
            }
            Err(e) => {
                errors.push(e.to_string());
                // Refused as invalid: it never will be valid; do not retry forever.
                if is_refusal(&e) {
                    store.mark_request_written(id).await?;
                }
            }
        }
    }
    Ok((written, errors))
}

/// A per-resource 4xx: the registry read it and said no (unlike a lost bundle).
pub(super) fn is_refusal(e: &BatchItemError) -> bool {
    e.status.is_some_and(|s| (400..500).contains(&s))
}

/// What the message write-back did.
#[derive(Debug, Default)]
struct MessagesWritten {
    communications: usize,
    recipient_results: usize,
    errors: Vec<String>,
}

/// A `Communication` per settled message of a linked contact, and for a
/// message of a registry request the recipient's result (`completed` /
/// `entered-in-error` with the message's `sent`/`delivered`/`failed`), in
/// batches of at most 200, after the cursor. A receipt changes the message,
/// which brings it back past the cursor: both are rewritten. The cursor
/// moves past a batch once the registry answered for every entry (stored,
/// or refused as invalid).
async fn write_back_messages(
    store: &Store,
    registry: &str,
    client: &FhirClient,
) -> Result<MessagesWritten, StoreError> {
    let mut cursor = store.registry_sync_state(registry).await?.msg_cursor;
    let mut out = MessagesWritten::default();
    let before = now_ms() - SETTLE_MS;
    let mut requests: HashMap<String, Option<(CommunicationRequest, String)>> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let msgs = store
            .msgs_to_write_back(registry, cursor, before, (MAX_BUNDLE_ENTRIES / 2) as i64)
            .await?;
        let Some(last) = msgs.last() else { break };
        let last = (last.modified_on, last.id);
        let mut entries = Vec::with_capacity(msgs.len() * 2);
        let mut is_result = Vec::with_capacity(msgs.len() * 2);
        for m in &msgs {
            let Some(r) = record(m) else {
                out.errors
                    .push(format!("message {} is not readable for write-back", m.uuid));
                continue;
            };
            if let Ok(entry) = BundleEntry::put(&communication(&r)) {
                entries.push(entry);
                is_result.push(false);
            }
            let Some(row) = m.request_row.as_deref().filter(|_| r.direction == Direction::Out) else {
                continue;
            };
            if !requests.contains_key(row) {
                let request = store.get_request(row).await.ok().and_then(|row| {
                    let created = row.created_on.clone();
                    serde_json::from_value::<CommunicationRequest>(row.resource)
                        .ok()
                        .map(|cr| (cr, created))
                });
                requests.insert(row.to_string(), request);
            }
            if let Some((request, created_on)) = &requests[row] {
                if let Ok(entry) = BundleEntry::put(&message_result(request, created_on, m, &r)) {
                    entries.push(entry);
                    is_result.push(true);
                }
            }
        }
        let results = client.batch(entries).await;
        let mut lost = false;
        for (result_entry, result) in is_result.iter().zip(results) {
            match result {
                Ok(_) if *result_entry => out.recipient_results += 1,
                Ok(_) => out.communications += 1,
                Err(e) => {
                    lost |= !is_refusal(&e);
                    out.errors.push(e.to_string());
                }
            }
        }
        if lost {
            // Not answered: try the same batch next round.
            break;
        }
        cursor = last;
        store.set_msg_cursor(registry, cursor).await?;
    }
    Ok(out)
}

/// One recipient's result of a text request: emNutt's record (a copy of the
/// request for this recipient, `completed` = iHRIS's "Sent", and
/// `entered-in-error` = "Failed") with the broadcast extension, whose
/// `status` follows the message (sent, delivered, failed, cancelled: iHRIS
/// knows only "Sent" and "Failed", and a cancelled message was not sent).
fn message_result(
    request: &CommunicationRequest,
    created_on: &str,
    m: &crate::store::WriteBackMsg,
    r: &MessageRecord,
) -> CommunicationRequest {
    let recipient = format!("Practitioner/{}", m.practitioner_id);
    let outcome = if matches!(r.status, MsgStatus::Failed | MsgStatus::Cancelled) {
        RecipientOutcome::Failed
    } else {
        RecipientOutcome::Sent
    };
    let record = StartRecord::Broadcast(BroadcastRecord {
        created_on: created_on.to_string(),
        broadcast_id: m.broadcast_uuid.clone().unwrap_or_default(),
        status: Some(r.status.as_str().to_string()),
    });
    recipient_result(
        request,
        result_id(r.request_id.as_deref().unwrap_or_default(), &recipient),
        Reference::to("Practitioner", &m.practitioner_id),
        outcome,
        &record,
    )
}

fn record(m: &crate::store::WriteBackMsg) -> Option<MessageRecord> {
    Some(MessageRecord {
        msg_uuid: Uuid::parse_str(&m.uuid).ok()?,
        direction: m.direction.parse::<Direction>().ok()?,
        status: m.status.parse::<MsgStatus>().ok()?,
        text: m.text.clone(),
        practitioner_id: m.practitioner_id.clone(),
        at: to_datetime(m.at),
        request_id: m.request_id.clone(),
        in_response_to: None,
    })
}
