//! Writing sprints: everything one or more sprints produced, inside one
//! transaction, in a fixed number of statements however many sprints there
//! are (the sessions, then their runs, results, outbound messages and
//! handled inbound messages, each one multi-row statement). Only contact
//! changes, follow-up starts, broadcasts and completions, which most
//! sprints do not have, cost statements per sprint.
//!
//! A sprint is stale when its session moved on (version guard) or another
//! session started waiting for its contact first; a stale sprint is found
//! by the first statement that touches it and nothing of it is written.
//! Completions are the exception (they are checked after the session is
//! written), so a sprint with completions goes alone in its transaction
//! and the caller rolls back when it comes back stale.

use std::collections::HashMap;

use sqlx::{Any, Row, Transaction};

use super::contacts::apply_changes;
use super::msgs::{insert_out, rows_per_statement};
use super::sessions::{interrupt_waiting, write_completions, Applied, SprintWrite};
use super::{placeholders, Dialect, Result};
use crate::core::contact::FieldType;
use crate::core::time::{now_ms, Millis};

pub(super) type FieldTypes = HashMap<String, FieldType>;

/// Write one sprint inside `tx`. On `Stale` nothing more should be written:
/// the caller rolls the transaction back.
pub(super) async fn write_sprint(
    tx: &mut Transaction<'_, Any>,
    w: &SprintWrite,
    types: &FieldTypes,
) -> Result<Applied> {
    Ok(write_sprints(tx, &[(w, types)]).await?.remove(0))
}

/// Write several sprints inside `tx`, one result per sprint in order. At
/// most one sprint per contact, and a sprint with completions only alone
/// (see the module's notes).
pub(super) async fn write_sprints(
    tx: &mut Transaction<'_, Any>,
    ws: &[(&SprintWrite, &FieldTypes)],
) -> Result<Vec<Applied>> {
    debug_assert!(ws.len() == 1 || ws.iter().all(|(w, _)| w.completions.is_empty()));
    let now = now_ms();
    let dialect = match tx.backend_name() {
        "SQLite" => Dialect::Sqlite,
        _ => Dialect::Postgres,
    };
    // 1. The sessions: resumed ones guarded by their version, new ones
    // refused when another session waits for the contact.
    let mut session_ids: Vec<Option<i64>> = vec![None; ws.len()];
    let resumed: Vec<usize> = (0..ws.len())
        .filter(|&i| ws[i].0.session.prior.is_some())
        .collect();
    update_sessions(tx, dialect, ws, &resumed, now, &mut session_ids).await?;
    let fresh: Vec<usize> = (0..ws.len())
        .filter(|&i| ws[i].0.session.prior.is_none())
        .collect();
    for &i in &fresh {
        if ws[i].0.interrupt_waiting {
            interrupt_waiting(tx, ws[i].0.contact_id, now).await?;
        }
    }
    insert_sessions(tx, dialect, ws, &fresh, now, &mut session_ids).await?;
    let live: Vec<(usize, i64)> = session_ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| id.map(|id| (i, id)))
        .collect();

    // 2. Runs and the results they changed.
    let run_ids = upsert_runs(tx, dialect, ws, &live, now).await?;
    upsert_results(tx, dialect, ws, &live, &run_ids).await?;

    // 3. What is particular to a sprint: the contact, what the flow asked
    // for next, and the bookkeeping it completes.
    let mut out: Vec<Applied> = session_ids
        .iter()
        .map(|id| id.map_or(Applied::Stale, Applied::Written))
        .collect();
    for &(i, _) in &live {
        let (w, types) = ws[i];
        apply_changes(tx, w.contact_id, &w.contact, types).await?;
        for s in &w.starts {
            let start = super::NewStart {
                flow: s.flow_uuid.clone(),
                recipients: s.recipients.clone(),
                params: s.params.clone(),
                origin: s.origin.clone(),
                ..Default::default()
            };
            super::starts::insert_start(tx, &start).await?;
        }
        for b in &w.broadcasts {
            super::broadcasts::insert_broadcast(tx, b, now).await?;
        }
        if !write_completions(tx, &w.completions, now).await? {
            out[i] = Applied::Stale;
        }
    }

    // 4. The outbox, and the inbound messages these sprints acted on.
    let msgs: Vec<_> = live
        .iter()
        .flat_map(|&(i, _)| ws[i].0.msgs.iter().cloned())
        .collect();
    insert_out(tx, &msgs).await?;
    let handled: Vec<i64> = live.iter().filter_map(|&(i, _)| ws[i].0.handled_msg).collect();
    super::msgs::mark_handled_in(tx, &handled, now, crate::core::HandledBy::Flow).await?;
    Ok(out)
}

/// Resumed sessions, one statement per chunk; the ones whose version still
/// matches get their id in `ids`.
async fn update_sessions(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    ws: &[(&SprintWrite, &FieldTypes)],
    which: &[usize],
    now: Millis,
    ids: &mut [Option<i64>],
) -> Result<()> {
    const COLS: usize = 8;
    for chunk in which.chunks(rows_per_statement(dialect, COLS)) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|k| placeholders(1 + k * COLS, COLS))
            .collect();
        // VALUES names its columns column1, column2, ... in both databases.
        let sql = format!(
            "UPDATE sessions SET status = v.column3, flow_uuid = v.column4, state = v.column5, \
             version = version + 1, timeout_on = v.column6, expires_on = v.column7, modified_on = $1, \
             ended_on = v.column8 FROM (VALUES {}) AS v \
             WHERE sessions.id = v.column1 AND sessions.version = v.column2 AND sessions.status = 'waiting' \
             RETURNING id",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(now);
        for &i in chunk {
            let s = &ws[i].0.session;
            let (id, version) = s.prior.expect("resumed sessions only");
            q = q
                .bind(id)
                .bind(version)
                .bind(&s.status)
                .bind(&s.flow_uuid)
                .bind(s.state.as_deref())
                .bind(s.timeout_on)
                .bind(s.expires_on)
                .bind((s.status != "waiting").then_some(now));
        }
        let updated: Vec<i64> = q
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        for &i in chunk {
            let (id, _) = ws[i].0.session.prior.expect("resumed sessions only");
            if updated.contains(&id) {
                ids[i] = Some(id);
            }
        }
    }
    Ok(())
}

/// New sessions; one refused by the one-waiting-session-per-contact index
/// (another started first) gets no id.
async fn insert_sessions(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    ws: &[(&SprintWrite, &FieldTypes)],
    which: &[usize],
    now: Millis,
    ids: &mut [Option<i64>],
) -> Result<()> {
    const COLS: usize = 10;
    for chunk in which.chunks(rows_per_statement(dialect, COLS)) {
        let rows: Vec<String> = (0..chunk.len()).map(|k| placeholders(k * COLS, COLS)).collect();
        let sql = format!(
            "INSERT INTO sessions (uuid, contact_id, status, flow_uuid, state, timeout_on, expires_on, \
             ended_on, created_on, modified_on) VALUES {} ON CONFLICT DO NOTHING RETURNING id, uuid",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for &i in chunk {
            let w = ws[i].0;
            let s = &w.session;
            q = q
                .bind(&s.uuid)
                .bind(w.contact_id)
                .bind(&s.status)
                .bind(&s.flow_uuid)
                .bind(s.state.as_deref())
                .bind(s.timeout_on)
                .bind(s.expires_on)
                .bind((s.status != "waiting").then_some(now))
                .bind(now)
                .bind(now);
        }
        let mut inserted = HashMap::new();
        for r in q.fetch_all(&mut **tx).await? {
            inserted.insert(r.try_get::<String, _>("uuid")?, r.try_get::<i64, _>("id")?);
        }
        for &i in chunk {
            ids[i] = inserted.get(&ws[i].0.session.uuid).copied();
        }
    }
    Ok(())
}

/// The live sprints' runs; their row ids by run UUID.
async fn upsert_runs(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    ws: &[(&SprintWrite, &FieldTypes)],
    live: &[(usize, i64)],
    now: Millis,
) -> Result<HashMap<String, i64>> {
    const COLS: usize = 10;
    let runs: Vec<_> = live
        .iter()
        .flat_map(|&(i, session_id)| ws[i].0.runs.iter().map(move |r| (ws[i].0, session_id, r)))
        .collect();
    let mut ids = HashMap::with_capacity(runs.len());
    for chunk in runs.chunks(rows_per_statement(dialect, COLS)) {
        let rows: Vec<String> = (0..chunk.len()).map(|k| placeholders(k * COLS, COLS)).collect();
        let sql = format!(
            "INSERT INTO runs (uuid, session_id, contact_id, flow_uuid, status, responded, start_id, \
             created_on, modified_on, exited_on) VALUES {} \
             ON CONFLICT (uuid) DO UPDATE SET status = excluded.status, \
             responded = CASE WHEN runs.responded = 1 THEN 1 ELSE excluded.responded END, \
             modified_on = excluded.modified_on, exited_on = excluded.exited_on \
             RETURNING id, uuid",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (w, session_id, run) in chunk {
            q = q
                .bind(&run.uuid)
                .bind(*session_id)
                .bind(w.contact_id)
                .bind(&run.flow_uuid)
                .bind(&run.status)
                .bind(i64::from(run.responded))
                .bind(w.start_id)
                .bind(run.created_on)
                .bind(now)
                .bind(run.exited_on);
        }
        for r in q.fetch_all(&mut **tx).await? {
            ids.insert(r.try_get::<String, _>("uuid")?, r.try_get::<i64, _>("id")?);
        }
    }
    Ok(ids)
}

/// The results the live sprints' runs changed.
async fn upsert_results(
    tx: &mut Transaction<'_, Any>,
    dialect: Dialect,
    ws: &[(&SprintWrite, &FieldTypes)],
    live: &[(usize, i64)],
    run_ids: &HashMap<String, i64>,
) -> Result<()> {
    const COLS: usize = 9;
    let mut results = Vec::new();
    for &(i, _) in live {
        for run in &ws[i].0.runs {
            let Some(&run_id) = run_ids.get(&run.uuid) else {
                continue;
            };
            results.extend(run.results.iter().map(|r| (run_id, run, r)));
        }
    }
    for chunk in results.chunks(rows_per_statement(dialect, COLS)) {
        let rows: Vec<String> = (0..chunk.len()).map(|k| placeholders(k * COLS, COLS)).collect();
        let sql = format!(
            "INSERT INTO run_results (run_id, flow_uuid, key, name, value, category, input, node_uuid, \
             created_on) VALUES {} ON CONFLICT (run_id, key) DO UPDATE SET name = excluded.name, \
             value = excluded.value, category = excluded.category, input = excluded.input, \
             node_uuid = excluded.node_uuid, created_on = excluded.created_on",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (run_id, run, r) in chunk {
            q = q
                .bind(*run_id)
                .bind(&run.flow_uuid)
                .bind(&r.key)
                .bind(&r.name)
                .bind(&r.value)
                .bind(&r.category)
                .bind(r.input.as_deref())
                .bind(&r.node_uuid)
                .bind(r.created_on);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
