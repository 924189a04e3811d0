//! Who a send reaches: the recipients a broadcast or flow start names
//! (contacts, groups, a query, numbers), checked when it is accepted and
//! resolved to contacts when it fires; and, when they reach nobody right
//! now, why. That is what `POST /broadcasts` and `POST /flow_starts`
//! refuse (or accept with a warning), and the note a firing that reached
//! nobody is completed with.
//!
//! Telling why reads only: an unknown number counts as reachable
//! (resolving creates an active contact for it) but none is created then.

use std::collections::BTreeSet;

use sqlx::Row;

use super::{in_list, Result, Store, StoreError};
use crate::core::query::Query;
use crate::core::{ContactStatus, Urn};

/// Contacts whose status is read per query.
const STATUS_CHUNK: usize = 500;

/// Who a send is for; at least one of them must be named.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    /// Contact UUIDs.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Group UUIDs or names.
    #[serde(default)]
    pub groups: Vec<String>,
    /// A contact query (see `core::query`).
    #[serde(default)]
    pub query: Option<String>,
    /// Phone numbers; contacts are created for unknown ones.
    #[serde(default)]
    pub urns: Vec<String>,
}

/// A send as accepted, with what the caller should know about it (it
/// reaches nobody now, ...).
#[derive(Debug, Clone)]
pub struct Accepted<T> {
    pub send: T,
    pub warnings: Vec<String>,
}

/// What a contact needs to be reached by a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A broadcast: active, with a phone number to text.
    Text,
    /// A flow start: active (a start skips the others).
    Flow,
}

impl Reach {
    /// How a note or warning about nobody begins.
    pub fn nobody(self) -> &'static str {
        match self {
            Reach::Text => "nobody to send to",
            Reach::Flow => "nobody to start",
        }
    }
}

/// Why each unreachable contact of a selection is so.
#[derive(Debug, Default)]
struct Unreachable {
    stopped: usize,
    blocked: usize,
    no_phone: usize,
}

impl Unreachable {
    fn total(&self) -> usize {
        self.stopped + self.blocked + self.no_phone
    }

    /// "all 3 selected contacts (group Midwives) have opted out", or the
    /// mix of reasons.
    fn describe(&self, selection: &[String]) -> String {
        let n = self.total();
        let sel = if selection.is_empty() {
            String::new()
        } else {
            format!(" ({})", selection.join(", "))
        };
        // (how many, said of one, said of several, in a list)
        let reasons: Vec<(usize, &str, &str, &str)> = [
            (self.stopped, "has opted out", "have opted out", "opted out"),
            (self.blocked, "is blocked", "are blocked", "blocked"),
            (
                self.no_phone,
                "has no phone number",
                "have no phone number",
                "without a phone number",
            ),
        ]
        .into_iter()
        .filter(|r| r.0 > 0)
        .collect();
        match reasons.as_slice() {
            [(_, one, _, _)] if n == 1 => format!("the 1 selected contact{sel} {one}"),
            [(_, _, several, _)] => format!("all {n} selected contacts{sel} {several}"),
            _ => {
                let mix: Vec<String> = reasons.iter().map(|r| format!("{} {}", r.0, r.3)).collect();
                format!(
                    "none of the {n} selected contacts{sel} can be reached: {}",
                    mix.join(", ")
                )
            }
        }
    }
}

impl Store {
    /// Refuse recipients that name nothing, or a contact, group, query or
    /// number that does not exist or does not parse.
    pub(super) async fn check_recipients(&self, r: &Recipients, default_country: Option<&str>) -> Result<()> {
        if r.contacts.is_empty() && r.groups.is_empty() && r.query.is_none() && r.urns.is_empty() {
            return Err(StoreError::invalid(
                "recipients",
                "name at least one contact, group, query or URN",
            ));
        }
        for (i, c) in r.contacts.iter().enumerate() {
            self.contact_id(c).await.map_err(|_| {
                StoreError::invalid(format!("recipients.contacts[{i}]"), format!("no contact {c}"))
            })?;
        }
        for (i, g) in r.groups.iter().enumerate() {
            self.get_group(g).await.map_err(|_| {
                StoreError::invalid(format!("recipients.groups[{i}]"), format!("no group {g:?}"))
            })?;
        }
        if let Some(q) = &r.query {
            let parsed =
                Query::parse(q).map_err(|e| StoreError::invalid("recipients.query", e.to_string()))?;
            parsed
                .check(&self.field_types().await?, false)
                .map_err(|e| StoreError::invalid("recipients.query", e.to_string()))?;
        }
        for (i, u) in r.urns.iter().enumerate() {
            Urn::parse(u, default_country)
                .map_err(|e| StoreError::invalid(format!("recipients.urns[{i}]"), e.to_string()))?;
        }
        Ok(())
    }

    /// The contacts a recipient list names (creating contacts for unknown
    /// numbers); the inner error is a bad query.
    pub async fn resolve_recipients(
        &self,
        recipients: &Recipients,
        default_country: Option<&str>,
    ) -> Result<std::result::Result<BTreeSet<i64>, String>> {
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        for u in &recipients.urns {
            if let Ok(urn) = Urn::parse(u, default_country) {
                ids.insert(self.find_or_create_by_urn(&urn, None).await?.0.id);
            }
        }
        for c in &recipients.contacts {
            if let Ok(cid) = self.contact_id(c).await {
                ids.insert(cid);
            }
        }
        let mut gids = Vec::new();
        for g in &recipients.groups {
            if let Ok(group) = self.get_group(g).await {
                gids.push(group.id);
            }
        }
        ids.extend(self.group_member_ids(&gids).await?);
        if let Some(q) = &recipients.query {
            match Query::parse(q) {
                Ok(q) => ids.extend(self.query_contact_ids(&q).await?),
                Err(e) => return Ok(Err(format!("bad query: {e}"))),
            }
        }

        Ok(Ok(ids))
    }

    /// Why `recipients` reach nobody right now, or `None` when they reach
    /// someone: "group Midwives has no members", "all 3 selected contacts
    /// (group Nurses) have opted out", joined by "; ". Contacts named one by
    /// one go unmentioned in the parenthesis, which names the rest.
    pub async fn why_nobody(
        &self,
        recipients: &Recipients,
        default_country: Option<&str>,
        reach: Reach,
    ) -> Result<Option<String>> {
        let mut empty: Vec<String> = Vec::new();
        let mut selection: Vec<String> = Vec::new();
        let mut ids: BTreeSet<i64> = BTreeSet::new();

        let mut known_numbers = 0usize;
        for u in &recipients.urns {
            let Ok(urn) = Urn::parse(u, default_country) else {
                continue;
            };
            match self.contact_id_by_urn(&urn).await? {
                // A new number becomes a new, active contact with that number.
                None => return Ok(None),
                Some(id) => {
                    known_numbers += 1;
                    ids.insert(id);
                }
            }
        }
        if known_numbers > 0 {
            selection.push(plural(known_numbers, "number", "numbers"));
        }
        for c in &recipients.contacts {
            match self.contact_id(c).await {
                Ok(id) => {
                    ids.insert(id);
                }
                Err(StoreError::NotFound(_)) => empty.push(format!("contact {c} no longer exists")),
                Err(e) => return Err(e),
            }
        }
        for g in &recipients.groups {
            match self.get_group(g).await {
                Ok(group) => {
                    let members = self.group_member_ids(&[group.id]).await?;
                    if members.is_empty() {
                        empty.push(format!("group {} has no members", group.name));
                    } else {
                        selection.push(format!("group {}", group.name));
                        ids.extend(members);
                    }
                }
                Err(StoreError::NotFound(_)) => empty.push(format!("group {g:?} no longer exists")),
                Err(e) => return Err(e),
            }
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let mut unreachable = Unreachable::default();
        if self.count_unreachable(&ids, reach, &mut unreachable).await? {
            return Ok(None);
        }
        // The query last: it reads every contact, needed only while nobody
        // else is reachable.
        if let Some(q) = &recipients.query {
            let Ok(parsed) = Query::parse(q) else {
                return Ok(Some(format!("query {q:?} does not parse")));
            };
            let seen: BTreeSet<i64> = ids.iter().copied().collect();
            let matched = self.query_contact_ids(&parsed).await?;
            if matched.is_empty() {
                empty.push(format!("query {q:?} matches no contact"));
            } else {
                selection.push(format!("query {q:?}"));
                let fresh: Vec<i64> = matched.into_iter().filter(|id| !seen.contains(id)).collect();
                if self.count_unreachable(&fresh, reach, &mut unreachable).await? {
                    return Ok(None);
                }
            }
        }
        if unreachable.total() > 0 {
            empty.push(unreachable.describe(&selection));
        }
        Ok(Some(empty.join("; ")))
    }

    /// Whether any of `ids` can be reached; the others are counted by why
    /// not. Stops at the first chunk that has someone reachable.
    async fn count_unreachable(&self, ids: &[i64], reach: Reach, out: &mut Unreachable) -> Result<bool> {
        for chunk in ids.chunks(STATUS_CHUNK) {
            let sql = format!(
                "SELECT c.status, (SELECT u.urn FROM contact_urns u WHERE u.contact_id = c.id \
                 AND u.urn LIKE 'tel:%' LIMIT 1) AS urn FROM contacts c WHERE c.id IN ({})",
                in_list(0, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            let mut reachable = false;
            for r in q.fetch_all(&self.pool).await? {
                let status = super::parse_enum::<ContactStatus>(&r.try_get::<String, _>("status")?)?;
                let phone = r.try_get::<Option<String>, _>("urn")?.is_some();
                match status {
                    ContactStatus::Stopped => out.stopped += 1,
                    ContactStatus::Blocked => out.blocked += 1,
                    ContactStatus::Active if reach == Reach::Text && !phone => out.no_phone += 1,
                    ContactStatus::Active => reachable = true,
                }
            }
            if reachable {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What accepting a send that may reach nobody says: nothing when it
    /// reaches someone; a warning when it is scheduled (who is in a group
    /// may change before it fires) or `allow_empty` says so; otherwise
    /// refused, naming what was selected and why it is empty.
    pub(super) async fn empty_send_warnings(
        &self,
        recipients: &Recipients,
        default_country: Option<&str>,
        reach: Reach,
        scheduled: bool,
        allow_empty: bool,
    ) -> Result<Vec<String>> {
        let Some(why) = self.why_nobody(recipients, default_country, reach).await? else {
            return Ok(vec![]);
        };
        let nobody = reach.nobody();
        if scheduled {
            Ok(vec![format!(
                "{nobody} right now: {why}; a firing that reaches nobody is completed with 0 recipients"
            )])
        } else if allow_empty {
            Ok(vec![format!("{nobody}: {why}; it completes with 0 recipients")])
        } else {
            Err(StoreError::invalid(
                "recipients",
                format!("{nobody}: {why} (send with \"allow_empty\": true to accept it anyway)"),
            ))
        }
    }

    /// Whether any of `ids` can be reached now.
    pub async fn any_reachable(&self, ids: &[i64], reach: Reach) -> Result<bool> {
        self.count_unreachable(ids, reach, &mut Unreachable::default())
            .await
    }

    pub(super) async fn contact_id_by_urn(&self, urn: &Urn) -> Result<Option<i64>> {
        Ok(sqlx::query("SELECT contact_id FROM contact_urns WHERE urn = $1")
            .bind(urn.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>("contact_id"))
            .transpose()?)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_contacts_are_described_by_why() {
        let midwives = ["group Midwives".to_string()];
        let n = |stopped, blocked, no_phone| Unreachable {
            stopped,
            blocked,
            no_phone,
        };
        let cases: [(Unreachable, &[String], &str); 5] = [
            (
                n(3, 0, 0),
                &midwives,
                "all 3 selected contacts (group Midwives) have opted out",
            ),
            (n(3, 0, 0), &[], "all 3 selected contacts have opted out"),
            (
                n(0, 1, 0),
                &midwives,
                "the 1 selected contact (group Midwives) is blocked",
            ),
            (
                n(0, 0, 2),
                &midwives,
                "all 2 selected contacts (group Midwives) have no phone number",
            ),
            (
                n(2, 1, 1),
                &midwives,
                "none of the 4 selected contacts (group Midwives) can be reached: 2 opted out, 1 blocked, \
                 1 without a phone number",
            ),
        ];
        for (u, selection, said) in cases {
            assert_eq!(u.describe(selection), said);
        }
    }
}
