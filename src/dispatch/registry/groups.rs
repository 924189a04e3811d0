//! Local groups → registry `Group`s (`export_groups`): the local group is the
//! source of truth for these; each is PUT whole (id = our group uuid) when
//! its members or name changed since the last write, so a repeat writes
//! nothing. Their `Group`s are not mirrored back by the sync.

use crate::fhir::mhero::group::{exported_group, group_digest};
use crate::fhir::FhirClient;
use crate::store::{Store, StoreError};

/// Write the groups of `names` that changed; returns how many were written
/// and the errors.
pub async fn export_groups(
    store: &Store,
    registry: &str,
    names: &[String],
    client: &FhirClient,
) -> Result<(usize, Vec<String>), StoreError> {
    if names.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut errors = Vec::new();
    let exports = store.group_exports(registry, names).await?;
    for name in names {
        if !exports.iter().any(|e| &e.name == name) {
            errors.push(format!("export_groups: no group named {name:?}"));
        }
    }
    let mut due = Vec::new();
    for e in &exports {
        let group = exported_group(&e.uuid, &e.name, &e.practitioners);
        let digest = group_digest(&group);
        if e.written_digest.as_deref() != Some(digest.as_str()) {
            due.push((e.group_id, group, digest));
        }
    }
    let groups: Vec<_> = due.iter().map(|(_, g, _)| g.clone()).collect();
    let mut written = 0;
    for ((group_id, _, digest), result) in due.iter().zip(client.put_all(&groups).await) {
        match result {
            Ok(_) => {
                store.mark_group_exported(registry, *group_id, digest).await?;
                written += 1;
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    Ok((written, errors))
}
