//! Bulk contact import, which is also how a roster is imported again: each
//! row is matched to a known contact by any of its URNs or by its external
//! id and updates it (name, language, time zone, the fields it gives, the
//! groups it names, URNs it adds), or else creates a contact. One
//! transaction; every row is checked before anything is written, and a bad
//! row refuses the whole import with every bad row listed, so nothing is
//! half-imported.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::contacts::{
    add_member, external_id, record, refresh_smart_groups, ContactRecord, NewContact, CONTACT_COLS, NEEDS_URN,
};
use super::{in_list, placeholders, Problem, Result, Store, StoreError, INSERT_CHUNK};
use crate::core::contact::{FieldType, FieldValue};
use crate::core::query::{ContactView, Query};
use crate::core::time::now_ms;
use crate::core::Urn;

/// Most contacts one import may carry (a district's workforce at a time).
pub const MAX_IMPORT: usize = 100_000;

/// Most problems a refusal lists: enough to fix a file by, and a bounded
/// answer when every row of a large file is wrong (the count says how many
/// there were in all).
const MAX_LISTED: usize = 1000;

/// What an import did, row by row in input order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub contacts: Vec<ImportedContact>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportedContact {
    pub uuid: String,
    /// `created`, or `updated` for a row that matched a known contact.
    pub action: &'static str,
}

/// A row that passed its own checks.
struct Checked {
    new: NewContact,
    external_id: Option<String>,
    urns: Vec<String>,
    /// Fields to set; `None` clears one (a JSON null or empty text, as in
    /// `PATCH /contacts`).
    fields: BTreeMap<String, Option<serde_json::Value>>,
    groups: Vec<i64>,
}

/// Where a row goes.
enum Target {
    Create(String),
    Update(ContactRecord),
}

/// Problems by row: a row's own checks and its matching are separate
/// passes, and the answer lists them in row order.
#[derive(Default)]
struct Problems {
    listed: Vec<(usize, Problem)>,
    total: usize,
}

impl Problems {
    fn add(&mut self, row: usize, field: String, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push((
                row,
                Problem {
                    field,
                    message: message.into(),
                },
            ));
        }
    }

    fn into_error(mut self) -> StoreError {
        self.listed.sort_by_key(|(row, _)| *row);
        StoreError::Refused {
            problems: self.listed.into_iter().map(|(_, p)| p).collect(),
            total: self.total,
        }
    }
}

impl Store {
    /// Import contacts, creating the new and updating the known; see the
    /// module doc.
    pub async fn import_contacts(
        &self,
        rows: Vec<NewContact>,
        default_country: Option<&str>,
    ) -> Result<ImportReport> {
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

        let mut problems = Problems::default();
        let checked = check_rows(rows, default_country, &types, &static_groups, &mut problems);
        // Matching reads inside the write transaction, so what it found is
        // still so when the rows are written.
        let mut tx = self.begin_write().await?;
        let targets = match_known(&mut tx, &checked, &mut problems).await?;
        if problems.total > 0 {
            tx.rollback().await?;
            return Err(problems.into_error());
        }

        let now = now_ms();
        let creates: Vec<(&Checked, &str)> = checked
            .iter()
            .zip(&targets)
            .filter_map(|(c, t)| match t {
                Target::Create(uuid) => Some((c, uuid.as_str())),
                Target::Update(_) => None,
            })
            .collect();
        for chunk in creates.chunks(INSERT_CHUNK) {
            insert_new(&mut tx, chunk, &smart, &types, now).await?;
        }
        for (c, t) in checked.iter().zip(&targets) {
            if let Target::Update(cur) = t {
                update_known(&mut tx, c, cur, &types, now).await?;
            }
        }
        tx.commit().await?;

        let contacts: Vec<ImportedContact> = targets
            .into_iter()
            .map(|t| match t {
                Target::Create(uuid) => ImportedContact {
                    uuid,
                    action: "created",
                },
                Target::Update(cur) => ImportedContact {
                    uuid: cur.uuid,
                    action: "updated",
                },
            })
            .collect();
        let created = contacts.iter().filter(|c| c.action == "created").count();
        Ok(ImportReport {
            created,
            updated: contacts.len() - created,
            contacts,
        })
    }
}

/// Each row's own checks (URNs, external id, fields, groups, time zone, and
/// what appears twice in the file); a row with problems is still returned,
/// so the rows after it are checked too.
fn check_rows(
    rows: Vec<NewContact>,
    default_country: Option<&str>,
    types: &HashMap<String, FieldType>,
    static_groups: &HashMap<String, i64>,
    problems: &mut Problems,
) -> Vec<Checked> {
    let mut urn_rows: HashMap<String, usize> = HashMap::new();
    let mut external_rows: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, new) in rows.into_iter().enumerate() {
        let at = |f: &str| format!("contacts[{i}].{f}");
        let mut urns = Vec::new();
        for (j, u) in new.urns.iter().enumerate() {
            match Urn::parse(u, default_country) {
                Ok(urn) => {
                    let urn = urn.to_string();
                    match urn_rows.get(&urn) {
                        Some(k) => problems.add(
                            i,
                            at(&format!("urns[{j}]")),
                            format!("{urn} is also in contacts[{k}]"),
                        ),
                        None => {
                            urn_rows.insert(urn.clone(), i);
                            urns.push(urn);
                        }
                    }
                }
                Err(e) => problems.add(i, at(&format!("urns[{j}]")), e.to_string()),
            }
        }
        let external = match external_id(new.external_id.as_deref()) {
            Ok(Some(x)) => match external_rows.get(x) {
                Some(k) => {
                    problems.add(i, at("external_id"), format!("{x:?} is also in contacts[{k}]"));
                    None
                }
                None => {
                    external_rows.insert(x.to_string(), i);
                    Some(x.to_string())
                }
            },
            Ok(None) => None,
            Err(m) => {
                problems.add(i, at("external_id"), m);
                None
            }
        };
        let mut fields = BTreeMap::new();
        for (k, v) in &new.fields {
            let Some(ty) = types.get(k) else {
                problems.add(
                    i,
                    at(&format!("fields.{k}")),
                    "unknown field (create it with POST /api/v1/fields)",
                );
                continue;
            };
            if v.is_null() || v.as_str() == Some("") {
                fields.insert(k.clone(), None);
                continue;
            }
            match FieldValue::coerce(k, *ty, v) {
                Ok(val) => {
                    fields.insert(k.clone(), Some(val.to_json()));
                }
                Err(e) => problems.add(i, at(&format!("fields.{k}")), e.to_string()),
            }
        }
        let mut groups = Vec::new();
        for (j, g) in new.groups.iter().enumerate() {
            match static_groups.get(g) {
                Some(id) => groups.push(*id),
                None => problems.add(i, at(&format!("groups[{j}]")), format!("no static group {g:?}")),
            }
        }
        if let Some(tz) = &new.timezone {
            if tz.parse::<chrono_tz::Tz>().is_err() {
                problems.add(i, at("timezone"), format!("unknown time zone {tz:?}"));
            }
        }
        out.push(Checked {
            new,
            external_id: external,
            urns,
            fields,
            groups,
        });
    }
    out
}

/// The known contact each row matches (by any URN or its external id), or
/// a new UUID. A row matching two different contacts, a contact two rows
/// match, an external id that contradicts the contact's, and a new contact
/// without a URN are problems.
async fn match_known(
    tx: &mut Transaction<'_, Any>,
    rows: &[Checked],
    problems: &mut Problems,
) -> Result<Vec<Target>> {
    let urns: Vec<&str> = rows
        .iter()
        .flat_map(|r| r.urns.iter().map(String::as_str))
        .collect();
    let externals: Vec<&str> = rows.iter().filter_map(|r| r.external_id.as_deref()).collect();
    let by_urn = lookup(
        tx,
        "SELECT urn AS k, contact_id AS id FROM contact_urns WHERE urn",
        &urns,
    )
    .await?;
    let by_external = lookup(
        tx,
        "SELECT external_id AS k, id FROM contacts WHERE external_id",
        &externals,
    )
    .await?;
    let ids: Vec<i64> = by_urn
        .values()
        .chain(by_external.values())
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut known: HashMap<i64, ContactRecord> = HashMap::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let sql = format!(
            "SELECT {CONTACT_COLS} FROM contacts WHERE id IN ({})",
            in_list(0, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            let rec = record(&r)?;
            known.insert(rec.id, rec);
        }
    }

    let mut claimed: HashMap<i64, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at = |f: &str| format!("contacts[{i}].{f}");
        // (contact id, what matched it)
        let mut matches: Vec<(i64, String)> = row
            .urns
            .iter()
            .filter_map(|u| by_urn.get(u).map(|id| (*id, u.clone())))
            .collect();
        if let Some(x) = &row.external_id {
            if let Some(id) = by_external.get(x) {
                matches.push((*id, format!("external id {x:?}")));
            }
        }
        let distinct: BTreeSet<i64> = matches.iter().map(|(id, _)| *id).collect();
        let target = match distinct.len() {
            0 => {
                if row.urns.is_empty() && row.new.urns.is_empty() {
                    problems.add(i, at("urns"), NEEDS_URN);
                }
                Target::Create(Uuid::new_v4().to_string())
            }
            1 => {
                let id = matches[0].0;
                let Some(cur) = known.get(&id) else {
                    return Err(StoreError::Corrupt(format!(
                        "contact #{id} vanished during an import"
                    )));
                };
                if let Some(k) = claimed.insert(id, i) {
                    problems.add(
                        i,
                        at("urns"),
                        format!("matches contact {} as contacts[{k}] does", cur.uuid),
                    );
                }
                if let (Some(theirs), Some(ours)) = (&cur.external_id, &row.external_id) {
                    if theirs != ours {
                        problems.add(
                            i,
                            at("external_id"),
                            format!(
                                "{} belongs to contact {} whose external id is {theirs:?}, not {ours:?}",
                                matches[0].1, cur.uuid
                            ),
                        );
                    }
                }
                Target::Update(cur.clone())
            }
            _ => {
                let how: Vec<String> = matches
                    .iter()
                    .map(|(id, what)| {
                        let uuid = known.get(id).map(|c| c.uuid.as_str()).unwrap_or("?");
                        format!("{what} is contact {uuid}")
                    })
                    .collect();
                problems.add(
                    i,
                    at("urns"),
                    format!(
                        "matches {} different contacts: {}",
                        distinct.len(),
                        how.join(", ")
                    ),
                );
                Target::Create(String::new())
            }
        };
        out.push(target);
    }
    Ok(out)
}

/// `key → id` for the keys present, `select` ending in the column that
/// `IN (...)` follows.
async fn lookup(tx: &mut Transaction<'_, Any>, select: &str, keys: &[&str]) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(INSERT_CHUNK) {
        let sql = format!("{select} IN ({})", in_list(0, chunk.len()));
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.insert(r.try_get("k")?, r.try_get("id")?);
        }
    }
    Ok(out)
}

/// New contacts, their URNs and memberships, a chunk at a time in
/// multi-row statements (smart groups evaluated here, not per contact).
async fn insert_new(
    tx: &mut Transaction<'_, Any>,
    chunk: &[(&Checked, &str)],
    smart: &[(i64, Query)],
    types: &HashMap<String, FieldType>,
    now: i64,
) -> Result<()> {
    const COLS: usize = 8;
    let fields: Vec<BTreeMap<String, serde_json::Value>> = chunk
        .iter()
        .map(|(c, _)| {
            c.fields
                .iter()
                .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                .collect()
        })
        .collect();
    let values: Vec<String> = (0..chunk.len()).map(|i| placeholders(i * COLS, COLS)).collect();
    let sql = format!(
        "INSERT INTO contacts (uuid, external_id, name, language, timezone, fields, created_on, modified_on) \
         VALUES {}",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for ((c, uuid), f) in chunk.iter().zip(&fields) {
        q = q
            .bind(*uuid)
            .bind(c.external_id.as_deref())
            .bind(c.new.name.as_deref())
            .bind(c.new.language.as_deref())
            .bind(c.new.timezone.as_deref())
            .bind(serde_json::to_string(f).unwrap_or_else(|_| "{}".into()))
            .bind(now)
            .bind(now);
    }
    q.execute(&mut **tx).await?;
    let sql = format!(
        "SELECT id, uuid FROM contacts WHERE uuid IN ({})",
        in_list(0, chunk.len())
    );
    let mut q = sqlx::query(&sql);
    for (_, uuid) in chunk {
        q = q.bind(*uuid);
    }
    let ids: HashMap<String, i64> = q
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("uuid")?, r.try_get("id")?)))
        .collect::<Result<_>>()?;
    let mut urn_rows: Vec<(i64, &str, i64)> = Vec::new();
    let mut members: Vec<(i64, i64)> = Vec::new();
    for ((c, uuid), f) in chunk.iter().zip(&fields) {
        let id = *ids
            .get(*uuid)
            .ok_or_else(|| StoreError::Corrupt("imported contact vanished".into()))?;
        for (k, u) in c.urns.iter().enumerate() {
            urn_rows.push((id, u.as_str(), (c.urns.len() - k) as i64));
        }
        members.extend(c.groups.iter().map(|g| (*g, id)));
        let view = ContactView {
            uuid,
            name: c.new.name.as_deref(),
            language: c.new.language.as_deref(),
            status: "active",
            urns: &c.urns,
            fields: f,
            groups: &[],
            tickets: 0,
        };
        for (gid, q) in smart {
            if q.matches(&view, types) {
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
        q.execute(&mut **tx).await?;
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
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A known contact updated from its row: what the row gives replaces what
/// the contact had, what it leaves out is kept; its new URNs are added after
/// the contact's own, and its groups joined (an import removes no URN and
/// no membership).
async fn update_known(
    tx: &mut Transaction<'_, Any>,
    row: &Checked,
    cur: &ContactRecord,
    types: &HashMap<String, FieldType>,
    now: i64,
) -> Result<()> {
    let mut fields = cur.fields.clone();
    for (k, v) in &row.fields {
        match v {
            Some(v) => fields.insert(k.clone(), v.clone()),
            None => fields.remove(k),
        };
    }
    sqlx::query(
        "UPDATE contacts SET name = $1, language = $2, timezone = $3, fields = $4, external_id = $5, \
         modified_on = $6 WHERE id = $7",
    )
    .bind(row.new.name.as_deref().or(cur.name.as_deref()))
    .bind(row.new.language.as_deref().or(cur.language.as_deref()))
    .bind(row.new.timezone.as_deref().or(cur.timezone.as_deref()))
    .bind(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into()))
    .bind(row.external_id.as_deref().or(cur.external_id.as_deref()))
    .bind(now)
    .bind(cur.id)
    .execute(&mut **tx)
    .await?;
    let have: Vec<String> = sqlx::query("SELECT urn FROM contact_urns WHERE contact_id = $1")
        .bind(cur.id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("urn"))
        .collect::<std::result::Result<_, _>>()?;
    let lowest: i64 =
        sqlx::query("SELECT COALESCE(MIN(priority), 1) AS p FROM contact_urns WHERE contact_id = $1")
            .bind(cur.id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("p")?;
    for (k, u) in row.urns.iter().filter(|u| !have.contains(u)).enumerate() {
        sqlx::query("INSERT INTO contact_urns (contact_id, urn, priority) VALUES ($1, $2, $3)")
            .bind(cur.id)
            .bind(u)
            .bind(lowest - 1 - k as i64)
            .execute(&mut **tx)
            .await?;
    }
    for g in &row.groups {
        add_member(tx, *g, cur.id).await?;
    }
    refresh_smart_groups(tx, cur.id, types).await
}
