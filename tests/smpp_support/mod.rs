//! Shared harness for the SMPP integration tests: the node-smpp SMSC
//! simulator (tests/peers/smsc) as a child process on 127.0.0.1, stopped by
//! PID, and a link wired to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mhero::core::link::{Link, LinkEvent, SendOutcome};
use mhero::core::{OutMsg, Priority, Urn};
use mhero::smpp::{SmppConfig, SmppLink};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub struct Smsc {
    child: Child,
    stdin: ChildStdin,
    pub port: u16,
    events: Arc<Mutex<Vec<Value>>>,
}

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smsc")
}

impl Smsc {
    pub fn start(args: &[&str]) -> Smsc {
        Smsc::start_on(0, args)
    }

    pub fn start_on(port: u16, args: &[&str]) -> Smsc {
        let dir = peer_dir();
        assert!(
            dir.join("node_modules/smpp").is_dir(),
            "the SMSC simulator is not installed: run `npm ci` in {}",
            dir.display()
        );
        let port_s = port.to_string();
        let mut child = Command::new("node")
            .arg(dir.join("smsc.js"))
            .args(["--port", &port_s])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node must be on PATH to run the SMSC simulator");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let sink = events.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if v["event"] == "listening" {
                    let _ = port_tx.send(v["port"].as_u64().unwrap() as u16);
                }
                sink.lock().unwrap().push(v);
            }
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("simulator did not start");
        Smsc {
            child,
            stdin,
            port,
            events,
        }
    }

    pub fn command(&mut self, cmd: Value) {
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn events(&self, name: &str) -> Vec<Value> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == name)
            .cloned()
            .collect()
    }

    pub async fn wait_for(&self, name: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.events(name);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {n} {name:?} events, saw {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The simulator dies at once, as in a crash, but between two PDUs:
    /// never after reporting a submit and before answering it (SIGKILL can
    /// land there, leaving a submit taken but unanswered, which no ESME can
    /// tell from one never taken).
    pub fn crash(&mut self) {
        self.command(serde_json::json!({"cmd": "crash"}));
        let _ = self.child.wait();
    }

    /// Stops the simulator by its PID.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Smsc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A config for the simulator with fast timers (extra TOML lines appended).
pub fn config(port: u16, extra: &str) -> SmppConfig {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {port}\nsystem_id = \"mhero\"\npassword = \"secret\"\nsource_addr = \"15555\"\n{extra}"
    );
    let mut c: SmppConfig = toml::from_str(&text).unwrap();
    if !extra.contains("timeouts") {
        c.timeouts.reconnect_min_ms = 100;
        c.timeouts.reconnect_max_ms = 500;
    }
    c
}

/// The gateway's `[[links]]` table of an SMPP link named `carrier` to the
/// simulator on `port`: `link_keys` go in the link's table (`rate = 50`),
/// `smpp_keys` in its `[links.smpp]` (binds, timeouts).
pub fn carrier_link(port: u16, link_keys: &str, smpp_keys: &str) -> String {
    format!(
        r#"
[[links]]
name = "carrier"
kind = "smpp"
{link_keys}
[links.smpp]
host = "127.0.0.1"
port = {port}
system_id = "mhero"
password = "secret"
source_addr = "15555"
{smpp_keys}
"#
    )
}

/// `[links.smpp]` timeouts that reconnect within half a second.
pub const FAST_RECONNECT: &str = "timeouts = { reconnect_min_ms = 100, reconnect_max_ms = 500 }";

pub struct Harness {
    pub link: Arc<SmppLink>,
    pub events: mpsc::Receiver<LinkEvent>,
    pub shutdown: CancellationToken,
}

impl Harness {
    pub async fn start(cfg: SmppConfig) -> Harness {
        Harness::with_event_capacity(cfg, 1024).await
    }

    pub async fn with_event_capacity(cfg: SmppConfig, capacity: usize) -> Harness {
        let (tx, events) = mpsc::channel(capacity);
        let shutdown = CancellationToken::new();
        let link = SmppLink::start("carrier", cfg, tx, shutdown.clone());
        Harness {
            link,
            events,
            shutdown,
        }
    }

    pub async fn until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.link.healthy() {
            assert!(
                Instant::now() < deadline,
                "link never bound: {}",
                self.link.details()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The next event, acknowledging inbound messages as persisted.
    pub async fn next_event(&mut self) -> LinkEvent {
        let ev = tokio::time::timeout(Duration::from_secs(15), self.events.recv())
            .await
            .expect("no link event in time")
            .expect("event channel closed");
        ev
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn msg(id: i64, text: &str) -> OutMsg {
    OutMsg {
        id,
        uuid: uuid::Uuid::new_v4(),
        urn: Urn::parse("tel:+255712345678", None).unwrap(),
        text: text.to_string(),
        segments: mhero::core::segments::count(text).1,
        priority: Priority::Bulk,
        attempts: 0,
    }
}

/// What the dispatcher does: resend on `Retry` until the link accepts.
pub async fn send_until_sent(link: &SmppLink, m: &OutMsg) -> (String, u32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut retries = 0;
    loop {
        match link.send(m).await {
            SendOutcome::Sent { external_id } => return (external_id.unwrap(), retries),
            SendOutcome::Retry { reason } => {
                assert!(Instant::now() < deadline, "message {} never sent: {reason}", m.id);
                retries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            SendOutcome::Failed { reason } => panic!("message {} failed: {reason}", m.id),
        }
    }
}

/// Texts of the simulator's submits for one message, in UDH/SAR order.
pub fn reassemble(submits: &[Value]) -> String {
    let mut parts: Vec<(u64, String)> = submits
        .iter()
        .map(|s| {
            let seq = if let Some(sar) = s["sar"].as_object() {
                sar["seq"].as_u64().unwrap()
            } else {
                let udh = s["udh"].as_str().unwrap();
                if udh.is_empty() {
                    1
                } else {
                    u64::from_str_radix(&udh[udh.len() - 2..], 16).unwrap()
                }
            };
            (seq, s["text"].as_str().unwrap().to_string())
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, t)| t).collect()
}
