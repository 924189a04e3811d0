//! Spine benchmarks (run with `cargo bench --bench spine`), against the
//! release binary over HTTP, on SQLite and on a private PostgreSQL server:
//!
//! 1. time to accept a broadcast to 100,000 contacts (until every message is
//!    persisted `queued`), against a same-run baseline: a bare batched
//!    INSERT of 100,000 rows of the same width into the same database;
//! 2. dispatcher throughput to the simulator link with no rate limit,
//!    against the simulator's own write path alone;
//! 3. accuracy of a 100 msg/s limit over 60 s (SQLite).
//!
//! Figures are medians of `RUNS` runs; method and results are recorded in
//! docs/PERFORMANCE.md. Set MHERO_BENCH_QUICK=1 for a short smoke run.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use sqlx::Connection;

const RUNS: usize = 3;

fn quick() -> bool {
    std::env::var("MHERO_BENCH_QUICK").is_ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn import(api: &Api, n: usize, group: &str) {
    let chunk = 10_000;
    let mut done = 0;
    while done < n {
        let k = chunk.min(n - done);
        let mut body = contacts_json(k, done, |_| json!({}));
        for c in body["contacts"].as_array_mut().unwrap() {
            c["groups"] = json!([group]);
        }
        let (s, v) = api.post("/contacts/import", body).await;
        assert_eq!(s, 201, "{v}");
        done += k;
    }
}

/// Seconds until a broadcast is materialised, and until all its messages are sent.
async fn broadcast(api: &Api, group: &str, n: usize, wait_sent: bool) -> (f64, f64) {
    let start = Instant::now();
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "Bench message", "groups": [group], "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let path = format!("/broadcasts/{}", b["uuid"].as_str().unwrap());
    let mut accepted = 0.0;
    loop {
        let v = api.ok(&path).await;
        if accepted == 0.0 && v["status"] == "queued" {
            assert_eq!(v["recipient_count"], n as i64);
            accepted = start.elapsed().as_secs_f64();
            if !wait_sent {
                return (accepted, 0.0);
            }
        }
        let p = &v["progress"];
        let out = p["sent"].as_i64().unwrap_or(0) + p["delivered"].as_i64().unwrap_or(0);
        if accepted > 0.0 && out == n as i64 {
            return (accepted, start.elapsed().as_secs_f64() - accepted);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A bare batched INSERT of `n` rows as wide as an outbox row, in one
/// transaction, into a scratch table of the same database.
async fn baseline_insert(url: &str, n: usize) -> f64 {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let id = if url.starts_with("sqlite") {
        "INTEGER PRIMARY KEY AUTOINCREMENT"
    } else {
        "BIGSERIAL PRIMARY KEY"
    };
    sqlx::query("DROP TABLE IF EXISTS bench_scratch")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!(
        "CREATE TABLE bench_scratch (id {id}, a TEXT, b TEXT, c BIGINT, d TEXT, e TEXT, f TEXT, g BIGINT, \
         h BIGINT, i TEXT, j BIGINT, k BIGINT, l BIGINT, m BIGINT)"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let start = Instant::now();
    let mut tx = conn.begin().await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let b = r * 13;
                format!(
                    "({})",
                    (1..=13)
                        .map(|c| format!("${}", b + c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO bench_scratch (a,b,c,d,e,f,g,h,i,j,k,l,m) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for i in chunk {
            q = q
                .bind(uuid::Uuid::new_v4().to_string())
                .bind("out")
                .bind(*i as i64)
                .bind(format!("tel:+2557{i:08}"))
                .bind("Bench message")
                .bind("queued")
                .bind(0i64)
                .bind(1i64)
                .bind("")
                .bind(0i64)
                .bind(1i64)
                .bind(0i64)
                .bind(0i64);
        }
        q.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    start.elapsed().as_secs_f64()
}

async fn accept_and_dispatch(kind: Db) -> Vec<String> {
    let n_accept = if quick() { 10_000 } else { 100_000 };
    let n_send = if quick() { 5_000 } else { 20_000 };
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(kind, dir.path());
    let extra = "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\n";
    let server = Server::start(dir.path(), "bench", &config(&db.url, "bench", extra));
    let api = server.api(OPERATOR);
    for g in ["Accept", "Send"] {
        let (s, _) = api.post("/groups", json!({"name": g})).await;
        assert_eq!(s, 201);
    }
    let t = Instant::now();
    import(&api, n_accept, "Accept").await;
    let import_secs = t.elapsed().as_secs_f64();
    // Sends off while acceptance is measured.
    api.with_token(ADMIN)
        .patch("/links/simulator", json!({"enabled": false}))
        .await;
    let mut accept = Vec::new();
    for _ in 0..RUNS {
        accept.push(broadcast(&api, "Accept", n_accept, false).await.0);
    }
    let mut base = Vec::new();
    for _ in 0..RUNS {
        base.push(baseline_insert(&db.url, n_accept).await);
    }
    // Clear the accepted backlog, then measure sending alone.
    let broadcasts = api.ok("/broadcasts?limit=100").await;
    for b in broadcasts["results"].as_array().unwrap() {
        api.post(
            &format!("/broadcasts/{}/cancel", b["uuid"].as_str().unwrap()),
            json!({}),
        )
        .await;
    }
    // The "Send" group: fresh contacts numbered after the first import.
    let mut done = 0;
    while done < n_send {
        let k = 10_000.min(n_send - done);
        let mut body = contacts_json(k, n_accept + done, |_| json!({}));
        for c in body["contacts"].as_array_mut().unwrap() {
            c["groups"] = json!(["Send"]);
        }
        let (s, v) = api.post("/contacts/import", body).await;
        assert_eq!(s, 201, "{v}");
        done += k;
    }
    api.with_token(ADMIN)
        .patch("/links/simulator", json!({"enabled": true, "rate": 0}))
        .await;
    let mut send = Vec::new();
    for _ in 0..RUNS {
        let (_, secs) = broadcast(&api, "Send", n_send, true).await;
        send.push(n_send as f64 / secs);
    }
    drop(server);
    // The simulator's own write path, alone: the ceiling for this link.
    let store = mhero::store::Store::open(&db.url, 4).await.unwrap();
    let mut sim = Vec::new();
    for _ in 0..RUNS {
        let rows: Vec<(String, String, String)> = (0..n_send)
            .map(|i| {
                (
                    uuid::Uuid::new_v4().to_string(),
                    format!("tel:+2556{i:08}"),
                    "Bench message".to_string(),
                )
            })
            .collect();
        let t = Instant::now();
        for chunk in rows.chunks(512) {
            store.sim_receive("baseline", "bench", chunk).await.unwrap();
        }
        sim.push(n_send as f64 / t.elapsed().as_secs_f64());
    }
    store.close().await;
    let (a, b, s, si) = (median(accept), median(base), median(send), median(sim));
    let db_name = if kind == Db::Sqlite {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    vec![
        format!("| {db_name} | import {n_accept} contacts (API, 10k per call) | {import_secs:.2} s | | |"),
        format!("| {db_name} | accept broadcast to {n_accept} contacts | {a:.2} s | bare INSERT of {n_accept} rows: {b:.2} s | {:.2}x |", a / b),
        format!("| {db_name} | dispatch to simulator, no rate limit ({n_send} msgs) | {s:.0} msg/s | simulator writes alone: {si:.0} rows/s | {:.2} |", s / si),
    ]
}

async fn rate_accuracy() -> String {
    let secs: u64 = if quick() { 10 } else { 60 };
    let rate = 100.0;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let extra = "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\nrate = 100\n";
    let server = Server::start(dir.path(), "rate", &config(&db.url, "rate", extra));
    let api = server.api(OPERATOR);
    api.post("/groups", json!({"name": "R"})).await;
    let n = (secs as usize + 15) * rate as usize;
    import(&api, n, "R").await;
    broadcast(&api, "R", n, false).await;
    // Steady state first, then count what the phones received in the window.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let count = |v: serde_json::Value| v["received"].as_i64().unwrap();
    let t0 = Instant::now();
    let c0 = count(api.ok("/simulator/stats").await);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let c1 = count(api.ok("/simulator/stats").await);
    let elapsed = t0.elapsed().as_secs_f64();
    let measured = (c1 - c0) as f64 / elapsed;
    format!(
        "| SQLite | rate limit {rate:.0} msg/s over {elapsed:.1} s | {measured:.2} msg/s | target {rate:.0} msg/s | {:+.2}% |",
        (measured - rate) / rate * 100.0
    )
}

fn main() {
    // `cargo test --benches` runs this in test mode: build it, do nothing.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        println!("| database | case | median | baseline (same run) | ratio |");
        println!("|---|---|---|---|---|");
        // MHERO_BENCH_ONLY=sqlite,postgres,rate picks cases (default: all).
        let only = std::env::var("MHERO_BENCH_ONLY").unwrap_or_else(|_| "sqlite,postgres,rate".into());
        for (name, kind) in [("sqlite", Db::Sqlite), ("postgres", Db::Postgres)] {
            if only.contains(name) {
                for line in accept_and_dispatch(kind).await {
                    println!("{line}");
                }
            }
        }
        if only.contains("rate") {
            println!("{}", rate_accuracy().await);
        }
    });
}
