//! Local groups published to a registry (`export_groups`), kept in step both
//! ways: each group's members as the registry's practitioner ids, and what
//! the gateway and the registry last agreed they were (members, those the
//! local group held, the registry's version of the `Group` then), so the
//! dispatcher can merge edits made on either side since.

use std::collections::BTreeSet;

use sqlx::Row;

use super::super::{Result, Store};
use super::{ensure_state, take_write_lock};
use crate::core::time::{now_ms, Millis};

/// One local group as the registry should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupExport {
    pub group_id: i64,
    pub uuid: String,
    pub name: String,
    /// Id of its `Group` on the registry: the registry's own id for a group
    /// first imported from it, else our group uuid.
    pub fhir_id: String,
    /// A smart group: its members follow its query, not the registry.
    pub smart: bool,
    /// Practitioner ids of this registry among its members.
    pub practitioners: BTreeSet<String>,
    /// Members last agreed with the registry, if ever.
    pub agreed: Option<BTreeSet<String>>,
    /// Those of `agreed` the local group held as contacts then.
    pub held: BTreeSet<String>,
    /// The registry's `meta.versionId` of the Group when agreed.
    pub version_id: Option<String>,
    /// When we last agreed with the registry.
    pub agreed_on: Option<Millis>,
}

/// A new agreement on one group's members: the local side is changed to
/// match and the agreement is recorded, in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct GroupAgreement<'a> {
    pub group_id: i64,
    /// Practitioners whose contacts join the local group.
    pub add: &'a [String],
    /// Practitioners whose contacts leave it (unless linked to another
    /// practitioner that stays).
    pub remove: &'a [String],
    /// The members agreed.
    pub members: &'a BTreeSet<String>,
    pub version_id: Option<&'a str>,
    /// Digest of the `Group` as the registry now holds it.
    pub digest: &'a str,
}

fn parse_set(json: Option<String>) -> Option<BTreeSet<String>> {
    serde_json::from_str(&json?).ok()
}

fn to_json(set: &BTreeSet<String>) -> String {
    serde_json::to_string(set).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// The groups named in `names` (unknown names are left out), with their
    /// members linked to `registry` and the last agreement.
    pub async fn group_exports(&self, registry: &str, names: &[String]) -> Result<Vec<GroupExport>> {
        let mut out = Vec::new();
        for name in names {
            let row = sqlx::query(
                "SELECT g.id, g.uuid, g.name, g.query, e.members, e.held, e.version_id, e.written_on, \
                 rg.fhir_id, rg.members AS imported FROM contact_groups g \
                 LEFT JOIN registry_group_exports e ON e.group_id = g.id AND e.registry = $1 \
                 LEFT JOIN registry_groups rg ON rg.group_id = g.id AND rg.registry = $1 \
                 WHERE g.name = $2 ORDER BY rg.fhir_id LIMIT 1",
            )
            .bind(registry)
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { continue };
            let group_id: i64 = row.try_get("id")?;
            let practitioners = self.group_practitioners(registry, group_id).await?;
            let uuid: String = row.try_get("uuid")?;
            let agreed_on: Option<Millis> = row.try_get("written_on")?;
            let (agreed, held) = match agreed_on {
                Some(_) => (
                    parse_set(row.try_get("members")?),
                    parse_set(row.try_get("held")?).unwrap_or_default(),
                ),
                // First imported from the registry: the sync's members are
                // the agreement, held as far as the group holds them.
                None => {
                    let imported = parse_set(row.try_get("imported")?);
                    let held = imported
                        .iter()
                        .flatten()
                        .filter(|p| practitioners.contains(*p))
                        .cloned()
                        .collect();
                    (imported, held)
                }
            };
            out.push(GroupExport {
                group_id,
                fhir_id: row
                    .try_get::<Option<String>, _>("fhir_id")?
                    .unwrap_or_else(|| uuid.clone()),
                uuid,
                name: row.try_get("name")?,
                smart: row.try_get::<Option<String>, _>("query")?.is_some(),
                practitioners,
                agreed,
                held,
                version_id: row.try_get("version_id")?,
                agreed_on,
            });
        }
        Ok(out)
    }

    /// Practitioner ids of `registry` among a group's members.
    async fn group_practitioners(&self, registry: &str, group_id: i64) -> Result<BTreeSet<String>> {
        sqlx::query(
            "SELECT DISTINCT rc.practitioner_id FROM group_members m \
             JOIN registry_contacts rc ON rc.contact_id = m.contact_id AND rc.registry = $1 \
             WHERE m.group_id = $2",
        )
        .bind(registry)
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("practitioner_id")?))
        .collect()
    }

    /// Change the local group as `a` says and record the agreement. A smart
    /// group's members are left to its query.
    pub async fn agree_group(&self, registry: &str, a: &GroupAgreement<'_>) -> Result<()> {
        let add = self.contact_ids_of(registry, a.add).await?;
        let staying: Vec<String> = a.members.iter().cloned().collect();
        let staying = self.contact_ids_of(registry, &staying).await?;
        let remove: Vec<i64> = self
            .contact_ids_of(registry, a.remove)
            .await?
            .into_iter()
            .filter(|c| !staying.contains(c))
            .collect();
        ensure_state(self.writer(), registry).await?;
        let mut tx = self.begin_write().await?;
        take_write_lock(&mut tx, registry).await?;
        let smart = sqlx::query("SELECT query FROM contact_groups WHERE id = $1")
            .bind(a.group_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("query"))
            .transpose()?
            .flatten()
            .is_some();
        if !smart {
            for id in &remove {
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2")
                    .bind(a.group_id)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
            for id in &add {
                super::super::contacts::add_member(&mut tx, a.group_id, *id).await?;
            }
        }
        let held: BTreeSet<String> = sqlx::query(
            "SELECT DISTINCT rc.practitioner_id FROM group_members m \
             JOIN registry_contacts rc ON rc.contact_id = m.contact_id AND rc.registry = $1 \
             WHERE m.group_id = $2",
        )
        .bind(registry)
        .bind(a.group_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("practitioner_id"))
        .collect::<std::result::Result<BTreeSet<String>, _>>()?
        .intersection(a.members)
        .cloned()
        .collect();
        let members = to_json(a.members);
        sqlx::query(
            "INSERT INTO registry_group_exports (registry, group_id, digest, written_on, members, held, version_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (registry, group_id) DO UPDATE SET \
             digest = $3, written_on = $4, members = $5, held = $6, version_id = $7",
        )
        .bind(registry)
        .bind(a.group_id)
        .bind(a.digest)
        .bind(now_ms())
        .bind(&members)
        .bind(to_json(&held))
        .bind(a.version_id)
        .execute(&mut *tx)
        .await?;
        // A group first imported from the registry: its sync record follows.
        sqlx::query("UPDATE registry_groups SET members = $3 WHERE registry = $1 AND group_id = $2")
            .bind(registry)
            .bind(a.group_id)
            .bind(&members)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registry ids of the `Group`s published to `registry`: ours to keep in
    /// step by the export, not the sync's to mirror.
    pub async fn exported_group_ids(&self, registry: &str) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT g.uuid, rg.fhir_id FROM registry_group_exports e JOIN contact_groups g ON g.id = e.group_id \
             LEFT JOIN registry_groups rg ON rg.group_id = g.id AND rg.registry = e.registry \
             WHERE e.registry = $1",
        )
        .bind(registry)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(r.try_get::<Option<String>, _>("fhir_id")?
                .unwrap_or(r.try_get("uuid")?))
        })
        .collect()
    }
}
