//! Local groups kept in step with registry `Group`s (`export_groups`), both
//! ways. Each pass reads the registry's `Group`s of the listed groups and
//! merges three views of the members: what we last agreed with the
//! registry, the local group now, and the registry's Group now. A member
//! either side added since the agreement is in, one either side removed is
//! out: an iHRIS officer's edit reaches the local group, an operator's
//! edit reaches the registry, neither overwrites the other. The Group is
//! then PUT (read-modify-PUT, `If-Match` the version read, so an edit made
//! meanwhile is merged next pass rather than lost) only if it would change;
//! the local group changes and the new agreement is recorded together.
//! Agreeing twice writes nothing, so there is no ping-pong.
//!
//! The name is ours (`export_groups` names the group): a rename on the
//! registry is written back and recorded in `registry_conflicts`, as is a
//! registry edit of a smart group's members (those follow its query). A
//! group first imported from the registry keeps its registry id; a Group
//! deleted on the registry is written again while it is listed.

use std::collections::BTreeSet;

use chrono::DateTime;

use crate::fhir::mhero::group::{
    differs, group_digest, member_set, merge_members, merged_group, MemberViews,
};
use crate::fhir::resources::{BundleEntry, Group};
use crate::fhir::FhirClient;
use crate::store::{GroupAgreement, GroupExport, NewConflict, Store, StoreError};

/// HTTP status of a PUT whose `If-Match` no longer holds: the registry
/// changed the Group between our read and our write.
const PRECONDITION_FAILED: u16 = 412;

/// What one pass over the exported groups did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupsExported {
    /// `Group`s written to the registry.
    pub written: usize,
    /// Local groups changed by an edit made on the registry.
    pub registry_edits: usize,
    /// Registry edits not taken (a rename, a smart group's members).
    pub conflicts: usize,
    pub errors: Vec<String>,
}

/// One group's outcome before the registry answers.
struct Plan<'a> {
    export: &'a GroupExport,
    members: BTreeSet<String>,
    add: Vec<String>,
    remove: Vec<String>,
    group: Group,
    /// The registry's version now; replaced by the written one.
    version: Option<String>,
    write: bool,
    /// Could not be put in a bundle: left for the next pass.
    failed: bool,
}

/// Merge and write the groups of `names`.
pub async fn export_groups(
    store: &Store,
    registry: &str,
    names: &[String],
    client: &FhirClient,
) -> Result<GroupsExported, StoreError> {
    let mut out = GroupsExported::default();
    if names.is_empty() {
        return Ok(out);
    }
    let exports = store.group_exports(registry, names).await?;
    for name in names {
        if !exports.iter().any(|e| &e.name == name) {
            out.errors.push(format!("export_groups: no group named {name:?}"));
        }
    }
    let ids: Vec<&str> = exports.iter().map(|e| e.fhir_id.as_str()).collect();
    let theirs = match client.read_many::<Group>(&ids).await {
        Ok(read) => {
            out.errors.extend(read.malformed.iter().map(ToString::to_string));
            read.resources
        }
        Err(e) => {
            // Without the registry's side there is nothing safe to merge.
            out.errors.push(e.to_string());
            return Ok(out);
        }
    };
    let mut plans = Vec::with_capacity(exports.len());
    for export in &exports {
        let theirs = theirs
            .iter()
            .find(|g| g.id.as_deref() == Some(export.fhir_id.as_str()));
        let plan = plan(store, registry, export, theirs, &mut out).await?;
        plans.push(plan);
    }
    let mut entries = Vec::new();
    for p in plans.iter_mut().filter(|p| p.write) {
        match BundleEntry::put(&p.group) {
            Ok(mut entry) => {
                if let (Some(request), Some(v)) = (entry.request.as_mut(), &p.version) {
                    request.if_match = Some(format!("W/\"{v}\""));
                }
                entries.push(entry);
            }
            Err(e) => {
                out.errors.push(e.to_string());
                p.write = false;
                p.failed = true;
            }
        }
    }
    let mut results = client.batch(entries).await.into_iter();
    for mut plan in plans {
        if plan.failed {
            continue;
        }
        if plan.write {
            match results.next() {
                Some(Ok(written)) => {
                    plan.version = written.version_id();
                    out.written += 1;
                }
                Some(Err(e)) if e.status == Some(PRECONDITION_FAILED) => {
                    tracing::info!(registry, group = %plan.export.name, "Group edited on the registry meanwhile: merged next pass");
                    continue;
                }
                Some(Err(e)) => {
                    out.errors.push(e.to_string());
                    continue;
                }
                None => continue,
            }
        } else if !needs_agreement(&plan) {
            continue;
        }
        let e = plan.export;
        if !plan.add.is_empty() || !plan.remove.is_empty() {
            tracing::info!(registry, group = %e.name, added = plan.add.len(), removed = plan.remove.len(),
                "registry edit of an exported group applied");
            out.registry_edits += 1;
        }
        store
            .agree_group(
                registry,
                &GroupAgreement {
                    group_id: e.group_id,
                    add: &plan.add,
                    remove: &plan.remove,
                    members: &plan.members,
                    version_id: plan.version.as_deref(),
                    digest: &group_digest(&plan.group),
                },
            )
            .await?;
    }
    Ok(out)
}

/// Whether the agreement on record is behind, though nothing is written.
fn needs_agreement(plan: &Plan<'_>) -> bool {
    let e = plan.export;
    !plan.add.is_empty()
        || !plan.remove.is_empty()
        || e.agreed.as_ref() != Some(&plan.members)
        || e.version_id != plan.version
}

async fn plan<'a>(
    store: &Store,
    registry: &str,
    export: &'a GroupExport,
    theirs: Option<&Group>,
    out: &mut GroupsExported,
) -> Result<Plan<'a>, StoreError> {
    let registry_members = theirs.map(member_set);
    let version = theirs.and_then(|g| g.meta.as_ref()?.version_id.clone());
    // Edited on the registry since we last agreed on it.
    let edited = theirs.is_some() && export.version_id.is_some() && version != export.version_id;
    let mut merge = merge_members(&MemberViews {
        agreed: export.agreed.as_ref(),
        held: &export.held,
        local: &export.practitioners,
        registry: registry_members.as_ref(),
    });
    if export.smart {
        let changed = registry_members.as_ref() != export.agreed.as_ref();
        if edited && changed {
            let theirs_text = registry_members
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let reason = "a smart group's members follow its query; the registry's edit was replaced";
            conflict(store, registry, export, theirs, "member", &theirs_text, reason).await?;
            out.conflicts += 1;
        }
        merge = merge_members(&MemberViews {
            agreed: None,
            held: &BTreeSet::new(),
            local: &export.practitioners,
            registry: None,
        });
    }
    if let Some(their_name) = theirs.and_then(|g| g.name.as_deref()) {
        if edited && their_name != export.name {
            let reason =
                "the group is exported by its name (export_groups); the gateway's name was written back";
            conflict(store, registry, export, theirs, "name", their_name, reason).await?;
            out.conflicts += 1;
        }
    }
    // Registry additions without a contact here cannot join the local group.
    let linked = store
        .contacts_of_practitioners(Some(registry), &merge.add_locally)
        .await?;
    merge.add_locally.retain(|p| linked.contains_key(p));
    let group = merged_group(
        theirs,
        &export.fhir_id,
        &export.uuid,
        &export.name,
        &merge.members,
    );
    let write = theirs.is_none_or(|t| differs(&group, t));
    if theirs.is_none() && export.agreed_on.is_some() {
        tracing::info!(registry, group = %export.name, "exported Group missing on the registry: written again");
    }
    Ok(Plan {
        export,
        members: merge.members,
        add: merge.add_locally,
        remove: merge.remove_locally,
        group,
        version,
        write,
        failed: false,
    })
}

async fn conflict(
    store: &Store,
    registry: &str,
    export: &GroupExport,
    theirs: Option<&Group>,
    field: &str,
    their_value: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let ours = match field {
        "name" => export.name.clone(),
        _ => export
            .practitioners
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    };
    let updated = theirs
        .and_then(|g| g.meta.as_ref()?.last_updated.as_deref())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    let resource = format!("Group/{}", export.fhir_id);
    tracing::warn!(
        registry,
        resource,
        field,
        reason,
        "registry edit of an exported group not taken"
    );
    store
        .record_registry_conflict(
            registry,
            &NewConflict {
                resource: &resource,
                field,
                ours: &ours,
                theirs: Some(their_value),
                reason,
                // No run asked for it: the export did.
                run_uuid: "",
                answered_on: export.agreed_on.unwrap_or_default(),
                registry_updated_on: updated,
            },
        )
        .await
}
