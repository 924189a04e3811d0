//! Static groups (members added and removed by hand) and smart groups
//! (members are exactly the contacts matching a query, kept current as
//! contacts change).

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::contacts::{add_member, load_page};
use super::{in_list, is_unique_violation, Paging, Result, Store, StoreError};
use crate::core::query::Query;
use crate::core::time::{now_ms, rfc3339};
use crate::core::Urn;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub query: Option<String>,
    pub count: i64,
    pub created_on: String,
}

/// Contacts evaluated per page when a smart group is (re)built.
const REBUILD_PAGE: i64 = 2000;

/// Longest group name: what an operator can read in a list and a flow
/// editor shows in full.
const MAX_NAME: usize = 64;

/// A group's name as stored (trimmed), or why it cannot be one. The same
/// rule for a new group and a renamed one.
fn group_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(StoreError::invalid(
            "name",
            format!("must be 1-{MAX_NAME} characters (not only spaces)"),
        ));
    }
    Ok(name)
}

const GROUP_COLS: &str = "g.id, g.uuid, g.name, g.query, g.created_on, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS n";

impl Store {
    /// Every group, by name.
    pub async fn list_groups(&self) -> Result<Vec<Group>> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM contact_groups g ORDER BY g.name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_row).collect()
    }

    /// A page of groups in id (creation) order.
    pub async fn list_groups_page(&self, page: &Paging) -> Result<Vec<Group>> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM contact_groups g WHERE 1 = 1{}",
            page.sql("g.id")
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_row).collect()
    }

    /// A group by UUID or by name.
    pub async fn get_group(&self, r: &str) -> Result<Group> {
        let row = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM contact_groups g WHERE g.uuid = $1 OR g.name = $1"
        ))
        .bind(r)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("group {r}")))?;
        group_row(&row)
    }

    pub async fn create_group(&self, name: &str, query: Option<&str>) -> Result<Group> {
        self.create_group_with_uuid(&Uuid::new_v4().to_string(), name, query)
            .await
    }

    /// Create a group keeping the UUID it has elsewhere (a RapidPro export
    /// whose flows refer to it by UUID).
    pub async fn create_group_with_uuid(&self, uuid: &str, name: &str, query: Option<&str>) -> Result<Group> {
        let name = group_name(name)?;
        let parsed = self.check_smart_query(query).await?;
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let res = sqlx::query(
            "INSERT INTO contact_groups (uuid, name, query, created_on, modified_on) VALUES ($1, $2, $3, $4, $4) \
             RETURNING id",
        )
        .bind(uuid)
        .bind(name)
        .bind(query)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match res {
            Ok(r) => r.try_get("id")?,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!("a group named {name:?} exists")))
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(q) = parsed {
            self.rebuild_smart_group(&mut tx, id, &q).await?;
        }
        tx.commit().await?;
        self.get_group(name).await
    }

    pub async fn update_group(&self, r: &str, name: Option<&str>, query: Option<&str>) -> Result<Group> {
        let g = self.get_group(r).await?;
        if query.is_some() && g.query.is_none() {
            return Err(StoreError::invalid(
                "query",
                "a static group cannot become a smart group",
            ));
        }
        let new_name = match name {
            Some(n) => group_name(n)?.to_string(),
            None => g.name.clone(),
        };
        let parsed = self.check_smart_query(query).await?;
        let mut tx = self.begin_write().await?;
        let res =
            sqlx::query("UPDATE contact_groups SET name = $1, query = $2, modified_on = $3 WHERE id = $4")
                .bind(&new_name)
                .bind(query.or(g.query.as_deref()))
                .bind(now_ms())
                .bind(g.id)
                .execute(&mut *tx)
                .await;
        if let Err(e) = res {
            if is_unique_violation(&e) {
                return Err(StoreError::Conflict(format!("a group named {new_name:?} exists")));
            }
            return Err(e.into());
        }
        if let Some(q) = parsed {
            self.rebuild_smart_group(&mut tx, g.id, &q).await?;
        }
        tx.commit().await?;
        self.get_group(&g.uuid).await
    }

    pub async fn delete_group(&self, r: &str) -> Result<()> {
        let g = self.get_group(r).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(g.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM contact_groups WHERE id = $1")
            .bind(g.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Add (or with `remove`, take out) contacts of a static group, each
    /// named by its UUID or by a URN or phone number it owns (a phone
    /// written as people write it, read with `default_country`).
    pub async fn change_members(
        &self,
        r: &str,
        contact_refs: &[String],
        remove: bool,
        default_country: Option<&str>,
    ) -> Result<Group> {
        let g = self.get_group(r).await?;
        if g.query.is_some() {
            return Err(StoreError::invalid(
                "group",
                "members of a smart group follow its query",
            ));
        }
        let mut ids = Vec::with_capacity(contact_refs.len());
        for (i, u) in contact_refs.iter().enumerate() {
            ids.push(self.member_ref(i, u.trim(), default_country).await?);
        }
        let mut tx = self.begin_write().await?;
        for id in ids {
            if remove {
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2")
                    .bind(g.id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                add_member(&mut tx, g.id, id).await?;
            }
        }
        tx.commit().await?;
        self.get_group(&g.uuid).await
    }

    /// The contact `u` names: a UUID, or a URN / phone number it owns.
    async fn member_ref(&self, i: usize, u: &str, default_country: Option<&str>) -> Result<i64> {
        let no_such = || StoreError::invalid(format!("contacts[{i}]"), format!("no contact {u}"));
        if Uuid::parse_str(u).is_ok() {
            return self.contact_id(u).await.map_err(|_| no_such());
        }
        let urn = Urn::parse(u, default_country)
            .map_err(|e| StoreError::invalid(format!("contacts[{i}]"), e.to_string()))?;
        match self.contact_by_urn(&urn).await? {
            Some(c) => Ok(c.id),
            None => Err(no_such()),
        }
    }

    /// Contact ids of all members of the given groups.
    pub async fn group_member_ids(&self, group_ids: &[i64]) -> Result<Vec<i64>> {
        if group_ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT DISTINCT contact_id FROM group_members WHERE group_id IN ({}) ORDER BY contact_id",
            in_list(0, group_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for g in group_ids {
            q = q.bind(*g);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("contact_id")?))
            .collect()
    }

    async fn check_smart_query(&self, query: Option<&str>) -> Result<Option<Query>> {
        let Some(q) = query else { return Ok(None) };
        let parsed = Query::parse(q).map_err(|e| StoreError::invalid("query", e.to_string()))?;
        parsed
            .check(&self.field_types().await?, true)
            .map_err(|e| StoreError::invalid("query", e.to_string()))?;
        Ok(Some(parsed))
    }

    async fn rebuild_smart_group(&self, tx: &mut Transaction<'_, Any>, gid: i64, q: &Query) -> Result<()> {
        let types = self.field_types().await?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(gid)
            .execute(&mut **tx)
            .await?;
        let mut after = 0i64;
        loop {
            let page = load_page(
                tx,
                &format!("WHERE id > $1 ORDER BY id LIMIT {REBUILD_PAGE}"),
                vec![after],
            )
            .await?;
            let Some(last) = page.last() else { break };
            after = last.rec.id;
            for c in page.iter().filter(|c| q.matches(&c.view(), &types)) {
                add_member(tx, gid, c.rec.id).await?;
            }
        }
        Ok(())
    }
}

fn group_row(r: &sqlx::any::AnyRow) -> Result<Group> {
    Ok(Group {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        name: r.try_get("name")?,
        query: r.try_get("query")?,
        count: r.try_get("n")?,
        created_on: rfc3339(r.try_get("created_on")?),
    })
}
