//! Fetching what [`super::mapping`] needs from the registry: practitioners
//! (all, or those changed since the last sync), their roles, and every
//! location and organization (small sets, needed whole for `partOf` chains).
//! A role change moves a worker, so a practitioner whose role changed is
//! fetched too even if the Practitioner itself did not.
//!
//! A search that fails after its retries does not end the fetch: the pages
//! read before it are kept, the failure is listed in
//! [`RegistryFetch::failed`], and the caller knows the snapshot is partial.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};

use super::client::{FhirClient, FhirError, MAX_IDS_PER_SEARCH};
use super::mapping::RegistrySnapshot;
use super::resources::{
    Location, Organization, Practitioner, PractitionerRole, Resource, ResourceParseError,
};

/// A snapshot plus the registry records that could not be read.
#[derive(Debug, Default)]
pub struct RegistryFetch {
    pub snapshot: RegistrySnapshot,
    /// Resources the registry sent that are not valid R4 of their type.
    pub malformed: Vec<ResourceParseError>,
    /// Searches that failed after their retries; non-empty = partial snapshot.
    pub failed: Vec<FhirError>,
    /// Roles, locations and organizations were all read: facility, areas,
    /// job and cadre are known. When not, callers keep what they had.
    pub details_complete: bool,
}

impl RegistryFetch {
    /// Every search answered in full.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Every page of a search until one fails; the failure goes to `fetch.failed`.
async fn tolerant<R: Resource>(
    client: &FhirClient,
    params: &[(&str, &str)],
    fetch: &mut RegistryFetch,
) -> Vec<R> {
    let mut out = Vec::new();
    let mut search = match client.search::<R>(params) {
        Ok(s) => s,
        Err(e) => {
            fetch.failed.push(e);
            return out;
        }
    };
    while let Some(page) = search.next_page().await {
        match page {
            Ok(page) => {
                out.extend(page.resources);
                fetch.malformed.extend(page.malformed);
            }
            Err(e) => {
                tracing::warn!(error = %e, "registry search failed; the rest of the sync goes on");
                fetch.failed.push(e);
                break;
            }
        }
    }
    out
}

/// Fetch the registry, or only what changed since `since` (by `_lastUpdated`).
pub async fn fetch_registry(
    client: &FhirClient,
    since: Option<DateTime<Utc>>,
) -> Result<RegistryFetch, FhirError> {
    let mut fetch = RegistryFetch::default();
    let changed = since.map(|t| format!("ge{}", t.to_rfc3339_opts(SecondsFormat::Secs, true)));
    let window: Vec<(&str, &str)> = changed.iter().map(|c| ("_lastUpdated", c.as_str())).collect();

    let mut people: Vec<Practitioner> = tolerant(client, &window, &mut fetch).await;
    let failed_before_details = fetch.failed.len();

    let roles = match since {
        None => tolerant::<PractitionerRole>(client, &[], &mut fetch).await,
        Some(_) => {
            let moved: Vec<PractitionerRole> = tolerant(client, &window, &mut fetch).await;
            let known: BTreeSet<String> = people.iter().filter_map(|p| p.id.clone()).collect();
            let extra: BTreeSet<&str> = moved
                .iter()
                .filter_map(|r| r.practitioner.as_ref()?.id_of("Practitioner"))
                .filter(|id| !known.contains(*id))
                .collect();
            let extra: Vec<&str> = extra.into_iter().collect();
            match client.read_many::<Practitioner>(&extra).await {
                Ok(more) => {
                    fetch.malformed.extend(more.malformed);
                    people.extend(more.resources);
                }
                Err(e) => fetch.failed.push(e),
            }
            let ids: Vec<String> = people.iter().filter_map(|p| p.id.clone()).collect();
            roles_of(client, &ids, &mut fetch).await
        }
    };

    let locations: Vec<Location> = tolerant(client, &[], &mut fetch).await;
    let organizations: Vec<Organization> = tolerant(client, &[], &mut fetch).await;
    fetch.details_complete = fetch.failed.len() == failed_before_details;

    fetch.snapshot = RegistrySnapshot {
        practitioners: people,
        roles,
        locations: locations
            .into_iter()
            .filter_map(|l| Some((l.id.clone()?, l)))
            .collect(),
        organizations: organizations
            .into_iter()
            .filter_map(|o| Some((o.id.clone()?, o)))
            .collect(),
    };
    Ok(fetch)
}

/// Every role of the given practitioners, in `practitioner=` searches of at
/// most [`MAX_IDS_PER_SEARCH`] references.
async fn roles_of(
    client: &FhirClient,
    practitioner_ids: &[String],
    fetch: &mut RegistryFetch,
) -> Vec<PractitionerRole> {
    let mut roles = Vec::new();
    for chunk in practitioner_ids.chunks(MAX_IDS_PER_SEARCH) {
        let refs: Vec<String> = chunk.iter().map(|id| format!("Practitioner/{id}")).collect();
        let refs = refs.join(",");
        roles.extend(tolerant::<PractitionerRole>(client, &[("practitioner", &refs)], fetch).await);
    }
    roles
}
