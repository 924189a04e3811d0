//! Our SMPP link against Kannel (Debian `kannel` 1.4.5, bearerbox), in one
//! run, against the same Rust SMSC sink (benches/smpp_sink) on 127.0.0.1:
//!
//! 1. one bind, window 100, no SMSC delay: our messages come from the
//!    persisted SQLite outbox of the real `mhero serve`; target ≥ 2× Kannel;
//! 2. the same with a 20 ms response delay: target ≥ 95% of 100 / 20 ms
//!    = 5,000/s;
//! 3. the sink answers ESME_RTHROTTLED above 200 submit_sm per second,
//!    3,000 messages: target ≥ 190 accepted/s, all delivered (ours: every
//!    message `delivered` from the sink's receipts), none held > 5 s.
//!
//! Both sides are pre-queued, then released: ours by materialising a
//! broadcast while the link is disabled and then enabling it; Kannel by
//! injecting the batch with `mtbatch` (bearerbox's fastest input; its
//! smsbox HTTP path tops out near 1k/s) while the sink is not yet
//! listening, then starting the sink. Rates are measured at the sink:
//! accepted submits ÷ (last − first acceptance). Medians of `RUNS` runs.
//! First the sink's own ceiling is measured with a plain blasting client.
//!
//! Run by hand (it needs `kannel` installed: `apt-get install kannel`, and
//! the Debian service stopped): `cargo bench --bench smpp_vs_kannel`.
//! MHERO_BENCH_QUICK=1 runs small counts and one run each; MHERO_BENCH_CASES
//! (e.g. "1,3") picks cases; MHERO_BENCH_RUNS sets the runs per case;
//! MHERO_BENCH_SKIP_KANNEL=1 runs ours alone.

#[path = "../tests/common/mod.rs"]
mod common;
mod smpp_sink;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use smpp_sink::{Sink, SinkOptions, Snapshot};

const WINDOW: u32 = 100;
const RESP_DELAY: Duration = Duration::from_millis(20);
const THROTTLE_ABOVE: u32 = 200;
/// Longest any one drain may take before the run is declared failed.
const DRAIN_LIMIT: Duration = Duration::from_secs(300);

fn quick() -> bool {
    std::env::var("MHERO_BENCH_QUICK").is_ok()
}

fn runs() -> usize {
    match std::env::var("MHERO_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        Some(n) if n > 0 => n,
        _ if quick() => 1,
        _ => 3,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[derive(Clone, Copy)]
struct Case {
    number: u8,
    messages: usize,
    sink: SinkOptions,
}

fn cases() -> Vec<Case> {
    let scale = if quick() { 10 } else { 1 };
    let all = vec![
        Case {
            number: 1,
            messages: 60_000 / scale,
            sink: SinkOptions::default(),
        },
        Case {
            number: 2,
            messages: 40_000 / scale,
            sink: SinkOptions {
                resp_delay: RESP_DELAY,
                ..SinkOptions::default()
            },
        },
        Case {
            number: 3,
            messages: 3_000,
            sink: SinkOptions {
                throttle_above: Some(THROTTLE_ABOVE),
                receipts: true,
                track_messages: true,
                ..SinkOptions::default()
            },
        },
    ];
    let pick = std::env::var("MHERO_BENCH_CASES").unwrap_or_else(|_| "1,2,3".into());
    all.into_iter()
        .filter(|c| pick.split(',').any(|p| p.trim() == c.number.to_string()))
        .collect()
}

/// One side's result in one run.
#[derive(Debug)]
struct Run {
    sink: Snapshot,
    /// Ours only: messages the database shows `delivered` at the end.
    delivered: Option<i64>,
}

fn describe(r: &Run) -> String {
    let full: Vec<u64> = r
        .sink
        .per_second
        .iter()
        .copied()
        .skip(1)
        .take(r.sink.per_second.len().saturating_sub(2))
        .collect();
    format!(
        "{:.0}/s accepted={} throttled={} distinct={} max_wait={:.2}s span={:.2}s min_full_second={:?}{}",
        r.sink.rate,
        r.sink.accepted,
        r.sink.throttled,
        r.sink.distinct_accepted,
        r.sink.max_wait.as_secs_f64(),
        r.sink.span.as_secs_f64(),
        full.iter().min(),
        r.delivered
            .map(|d| format!(" delivered_in_db={d}"))
            .unwrap_or_default()
    )
}

// ---------------------------------------------------------------- ours

struct Ours {
    _dir: tempfile::TempDir,
    _server: Server,
    api: Api,
    sink: Sink,
    group: String,
}

async fn ours_setup(case: Case) -> Ours {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Db::Sqlite, dir.path());
    let sink = Sink::start(0, case.sink);
    let extra = format!(
        r#"
[[links]]
name = "carrier"
kind = "smpp"
rate = 0
[links.smpp]
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
source_addr = "15555"
window = {WINDOW}
binds = [{{ kind = "transceiver", count = 1 }}]
"#,
        port = sink.port
    );
    let outbox = "claim_batch = 1000";
    let server = Server::start(
        dir.path(),
        "bench",
        &config_with(&db.url, "bench", outbox, &extra),
    );
    let api = server.api(OPERATOR);
    api.wait_for("/links/carrier", 30, |l| l["healthy"] == true).await;
    let group = "Bench".to_string();
    let (s, _) = api.post("/groups", json!({"name": group})).await;
    assert_eq!(s, 201);
    let mut done = 0;
    while done < case.messages {
        let k = 10_000.min(case.messages - done);
        let mut body = contacts_json(k, done, |_| json!({}));
        for c in body["contacts"].as_array_mut().unwrap() {
            c["groups"] = json!([group]);
        }
        let (s, v) = api.post("/contacts/import", body).await;
        assert_eq!(s, 201, "{v}");
        done += k;
    }
    Ours {
        _dir: dir,
        _server: server,
        api,
        sink,
        group,
    }
}

async fn ours_run(o: &Ours, case: Case) -> Run {
    let api = &o.api;
    api.with_token(ADMIN)
        .patch("/links/carrier", json!({"enabled": false}))
        .await;
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "Bench message for the carrier link run.", "groups": [o.group], "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let path = format!("/broadcasts/{}", b["uuid"].as_str().unwrap());
    api.wait_for(&path, 120, |v| v["status"] == "queued").await;
    o.sink.reset();
    api.with_token(ADMIN)
        .patch("/links/carrier", json!({"enabled": true}))
        .await;
    let n = case.messages as u64;
    let ok = tokio::task::block_in_place(|| o.sink.wait_accepted(n, DRAIN_LIMIT));
    assert!(ok, "ours: only {} of {n} accepted", o.sink.snapshot().accepted);
    let snapshot = o.sink.snapshot();
    let delivered = if case.sink.receipts {
        let v = api
            .wait_for(&path, 60, |v| v["progress"]["delivered"] == json!(n))
            .await;
        v["progress"]["delivered"].as_i64()
    } else {
        // Wait until every outcome is written before the next run.
        api.wait_for(&path, 60, |v| v["progress"]["sent"] == json!(n))
            .await;
        None
    };
    Run {
        sink: snapshot,
        delivered,
    }
}

// ---------------------------------------------------------------- kannel

struct Bearerbox(Child);

impl Drop for Bearerbox {
    fn drop(&mut self) {
        // Stopped by its PID: TERM, then KILL if it lingers.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kannel_conf(dir: &Path, admin: u16, smsbox: u16, smsc: u16) -> std::path::PathBuf {
    let conf = format!(
        r#"group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{log}"
log-level = 3
access-log = "{access}"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sink
host = 127.0.0.1
port = {smsc}
transceiver-mode = true
smsc-username = bench
smsc-password = bench
system-type = ""
source-addr-ton = 0
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1
max-pending-submits = {WINDOW}
reconnect-delay = 1
enquire-link-interval = 30

group = smsbox
bearerbox-host = 127.0.0.1
"#,
        log = dir.join("bearerbox.log").display(),
        access = dir.join("access.log").display(),
    );
    let path = dir.join("kannel.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

fn wait_listening(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "port {port} never opened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kannel_status(admin: u16) -> String {
    let out = Command::new("curl")
        .args([
            "-s",
            &format!("http://127.0.0.1:{admin}/status.txt?password=bench"),
        ])
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default()
}

fn kannel_run(case: Case) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (admin, smsbox, smsc) = (free_port(), free_port(), free_port());
    let conf = kannel_conf(dir.path(), admin, smsbox, smsc);
    let child = Command::new("bearerbox")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bearerbox must be installed (apt-get install kannel)");
    let bb = Bearerbox(child);
    wait_listening(smsbox, Duration::from_secs(15));
    let content = dir.path().join("content.txt");
    std::fs::write(&content, "Bench message for the carrier link run.\n").unwrap();
    let rcpt = dir.path().join("rcpt.txt");
    let numbers: String = (0..case.messages).map(|i| format!("2557{i:08}\n")).collect();
    std::fs::write(&rcpt, numbers).unwrap();
    let status = Command::new("mtbatch")
        .args([
            "-v",
            "4",
            "-b",
            "127.0.0.1",
            "-p",
            &smsbox.to_string(),
            "-f",
            "15555",
        ])
        .arg(&content)
        .arg(&rcpt)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("mtbatch must be installed (kannel)");
    assert!(status.success(), "mtbatch failed: {status}");
    // Every message must sit queued before the sink opens.
    let deadline = Instant::now() + Duration::from_secs(60);
    let want = format!("({} queued)", case.messages);
    loop {
        let s = kannel_status(admin);
        if s.contains(&want) {
            break;
        }
        assert!(Instant::now() < deadline, "Kannel never queued the batch:\n{s}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let sink = Sink::start(smsc, case.sink);
    let n = case.messages as u64;
    let ok = sink.wait_accepted(n, DRAIN_LIMIT);
    let snapshot = sink.snapshot();
    assert!(ok, "Kannel: only {} of {n} accepted", snapshot.accepted);
    drop(bb);
    Run {
        sink: snapshot,
        delivered: None,
    }
}

// ---------------------------------------------------------------- main

/// Median rate of a plain client (pre-encoded submits, window 100, nothing
/// else to do) blasting `n` submits at a sink with `opts`, one blast a run.
fn plain_client(what: &str, opts: SinkOptions, n: u32) -> f64 {
    let sink = Sink::start(0, opts);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let v: Vec<f64> = (0..runs())
        .map(|_| rt.block_on(smpp_sink::blast(sink.port, n, WINDOW)))
        .collect();
    println!("{what} (plain client, window {WINDOW}, {n} submits): {v:.0?}");
    median(v)
}

fn sink_ceiling() -> f64 {
    let n = if quick() { 50_000 } else { 200_000 };
    plain_client("sink ceiling", SinkOptions::default(), n)
}

/// The sink with every response delayed 20 ms, as the plain client sees
/// it: the bound case 2 can reach on this machine, next to the 5,000/s of
/// 100 / 20 ms.
fn sink_bound_with_delay() -> f64 {
    let n = if quick() { 5_000 } else { 20_000 };
    let opts = SinkOptions {
        resp_delay: RESP_DELAY,
        ..SinkOptions::default()
    };
    plain_client("the 20 ms sink", opts, n)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test` builds benches and runs them with `--bench`-less args;
    // this harness only runs under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let skip_kannel = std::env::var("MHERO_BENCH_SKIP_KANNEL").is_ok();
    let ceiling = tokio::task::block_in_place(sink_ceiling);
    let delayed = if cases().iter().any(|c| c.number == 2) {
        Some(tokio::task::block_in_place(sink_bound_with_delay))
    } else {
        None
    };
    let mut table = Vec::new();
    for case in cases() {
        let ours_env = ours_setup(case).await;
        let mut ours = Vec::new();
        let mut kannel = Vec::new();
        for run in 0..runs() {
            let r = ours_run(&ours_env, case).await;
            println!("case {} run {run} ours:   {}", case.number, describe(&r));
            ours.push(r);
            if !skip_kannel {
                let r = tokio::task::block_in_place(|| kannel_run(case));
                println!("case {} run {run} kannel: {}", case.number, describe(&r));
                kannel.push(r);
            }
        }
        drop(ours_env);
        let o = median(ours.iter().map(|r| r.sink.rate).collect());
        let k = if kannel.is_empty() {
            f64::NAN
        } else {
            median(kannel.iter().map(|r| r.sink.rate).collect())
        };
        let wait = ours.iter().map(|r| r.sink.max_wait).max().unwrap_or_default();
        table.push(format!(
            "| {} | {} | {o:.0} | {k:.0} | {:.2} | {:.2} s |",
            case.number,
            case.messages,
            o / k,
            wait.as_secs_f64()
        ));
    }
    println!("\nsink ceiling: {ceiling:.0} submit_sm/s (median)");
    if let Some(d) = delayed {
        println!(
            "plain client, 20 ms sink: {d:.0} submit_sm/s (median; {:.1}% of 5,000)",
            d / 50.0
        );
    }
    println!();
    println!(
        "| case | messages | ours (submit_sm/s, median) | Kannel | ours ÷ Kannel | ours: longest wait |"
    );
    println!("|---|---|---|---|---|---|");
    for row in table {
        println!("{row}");
    }
}
