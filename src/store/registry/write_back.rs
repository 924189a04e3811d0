//! What is due to be written back to a registry: Practitioners whose
//! contact-uuid identifier or `optedout` tag differ from the contact, and
//! messages of linked contacts after the registry's cursor.

use sqlx::Row;

use super::super::{Result, Store};
use super::ensure_state;
use crate::core::time::{now_ms, Millis};

/// A Practitioner whose registry record lags behind its contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPractitioner {
    pub practitioner_id: String,
    pub contact_uuid: String,
    /// The contact is stopped: the Practitioner should carry `optedout`.
    pub stopped: bool,
    /// Numbers (E.164) the contact has and this registry did not supply:
    /// a worker's new number from an HR update, for the Practitioner's
    /// `telecom`.
    pub new_phones: Vec<String>,
}

/// A message of a linked contact, for a `Communication`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBackMsg {
    pub id: i64,
    pub modified_on: Millis,
    pub uuid: String,
    pub direction: String,
    pub status: String,
    pub text: String,
    pub practitioner_id: String,
    /// When it was sent (out; queued time until then) or received (in).
    pub at: Millis,
    /// The registry's `CommunicationRequest` it answers, if any.
    pub request_id: Option<String>,
    /// That request's row (`registry_requests.id`) and its broadcast's uuid.
    pub request_row: Option<String>,
    pub broadcast_uuid: Option<String>,
}

/// Message statuses worth a `Communication`: settled ones (a queued or
/// wired message is written once it is sent, failed or cancelled).
const WRITTEN_STATUSES: &str = "('sent', 'delivered', 'failed', 'cancelled', 'handled')";

impl Store {
    /// Practitioners of `registry` whose write-back is due, at most `limit`.
    pub async fn pending_practitioner_writes(
        &self,
        registry: &str,
        limit: i64,
    ) -> Result<Vec<PendingPractitioner>> {
        let rows = sqlx::query(
            "SELECT rc.practitioner_id, c.id AS contact_id, c.uuid, c.status, rc.phones FROM registry_contacts rc \
             JOIN contacts c ON c.id = rc.contact_id WHERE rc.registry = $1 AND \
             (rc.registry_uuid IS NULL OR rc.registry_uuid <> c.uuid OR \
              rc.registry_optout <> CASE WHEN c.status = 'stopped' THEN 1 ELSE 0 END OR \
              EXISTS (SELECT 1 FROM contact_urns u WHERE u.contact_id = c.id AND u.urn LIKE 'tel:%' \
                      AND rc.phones NOT LIKE '%\"' || SUBSTR(u.urn, 5) || '\"%')) \
             ORDER BY rc.practitioner_id LIMIT $2",
        )
        .bind(registry)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let known: Vec<String> =
                super::super::parse_json("registry phones", &r.try_get::<String, _>("phones")?)?;
            let new_phones: Vec<String> = super::tel_numbers(&self.pool, r.try_get::<i64, _>("contact_id")?)
                .await?
                .into_iter()
                .filter(|p| !known.contains(p))
                .collect();
            out.push(PendingPractitioner {
                practitioner_id: r.try_get("practitioner_id")?,
                contact_uuid: r.try_get("uuid")?,
                stopped: r.try_get::<String, _>("status")? == "stopped",
                new_phones,
            });
        }
        Ok(out)
    }

    /// The registry now also supplies `phones` for this Practitioner.
    pub async fn add_registry_phones(
        &self,
        registry: &str,
        practitioner_id: &str,
        phones: &[String],
    ) -> Result<()> {
        if phones.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT phones FROM registry_contacts WHERE registry = $1 AND practitioner_id = $2")
                .bind(registry)
                .bind(practitioner_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = row {
            let mut known: Vec<String> =
                super::super::parse_json("registry phones", &row.try_get::<String, _>("phones")?)?;
            known.extend(
                phones
                    .iter()
                    .filter(|p| !known.contains(p))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            sqlx::query(
                "UPDATE registry_contacts SET phones = $3 WHERE registry = $1 AND practitioner_id = $2",
            )
            .bind(registry)
            .bind(practitioner_id)
            .bind(serde_json::to_string(&known).unwrap_or_else(|_| "[]".into()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The registry now carries `uuid` and the opt-out state `optout`.
    pub async fn mark_practitioner_written(
        &self,
        registry: &str,
        practitioner_id: &str,
        uuid: &str,
        optout: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE registry_contacts SET registry_uuid = $3, registry_optout = $4 \
             WHERE registry = $1 AND practitioner_id = $2",
        )
        .bind(registry)
        .bind(practitioner_id)
        .bind(uuid)
        .bind(optout as i64)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Settled messages of contacts linked to `registry`, after the cursor
    /// `(modified_on, id)` and modified before `before` (so a row still being
    /// committed with an earlier stamp is not skipped), oldest first.
    pub async fn msgs_to_write_back(
        &self,
        registry: &str,
        after: (Millis, i64),
        before: Millis,
        limit: i64,
    ) -> Result<Vec<WriteBackMsg>> {
        let sql = format!(
            "SELECT m.id, m.modified_on, m.uuid, m.direction, m.status, m.text, rc.practitioner_id, \
             m.created_on, m.sent_on, rr.request_id, rr.id AS req_row, rr.source, rr.registry AS req_registry, \
             b.uuid AS broadcast_uuid \
             FROM msgs m JOIN registry_contacts rc ON rc.contact_id = m.contact_id AND rc.registry = $1 \
             LEFT JOIN registry_requests rr ON rr.broadcast_id = m.broadcast_id AND m.broadcast_id IS NOT NULL \
             LEFT JOIN broadcasts b ON b.id = m.broadcast_id \
             WHERE m.status IN {WRITTEN_STATUSES} AND m.modified_on < $4 \
             AND (m.modified_on > $2 OR (m.modified_on = $2 AND m.id > $3)) \
             ORDER BY m.modified_on, m.id LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(registry)
            .bind(after.0)
            .bind(after.1)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let created: Millis = r.try_get("created_on")?;
                let sent: Option<Millis> = r.try_get("sent_on")?;
                let req_registry: Option<String> = r.try_get("req_registry")?;
                // Only a request the registry holds can be referenced.
                let (request_id, request_row) = match req_registry.as_deref() {
                    Some(reg) if reg == registry => (r.try_get("request_id")?, r.try_get("req_row")?),
                    _ => (None, None),
                };
                Ok(WriteBackMsg {
                    id: r.try_get("id")?,
                    modified_on: r.try_get("modified_on")?,
                    uuid: r.try_get("uuid")?,
                    direction: r.try_get("direction")?,
                    status: r.try_get("status")?,
                    text: r.try_get("text")?,
                    practitioner_id: r.try_get("practitioner_id")?,
                    at: sent.unwrap_or(created),
                    request_id,
                    request_row,
                    broadcast_uuid: r.try_get("broadcast_uuid")?,
                })
            })
            .collect()
    }

    pub async fn set_msg_cursor(&self, registry: &str, cursor: (Millis, i64)) -> Result<()> {
        ensure_state(self.writer(), registry).await?;
        sqlx::query(
            "UPDATE registry_state SET msg_cursor_on = $2, msg_cursor_id = $3, modified_on = $4 WHERE registry = $1",
        )
        .bind(registry)
        .bind(cursor.0)
        .bind(cursor.1)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
