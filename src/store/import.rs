//! Bulk contact import: many contacts in one transaction, all validated
//! before anything is written (a bad row names its index and nothing is
//! half-imported).

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::Row;
use uuid::Uuid;

use super::contacts::NewContact;
use super::{in_list, placeholders, Result, Store, StoreError, INSERT_CHUNK};
use crate::core::contact::{FieldType, FieldValue};
use crate::core::query::{ContactView, Query};
use crate::core::time::now_ms;
use crate::core::Urn;

/// Most contacts one import may carry (a district's workforce at a time).
pub const MAX_IMPORT: usize = 100_000;

struct Prepared {
    uuid: String,
    new: NewContact,
    urns: Vec<String>,
    fields: BTreeMap<String, serde_json::Value>,
}

impl Store {
    /// Create contacts in bulk; returns their UUIDs in input order.
    pub async fn import_contacts(
        &self,
        rows: Vec<NewContact>,
        default_country: Option<&str>,
    ) -> Result<Vec<String>> {
        if rows.len() > MAX_IMPORT {
            return Err(StoreError::invalid(
                "contacts",
                format!("at most {MAX_IMPORT} per import"),
            ));
        }
        let types = self.field_types().await?;
        let groups = self.list_groups().await?;
        let static_groups: HashMap<String, i64> = groups
            .iter()
            .filter(|g| g.query.is_none())
            .flat_map(|g| [(g.uuid.clone(), g.id), (g.name.clone(), g.id)])
            .collect();
        let smart: Vec<(i64, Query)> = groups
            .iter()
            .filter_map(|g| {
                g.query
                    .as_ref()
                    .and_then(|q| Query::parse(q).ok())
                    .map(|q| (g.id, q))
            })
            .collect();

        let mut seen = HashSet::new();
        let mut prepared = Vec::with_capacity(rows.len());
        for (i, new) in rows.into_iter().enumerate() {
            let mut urns = Vec::new();
            for (j, u) in new.urns.iter().enumerate() {
                let urn = Urn::parse(u, default_country)
                    .map_err(|e| StoreError::invalid(format!("contacts[{i}].urns[{j}]"), e.to_string()))?
                    .to_string();
                if !seen.insert(urn.clone()) {
                    return Err(StoreError::invalid(
                        format!("contacts[{i}].urns[{j}]"),
                        format!("{urn} appears twice"),
                    ));
                }
                urns.push(urn);
            }
            let mut fields = BTreeMap::new();
            for (k, v) in &new.fields {
                let ty: FieldType = *types.get(k).ok_or_else(|| {
                    StoreError::invalid(format!("contacts[{i}].fields.{k}"), "unknown field")
                })?;
                if v.is_null() {
                    continue;
                }
                let val = FieldValue::coerce(k, ty, v)
                    .map_err(|e| StoreError::invalid(format!("contacts[{i}].fields.{k}"), e.to_string()))?;
                fields.insert(k.clone(), val.to_json());
            }
            for (j, g) in new.groups.iter().enumerate() {
                if !static_groups.contains_key(g) {
                    return Err(StoreError::invalid(
                        format!("contacts[{i}].groups[{j}]"),
                        format!("no static group {g:?}"),
                    ));
                }
            }
            if let Some(tz) = &new.timezone {
                if tz.parse::<chrono_tz::Tz>().is_err() {
                    return Err(StoreError::invalid(
                        format!("contacts[{i}].timezone"),
                        format!("unknown time zone {tz:?}"),
                    ));
                }
            }
            prepared.push(Prepared {
                uuid: Uuid::new_v4().to_string(),
                new,
                urns,
                fields,
            });
        }
        // URNs that already belong to someone.
        let all_urns: Vec<&String> = prepared.iter().flat_map(|p| p.urns.iter()).collect();
        for chunk in all_urns.chunks(INSERT_CHUNK) {
            let sql = format!(
                "SELECT urn FROM contact_urns WHERE urn IN ({}) LIMIT 1",
                in_list(0, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(u.as_str());
            }
            if let Some(r) = q.fetch_optional(&self.pool).await? {
                let urn: String = r.try_get("urn")?;
                return Err(StoreError::Conflict(format!(
                    "URN {urn} belongs to an existing contact"
                )));
            }
        }

        let now = now_ms();
        let mut tx = self.begin_write().await?;
        const COLS: usize = 7;
        for chunk in prepared.chunks(INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len()).map(|i| placeholders(i * COLS, COLS)).collect();
            let sql = format!(
                "INSERT INTO contacts (uuid, name, language, timezone, fields, created_on, modified_on) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(p.uuid.as_str())
                    .bind(p.new.name.as_deref())
                    .bind(p.new.language.as_deref())
                    .bind(p.new.timezone.as_deref())
                    .bind(serde_json::to_string(&p.fields).unwrap_or_else(|_| "{}".into()))
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
            let sql = format!(
                "SELECT id, uuid FROM contacts WHERE uuid IN ({})",
                in_list(0, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q.bind(p.uuid.as_str());
            }
            let ids: HashMap<String, i64> = q
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("uuid")?, r.try_get("id")?)))
                .collect::<Result<_>>()?;
            let mut urn_rows: Vec<(i64, &str, i64)> = Vec::new();
            let mut members: Vec<(i64, i64)> = Vec::new();
            for p in chunk {
                let id = *ids
                    .get(&p.uuid)
                    .ok_or_else(|| StoreError::Corrupt("imported contact vanished".into()))?;
                for (k, u) in p.urns.iter().enumerate() {
                    urn_rows.push((id, u.as_str(), (p.urns.len() - k) as i64));
                }
                for g in &p.new.groups {
                    if let Some(gid) = static_groups.get(g) {
                        members.push((*gid, id));
                    }
                }
                let view = ContactView {
                    uuid: &p.uuid,
                    name: p.new.name.as_deref(),
                    language: p.new.language.as_deref(),
                    status: "active",
                    urns: &p.urns,
                    fields: &p.fields,
                    groups: &[],
                    tickets: 0,
                };
                for (gid, q) in &smart {
                    if q.matches(&view, &types) {
                        members.push((*gid, id));
                    }
                }
            }
            for part in urn_rows.chunks(INSERT_CHUNK) {
                let values: Vec<String> = (0..part.len()).map(|i| placeholders(i * 3, 3)).collect();
                let sql = format!(
                    "INSERT INTO contact_urns (contact_id, urn, priority) VALUES {}",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for (id, u, prio) in part {
                    q = q.bind(*id).bind(*u).bind(*prio);
                }
                q.execute(&mut *tx).await?;
            }
            members.sort_unstable();
            members.dedup();
            for part in members.chunks(INSERT_CHUNK) {
                let values: Vec<String> = (0..part.len()).map(|i| placeholders(i * 2, 2)).collect();
                let sql = format!(
                    "INSERT INTO group_members (group_id, contact_id) VALUES {} ON CONFLICT DO NOTHING",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for (g, c) in part {
                    q = q.bind(*g).bind(*c);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(prepared.into_iter().map(|p| p.uuid).collect())
    }
}
