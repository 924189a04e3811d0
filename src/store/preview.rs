//! Who a send would reach, counted without sending or writing anything: the
//! contacts a broadcast or flow start would go to and those left out, by
//! why (opted out, blocked, no phone number, named twice, already in a
//! flow). It reads the recipients the way materialising does
//! (`broadcasts::RECIPIENT_ROWS`), so a send's review says what the send
//! then does; a number not yet a contact counts as one to reach (sending
//! creates an active contact for it) but none is created here.

use std::collections::BTreeSet;

use sqlx::Row;

use super::audience::{Reach, Recipients};
use super::broadcasts::recipient_rows_sql;
use super::{in_list, Result, Store, StoreError};
use crate::core::query::Query;
use crate::core::Urn;

/// Contacts read per query.
const PREVIEW_CHUNK: usize = 500;

/// One recipient a send would reach.
#[derive(Debug, Clone)]
pub struct Reached {
    /// `None` for a number that is not a contact yet.
    pub contact_id: Option<i64>,
    pub language: Option<String>,
    /// The `tel:` URN texted (a flow start's contact may have none).
    pub urn: Option<String>,
}

/// Those a send leaves out, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Excluded {
    pub opted_out: usize,
    pub blocked: usize,
    pub no_phone: usize,
    /// Named more than once (a number typed twice, a contact in two of the
    /// groups chosen): sent one message.
    pub duplicate: usize,
    /// Waiting in a flow, for a start that skips those.
    pub already_in_flow: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub reached: Vec<Reached>,
    pub excluded: Excluded,
}

impl Store {
    /// Who `recipients` reach now, and who is left out. Refuses what
    /// accepting the send refuses (nothing named, an unknown group, a bad
    /// query or number), with the same field names.
    pub async fn preview_audience(
        &self,
        recipients: &Recipients,
        default_country: Option<&str>,
        reach: Reach,
        skip_in_a_flow: bool,
    ) -> Result<Audience> {
        self.check_recipients(recipients, default_country).await?;
        let mut out = Audience::default();
        let mut named: Vec<i64> = Vec::new();
        let mut new_numbers: BTreeSet<String> = BTreeSet::new();
        for u in &recipients.urns {
            let Ok(urn) = Urn::parse(u, default_country) else {
                continue;
            };
            let text = urn.to_string();
            match self.contact_id_by_urn(&urn).await? {
                Some(id) => named.push(id),
                None => {
                    if !new_numbers.insert(text) {
                        out.excluded.duplicate += 1;
                    }
                }
            }
        }
        for c in &recipients.contacts {
            named.push(self.contact_id(c).await?);
        }
        let mut gids = Vec::new();
        for g in &recipients.groups {
            gids.push(self.get_group(g).await?.id);
        }
        // Per group, so a contact in two of them counts as named twice.
        for g in gids {
            named.extend(self.group_member_ids(&[g]).await?);
        }
        if let Some(q) = &recipients.query {
            let q = Query::parse(q).map_err(|e| StoreError::invalid("recipients.query", e.to_string()))?;
            named.extend(self.query_contact_ids(&q).await?);
        }
        let unique: BTreeSet<i64> = named.iter().copied().collect();
        out.excluded.duplicate += named.len() - unique.len();
        let ids: Vec<i64> = unique.into_iter().collect();
        for chunk in ids.chunks(PREVIEW_CHUNK) {
            let sql = recipient_rows_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            let rows = q.fetch_all(&self.pool).await?;
            let waiting = if skip_in_a_flow {
                self.waiting_among(chunk).await?
            } else {
                BTreeSet::new()
            };
            for r in rows {
                let id: i64 = r.try_get("id")?;
                let urn: Option<String> = r.try_get("urn")?;
                match r.try_get::<String, _>("status")?.as_str() {
                    "stopped" => out.excluded.opted_out += 1,
                    "active" if reach == Reach::Text && urn.is_none() => out.excluded.no_phone += 1,
                    "active" if waiting.contains(&id) => out.excluded.already_in_flow += 1,
                    "active" => out.reached.push(Reached {
                        contact_id: Some(id),
                        language: r.try_get("language")?,
                        urn,
                    }),
                    _ => out.excluded.blocked += 1,
                }
            }
        }
        out.reached.extend(new_numbers.into_iter().map(|urn| Reached {
            contact_id: None,
            language: None,
            urn: Some(urn),
        }));
        Ok(out)
    }

    /// Which of `ids` wait in a flow now.
    async fn waiting_among(&self, ids: &[i64]) -> Result<BTreeSet<i64>> {
        let sql = format!(
            "SELECT DISTINCT contact_id FROM sessions WHERE status = 'waiting' AND contact_id IN ({})",
            in_list(0, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(r.try_get::<i64, _>("contact_id")?))
            .collect()
    }
}
