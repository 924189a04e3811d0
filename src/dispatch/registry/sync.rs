//! One sync of one registry: fetch (whole, or changed since the last
//! complete sync), map, upsert contacts, mirror `Group`s, write back what the
//! registry lacks, and remember how far it got. A partial fetch (a search that
//! kept failing) still upserts what it read, but does not move the cursor.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::write_back::write_back_practitioners;
use crate::config::{Config, RegistryConfig, FIXED_FIELDS};
use crate::core::time::{now_ms, to_datetime, Millis};
use crate::fhir::mapping::{map_workers, RegistryWorker, SkippedRecord};
use crate::fhir::registry::fetch_registry;
use crate::fhir::resources::Group;
use crate::fhir::{FhirClient, FhirError};
use crate::store::{GroupSync, PhoneConflict, RegistryRecord, Store, StoreError, UPSERT_CHUNK};

/// Fields that come from roles and places, not from the Practitioner.
const DETAIL_FIELDS: &[&str] = &[
    "facility",
    "facility_id",
    "district",
    "district_id",
    "region",
    "region_id",
    "organization",
    "job",
    "cadre",
];

/// `_lastUpdated` has second precision on most servers: ask from a little
/// before the last sync so a change in the same second is not missed.
const SINCE_OVERLAP_MS: Millis = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("registry {registry}: {source}")]
    Store {
        registry: String,
        #[source]
        source: StoreError,
    },
    #[error("registry {registry}: {source}")]
    Fhir {
        registry: String,
        #[source]
        source: FhirError,
    },
}

/// Where a sync is, for the CLI's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncProgress {
    Fetching,
    Fetched { practitioners: usize },
    Upserted { done: usize, total: usize },
    WritingBack,
}

/// What one sync did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncReport {
    pub registry: String,
    pub full: bool,
    /// Every search answered: the next sync starts from this one.
    pub complete: bool,
    pub practitioners: usize,
    pub created: usize,
    pub updated: usize,
    pub merged: usize,
    pub unchanged: usize,
    /// Practitioners without a usable phone, each with its reason.
    pub skipped: Vec<SkippedRecord>,
    /// Resources that are not valid R4, each named.
    pub malformed: Vec<String>,
    /// Searches that failed after retries.
    pub failed: Vec<String>,
    pub phone_conflicts: Vec<PhoneConflict>,
    pub groups: BTreeMap<String, usize>,
    pub written_back: usize,
    pub write_back_errors: Vec<String>,
    pub elapsed_ms: u128,
}

impl SyncReport {
    /// One line for logs and the CLI.
    pub fn summary(&self) -> String {
        format!(
            "{} practitioners: {} created, {} updated, {} merged by phone, {} unchanged, {} skipped (no usable phone), \
             {} malformed, {} failed searches; {} written back{}",
            self.practitioners,
            self.created,
            self.updated,
            self.merged,
            self.unchanged,
            self.skipped.len(),
            self.malformed.len(),
            self.failed.len(),
            self.written_back,
            if self.complete { "" } else { "; PARTIAL: the next sync repeats this window" },
        )
    }
}

/// Sync `registry` into the store. `full` ignores the incremental cursor.
pub async fn sync_registry(
    store: &Store,
    config: &Config,
    registry: &RegistryConfig,
    client: &FhirClient,
    full: bool,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let started_on = now_ms();
    let name = registry.name.as_str();
    let store_err = |source| SyncError::Store {
        registry: name.to_string(),
        source,
    };
    let state = store.registry_sync_state(name).await.map_err(store_err)?;
    let since = match (full, state.synced_until) {
        (false, Some(t)) => Some(to_datetime(t - SINCE_OVERLAP_MS)),
        _ => None,
    };
    progress(SyncProgress::Fetching);
    let fetch = fetch_registry(client, since)
        .await
        .map_err(|source| SyncError::Fhir {
            registry: name.to_string(),
            source,
        })?;
    let mut report = SyncReport {
        registry: name.to_string(),
        full: since.is_none(),
        practitioners: fetch.snapshot.practitioners.len(),
        malformed: fetch.malformed.iter().map(ToString::to_string).collect(),
        failed: fetch.failed.iter().map(ToString::to_string).collect(),
        ..SyncReport::default()
    };
    let mut complete = fetch.is_complete();
    let details_complete = fetch.details_complete;
    progress(SyncProgress::Fetched {
        practitioners: report.practitioners,
    });

    let mapping = registry.mapping(config.contacts.default_country.as_deref());
    let mapped = map_workers(&fetch.snapshot, &mapping);
    drop(fetch);
    let all_fields: Vec<String> = FIXED_FIELDS
        .iter()
        .map(|f| f.to_string())
        .chain(registry.fields.iter().map(|f| f.name.clone()))
        .collect();
    store
        .ensure_registry_fields(&all_fields)
        .await
        .map_err(store_err)?;
    // Without roles and places, facility, areas, job and cadre are unknown:
    // keep what the contacts have rather than clear it.
    let managed: Vec<String> = all_fields
        .into_iter()
        .filter(|f| details_complete || !DETAIL_FIELDS.contains(&f.as_str()))
        .collect();
    let records: Vec<RegistryRecord> = mapped
        .workers
        .iter()
        .map(record)
        .map(|mut r| {
            if !details_complete {
                r.fields.retain(|k, _| !DETAIL_FIELDS.contains(&k.as_str()));
                r.digest = digest(&r);
            }
            r
        })
        .collect();
    let total = records.len();
    for (i, chunk) in records.chunks(UPSERT_CHUNK).enumerate() {
        let r = store
            .upsert_registry_records(name, chunk, &managed)
            .await
            .map_err(store_err)?;
        report.created += r.created;
        report.updated += r.updated;
        report.merged += r.merged;
        report.unchanged += r.unchanged;
        report.phone_conflicts.extend(r.phone_conflicts);
        progress(SyncProgress::Upserted {
            done: (i * UPSERT_CHUNK + chunk.len()).min(total),
            total,
        });
    }
    let skipped: Vec<(String, String)> = mapped
        .skipped
        .iter()
        .map(|s| (s.registry_id.clone(), s.reason.to_string()))
        .collect();
    let mapped_ids: Vec<String> = mapped.workers.iter().map(|w| w.registry_id.clone()).collect();
    store
        .record_registry_skipped(name, &skipped, &mapped_ids, report.full && complete)
        .await
        .map_err(store_err)?;
    report.skipped = mapped.skipped;

    match sync_groups(store, name, client, since).await {
        Ok(counts) => report.groups = counts,
        Err(e) => {
            complete = false;
            report.failed.push(e.to_string());
        }
    }

    if registry.write_back {
        progress(SyncProgress::WritingBack);
        let wb = write_back_practitioners(store, name, client)
            .await
            .map_err(store_err)?;
        report.written_back = wb.0;
        report.write_back_errors = wb.1;
    }
    report.complete = complete;
    report.elapsed_ms = started.elapsed().as_millis();
    let summary = serde_json::json!({
        "summary": report.summary(),
        "complete": complete,
        "skipped": report.skipped.len(),
        "finished_on": crate::core::time::rfc3339(now_ms()),
    });
    store
        .set_registry_synced(name, complete.then_some(started_on), &summary)
        .await
        .map_err(store_err)?;
    Ok(report)
}

/// The store's record of a mapped worker.
fn record(w: &RegistryWorker) -> RegistryRecord {
    let mut fields = BTreeMap::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            fields.insert(k.to_string(), v.clone());
        }
    };
    put("registry_id", Some(&w.registry_id));
    let place = |p: &Option<crate::fhir::mapping::Place>| p.as_ref().map(|p| (p.name.clone(), p.id.clone()));
    let (facility, facility_id) = place(&w.facility).unzip();
    let (district, district_id) = place(&w.district).unzip();
    let (region, region_id) = place(&w.region).unzip();
    put("facility", facility.flatten().as_ref());
    put("facility_id", facility_id.as_ref());
    put("district", district.flatten().as_ref());
    put("district_id", district_id.as_ref());
    put("region", region.flatten().as_ref());
    put("region_id", region_id.as_ref());
    put(
        "organization",
        w.organization.as_ref().and_then(|o| o.name.as_ref()),
    );
    put("job", w.job.as_ref());
    put("cadre", w.cadre.as_ref());
    for (k, v) in &w.extra {
        put(k, Some(v));
    }
    let mut r = RegistryRecord {
        practitioner_id: w.registry_id.clone(),
        name: w.name.clone(),
        phones: w.phones.clone(),
        fields,
        opted_out: w.opted_out,
        contact_uuid: w.contact_uuid.clone(),
        digest: String::new(),
    };
    r.digest = digest(&r);
    r
}

fn digest(r: &RegistryRecord) -> String {
    let json = serde_json::json!([r.name, r.phones, r.fields, r.opted_out, r.contact_uuid]);
    let hash = Sha256::digest(json.to_string().as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Mirror the registry's practitioner `Group`s (changed ones, when incremental).
async fn sync_groups(
    store: &Store,
    registry: &str,
    client: &FhirClient,
    since: Option<DateTime<Utc>>,
) -> Result<BTreeMap<String, usize>, SyncError> {
    let changed = since.map(|t| format!("ge{}", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    let params: Vec<(&str, &str)> = changed.iter().map(|c| ("_lastUpdated", c.as_str())).collect();
    let groups = client
        .search_all::<Group>(&params)
        .await
        .map_err(|source| SyncError::Fhir {
            registry: registry.to_string(),
            source,
        })?;
    let ours = store
        .exported_group_ids(registry)
        .await
        .map_err(|source| SyncError::Store {
            registry: registry.to_string(),
            source,
        })?;
    let mut counts = BTreeMap::new();
    for g in &groups.resources {
        let (Some(id), false) = (
            g.id.as_deref(),
            g.type_.as_deref().is_some_and(|t| t != "practitioner"),
        ) else {
            continue;
        };
        if ours.iter().any(|u| u == id) {
            // An exported group: merged both ways by the export
            // (`super::groups`), not mirrored one way here.
            continue;
        }
        let members: Vec<String> = g.practitioner_ids().iter().map(|s| s.to_string()).collect();
        let name = g.name.clone().unwrap_or_else(|| format!("Group {id}"));
        let outcome = store
            .sync_registry_group(registry, id, &name, &members)
            .await
            .map_err(|source| SyncError::Store {
                registry: registry.to_string(),
                source,
            })?;
        let key = match outcome {
            GroupSync::Created => "created",
            GroupSync::Updated => "updated",
            GroupSync::Unchanged => "unchanged",
        };
        *counts.entry(key.to_string()).or_default() += 1;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::mapping::Place;

    fn worker() -> RegistryWorker {
        RegistryWorker {
            registry_id: "P1".into(),
            name: Some("Amina Mushi".into()),
            phones: vec!["+255712345678".into()],
            rejected_phones: vec![],
            facility: Some(Place {
                id: "F1".into(),
                name: Some("Kilosa HC".into()),
            }),
            district: Some(Place {
                id: "D1".into(),
                name: Some("Kilosa".into()),
            }),
            region: None,
            organization: None,
            job: Some("Midwife".into()),
            cadre: None,
            contact_uuid: None,
            extra: BTreeMap::from([("worker_id".into(), "W1".into())]),
            opted_out: false,
            active: true,
        }
    }

    #[test]
    fn a_worker_becomes_a_record_with_a_stable_digest() {
        let r = record(&worker());
        assert_eq!(r.fields["facility"], "Kilosa HC");
        assert_eq!(r.fields["district_id"], "D1");
        assert_eq!(r.fields["job"], "Midwife");
        assert_eq!(r.fields["worker_id"], "W1");
        assert!(!r.fields.contains_key("region"));
        assert_eq!(r.digest, record(&worker()).digest);
        let moved = RegistryWorker {
            opted_out: true,
            ..worker()
        };
        assert_ne!(r.digest, record(&moved).digest);
    }
}
