//! The FHIR R4 test server (`tests/peers/fhir-server`) as a test peer: started
//! per test on 127.0.0.1, its port read from its first line of output, killed
//! by PID when dropped (panics included), plus small resource helpers.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mhero::fhir::client::{FhirClient, FhirConfig, RetryPolicy};
use mhero::fhir::resources::{BundleEntry, ContactPoint, HumanName, Practitioner, Resource};
use serde_json::{json, Value};

pub fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/fhir-server")
}

/// Installs the server's npm dependencies once (from the committed lock file).
pub fn ensure_installed() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if peer_dir().join("node_modules/@medplum/fhir-router").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(peer_dir())
        .status()
        .expect("npm is needed to install the FHIR test server");
    assert!(status.success(), "npm ci --prefix tests/peers/fhir-server failed");
}

/// The running server; dropping it (also while unwinding a panic) kills it by PID.
pub struct FhirServer {
    child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl FhirServer {
    pub fn start() -> FhirServer {
        ensure_installed();
        let mut child = Command::new("node")
            .arg(peer_dir().join("server.js"))
            .arg("0")
            .current_dir(peer_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is needed to run the FHIR test server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let port: u16 = match read.ok().and_then(|_| line.trim().parse().ok()) {
            Some(port) => port,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("FHIR test server did not print its port (got {line:?})");
            }
        };
        FhirServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    pub fn client(&self) -> FhirClient {
        self.client_with(|_| {})
    }

    pub fn client_with(&self, tweak: impl FnOnce(&mut FhirConfig)) -> FhirClient {
        let mut config = FhirConfig::new(&self.base);
        config.retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        };
        tweak(&mut config);
        FhirClient::new(config).expect("valid config")
    }

    pub async fn control(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/_control/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(
            response.status().is_success(),
            "control {path} failed: {}",
            response.status()
        );
    }

    pub async fn fault(&self, mode: &str, count: u32, matching: &str) {
        self.control("fault", json!({"mode": mode, "count": count, "match": matching}))
            .await;
    }

    pub async fn stats(&self) -> Value {
        let url = format!("{}/_control/stats", self.base);
        self.http
            .get(url)
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON")
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mhero registry sync --json` with `config`, as an operator runs it; its report.
pub fn cli_sync(config: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mhero"))
        .arg("--config")
        .arg(config)
        .args(["registry", "sync", "--json"])
        .env("MHERO_LOG", "warn")
        .output()
        .expect("run mhero registry sync");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("sync report")
}

/// `probe` until it gives a value, for at most `secs`.
pub async fn wait_for<T>(what: &str, secs: u64, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .with_timezone(&Utc)
}

pub fn practitioner(id: &str, name: &str, phone: Option<&str>) -> Practitioner {
    Practitioner {
        id: Some(id.to_string()),
        active: Some(true),
        name: vec![HumanName {
            text: Some(name.to_string()),
            ..HumanName::default()
        }],
        telecom: phone.map(ContactPoint::phone).into_iter().collect(),
        ..Practitioner::default()
    }
}

pub fn put_entry<R: Resource>(resource: &R) -> BundleEntry {
    BundleEntry::put(resource).expect("resource has an id")
}
