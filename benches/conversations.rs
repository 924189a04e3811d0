//! Conversation benchmark (run with `cargo bench --bench conversations`),
//! against the release binary over HTTP, on SQLite and on a private
//! PostgreSQL server: 10,000 health workers each text `QUIZ` and answer a
//! 5-question quiz through the simulator link, all at the same time, with
//! inbound messages offered at a fixed rate (1,000/s by default). Each
//! worker sends their next answer once the previous one was handled.
//!
//! Reported per database: inbound messages handled per second, and the
//! latency from an inbound message persisted to the flow's reply persisted
//! (both `created_on` in the store, p50 and p99), against a same-run
//! baseline: the latency of a fixed keyword reply (no flow) at the same rate.
//!
//! Method and results are in docs/PERFORMANCE.md. MHERO_BENCH_QUICK=1 runs
//! 500 workers; MHERO_BENCH_RATE sets the offered rate; MHERO_BENCH_ONLY=
//! sqlite or postgres runs one database.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::flows::{export, question_flow, Question};
use common::*;
use serde_json::json;
use sqlx::{Connection, Row};
use tokio::sync::Mutex;

const QUESTIONS: usize = 5;
/// HTTP requests in flight at once (each is one inbound message, answered
/// after the gateway handled it).
const IN_FLIGHT: usize = 256;

fn quick() -> bool {
    std::env::var("MHERO_BENCH_QUICK").is_ok()
}

fn workers() -> usize {
    if quick() {
        500
    } else {
        10_000
    }
}

fn rate() -> u64 {
    std::env::var("MHERO_BENCH_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000)
}

fn quiz() -> serde_json::Value {
    let qs: Vec<Question<'_>> = (1..=QUESTIONS)
        .map(|i| Question {
            text: [
                "Q1: 1 RDT 2 fever",
                "Q2: 1 ACT 2 aspirin",
                "Q3: 1 yes 2 no",
                "Q4: 1 3 days 2 1 day",
                "Q5: 1 refer 2 wait",
            ][i - 1],
            result: ["Q1", "Q2", "Q3", "Q4", "Q5"][i - 1],
            cases: vec![
                ("Correct", "has_any_word", vec!["1"]),
                ("Incorrect", "has_any_word", vec!["2"]),
            ],
            retry: "Reply 1 or 2",
            timeout: None,
        })
        .collect();
    question_flow("Bench Quiz", &qs, "Quiz done. Thank you.")
}

/// Offer `texts(k, step)` from every worker, `steps` messages each, at
/// `rate` per second overall; a worker's next message waits for the
/// previous one to be handled. Returns the seconds it took.
async fn drive(api: &Api, n: usize, steps: usize, rate: u64, text: fn(usize) -> String) -> f64 {
    let (tick_tx, tick_rx) = tokio::sync::mpsc::channel::<()>(1);
    let tick_rx = Arc::new(Mutex::new(tick_rx));
    let total = n * steps;
    let ticker = tokio::spawn(async move {
        let every = Duration::from_nanos(1_000_000_000 / rate.max(1));
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for _ in 0..total {
            interval.tick().await;
            if tick_tx.send(()).await.is_err() {
                return;
            }
        }
    });
    let sem = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..n {
        let api = api.clone();
        let tick_rx = tick_rx.clone();
        let sem = sem.clone();
        tasks.spawn(async move {
            let phone = format!("+2557{k:08}");
            for step in 0..steps {
                tick_rx.lock().await.recv().await;
                let _permit = sem.acquire().await.unwrap();
                let (s, v) = api
                    .post("/simulator/inbound", json!({"from": phone, "text": text(step)}))
                    .await;
                assert_eq!(s, 201, "{v}");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    ticker.abort();
    start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Milliseconds from each inbound message persisted to the first outbound
/// message to the same contact persisted after it.
async fn latencies(url: &str) -> Vec<i64> {
    let mut all: Vec<i64> = latencies_by_text(url).await.into_iter().map(|(_, l)| l).collect();
    all.sort_unstable();
    all
}

/// Each inbound message's text with its latency (as [`latencies`]), in the
/// order the messages were stored.
async fn latencies_by_text(url: &str) -> Vec<(String, i64)> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let rows = sqlx::query(
        "SELECT i.text, i.created_on AS t_in, (SELECT MIN(o.created_on) FROM msgs o WHERE o.contact_id = i.contact_id \
         AND o.direction = 'out' AND o.id > i.id) AS t_out FROM msgs i WHERE i.direction = 'in' ORDER BY i.id",
    )
    .fetch_all(&mut conn)
    .await
    .expect("latencies");
    rows.iter()
        .filter_map(|r| {
            let t_in: i64 = r.try_get("t_in").ok()?;
            let t_out: Option<i64> = r.try_get("t_out").ok()?;
            Some((r.try_get("text").ok()?, t_out? - t_in))
        })
        .collect()
}

/// With MHERO_BENCH_PG_STATEMENTS set (and the server started with
/// `MHERO_TEST_PG_OPTS="-c shared_preload_libraries=pg_stat_statements"`):
/// reset PostgreSQL's statement statistics before the drive, and print the
/// statements that took the most server time after it.
async fn pg_statements(url: &str, report: bool) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    if !report {
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
            "SELECT pg_stat_statements_reset()::text",
        ] {
            sqlx::query(sql).execute(&mut conn).await.expect(sql);
        }
        return;
    }
    let all = sqlx::query(
        "SELECT COALESCE(SUM(calls), 0)::bigint AS calls, COALESCE(SUM(total_exec_time), 0)::float8 AS total, \
         COUNT(*)::bigint AS texts FROM pg_stat_statements",
    )
    .fetch_one(&mut conn)
    .await
    .expect("pg_stat_statements");
    println!(
        "all statements: {} calls, {:.0} ms executing, {} distinct texts",
        all.get::<i64, _>("calls"),
        all.get::<f64, _>("total"),
        all.get::<i64, _>("texts")
    );
    // Grouped by their first 60 characters: the multi-row statements of
    // every batch size count as one.
    let rows = sqlx::query(
        "SELECT SUM(calls)::bigint AS calls, SUM(total_exec_time)::float8 AS total, \
         SUM(total_plan_time + total_exec_time)::float8 AS with_plan, \
         left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS q \
         FROM pg_stat_statements GROUP BY 4 ORDER BY 2 DESC LIMIT 25",
    )
    .fetch_all(&mut conn)
    .await
    .expect("pg_stat_statements");
    let (mut calls, mut total) = (0i64, 0f64);
    for r in &rows {
        let (c, t): (i64, f64) = (r.get("calls"), r.get("total"));
        calls += c;
        total += t;
        println!(
            "{c:>8} calls {t:>9.0} ms exec {:>9.0} ms with planning  {}",
            r.get::<f64, _>("with_plan"),
            r.get::<String, _>("q")
        );
    }
    println!("these: {calls} calls, {total:.0} ms");
}

/// The gateway's `/metrics` text.
async fn scrape(base: &str) -> String {
    metrics_text(base).await
}

/// Cumulative bucket counts `(upper bound in seconds, count)` of one
/// histogram series (`series` is the name with its labels but `le`, e.g.
/// `mhero_inbound_stage_seconds_bucket{stage="act"`).
fn buckets(text: &str, series: &str) -> Vec<(f64, u64)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(series)?;
            let le = rest.split("le=\"").nth(1)?.split('"').next()?;
            let count = l.rsplit(' ').next()?.parse().ok()?;
            Some((
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                },
                count,
            ))
        })
        .collect()
}

/// Quantile `q` of what a histogram counted between two scrapes, as the
/// upper bound of the bucket it falls in (in ms): a conservative reading.
fn bucket_quantile(before: &[(f64, u64)], after: &[(f64, u64)], q: f64) -> Option<f64> {
    let diff: Vec<(f64, u64)> = after
        .iter()
        .map(|&(le, n)| {
            let was = before.iter().find(|(b, _)| *b == le).map_or(0, |(_, c)| *c);
            (le, n - was)
        })
        .collect();
    let total = diff.last()?.1;
    let rank = (total as f64 * q).ceil() as u64;
    diff.iter().find(|(_, n)| *n >= rank).map(|(le, _)| le * 1000.0)
}

/// The gateway's own timing of each stage of an inbound message over the
/// drive (`persist`: contact read and message committed; `act`: from then
/// to the flow's reply committed), from its histograms.
fn stage_line(before: &str, after: &str, stage: &str) -> String {
    let series = format!("mhero_inbound_stage_seconds_bucket{{stage=\"{stage}\"");
    let (b, a) = (buckets(before, &series), buckets(after, &series));
    let fmt = |q| bucket_quantile(&b, &a, q).map_or("?".to_string(), |ms| format!("≤ {ms:.0} ms"));
    format!("p50 {}, p99 {}", fmt(0.5), fmt(0.99))
}

async fn run(kind: Db, flows: bool) -> String {
    let n = workers();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let extra = if flows {
        ""
    } else {
        "[[triggers]]\nkeywords = [\"quiz\"]\nreply = \"Fixed reply\"\n"
    };
    let server = Server::start(dir.path(), "mhero", &config(&db.url, "bench", extra));
    let admin = server.api(ADMIN);
    if flows {
        let (s, v) = admin
            .post(
                "/flows",
                export(
                    &[quiz()],
                    &[("quiz", "Bench Quiz")],
                    json!([]),
                    json!([]),
                    json!([]),
                ),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let api = server.api(OPERATOR);
    let mut done = 0;
    while done < n {
        let k = 10_000.min(n - done);
        let (s, v) = api
            .post("/contacts/import", contacts_json(k, done, |_| json!({})))
            .await;
        assert_eq!(s, 201, "{v}");
        done += k;
    }
    let steps = if flows { QUESTIONS + 1 } else { 1 };
    let text: fn(usize) -> String = |step| if step == 0 { "QUIZ".into() } else { "1".into() };
    let statements = kind == Db::Postgres && std::env::var("MHERO_BENCH_PG_STATEMENTS").is_ok();
    if statements {
        pg_statements(&db.url, false).await;
    }
    let before = scrape(&server.base).await;
    let secs = drive(&api, n, steps, rate(), text).await;
    let after = scrape(&server.base).await;
    if statements {
        pg_statements(&db.url, true).await;
    }
    // Every reply is persisted before the last request returned.
    let lat = latencies(&db.url).await;
    let msgs = n * steps;
    assert_eq!(lat.len(), msgs, "every inbound message got a reply");
    if flows {
        let results = api
            .ok(&format!(
                "/flows/{}/results",
                common::flows::uid("Bench Quiz", "flow")
            ))
            .await;
        assert_eq!(results["runs"]["completed"], n as i64, "{}", results["runs"]);
    }
    if std::env::var("MHERO_BENCH_STAGES").is_ok() {
        // Latency by kind of message and by tenth of the run.
        let by = latencies_by_text(&db.url).await;
        let tenth = by.len().div_ceil(10);
        for (i, part) in by.chunks(tenth).enumerate() {
            for start in [true, false] {
                let mut l: Vec<i64> = part
                    .iter()
                    .filter(|(t, _)| (t == "QUIZ") == start)
                    .map(|(_, l)| *l)
                    .collect();
                if l.is_empty() {
                    continue;
                }
                l.sort_unstable();
                println!(
                    "  part {i} {}: {} messages, p50 {} ms, p99 {} ms",
                    if start { "QUIZ" } else { "answers" },
                    l.len(),
                    percentile(&l, 0.5),
                    percentile(&l, 0.99)
                );
            }
        }
    }
    drop(server);
    format!(
        "{:?} {}: {} inbound in {:.1} s = {:.0}/s handled (offered {}/s); latency in->reply p50 {} ms, p99 {} ms, max {} ms\n  \
         gateway-timed: persisted -> reply committed {}; received -> persisted {}",
        kind,
        if flows { "quiz flow" } else { "fixed reply (baseline)" },
        msgs,
        secs,
        msgs as f64 / secs,
        rate(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0),
        stage_line(&before, &after, "act"),
        stage_line(&before, &after, "persist"),
    )
}

fn main() {
    let only = std::env::var("MHERO_BENCH_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for (kind, name) in [(Db::Sqlite, "sqlite"), (Db::Postgres, "postgres")] {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        for flows in [false, true] {
            let line = rt.block_on(run(kind, flows));
            println!("{line}");
        }
    }
}
