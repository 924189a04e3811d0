//! The gateway's flows published to a registry as `Basic` resources with the
//! `mhero-workflows` profile (id = flow uuid, name, type, expiry and run
//! summary), which iHRIS's flow picker lists with
//! `GET Basic?_profile=…/mhero-workflows`. The registry's copies are read
//! first and only the flows that differ are written, so a repeat writes
//! nothing.

use std::collections::HashMap;

use crate::fhir::mhero::workflow::{RunSummary, WorkflowDetails, WORKFLOWS_PROFILE};
use crate::fhir::resources::Basic;
use crate::fhir::FhirClient;
use crate::store::{RunFilter, Store, StoreError};

/// Write the flows whose `Basic` on the registry differs; returns how many
/// were written and the errors.
pub async fn publish_workflows(
    store: &Store,
    client: &FhirClient,
) -> Result<(usize, Vec<String>), StoreError> {
    let flows = store.list_flows().await?;
    if flows.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut errors = Vec::new();
    let published: HashMap<String, WorkflowDetails> = match client
        .search_all::<Basic>(&[("_profile", WORKFLOWS_PROFILE)])
        .await
    {
        Ok(found) => found
            .resources
            .iter()
            .filter_map(WorkflowDetails::of)
            .map(|d| (d.uuid.clone(), d))
            .collect(),
        Err(e) => return Ok((0, vec![e.to_string()])),
    };
    let mut due = Vec::new();
    for flow in &flows {
        let counts = store.run_counts(&flow.uuid, &RunFilter::default()).await?;
        let expires = store
            .flow_definition(&flow.uuid)
            .await?
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .and_then(|d| d.get("expire_after_minutes").and_then(serde_json::Value::as_i64));
        let details = WorkflowDetails {
            uuid: flow.uuid.clone(),
            name: flow.name.clone(),
            flow_type: Some(flow.flow_type.clone()),
            archived: Some(false),
            expires,
            created_on: Some(flow.created_on.clone()),
            modified_on: Some(flow.modified_on.clone()),
            run_summary: Some(RunSummary {
                active: counts.waiting,
                completed: counts.completed,
                interrupted: counts.interrupted + counts.failed,
                expired: counts.expired,
            }),
        };
        if published.get(&flow.uuid) != Some(&details) {
            due.push(details.to_basic());
        }
    }
    let mut written = 0;
    for result in client.put_all(&due).await {
        match result {
            Ok(_) => written += 1,
            Err(e) => errors.push(e.to_string()),
        }
    }
    Ok((written, errors))
}
