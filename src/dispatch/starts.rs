//! Flow starts: materialise each accepted start into its contacts, then
//! start them in batches, each contact's start and its "done" mark in one
//! transaction (so a crash resumes where it stopped and starts nobody
//! twice). Exclusions are applied per contact when their turn comes. A
//! start is completed when its last contact is started or skipped, however
//! long the messages its flow sends take; one that reaches nobody is
//! completed with a note saying why.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use super::engine::{FlowError, Sprinted, StartOpts, StartReason};
use super::Gateway;
use crate::core::time::now_ms;
use crate::core::ContactStatus;
use crate::store::{Completion, FlowStart, Reach};

/// How often open starts are looked for when nothing woke the worker.
const TICK: Duration = Duration::from_millis(500);
/// Contacts started at the same time (the engine runs on blocking threads;
/// the store serialises writers on SQLite anyway).
const PARALLEL: usize = 4;
const DONE_STARTED: i64 = 1;
const DONE_SKIPPED: i64 = 2;

pub(super) async fn run(gw: Arc<Gateway>) {
    loop {
        if let Err(e) = pass(&gw).await {
            tracing::warn!(error = %e, "flow start pass failed; will retry");
        }
        tokio::select! {
            _ = gw.cancel.cancelled() => return,
            _ = gw.starts_wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

impl Gateway {
    /// Tell the start worker a start was accepted.
    pub fn wake_starts(&self) {
        self.starts_wake.notify_one();
    }
}

async fn pass(gw: &Gateway) -> Result<(), FlowError> {
    for start in gw.store.open_flow_starts().await? {
        if gw.is_stopping() {
            return Ok(());
        }
        if start.status == "pending" {
            let country = gw.config.contacts.default_country.as_deref();
            let resolved = gw.store.resolve_recipients(&start.recipients, country).await?;
            match resolved {
                Ok(ids) => {
                    let all: Vec<i64> = ids.iter().copied().collect();
                    let note = if gw.store.any_reachable(&all, Reach::Flow).await? {
                        None
                    } else {
                        let why = gw
                            .store
                            .why_nobody(&start.recipients, country, Reach::Flow)
                            .await?
                            .unwrap_or_else(|| "no contact could be started when it fired".into());
                        Some(format!("{}: {why}", Reach::Flow.nobody()))
                    };
                    gw.store
                        .materialize_start(start.id, &ids, note.as_deref())
                        .await?;
                }
                Err(e) => {
                    gw.store.finish_start(start.id, Some(&e)).await?;
                    continue;
                }
            }
        }
        run_start(gw, &start).await?;
    }
    Ok(())
}

async fn run_start(gw: &Gateway, start: &FlowStart) -> Result<(), FlowError> {
    let batch = i64::from(gw.config.flows.start_batch.max(1));
    let params = start.params.clone();
    loop {
        let todo = gw.store.start_todo(start.id, batch).await?;
        if todo.is_empty() {
            if gw.store.finish_start(start.id, None).await? {
                tracing::info!(start = %start.uuid, flow = %start.flow, "flow start completed");
            }
            return Ok(());
        }
        let recently: BTreeSet<i64> = match start.exclusions.started_previously_days {
            Some(days) => {
                let since = now_ms() - i64::from(days) * 86_400_000;
                gw.store.started_since(&start.flow, &todo, since).await?
            }
            None => BTreeSet::new(),
        };
        let results: Vec<Result<(), FlowError>> = futures::stream::iter(todo)
            .map(|cid| {
                let skip_recent = recently.contains(&cid);
                let params = params.clone();
                async move { start_one(gw, start, cid, skip_recent, params).await }
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for r in results {
            r?;
        }
        if gw.is_stopping() {
            return Ok(());
        }
    }
}

async fn start_one(
    gw: &Gateway,
    start: &FlowStart,
    contact_id: i64,
    skip_recent: bool,
    params: Option<serde_json::Value>,
) -> Result<(), FlowError> {
    let skip = |why: &str| {
        tracing::debug!(start = %start.uuid, contact = contact_id, why, "contact skipped");
        Completion::StartContact {
            start_id: start.id,
            contact_id,
            done: DONE_SKIPPED,
        }
    };
    // Cancelled since its batch was read: no sprint (its webhooks would be
    // called for a start that is over).
    if !gw.store.start_contact_todo(start.id, contact_id).await? {
        return Ok(());
    }
    let contact = match gw.store.get_contact_by_id(contact_id).await {
        Ok(c) => c,
        Err(crate::store::StoreError::NotFound(_)) => {
            gw.store.complete(&[skip("deleted")]).await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if contact.status != ContactStatus::Active {
        gw.store.complete(&[skip("not active")]).await?;
        return Ok(());
    }
    if skip_recent {
        gw.store.complete(&[skip("started recently")]).await?;
        return Ok(());
    }
    if start.exclusions.in_a_flow && gw.store.waiting_session(contact_id).await?.is_some() {
        gw.store.complete(&[skip("in a flow")]).await?;
        return Ok(());
    }
    let reason = match start.origin.as_str() {
        "flow_action" => StartReason::FlowAction {
            run_summary: params
                .as_ref()
                .map(|p| p["run_summary"].clone())
                .unwrap_or_default(),
        },
        _ => StartReason::Manual { params },
    };
    let opts = StartOpts {
        start_id: Some(start.id),
        completions: vec![Completion::StartContact {
            start_id: start.id,
            contact_id,
            done: DONE_STARTED,
        }],
        handled_msg: None,
    };
    match gw.start_flow(&contact, &start.flow, reason, opts).await {
        Ok(Sprinted::Done { .. }) | Ok(Sprinted::Stale) => Ok(()),
        Err(FlowError::NoFlow(f)) => {
            gw.store
                .finish_start(start.id, Some(&format!("flow {f} is not loaded")))
                .await?;
            Err(FlowError::NoFlow(f))
        }
        Err(e) => {
            // One contact's failure must not hold the rest of the start.
            tracing::warn!(start = %start.uuid, contact = %contact.uuid, error = %e, "contact not started");
            gw.store.complete(&[skip("engine error")]).await?;
            Ok(())
        }
    }
}
