//! Messages: inbound records and the outbox.
//!
//! The outbox protocol: a row is inserted `queued` before anyone sends it. A
//! dispatcher claims rows (`wired`, stamped with its node) in small batches,
//! hands them to a link and records the outcome. Rows left `wired` by a node
//! that stopped are reconciled against the link at its restart (or by a
//! surviving node once its heartbeat is stale), so a message is neither lost
//! nor silently sent twice.

use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::{in_list, placeholders, Dialect, Paging, Result, Store, StoreError, INSERT_CHUNK};
use crate::core::time::{now_ms, rfc3339, Millis};
use crate::core::{HandledBy, OutMsg, Priority, Urn};

/// Bound parameters per multi-row statement on SQLite. sqlx finds each
/// `$N` through `sqlite3_bind_parameter_name`, a linear scan, so binding
/// one statement costs the square of its parameters: at 500 rows a
/// statement that lookup was most of the CPU time of a 60,000-message
/// broadcast's materialisation and a sixth of a full-speed SMPP drain
/// (perf; docs/PERFORMANCE.md). A few hundred keeps statements few and
/// the lookup small.
pub(super) const SQLITE_PARAMS: usize = 300;

/// Rows per multi-row statement of `cols` columns in this dialect.
pub(super) fn rows_per_statement(dialect: Dialect, cols: usize) -> usize {
    match dialect {
        Dialect::Sqlite => (SQLITE_PARAMS / cols).max(1),
        Dialect::Postgres => INSERT_CHUNK,
    }
}

/// Whether an earlier message of the same priority to the same number as
/// outbound row `m` is still unsent: wired, errored (its retry comes first),
/// or queued and due at `now` (a placeholder). A queued message not due yet
/// (held for sending hours) does not count: holding it lets later ones go
/// first. Replies and bulk are not ordered against each other, so a
/// broadcast held overnight never holds back a conversation.
///
/// One probe of `msgs_unsent_by_urn` per candidate row; a broadcast to
/// distinct numbers finds an empty range each time. `LIMIT 1 OFFSET 0`
/// keeps PostgreSQL from turning the test into an anti-join: on a young
/// table it estimates one candidate row and then rescans every unsent row
/// of the priority per candidate (1.2 s per claim at 13,000 queued, where
/// the probe costs two buffer reads).
pub(super) fn unsent_before(now: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM msgs e WHERE e.urn = m.urn AND e.priority = m.priority AND e.id < m.id \
         AND e.status IN ('queued', 'errored', 'wired') AND (e.status <> 'queued' OR e.next_attempt_on <= {now}) \
         LIMIT 1 OFFSET 0)"
    )
}

/// The queued messages behind `id` (same number and priority), which now
/// waits for its retry at `until`, are not due before it either: out of the
/// due range, a claim does not test them again and again while they cannot
/// go (a second broadcast behind a first one's retries would otherwise cost
/// each claim a probe per blocked row for up to the longest backoff). Not
/// their `modified_on`: they did not change state.
async fn defer_behind(tx: &mut Transaction<'_, Any>, id: i64, until: Millis) -> Result<()> {
    sqlx::query(
        "UPDATE msgs SET next_attempt_on = $1 WHERE id IN (SELECT l.id FROM msgs f, msgs l \
         WHERE f.id = $2 AND f.status = 'errored' AND l.urn = f.urn AND l.priority = f.priority \
         AND l.id > f.id AND l.status IN ('queued', 'errored', 'wired') AND l.status = 'queued' \
         AND l.next_attempt_on < $1)",
    )
    .bind(until)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewOutMsg {
    pub contact_id: Option<i64>,
    pub urn: String,
    pub text: String,
    pub priority: Priority,
    pub segments: u32,
    pub route: String,
    pub next_attempt_on: Millis,
    pub broadcast_id: Option<i64>,
    /// Why `next_attempt_on` is later than now (outside sending hours), for
    /// the API to show while the message is held.
    pub held_reason: Option<String>,
}

/// A claimed message and the link it was claimed for.
#[derive(Debug, Clone)]
pub struct ClaimedMsg {
    pub msg: OutMsg,
    pub link: String,
}

/// The result of one send, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent {
        external_id: Option<String>,
    },
    /// Temporary failure: try again at `next_attempt_on`.
    Retry {
        reason: String,
        next_attempt_on: Millis,
    },
    Failed {
        reason: String,
    },
    /// Put back without counting an attempt (never reached the link).
    Requeue {
        note: Option<String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct MsgFilter {
    pub direction: Option<String>,
    pub status: Option<String>,
    pub contact_id: Option<i64>,
    pub broadcast_id: Option<i64>,
    pub urn: Option<String>,
    /// Only inbound messages nothing answered ([`HandledBy::None`]).
    pub unmatched: bool,
    pub page: Paging,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MsgRow {
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub direction: String,
    pub contact: Option<String>,
    /// The contact's name, when it has one.
    pub contact_name: Option<String>,
    pub urn: String,
    pub text: String,
    pub status: String,
    /// What answered an inbound message once it is handled (see
    /// [`HandledBy`]); `None` on outbound ones and older inbound ones.
    pub handled_by: Option<String>,
    pub priority: String,
    pub segments: i64,
    pub link: Option<String>,
    pub external_id: Option<String>,
    pub failure_reason: Option<String>,
    pub attempts: i64,
    pub broadcast: Option<String>,
    pub created_on: String,
    pub wired_on: Option<String>,
    pub sent_on: Option<String>,
    pub delivered_on: Option<String>,
    pub modified_on: String,
    /// When an unsent outbound message goes (held) or is tried again
    /// (errored); `None` once it is sent or failed.
    pub next_attempt_on: Option<String>,
    /// Why an unsent outbound message is not going now (held for sending
    /// hours, no usable link, behind an earlier message); see
    /// `dispatch::waiting`.
    pub waiting_reason: Option<String>,
    /// What `waiting_reason` is made from.
    #[serde(skip)]
    pub waiting: Waiting,
}

#[cfg(test)]
impl MsgRow {
    /// A row for unit tests: message `id` to or from one number, in
    /// `status`, nothing else set.
    pub fn example(id: i64, direction: &str, status: &str) -> MsgRow {
        MsgRow {
            id,
            uuid: format!("m{id}"),
            direction: direction.into(),
            contact: None,
            contact_name: None,
            urn: "tel:+255712345678".into(),
            text: "hi".into(),
            status: status.into(),
            handled_by: None,
            priority: "bulk".into(),
            segments: 1,
            link: None,
            external_id: None,
            failure_reason: None,
            attempts: 0,
            broadcast: None,
            created_on: rfc3339(0),
            wired_on: None,
            sent_on: None,
            delivered_on: None,
            modified_on: rfc3339(0),
            next_attempt_on: None,
            waiting_reason: None,
            waiting: Waiting::default(),
        }
    }
}

/// The stored facts behind an unsent message's `waiting_reason`.
#[derive(Debug, Clone, Default)]
pub struct Waiting {
    pub route: Option<String>,
    pub next_attempt_on: Option<Millis>,
    pub held_reason: Option<String>,
    /// An earlier message of its priority to the same number is unsent, so
    /// this one is not claimed yet (see `unsent_before`).
    pub behind: bool,
}

/// The columns of a [`MsgRow`]; `now` is the placeholder bound to the
/// current time.
fn row_cols(now: &str) -> String {
    format!(
        "m.id, m.uuid, m.direction, c.uuid AS contact_uuid, c.name AS contact_name, m.urn, m.text, m.status, m.handled_by, m.priority, \
         m.segments, m.link, m.external_id, m.failure_reason, m.attempts, b.uuid AS broadcast_uuid, m.created_on, \
         m.wired_on, m.sent_on, m.delivered_on, m.modified_on, m.route, m.next_attempt_on, m.held_reason, \
         CASE WHEN m.status IN ('queued', 'errored') AND {} THEN 1 ELSE 0 END AS behind, \
         CASE WHEN m.status = 'queued' THEN (SELECT MAX(e.next_attempt_on) FROM msgs e WHERE e.urn = m.urn \
         AND e.priority = m.priority AND e.id < m.id AND e.status IN ('queued', 'errored', 'wired') \
         AND (e.status = 'errored' OR (e.status = 'queued' AND e.held_reason IS NULL))) END AS behind_until",
        unsent_before(now)
    )
}

const ROW_FROM: &str =
    "msgs m LEFT JOIN contacts c ON c.id = m.contact_id LEFT JOIN broadcasts b ON b.id = m.broadcast_id";

/// The condition (`?` for the bound status) and the stored status a
/// message list is filtered by, for a `status` as the API shows it: `held`
/// and `queued` are both stored `queued`; held is one not due at `$1` for
/// its own sake (sending hours), not because it waits behind an earlier
/// message (the rule `dispatch::waiting` shows).
fn status_condition(status: &str) -> (String, &str) {
    let held = format!(
        "m.next_attempt_on > $1 AND (m.held_reason IS NOT NULL OR NOT {})",
        unsent_before("$1")
    );
    match status {
        "held" => (format!("m.status = ? AND {held}"), "queued"),
        "queued" => (format!("m.status = ? AND NOT ({held})"), "queued"),
        other => ("m.status = ?".to_string(), other),
    }
}

fn msg_row(r: &sqlx::any::AnyRow) -> Result<MsgRow> {
    let opt_time = |k: &str| -> Result<Option<String>> { Ok(r.try_get::<Option<i64>, _>(k)?.map(rfc3339)) };
    Ok(MsgRow {
        id: r.try_get("id")?,
        uuid: r.try_get("uuid")?,
        direction: r.try_get("direction")?,
        contact: r.try_get("contact_uuid")?,
        contact_name: r.try_get("contact_name")?,
        urn: r.try_get("urn")?,
        text: r.try_get("text")?,
        status: r.try_get("status")?,
        handled_by: r.try_get("handled_by")?,
        priority: Priority::from_i64(r.try_get("priority")?)
            .as_str_name()
            .to_string(),
        segments: r.try_get("segments")?,
        link: r.try_get("link")?,
        external_id: r.try_get("external_id")?,
        failure_reason: r.try_get("failure_reason")?,
        attempts: r.try_get("attempts")?,
        broadcast: r.try_get("broadcast_uuid")?,
        created_on: rfc3339(r.try_get("created_on")?),
        wired_on: opt_time("wired_on")?,
        sent_on: opt_time("sent_on")?,
        delivered_on: opt_time("delivered_on")?,
        modified_on: rfc3339(r.try_get("modified_on")?),
        next_attempt_on: None,
        waiting_reason: None,
        waiting: Waiting {
            route: r.try_get("route")?,
            // Not before the retry of an earlier message it waits behind,
            // even when the two were stored in transactions that did not
            // see each other (the store lifts it then, see `defer_behind`
            // and `defer_new_behind`, but only for what it saw).
            next_attempt_on: match (
                r.try_get::<Option<Millis>, _>("next_attempt_on")?,
                r.try_get::<Option<Millis>, _>("behind_until")?,
            ) {
                (Some(own), Some(until)) => Some(own.max(until)),
                (own, _) => own,
            },
            held_reason: r.try_get("held_reason")?,
            behind: r.try_get::<i64, _>("behind")? != 0,
        },
    })
}

impl Priority {
    fn as_str_name(self) -> &'static str {
        match self {
            Priority::Bulk => "bulk",
            Priority::Reply => "reply",
        }
    }
}

fn out_msg(r: &sqlx::any::AnyRow) -> Result<OutMsg> {
    let urn: String = r.try_get("urn")?;
    let uuid: String = r.try_get("uuid")?;
    Ok(OutMsg {
        id: r.try_get("id")?,
        uuid: Uuid::parse_str(&uuid).map_err(|e| StoreError::Corrupt(format!("msg uuid: {e}")))?,
        urn: Urn::from_stored(&urn).map_err(|e| StoreError::Corrupt(format!("msg urn: {e}")))?,
        text: r.try_get("text")?,
        segments: r.try_get::<i64, _>("segments")?.max(1) as u32,
        priority: Priority::from_i64(r.try_get("priority")?),
        attempts: r.try_get::<i64, _>("attempts")?.max(0) as u32,
    })
}

/// Insert outbound rows inside an open transaction; returns their ids.
pub(super) async fn insert_out(tx: &mut Transaction<'_, Any>, msgs: &[NewOutMsg]) -> Result<Vec<i64>> {
    const COLS: usize = 14;
    let now = now_ms();
    let mut ids = Vec::with_capacity(msgs.len());
    let dialect = match tx.backend_name() {
        "SQLite" => Dialect::Sqlite,
        _ => Dialect::Postgres,
    };
    for chunk in msgs.chunks(rows_per_statement(dialect, COLS)) {
        let values: Vec<String> = (0..chunk.len()).map(|i| placeholders(i * COLS, COLS)).collect();
        let sql = format!(
            "INSERT INTO msgs (uuid, direction, contact_id, urn, text, status, priority, segments, route, \
             next_attempt_on, broadcast_id, held_reason, created_on, modified_on) VALUES {} RETURNING id",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q
                .bind(Uuid::new_v4().to_string())
                .bind("out")
                .bind(m.contact_id)
                .bind(m.urn.as_str())
                .bind(m.text.as_str())
                .bind("queued")
                .bind(m.priority as i64)
                .bind(m.segments.max(1) as i64)
                .bind(m.route.as_str())
                .bind(m.next_attempt_on)
                .bind(m.broadcast_id)
                .bind(m.held_reason.as_deref())
                .bind(now)
                .bind(now);
        }
        let first = ids.len();
        for r in q.fetch_all(&mut **tx).await? {
            ids.push(r.try_get("id")?);
        }
        defer_new_behind(tx, &ids[first..]).await?;
    }
    Ok(ids)
}

/// New rows queued behind an earlier message to the same number that waits
/// for its retry (or is queued behind one that does) are not due before it:
/// what `defer_behind` does for the rows already queued when that message
/// failed. A message held for sending hours is not waited for (see
/// [`unsent_before`]): a held broadcast never holds back a later one.
/// One probe of `msgs_unsent_by_urn` per new row; a broadcast to distinct
/// numbers finds an empty range each time.
async fn defer_new_behind(tx: &mut Transaction<'_, Any>, ids: &[i64]) -> Result<()> {
    let (Some(lo), Some(hi)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(());
    };
    let later =
        "SELECT MAX(e.next_attempt_on) FROM msgs e WHERE e.urn = msgs.urn AND e.priority = msgs.priority \
                 AND e.id < msgs.id AND e.status IN ('queued', 'errored', 'wired') AND e.status <> 'wired' \
                 AND (e.status = 'errored' OR e.held_reason IS NULL)";
    sqlx::query(&format!(
        "UPDATE msgs SET next_attempt_on = ({later}) WHERE id BETWEEN $1 AND $2 AND status = 'queued' \
         AND next_attempt_on < ({later})"
    ))
    .bind(*lo)
    .bind(*hi)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An inbound message to persist, not yet acted on: `node` is the one that
/// will act on it (after a restart too).
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub contact_id: i64,
    /// Stored form (`Urn::to_string`).
    pub urn: &'a str,
    pub text: &'a str,
    pub link: &'a str,
    pub external_id: Option<&'a str>,
    pub received_on: Millis,
    /// Kept in `failure_reason`: what is wrong with a message that was
    /// stored anyway (a concatenated message with parts missing).
    pub note: Option<&'a str>,
    pub node: &'a str,
}

/// An inbound message persisted but not yet acted on.
#[derive(Debug, Clone)]
pub struct PendingInbound {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub urn: Urn,
    pub text: String,
    pub external_id: Option<String>,
}

/// Mark inbound messages handled (`by` what) inside a writer's
/// transaction; a no-op for any that already were.
pub(super) async fn mark_handled_in(
    tx: &mut Transaction<'_, Any>,
    ids: &[i64],
    now: Millis,
    by: HandledBy,
) -> Result<()> {
    for chunk in ids.chunks(SQLITE_PARAMS - 2) {
        let sql = format!(
            "UPDATE msgs SET status = 'handled', handled_by = $2, modified_on = $1 \
             WHERE status = 'pending' AND id IN ({})",
            in_list(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(now).bind(by.as_str());
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts one inbound message as `pending` (see [`NewInbound`]), in the
/// caller's transaction or on the writer.
pub(super) async fn insert_inbound_row<'e, E>(e: E, m: &NewInbound<'_>) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(insert_inbound_rows(e, std::slice::from_ref(m)).await?[0])
}

/// Inserts inbound messages as `pending` in one statement; their ids in
/// order. At most [`SQLITE_PARAMS`] / 12 at a time.
pub(super) async fn insert_inbound_rows<'e, E>(e: E, ms: &[NewInbound<'_>]) -> Result<Vec<i64>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    const COLS: usize = 12;
    assert!(ms.len() * COLS <= SQLITE_PARAMS, "inbound rows in one statement");
    let rows: Vec<String> = (0..ms.len()).map(|k| placeholders(k * COLS, COLS)).collect();
    let sql = format!(
        "INSERT INTO msgs (uuid, direction, contact_id, urn, text, status, link, external_id, failure_reason, \
         created_on, modified_on, node) VALUES {} RETURNING id, uuid",
        rows.join(", ")
    );
    let now = now_ms();
    let uuids: Vec<String> = ms.iter().map(|_| Uuid::new_v4().to_string()).collect();
    let mut q = sqlx::query(&sql);
    for (m, uuid) in ms.iter().zip(&uuids) {
        q = q
            .bind(uuid.as_str())
            .bind("in")
            .bind(m.contact_id)
            .bind(m.urn)
            .bind(m.text)
            .bind("pending")
            .bind(m.link)
            .bind(m.external_id)
            .bind(m.note)
            .bind(m.received_on)
            .bind(now)
            .bind(m.node);
    }
    let mut ids = std::collections::HashMap::with_capacity(ms.len());
    for r in q.fetch_all(e).await? {
        ids.insert(r.try_get::<String, _>("uuid")?, r.try_get::<i64, _>("id")?);
    }
    uuids
        .iter()
        .map(|u| {
            ids.get(u)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("inbound message {u} not returned by its insert")))
        })
        .collect()
}

impl Store {
    /// Persist outbound messages; after this returns they will be sent.
    pub async fn queue_msgs(&self, msgs: &[NewOutMsg]) -> Result<Vec<i64>> {
        self.queue_msgs_handling(msgs, None).await
    }

    /// Persist outbound messages and, in the same transaction, mark the
    /// inbound message they answer as handled (by a trigger's reply), so a
    /// restart neither loses nor repeats the answer.
    pub async fn queue_msgs_handling(&self, msgs: &[NewOutMsg], handled: Option<i64>) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let ids = insert_out(&mut tx, msgs).await?;
        if let Some(id) = handled {
            mark_handled_in(&mut tx, &[id], now_ms(), HandledBy::Trigger).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Mark an inbound message acted on (see [`MsgStatus::Pending`]).
    ///
    /// [`MsgStatus::Pending`]: crate::core::MsgStatus::Pending
    pub async fn mark_handled(&self, id: i64, by: HandledBy) -> Result<()> {
        let mut tx = self.begin_write().await?;
        mark_handled_in(&mut tx, &[id], now_ms(), by).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inbound messages this node persisted and has not acted on yet, oldest
    /// first: what a crash left between the carrier's ack and the flow.
    pub async fn pending_inbound(&self, node: &str) -> Result<Vec<PendingInbound>> {
        let rows = sqlx::query(
            "SELECT id, contact_id, urn, text, external_id FROM msgs \
             WHERE status = 'pending' AND direction = 'in' AND node = $1 ORDER BY id",
        )
        .bind(node)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let urn: String = r.try_get("urn")?;
                Ok(PendingInbound {
                    id: r.try_get("id")?,
                    contact_id: r.try_get::<Option<i64>, _>("contact_id")?,
                    urn: Urn::from_stored(&urn)
                        .map_err(|e| StoreError::Corrupt(format!("msg urn {urn:?}: {e}")))?,
                    text: r.try_get("text")?,
                    external_id: r.try_get("external_id")?,
                })
            })
            .collect()
    }

    /// Persist an inbound message as `pending` (see [`NewInbound`]).
    /// Messages arriving together share a transaction (see
    /// `store::group_commit`).
    pub async fn insert_inbound(&self, m: &NewInbound<'_>) -> Result<i64> {
        self.committer().insert_inbound(m).await
    }

    /// Claim up to `limit` due messages of one route and priority for `link`
    /// on this node. On PostgreSQL concurrent nodes skip each other's rows.
    ///
    /// A message waits while an earlier one of its priority to the same
    /// number is unsent (see `unsent_before`): the next is claimed only
    /// after the previous one's outcome is recorded, so a sprint's messages
    /// reach the phone in flow order whatever the link, bind or node, and
    /// across retries.
    pub async fn claim(
        &self,
        node: &str,
        link: &str,
        route: &str,
        priority: Priority,
        limit: u32,
    ) -> Result<Vec<OutMsg>> {
        let now = now_ms();
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE msgs SET status = 'wired', node = $1, link = $2, wired_on = $3, modified_on = $3 \
             WHERE id IN (SELECT m.id FROM msgs m WHERE m.status IN ('queued', 'errored') AND m.route = $4 \
             AND m.priority = $5 AND m.next_attempt_on <= $3 AND NOT {} \
             ORDER BY m.next_attempt_on, m.id LIMIT $6{lock}) \
             RETURNING id, uuid, urn, text, segments, priority, attempts",
            unsent_before("$3")
        );
        let rows = sqlx::query(&sql)
            .bind(node)
            .bind(link)
            .bind(now)
            .bind(route)
            .bind(priority as i64)
            .bind(limit as i64)
            .fetch_all(self.writer())
            .await?;
        let mut out = rows.iter().map(out_msg).collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    /// Record send outcomes of rows this node holds. Rows another node took
    /// over in the meantime are left alone.
    pub async fn record_outcomes(&self, node: &str, outcomes: &[(i64, Outcome)]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let sent: Vec<(i64, Option<&str>)> = outcomes
            .iter()
            .filter_map(|(id, o)| match o {
                Outcome::Sent { external_id } => Some((*id, external_id.as_deref())),
                _ => None,
            })
            .collect();
        // One statement per chunk. On SQLite the unary `+` keeps the planner
        // off the status and node indexes, so each row is found by its rowid
        // (a plan through `msgs_wired` would scan every row this node holds).
        let (status, node_col) = match self.dialect {
            Dialect::Sqlite => ("+msgs.status", "+msgs.node"),
            Dialect::Postgres => ("msgs.status", "msgs.node"),
        };
        for chunk in sent.chunks(rows_per_statement(self.dialect, 2)) {
            let values: Vec<String> = (0..chunk.len()).map(|i| placeholders(2 + i * 2, 2)).collect();
            let sql = format!(
                "UPDATE msgs SET status = 'sent', sent_on = $1, modified_on = $1, external_id = v.column2, \
                 attempts = attempts + 1, failure_reason = NULL \
                 FROM (VALUES {}) AS v WHERE msgs.id = v.column1 AND {status} = 'wired' \
                 AND {node_col} = $2",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(now).bind(node);
            for (id, ext) in chunk {
                q = q.bind(*id).bind(*ext);
            }
            q.execute(&mut *tx).await?;
        }
        super::segments::record(&mut tx, &sent).await?;
        for (id, o) in outcomes {
            let q = match o {
                Outcome::Sent { .. } => continue,
                Outcome::Retry {
                    reason,
                    next_attempt_on,
                } => sqlx::query(
                    "UPDATE msgs SET status = 'errored', failure_reason = $1, next_attempt_on = $2, \
                     attempts = attempts + 1, node = NULL, modified_on = $3 \
                     WHERE id = $4 AND status = 'wired' AND node = $5",
                )
                .bind(reason.as_str())
                .bind(*next_attempt_on),
                Outcome::Failed { reason } => sqlx::query(
                    "UPDATE msgs SET status = 'failed', failure_reason = $1, attempts = attempts + 1, \
                     next_attempt_on = NULL, node = NULL, modified_on = $2 \
                     WHERE id = $3 AND status = 'wired' AND node = $4",
                )
                .bind(reason.as_str()),
                Outcome::Requeue { note } => sqlx::query(
                    "UPDATE msgs SET status = 'queued', failure_reason = COALESCE($1, failure_reason), \
                     node = NULL, modified_on = $2 WHERE id = $3 AND status = 'wired' AND node = $4",
                )
                .bind(note.as_deref()),
            };
            q.bind(now).bind(*id).bind(node).execute(&mut *tx).await?;
            if let Outcome::Retry { next_attempt_on, .. } = o {
                defer_behind(&mut tx, *id, *next_attempt_on).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Messages this node claimed and never recorded an outcome for.
    pub async fn wired_for_node(&self, node: &str) -> Result<Vec<ClaimedMsg>> {
        let rows = sqlx::query(
            "SELECT id, uuid, urn, text, segments, priority, attempts, link FROM msgs \
             WHERE status = 'wired' AND node = $1 ORDER BY id",
        )
        .bind(node)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedMsg {
                    msg: out_msg(r)?,
                    link: r.try_get::<Option<String>, _>("link")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Apply delivery receipts `(link, external_id)` that report delivery,
    /// in one statement. Returns the pairs that matched a sent message; the
    /// others may belong to sends not recorded yet.
    pub async fn apply_delivered(&self, receipts: &[(String, String)]) -> Result<Vec<(String, String)>> {
        let mut matched = Vec::new();
        let now = now_ms();
        if self.dialect == Dialect::Sqlite {
            // Per row in one transaction: each uses the (link, external_id)
            // index, where a join against VALUES may not.
            let mut tx = self.begin_write().await?;
            for (link, ext) in receipts {
                let res = sqlx::query(
                    "UPDATE msgs SET status = 'delivered', delivered_on = $1, modified_on = $1 \
                     WHERE link = $2 AND external_id = $3 AND direction = 'out' AND status IN ('sent', 'delivered')",
                )
                .bind(now)
                .bind(link.as_str())
                .bind(ext.as_str())
                .execute(&mut *tx)
                .await?;
                if res.rows_affected() > 0 {
                    matched.push((link.clone(), ext.clone()));
                }
            }
            tx.commit().await?;
            return self.apply_delivered_segments(receipts, matched).await;
        }
        for chunk in receipts.chunks(INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len()).map(|i| placeholders(1 + i * 2, 2)).collect();
            // Each receipt is looked up on its own through the (link,
            // external_id) index: the LATERAL subquery with OFFSET 0 is not
            // flattened into a join, so the planner cannot drive the update
            // from every sent message instead. It did so on young tables,
            // whose default selectivities estimate "sent and outbound" at one
            // row: a nested loop over all sent messages took seconds a batch.
            let sql = format!(
                "UPDATE msgs SET status = 'delivered', delivered_on = $1, modified_on = $1 \
                 FROM (SELECT hit.id FROM (VALUES {}) AS v, LATERAL (SELECT m.id FROM msgs m \
                 WHERE m.link = v.column1 AND m.external_id = v.column2 AND m.direction = 'out' \
                 AND m.status IN ('sent', 'delivered') OFFSET 0) AS hit) AS h \
                 WHERE msgs.id = h.id RETURNING msgs.link, msgs.external_id",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(now);
            for (link, ext) in chunk {
                q = q.bind(link.as_str()).bind(ext.as_str());
            }
            for r in q.fetch_all(self.writer()).await? {
                matched.push((r.try_get("link")?, r.try_get("external_id")?));
            }
        }
        self.apply_delivered_segments(receipts, matched).await
    }

    /// Receipts no message's whole `external_id` matched may name one
    /// segment of a multi-segment message.
    async fn apply_delivered_segments(
        &self,
        receipts: &[(String, String)],
        mut matched: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>> {
        let whole: std::collections::HashSet<&(String, String)> = matched.iter().collect();
        let rest: Vec<(String, String)> = receipts.iter().filter(|r| !whole.contains(r)).cloned().collect();
        for (link, ext) in rest {
            if self.apply_segment_report(&link, &ext, None).await? {
                matched.push((link, ext));
            }
        }
        Ok(matched)
    }

    /// Apply a receipt reporting failure. Returns false when no sent
    /// message has that carrier id (yet).
    pub async fn apply_failed_report(&self, link: &str, external_id: &str, reason: &str) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE msgs SET status = 'failed', failure_reason = $1, modified_on = $2 \
             WHERE link = $3 AND external_id = $4 AND direction = 'out' AND status = 'sent'",
        )
        .bind(reason)
        .bind(now_ms())
        .bind(link)
        .bind(external_id)
        .execute(self.writer())
        .await?;
        if res.rows_affected() > 0 {
            return Ok(true);
        }
        self.apply_segment_report(link, external_id, Some(reason)).await
    }

    /// Carrier ids of messages on `link` sent before `sent_before` that
    /// still wait for a receipt.
    pub async fn awaiting_receipt(&self, link: &str, sent_before: Millis) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT external_id FROM msgs WHERE status = 'sent' AND link = $1 AND direction = 'out' \
             AND external_id IS NOT NULL AND sent_on < $2 ORDER BY id LIMIT 10000",
        )
        .bind(link)
        .bind(sent_before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("external_id")?)).collect()
    }

    /// Record that this node is alive.
    pub async fn heartbeat(&self, node: &str, started_on: Millis) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO nodes (id, started_on, heartbeat_on) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_on = $3, started_on = $2",
        )
        .bind(node)
        .bind(started_on)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Move the wired messages of nodes silent since `dead_before` to `me`
    /// and return them, so `me` reconciles exactly those (never its own
    /// sends in flight).
    pub async fn take_over_dead_nodes(&self, me: &str, dead_before: Millis) -> Result<Vec<ClaimedMsg>> {
        let rows = sqlx::query(
            "UPDATE msgs SET node = $1, modified_on = $2 WHERE status = 'wired' AND node <> $1 AND node IN \
             (SELECT id FROM nodes WHERE heartbeat_on < $3) \
             RETURNING id, uuid, urn, text, segments, priority, attempts, link",
        )
        .bind(me)
        .bind(now_ms())
        .bind(dead_before)
        .fetch_all(self.writer())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedMsg {
                    msg: out_msg(r)?,
                    link: r.try_get::<Option<String>, _>("link")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    pub async fn list_msgs(&self, f: &MsgFilter) -> Result<Vec<MsgRow>> {
        // $1 is the time `held` and `behind` are judged at.
        let mut conds = vec!["1 = 1".to_string()];
        let mut n = 1;
        let mut next = |c: &str| {
            n += 1;
            conds.push(c.replace('?', &format!("${n}")));
        };
        let status = f.status.as_deref().map(status_condition);
        if f.direction.is_some() {
            next("m.direction = ?");
        }
        if let Some((cond, _)) = &status {
            next(cond);
        }
        if f.contact_id.is_some() {
            next("m.contact_id = ?");
        }
        if f.broadcast_id.is_some() {
            next("m.broadcast_id = ?");
        }
        if f.urn.is_some() {
            next("m.urn = ?");
        }
        if f.unmatched {
            conds.push("m.direction = 'in' AND m.handled_by = 'none'".to_string());
        }
        let sql = format!(
            "SELECT {} FROM {ROW_FROM} WHERE {}{}",
            row_cols("$1"),
            conds.join(" AND "),
            f.page.sql("m.id")
        );
        let mut q = sqlx::query(&sql).bind(now_ms());
        if let Some(d) = &f.direction {
            q = q.bind(d.as_str());
        }
        if let Some((_, stored)) = status {
            q = q.bind(stored);
        }
        if let Some(c) = f.contact_id {
            q = q.bind(c);
        }
        if let Some(b) = f.broadcast_id {
            q = q.bind(b);
        }
        if let Some(u) = &f.urn {
            q = q.bind(u.as_str());
        }
        q.fetch_all(&self.pool).await?.iter().map(msg_row).collect()
    }

    pub async fn get_msg(&self, uuid: &str) -> Result<MsgRow> {
        let sql = format!("SELECT {} FROM {ROW_FROM} WHERE m.uuid = $1", row_cols("$2"));
        let r = sqlx::query(&sql)
            .bind(uuid)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("message {uuid}")))?;
        msg_row(&r)
    }

    pub async fn get_msgs_by_ids(&self, ids: &[i64]) -> Result<Vec<MsgRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {} FROM {ROW_FROM} WHERE m.id IN ({}) ORDER BY m.id",
            row_cols(&format!("${}", ids.len() + 1)),
            in_list(0, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.bind(now_ms())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(msg_row)
            .collect()
    }

    /// Outbound messages waiting, per route and priority (for metrics and the
    /// links API).
    pub async fn queue_depths(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT route, COUNT(*) AS n FROM msgs WHERE status IN ('queued', 'errored') GROUP BY route",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<String>, _>("route")?.unwrap_or_default(),
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// Count of outbound messages per status.
    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM msgs WHERE direction = 'out' GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }
}
