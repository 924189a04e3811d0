//! Local groups published to a registry (`export_groups`): each group's
//! members as the registry's practitioner ids, and the digest of the
//! `Group` last written, so an unchanged group is not written again.

use sqlx::Row;

use super::super::{Result, Store};
use crate::core::time::now_ms;

/// One local group as the registry should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupExport {
    pub group_id: i64,
    pub uuid: String,
    pub name: String,
    /// Practitioner ids of this registry among its members, sorted.
    pub practitioners: Vec<String>,
    /// Digest of the `Group` last written, if any.
    pub written_digest: Option<String>,
}

impl Store {
    /// The groups named in `names` (unknown names are left out), with their
    /// members linked to `registry`.
    pub async fn group_exports(&self, registry: &str, names: &[String]) -> Result<Vec<GroupExport>> {
        let mut out = Vec::new();
        for name in names {
            let row = sqlx::query(
                "SELECT g.id, g.uuid, g.name, e.digest FROM contact_groups g \
                 LEFT JOIN registry_group_exports e ON e.group_id = g.id AND e.registry = $1 WHERE g.name = $2",
            )
            .bind(registry)
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { continue };
            let group_id: i64 = row.try_get("id")?;
            let practitioners = sqlx::query(
                "SELECT DISTINCT rc.practitioner_id FROM group_members m \
                 JOIN registry_contacts rc ON rc.contact_id = m.contact_id AND rc.registry = $1 \
                 WHERE m.group_id = $2 ORDER BY rc.practitioner_id",
            )
            .bind(registry)
            .bind(group_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("practitioner_id"))
            .collect::<std::result::Result<Vec<String>, _>>()?;
            out.push(GroupExport {
                group_id,
                uuid: row.try_get("uuid")?,
                name: row.try_get("name")?,
                practitioners,
                written_digest: row.try_get("digest")?,
            });
        }
        Ok(out)
    }

    pub async fn mark_group_exported(&self, registry: &str, group_id: i64, digest: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO registry_group_exports (registry, group_id, digest, written_on) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (registry, group_id) DO UPDATE SET digest = $3, written_on = $4",
        )
        .bind(registry)
        .bind(group_id)
        .bind(digest)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Uuids of the groups published to `registry`: its `Group`s with these
    /// ids are ours, not the registry's to mirror.
    pub async fn exported_group_uuids(&self, registry: &str) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT g.uuid FROM registry_group_exports e JOIN contact_groups g ON g.id = e.group_id \
             WHERE e.registry = $1",
        )
        .bind(registry)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("uuid")?))
        .collect()
    }
}
