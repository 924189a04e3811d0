//! All SQL lives here. One `Store` over SQLite (a file in WAL mode, the
//! embedded default) or PostgreSQL (shared by several gateway nodes), through
//! sqlx's `Any` driver so that each statement is written once. Where the two
//! dialects differ (row locking) the code branches on [`Dialect`].
//!
//! Rules kept here: every multi-row change is one transaction; outbound
//! messages are inserted before anything tries to send them; a claim marks a
//! row with the claiming node so a restart can reconcile it.

mod accounts;
mod audience;
mod audit;
mod broadcasts;
mod calls;
mod campaigns;
mod checkpoint;
mod console_sessions;
mod contacts;
mod directory;
mod firings;
mod flows;
mod group_commit;
mod groups;
mod import;
mod leases;
mod logins;
mod mo_parts;
mod msg_counts;
mod msgs;
mod nodes;
mod paging;
mod preview;
mod registry;
mod segments;
mod sends;
mod sessions;
mod settle;
mod sim;
mod sprint_write;
mod starts;
mod tokens;
mod triggers;

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

pub use accounts::{validate_username, Account, AccountPatch, NewAccount, ACCOUNT_LANGUAGES, FIRST_ADMIN};
pub use audience::{Accepted, Reach, Recipients};
pub use audit::{scrub, ActorKind, AuditFilter, AuditRow, NewAudit};
pub use broadcasts::{check_texts, Broadcast, BroadcastProgress, MaterializeParams, NewBroadcast};
pub use calls::{status as call_status, CallRow, CallRunRow, CallTalk, NewCall};
pub use campaigns::{check_offset, Campaign, DueFire, EventRow, NewCampaign, NewEvent, OffsetOutOfRange};
pub use console_sessions::{random_hex, ConsoleSession, SessionLimits};
pub use contacts::{ContactChanges, ContactFilter, ContactPatch, NewContact};
pub use firings::DueFiring;
pub use flows::{FlowRow, NewFlow, ResultSummary, RunCounts, RunFilter, RunRow};
pub use groups::Group;
pub use import::{ImportReport, ImportedContact, MAX_IMPORT};
pub use logins::{MAX_FAILURES as LOGIN_MAX_FAILURES, WINDOW_MS as LOGIN_WINDOW_MS};
pub use mo_parts::{Joined, MoGroup, PartStored, DUPLICATE_WINDOW_MS};
pub use msgs::{ClaimedMsg, MsgFilter, MsgRow, NewInbound, NewOutMsg, Outcome, PendingInbound, Waiting};
pub use paging::{Paging, DEFAULT_PAGE, MAX_PAGE};
pub use preview::{Audience, Excluded, Reached};
pub use registry::{
    GroupAgreement, GroupExport, GroupSync, HrRunRow, NewConflict, NewRequest, PendingPractitioner,
    PhoneConflict, Registration, RegistryConflict, RegistryRecord, RegistrySyncState, RequestProgress,
    RequestRow, RunRequest, RunResultRow, StaffRow, UpsertReport, WriteBackMsg, WriteBackRun, UPSERT_CHUNK,
};
pub use sends::{finished as send_finished, send_state, FailureGroup, Funnel, LinkFunnel};
pub use sessions::{
    Applied, Completion, FollowUpStart, ResultWrite, RunWrite, SessionWrite, SprintWrite, WaitingSession,
};
pub use settle::ReceiptWaits;
pub use sim::SimReceived;
pub use starts::{Exclusions, FlowStart, NewStart, StartProgress};
pub use tokens::{new_secret, TokenListing, TokenRow};
pub use triggers::{NewTrigger, TriggerRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A request of many parts (an import's rows) with several bad ones:
    /// every problem found (up to a listing limit; `total` counts all),
    /// nothing written.
    #[error("{total} problems, the first: {}", problems.first().map(|p| p.to_string()).unwrap_or_default())]
    Refused { problems: Vec<Problem>, total: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store's {0} has stopped")]
    Closed(&'static str),
}

/// One thing wrong with one part of a request, named by its path
/// (`contacts[3].urns[0]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Problem {
    pub field: String,
    #[serde(rename = "error")]
    pub message: String,
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's limits on
/// bound parameters (32,766 and 65,535) at 14 columns.
const INSERT_CHUNK: usize = 500;

/// How long a caller waits for a pooled connection before the store
/// reports an error: long enough to ride out a burst, short enough that a
/// wedged database shows up in logs rather than as a silent stall.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of the database file SQLite maps into memory (a limit, not an
/// allocation: the kernel's page cache backs it).
const SQLITE_MMAP_BYTES: u64 = 1 << 30;

/// `writer`: the one connection that writes, which leaves checkpoints to
/// [`checkpoint`] (see there why). Pages are read through a memory map
/// ([`SQLITE_MMAP_BYTES`]): under a steady stream of writes every read
/// transaction starts with an emptied page cache, and copying each page in
/// with `read()` was a visible share of a conversation's cost.
async fn sqlite_pool(opts: AnyConnectOptions, max_connections: u32, writer: bool) -> Result<AnyPool> {
    let mut pragmas = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
         PRAGMA foreign_keys = ON; PRAGMA mmap_size = {SQLITE_MMAP_BYTES};"
    );
    if writer {
        pragmas.push_str(" PRAGMA wal_autocheckpoint = 0;");
    }
    Ok(AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| {
            let pragmas = pragmas.clone();
            Box::pin(async move {
                use sqlx::Executor;
                conn.execute(pragmas.as_str()).await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await?)
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where writes go. On SQLite a pool of one connection: SQLite has one
    /// writer, and queueing writers here, first come first served, beats
    /// its busy handler, which sleeps 1–100 ms between tries (hundreds of
    /// milliseconds of latency under load). On PostgreSQL the same pool as
    /// `pool`.
    writer: AnyPool,
    dialect: Dialect,
    /// Started on first use, on the runtime that first writes through it.
    committer: Arc<OnceLock<group_commit::Committer>>,
    /// Held by every clone; background tasks of this store (the SQLite
    /// checkpointer) end once the last clone is dropped.
    _alive: Arc<()>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connect without migrating.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                // WAL lets readers go on while the one writer writes; NORMAL
                // sync is durable across process crashes (our kill -9 case);
                // the busy timeout covers other processes (the CLI) writing.
                let mut url = url.to_string();
                if !url.contains('?') {
                    url.push_str("?mode=rwc");
                }
                let opts = AnyConnectOptions::from_str(&url)?;
                let writer = sqlite_pool(opts.clone(), 1, true).await?;
                let readers = sqlite_pool(opts, max_connections, false).await?;
                (readers, writer)
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let alive = Arc::new(());
        if dialect == Dialect::Sqlite {
            checkpoint::start(pool.clone(), Arc::downgrade(&alive));
        }
        Ok(Store {
            pool,
            writer,
            dialect,
            committer: Arc::default(),
            _alive: alive,
        })
    }

    /// Connect and bring the schema up to date.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store> {
        let store = Store::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.writer).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.writer).await?,
        }
        Ok(())
    }

    /// A transaction that will write. On SQLite it runs on the one writer
    /// connection and takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// a transaction that reads first and writes later never meets another
    /// writer half way.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        begin_write_on(&self.writer, self.dialect).await
    }

    /// Group commit of inbound messages and sprints (see [`group_commit`]).
    fn committer(&self) -> &group_commit::Committer {
        self.committer
            .get_or_init(|| group_commit::Committer::start(self.writer.clone(), self.dialect))
    }

    /// Where a single write statement outside a transaction goes (see
    /// [`Store::begin_write`]).
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// See [`Store::begin_write`].
async fn begin_write_on(writer: &AnyPool, dialect: Dialect) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    Ok(match dialect {
        Dialect::Sqlite => writer.begin_with("BEGIN IMMEDIATE").await?,
        Dialect::Postgres => writer.begin().await?,
    })
}

/// `$1, $2, ...` placeholders for one row of `cols` columns starting after
/// `offset` parameters. Both SQLite and PostgreSQL accept `$N`.
fn placeholders(offset: usize, cols: usize) -> String {
    let mut s = String::from("(");
    for c in 0..cols {
        if c > 0 {
            s.push_str(", ");
        }
        s.push('$');
        s.push_str(&(offset + c + 1).to_string());
    }
    s.push(')');
    s
}

fn in_list(offset: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", offset + i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || d.message().contains("UNIQUE") || d.message().contains("duplicate key")
        }
        _ => false,
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn parse_enum<T: FromStr<Err = String>>(s: &str) -> Result<T> {
    s.parse().map_err(StoreError::Corrupt)
}
