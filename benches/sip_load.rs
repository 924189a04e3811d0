//! SIPp load on the voice quiz (run with `cargo bench --bench sip_load`): the
//! release `mhero serve` with one SIP trunk whose inbound number runs
//! flows/voice_quiz.json, and SIPp 3.6.1 processes on the same machine as
//! callers that listen to the prompts and key the answers (1, then 3#) as
//! RFC 4733 events inside 50 packet/s of A-law caller audio (a pcap this
//! bench writes). Concurrency is stepped; at each step we count the calls
//! completed and the digits the gateway stored, the largest send-clock
//! lateness from its `/metrics`, and its CPU time (/proc/<pid>/stat) per
//! call-second of talk time. Method and results: docs/PERFORMANCE.md.
//!
//! `MHERO_SIP_STEPS=100,250` picks the steps, `MHERO_SIP_RUNS=3` the repeats,
//! `MHERO_SIP_GATEWAY_NICE=10` renices the gateway's threads (SIPp keeps the
//! bench's). The gateway inherits the environment, so its config keys apply
//! too: `MHERO_SIP__MEDIA_REALTIME_PRIORITY=10` runs its media clock under
//! SCHED_FIFO (the bench prints the priority the clock really got).

#[path = "sip_load/caller_pcap.rs"]
mod caller_pcap;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "sip_load/probe.rs"]
mod probe;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, Server};
use mhero::store::{Paging, Store, MAX_PAGE};
use probe::{cpu_ticks, load_average, MediaSink};

/// What each caller keys, and when (ms after the answer): the welcome (2.6 s)
/// and question 1 (8.1 s) end near 10.7 s; question 2 (8.1 s) follows the 1.
const KEYS: [(u64, char); 3] = [(12_000, '1'), (21_400, '3'), (22_100, '#')];
/// The caller's media stops after the last key; the goodbye plays to silence.
const CALLER_MEDIA_MS: u64 = 22_600;
/// Talk time of one quiz call: the goodbye (2 s) ends near 24.4 s.
const CALL_MS: u64 = 24_500;
const EXPECTED_DIGITS: &str = "13#";
/// SIPp processes per step, each with its own media port block; one SIPp
/// process plays every pcap stream from one thread per call.
const SIPP_PROCESSES: usize = 2;
/// SIPp's [auto_media_port] steps by 4 per call, modulo 10,000.
const MEDIA_BLOCK: u16 = 10_000;
const MEDIA_BASE: u16 = 20_000;
const RTP_BASE: u16 = 42_000;
/// Calls per step: the concurrency twice over, so the full load is held for
/// about one call length between the ramp up and the ramp down.
const CALLS_PER_SLOT: usize = 2;
/// Bound on one step beyond its planned length (SIPp killed by PID after it).
const STEP_SLACK: Duration = Duration::from_secs(90);
/// How long the idle gateway is watched before the calls.
const IDLE_WINDOW: Duration = Duration::from_secs(5);
const QUIZ_NUMBER: &str = "5551000";

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A SIPp process, killed by its PID when dropped.
struct Sipp(Child);

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Debug, Default, Clone)]
struct StepResult {
    concurrency: usize,
    calls_placed: usize,
    completed: usize,
    digits_sent: usize,
    digits_ok: usize,
    results_ok: usize,
    peak_concurrent: usize,
    max_late_ms: f64,
    late_over_5ms: u64,
    /// The SCHED_FIFO priority the gateway's media clock ran at (0: normal).
    clock_priority: u64,
    /// Largest delay of the media clock thread's own wakeups, ms.
    clock_wake_late_ms: f64,
    /// Wall time the hypervisor ran other guests instead of this machine's
    /// CPUs during the step (steal, summed over CPUs), ms.
    steal_ms: f64,
    /// Sends per lateness bucket: ≤1, ≤2, ≤5, ≤10, ≤20 ms, more.
    late_buckets: Vec<u64>,
    sends_timed: u64,
    gateway_cpu_s: f64,
    sipp_cpu_s: f64,
    call_seconds: f64,
    sink_packets: u64,
    sipp_failed: u64,
    load_before: String,
    /// Gateway CPU seconds per wall second before any call.
    idle_cpu_per_s: f64,
    /// Wall seconds the step's CPU time was taken over.
    window_s: f64,
    load_after: String,
}

impl StepResult {
    fn cpu_ms_per_call_second(&self) -> f64 {
        self.gateway_cpu_s * 1000.0 / self.call_seconds.max(1e-9)
    }
    /// As above, less the idle gateway's background work over the same window.
    fn net_ms_per_call_second(&self) -> f64 {
        (self.gateway_cpu_s - self.idle_cpu_per_s * self.window_s) * 1000.0 / self.call_seconds.max(1e-9)
    }
    fn sipp_ms_per_call_second(&self) -> f64 {
        self.sipp_cpu_s * 1000.0 / self.call_seconds.max(1e-9)
    }
    fn held(&self) -> bool {
        self.completed == self.calls_placed
            && self.digits_ok == self.digits_sent
            && self.max_late_ms <= 5.0
            && self.peak_concurrent * 100 >= self.concurrency * 95
    }
}

fn gateway_config(dir: &Path, sip_port: u16, peer_port: u16, max_calls: usize) -> String {
    let db = dir.join("mhero.db");
    let trunk = format!(
        r#"
[[trunks]]
name = "load"
bind = "127.0.0.1:{sip_port}"
peer = "127.0.0.1:{peer_port}"
options_interval_secs = 0
max_calls = {max_calls}
rtp_port_start = {RTP_BASE}
prompts_dir = "{prompts}"
recordings_dir = "{recordings}"
tts_command = ""
inbound = [{{ number = "{QUIZ_NUMBER}", flow = "{flow}#Voice Quiz" }}]
"#,
        prompts = manifest("prompts").display(),
        recordings = dir.join("recordings").display(),
        flow = manifest("flows/voice_quiz.json").display(),
    );
    common::config(&format!("sqlite://{}", db.display()), "load-node", &trunk)
}

/// One step: a fresh gateway, `n` concurrent callers split over the SIPp processes.
async fn step(n: usize) -> StepResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    std::fs::write(
        work.join("quiz_caller.pcap"),
        caller_pcap::caller_pcap(CALLER_MEDIA_MS, &KEYS),
    )
    .expect("write pcap");
    let sip_port = free_port();
    let per_process = n.div_ceil(SIPP_PROCESSES);
    let total_per_process = per_process * CALLS_PER_SLOT;
    let max_calls = (n + n / 4).max(16);
    let mut server = Server::start(
        work,
        "mhero",
        &gateway_config(work, sip_port, free_port(), max_calls),
    );
    let base = server.base.clone();
    let pid = server.pid();
    // SIPp plays each call's pcap from a thread of its own; at a few hundred calls
    // those threads outnumber the gateway's two workers in the scheduler. A
    // gateway niceness below the bench's own keeps the callers from starving it.
    if let Ok(nice) = std::env::var("MHERO_SIP_GATEWAY_NICE") {
        // Niceness is per thread on Linux (renice -p of the PID moves only the
        // main thread), so every thread is reniced; later ones inherit it.
        let _ = Command::new("renice")
            .args(["-n", &nice, "-p"])
            .args(probe::threads(pid))
            .output();
    }

    let media_ports: Vec<u16> = (0..SIPP_PROCESSES)
        .map(|k| MEDIA_BASE + MEDIA_BLOCK * k as u16)
        .collect();
    let sink = MediaSink::bind(&media_ports, total_per_process.min(usize::from(MEDIA_BLOCK / 4)));

    let mut result = StepResult {
        concurrency: n,
        load_before: load_average(),
        ..StepResult::default()
    };
    // The gateway's own background work (outbox polls, heartbeats) with no call up.
    let idle_start = cpu_ticks(pid);
    tokio::time::sleep(IDLE_WINDOW).await;
    result.idle_cpu_per_s =
        (cpu_ticks(pid) - idle_start) as f64 / probe::clock_ticks_per_second() / IDLE_WINDOW.as_secs_f64();
    let cpu_start = cpu_ticks(pid);
    let steal_start = probe::steal_ticks();
    let started = Instant::now();
    // Calls arrive over one call length, so the ramp reaches `n` as the first calls end.
    let period_ms = CALL_MS.to_string();
    let mut sipps: Vec<(Sipp, PathBuf)> = Vec::new();
    for (k, mp) in media_ports.iter().enumerate() {
        let stats = work.join(format!("sipp{k}.csv"));
        let child = Command::new("sipp")
            .arg(format!("127.0.0.1:{sip_port}"))
            .args([
                "-sf",
                &manifest("benches/sipp/uac_quiz_load.xml").display().to_string(),
            ])
            .args(["-s", QUIZ_NUMBER, "-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-p", &free_port().to_string(), "-mp", &mp.to_string()])
            .args(["-key", "proc", &(k + 1).to_string()])
            .args(["-r", &per_process.to_string(), "-rp", &period_ms])
            .args([
                "-l",
                &per_process.to_string(),
                "-m",
                &total_per_process.to_string(),
            ])
            .args(["-timeout", "600", "-timeout_error", "-nostdin"])
            .args(["-trace_stat", "-fd", "5", "-stf", &stats.display().to_string()])
            .current_dir(work)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(work.join(format!("sipp{k}.err"))).expect("SIPp log"))
            .spawn()
            .expect("SIPp is needed: apt-get install sip-tester");
        sipps.push((Sipp(child), stats));
    }
    result.calls_placed = total_per_process * SIPP_PROCESSES;
    let planned = Duration::from_millis(CALL_MS * (CALLS_PER_SLOT as u64 + 1));
    let deadline = started + planned + STEP_SLACK;
    let mut sipp_ticks = vec![0u64; sipps.len()];
    loop {
        let mut running = 0;
        for (i, (sipp, _)) in sipps.iter_mut().enumerate() {
            if sipp.0.try_wait().ok().flatten().is_none() {
                running += 1;
                sipp_ticks[i] = cpu_ticks(sipp.0.id()).max(sipp_ticks[i]);
            }
        }
        if running == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Let the last BYE transactions and result writes settle.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cpu_end = cpu_ticks(pid);
    result.steal_ms = (probe::steal_ticks() - steal_start) as f64 * 1000.0 / probe::clock_ticks_per_second();
    result.load_after = load_average();
    let metrics = probe::get_text(&format!("{base}/metrics"), common::VIEWER).await;
    result.sends_timed = metric(&metrics, "mhero_rtp_sends_timed_total") as u64;
    result.max_late_ms = metric(&metrics, "mhero_rtp_send_late_max_us") / 1000.0;
    result.clock_priority = metric(&metrics, "mhero_media_clock_realtime_priority") as u64;
    result.clock_wake_late_ms = metric(&metrics, "mhero_media_clock_wake_late_max_us") / 1000.0;
    result.late_buckets = ["1000", "2000", "5000", "10000", "20000", "+Inf"]
        .iter()
        .map(|le| metric(&metrics, &format!("mhero_rtp_send_late_us_bucket{{le=\"{le}\"}}")) as u64)
        .collect();
    result.late_over_5ms = ["10000", "20000", "+Inf"]
        .iter()
        .map(|le| metric(&metrics, &format!("mhero_rtp_send_late_us_bucket{{le=\"{le}\"}}")) as u64)
        .sum();
    result.gateway_cpu_s = (cpu_end - cpu_start) as f64 / probe::clock_ticks_per_second();
    result.window_s = started.elapsed().as_secs_f64();
    result.sipp_cpu_s = sipp_ticks.iter().sum::<u64>() as f64 / probe::clock_ticks_per_second();
    result.sink_packets = sink.stop();
    for (k, (sipp, stats)) in sipps.into_iter().enumerate() {
        drop(sipp);
        result.sipp_failed += sipp_failed_calls(&stats);
        let log = std::fs::read_to_string(work.join(format!("sipp{k}.err"))).unwrap_or_default();
        if !log.trim().is_empty() {
            let tail: Vec<&str> = log.lines().rev().take(3).collect();
            eprintln!("SIPp {k} said: {}", tail.join(" / "));
        }
    }
    server.stop();
    count_calls(
        &format!("sqlite://{}", work.join("mhero.db").display()),
        &mut result,
    )
    .await;
    result
}

/// Read the gateway's own records: outcomes, digits, quiz results, talk time.
async fn count_calls(url: &str, r: &mut StepResult) {
    let store = Store::open(url, 2).await.expect("open the bench database");
    let mut calls = Vec::new();
    let mut page = Paging::new(None, None, false, Some(MAX_PAGE));
    loop {
        let got = store.list_calls(&page).await.expect("list calls");
        let next = page.next(&got, |c| c.id);
        calls.extend(got);
        match next {
            Some(last) => page = page.past(last),
            None => break,
        }
    }
    let mut edges: Vec<(i64, i32)> = Vec::new();
    for call in &calls {
        r.digits_sent += EXPECTED_DIGITS.len();
        r.digits_ok += call
            .digits
            .chars()
            .zip(EXPECTED_DIGITS.chars())
            .filter(|(a, b)| a == b)
            .count();
        if call.status == "completed" && call.outcome.as_deref() == Some("answered") {
            r.completed += 1;
            r.call_seconds += call.duration_ms as f64 / 1000.0;
        }
        if let (Some(a), Some(e)) = (call.answered_on, call.ended_on) {
            edges.push((a, 1));
            edges.push((e, -1));
        }
        let runs = store.call_runs(call.id).await.expect("call runs");
        let correct = |key: &str, value: &str| {
            runs.iter()
                .any(|run| run.results[key]["value"] == value && run.results[key]["category"] == "Correct")
        };
        if correct("question_1", "1") && correct("question_2", "3") {
            r.results_ok += 1;
        }
    }
    // Calls SIPp placed that never reached the store count as sent digits too.
    r.digits_sent = r.digits_sent.max(r.calls_placed * EXPECTED_DIGITS.len());
    edges.sort();
    let mut up = 0i32;
    for (_, d) in edges {
        up += d;
        r.peak_concurrent = r.peak_concurrent.max(up as usize);
    }
    store.close().await;
}

/// A metric's value from Prometheus text, 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// FailedCall(C) from the last row of SIPp's statistics file.
fn sipp_failed_calls(stats: &Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(stats) else {
        return 0;
    };
    let mut lines = text.lines();
    let Some(header) = lines.next() else { return 0 };
    let Some(column) = header.split(';').position(|c| c == "FailedCall(C)") else {
        return 0;
    };
    lines
        .last()
        .and_then(|l| l.split(';').nth(column))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let steps = env_list("MHERO_SIP_STEPS", &[100, 250, 500, 750, 1000]);
    let runs = env_list("MHERO_SIP_RUNS", &[1])[0].max(1);
    println!("SIPp load on the voice quiz: {SIPP_PROCESSES} SIPp processes, {runs} run(s) per step");
    println!(
        "| concurrency | peak | completed | digits ok | results ok | max send lateness ms | sends >5 ms late | \
         gateway CPU ms per call-s | less idle | SIPp CPU ms per call-s | ratio to 1.5 ms | load before -> after | held |"
    );
    for &n in &steps {
        let mut all = Vec::new();
        for _ in 0..runs {
            let r = step(n).await;
            println!(
                "| {} | {} | {}/{} | {}/{} | {} | {:.2} | {} of {} | {:.3} | {:.3} | {:.3} | {:.2} | {} -> {} | {} |",
                r.concurrency,
                r.peak_concurrent,
                r.completed,
                r.calls_placed,
                r.digits_ok,
                r.digits_sent,
                r.results_ok,
                r.max_late_ms,
                r.late_over_5ms,
                r.sends_timed,
                r.cpu_ms_per_call_second(),
                r.net_ms_per_call_second(),
                r.sipp_ms_per_call_second(),
                r.cpu_ms_per_call_second() / 1.5,
                r.load_before,
                r.load_after,
                if r.held() { "yes" } else { "no" },
            );
            println!(
                "  lateness buckets (<=1, <=2, <=5, <=10, <=20 ms, more): {:?}; media clock SCHED_FIFO priority: {}; \
                 its latest wakeup: {:.2} ms; CPU time stolen by the hypervisor: {:.0} ms",
                r.late_buckets,
                match r.clock_priority {
                    0 => "none (normal scheduling)".to_string(),
                    p => p.to_string(),
                },
                r.clock_wake_late_ms,
                r.steal_ms,
            );
            if r.sipp_failed > 0 || r.sink_packets == 0 {
                println!(
                    "  (SIPp failed calls: {}, packets the far end received: {})",
                    r.sipp_failed, r.sink_packets
                );
            }
            all.push(r);
        }
        if runs > 1 {
            println!(
                "| {n} median | | | | | {:.2} | | {:.3} | {:.3} | {:.3} | {:.2} | | |",
                median(all.iter().map(|r| r.max_late_ms).collect()),
                median(all.iter().map(StepResult::cpu_ms_per_call_second).collect()),
                median(all.iter().map(StepResult::net_ms_per_call_second).collect()),
                median(all.iter().map(StepResult::sipp_ms_per_call_second).collect()),
                median(all.iter().map(StepResult::cpu_ms_per_call_second).collect()) / 1.5,
            );
        }
    }
}
