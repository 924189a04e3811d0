//! Parts of concatenated inbound messages (migration 0006). Each part is
//! written before the link answers the carrier for it; the part that
//! completes its message lets the gateway join the stored parts, and the
//! joined message is inserted in the same transaction that marks the parts
//! as used. Used parts are kept for [`DUPLICATE_WINDOW_MS`] so that a part
//! the carrier resends (it missed our answer) is recognised and absorbed
//! instead of starting a message of its own, then purged.

use sqlx::{Any, Row, Transaction};

use super::msgs::{insert_inbound_row, NewInbound};
use super::{Result, Store};
use crate::core::link::MoPart;
use crate::core::time::Millis;

/// How long the parts of a stored message are remembered: an SMSC resends
/// an unanswered deliver_sm after its response timeout, across a rebind,
/// within minutes; a part arriving later than this starts a new message
/// (delivered, marked incomplete, after the link's reassembly timeout).
/// Kept short because a handset may reuse a reference (8 bits) for a new
/// message.
pub const DUPLICATE_WINDOW_MS: Millis = 15 * 60 * 1000;

/// Which message a part belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoGroup {
    pub link: String,
    pub urn: String,
    pub reference: u16,
    pub total: u8,
}

impl MoGroup {
    pub fn of(link: &str, urn: &str, part: &MoPart) -> MoGroup {
        MoGroup {
            link: link.to_string(),
            urn: urn.to_string(),
            reference: part.reference,
            total: part.total,
        }
    }
}

/// What storing one part did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStored {
    /// Stored (or already stored and waiting); `have` of the parts are in.
    Waiting { have: u8 },
    /// Every part is in: the message can be joined.
    Complete,
    /// A resent part of a message already stored: nothing to do.
    Duplicate,
}

/// A joined message as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub text: String,
    /// Why the message is incomplete, if it is (kept with the message).
    pub note: Option<String>,
}

const GROUP: &str = "link = $1 AND urn = $2 AND reference = $3 AND total = $4";

fn bind_group<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    g: &'q MoGroup,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    q.bind(g.link.as_str())
        .bind(g.urn.as_str())
        .bind(i64::from(g.reference))
        .bind(i64::from(g.total))
}

async fn insert_part(tx: &mut Transaction<'static, Any>, g: &MoGroup, part: &MoPart) -> Result<bool> {
    let r = bind_group(
        sqlx::query(
            "INSERT INTO mo_parts (link, urn, reference, total, seq, data_coding, payload, received_on, \
             expires_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        ),
        g,
    )
    .bind(i64::from(part.seq))
    .bind(i64::from(part.data_coding))
    .bind(part.payload.clone())
    .bind(part.received_on)
    .bind(part.expires_on)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() > 0)
}

impl Store {
    /// Persists one part; once this returns the carrier may be answered.
    pub async fn put_mo_part(&self, link: &str, urn: &str, part: &MoPart) -> Result<PartStored> {
        let g = MoGroup::of(link, urn, part);
        let mut tx = self.begin_write().await?;
        if !insert_part(&mut tx, &g, part).await? {
            let row = bind_group(
                sqlx::query(&format!(
                    "SELECT msg_id, payload FROM mo_parts WHERE {GROUP} AND seq = $5"
                )),
                &g,
            )
            .bind(i64::from(part.seq))
            .fetch_one(&mut *tx)
            .await?;
            let used: Option<i64> = row.try_get("msg_id")?;
            let payload: Vec<u8> = row.try_get("payload")?;
            if used.is_some() {
                if payload == part.payload {
                    tx.commit().await?;
                    return Ok(PartStored::Duplicate);
                }
                // Same reference, other text: the handset reused the
                // reference for a new message; the old one's parts go.
                bind_group(
                    sqlx::query(&format!(
                        "DELETE FROM mo_parts WHERE {GROUP} AND msg_id IS NOT NULL"
                    )),
                    &g,
                )
                .execute(&mut *tx)
                .await?;
                insert_part(&mut tx, &g, part).await?;
            } else if payload != part.payload {
                tracing::warn!(
                    link,
                    urn,
                    reference = part.reference,
                    seq = part.seq,
                    "a part arrived twice with different text; the first copy is kept"
                );
            }
        }
        let row = bind_group(
            sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM mo_parts WHERE {GROUP} AND msg_id IS NULL"
            )),
            &g,
        )
        .fetch_one(&mut *tx)
        .await?;
        let have: i64 = row.try_get("n")?;
        tx.commit().await?;
        Ok(if have >= i64::from(part.total) {
            PartStored::Complete
        } else {
            PartStored::Waiting {
                have: have.clamp(0, 255) as u8,
            }
        })
    }

    /// Joins the waiting parts of `group` with `join` and, in one
    /// transaction, inserts the message for `contact_id` and marks the parts
    /// as used. With `gaps_allowed` false nothing happens unless every part
    /// is in. Returns the message id and what was stored, or `None` when
    /// there was nothing to join (another task or node joined it first).
    /// The message is `pending` for `node` to act on.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_mo(
        &self,
        group: &MoGroup,
        contact_id: i64,
        node: &str,
        gaps_allowed: bool,
        now: Millis,
        join: impl FnOnce(&[MoPart]) -> Joined + Send,
    ) -> Result<Option<(i64, Joined)>> {
        let g = group;
        let mut tx = self.begin_write().await?;
        // Take the group's rows first (row locks on PostgreSQL, the write
        // lock on SQLite): a second joiner waits, then finds them used.
        bind_group(
            sqlx::query(&format!(
                "UPDATE mo_parts SET msg_id = NULL WHERE {GROUP} AND msg_id IS NULL"
            )),
            g,
        )
        .execute(&mut *tx)
        .await?;
        let rows = bind_group(
            sqlx::query(&format!(
                "SELECT seq, data_coding, payload, received_on, expires_on FROM mo_parts \
                 WHERE {GROUP} AND msg_id IS NULL ORDER BY seq"
            )),
            g,
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() || (!gaps_allowed && rows.len() < usize::from(g.total)) {
            return Ok(None);
        }
        let mut parts = Vec::with_capacity(rows.len());
        for r in rows {
            parts.push(MoPart {
                reference: g.reference,
                total: g.total,
                seq: r.try_get::<i64, _>("seq")?.clamp(0, 255) as u8,
                data_coding: r.try_get::<i64, _>("data_coding")?.clamp(0, 255) as u8,
                payload: r.try_get("payload")?,
                received_on: r.try_get("received_on")?,
                expires_on: r.try_get("expires_on")?,
            });
        }
        let received_on = parts.iter().map(|p| p.received_on).min().unwrap_or(now);
        let joined = join(&parts);
        let id = insert_inbound_row(
            &mut *tx,
            &NewInbound {
                contact_id,
                urn: &g.urn,
                text: &joined.text,
                link: &g.link,
                external_id: None,
                received_on,
                note: joined.note.as_deref(),
                node,
            },
        )
        .await?;
        bind_group(
            sqlx::query(&format!(
                "UPDATE mo_parts SET msg_id = $5, expires_on = $6 WHERE {GROUP} AND msg_id IS NULL"
            )),
            g,
        )
        .bind(id)
        .bind(now + DUPLICATE_WINDOW_MS)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((id, joined)))
    }

    /// Messages whose first part has waited past its link's reassembly
    /// timeout, oldest first.
    pub async fn expired_mo_groups(&self, now: Millis, limit: i64) -> Result<Vec<MoGroup>> {
        let rows = sqlx::query(
            "SELECT link, urn, reference, total, MIN(expires_on) AS due FROM mo_parts \
             WHERE msg_id IS NULL AND expires_on <= $1 \
             GROUP BY link, urn, reference, total ORDER BY due LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(MoGroup {
                    link: r.try_get("link")?,
                    urn: r.try_get("urn")?,
                    reference: r.try_get::<i64, _>("reference")?.clamp(0, 65_535) as u16,
                    total: r.try_get::<i64, _>("total")?.clamp(0, 255) as u8,
                })
            })
            .collect()
    }

    /// Forgets the parts of messages stored more than
    /// [`DUPLICATE_WINDOW_MS`] ago. Returns how many rows went.
    pub async fn purge_mo_parts(&self, now: Millis) -> Result<u64> {
        let r = sqlx::query("DELETE FROM mo_parts WHERE msg_id IS NOT NULL AND expires_on <= $1")
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(r.rows_affected())
    }

    /// Parts waiting for the rest of their message, for the API and tests.
    pub async fn waiting_mo_parts(&self) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM mo_parts WHERE msg_id IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }
}
