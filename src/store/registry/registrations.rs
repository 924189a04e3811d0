//! Self-registrations: finished runs of the registration flow by contacts
//! linked to no registry (and not already reported as refused), and the link
//! made once the registry holds their new `Practitioner`.

use std::collections::BTreeMap;

use sqlx::Row;

use super::super::{Result, Store};
use super::ensure_state;
use crate::core::time::now_ms;

/// A worker who registered by SMS and is in no registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub run_uuid: String,
    pub contact_id: i64,
    pub contact_uuid: String,
    pub contact_name: Option<String>,
    /// E.164 numbers of the contact, best first.
    pub phones: Vec<String>,
    /// Result key → value of the registration run.
    pub results: BTreeMap<String, String>,
    /// When the run ended.
    pub finished_on: i64,
}

impl Store {
    /// Up to `limit` completed runs of `flow_uuid` by unlinked contacts, one
    /// (the latest) per contact, skipping runs already reported in
    /// `registry_conflicts` of `registry`.
    pub async fn pending_registrations(
        &self,
        registry: &str,
        flow_uuid: &str,
        limit: i64,
    ) -> Result<Vec<Registration>> {
        let rows = sqlx::query(
            "SELECT r.id, r.uuid, r.contact_id, COALESCE(r.exited_on, r.modified_on) AS at, c.uuid AS contact_uuid, \
             c.name FROM runs r JOIN contacts c ON c.id = r.contact_id \
             WHERE r.flow_uuid = $2 AND r.status = 'completed' \
             AND NOT EXISTS (SELECT 1 FROM registry_contacts rc WHERE rc.contact_id = r.contact_id) \
             AND NOT EXISTS (SELECT 1 FROM registry_conflicts x WHERE x.registry = $1 AND x.run_uuid = r.uuid) \
             AND r.id = (SELECT MAX(r2.id) FROM runs r2 WHERE r2.contact_id = r.contact_id AND r2.flow_uuid = $2 \
                         AND r2.status = 'completed') \
             ORDER BY r.id LIMIT $3",
        )
        .bind(registry)
        .bind(flow_uuid)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let run_id: i64 = r.try_get("id")?;
            let contact_id: i64 = r.try_get("contact_id")?;
            let results = sqlx::query("SELECT key, value FROM run_results WHERE run_id = $1")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|x| Ok((x.try_get("key")?, x.try_get("value")?)))
                .collect::<Result<BTreeMap<String, String>>>()?;
            let phones = super::tel_numbers(&self.pool, contact_id).await?;
            out.push(Registration {
                run_uuid: r.try_get("uuid")?,
                contact_id,
                contact_uuid: r.try_get("contact_uuid")?,
                contact_name: r.try_get("name")?,
                phones,
                results,
                finished_on: r.try_get("at")?,
            });
        }
        Ok(out)
    }

    /// The registry now holds `practitioner_id` for this contact, carrying
    /// its uuid and `phones`: link them as a sync would.
    pub async fn link_registered(
        &self,
        registry: &str,
        practitioner_id: &str,
        contact_id: i64,
        contact_uuid: &str,
        phones: &[String],
    ) -> Result<()> {
        ensure_state(&self.pool, registry).await?;
        sqlx::query(
            "INSERT INTO registry_contacts (registry, practitioner_id, contact_id, phones, digest, registry_uuid, \
             registry_optout, synced_on) VALUES ($1, $2, $3, $4, '', $5, 0, $6) \
             ON CONFLICT (registry, practitioner_id) DO NOTHING",
        )
        .bind(registry)
        .bind(practitioner_id)
        .bind(contact_id)
        .bind(serde_json::to_string(phones).unwrap_or_else(|_| "[]".into()))
        .bind(contact_uuid)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
