//! Fetching what [`super::mapping`] needs from the registry: practitioners
//! (all, or those changed since the last sync), their roles, and every
//! location and organization (small sets, needed whole for `partOf` chains).
//! A role change moves a worker, so a practitioner whose role changed is
//! fetched too even if the Practitioner itself did not.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};

use super::client::{FhirClient, FhirError, MAX_IDS_PER_SEARCH};
use super::mapping::RegistrySnapshot;
use super::resources::{Location, Organization, Practitioner, PractitionerRole, ResourceParseError};

/// A snapshot plus the registry records that could not be read.
#[derive(Debug, Default)]
pub struct RegistryFetch {
    pub snapshot: RegistrySnapshot,
    /// Resources the registry sent that are not valid R4 of their type.
    pub malformed: Vec<ResourceParseError>,
}

/// Fetch the registry, or only what changed since `since` (by `_lastUpdated`).
pub async fn fetch_registry(
    client: &FhirClient,
    since: Option<DateTime<Utc>>,
) -> Result<RegistryFetch, FhirError> {
    let mut fetch = RegistryFetch::default();
    let changed = since.map(|t| format!("ge{}", t.to_rfc3339_opts(SecondsFormat::Secs, true)));
    let window: Vec<(&str, &str)> = changed.iter().map(|c| ("_lastUpdated", c.as_str())).collect();

    let practitioners = client.search_all::<Practitioner>(&window).await?;
    fetch.malformed.extend(practitioners.malformed);
    let mut people = practitioners.resources;

    let roles = match since {
        None => {
            let roles = client.search_all::<PractitionerRole>(&[]).await?;
            fetch.malformed.extend(roles.malformed);
            roles.resources
        }
        Some(_) => {
            let moved = client.search_all::<PractitionerRole>(&window).await?;
            fetch.malformed.extend(moved.malformed);
            let known: BTreeSet<String> = people.iter().filter_map(|p| p.id.clone()).collect();
            let extra: BTreeSet<&str> = moved
                .resources
                .iter()
                .filter_map(|r| r.practitioner.as_ref()?.id_of("Practitioner"))
                .filter(|id| !known.contains(*id))
                .collect();
            let extra: Vec<&str> = extra.into_iter().collect();
            let more = client.read_many::<Practitioner>(&extra).await?;
            fetch.malformed.extend(more.malformed);
            people.extend(more.resources);
            let ids: Vec<String> = people.iter().filter_map(|p| p.id.clone()).collect();
            roles_of(client, &ids, &mut fetch.malformed).await?
        }
    };

    let locations = client.search_all::<Location>(&[]).await?;
    fetch.malformed.extend(locations.malformed);
    let organizations = client.search_all::<Organization>(&[]).await?;
    fetch.malformed.extend(organizations.malformed);

    fetch.snapshot = RegistrySnapshot {
        practitioners: people,
        roles,
        locations: locations
            .resources
            .into_iter()
            .filter_map(|l| Some((l.id.clone()?, l)))
            .collect(),
        organizations: organizations
            .resources
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
    malformed: &mut Vec<ResourceParseError>,
) -> Result<Vec<PractitionerRole>, FhirError> {
    let mut roles = Vec::new();
    for chunk in practitioner_ids.chunks(MAX_IDS_PER_SEARCH) {
        let refs: Vec<String> = chunk.iter().map(|id| format!("Practitioner/{id}")).collect();
        let page = client
            .search_all::<PractitionerRole>(&[("practitioner", &refs.join(","))])
            .await?;
        malformed.extend(page.malformed);
        roles.extend(page.resources);
    }
    Ok(roles)
}
