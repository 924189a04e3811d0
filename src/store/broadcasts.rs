//! Broadcasts: one text (with translations) to contacts, groups, a contact
//! query or bare numbers; now, at a time, or on a recurring schedule.
//!
//! Accepting a broadcast only writes its row. The scheduler later
//! "materialises" it: in one transaction it resolves the recipients and
//! writes one queued outbox row each. A conditional status change makes
//! exactly one node do that, and a crash part-way rolls it all back. Once
//! every message is settled the broadcast is `completed` (see `settle`); a
//! firing that reaches nobody is completed at once, with a note saying why.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use sqlx::Row;
use uuid::Uuid;

use super::audience::{Accepted, Reach, Recipients};
use super::firings::{self, DueFiring, SendTable};
use super::msgs::insert_out;
use super::{in_list, parse_json, NewOutMsg, Paging, Result, Store, StoreError};
use crate::core::segments;
use crate::core::time::{now_ms, rfc3339, Millis, Schedule, SendingHours};
use crate::core::Priority;

/// Contacts looked up per query while materialising.
const LOOKUP_CHUNK: usize = 500;

#[derive(Debug, Clone)]
pub struct NewBroadcast {
    /// Text per language code; `base_language` must be present.
    pub translations: BTreeMap<String, String>,
    pub base_language: String,
    pub recipients: Recipients,
    pub schedule: Option<Schedule>,
    /// Hold each message until the recipient's local sending hours.
    pub respect_hours: bool,
}

/// Messages by status. A recurring broadcast's counts are those of all its
/// firings so far. `sent` is "sent, no receipt (yet)": once the broadcast is
/// `completed` no receipt is expected for them any more.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BroadcastProgress {
    pub total: i64,
    pub queued: i64,
    pub wired: i64,
    pub sent: i64,
    pub delivered: i64,
    pub errored: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Held by a pause: claimed again once the send is resumed.
    pub paused: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Broadcast {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub translations: BTreeMap<String, String>,
    pub base_language: String,
    pub recipients: Recipients,
    pub schedule: Option<Schedule>,
    pub respect_hours: bool,
    /// pending, scheduled, recurring, sending, queued (messages not all
    /// settled), paused, completed, cancelled, failed.
    pub status: String,
    /// The status as a send's life reads: scheduled, sending, paused,
    /// completed, cancelled or failed (see `sends::send_state`).
    pub state: &'static str,
    pub parent: Option<String>,
    pub next_fire: Option<String>,
    pub recipient_count: i64,
    pub error: Option<String>,
    /// Why a firing reached nobody.
    pub note: Option<String>,
    pub created_on: String,
    pub progress: BroadcastProgress,
}

/// What materialising needs from outside the store.
pub struct MaterializeParams<'a> {
    /// The route name for an E.164 number.
    pub route: &'a (dyn Fn(&str) -> String + Sync),
    pub hours: SendingHours,
    pub default_tz: Tz,
    pub default_country: Option<&'a str>,
}

const COLS: &str =
    "b.id, b.uuid, b.translations, b.base_language, b.recipients, b.schedule, b.respect_hours, \
    b.status, p.uuid AS parent_uuid, b.fire_on, b.recipient_count, b.error, b.note, b.created_on";

impl Store {
    /// Validate and persist a broadcast; it is sent by the scheduler. One
    /// to go now that reaches nobody is refused unless `allow_empty`.
    pub async fn create_broadcast(
        &self,
        b: NewBroadcast,
        default_country: Option<&str>,
        allow_empty: bool,
    ) -> Result<Accepted<Broadcast>> {
        check_texts(&b)?;
        self.check_recipients(&b.recipients, default_country).await?;
        firings::check_schedule(b.schedule.as_ref())?;
        let warnings = self
            .empty_send_warnings(
                &b.recipients,
                default_country,
                Reach::Text,
                b.schedule.is_some(),
                allow_empty,
            )
            .await?;
        let mut tx = self.begin_write().await?;
        let uuid = insert_broadcast(&mut tx, &b, now_ms()).await?;
        tx.commit().await?;
        Ok(Accepted {
            send: self.get_broadcast(&uuid).await?,
            warnings,
        })
    }

    pub async fn get_broadcast(&self, uuid: &str) -> Result<Broadcast> {
        let sql = format!(
            "SELECT {COLS} FROM broadcasts b LEFT JOIN broadcasts p ON p.id = b.parent_id WHERE b.uuid = $1"
        );
        let r = sqlx::query(&sql)
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("broadcast {uuid}")))?;
        let mut b = broadcast_row(&r)?;
        b.progress = self.broadcast_progress(b.id).await?;
        Ok(b)
    }

    pub async fn list_broadcasts(&self, page: &Paging) -> Result<Vec<Broadcast>> {
        let sql = format!(
            "SELECT {COLS} FROM broadcasts b LEFT JOIN broadcasts p ON p.id = b.parent_id WHERE 1 = 1{}",
            page.sql("b.id")
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut b = broadcast_row(r)?;
            b.progress = self.broadcast_progress(b.id).await?;
            out.push(b);
        }
        Ok(out)
    }

    /// A broadcast's messages by status, its firings' included.
    pub async fn broadcast_progress(&self, id: i64) -> Result<BroadcastProgress> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM msgs WHERE broadcast_id IN \
             (SELECT id FROM broadcasts WHERE id = $1 OR parent_id = $1) GROUP BY status",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut p = BroadcastProgress::default();
        for r in rows {
            p.add(&r.try_get::<String, _>("status")?, r.try_get("n")?);
        }
        Ok(p)
    }

    /// Stop a broadcast: no further firings, and its messages not yet
    /// handed to a link (paused ones too) are `cancelled` (final, never
    /// claimed). Those already with a link go on to be sent.
    pub async fn cancel_broadcast(&self, uuid: &str) -> Result<Broadcast> {
        let b = self.get_broadcast(uuid).await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE broadcasts SET status = 'cancelled', fire_on = NULL, modified_on = $1 \
             WHERE (id = $2 OR parent_id = $2) AND status IN ('pending', 'scheduled', 'recurring', 'queued', 'paused')",
        )
        .bind(now)
        .bind(b.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE msgs SET status = 'cancelled', failure_reason = 'broadcast cancelled', modified_on = $1 \
             WHERE status IN ('queued', 'errored', 'paused') AND broadcast_id IN \
             (SELECT id FROM broadcasts WHERE id = $2 OR parent_id = $2)",
        )
        .bind(now)
        .bind(b.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_broadcast(uuid).await
    }

    /// Broadcasts due to fire or be materialised.
    pub async fn due_broadcasts(&self, now: Millis) -> Result<Vec<DueFiring>> {
        firings::due(
            &self.pool,
            SendTable::Broadcasts,
            "'pending', 'scheduled', 'recurring'",
            now,
        )
        .await
    }

    /// Fire one occurrence of a recurring broadcast: a child broadcast to be
    /// materialised. Only the node whose update wins creates it.
    pub async fn fire_recurring(&self, id: i64, fired: Millis, next: Option<Millis>) -> Result<Option<i64>> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if !firings::advance(&mut tx, SendTable::Broadcasts, id, fired, next, now).await? {
            return Ok(None);
        }
        let child: i64 = sqlx::query(
            "INSERT INTO broadcasts (uuid, translations, base_language, recipients, schedule, respect_hours, status, \
             parent_id, fire_on, created_on, modified_on) \
             SELECT $1, translations, base_language, recipients, NULL, respect_hours, 'pending', id, $2, $2, $2 \
             FROM broadcasts WHERE id = $3 RETURNING id",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(Some(child))
    }

    /// Resolve a due broadcast's recipients and queue one message each.
    /// Returns `None` when another node already did.
    pub async fn materialize_broadcast(&self, id: i64, p: &MaterializeParams<'_>) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT translations, base_language, recipients, respect_hours FROM broadcasts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let translations: BTreeMap<String, String> =
            parse_json("translations", &row.try_get::<String, _>("translations")?)?;
        let base: String = row.try_get("base_language")?;
        let recipients: Recipients = parse_json("recipients", &row.try_get::<String, _>("recipients")?)?;
        let respect_hours = row.try_get::<i64, _>("respect_hours")? != 0;

        // Work that may write (contacts for new numbers) happens before the
        // transaction: on SQLite a second writer would wait on our lock.
        let ids = match self.resolve_recipients(&recipients, p.default_country).await? {
            Ok(ids) => ids,
            Err(e) => return self.fail_broadcast(id, &e).await.map(|_| None),
        };
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE broadcasts SET status = 'sending', modified_on = $1 WHERE id = $2 AND status IN ('pending', 'scheduled')",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(None);
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let mut out = Vec::with_capacity(ids.len());
        let mut tz_cache: HashMap<String, Tz> = HashMap::new();
        let mut seg_cache: HashMap<String, u32> = HashMap::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let sql = recipient_rows_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for cid in chunk {
                q = q.bind(*cid);
            }
            for r in q.fetch_all(&mut *tx).await? {
                if r.try_get::<String, _>("status")? != "active" {
                    continue;
                }
                let Some(urn) = r.try_get::<Option<String>, _>("urn")? else {
                    continue;
                };
                let lang: Option<String> = r.try_get("language")?;
                let text = lang
                    .as_ref()
                    .and_then(|l| translations.get(l))
                    .or_else(|| translations.get(&base))
                    .cloned()
                    .unwrap_or_default();
                let segs = *seg_cache
                    .entry(text.clone())
                    .or_insert_with(|| segments::count(&text).1);
                let tz = match r.try_get::<Option<String>, _>("timezone")? {
                    Some(name) => *tz_cache
                        .entry(name.clone())
                        .or_insert_with(|| name.parse().unwrap_or(p.default_tz)),
                    None => p.default_tz,
                };
                let path = urn.strip_prefix("tel:").unwrap_or(&urn);
                let due = if respect_hours {
                    p.hours.next_allowed(now, tz)
                } else {
                    now
                };
                // The reason shown while the message is held.
                let held_reason =
                    (due > now).then(|| format!("outside sending hours {} in {}", p.hours, tz.name()));
                out.push(NewOutMsg {
                    contact_id: Some(r.try_get("id")?),
                    route: (p.route)(path),
                    urn,
                    text,
                    priority: Priority::Bulk,
                    segments: segs,
                    next_attempt_on: due,
                    broadcast_id: Some(id),
                    held_reason,
                });
            }
        }
        // Deterministic order: by contact.
        out.sort_by_key(|m| m.contact_id);
        insert_out(&mut tx, &out).await?;
        // Nobody to send to is not an error: the firing is done, and says why.
        let (status, note) = if out.is_empty() {
            let why = self
                .why_nobody(&recipients, p.default_country, Reach::Text)
                .await?
                .unwrap_or_else(|| "no recipient could be reached when it fired".into());
            ("completed", Some(format!("{}: {why}", Reach::Text.nobody())))
        } else {
            ("queued", None)
        };
        sqlx::query(
            "UPDATE broadcasts SET status = $1, recipient_count = $2, note = $3, modified_on = $4 WHERE id = $5",
        )
        .bind(status)
        .bind(out.len() as i64)
        .bind(note)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(out.len() as i64))
    }

    async fn fail_broadcast(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE broadcasts SET status = 'failed', error = $1, modified_on = $2 WHERE id = $3")
            .bind(error)
            .bind(now_ms())
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}

/// A broadcast's texts: one in the base language, none empty.
pub fn check_texts(b: &NewBroadcast) -> Result<()> {
    if !b.translations.contains_key(&b.base_language) {
        return Err(StoreError::invalid(
            "text",
            format!("needs a text in the base language {:?}", b.base_language),
        ));
    }
    if b.translations.values().any(|t| t.trim().is_empty()) {
        return Err(StoreError::invalid("text", "must not be empty"));
    }
    Ok(())
}

/// Recipients as sending reads them (`n` ids bound from `$1`): status,
/// language, time zone and the `tel:` URN texted. A send's review reads
/// the same (see `preview`).
pub(super) fn recipient_rows_sql(n: usize) -> String {
    format!(
        "SELECT c.id, c.status, c.language, c.timezone, \
         (SELECT u.urn FROM contact_urns u WHERE u.contact_id = c.id AND u.urn LIKE 'tel:%' \
          ORDER BY u.priority DESC, u.id LIMIT 1) AS urn \
         FROM contacts c WHERE c.id IN ({})",
        in_list(0, n)
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn broadcast_row(r: &sqlx::any::AnyRow) -> Result<Broadcast> {
    let schedule: Option<String> = r.try_get("schedule")?;
    Ok(Broadcast {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        translations: parse_json("translations", &r.try_get::<String, _>("translations")?)?,
        base_language: r.try_get("base_language")?,
        recipients: parse_json("recipients", &r.try_get::<String, _>("recipients")?)?,
        schedule: schedule.map(|s| parse_json("schedule", &s)).transpose()?,
        respect_hours: r.try_get::<i64, _>("respect_hours")? != 0,
        state: super::sends::send_state(&r.try_get::<String, _>("status")?),
        status: r.try_get("status")?,
        parent: r.try_get("parent_uuid")?,
        next_fire: r.try_get::<Option<i64>, _>("fire_on")?.map(rfc3339),
        recipient_count: r.try_get("recipient_count")?,
        error: r.try_get("error")?,
        note: r.try_get("note")?,
        created_on: rfc3339(r.try_get("created_on")?),
        progress: BroadcastProgress::default(),
    })
}

/// Insert a broadcast row inside an open transaction; the scheduler sends
/// it. Returns its UUID.
pub(super) async fn insert_broadcast(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    b: &NewBroadcast,
    now: Millis,
) -> Result<String> {
    let (status, fire_on) = firings::first_firing(b.schedule.as_ref(), now)?;
    let uuid = Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO broadcasts (uuid, translations, base_language, recipients, schedule, respect_hours, status, \
         fire_on, created_on, modified_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&uuid)
    .bind(to_json(&b.translations))
    .bind(&b.base_language)
    .bind(to_json(&b.recipients))
    .bind(b.schedule.as_ref().map(to_json))
    .bind(b.respect_hours as i64)
    .bind(status)
    .bind(fire_on)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(uuid)
}
