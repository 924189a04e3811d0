//! Raw material of the staffing view: each linked worker's facility (from
//! the contact fields the sync fills) and the results of their finished runs
//! of the HR update flow. The dispatcher counts.

use std::collections::BTreeMap;

use sqlx::Row;

use super::super::{parse_json, Result, Store};
use crate::core::time::Millis;

/// One practitioner of a registry with where the sync placed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub practitioner_id: String,
    pub contact_id: i64,
    pub facility_id: Option<String>,
    pub facility: Option<String>,
    pub district: Option<String>,
}

/// One finished HR update run of a linked contact: when, and the category
/// of each result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrRunRow {
    pub contact_id: i64,
    pub exited_on: Millis,
    pub categories: BTreeMap<String, String>,
}

impl Store {
    pub async fn registry_staff(&self, registry: &str) -> Result<Vec<StaffRow>> {
        let rows = sqlx::query(
            "SELECT rc.practitioner_id, c.id, c.fields FROM registry_contacts rc JOIN contacts c ON c.id = rc.contact_id \
             WHERE rc.registry = $1 ORDER BY rc.practitioner_id",
        )
        .bind(registry)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let fields: BTreeMap<String, serde_json::Value> =
                    parse_json("contact fields", &r.try_get::<String, _>("fields")?)?;
                let text = |k: &str| fields.get(k).and_then(|v| v.as_str()).map(str::to_string);
                Ok(StaffRow {
                    practitioner_id: r.try_get("practitioner_id")?,
                    contact_id: r.try_get("id")?,
                    facility_id: text("facility_id"),
                    facility: text("facility"),
                    district: text("district"),
                })
            })
            .collect()
    }

    /// Completed runs of `flow_uuid` by contacts linked to `registry`.
    pub async fn registry_hr_runs(&self, registry: &str, flow_uuid: &str) -> Result<Vec<HrRunRow>> {
        let rows = sqlx::query(
            "SELECT r.id, r.contact_id, COALESCE(r.exited_on, r.modified_on) AS at, x.key, x.category FROM runs r \
             JOIN run_results x ON x.run_id = r.id \
             WHERE r.flow_uuid = $2 AND r.status = 'completed' \
             AND r.contact_id IN (SELECT contact_id FROM registry_contacts WHERE registry = $1) ORDER BY r.id",
        )
        .bind(registry)
        .bind(flow_uuid)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(i64, HrRunRow)> = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            if out.last().is_none_or(|(last, _)| *last != id) {
                out.push((
                    id,
                    HrRunRow {
                        contact_id: r.try_get("contact_id")?,
                        exited_on: r.try_get("at")?,
                        categories: BTreeMap::new(),
                    },
                ));
            }
            if let Some((_, run)) = out.last_mut() {
                run.categories.insert(r.try_get("key")?, r.try_get("category")?);
            }
        }
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }
}
