//! SQLite's WAL checkpoints, kept off the writer's path. By default SQLite
//! checkpoints inside the commit that pushes the WAL past 1,000 pages: that
//! commit copies the WAL into the database file and syncs it, and every
//! write queued behind the one writer connection waits (tens of
//! milliseconds, the conversation path's latency tail). The writer runs with
//! automatic checkpoints off, and this task checkpoints from a reader
//! connection instead, in PASSIVE mode: it never takes the write lock, so
//! writers go on appending to the WAL while it copies. Knows nothing of
//! what the tables hold.

use std::sync::Weak;
use std::time::Duration;

use sqlx::AnyPool;

/// How often the WAL is copied back: often enough that it stays a few
/// megabytes at a thousand messages a second, rarely enough that an idle
/// gateway does almost nothing.
const EVERY: Duration = Duration::from_millis(500);

/// Checkpoint through `readers` every [`EVERY`] until the store is gone
/// (`alive` no longer upgrades). A failed checkpoint is logged and tried
/// again next time: the WAL only grows meanwhile, nothing is lost.
pub(super) fn start(readers: AnyPool, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_optional(&readers)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed; will try again");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use sqlx::Row;

    use crate::store::Store;

    /// The writer leaves checkpoints alone, and the database file still
    /// receives the migrations' pages: only the background task copied them.
    #[tokio::test]
    async fn the_wal_is_copied_back_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mhero.db");
        let store = Store::open(&format!("sqlite:{}", path.display()), 2)
            .await
            .unwrap();
        let auto: i64 = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(store.writer())
            .await
            .unwrap()
            .get(0);
        assert_eq!(auto, 0, "the writer must not checkpoint inside a commit");
        let wal = dir.path().join("mhero.db-wal");
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "the migrations went to the WAL"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut size = std::fs::metadata(&path).unwrap().len();
        while size <= 4096 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            size = std::fs::metadata(&path).unwrap().len();
        }
        assert!(
            size > 4096,
            "the database file never received the WAL's pages ({size} bytes)"
        );
    }
}
