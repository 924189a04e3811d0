//! Campaigns (spaced education): events that start a flow or send a message
//! to each member of a group at an offset from one of their date fields.
//! Each (event, contact, time) fire is a row; a sync pass keeps the unfired
//! rows in step with group membership and the date field, and the fire is
//! marked in the transaction that starts its flow, so it happens once.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use uuid::Uuid;

use super::msgs::insert_out;
use super::{parse_json, NewOutMsg, Paging, Result, Store, StoreError};
use crate::core::time::{now_ms, rfc3339, Millis};

/// A campaign event to create or replace.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    #[serde(default)]
    pub uuid: Option<String>,
    /// The date field the offset counts from.
    pub relative_to: String,
    pub offset: i64,
    /// `M`inutes, `H`ours, `D`ays or `W`eeks.
    pub unit: String,
    /// Local hour (0-23) for day and week offsets; -1 keeps the time of day.
    #[serde(default = "same_time")]
    pub delivery_hour: i64,
    /// The flow to start, by UUID or name; or else `message`.
    #[serde(default)]
    pub flow: Option<String>,
    /// Text per language for a message event.
    #[serde(default)]
    pub message: Option<BTreeMap<String, String>>,
    #[serde(default = "eng")]
    pub base_language: String,
    /// `I` interrupt a waiting flow, `S` skip contacts in a flow, `P` passive.
    #[serde(default = "interrupt")]
    pub start_mode: String,
}

fn same_time() -> i64 {
    -1
}
fn eng() -> String {
    "eng".into()
}
fn interrupt() -> String {
    "I".into()
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    #[serde(default)]
    pub uuid: Option<String>,
    pub name: String,
    /// The group by name or UUID.
    pub group: String,
    pub events: Vec<NewEvent>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EventRow {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    #[serde(skip)]
    pub group: String,
    pub relative_to: String,
    pub offset: i64,
    pub unit: String,
    pub delivery_hour: i64,
    pub flow: Option<String>,
    pub message: Option<BTreeMap<String, String>>,
    pub base_language: String,
    pub start_mode: String,
    #[serde(skip)]
    pub synced_on: Millis,
    pub scheduled: i64,
    pub fired: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Campaign {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub group: String,
    pub events: Vec<EventRow>,
    pub created_on: String,
}

/// A fire that is due.
#[derive(Debug, Clone)]
pub struct DueFire {
    pub id: i64,
    pub event_id: i64,
    pub contact_id: i64,
    pub scheduled_on: Millis,
}

/// Longest offset either way, in days: 100 years (of 365.25 days). No
/// follow-up is planned a century out, and the bound keeps every fire time
/// computable: chrono refuses a `TimeDelta` past about 292 million years,
/// and weeks times seven overflow an `i64` long before.
pub const MAX_OFFSET_DAYS: i64 = 36_525;

/// A campaign event's offset past `MAX_OFFSET_DAYS` in its unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be within ±{limit} ({unit}; 100 years), got {offset}")]
pub struct OffsetOutOfRange {
    pub offset: i64,
    pub limit: i64,
    pub unit: &'static str,
}

/// The offset when it is within 100 years in `unit` (`M`, `H`, `D`, `W`);
/// an unknown unit has no range and is refused elsewhere.
pub fn check_offset(offset: i64, unit: &str) -> Result<i64, OffsetOutOfRange> {
    let (limit, unit) = match unit {
        "M" => (MAX_OFFSET_DAYS * 24 * 60, "minutes"),
        "H" => (MAX_OFFSET_DAYS * 24, "hours"),
        "W" => (MAX_OFFSET_DAYS / 7, "weeks"),
        _ => (MAX_OFFSET_DAYS, "days"),
    };
    if (-limit..=limit).contains(&offset) {
        Ok(offset)
    } else {
        Err(OffsetOutOfRange { offset, limit, unit })
    }
}

impl NewEvent {
    fn check(&self, i: usize) -> Result<()> {
        let at = |f: &str| format!("events[{i}].{f}");
        if !["M", "H", "D", "W"].contains(&self.unit.as_str()) {
            return Err(StoreError::invalid(at("unit"), "must be M, H, D or W"));
        }
        if let Err(e) = check_offset(self.offset, &self.unit) {
            return Err(StoreError::invalid(at("offset"), e.to_string()));
        }
        if !(-1..=23).contains(&self.delivery_hour) {
            return Err(StoreError::invalid(at("delivery_hour"), "must be -1 or 0-23"));
        }
        if !["I", "S", "P"].contains(&self.start_mode.as_str()) {
            return Err(StoreError::invalid(at("start_mode"), "must be I, S or P"));
        }
        match (&self.flow, &self.message) {
            (Some(_), None) => Ok(()),
            (None, Some(m)) if m.contains_key(&self.base_language) => Ok(()),
            (None, Some(_)) => Err(StoreError::invalid(
                at("message"),
                format!("needs a text in the base language {:?}", self.base_language),
            )),
            _ => Err(StoreError::invalid(
                at("flow"),
                "give a flow or a message, not both",
            )),
        }
    }
}

fn event_row(r: &sqlx::any::AnyRow) -> Result<EventRow> {
    let message: Option<String> = r.try_get("message")?;
    Ok(EventRow {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        group: r.try_get("group_name")?,
        relative_to: r.try_get("relative_to")?,
        offset: r.try_get("offset_value")?,
        unit: r.try_get("unit")?,
        delivery_hour: r.try_get("delivery_hour")?,
        flow: r.try_get("flow_uuid")?,
        message: message.map(|m| parse_json("event message", &m)).transpose()?,
        base_language: r.try_get("base_language")?,
        start_mode: r.try_get("start_mode")?,
        synced_on: r.try_get("synced_on")?,
        scheduled: 0,
        fired: 0,
    })
}

const EVENT_COLS: &str =
    "e.id, e.uuid, c.group_name, e.relative_to, e.offset_value, e.unit, e.delivery_hour, \
    e.flow_uuid, e.message, e.base_language, e.start_mode, e.synced_on";

impl Store {
    /// Create a campaign, or replace the one with the same UUID (events
    /// keep their UUIDs, so fires already made are kept).
    pub async fn upsert_campaign(&self, c: &NewCampaign) -> Result<Campaign> {
        let group = self
            .get_group(&c.group)
            .await
            .map_err(|_| StoreError::invalid("group", format!("no group {:?}", c.group)))?;
        let types = self.field_types().await?;
        let mut flows = Vec::new();
        for (i, e) in c.events.iter().enumerate() {
            e.check(i)?;
            match types.get(&e.relative_to) {
                Some(crate::core::contact::FieldType::Datetime) => {}
                Some(_) => {
                    return Err(StoreError::invalid(
                        format!("events[{i}].relative_to"),
                        format!("{:?} is not a datetime field", e.relative_to),
                    ))
                }
                None => {
                    return Err(StoreError::invalid(
                        format!("events[{i}].relative_to"),
                        format!("no field {:?}", e.relative_to),
                    ))
                }
            }
            flows.push(match &e.flow {
                Some(f) => Some(
                    self.get_flow(f)
                        .await
                        .map_err(|_| {
                            StoreError::invalid(format!("events[{i}].flow"), format!("no flow {f:?}"))
                        })?
                        .uuid,
                ),
                None => None,
            });
        }
        let now = now_ms();
        let uuid = c.uuid.clone().unwrap_or_else(|| Uuid::new_v4().to_string());
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO campaigns (uuid, name, group_name, created_on, modified_on) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (uuid) DO UPDATE SET name = $2, group_name = $3, modified_on = $4 RETURNING id",
        )
        .bind(&uuid)
        .bind(&c.name)
        .bind(&group.name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let keep: Vec<String> = c
            .events
            .iter()
            .map(|e| e.uuid.clone().unwrap_or_else(|| Uuid::new_v4().to_string()))
            .collect();
        let existing = sqlx::query("SELECT uuid FROM campaign_events WHERE campaign_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for r in existing {
            let u: String = r.try_get("uuid")?;
            if !keep.contains(&u) {
                sqlx::query("DELETE FROM campaign_events WHERE uuid = $1")
                    .bind(&u)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for ((e, ev_uuid), flow) in c.events.iter().zip(&keep).zip(&flows) {
            sqlx::query(
                "INSERT INTO campaign_events (uuid, campaign_id, relative_to, offset_value, unit, delivery_hour, \
                 flow_uuid, message, base_language, start_mode, synced_on, created_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (uuid) DO UPDATE SET \
                 relative_to = $3, offset_value = $4, unit = $5, delivery_hour = $6, flow_uuid = $7, message = $8, \
                 base_language = $9, start_mode = $10",
            )
            .bind(ev_uuid)
            .bind(id)
            .bind(&e.relative_to)
            .bind(e.offset)
            .bind(&e.unit)
            .bind(e.delivery_hour)
            .bind(flow.as_deref())
            .bind(e.message.as_ref().map(|m| serde_json::to_string(m).unwrap_or_default()))
            .bind(&e.base_language)
            .bind(&e.start_mode)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get_campaign(&uuid).await
    }

    pub async fn get_campaign(&self, uuid: &str) -> Result<Campaign> {
        let r = sqlx::query("SELECT id, uuid, name, group_name, created_on FROM campaigns WHERE uuid = $1")
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("campaign {uuid}")))?;
        let id: i64 = r.try_get("id")?;
        let mut events = Vec::new();
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLS} FROM campaign_events e JOIN campaigns c ON c.id = e.campaign_id \
             WHERE e.campaign_id = $1 ORDER BY e.offset_value, e.id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for er in &rows {
            let mut e = event_row(er)?;
            let counts = sqlx::query(
                "SELECT COUNT(*) AS total, COUNT(fired_on) AS fired FROM event_fires WHERE event_id = $1",
            )
            .bind(e.id)
            .fetch_one(&self.pool)
            .await?;
            e.fired = counts.try_get("fired")?;
            e.scheduled = counts.try_get::<i64, _>("total")? - e.fired;
            events.push(e);
        }
        Ok(Campaign {
            id,
            uuid: r.try_get("uuid")?,
            name: r.try_get("name")?,
            group: r.try_get("group_name")?,
            events,
            created_on: rfc3339(r.try_get("created_on")?),
        })
    }

    pub async fn list_campaigns(&self, page: &Paging) -> Result<Vec<Campaign>> {
        let uuids: Vec<String> = sqlx::query(&format!(
            "SELECT uuid FROM campaigns WHERE 1 = 1{}",
            page.sql("id")
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get("uuid"))
        .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for u in uuids {
            out.push(self.get_campaign(&u).await?);
        }
        Ok(out)
    }

    pub async fn delete_campaign(&self, uuid: &str) -> Result<()> {
        let res = sqlx::query("DELETE FROM campaigns WHERE uuid = $1")
            .bind(uuid)
            .execute(self.writer())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("campaign {uuid}")));
        }
        Ok(())
    }

    /// Every campaign event, for the sync pass.
    pub async fn campaign_events(&self) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLS} FROM campaign_events e JOIN campaigns c ON c.id = e.campaign_id ORDER BY e.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_row).collect()
    }

    pub async fn campaign_event(&self, id: i64) -> Result<EventRow> {
        let r = sqlx::query(&format!(
            "SELECT {EVENT_COLS} FROM campaign_events e JOIN campaigns c ON c.id = e.campaign_id WHERE e.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("campaign event {id}")))?;
        event_row(&r)
    }

    /// Members of a group with their value of a field (if set) and time zone.
    pub async fn members_with_field(
        &self,
        group: &str,
        field: &str,
    ) -> Result<Vec<(i64, Option<String>, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT c.id, c.fields, c.timezone FROM contacts c JOIN group_members m ON m.contact_id = c.id \
             JOIN contact_groups g ON g.id = m.group_id WHERE g.name = $1",
        )
        .bind(group)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let fields: HashMap<String, serde_json::Value> =
                parse_json("contact fields", &r.try_get::<String, _>("fields")?)?;
            let value = fields.get(field).and_then(|v| v.as_str()).map(str::to_owned);
            out.push((r.try_get("id")?, value, r.try_get("timezone")?));
        }
        Ok(out)
    }

    /// Bring an event's unfired rows in step with `desired` (contact → fire
    /// time). New times are added only after `synced_on` (the previous
    /// pass), so a contact who joins late gets only the remaining events,
    /// while nothing that fell due between passes, or while the gateway was
    /// down, is missed. Returns (added, moved, removed).
    pub async fn sync_event_fires(
        &self,
        ev: &EventRow,
        desired: &HashMap<i64, Millis>,
        now: Millis,
    ) -> Result<(usize, usize, usize)> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, contact_id, scheduled_on FROM event_fires WHERE event_id = $1 AND fired_on IS NULL",
        )
        .bind(ev.id)
        .fetch_all(&mut *tx)
        .await?;
        let mut existing: HashMap<i64, (i64, Millis)> = HashMap::new();
        for r in rows {
            existing.insert(
                r.try_get("contact_id")?,
                (r.try_get("id")?, r.try_get("scheduled_on")?),
            );
        }
        let (mut added, mut moved, mut removed) = (0, 0, 0);
        for (contact, (fire_id, at)) in &existing {
            match desired.get(contact) {
                Some(want) if want == at => {}
                Some(want) if *want > ev.synced_on => {
                    sqlx::query("UPDATE event_fires SET scheduled_on = $1 WHERE id = $2")
                        .bind(*want)
                        .bind(*fire_id)
                        .execute(&mut *tx)
                        .await?;
                    moved += 1;
                }
                _ => {
                    sqlx::query("DELETE FROM event_fires WHERE id = $1")
                        .bind(*fire_id)
                        .execute(&mut *tx)
                        .await?;
                    removed += 1;
                }
            }
        }
        for (contact, at) in desired {
            if existing.contains_key(contact) || *at <= ev.synced_on {
                continue;
            }
            let res = sqlx::query(
                "INSERT INTO event_fires (event_id, contact_id, scheduled_on) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(ev.id)
            .bind(*contact)
            .bind(*at)
            .execute(&mut *tx)
            .await?;
            added += res.rows_affected() as usize;
        }
        sqlx::query("UPDATE campaign_events SET synced_on = $1 WHERE id = $2")
            .bind(now)
            .bind(ev.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((added, moved, removed))
    }

    pub async fn due_fires(&self, now: Millis, limit: i64) -> Result<Vec<DueFire>> {
        let rows = sqlx::query(
            "SELECT id, event_id, contact_id, scheduled_on FROM event_fires WHERE fired_on IS NULL AND scheduled_on <= $1 \
             ORDER BY scheduled_on, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DueFire {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    contact_id: r.try_get("contact_id")?,
                    scheduled_on: r.try_get("scheduled_on")?,
                })
            })
            .collect()
    }

    /// Fire a message event: queue the message and mark the fire together.
    pub async fn fire_message(&self, fire_id: i64, msg: Option<NewOutMsg>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let outcome = if let Some(m) = &msg {
            insert_out(&mut tx, std::slice::from_ref(m)).await?;
            "sent"
        } else {
            "skipped"
        };
        sqlx::query("UPDATE event_fires SET fired_on = $1, outcome = $2 WHERE id = $3 AND fired_on IS NULL")
            .bind(now_ms())
            .bind(outcome)
            .bind(fire_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Fires of one contact (for the API and tests).
    pub async fn contact_fires(&self, contact_id: i64) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT e.uuid, f.scheduled_on, f.fired_on, f.outcome FROM event_fires f \
             JOIN campaign_events e ON e.id = f.event_id WHERE f.contact_id = $1 ORDER BY f.scheduled_on",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "event": r.try_get::<String, _>("uuid")?,
                    "scheduled_on": rfc3339(r.try_get("scheduled_on")?),
                    "fired_on": r.try_get::<Option<i64>, _>("fired_on")?.map(rfc3339),
                    "outcome": r.try_get::<Option<String>, _>("outcome")?,
                }))
            })
            .collect()
    }
}
