//! Flow definitions as imported from RapidPro exports, and what ran: runs,
//! their results, and the counts a ministry officer reads per question.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{in_list, Paging, Result, Store, StoreError};
use crate::core::time::{now_ms, rfc3339, Millis};

/// A stored flow (the definition is read separately: it can be large).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FlowRow {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub name: String,
    #[serde(rename = "type")]
    pub flow_type: String,
    pub source: String,
    pub created_on: String,
    pub modified_on: String,
}

/// One flow to store: its identity and the definition as exported.
#[derive(Debug, Clone)]
pub struct NewFlow {
    pub uuid: String,
    pub name: String,
    pub flow_type: String,
    pub definition: String,
}

/// Which runs of a flow a listing or a count covers.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub after: Option<Millis>,
    pub before: Option<Millis>,
    /// Only contacts who are (now) members of this group.
    pub group_id: Option<i64>,
    /// `completed`, `waiting`, `expired`, `interrupted`, `failed`, or
    /// `incomplete` for anything not completed.
    pub status: Option<String>,
    /// Which runs of those a listing returns (counts ignore it).
    pub page: Paging,
}

/// A run as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunRow {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub flow: String,
    pub contact: String,
    pub contact_name: Option<String>,
    pub urn: Option<String>,
    pub status: String,
    pub responded: bool,
    pub results: BTreeMap<String, ResultRow>,
    pub created_on: String,
    pub modified_on: String,
    pub exited_on: Option<String>,
}

/// One saved result of a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResultRow {
    pub name: String,
    pub value: String,
    pub category: String,
    pub input: Option<String>,
    pub node_uuid: String,
    pub created_on: String,
}

/// Per result key: how many runs fell in each category.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResultSummary {
    pub key: String,
    pub name: String,
    pub total: i64,
    pub categories: Vec<CategoryCount>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CategoryCount {
    pub name: String,
    pub count: i64,
}

/// Run counts of a flow by status.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunCounts {
    pub total: i64,
    pub completed: i64,
    pub waiting: i64,
    pub expired: i64,
    pub interrupted: i64,
    pub failed: i64,
    pub responded: i64,
}

const FLOW_COLS: &str = "id, uuid, name, flow_type, source, created_on, modified_on";

fn flow_row(r: &sqlx::any::AnyRow) -> Result<FlowRow> {
    Ok(FlowRow {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        name: r.try_get("name")?,
        flow_type: r.try_get("flow_type")?,
        source: r.try_get("source")?,
        created_on: rfc3339(r.try_get("created_on")?),
        modified_on: rfc3339(r.try_get("modified_on")?),
    })
}

/// `WHERE` conditions (after `r.flow_uuid = $1`) and their bound values.
fn run_where(f: &RunFilter) -> (String, Vec<i64>, Option<String>) {
    let mut sql = String::new();
    let mut ints = Vec::new();
    let mut status = None;
    // Integer parameters are numbered after the flow UUID ($1) and the
    // optional status ($2 when present).
    let base = if f.status.is_some() { 2 } else { 1 };
    let next = |sql: &mut String, cond: &str, v: i64, ints: &mut Vec<i64>| {
        ints.push(v);
        sql.push_str(&cond.replace('?', &format!("${}", base + ints.len())));
    };
    if let Some(s) = &f.status {
        if s == "incomplete" {
            sql.push_str(" AND r.status <> $2");
            status = Some("completed".to_string());
        } else {
            sql.push_str(" AND r.status = $2");
            status = Some(s.clone());
        }
    }
    if let Some(a) = f.after {
        next(&mut sql, " AND r.created_on >= ?", a, &mut ints);
    }
    if let Some(b) = f.before {
        next(&mut sql, " AND r.created_on < ?", b, &mut ints);
    }
    if let Some(g) = f.group_id {
        next(
            &mut sql,
            " AND r.contact_id IN (SELECT contact_id FROM group_members WHERE group_id = ?)",
            g,
            &mut ints,
        );
    }
    (sql, ints, status)
}

impl Store {
    /// Insert or replace flows by UUID, in one transaction.
    pub async fn upsert_flows(&self, flows: &[NewFlow], source: &str) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        for f in flows {
            sqlx::query(
                "INSERT INTO flows (uuid, name, flow_type, definition, source, created_on, modified_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (uuid) DO UPDATE SET name = $2, \
                 flow_type = $3, definition = $4, source = $5, modified_on = $6",
            )
            .bind(&f.uuid)
            .bind(&f.name)
            .bind(&f.flow_type)
            .bind(&f.definition)
            .bind(source)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every flow, by name.
    pub async fn list_flows(&self) -> Result<Vec<FlowRow>> {
        let rows = sqlx::query(&format!("SELECT {FLOW_COLS} FROM flows ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(flow_row).collect()
    }

    /// A page of flows in id (import) order.
    pub async fn list_flows_page(&self, page: &Paging) -> Result<Vec<FlowRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {FLOW_COLS} FROM flows WHERE 1 = 1{}",
            page.sql("id")
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(flow_row).collect()
    }

    /// A flow by UUID or (case-insensitive) name.
    pub async fn get_flow(&self, r: &str) -> Result<FlowRow> {
        let row = sqlx::query(&format!(
            "SELECT {FLOW_COLS} FROM flows \
             WHERE uuid = $1 OR LOWER(name) = LOWER($1) ORDER BY uuid = $1 DESC LIMIT 1"
        ))
        .bind(r)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("flow {r}")))?;
        flow_row(&row)
    }

    /// Every stored flow definition (JSON text), for building assets.
    pub async fn flow_definitions(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT definition FROM flows ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("definition")?))
            .collect()
    }

    /// Changes whenever flows, fields or groups change: a cheap way for a
    /// node to notice that another node imported something.
    pub async fn assets_version(&self) -> Result<String> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM flows) AS nf, (SELECT COALESCE(MAX(modified_on), 0) FROM flows) AS mf, \
             (SELECT COUNT(*) FROM fields) AS nd, (SELECT COUNT(*) FROM contact_groups) AS ng, \
             (SELECT COALESCE(MAX(modified_on), 0) FROM contact_groups) AS mg",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |k: &str| -> Result<i64> { Ok(r.try_get::<i64, _>(k)?) };
        Ok(format!(
            "{}:{}:{}:{}:{}",
            n("nf")?,
            n("mf")?,
            n("nd")?,
            n("ng")?,
            n("mg")?
        ))
    }

    /// A page of a flow's runs with their results.
    pub async fn list_runs(&self, flow_uuid: &str, f: &RunFilter) -> Result<Vec<RunRow>> {
        self.runs_where("r.flow_uuid = $1", flow_uuid, f).await
    }

    /// A page of one contact's runs (of every flow) with their results.
    pub async fn contact_runs(&self, contact_uuid: &str, f: &RunFilter) -> Result<Vec<RunRow>> {
        self.runs_where("c.uuid = $1", contact_uuid, f).await
    }

    /// Runs where `lead` (naming `$1`, bound to `key`) and the filter hold.
    async fn runs_where(&self, lead: &str, key: &str, f: &RunFilter) -> Result<Vec<RunRow>> {
        let (cond, ints, status) = run_where(f);
        let sql = format!(
            "SELECT r.id, r.uuid, r.flow_uuid, c.uuid AS contact_uuid, c.name AS contact_name, \
             (SELECT u.urn FROM contact_urns u WHERE u.contact_id = c.id ORDER BY u.priority DESC, u.id LIMIT 1) AS urn, \
             r.status, r.responded, r.created_on, r.modified_on, r.exited_on \
             FROM runs r JOIN contacts c ON c.id = r.contact_id \
             WHERE {lead}{cond}{}",
            f.page.sql("r.id")
        );
        let mut q = sqlx::query(&sql).bind(key);
        if let Some(s) = &status {
            q = q.bind(s.clone());
        }
        for v in &ints {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(RunRow {
                id: r.try_get("id")?,
                uuid: r.try_get("uuid")?,
                flow: r.try_get("flow_uuid")?,
                contact: r.try_get("contact_uuid")?,
                contact_name: r.try_get("contact_name")?,
                urn: r.try_get("urn")?,
                status: r.try_get("status")?,
                responded: r.try_get::<i64, _>("responded")? != 0,
                results: BTreeMap::new(),
                created_on: rfc3339(r.try_get("created_on")?),
                modified_on: rfc3339(r.try_get("modified_on")?),
                exited_on: r.try_get::<Option<i64>, _>("exited_on")?.map(rfc3339),
            });
        }
        if out.is_empty() {
            return Ok(out);
        }
        let idx: BTreeMap<i64, usize> = out.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let ids: Vec<i64> = idx.keys().copied().collect();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT run_id, key, name, value, category, input, node_uuid, created_on FROM run_results \
                 WHERE run_id IN ({})",
                in_list(0, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let run: i64 = r.try_get("run_id")?;
                if let Some(i) = idx.get(&run) {
                    out[*i].results.insert(
                        r.try_get("key")?,
                        ResultRow {
                            name: r.try_get("name")?,
                            value: r.try_get("value")?,
                            category: r.try_get("category")?,
                            input: r.try_get("input")?,
                            node_uuid: r.try_get("node_uuid")?,
                            created_on: rfc3339(r.try_get("created_on")?),
                        },
                    );
                }
            }
        }
        Ok(out)
    }

    /// Runs of a flow by status, under the same filter as [`Store::list_runs`].
    pub async fn run_counts(&self, flow_uuid: &str, f: &RunFilter) -> Result<RunCounts> {
        let (cond, ints, status) = run_where(f);
        let sql = format!(
            "SELECT r.status, CAST(SUM(r.responded) AS BIGINT) AS responded, COUNT(*) AS n FROM runs r \
             WHERE r.flow_uuid = $1{cond} GROUP BY r.status"
        );
        let mut q = sqlx::query(&sql).bind(flow_uuid);
        if let Some(s) = &status {
            q = q.bind(s.clone());
        }
        for v in &ints {
            q = q.bind(*v);
        }
        let mut c = RunCounts::default();
        for r in q.fetch_all(&self.pool).await? {
            let n: i64 = r.try_get("n")?;
            let responded: Option<i64> = r.try_get("responded")?;
            c.total += n;
            c.responded += responded.unwrap_or(0);
            match r.try_get::<String, _>("status")?.as_str() {
                "completed" => c.completed += n,
                "waiting" | "active" => c.waiting += n,
                "expired" => c.expired += n,
                "interrupted" => c.interrupted += n,
                _ => c.failed += n,
            }
        }
        Ok(c)
    }

    /// For every result key of a flow, how many runs (under the filter) fell
    /// in each category, most frequent first.
    pub async fn result_summary(&self, flow_uuid: &str, f: &RunFilter) -> Result<Vec<ResultSummary>> {
        let (cond, ints, status) = run_where(f);
        let sql = format!(
            "SELECT x.key, MAX(x.name) AS name, x.category, COUNT(*) AS n FROM run_results x \
             JOIN runs r ON r.id = x.run_id WHERE r.flow_uuid = $1{cond} \
             GROUP BY x.key, x.category ORDER BY x.key, n DESC, x.category"
        );
        let mut q = sqlx::query(&sql).bind(flow_uuid);
        if let Some(s) = &status {
            q = q.bind(s.clone());
        }
        for v in &ints {
            q = q.bind(*v);
        }
        let mut out: Vec<ResultSummary> = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let key: String = r.try_get("key")?;
            let n: i64 = r.try_get("n")?;
            let cat = CategoryCount {
                name: r.try_get("category")?,
                count: n,
            };
            match out.last_mut() {
                Some(s) if s.key == key => {
                    s.total += n;
                    s.categories.push(cat);
                }
                _ => out.push(ResultSummary {
                    name: r
                        .try_get::<Option<String>, _>("name")?
                        .unwrap_or_else(|| key.clone()),
                    key,
                    total: n,
                    categories: vec![cat],
                }),
            }
        }
        Ok(out)
    }
}
