//! What the load bench reads from the machine: a process's CPU time from
//! /proc, the load average, the gateway's /metrics text, and a far end for
//! the gateway's RTP (sockets on the callers' media ports, drained by one
//! thread so packets are delivered and dropped the way a phone would).

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the sink drains its sockets: well inside one socket buffer.
const DRAIN_EVERY: Duration = Duration::from_millis(100);

/// utime + stime of `pid` in clock ticks (0 when the process is gone).
pub fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may hold spaces; fields are counted after its ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat are 12 and 13 after "pid (comm)".
    let num = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    num(11) + num(12)
}

pub fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Steal time of all CPUs in clock ticks (/proc/stat): time a virtual
/// machine's CPUs were runnable but the hypervisor ran something else.
pub fn steal_ticks() -> u64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(8).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The thread ids of `pid` (empty when the process is gone).
pub fn threads(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub async fn get_text(url: &str, bearer: &str) -> String {
    match reqwest::Client::new().get(url).bearer_auth(bearer).send().await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(err) => {
            eprintln!("GET {url}: {err}");
            String::new()
        }
    }
}

/// Sockets on SIPp's per-call media ports (base + 4 k), drained by one thread.
pub struct MediaSink {
    stop: Arc<AtomicBool>,
    packets: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl MediaSink {
    pub fn bind(bases: &[u16], per_base: usize) -> MediaSink {
        let mut sockets = Vec::new();
        for base in bases {
            // SIPp binds its own echo ports at the base; calls from the second on are ours.
            for k in 1..per_base {
                let port = u32::from(*base) + 4 * k as u32;
                let Ok(port) = u16::try_from(port) else { break };
                if let Ok(socket) = UdpSocket::bind(("127.0.0.1", port)) {
                    socket.set_nonblocking(true).expect("non-blocking sink");
                    sockets.push(socket);
                }
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let packets = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, packets) = (Arc::clone(&stop), Arc::clone(&packets));
            std::thread::spawn(move || {
                let mut buffer = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    for socket in &sockets {
                        while socket.recv_from(&mut buffer).is_ok() {
                            packets.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    std::thread::sleep(DRAIN_EVERY);
                }
            })
        };
        MediaSink {
            stop,
            packets,
            thread: Some(thread),
        }
    }

    /// Stop draining; the packets received in all.
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.packets.load(Ordering::Relaxed)
    }
}
