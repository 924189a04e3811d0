//! The audit log: one row per state change made through the console, the
//! API or the CLI — when, who (an account, a token, the CLI), what (an
//! action name and its target), the target before and after as JSON, and
//! how it ended. Secrets are removed here, on the way in, whatever the
//! caller handed over: a key that names a password, a token, a secret or a
//! hash never reaches the table.

use serde_json::Value;
use sqlx::Row;

use super::{parse_json, Paging, Result, Store};
use crate::core::time::{now_ms, Millis};

/// What stands in for a removed secret.
const REMOVED: &str = "(removed)";

/// Longest before/after JSON kept per entry: an entry records a change,
/// not a copy of a 100,000-contact import.
const MAX_JSON_BYTES: usize = 16 * 1024;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A person logged in to the console.
    Account,
    /// An API token (config file, CLI, API, or an account's own).
    Token,
    /// `mhero account ...` / `mhero token ...` on the server.
    Cli,
}

impl ActorKind {
    pub fn name(self) -> &'static str {
        match self {
            ActorKind::Account => "account",
            ActorKind::Token => "token",
            ActorKind::Cli => "cli",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAudit {
    pub actor_kind: ActorKind,
    /// The account's user name, the token's name, or the CLI's OS user.
    pub actor: String,
    /// The account a token belongs to.
    pub account: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// `ok`, `refused` (4xx) or `failed` (5xx).
    pub result: String,
    pub status: Option<u16>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    #[serde(serialize_with = "crate::core::time::rfc3339::serialize")]
    pub at: Millis,
    pub actor_kind: String,
    pub actor: String,
    pub account: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub result: String,
    pub status: Option<i64>,
}

/// Which entries to list; every filter is exact, `since`/`until` bound `at`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
}

/// Whether a JSON key names something secret.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == "token"
        || k.ends_with("_token")
        || ["password", "secret", "hash", "csrf"]
            .iter()
            .any(|s| k.contains(s))
}

/// `v` with every secret-named key's value replaced.
pub fn scrub(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) && !v.is_null() {
                        Value::String(REMOVED.into())
                    } else {
                        scrub(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(scrub).collect()),
        other => other.clone(),
    }
}

/// Scrubbed JSON text, cut to a note when too long.
fn stored_json(v: &Option<Value>) -> Option<String> {
    let text = scrub(v.as_ref()?).to_string();
    if text.len() > MAX_JSON_BYTES {
        return Some(serde_json::json!({"truncated": true, "bytes": text.len()}).to_string());
    }
    Some(text)
}

impl Store {
    pub async fn record_audit(&self, e: &NewAudit) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_kind, actor, account, action, target_type, target_id, \
             before_json, after_json, result, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(now_ms())
        .bind(e.actor_kind.name())
        .bind(&e.actor)
        .bind(&e.account)
        .bind(&e.action)
        .bind(&e.target_type)
        .bind(&e.target_id)
        .bind(stored_json(&e.before))
        .bind(stored_json(&e.after))
        .bind(&e.result)
        .bind(e.status.map(i64::from))
        .execute(self.writer())
        .await?;
        Ok(())
    }

    pub async fn list_audit(&self, f: &AuditFilter, page: &Paging) -> Result<Vec<AuditRow>> {
        let mut sql = String::from(
            "SELECT id, at, actor_kind, actor, account, action, target_type, target_id, before_json, \
             after_json, result, status FROM audit_log WHERE 1 = 1",
        );
        let mut texts = Vec::new();
        for (col, v) in [
            ("actor", &f.actor),
            ("action", &f.action),
            ("target_type", &f.target_type),
            ("target_id", &f.target_id),
        ] {
            if let Some(v) = v {
                texts.push(v.clone());
                sql.push_str(&format!(" AND {col} = ${}", texts.len()));
            }
        }
        // Times are integers formatted here, not request text.
        if let Some(s) = f.since {
            sql.push_str(&format!(" AND at >= {s}"));
        }
        if let Some(u) = f.until {
            sql.push_str(&format!(" AND at < {u}"));
        }
        sql.push_str(&page.sql("id"));
        let mut q = sqlx::query(&sql);
        for t in &texts {
            q = q.bind(t);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let json = |col: &str| -> Result<Option<Value>> {
                    r.try_get::<Option<String>, _>(col)?
                        .map(|t| parse_json(col, &t))
                        .transpose()
                };
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_kind: r.try_get("actor_kind")?,
                    actor: r.try_get("actor")?,
                    account: r.try_get("account")?,
                    action: r.try_get("action")?,
                    target_type: r.try_get("target_type")?,
                    target_id: r.try_get("target_id")?,
                    before: json("before_json")?,
                    after: json("after_json")?,
                    result: r.try_get("result")?,
                    status: r.try_get("status")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_removed_at_any_depth() {
        let v = json!({"username": "amina", "password": "hunter2hunter2",
                       "tokens": [{"name": "ci", "token": "abc"}],
                       "nested": {"current_password": "x", "password_hash": "$argon2id$"},
                       "csrf": "t", "note": null});
        let s = scrub(&v).to_string();
        for secret in ["hunter2hunter2", "abc", "\"x\"", "argon2id", "\"t\""] {
            assert!(!s.contains(secret), "{secret} kept in {s}");
        }
        assert!(s.contains("amina") && s.contains("\"ci\""), "{s}");
    }
}
