//! Flow runs written back to a registry, after a cursor over runs kept in the
//! store. Every finished run of a contact linked to one of the registry's
//! practitioners (started by a keyword, a campaign, the API or a registry
//! request alike) becomes a `QuestionnaireResponse`: id and identifier = the
//! run uuid, `questionnaire` = the flow's canonical (named by the flow's
//! name), one item per result with the question the flow asked, and the
//! request it answers only when a registry request started it. Completed
//! runs are `completed`; interrupted, expired and failed runs are `stopped`
//! (emNutt's mapping of RapidPro's exit types), so the registry also learns
//! who abandoned a flow. A run started by one of the registry's requests
//! also gets its per-recipient result (`CommunicationRequest` with the
//! flow-starts extension, updated while the run moves on). Contacts in no
//! registry get nothing. All by PUT with ids that never change: a repeat is
//! a no-op update. A finished run of the HR update flow may also move the
//! worker's `PractitionerRole` ([`super::hr_update`]).

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::hr_update::{self, HrOutcome, HrUpdateError};
use super::write_back::{is_refusal, SETTLE_MS};
use crate::config::RegistryConfig;
use crate::core::time::{now_ms, rfc3339, to_datetime};
use crate::fhir::client::MAX_BUNDLE_ENTRIES;
use crate::fhir::mhero::request::{
    recipient_result, ExitType, FlowStartRecord, RecipientOutcome, StartRecord,
};
use crate::fhir::resources::{BundleEntry, CommunicationRequest, Reference};
use crate::fhir::write_back::{
    name_questionnaire, questionnaire_response, result_id, RunAnswer, RunRecord, RunStatus,
};
use crate::fhir::FhirClient;
use crate::store::{Store, StoreError, WriteBackRun};

/// Runs per round: each may write two resources, so a round is one bundle.
const RUN_ROUND: i64 = (MAX_BUNDLE_ENTRIES / 2) as i64;
/// Rounds per call, so one call is bounded.
const MAX_ROUNDS: usize = 500;

/// What one run write-back did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunsWritten {
    pub questionnaire_responses: usize,
    pub recipient_results: usize,
    /// PractitionerRoles moved to the facility an HR update answer named.
    pub hr_updates: usize,
    /// HR update answers not applied (see `registry_conflicts`).
    pub conflicts: usize,
    pub errors: Vec<String>,
}

/// Questions of one flow by the node whose result answers them.
type Questions = HashMap<String, String>;

/// What a response needs to know about its flow.
#[derive(Debug, Default)]
struct FlowInfo {
    name: Option<String>,
    questions: Questions,
}

/// Every run due for `registry`, in rounds of one batch bundle.
pub async fn write_back_runs(
    store: &Store,
    config: &RegistryConfig,
    client: &FhirClient,
) -> Result<RunsWritten, StoreError> {
    let registry = config.name.as_str();
    let mut out = RunsWritten::default();
    let mut cursor = store.run_cursor(registry).await?;
    let before = now_ms() - SETTLE_MS;
    let mut flows: HashMap<String, FlowInfo> = HashMap::new();
    let mut requests: HashMap<String, Option<CommunicationRequest>> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let runs = store
            .runs_to_write_back(registry, cursor, before, RUN_ROUND)
            .await?;
        let Some(last) = runs.last() else { break };
        let last = (last.modified_on, last.id);
        let mut entries = Vec::new();
        let mut kinds = Vec::new();
        let mut lost = false;
        for run in &runs {
            if let Some(hr) = &config.hr_update {
                match hr_update::apply(store, registry, client, hr, run).await {
                    Ok(HrOutcome::Nothing) => {}
                    Ok(HrOutcome::Moved) => out.hr_updates += 1,
                    Ok(HrOutcome::Conflict) => out.conflicts += 1,
                    Err(HrUpdateError::Store(e)) => return Err(e),
                    Err(e @ HrUpdateError::Registry { .. }) => {
                        lost = true;
                        out.errors.push(e.to_string());
                    }
                }
            }
            if let Some(req) = &run.request {
                let request = match requests.get(&req.row_id) {
                    Some(r) => r.clone(),
                    None => {
                        let r = store.get_request(&req.row_id).await.ok().and_then(|row| {
                            serde_json::from_value::<CommunicationRequest>(row.resource).ok()
                        });
                        requests.insert(req.row_id.clone(), r.clone());
                        r
                    }
                };
                if let Some(request) = request {
                    push(
                        &mut entries,
                        &mut kinds,
                        Kind::Result,
                        &flow_result(&request, run),
                    );
                }
            }
            let Some(status) = finished(&run.status) else {
                continue;
            };
            if !flows.contains_key(&run.flow_uuid) {
                let definition = store.flow_definition(&run.flow_uuid).await?;
                let info = definition
                    .and_then(|d| serde_json::from_str::<Value>(&d).ok())
                    .map(|d| FlowInfo {
                        name: flow_name(&d),
                        questions: question_texts(&d),
                    })
                    .unwrap_or_default();
                flows.insert(run.flow_uuid.clone(), info);
            }
            let flow = &flows[&run.flow_uuid];
            match run_record(run, status, &flow.questions) {
                Some(record) => {
                    let mut response = questionnaire_response(&record);
                    if let Some(name) = &flow.name {
                        name_questionnaire(&mut response, name);
                    }
                    push(&mut entries, &mut kinds, Kind::Response, &response);
                }
                None => out.errors.push(format!("run {} has no readable uuid", run.uuid)),
            }
        }
        for (kind, result) in kinds.iter().zip(client.batch(entries).await) {
            match result {
                Ok(_) => match kind {
                    Kind::Response => out.questionnaire_responses += 1,
                    Kind::Result => out.recipient_results += 1,
                },
                Err(e) => {
                    lost |= !is_refusal(&e);
                    out.errors.push(e.to_string());
                }
            }
        }
        if lost {
            // Not answered: the same runs again next call.
            break;
        }
        cursor = last;
        store.set_run_cursor(registry, cursor).await?;
    }
    Ok(out)
}

enum Kind {
    Response,
    Result,
}

fn push<R: crate::fhir::resources::Resource>(
    entries: &mut Vec<BundleEntry>,
    kinds: &mut Vec<Kind>,
    kind: Kind,
    resource: &R,
) {
    // Our builders always set an id, so `put` cannot fail here.
    if let Ok(entry) = BundleEntry::put(resource) {
        entries.push(entry);
        kinds.push(kind);
    }
}

/// A run's status as the QuestionnaireResponse says it; `None` while it runs.
fn finished(status: &str) -> Option<RunStatus> {
    match status {
        "completed" => Some(RunStatus::Completed),
        "expired" => Some(RunStatus::Expired),
        "interrupted" | "failed" => Some(RunStatus::Interrupted),
        _ => None,
    }
}

fn run_record(run: &WriteBackRun, status: RunStatus, questions: &Questions) -> Option<RunRecord> {
    Some(RunRecord {
        run_uuid: Uuid::parse_str(&run.uuid).ok()?,
        flow_uuid: run.flow_uuid.clone(),
        practitioner_id: run.practitioner_id.clone(),
        request_id: run.request.as_ref().map(|r| r.request_id.clone()),
        created_on: to_datetime(run.created_on),
        status,
        answers: run
            .results
            .iter()
            .map(|r| RunAnswer {
                link_id: r.key.clone(),
                question: Some(
                    questions
                        .get(&r.node_uuid)
                        .cloned()
                        .unwrap_or_else(|| r.name.clone()),
                ),
                answer: Some(r.value.clone()).filter(|v| !v.is_empty()),
                category: Some(r.category.clone()).filter(|c| !c.is_empty()),
            })
            .collect(),
    })
}

/// The per-recipient result of a flow request for one run, with the
/// flow-starts extension iHRIS's flow-run reports read.
fn flow_result(request: &CommunicationRequest, run: &WriteBackRun) -> CommunicationRequest {
    let req = run.request.as_ref();
    let request_id = req.map(|r| r.request_id.as_str()).unwrap_or_default();
    let recipient = format!("Practitioner/{}", run.practitioner_id);
    let exit_type = match run.status.as_str() {
        "completed" => Some(ExitType::Completed),
        "expired" => Some(ExitType::Expired),
        "interrupted" | "failed" => Some(ExitType::Interrupted),
        _ => None,
    };
    let record = FlowStartRecord {
        created_on: rfc3339(req.map_or(run.created_on, |r| r.start_created_on)),
        modified_on: Some(rfc3339(run.modified_on)),
        status: Some("complete".into()),
        flow_starts_uuid: req.map(|r| r.start_uuid.clone()).unwrap_or_default(),
        rapidpro_contact_id: Some(run.contact_uuid.clone()),
        responded: Some(if run.responded { "Yes" } else { "No" }.into()),
        exit_type,
        exited_on: run.exited_on.map(rfc3339),
    };
    let outcome = if run.status == "failed" {
        RecipientOutcome::Failed
    } else {
        RecipientOutcome::Sent
    };
    recipient_result(
        request,
        result_id(request_id, &recipient),
        Reference::to("Practitioner", &run.practitioner_id),
        outcome,
        &StartRecord::Flow(record),
    )
}

/// The flow's name, from a definition alone or an export holding it first.
fn flow_name(definition: &Value) -> Option<String> {
    definition
        .get("name")
        .or_else(|| definition.get("flows")?.get(0)?.get("name"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// For each node of a flow (13.x export shape), the text of the last
/// `send_msg` that leads into it: the question its result answers. A node
/// that both sends and waits asks its own question; a node the waiting node
/// itself leads to (a "sorry, try again" loop) is a question only when
/// nothing else leads in.
pub fn question_texts(definition: &Value) -> Questions {
    let nodes: Vec<&Value> = definition
        .get("nodes")
        .or_else(|| definition.get("flows")?.get(0)?.get("nodes"))
        .and_then(Value::as_array)
        .map(|n| n.iter().collect())
        .unwrap_or_default();
    let uuid = |n: &Value| n.get("uuid").and_then(Value::as_str).map(str::to_string);
    let exits = |n: &Value| -> Vec<String> {
        n.get("exits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                e.get("destination_uuid")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect()
    };
    let leads_to: HashMap<String, Vec<String>> =
        nodes.iter().filter_map(|n| Some((uuid(n)?, exits(n)))).collect();
    let mut out = Questions::new();
    let mut loops = Questions::new();
    for node in &nodes {
        let asked = node
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|a| a.get("type").and_then(Value::as_str) == Some("send_msg"))
            .filter_map(|a| a.get("text").and_then(Value::as_str))
            .next_back();
        let (Some(text), Some(me)) = (asked, uuid(node)) else {
            continue;
        };
        if node.get("router").and_then(|r| r.get("wait")).is_some() {
            out.insert(me.clone(), text.to_string());
        }
        for dest in exits(node) {
            let is_loop = leads_to.get(&dest).is_some_and(|back| back.contains(&me));
            let into = if is_loop { &mut loops } else { &mut out };
            into.entry(dest).or_insert_with(|| text.to_string());
        }
    }
    for (dest, text) in loops {
        out.entry(dest).or_insert(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn questions_are_the_messages_leading_to_each_wait() {
        let flow = json!({"nodes": [
            {"uuid": "n1", "actions": [{"type": "send_msg", "text": "Hello"}, {"type": "send_msg", "text": "How many kits?"}],
             "exits": [{"destination_uuid": "n2"}]},
            {"uuid": "n2", "actions": [], "router": {"wait": {"type": "msg"}}, "exits": [{"destination_uuid": "n3"}]},
            {"uuid": "n3", "actions": [{"type": "send_msg", "text": "Your district?"}],
             "router": {"wait": {"type": "msg"}}, "exits": [{"destination_uuid": null}]}
        ]});
        let q = question_texts(&json!({"flows": [flow.clone()]}));
        assert_eq!(q.get("n2").map(String::as_str), Some("How many kits?"));
        assert_eq!(q.get("n3").map(String::as_str), Some("Your district?"));
        assert_eq!(question_texts(&flow), q);
        assert_eq!(
            flow_name(&json!({"flows": [{"name": " Quiz "}]})).as_deref(),
            Some("Quiz")
        );
        assert_eq!(flow_name(&json!({"name": ""})), None);
        assert!(question_texts(&json!({"spec": "old"})).is_empty());
        // A retry node the wait loops back through is not the question.
        let retry_first = json!({"nodes": [
            {"uuid": "retry", "actions": [{"type": "send_msg", "text": "Sorry, again?"}], "exits": [{"destination_uuid": "w"}]},
            {"uuid": "ask", "actions": [{"type": "send_msg", "text": "Your name?"}], "exits": [{"destination_uuid": "w"}]},
            {"uuid": "w", "actions": [], "router": {"wait": {"type": "msg"}},
             "exits": [{"destination_uuid": "retry"}, {"destination_uuid": null}]}
        ]});
        assert_eq!(
            question_texts(&retry_first).get("w").map(String::as_str),
            Some("Your name?")
        );
    }

    #[test]
    fn finished_statuses() {
        assert_eq!(finished("completed"), Some(RunStatus::Completed));
        assert_eq!(finished("expired"), Some(RunStatus::Expired));
        assert_eq!(finished("waiting"), None);
        assert_eq!(finished("active"), None);
    }
}
