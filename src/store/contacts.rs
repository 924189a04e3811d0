//! Contacts, their URNs and typed custom fields.

use std::collections::{BTreeMap, HashMap};

use sqlx::{Any, AnyConnection, Row, Transaction};
use uuid::Uuid;

use super::sessions::{waiting, WaitingSession, WAITING_COLS};
use super::{
    in_list, is_unique_violation, parse_enum, parse_json, Dialect, Paging, Result, Store, StoreError,
};
use crate::core::contact::{Contact, ContactStatus, FieldType, FieldValue};
use crate::core::query::{ContactView, Query};
use crate::core::time::{now_ms, rfc3339};
use crate::core::Urn;

/// Contacts read per page when a query is evaluated over all of them.
const SCAN_PAGE: i64 = 2000;

/// Why a new contact without a URN is refused: nothing could reach it, and
/// no inbound message could ever find it.
pub(super) const NEEDS_URN: &str = "a contact needs at least one URN (phone number)";

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// The id another system knows the contact by (unique when set).
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub urns: Vec<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, serde_json::Value>,
    /// Static groups, by name or UUID.
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// `""` clears it.
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub status: Option<ContactStatus>,
    pub urns: Option<Vec<String>>,
    /// Fields to set; a JSON null clears one.
    #[serde(default)]
    pub fields: BTreeMap<String, serde_json::Value>,
    pub groups: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub query: Option<Query>,
    pub group_id: Option<i64>,
    pub page: Paging,
}

#[derive(Clone)]
pub(super) struct ContactRecord {
    pub id: i64,
    pub uuid: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub status: String,
    pub fields: BTreeMap<String, serde_json::Value>,
    pub created_on: i64,
    pub modified_on: i64,
}

pub(super) const CONTACT_COLS: &str =
    "id, uuid, external_id, name, language, timezone, status, fields, created_on, modified_on";

pub(super) fn record(row: &sqlx::any::AnyRow) -> Result<ContactRecord> {
    Ok(ContactRecord {
        id: row.try_get("id")?,
        uuid: row.try_get("uuid")?,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        language: row.try_get("language")?,
        timezone: row.try_get("timezone")?,
        status: row.try_get("status")?,
        fields: parse_json("contact fields", &row.try_get::<String, _>("fields")?)?,
        created_on: row.try_get("created_on")?,
        modified_on: row.try_get("modified_on")?,
    })
}

/// A page of contacts with their URNs and group names, for evaluating queries.
pub(super) struct Loaded {
    pub rec: ContactRecord,
    pub urns: Vec<String>,
    pub groups: Vec<String>,
}

impl Loaded {
    pub fn view(&self) -> ContactView<'_> {
        ContactView {
            uuid: &self.rec.uuid,
            name: self.rec.name.as_deref(),
            language: self.rec.language.as_deref(),
            status: &self.rec.status,
            urns: &self.urns,
            fields: &self.rec.fields,
            groups: &self.groups,
            tickets: 0,
        }
    }

    fn into_contact(self) -> Result<Contact> {
        Ok(Contact {
            id: self.rec.id,
            uuid: Uuid::parse_str(&self.rec.uuid).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            external_id: self.rec.external_id,
            name: self.rec.name,
            language: self.rec.language,
            timezone: self.rec.timezone,
            status: parse_enum(&self.rec.status)?,
            urns: self
                .urns
                .iter()
                .filter_map(|u| Urn::parse(u, None).ok())
                .collect(),
            fields: self.rec.fields,
            groups: self.groups,
            created_on: rfc3339(self.rec.created_on),
            modified_on: rfc3339(self.rec.modified_on),
        })
    }
}

pub(super) async fn load_page(
    conn: &mut AnyConnection,
    where_sql: &str,
    binds: Vec<i64>,
) -> Result<Vec<Loaded>> {
    let sql = format!("SELECT {CONTACT_COLS} FROM contacts {where_sql}");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(*b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out: Vec<Loaded> = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Loaded {
            rec: record(r)?,
            urns: vec![],
            groups: vec![],
        });
    }
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = out.iter().map(|l| l.rec.id).collect();
    let idx: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for chunk in ids.chunks(500) {
        let list = in_list(0, chunk.len());
        let sql = format!(
            "SELECT contact_id, urn FROM contact_urns WHERE contact_id IN ({list}) ORDER BY priority DESC, id"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let cid: i64 = r.try_get("contact_id")?;
            if let Some(i) = idx.get(&cid) {
                out[*i].urns.push(r.try_get("urn")?);
            }
        }
        let sql = format!(
            "SELECT m.contact_id, g.name FROM group_members m JOIN contact_groups g ON g.id = m.group_id \
             WHERE m.contact_id IN ({list}) ORDER BY g.name"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let cid: i64 = r.try_get("contact_id")?;
            if let Some(i) = idx.get(&cid) {
                out[*i].groups.push(r.try_get("name")?);
            }
        }
    }
    Ok(out)
}

/// One contact's URNs (by priority) and group names (by name) in one round
/// trip: the inbound path loads a contact per message.
async fn load_urns_and_groups(conn: &mut AnyConnection, rec: ContactRecord) -> Result<Loaded> {
    let rows = sqlx::query(
        "SELECT 0 AS k, urn AS v, priority AS p, id FROM contact_urns WHERE contact_id = $1 \
         UNION ALL SELECT 1, g.name, 0, 0 FROM group_members m JOIN contact_groups g ON g.id = m.group_id \
         WHERE m.contact_id = $1 ORDER BY 1, 3 DESC, 4, 2",
    )
    .bind(rec.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut loaded = Loaded {
        rec,
        urns: vec![],
        groups: vec![],
    };
    for r in &rows {
        let v: String = r.try_get("v")?;
        match r.try_get::<i64, _>("k")? {
            0 => loaded.urns.push(v),
            _ => loaded.groups.push(v),
        }
    }
    Ok(loaded)
}

impl Store {
    /// The contact that owns `urn`, if any, in two queries.
    pub async fn contact_by_urn(&self, urn: &Urn) -> Result<Option<Contact>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {CONTACT_COLS} FROM contacts WHERE id = (SELECT contact_id FROM contact_urns WHERE urn = $1)"
        ))
        .bind(urn.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(r) => Ok(Some(
                load_urns_and_groups(&mut conn, record(&r)?)
                    .await?
                    .into_contact()?,
            )),
            None => Ok(None),
        }
    }

    /// The contact that owns `urn`, with its URNs, groups and waiting
    /// session, in one query: what the inbound path needs per message.
    pub async fn contact_by_urn_with_waiting(
        &self,
        urn: &Urn,
    ) -> Result<Option<(Contact, Option<WaitingSession>)>> {
        // URNs by priority and groups by name, as `load_urns_and_groups`
        // orders them, aggregated into JSON arrays.
        let (urns, groups) = match self.dialect {
            Dialect::Sqlite => (
                "(SELECT json_group_array(x.urn ORDER BY x.priority DESC, x.id) FROM contact_urns x \
                 WHERE x.contact_id = c.id)",
                "(SELECT json_group_array(g.name ORDER BY g.name) FROM group_members m \
                 JOIN contact_groups g ON g.id = m.group_id WHERE m.contact_id = c.id)",
            ),
            Dialect::Postgres => (
                "(SELECT COALESCE(json_agg(x.urn ORDER BY x.priority DESC, x.id), '[]')::text \
                 FROM contact_urns x WHERE x.contact_id = c.id)",
                "(SELECT COALESCE(json_agg(g.name ORDER BY g.name), '[]')::text FROM group_members m \
                 JOIN contact_groups g ON g.id = m.group_id WHERE m.contact_id = c.id)",
            ),
        };
        let sql = format!(
            "SELECT c.id, c.uuid, c.external_id, c.name, c.language, c.timezone, c.status, c.fields, c.created_on, \
             c.modified_on, {urns} AS urns, {groups} AS group_names, {WAITING_COLS} \
             FROM contact_urns u JOIN contacts c ON c.id = u.contact_id \
             LEFT JOIN sessions s ON s.contact_id = c.id AND s.status = 'waiting' WHERE u.urn = $1"
        );
        let Some(r) = sqlx::query(&sql)
            .bind(urn.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let contact = Loaded {
            rec: record(&r)?,
            urns: parse_json("contact urns", &r.try_get::<String, _>("urns")?)?,
            groups: parse_json("contact groups", &r.try_get::<String, _>("group_names")?)?,
        }
        .into_contact()?;
        Ok(Some((contact, waiting(&r)?)))
    }

    pub async fn field_types(&self) -> Result<HashMap<String, FieldType>> {
        let rows = sqlx::query("SELECT key, value_type FROM fields")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("key")?,
                    parse_enum(&r.try_get::<String, _>("value_type")?)?,
                ))
            })
            .collect()
    }

    pub async fn list_fields(&self) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query("SELECT key, name, value_type FROM fields ORDER BY key")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "key": r.try_get::<String, _>("key")?,
                    "name": r.try_get::<String, _>("name")?,
                    "type": r.try_get::<String, _>("value_type")?,
                }))
            })
            .collect()
    }

    /// Create a field, or confirm one that exists with the same type.
    pub async fn ensure_field(&self, key: &str, name: &str, ty: FieldType) -> Result<()> {
        let valid = !key.is_empty()
            && key.len() <= 36
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && key.starts_with(|c: char| c.is_ascii_lowercase());
        if !valid {
            return Err(StoreError::invalid(
                "key",
                "must be 1-36 characters of a-z, 0-9 and _, starting with a letter",
            ));
        }
        if [
            "name", "language", "status", "tel", "urn", "uuid", "group", "has", "and", "or", "not",
        ]
        .contains(&key)
        {
            return Err(StoreError::invalid("key", format!("{key:?} is reserved")));
        }
        let existing = sqlx::query("SELECT value_type FROM fields WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(r) = existing {
            let have: String = r.try_get("value_type")?;
            if have != ty.as_str() {
                return Err(StoreError::Conflict(format!(
                    "field {key:?} exists with type {have}"
                )));
            }
            return Ok(());
        }
        sqlx::query("INSERT INTO fields (key, name, value_type, created_on) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(name)
            .bind(ty.as_str())
            .bind(now_ms())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn get_contact(&self, uuid: &str) -> Result<Contact> {
        let id = self.contact_id(uuid).await?;
        self.get_contact_by_id(id).await
    }

    pub async fn contact_id(&self, uuid: &str) -> Result<i64> {
        sqlx::query("SELECT id FROM contacts WHERE uuid = $1")
            .bind(uuid)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>("id"))
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("contact {uuid}")))
    }

    pub async fn get_contact_by_id(&self, id: i64) -> Result<Contact> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("contact #{id}")))?;
        load_urns_and_groups(&mut conn, record(&row)?)
            .await?
            .into_contact()
    }

    /// A page of contacts in id order (either way), filtered by group and
    /// query. The query is evaluated here, so rows are scanned
    /// `SCAN_PAGE` at a time until the page is full.
    pub async fn list_contacts(&self, f: &ContactFilter) -> Result<Vec<Contact>> {
        let types = self.field_types().await?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        let mut scan = f.page;
        while (out.len() as i64) < f.page.limit {
            let (group, binds) = match f.group_id {
                Some(g) => (
                    " AND id IN (SELECT contact_id FROM group_members WHERE group_id = $1)",
                    vec![g],
                ),
                None => ("", vec![]),
            };
            let sql = format!(
                "WHERE 1 = 1{}{group}{}",
                scan.bounds("id"),
                scan.order_limit_n("id", SCAN_PAGE)
            );
            let page = load_page(&mut conn, &sql, binds).await?;
            let Some(last) = page.last() else { break };
            scan = scan.past(last.rec.id);
            for l in page {
                if f.query.as_ref().is_none_or(|q| q.matches(&l.view(), &types)) {
                    out.push(l.into_contact()?);
                    if out.len() as i64 >= f.page.limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Ids of every contact matching `query` (all statuses).
    pub async fn query_contact_ids(&self, query: &Query) -> Result<Vec<i64>> {
        let types = self.field_types().await?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let page = load_page(
                &mut conn,
                &format!("WHERE id > $1 ORDER BY id LIMIT {SCAN_PAGE}"),
                vec![after],
            )
            .await?;
            let Some(last) = page.last() else { break };
            after = last.rec.id;
            out.extend(
                page.iter()
                    .filter(|l| query.matches(&l.view(), &types))
                    .map(|l| l.rec.id),
            );
        }
        Ok(out)
    }

    pub async fn create_contact(&self, new: NewContact, default_country: Option<&str>) -> Result<Contact> {
        if new.urns.is_empty() {
            return Err(StoreError::invalid("urns", NEEDS_URN));
        }
        let types = self.field_types().await?;
        let fields = coerce_fields(&types, &new.fields, &BTreeMap::new())?;
        let urns = parse_urns(&new.urns, default_country)?;
        validate_tz(new.timezone.as_deref())?;
        let external_id =
            external_id(new.external_id.as_deref()).map_err(|m| StoreError::invalid("external_id", m))?;
        let mut tx = self.begin_write().await?;
        let group_ids = self.static_group_ids(&mut tx, &new.groups).await?;
        let now = now_ms();
        let uuid = Uuid::new_v4().to_string();
        let id: i64 = sqlx::query(
            "INSERT INTO contacts (uuid, external_id, name, language, timezone, status, fields, created_on, \
             modified_on) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7) RETURNING id",
        )
        .bind(&uuid)
        .bind(external_id)
        .bind(new.name.as_deref())
        .bind(new.language.as_deref())
        .bind(new.timezone.as_deref())
        .bind(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into()))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| external_id_taken(e, external_id))?
        .try_get("id")?;
        insert_urns(&mut tx, id, &urns).await?;
        for g in group_ids {
            add_member(&mut tx, g, id).await?;
        }
        refresh_smart_groups(&mut tx, id, &types).await?;
        tx.commit().await?;
        self.get_contact_by_id(id).await
    }

    pub async fn update_contact(
        &self,
        uuid: &str,
        patch: ContactPatch,
        default_country: Option<&str>,
    ) -> Result<Contact> {
        let id = self.contact_id(uuid).await?;
        let types = self.field_types().await?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let cur = record(&row)?;
        let fields = coerce_fields(&types, &patch.fields, &cur.fields)?;
        validate_tz(patch.timezone.as_deref())?;
        let urns = match &patch.urns {
            Some(u) => Some(parse_urns(u, default_country)?),
            None => None,
        };
        let group_ids = match &patch.groups {
            Some(g) => Some(self.static_group_ids(&mut tx, g).await?),
            None => None,
        };
        let external = match patch.external_id.as_deref() {
            Some(given) => external_id(Some(given)).map_err(|m| StoreError::invalid("external_id", m))?,
            None => cur.external_id.as_deref(),
        };
        sqlx::query(
            "UPDATE contacts SET name = $1, language = $2, timezone = $3, status = $4, fields = $5, modified_on = $6, \
             external_id = $7 WHERE id = $8",
        )
        .bind(patch.name.or(cur.name))
        .bind(patch.language.or(cur.language))
        .bind(patch.timezone.or(cur.timezone))
        .bind(patch.status.map(|s| s.as_str().to_string()).unwrap_or(cur.status))
        .bind(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into()))
        .bind(now_ms())
        .bind(external)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| external_id_taken(e, external))?;
        if let Some(urns) = urns {
            sqlx::query("DELETE FROM contact_urns WHERE contact_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_urns(&mut tx, id, &urns).await?;
        }
        if let Some(gids) = group_ids {
            sqlx::query(
                "DELETE FROM group_members WHERE contact_id = $1 \
                 AND group_id IN (SELECT id FROM contact_groups WHERE query IS NULL)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            for g in gids {
                add_member(&mut tx, g, id).await?;
            }
        }
        refresh_smart_groups(&mut tx, id, &types).await?;
        tx.commit().await?;
        self.get_contact_by_id(id).await
    }

    pub async fn delete_contact(&self, uuid: &str) -> Result<()> {
        let id = self.contact_id(uuid).await?;
        let mut tx = self.begin_write().await?;
        // Queued messages to a deleted contact are failed, not sent.
        sqlx::query(
            "UPDATE msgs SET status = 'failed', failure_reason = 'contact deleted', modified_on = $1 \
             WHERE contact_id = $2 AND status IN ('queued', 'errored', 'paused')",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // URNs and memberships go with the contact (ON DELETE CASCADE) and
        // its message history stays, unlinked (ON DELETE SET NULL).
        sqlx::query("DELETE FROM contacts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The contact owning `urn`, created (active, no name) if none does.
    /// Returns the contact and whether it was created.
    pub async fn find_or_create_by_urn(&self, urn: &Urn, language: Option<&str>) -> Result<(Contact, bool)> {
        for _ in 0..3 {
            if let Some(c) = self.contact_by_urn(urn).await? {
                return Ok((c, false));
            }
            let types = self.field_types().await?;
            let mut tx = self.begin_write().await?;
            let now = now_ms();
            let id: i64 = sqlx::query(
                "INSERT INTO contacts (uuid, language, status, fields, created_on, modified_on) \
                 VALUES ($1, $2, 'active', '{}', $3, $3) RETURNING id",
            )
            .bind(Uuid::new_v4().to_string())
            .bind(language)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            match insert_urns(&mut tx, id, std::slice::from_ref(urn)).await {
                Ok(()) => {
                    refresh_smart_groups(&mut tx, id, &types).await?;
                    tx.commit().await?;
                    return Ok((self.get_contact_by_id(id).await?, true));
                }
                // Another message from the same phone won the race: use theirs.
                Err(StoreError::Conflict(_)) => {
                    tx.rollback().await?;
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict(format!(
            "could not create a contact for {urn}"
        )))
    }

    pub async fn set_contact_status(&self, id: i64, status: ContactStatus) -> Result<()> {
        sqlx::query("UPDATE contacts SET status = $1, modified_on = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now_ms())
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn count_contacts(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM contacts")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    async fn static_group_ids(&self, tx: &mut Transaction<'_, Any>, refs: &[String]) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        for (i, g) in refs.iter().enumerate() {
            let row = sqlx::query("SELECT id, query FROM contact_groups WHERE uuid = $1 OR name = $1")
                .bind(g)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::invalid(format!("groups[{i}]"), format!("no group {g:?}")))?;
            if row.try_get::<Option<String>, _>("query")?.is_some() {
                return Err(StoreError::invalid(
                    format!("groups[{i}]"),
                    format!("{g:?} is a smart group; its members follow its query"),
                ));
            }
            ids.push(row.try_get("id")?);
        }
        Ok(ids)
    }
}

/// Longest external id: HR systems' staff numbers and registry ids are far
/// shorter; anything longer is a pasted row, not an id.
const MAX_EXTERNAL_ID: usize = 100;

/// An external id as stored: trimmed, `None` when blank.
pub(super) fn external_id(given: Option<&str>) -> std::result::Result<Option<&str>, String> {
    match given.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if e.chars().count() > MAX_EXTERNAL_ID => {
            Err(format!("must be at most {MAX_EXTERNAL_ID} characters"))
        }
        other => Ok(other),
    }
}

/// A unique violation on writing `external_id` means another contact has it.
fn external_id_taken(e: sqlx::Error, external: Option<&str>) -> StoreError {
    match external {
        Some(x) if is_unique_violation(&e) => {
            StoreError::Conflict(format!("external id {x:?} belongs to another contact"))
        }
        _ => e.into(),
    }
}

fn validate_tz(tz: Option<&str>) -> Result<()> {
    match tz {
        Some(t) if t.parse::<chrono_tz::Tz>().is_err() => Err(StoreError::invalid(
            "timezone",
            format!("unknown time zone {t:?}"),
        )),
        _ => Ok(()),
    }
}

fn parse_urns(raw: &[String], default_country: Option<&str>) -> Result<Vec<Urn>> {
    raw.iter()
        .enumerate()
        .map(|(i, u)| {
            Urn::parse(u, default_country)
                .map_err(|e| StoreError::invalid(format!("urns[{i}]"), e.to_string()))
        })
        .collect()
}

/// Merge `changes` over `current`, coercing each value to its field type.
fn coerce_fields(
    types: &HashMap<String, FieldType>,
    changes: &BTreeMap<String, serde_json::Value>,
    current: &BTreeMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, serde_json::Value>> {
    let mut out = current.clone();
    for (k, v) in changes {
        let ty = types.get(k).ok_or_else(|| {
            StoreError::invalid(
                format!("fields.{k}"),
                "unknown field (create it with POST /api/v1/fields)",
            )
        })?;
        if v.is_null() || v.as_str() == Some("") {
            out.remove(k);
            continue;
        }
        let val = FieldValue::coerce(k, *ty, v)
            .map_err(|e| StoreError::invalid(format!("fields.{k}"), e.to_string()))?;
        out.insert(k.clone(), val.to_json());
    }
    Ok(out)
}

async fn insert_urns(tx: &mut Transaction<'_, Any>, contact_id: i64, urns: &[Urn]) -> Result<()> {
    for (i, u) in urns.iter().enumerate() {
        let res = sqlx::query("INSERT INTO contact_urns (contact_id, urn, priority) VALUES ($1, $2, $3)")
            .bind(contact_id)
            .bind(u.to_string())
            .bind((urns.len() - i) as i64)
            .execute(&mut **tx)
            .await;
        if let Err(e) = res {
            if is_unique_violation(&e) {
                return Err(StoreError::Conflict(format!(
                    "URN {u} belongs to another contact"
                )));
            }
            return Err(e.into());
        }
    }
    Ok(())
}

pub(super) async fn add_member(tx: &mut Transaction<'_, Any>, group_id: i64, contact_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO group_members (group_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(group_id)
        .bind(contact_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Re-evaluate every smart group for one contact, so membership follows
/// field changes immediately.
pub(super) async fn refresh_smart_groups(
    tx: &mut Transaction<'_, Any>,
    contact_id: i64,
    types: &HashMap<String, FieldType>,
) -> Result<()> {
    let groups = sqlx::query("SELECT id, query FROM contact_groups WHERE query IS NOT NULL")
        .fetch_all(&mut **tx)
        .await?;
    if groups.is_empty() {
        return Ok(());
    }
    let mut page = load_page(tx, "WHERE id = $1", vec![contact_id]).await?;
    let Some(c) = page.pop() else { return Ok(()) };
    for g in groups {
        let gid: i64 = g.try_get("id")?;
        let q: String = g.try_get("query")?;
        let Ok(query) = Query::parse(&q) else { continue };
        if query.matches(&c.view(), types) {
            add_member(tx, gid, contact_id).await?;
        } else {
            sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2")
                .bind(gid)
                .bind(contact_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Changes a flow made to its contact, applied in the flow's transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub status: Option<ContactStatus>,
    /// Field values as text; `None` clears the field.
    pub fields: BTreeMap<String, Option<String>>,
    /// The contact's URNs after the flow, when it changed them.
    pub urns: Option<Vec<Urn>>,
    /// Static groups by name.
    pub groups_added: Vec<String>,
    pub groups_removed: Vec<String>,
}

impl ContactChanges {
    pub fn is_empty(&self) -> bool {
        *self == ContactChanges::default()
    }
}

/// Apply a flow's contact changes inside its transaction. Values that do not
/// fit their field's type, unknown groups and URNs owned by someone else are
/// skipped with a warning: the flow already moved on, and the rest of its
/// work must not be lost over one value.
pub(super) async fn apply_changes(
    tx: &mut Transaction<'_, Any>,
    contact_id: i64,
    ch: &ContactChanges,
    types: &HashMap<String, FieldType>,
) -> Result<()> {
    if ch.is_empty() {
        return Ok(());
    }
    let row = sqlx::query(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = $1"))
        .bind(contact_id)
        .fetch_one(&mut **tx)
        .await?;
    let cur = record(&row)?;
    let mut fields = cur.fields.clone();
    for (k, v) in &ch.fields {
        let Some(ty) = types.get(k) else {
            tracing::warn!(field = %k, "flow set an unknown field; ignored");
            continue;
        };
        match v {
            None => {
                fields.remove(k);
            }
            Some(text) if text.trim().is_empty() => {
                fields.remove(k);
            }
            Some(text) => match FieldValue::coerce(k, *ty, &serde_json::Value::String(text.clone())) {
                Ok(val) => {
                    fields.insert(k.clone(), val.to_json());
                }
                Err(e) => tracing::warn!(error = %e, "flow field value not saved"),
            },
        }
    }
    let timezone = match &ch.timezone {
        Some(t) if t.is_empty() => None,
        Some(t) if t.parse::<chrono_tz::Tz>().is_ok() => Some(t.clone()),
        _ => cur.timezone.clone(),
    };
    let language = match &ch.language {
        Some(l) if l.is_empty() => None,
        Some(l) => Some(l.clone()),
        None => cur.language.clone(),
    };
    sqlx::query(
        "UPDATE contacts SET name = $1, language = $2, timezone = $3, status = $4, fields = $5, modified_on = $6 \
         WHERE id = $7",
    )
    .bind(ch.name.clone().or(cur.name))
    .bind(language)
    .bind(timezone)
    .bind(ch.status.map(|s| s.as_str().to_string()).unwrap_or(cur.status))
    .bind(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into()))
    .bind(now_ms())
    .bind(contact_id)
    .execute(&mut **tx)
    .await?;
    if let Some(urns) = &ch.urns {
        let have: Vec<String> = sqlx::query("SELECT urn FROM contact_urns WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("urn"))
            .collect::<std::result::Result<_, _>>()?;
        for (i, u) in urns.iter().enumerate() {
            let text = u.to_string();
            let priority = (urns.len() - i) as i64;
            if have.contains(&text) {
                sqlx::query("UPDATE contact_urns SET priority = $1 WHERE urn = $2")
                    .bind(priority)
                    .bind(&text)
                    .execute(&mut **tx)
                    .await?;
                continue;
            }
            let taken = sqlx::query("SELECT contact_id FROM contact_urns WHERE urn = $1")
                .bind(&text)
                .fetch_optional(&mut **tx)
                .await?;
            if taken.is_some() {
                tracing::warn!(urn = %text, "flow added a URN owned by another contact; ignored");
                continue;
            }
            sqlx::query("INSERT INTO contact_urns (contact_id, urn, priority) VALUES ($1, $2, $3)")
                .bind(contact_id)
                .bind(&text)
                .bind(priority)
                .execute(&mut **tx)
                .await?;
        }
        let keep: Vec<String> = urns.iter().map(|u| u.to_string()).collect();
        for old in have.iter().filter(|h| !keep.contains(h)) {
            sqlx::query("DELETE FROM contact_urns WHERE urn = $1 AND contact_id = $2")
                .bind(old)
                .bind(contact_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    for (names, remove) in [(&ch.groups_added, false), (&ch.groups_removed, true)] {
        for name in names {
            let g =
                sqlx::query("SELECT id FROM contact_groups WHERE LOWER(name) = LOWER($1) AND query IS NULL")
                    .bind(name)
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some(g) = g else {
                tracing::warn!(group = %name, "flow changed membership of an unknown or smart group; ignored");
                continue;
            };
            let gid: i64 = g.try_get("id")?;
            if remove {
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2")
                    .bind(gid)
                    .bind(contact_id)
                    .execute(&mut **tx)
                    .await?;
            } else {
                add_member(tx, gid, contact_id).await?;
            }
        }
    }
    refresh_smart_groups(tx, contact_id, types).await
}
