//! Keyword and catch-all triggers. Those from the config file are replaced
//! at every start; those created through the API or imported from a
//! RapidPro export persist.

use sqlx::Row;
use uuid::Uuid;

use super::{parse_json, Paging, Result, Store, StoreError};
use crate::config::MatchType;
use crate::core::time::{now_ms, rfc3339};

/// A trigger to create: the same shape whether it comes from the config
/// file, the API or an import.
pub use crate::config::TriggerConfig as NewTrigger;

#[derive(Debug, Clone, serde::Serialize)]
pub struct TriggerRow {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub keywords: Vec<String>,
    #[serde(rename = "match")]
    pub match_type: MatchType,
    pub reply: Option<String>,
    pub flow: Option<String>,
    pub groups: Vec<String>,
    pub exclude_groups: Vec<String>,
    pub source: String,
    pub created_on: String,
}

fn check(t: &NewTrigger) -> Result<()> {
    t.validate()
        .map_err(|(field, message)| StoreError::invalid(field, message))
}

impl Store {
    pub async fn create_trigger(&self, t: &NewTrigger, source: &str) -> Result<TriggerRow> {
        check(t)?;
        let uuid = Uuid::new_v4().to_string();
        let keywords: Vec<String> = t.keywords.iter().map(|k| k.trim().to_lowercase()).collect();
        sqlx::query(
            "INSERT INTO triggers (uuid, keywords, match_type, reply, flow_uuid, groups, exclude_groups, source, \
             created_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&uuid)
        .bind(serde_json::to_string(&keywords).unwrap_or_default())
        .bind(match t.match_type {
            MatchType::First => "first",
            MatchType::Only => "only",
        })
        .bind(t.reply.as_deref())
        .bind(t.flow.as_deref())
        .bind(serde_json::to_string(&t.groups).unwrap_or_default())
        .bind(serde_json::to_string(&t.exclude_groups).unwrap_or_default())
        .bind(source)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        self.list_triggers()
            .await?
            .into_iter()
            .find(|r| r.uuid == uuid)
            .ok_or_else(|| StoreError::NotFound(format!("trigger {uuid}")))
    }

    /// Replace the triggers that came from the config file.
    pub async fn replace_config_triggers(&self, triggers: &[NewTrigger]) -> Result<()> {
        for t in triggers {
            check(t)?;
        }
        sqlx::query("DELETE FROM triggers WHERE source = 'config'")
            .execute(self.writer())
            .await?;
        for t in triggers {
            self.create_trigger(t, "config").await?;
        }
        Ok(())
    }

    /// Every trigger, oldest first (the matcher's tie-break).
    pub async fn list_triggers(&self) -> Result<Vec<TriggerRow>> {
        self.select_triggers(" ORDER BY id").await
    }

    pub async fn list_triggers_page(&self, page: &Paging) -> Result<Vec<TriggerRow>> {
        self.select_triggers(&format!(" WHERE 1 = 1{}", page.sql("id")))
            .await
    }

    /// The flow and groups a trigger names, checked to exist (a trigger on
    /// a missing flow would never start it, one on a missing group would
    /// never match, and nothing would say so) and written the way the
    /// matcher reads them: the flow by UUID, groups by name.
    pub async fn resolve_trigger_refs(&self, t: &NewTrigger) -> Result<NewTrigger> {
        let mut out = t.clone();
        if let Some(flow) = &t.flow {
            out.flow = Some(match self.get_flow(flow).await {
                Ok(f) => f.uuid,
                Err(StoreError::NotFound(_)) => {
                    return Err(StoreError::invalid("flow", format!("no flow {flow:?}")))
                }
                Err(e) => return Err(e),
            });
        }
        for (key, given, resolved) in [
            ("groups", &t.groups, &mut out.groups),
            ("exclude_groups", &t.exclude_groups, &mut out.exclude_groups),
        ] {
            resolved.clear();
            for (i, g) in given.iter().enumerate() {
                let row =
                    sqlx::query("SELECT name FROM contact_groups WHERE uuid = $1 OR LOWER(name) = LOWER($1)")
                        .bind(g)
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or_else(|| {
                            StoreError::invalid(format!("{key}[{i}]"), format!("no group {g:?}"))
                        })?;
                resolved.push(row.try_get("name")?);
            }
        }
        Ok(out)
    }

    async fn select_triggers(&self, tail: &str) -> Result<Vec<TriggerRow>> {
        let rows = sqlx::query(&format!(
            "SELECT id, uuid, keywords, match_type, reply, flow_uuid, groups, exclude_groups, source, created_on \
             FROM triggers{tail}"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TriggerRow {
                    id: r.try_get("id")?,
                    uuid: r.try_get("uuid")?,
                    keywords: parse_json("keywords", &r.try_get::<String, _>("keywords")?)?,
                    match_type: if r.try_get::<String, _>("match_type")? == "only" {
                        MatchType::Only
                    } else {
                        MatchType::First
                    },
                    reply: r.try_get("reply")?,
                    flow: r.try_get("flow_uuid")?,
                    groups: parse_json("groups", &r.try_get::<String, _>("groups")?)?,
                    exclude_groups: parse_json("exclude_groups", &r.try_get::<String, _>("exclude_groups")?)?,
                    source: r.try_get("source")?,
                    created_on: rfc3339(r.try_get("created_on")?),
                })
            })
            .collect()
    }

    pub async fn delete_trigger(&self, uuid: &str) -> Result<()> {
        let res = sqlx::query("DELETE FROM triggers WHERE uuid = $1")
            .bind(uuid)
            .execute(self.writer())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("trigger {uuid}")));
        }
        Ok(())
    }
}
