//! Group commit of the conversation path's writes: inbound messages as
//! they arrive and the sprints they cause. Every such write goes to a
//! committer task; a committer takes whatever is queued when it comes free
//! (never waiting for more) and writes it in one transaction: the inbound
//! messages in one multi-row insert, the sprints with the multi-row
//! statements of [`super::sprint_write`]. Under load that turns a dozen
//! round trips per message into a dozen per batch; when idle a batch is
//! one write and nothing waits.
//!
//! Each write still stands or falls alone: a stale sprint is left out of
//! its batch, and when a batch fails on a database error it is rolled back
//! and its writes are done one transaction each, so the error reaches only
//! the write that caused it. A caller hears back only after its write's
//! transaction committed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::msgs::{insert_inbound_rows, NewInbound, SQLITE_PARAMS};
use super::sessions::{Applied, SprintWrite};
use super::sprint_write::{write_sprints, FieldTypes};
use super::{begin_write_on, Dialect, Result, StoreError};
use crate::core::time::{HistogramTimer, Millis};

/// Sprints in one transaction at most: enough to take a burst in one go,
/// few enough that the statements stay small and one slow batch does not
/// hold many callers.
const MAX_BATCH: usize = 64;
/// Sprints waiting for a committer; a caller beyond this waits to queue.
const QUEUE: usize = 4_096;
/// Committers on PostgreSQL: two keep one batch building while the other
/// commits (PostgreSQL writes in parallel); more would only split batches
/// on a small machine. SQLite has one writer, so one committer.
const PG_COMMITTERS: usize = 2;

/// Inbound messages in one statement at most (SQLite's bound parameters).
const INBOUND_ROWS: usize = SQLITE_PARAMS / 12;

struct SprintJob {
    write: SprintWrite,
    types: FieldTypes,
    reply: oneshot::Sender<Result<Applied>>,
    queued: Instant,
}

/// An inbound message to persist, owned so that it can wait in the queue.
struct InboundJob {
    contact_id: i64,
    urn: String,
    text: String,
    link: String,
    external_id: Option<String>,
    received_on: Millis,
    note: Option<String>,
    node: String,
    reply: oneshot::Sender<Result<i64>>,
    queued: Instant,
}

impl InboundJob {
    fn row(&self) -> NewInbound<'_> {
        NewInbound {
            contact_id: self.contact_id,
            urn: &self.urn,
            text: &self.text,
            link: &self.link,
            external_id: self.external_id.as_deref(),
            received_on: self.received_on,
            note: self.note.as_deref(),
            node: &self.node,
        }
    }
}

/// A sprint's write is large next to an inbound message, so it is boxed:
/// the queue's slots stay small.
enum Job {
    Sprint(Box<SprintJob>),
    Inbound(InboundJob),
}

/// The queue to the committers of one store.
pub(super) struct Committer {
    tx: mpsc::Sender<Job>,
}

impl Committer {
    /// Start the committers on the current runtime.
    pub(super) fn start(writer: AnyPool, dialect: Dialect) -> Committer {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let n = match dialect {
            Dialect::Sqlite => 1,
            Dialect::Postgres => PG_COMMITTERS,
        };
        for _ in 0..n {
            tokio::spawn(committer(writer.clone(), dialect, rx.clone()));
        }
        Committer { tx }
    }

    /// Write one sprint; returns once its transaction committed.
    pub(super) async fn apply(&self, write: SprintWrite, types: FieldTypes) -> Result<Applied> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Sprint(Box::new(SprintJob {
            write,
            types,
            reply,
            queued: Instant::now(),
        })))
        .await?;
        answer.await.map_err(|_| StoreError::Closed("committer"))?
    }

    /// Persist one inbound message as `pending`; its id once committed.
    pub(super) async fn insert_inbound(&self, m: &NewInbound<'_>) -> Result<i64> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Inbound(InboundJob {
            contact_id: m.contact_id,
            urn: m.urn.to_string(),
            text: m.text.to_string(),
            link: m.link.to_string(),
            external_id: m.external_id.map(str::to_string),
            received_on: m.received_on,
            note: m.note.map(str::to_string),
            node: m.node.to_string(),
            reply,
            queued: Instant::now(),
        }))
        .await?;
        answer.await.map_err(|_| StoreError::Closed("committer"))?
    }

    async fn send(&self, job: Job) -> Result<()> {
        self.tx
            .send(job)
            .await
            .map_err(|_| StoreError::Closed("committer"))
    }
}

async fn committer(writer: AnyPool, dialect: Dialect, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    // Sprints held back from a batch that already had their contact: they
    // go in the next one, after the first has committed.
    let mut held: Vec<Job> = Vec::new();
    loop {
        let mut queued = std::mem::take(&mut held);
        if queued.is_empty() {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => queued.push(job),
                None => return,
            }
            while queued.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => queued.push(job),
                    Err(_) => break,
                }
            }
        }
        // A sprint with completions can turn stale after writing, so it is
        // written alone (see `sprint_write`); so is a second sprint of a
        // contact already in the batch.
        let mut inbound = Vec::new();
        let mut sprints = Vec::with_capacity(queued.len());
        let mut alone = Vec::new();
        let mut contacts = HashSet::new();
        for job in queued {
            match job {
                Job::Inbound(j) => inbound.push(j),
                Job::Sprint(j) if !j.write.completions.is_empty() => alone.push(*j),
                Job::Sprint(j) if contacts.insert(j.write.contact_id) => sprints.push(*j),
                held_back => held.push(held_back),
            }
        }
        if !inbound.is_empty() || !sprints.is_empty() {
            commit_batch(&writer, dialect, inbound, sprints).await;
        }
        for job in alone {
            let res = write_alone(&writer, dialect, &job).await;
            let _ = job.reply.send(res);
        }
    }
}

/// Write a batch in one transaction and answer each write; on a database
/// error, one transaction each.
async fn commit_batch(writer: &AnyPool, dialect: Dialect, inbound: Vec<InboundJob>, sprints: Vec<SprintJob>) {
    metrics::histogram!("mhero_commit_batch_size").record((inbound.len() + sprints.len()) as f64);
    let took = HistogramTimer::start(metrics::histogram!("mhero_commit_seconds"));
    let waited = metrics::histogram!("mhero_commit_wait_seconds");
    for q in inbound
        .iter()
        .map(|j| j.queued)
        .chain(sprints.iter().map(|j| j.queued))
    {
        waited.record(took.started().duration_since(q).as_secs_f64());
    }
    if inbound.len() + sprints.len() > 1 {
        match write_together(writer, dialect, &inbound, &sprints).await {
            Ok((ids, applied)) => {
                for (job, id) in inbound.into_iter().zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
                for (job, a) in sprints.into_iter().zip(applied) {
                    let _ = job.reply.send(Ok(a));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(
                    inbound = inbound.len(),
                    sprints = sprints.len(),
                    error = %e,
                    "a batch of writes failed; writing them one by one"
                );
            }
        }
    }
    for job in inbound {
        let res = insert_inbound_rows(writer, &[job.row()]).await.map(|ids| ids[0]);
        let _ = job.reply.send(res);
    }
    for job in sprints {
        let res = write_alone(writer, dialect, &job).await;
        let _ = job.reply.send(res);
    }
}

async fn write_together(
    writer: &AnyPool,
    dialect: Dialect,
    inbound: &[InboundJob],
    sprints: &[SprintJob],
) -> Result<(Vec<i64>, Vec<Applied>)> {
    let mut tx = begin_write_on(writer, dialect).await?;
    let mut ids = Vec::with_capacity(inbound.len());
    for chunk in inbound.chunks(INBOUND_ROWS) {
        let rows: Vec<_> = chunk.iter().map(InboundJob::row).collect();
        ids.extend(insert_inbound_rows(&mut *tx, &rows).await?);
    }
    let ws: Vec<_> = sprints.iter().map(|j| (&j.write, &j.types)).collect();
    let applied = if ws.is_empty() {
        Vec::new()
    } else {
        write_sprints(&mut tx, &ws).await?
    };
    tx.commit().await?;
    Ok((ids, applied))
}

/// One sprint in its own transaction, rolled back when it is stale.
async fn write_alone(writer: &AnyPool, dialect: Dialect, job: &SprintJob) -> Result<Applied> {
    let mut tx = begin_write_on(writer, dialect).await?;
    let applied = write_sprints(&mut tx, &[(&job.write, &job.types)])
        .await?
        .remove(0);
    match applied {
        Applied::Stale => tx.rollback().await?,
        Applied::Written(_) => tx.commit().await?,
    }
    Ok(applied)
}
