//! Leases: a task that must run on one node at a time (the session timeout
//! scheduler, campaigns, registry sync) holds a named lease and renews it
//! while it runs; another node takes it over only after it expired.

use super::{Result, Store};
use crate::core::time::{now_ms, Millis};

impl Store {
    /// Take or renew `name` for `node` until `ttl_ms` from now. True when
    /// this node holds the lease.
    pub async fn hold_lease(&self, name: &str, node: &str, ttl_ms: Millis) -> Result<bool> {
        let now = now_ms();
        let res = sqlx::query(
            "INSERT INTO leases (name, node, expires_on) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
             SET node = $2, expires_on = $3 WHERE leases.node = $2 OR leases.expires_on < $4",
        )
        .bind(name)
        .bind(node)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(res.rows_affected() > 0)
    }

    /// Give a lease up at shutdown so another node need not wait it out.
    pub async fn release_lease(&self, name: &str, node: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND node = $2")
            .bind(name)
            .bind(node)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
