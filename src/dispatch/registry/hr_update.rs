//! HR record updates: a finished run of the configured HR update flow whose
//! facility result says "changed" moves the worker's `PractitionerRole` to
//! the `Location` of that name. The registry is the source of truth: when
//! the role changed on the registry after the answer was given, nothing is
//! written and the conflict is recorded for the operator. An answer naming no
//! facility (or several) the registry knows is recorded the same way.

use chrono::DateTime;

use crate::config::HrUpdateConfig;
use crate::core::time::Millis;
use crate::fhir::resources::{Location, PractitionerRole, Reference};
use crate::fhir::{FhirClient, FhirError};
use crate::store::{NewConflict, RunResultRow, Store, StoreError, WriteBackRun};

/// What one run's answer did to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HrOutcome {
    /// Not a changed-facility answer of the HR flow (or already applied).
    Nothing,
    /// The role now points at the named facility.
    Moved,
    /// Not written; recorded in `registry_conflicts`.
    Conflict,
}

#[derive(Debug, thiserror::Error)]
pub enum HrUpdateError {
    /// The registry did not answer: try the run again later.
    #[error("HR update of Practitioner/{practitioner}: {source}")]
    Registry {
        practitioner: String,
        #[source]
        source: FhirError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Apply `run`'s facility answer, if it has one that asks for a change.
pub async fn apply(
    store: &Store,
    registry: &str,
    client: &FhirClient,
    config: &HrUpdateConfig,
    run: &WriteBackRun,
) -> Result<HrOutcome, HrUpdateError> {
    if run.flow_uuid != config.flow || run.status != "completed" {
        return Ok(HrOutcome::Nothing);
    }
    let Some(answer) = run.results.iter().find(|r| {
        r.key == config.facility_result && config.changed_categories.iter().any(|c| c == &r.category)
    }) else {
        return Ok(HrOutcome::Nothing);
    };
    let wanted = answer.value.trim();
    let fhir = |source| HrUpdateError::Registry {
        practitioner: run.practitioner_id.clone(),
        source,
    };
    let practitioner = format!("Practitioner/{}", run.practitioner_id);
    let roles = client
        .search_all::<PractitionerRole>(&[("practitioner", practitioner.as_str())])
        .await
        .map_err(fhir)?;
    let Some(mut role) = roles.resources.into_iter().find(|r| r.active != Some(false)) else {
        conflict(
            store,
            registry,
            run,
            answer,
            &practitioner,
            None,
            None,
            "no active PractitionerRole",
        )
        .await?;
        return Ok(HrOutcome::Conflict);
    };
    let role_ref = format!("PractitionerRole/{}", role.id.as_deref().unwrap_or("?"));
    let theirs = role
        .location
        .iter()
        .filter_map(|l| l.reference.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let theirs = Some(theirs.as_str()).filter(|t| !t.is_empty());
    let place_id = match facility_named(client, wanted).await.map_err(fhir)? {
        Ok(id) => id,
        Err(reason) => {
            conflict(store, registry, run, answer, &role_ref, theirs, None, &reason).await?;
            return Ok(HrOutcome::Conflict);
        }
    };
    let place_id = place_id.as_str();
    if role.location.first().and_then(|l| l.id_of("Location")) == Some(place_id) {
        return Ok(HrOutcome::Nothing);
    }
    let changed_on = role
        .meta
        .as_ref()
        .and_then(|m| m.last_updated.as_deref())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    if changed_on.is_some_and(|t| t > answer.created_on) {
        let reason = "the registry changed the role after the answer; the registry wins";
        conflict(
            store, registry, run, answer, &role_ref, theirs, changed_on, reason,
        )
        .await?;
        return Ok(HrOutcome::Conflict);
    }
    let mut located = vec![Reference::to("Location", place_id)];
    located.extend(role.location.drain(..).skip(1));
    role.location = located;
    client.update(&role).await.map_err(fhir)?;
    Ok(HrOutcome::Moved)
}

/// The id of the registry's one `Location` named `name` (case aside), or
/// why there is none to use.
pub(super) async fn facility_named(
    client: &FhirClient,
    name: &str,
) -> Result<Result<String, String>, FhirError> {
    let places = client.search_all::<Location>(&[("name", name)]).await?;
    let named: Vec<&str> = places
        .resources
        .iter()
        .filter(|l| {
            l.name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
        })
        .filter_map(|l| l.id.as_deref())
        .collect();
    Ok(match named.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(format!("the registry has no facility named {name:?}")),
        many => Err(format!(
            "the registry has {} facilities named {name:?}",
            many.len()
        )),
    })
}

#[allow(clippy::too_many_arguments)]
async fn conflict(
    store: &Store,
    registry: &str,
    run: &WriteBackRun,
    answer: &RunResultRow,
    resource: &str,
    theirs: Option<&str>,
    registry_updated_on: Option<Millis>,
    reason: &str,
) -> Result<(), StoreError> {
    tracing::warn!(registry, resource, answer = %answer.value, reason, "HR update not applied");
    store
        .record_registry_conflict(
            registry,
            &NewConflict {
                resource,
                field: "facility",
                ours: answer.value.trim(),
                theirs,
                reason,
                run_uuid: &run.uuid,
                answered_on: answer.created_on,
                registry_updated_on,
            },
        )
        .await
}
