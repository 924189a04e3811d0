//! API tokens. Only a SHA-256 hash of each token is stored.

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Result, Store};
use crate::config::Role;
use crate::core::time::now_ms;

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub name: String,
    pub role: Role,
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    pub async fn add_token(&self, name: &str, token: &str, role: Role) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (name, token_hash, role, created_on) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(hash_token(token))
            .bind(role_name(role))
            .bind(now_ms())
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn find_token(&self, token: &str) -> Result<Option<TokenRow>> {
        let r = sqlx::query("SELECT name, role FROM api_tokens WHERE token_hash = $1")
            .bind(hash_token(token))
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            let role: String = r.try_get("role")?;
            Ok(TokenRow {
                name: r.try_get("name")?,
                role: match role.as_str() {
                    "admin" => Role::Admin,
                    "operator" => Role::Operator,
                    _ => Role::Viewer,
                },
            })
        })
        .transpose()
    }

    pub async fn count_tokens(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM api_tokens")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Admin => "admin",
    }
}
