//! Health-worker registries in the store: which contact each registry
//! Practitioner is (`registry_contacts`), per-registry sync state and lease,
//! records skipped for want of a phone, and groups mirrored from `Group`
//! resources. Knows nothing of FHIR: the dispatcher hands over plain records.
//!
//! Upserts are idempotent: a record whose digest matches the stored one is
//! not written at all, so re-syncing an unchanged registry changes nothing.

mod conflicts;
mod group_exports;
mod registrations;
mod requests;
mod runs;
mod staffing;
mod write_back;

use std::collections::{BTreeMap, HashMap};

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::contacts::{add_member, refresh_smart_groups};
use super::{in_list, is_unique_violation, parse_json, Result, Store, StoreError};
use crate::core::contact::{ContactStatus, FieldType};
use crate::core::time::{now_ms, Millis};
use crate::core::Urn;

pub use conflicts::{NewConflict, RegistryConflict};
pub use group_exports::{GroupAgreement, GroupExport};
pub use registrations::Registration;
pub use requests::{NewRequest, RequestProgress, RequestRow};
pub use runs::{RunRequest, RunResultRow, WriteBackRun};
pub use staffing::{HrRunRow, StaffRow};
pub use write_back::{PendingPractitioner, WriteBackMsg};

/// Records upserted per transaction: big enough that 10,000 workers are 20
/// commits, small enough that a transaction holds SQLite's lock briefly.
pub const UPSERT_CHUNK: usize = 500;

/// One registry record as the contact store takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRecord {
    pub practitioner_id: String,
    pub name: Option<String>,
    /// E.164, best first.
    pub phones: Vec<String>,
    /// Text fields to set; keys in `managed_fields` but absent here are cleared.
    pub fields: BTreeMap<String, String>,
    /// The Practitioner carries the `optedout` tag.
    pub opted_out: bool,
    /// The contact-uuid identifier the Practitioner carries, if any.
    pub contact_uuid: Option<String>,
    /// Digest of everything above: equal to the stored one = nothing to do.
    pub digest: String,
}

/// What an upsert did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertReport {
    pub created: usize,
    pub updated: usize,
    /// Linked to a contact that already had the number (another registry, or
    /// a contact made by SMS or import).
    pub merged: usize,
    pub unchanged: usize,
    /// Numbers left off a contact because another contact owns them.
    pub phone_conflicts: Vec<PhoneConflict>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PhoneConflict {
    pub practitioner_id: String,
    pub phone: String,
}

/// Sync state of one registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrySyncState {
    pub synced_until: Option<Millis>,
    pub last_report: Option<serde_json::Value>,
    pub msg_cursor: (Millis, i64),
}

/// What a group sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSync {
    Created,
    Updated,
    Unchanged,
}

struct Link {
    contact_id: i64,
    phones: Vec<String>,
    digest: String,
    registry_optout: bool,
}

impl Store {
    /// Text fields the sync fills, created if missing.
    pub async fn ensure_registry_fields(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            self.ensure_field(key, key, FieldType::Text).await?;
        }
        Ok(())
    }

    /// Create or update the contacts of `records`, in transactions of
    /// [`UPSERT_CHUNK`]. `managed_fields` are the keys this registry owns.
    pub async fn upsert_registry_records(
        &self,
        registry: &str,
        records: &[RegistryRecord],
        managed_fields: &[String],
    ) -> Result<UpsertReport> {
        let types = self.field_types().await?;
        let mut report = UpsertReport::default();
        ensure_state(self.writer(), registry).await?;
        for chunk in records.chunks(UPSERT_CHUNK) {
            let mut tx = self.begin_write().await?;
            take_write_lock(&mut tx, registry).await?;
            let links = load_links(&mut tx, registry, chunk).await?;
            let mut owners = urn_owners(&mut tx, chunk.iter().flat_map(|r| r.phones.iter())).await?;
            for record in chunk {
                let link = links.get(&record.practitioner_id);
                if link.is_some_and(|l| l.digest == record.digest) {
                    report.unchanged += 1;
                    continue;
                }
                let changed = upsert_one(
                    &mut tx,
                    registry,
                    record,
                    link,
                    &mut owners,
                    managed_fields,
                    &mut report,
                )
                .await?;
                if changed {
                    let contact_id = match link {
                        Some(l) => l.contact_id,
                        None => contact_of(&mut tx, registry, &record.practitioner_id).await?,
                    };
                    refresh_smart_groups(&mut tx, contact_id, &types).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Record the practitioners that could not become contacts, and forget
    /// earlier reports of those that now did (`mapped`). A full sync
    /// (`replace_all`) first forgets every earlier report.
    pub async fn record_registry_skipped(
        &self,
        registry: &str,
        skipped: &[(String, String)],
        mapped: &[String],
        replace_all: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if replace_all {
            sqlx::query("DELETE FROM registry_skipped WHERE registry = $1")
                .bind(registry)
                .execute(&mut *tx)
                .await?;
        } else {
            for chunk in mapped.chunks(UPSERT_CHUNK) {
                let sql = format!(
                    "DELETE FROM registry_skipped WHERE registry = $1 AND practitioner_id IN ({})",
                    in_list(1, chunk.len())
                );
                let mut q = sqlx::query(&sql).bind(registry);
                for id in chunk {
                    q = q.bind(id.as_str());
                }
                q.execute(&mut *tx).await?;
            }
        }
        let now = now_ms();
        for (id, reason) in skipped {
            sqlx::query(
                "INSERT INTO registry_skipped (registry, practitioner_id, reason, seen_on) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (registry, practitioner_id) DO UPDATE SET reason = $3, seen_on = $4",
            )
            .bind(registry)
            .bind(id.as_str())
            .bind(reason.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every practitioner of `registry` currently skipped, with its reason.
    pub async fn registry_skipped(&self, registry: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT practitioner_id, reason FROM registry_skipped WHERE registry = $1 ORDER BY practitioner_id",
        )
        .bind(registry)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("practitioner_id")?, r.try_get("reason")?)))
            .collect()
    }

    /// How many practitioners of `registry` are linked to contacts.
    pub async fn count_registry_contacts(&self, registry: &str) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM registry_contacts WHERE registry = $1")
                .bind(registry)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }

    pub async fn registry_sync_state(&self, registry: &str) -> Result<RegistrySyncState> {
        let row = sqlx::query(
            "SELECT synced_until, last_report, msg_cursor_on, msg_cursor_id FROM registry_state WHERE registry = $1",
        )
        .bind(registry)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(RegistrySyncState::default());
        };
        let report: Option<String> = r.try_get("last_report")?;
        Ok(RegistrySyncState {
            synced_until: r.try_get("synced_until")?,
            last_report: report.map(|s| parse_json("registry report", &s)).transpose()?,
            msg_cursor: (r.try_get("msg_cursor_on")?, r.try_get("msg_cursor_id")?),
        })
    }

    /// Record a finished sync; `synced_until` advances only when the whole
    /// registry was read (a partial sync is repeated from the old point).
    pub async fn set_registry_synced(
        &self,
        registry: &str,
        synced_until: Option<Millis>,
        report: &serde_json::Value,
    ) -> Result<()> {
        ensure_state(self.writer(), registry).await?;
        sqlx::query(
            "UPDATE registry_state SET synced_until = COALESCE($2, synced_until), last_report = $3, \
             modified_on = $4 WHERE registry = $1",
        )
        .bind(registry)
        .bind(synced_until)
        .bind(report.to_string())
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Take or renew the lease on `registry` for `node` until `until`;
    /// `false` if another node holds a live one.
    pub async fn lease_registry(&self, registry: &str, node: &str, until: Millis) -> Result<bool> {
        ensure_state(self.writer(), registry).await?;
        let done = sqlx::query(
            "UPDATE registry_state SET lease_node = $2, lease_until = $3 \
             WHERE registry = $1 AND (lease_node IS NULL OR lease_node = $2 OR lease_until < $4)",
        )
        .bind(registry)
        .bind(node)
        .bind(until)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn release_registry(&self, registry: &str, node: &str) -> Result<()> {
        sqlx::query(
            "UPDATE registry_state SET lease_node = NULL, lease_until = 0 WHERE registry = $1 AND lease_node = $2",
        )
        .bind(registry)
        .bind(node)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Contact uuids of registry practitioners, by practitioner id. With
    /// `registry = None`, any registry (the first link found wins).
    pub async fn contacts_of_practitioners(
        &self,
        registry: Option<&str>,
        ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(UPSERT_CHUNK) {
            let sql = format!(
                "SELECT rc.practitioner_id, c.uuid FROM registry_contacts rc JOIN contacts c ON c.id = rc.contact_id \
                 WHERE ($1 = '' OR rc.registry = $1) AND rc.practitioner_id IN ({}) ORDER BY rc.registry",
                in_list(1, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(registry.unwrap_or(""));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.entry(r.try_get("practitioner_id")?)
                    .or_insert(r.try_get("uuid")?);
            }
        }
        Ok(out)
    }

    /// Mirror one registry `Group` as a static group whose members are the
    /// contacts of `members` (practitioner ids). An existing static group of
    /// the same name is adopted; a smart group's name gets the registry's
    /// name appended.
    pub async fn sync_registry_group(
        &self,
        registry: &str,
        fhir_id: &str,
        name: &str,
        members: &[String],
    ) -> Result<GroupSync> {
        let mut sorted = members.to_vec();
        sorted.sort();
        sorted.dedup();
        let members_json = serde_json::to_string(&sorted).unwrap_or_else(|_| "[]".into());
        let existing = sqlx::query(
            "SELECT rg.group_id, rg.members FROM registry_groups rg WHERE rg.registry = $1 AND rg.fhir_id = $2",
        )
        .bind(registry)
        .bind(fhir_id)
        .fetch_optional(&self.pool)
        .await?;
        let (group_id, outcome) = match existing {
            Some(r) => {
                let stored: String = r.try_get("members")?;
                if stored == members_json {
                    return Ok(GroupSync::Unchanged);
                }
                (r.try_get::<i64, _>("group_id")?, GroupSync::Updated)
            }
            None => (self.adopt_group(registry, name).await?, GroupSync::Created),
        };
        let contact_ids = self.contact_ids_of(registry, &sorted).await?;
        ensure_state(self.writer(), registry).await?;
        let mut tx = self.begin_write().await?;
        take_write_lock(&mut tx, registry).await?;
        let current: Vec<i64> = sqlx::query("SELECT contact_id FROM group_members WHERE group_id = $1")
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("contact_id"))
            .collect::<std::result::Result<_, _>>()?;
        for id in current.iter().filter(|c| !contact_ids.contains(c)) {
            sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2")
                .bind(group_id)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        for id in &contact_ids {
            add_member(&mut tx, group_id, *id).await?;
        }
        sqlx::query(
            "INSERT INTO registry_groups (registry, fhir_id, group_id, members) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (registry, fhir_id) DO UPDATE SET members = $4",
        )
        .bind(registry)
        .bind(fhir_id)
        .bind(group_id)
        .bind(&members_json)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Group uuids of registry `Group` ids (any registry when `None`).
    pub async fn groups_of_registry_groups(
        &self,
        registry: Option<&str>,
        ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for id in ids {
            let row = sqlx::query(
                "SELECT g.uuid FROM registry_groups rg JOIN contact_groups g ON g.id = rg.group_id \
                 WHERE ($1 = '' OR rg.registry = $1) AND rg.fhir_id = $2 ORDER BY rg.registry",
            )
            .bind(registry.unwrap_or(""))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                out.insert(id.clone(), r.try_get("uuid")?);
            }
        }
        Ok(out)
    }

    async fn adopt_group(&self, registry: &str, name: &str) -> Result<i64> {
        let name = name.trim();
        let name = if name.is_empty() { "Registry group" } else { name };
        let existing = sqlx::query("SELECT id, query FROM contact_groups WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let name = match existing {
            Some(r) if r.try_get::<Option<String>, _>("query")?.is_none() => return Ok(r.try_get("id")?),
            Some(_) => format!("{name} ({registry})"),
            None => name.to_string(),
        };
        match self.create_group(&name, None).await {
            Ok(g) => Ok(g.id),
            Err(StoreError::Conflict(_)) => Ok(self.get_group(&name).await?.id),
            Err(e) => Err(e),
        }
    }

    async fn contact_ids_of(&self, registry: &str, practitioner_ids: &[String]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for chunk in practitioner_ids.chunks(UPSERT_CHUNK) {
            let sql = format!(
                "SELECT contact_id FROM registry_contacts WHERE registry = $1 AND practitioner_id IN ({})",
                in_list(1, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(registry);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(r.try_get("contact_id")?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// A contact's phone numbers (E.164, no `tel:`), best first.
async fn tel_numbers(pool: &sqlx::AnyPool, contact_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query(
        "SELECT urn FROM contact_urns WHERE contact_id = $1 AND urn LIKE 'tel:%' ORDER BY priority DESC, id",
    )
    .bind(contact_id)
    .fetch_all(pool)
    .await?
    .iter()
    .filter_map(|u| u.try_get::<String, _>("urn").ok())
    .map(|u| u.trim_start_matches("tel:").to_string())
    .collect())
}

async fn ensure_state(pool: &sqlx::AnyPool, registry: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_state (registry, modified_on) VALUES ($1, $2) ON CONFLICT (registry) DO NOTHING",
    )
    .bind(registry)
    .bind(now_ms())
    .execute(pool)
    .await?;
    Ok(())
}

/// Write first, so the transaction holds SQLite's write lock before it reads:
/// a read transaction that later writes fails with SQLITE_BUSY_SNAPSHOT when
/// another connection (the running gateway) committed in between.
async fn take_write_lock(tx: &mut Transaction<'_, Any>, registry: &str) -> Result<()> {
    sqlx::query("UPDATE registry_state SET modified_on = modified_on WHERE registry = $1")
        .bind(registry)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn load_links(
    tx: &mut Transaction<'_, Any>,
    registry: &str,
    records: &[RegistryRecord],
) -> Result<HashMap<String, Link>> {
    let sql = format!(
        "SELECT practitioner_id, contact_id, phones, digest, registry_optout FROM registry_contacts \
         WHERE registry = $1 AND practitioner_id IN ({})",
        in_list(1, records.len())
    );
    let mut q = sqlx::query(&sql).bind(registry);
    for r in records {
        q = q.bind(r.practitioner_id.as_str());
    }
    let mut out = HashMap::new();
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(
            r.try_get::<String, _>("practitioner_id")?,
            Link {
                contact_id: r.try_get("contact_id")?,
                phones: parse_json("registry phones", &r.try_get::<String, _>("phones")?)?,
                digest: r.try_get("digest")?,
                registry_optout: r.try_get::<i64, _>("registry_optout")? != 0,
            },
        );
    }
    Ok(out)
}

fn tel(phone: &str) -> String {
    Urn::tel(phone)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("tel:{phone}"))
}

/// Which contact owns each `tel:` URN of `phones`.
async fn urn_owners<'a>(
    tx: &mut Transaction<'_, Any>,
    phones: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, i64>> {
    let urns: Vec<String> = phones.map(|p| tel(p)).collect();
    let mut out = HashMap::new();
    for chunk in urns.chunks(UPSERT_CHUNK) {
        let sql = format!(
            "SELECT urn, contact_id FROM contact_urns WHERE urn IN ({})",
            in_list(0, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q.bind(u.as_str());
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.insert(r.try_get("urn")?, r.try_get("contact_id")?);
        }
    }
    Ok(out)
}

async fn contact_of(tx: &mut Transaction<'_, Any>, registry: &str, practitioner_id: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT contact_id FROM registry_contacts WHERE registry = $1 AND practitioner_id = $2")
            .bind(registry)
            .bind(practitioner_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("contact_id")?,
    )
}

async fn upsert_one(
    tx: &mut Transaction<'_, Any>,
    registry: &str,
    record: &RegistryRecord,
    link: Option<&Link>,
    owners: &mut HashMap<String, i64>,
    managed_fields: &[String],
    report: &mut UpsertReport,
) -> Result<bool> {
    let now = now_ms();
    let owner = record.phones.iter().find_map(|p| owners.get(&tel(p)).copied());
    let (contact_id, created) = match (link, owner) {
        (Some(l), _) => (l.contact_id, false),
        (None, Some(id)) => {
            report.merged += 1;
            (id, false)
        }
        (None, None) => {
            report.created += 1;
            let id: i64 = sqlx::query(
                "INSERT INTO contacts (uuid, name, status, fields, created_on, modified_on) \
                 VALUES ($1, $2, 'active', '{}', $3, $3) RETURNING id",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(record.name.as_deref())
            .bind(now)
            .fetch_one(&mut **tx)
            .await?
            .try_get("id")?;
            (id, true)
        }
    };
    let row = sqlx::query("SELECT name, status, fields FROM contacts WHERE id = $1")
        .bind(contact_id)
        .fetch_one(&mut **tx)
        .await?;
    let old_fields: BTreeMap<String, serde_json::Value> =
        parse_json("contact fields", &row.try_get::<String, _>("fields")?)?;
    let mut fields = old_fields.clone();
    for key in managed_fields {
        match record.fields.get(key) {
            Some(v) => fields.insert(key.clone(), serde_json::Value::String(v.clone())),
            None => fields.remove(key),
        };
    }
    // The tag decides only when it changed in the registry: a STOP sent by
    // SMS since stays until the registry says otherwise (and is written back).
    let was_opted_out = link.is_some_and(|l| l.registry_optout);
    let old_status: String = row.try_get("status")?;
    let mut status = old_status.clone();
    if record.opted_out && !was_opted_out {
        status = ContactStatus::Stopped.as_str().to_string();
    } else if !record.opted_out && was_opted_out && status == ContactStatus::Stopped.as_str() {
        status = ContactStatus::Active.as_str().to_string();
    }
    let old_name: Option<String> = row.try_get("name")?;
    let name = record.name.clone().or(old_name.clone());
    let mut changed = name != old_name || status != old_status || fields != old_fields;
    if changed {
        sqlx::query(
            "UPDATE contacts SET name = $1, status = $2, fields = $3, modified_on = $4 WHERE id = $5",
        )
        .bind(name)
        .bind(&status)
        .bind(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into()))
        .bind(now)
        .bind(contact_id)
        .execute(&mut **tx)
        .await?;
    }

    let mut kept: Vec<String> = Vec::new();
    for phone in &record.phones {
        let urn = tel(phone);
        match owners.get(&urn).copied() {
            Some(id) if id == contact_id => kept.push(phone.clone()),
            Some(_) => report.phone_conflicts.push(PhoneConflict {
                practitioner_id: record.practitioner_id.clone(),
                phone: phone.clone(),
            }),
            None => {
                changed = true;
                let inserted =
                    sqlx::query("INSERT INTO contact_urns (contact_id, urn, priority) VALUES ($1, $2, $3)")
                        .bind(contact_id)
                        .bind(&urn)
                        .bind((record.phones.len() - kept.len()) as i64)
                        .execute(&mut **tx)
                        .await;
                match inserted {
                    Ok(_) => {
                        owners.insert(urn, contact_id);
                        kept.push(phone.clone());
                    }
                    Err(e) if is_unique_violation(&e) => report.phone_conflicts.push(PhoneConflict {
                        practitioner_id: record.practitioner_id.clone(),
                        phone: phone.clone(),
                    }),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    for dropped in link
        .iter()
        .flat_map(|l| &l.phones)
        .filter(|p| !record.phones.contains(p))
    {
        changed = true;
        sqlx::query("DELETE FROM contact_urns WHERE contact_id = $1 AND urn = $2")
            .bind(contact_id)
            .bind(tel(dropped))
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO registry_contacts (registry, practitioner_id, contact_id, phones, digest, registry_uuid, \
         registry_optout, synced_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (registry, practitioner_id) DO UPDATE SET contact_id = $3, phones = $4, digest = $5, \
         registry_uuid = $6, registry_optout = $7, synced_on = $8",
    )
    .bind(registry)
    .bind(record.practitioner_id.as_str())
    .bind(contact_id)
    .bind(serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into()))
    .bind(record.digest.as_str())
    .bind(record.contact_uuid.as_deref())
    .bind(record.opted_out as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if link.is_some() {
        if changed {
            report.updated += 1;
        } else {
            report.unchanged += 1;
        }
    }
    Ok(changed || created)
}
