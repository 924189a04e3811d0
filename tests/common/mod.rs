//! Shared by the integration tests: real `mhero serve` processes over real
//! HTTP, on SQLite files or on a private PostgreSQL server started for the
//! test (initdb in a temporary directory, a free port on 127.0.0.1, stopped
//! by its PID when the test ends, even on panic).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod flows;
pub mod quiz;

/// Run an async test scenario `fn name(kind: Db)` twice: on a SQLite file and
/// on a private PostgreSQL server.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$name(Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                super::$name(Db::Postgres).await
            }
        }
    };
}

/// One gateway on its own database. Fields drop in order: the server stops
/// before its database and files.
pub struct Env {
    pub server: Server,
    pub db: TestDb,
    pub dir: tempfile::TempDir,
}

impl Env {
    /// Start `mhero serve` as node `node-a`, with `outbox` lines in the
    /// `[outbox]` table and `extra` TOML appended.
    pub fn start(kind: Db, outbox: &str, extra: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::new(kind, dir.path());
        let server = Server::start(
            dir.path(),
            "mhero",
            &config_with(&db.url, "node-a", outbox, extra),
        );
        Env { server, db, dir }
    }
}

pub const ADMIN: &str = "test-admin-token-0000000000000001";
pub const OPERATOR: &str = "test-operator-token-000000000002";
pub const VIEWER: &str = "test-viewer-token-00000000000003";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A private PostgreSQL server for one test.
pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn pg_bin() -> PathBuf {
    if let Ok(p) = std::env::var("MHERO_PG_BIN") {
        return PathBuf::from(p);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("PostgreSQL server binaries not found: install Debian's `postgresql` package (the README's test command does) or set MHERO_PG_BIN")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Run a PostgreSQL tool, as the `postgres` user when we are root (initdb
/// refuses to run as root).
fn pg_cmd(bin: &Path, tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Pg {
    pub fn start() -> Pg {
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("mhero-pg-")
            .tempdir()
            .expect("tempdir");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status();
            assert!(
                ok.map(|s| s.success()).unwrap_or(false),
                "chown of the PostgreSQL directory failed"
            );
        }
        let data = dir.path().join("data");
        let out = pg_cmd(&bin, "initdb")
            .args(["-A", "trust", "-U", "mhero", "--no-sync", "-E", "UTF8", "-D"])
            .arg(&data)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        // MHERO_TEST_PG_OPTS adds server options when investigating (for
        // example auto_explain settings); MHERO_TEST_PG_LOG keeps the
        // server's log at that path when the server stops.
        let opts = format!(
            "-p {port} -h 127.0.0.1 -k {} -F -c max_connections=200 -c shared_buffers=64MB {}",
            dir.path().display(),
            std::env::var("MHERO_TEST_PG_OPTS").unwrap_or_default()
        );
        let out = pg_cmd(&bin, "pg_ctl")
            .args(["-w", "-t", "60", "-D"])
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(dir.path().join("log"))
            .arg("start")
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "PostgreSQL did not start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(dir.path().join("log")).unwrap_or_default()
        );
        Pg { dir, bin, port }
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://mhero@127.0.0.1:{}/{db}", self.port)
    }

    /// A fresh database on this server.
    pub fn create_db(&self, name: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "mhero",
                "-d",
                "postgres",
                "-c",
            ])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "CREATE DATABASE failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.path().join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            // Stopped by its PID: SIGQUIT is PostgreSQL's immediate shutdown.
            let _ = Command::new("kill").args(["-QUIT", &pid.to_string()]).status();
            for _ in 0..100 {
                let alive = Command::new("kill")
                    .args(["-0", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                if !alive {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if let Ok(keep) = std::env::var("MHERO_TEST_PG_LOG") {
            let _ = std::fs::copy(self.dir.path().join("log"), keep);
        }
        let _ = &self.bin;
    }
}

/// A database for one test: a SQLite file in `dir`, or a new database on a
/// private PostgreSQL server (kept alive as long as this value).
pub struct TestDb {
    pub url: String,
    pub pg: Option<Pg>,
}

impl TestDb {
    pub fn new(kind: Db, dir: &Path) -> TestDb {
        match kind {
            Db::Sqlite => TestDb {
                url: format!("sqlite://{}/mhero.db", dir.display()),
                pg: None,
            },
            Db::Postgres => {
                let pg = Pg::start();
                let url = pg.create_db("mhero");
                TestDb { url, pg: Some(pg) }
            }
        }
    }

    /// Run one SQL statement directly against the database, the way a crash
    /// or another tool would leave it; returns the first column of each row
    /// as text.
    #[allow(dead_code)]
    pub async fn sql(&self, statement: &str) -> Vec<String> {
        use sqlx::{Connection, Row};
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("connect to the test database");
        let rows = sqlx::query(statement)
            .fetch_all(&mut conn)
            .await
            .expect(statement);
        rows.iter()
            .map(|r| {
                r.try_get::<String, _>(0)
                    .or_else(|_| r.try_get::<i64, _>(0).map(|n| n.to_string()))
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// The config every test starts from; `extra` is appended TOML.
pub fn config(db_url: &str, node: &str, extra: &str) -> String {
    config_with(db_url, node, "", extra)
}

/// As [`config`], with `outbox` lines added to the `[outbox]` table.
pub fn config_with(db_url: &str, node: &str, outbox: &str, extra: &str) -> String {
    format!(
        r#"
[node]
id = "{node}"
[database]
url = "{db_url}"
max_connections = 8
[api]
listen = "127.0.0.1:0"
tokens = [
  {{ name = "admin", token = "{ADMIN}", role = "admin" }},
  {{ name = "operator", token = "{OPERATOR}", role = "operator" }},
  {{ name = "viewer", token = "{VIEWER}", role = "viewer" }},
]
[contacts]
default_country = "TZ"
default_timezone = "Africa/Dar_es_Salaam"
[outbox]
poll_interval_ms = 50
heartbeat_secs = 1
node_dead_after_secs = 3
{outbox}
{extra}
"#
    )
}

/// `mhero --config CONFIG serve` in `dir`, logging warnings, stdout piped.
pub fn serve_command(dir: &Path, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mhero"));
    c.arg("--config")
        .arg(config)
        .arg("serve")
        .current_dir(dir)
        .env("MHERO_LOG", "warn")
        .stdout(Stdio::piped());
    c
}

/// A gateway process whose start banner was read to its last line; stdout
/// is drained afterwards, as a terminal would. Killed when dropped.
pub struct Banner {
    pub child: Child,
    pub text: String,
    pub base: String,
}

impl Banner {
    /// Spawn `command` (its stdout piped) and read the banner.
    pub fn start(command: &mut Command) -> Banner {
        let mut child = command.spawn().expect("spawn mhero");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut lines = Vec::new();
        // The banner ends with the command that reads a phone's messages.
        for line in rx.iter() {
            let last = line.contains("/received");
            lines.push(line);
            if last {
                break;
            }
        }
        let text = lines.join("\n");
        let base = text
            .split("API ")
            .nth(1)
            .and_then(|r| r.split("/api/v1").next())
            .unwrap_or_else(|| panic!("no API address in the banner {text:?}"))
            .to_string();
        Banner { child, text, base }
    }
}

impl Drop for Banner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `mhero serve`.
pub struct Server {
    child: Child,
    pub base: String,
    pub config: PathBuf,
    pub dir: PathBuf,
}

impl Server {
    /// Write `config_toml` into `dir` and start the gateway there.
    pub fn start(dir: &Path, name: &str, config_toml: &str) -> Server {
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(&config, config_toml).expect("write config");
        Server::start_with(dir, &config)
    }

    pub fn start_with(dir: &Path, config: &Path) -> Server {
        let mut child = serve_command(dir, config)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn mhero");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(rest) = line.split("API ").nth(1) {
                        if let Some(base) = rest.split("/api/v1").next() {
                            break base.to_string();
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().ok();
                    panic!("mhero exited before serving: {status:?}");
                }
            }
            assert!(Instant::now() < deadline, "mhero did not start within 60 s");
        };
        Server {
            child,
            base,
            config: config.to_path_buf(),
            dir: dir.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: self.base.clone(),
            token: token.to_string(),
        }
    }

    /// SIGKILL: no drain, no flush — a crash.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for the graceful drain.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait for mhero")
    }

    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        *self = Server::start_with(&self.dir.clone(), &self.config.clone());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small JSON client for the API.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    pub base: String,
    token: String,
}

impl Api {
    pub fn for_base(base: &str, token: &str) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: token.to_string(),
            ..self.clone()
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(&body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(&body)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// POST raw text (for malformed-body tests).
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        self.post_bytes(path, body.as_bytes().to_vec()).await
    }

    /// POST bytes that need not be text at all.
    pub async fn post_bytes(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// GET that must succeed.
    pub async fn ok(&self, path: &str) -> Value {
        let (s, v) = self.get(path).await;
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }

    /// The texts simulated phone `number` received, oldest first.
    pub async fn sim_received(&self, number: &str) -> Vec<String> {
        let v = self
            .ok(&format!("/simulator/phones/{number}/received?limit=1000"))
            .await;
        v["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Poll `path` until `done` holds, or panic after `secs` seconds with the
    /// last answer.
    pub async fn wait_for(&self, path: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let (s, v) = self.get(path).await;
            if s == 200 && done(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {path}; last answer {s}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The gateway's `/metrics` text, scraped as Prometheus is told to: with a
/// viewer token (`/metrics` is not public by default).
pub async fn metrics_text(base: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(VIEWER)
        .send()
        .await
        .expect("scrape /metrics");
    assert_eq!(resp.status().as_u16(), 200, "GET /metrics");
    resp.text().await.expect("metrics text")
}

/// Assert that `answer` refused a request whole: 422 on `field`, its error
/// starting with `says`.
pub fn assert_refused(answer: &(u16, Value), field: &str, says: &str) {
    let (status, v) = answer;
    assert_eq!((*status, v["field"].as_str()), (422, Some(field)), "{v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.starts_with(says)),
        "expected an error starting {says:?}: {v}"
    );
}

/// Serve `app` on a free loopback port (a flow's webhook target, say) until
/// the returned task is aborted.
pub async fn serve_local(app: axum::Router) -> (u16, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("local address").port();
    (
        port,
        tokio::spawn(async move { axum::serve(listener, app).await }),
    )
}

/// `n` contacts with distinct Tanzanian numbers starting at `start`.
pub fn contacts_json(n: usize, start: usize, fields: impl Fn(usize) -> Value) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| {
            let k = start + i;
            serde_json::json!({
                "name": format!("Worker {k}"),
                "urns": [format!("tel:+2557{:08}", k)],
                "fields": fields(k),
            })
        })
        .collect();
    serde_json::json!({ "contacts": list })
}

/// `mhero check-config --config CONFIG`, its exit status and output.
pub fn check_config(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mhero"))
        .args(["check-config", "--config"])
        .arg(config)
        .output()
        .expect("run mhero check-config")
}
