//! Changes an answer asked of a registry record that the gateway did not
//! make: the registry changed the record after the answer (it wins), or the
//! answer named nothing the registry knows; and registry edits of exported
//! groups the gateway did not take (a rename, a smart group's members). One row per record and field,
//! the latest kept, until the operator looks (`GET /registries/{name}/conflicts`).

use sqlx::Row;

use super::super::{Result, Store};
use crate::core::time::{now_ms, rfc3339, Millis};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegistryConflict {
    /// `PractitionerRole/<id>` (or `Practitioner/<id>` when no role was
    /// found), or `Group/<id>` for an exported group.
    pub resource: String,
    pub field: String,
    /// What the answer asked for.
    pub ours: String,
    /// What the registry holds.
    pub theirs: Option<String>,
    pub reason: String,
    /// The run whose answer asked for it (empty for a group).
    pub run_uuid: String,
    /// When the answer was given (for a group: when we last agreed on it).
    pub answered_on: String,
    pub registry_updated_on: Option<String>,
    pub seen_on: String,
}

/// A conflict as the dispatcher reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConflict<'a> {
    pub resource: &'a str,
    pub field: &'a str,
    pub ours: &'a str,
    pub theirs: Option<&'a str>,
    pub reason: &'a str,
    pub run_uuid: &'a str,
    pub answered_on: Millis,
    pub registry_updated_on: Option<Millis>,
}

impl Store {
    pub async fn record_registry_conflict(&self, registry: &str, c: &NewConflict<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO registry_conflicts (registry, resource, field, ours, theirs, reason, run_uuid, answered_on, \
             registry_updated_on, seen_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (registry, resource, field) DO UPDATE SET ours = $4, theirs = $5, reason = $6, \
             run_uuid = $7, answered_on = $8, registry_updated_on = $9, seen_on = $10",
        )
        .bind(registry)
        .bind(c.resource)
        .bind(c.field)
        .bind(c.ours)
        .bind(c.theirs)
        .bind(c.reason)
        .bind(c.run_uuid)
        .bind(c.answered_on)
        .bind(c.registry_updated_on)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Every recorded conflict of `registry`, newest first.
    pub async fn registry_conflicts(&self, registry: &str) -> Result<Vec<RegistryConflict>> {
        let rows = sqlx::query(
            "SELECT resource, field, ours, theirs, reason, run_uuid, answered_on, registry_updated_on, seen_on \
             FROM registry_conflicts WHERE registry = $1 ORDER BY seen_on DESC, resource",
        )
        .bind(registry)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RegistryConflict {
                    resource: r.try_get("resource")?,
                    field: r.try_get("field")?,
                    ours: r.try_get("ours")?,
                    theirs: r.try_get("theirs")?,
                    reason: r.try_get("reason")?,
                    run_uuid: r.try_get("run_uuid")?,
                    answered_on: rfc3339(r.try_get("answered_on")?),
                    registry_updated_on: r
                        .try_get::<Option<Millis>, _>("registry_updated_on")?
                        .map(rfc3339),
                    seen_on: rfc3339(r.try_get("seen_on")?),
                })
            })
            .collect()
    }
}
