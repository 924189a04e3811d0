//! The README's walk-through ("Using it") keeps working: its shell block is
//! read from README.md, each command is run in order as the HTTP request
//! its `curl` line makes, against a fresh `mhero serve` with the embedded
//! first-run defaults in a temporary directory, and each must answer 2xx
//! with something to show (a phone's inbox is not empty, the poll's results
//! have answers). Between commands the gateway is let settle (flow starts
//! started, broadcasts materialised, link queues and the simulator's inbox
//! writes drained), as a person typing the commands would let it.
//!
//! What the block may contain is what this file understands: `export`
//! of `TOKEN=$(cat mhero.token)` and `API=...`, `curl` with `-s`, `-X`,
//! `-H` and `-d`, and `NAME=$(curl ... | grep -o '"KEY":"[^"]*"' | cut -d'"' -f4)`
//! to keep a string from an answer. Anything else fails the test, so the
//! README cannot grow a step this test does not run.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// `mhero serve` in a directory with no config file: the embedded first-run
/// defaults (SQLite there, the simulator link, the shipped flows from
/// `flows/`, the admin token in `mhero.token`), on a free port instead of
/// 8080. Killed when dropped.
struct FirstRun {
    child: Child,
    base: String,
}

impl FirstRun {
    fn start(dir: &Path) -> FirstRun {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mhero"))
            .arg("serve")
            .current_dir(dir)
            .env("MHERO_LOG", "warn")
            .env("MHERO_API__LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn mhero");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read the banner's address, then keep draining stdout as a terminal would.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let base = rx
            .iter()
            .find_map(|line| {
                let rest = line.split("API ").nth(1)?;
                rest.split("/api/v1").next().map(str::to_owned)
            })
            .expect("mhero exited before printing its API address");
        FirstRun { child, base }
    }
}

impl Drop for FirstRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The embedded default API address the README's commands use.
const README_API: &str = "http://127.0.0.1:8080/api/v1";
/// Longest the gateway may take to settle after a command.
const SETTLE: Duration = Duration::from_secs(30);

/// The shell block under "## Using it".
fn walk_through() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Using it")
        .nth(1)
        .expect("README has a \"Using it\" section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the section has a sh block");
    block.to_owned()
}

/// The block as commands: comments dropped, `\`-newlines and newlines
/// inside quotes joined.
fn commands(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut single, mut double) = (false, false);
    let mut chars = block.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' if !single && !double && current.trim().is_empty() => {
                // A comment line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\\' if !single && chars.peek() == Some(&'\n') => {
                chars.next();
                current.push(' ');
            }
            '\'' if !double => {
                single = !single;
                current.push(c);
            }
            '"' if !single => {
                double = !double;
                current.push(c);
            }
            '\n' if !single && !double => {
                if !current.trim().is_empty() {
                    out.push(current.trim().to_owned());
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// Shell words of a command: quotes removed, `$NAME` expanded outside
/// single quotes.
fn words(command: &str, vars: &HashMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let (mut single, mut double) = (false, false);
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => {
                single = !single;
                word.get_or_insert_with(String::new);
            }
            '"' if !single => {
                double = !double;
                word.get_or_insert_with(String::new);
            }
            '$' if !single && chars.peek().is_some_and(|n| n.is_ascii_uppercase()) => {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if !(n.is_ascii_uppercase() || n == '_') {
                        break;
                    }
                    name.push(n);
                    chars.next();
                }
                let value = vars
                    .get(&name)
                    .unwrap_or_else(|| panic!("${name} is used before it is set in: {command}"));
                word.get_or_insert_with(String::new).push_str(value);
            }
            c if c.is_whitespace() && !single && !double => {
                if let Some(w) = word.take() {
                    out.push(w);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    assert!(!single && !double, "unbalanced quotes in: {command}");
    out.extend(word);
    out
}

/// One `curl` line as a request.
struct Request {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

fn request(args: &[String], line: &str) -> Request {
    assert_eq!(
        args.first().map(String::as_str),
        Some("curl"),
        "not a curl line: {line}"
    );
    let mut method = None;
    let mut url = None;
    let mut headers = Vec::new();
    let mut body = None;
    let mut it = args[1..].iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| panic!("{arg} needs a value: {line}"))
                .clone()
        };
        match arg.as_str() {
            "-s" => {}
            "-X" => method = Some(value().parse().expect("an HTTP method")),
            "-H" => {
                let h = value();
                let (name, v) = h.split_once(':').unwrap_or_else(|| panic!("bad header {h:?}"));
                headers.push((name.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" => body = Some(value()),
            other if other.starts_with('-') => panic!("curl option {other} is not understood here: {line}"),
            other => url = Some(other.to_owned()),
        }
    }
    let method = method.unwrap_or(if body.is_some() {
        reqwest::Method::POST
    } else {
        reqwest::Method::GET
    });
    Request {
        method,
        url: url.unwrap_or_else(|| panic!("no URL in: {line}")),
        headers,
        body,
    }
}

/// Make the request as curl would (`-d` is sent form-encoded unless a
/// header says otherwise); the answer's status and JSON.
async fn send(client: &reqwest::Client, r: &Request) -> (u16, Value) {
    let mut req = client.request(r.method.clone(), &r.url);
    for (name, value) in &r.headers {
        req = req.header(name, value);
    }
    if let Some(body) = &r.body {
        if !r
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        req = req.body(body.clone());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Wait until nothing the commands started is still in motion.
async fn settle(api: &Api) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let starts = api.ok("/flow_starts").await;
        let broadcasts = api.ok("/broadcasts").await;
        let links = api.ok("/links").await;
        let starting = starts["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "pending" || s["status"] == "starting");
        let sending = broadcasts["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["status"] == "pending" || b["status"] == "sending");
        let moving = links["results"].as_array().unwrap().iter().any(|l| {
            l["queue_depth"].as_i64() != Some(0)
                || l["in_flight"].as_i64() != Some(0)
                || l["details"]["queued_writes"].as_i64().is_some_and(|w| w > 0)
        });
        if !(starting || sending || moving) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the gateway did not settle: {starts} {broadcasts} {links}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_walk_through_runs_and_every_command_shows_something() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/flows"),
        dir.path().join("flows"),
    )
    .unwrap();
    let server = FirstRun::start(dir.path());
    let token = std::fs::read_to_string(dir.path().join("mhero.token"))
        .expect("a first run writes mhero.token")
        .trim()
        .to_owned();
    let api = Api::for_base(&server.base, &token);
    let client = reqwest::Client::new();
    let capture = regex_capture();

    let mut vars: HashMap<String, String> = HashMap::new();
    let mut ran = 0;
    let mut last = Value::Null;
    for line in commands(&walk_through()) {
        settle(&api).await;
        if let Some(assignments) = line.strip_prefix("export ") {
            // The token file is the one command substitution an export may hold.
            let assignments = assignments.replace("$(cat mhero.token)", "<token-file>");
            for assignment in assignments.split_whitespace() {
                let (name, value) = assignment.split_once('=').expect("NAME=value");
                let value = match (name, value) {
                    ("TOKEN", "<token-file>") => token.clone(),
                    ("API", README_API) => format!("{}/api/v1", server.base),
                    _ => panic!("unexpected export {assignment:?}"),
                };
                vars.insert(name.to_owned(), value);
            }
            continue;
        }
        let (keep, curl) = match capture.captures(&line) {
            Some(c) => (Some((c[1].to_owned(), c[3].to_owned())), c[2].to_owned()),
            None => (None, line.clone()),
        };
        let r = request(&words(&curl, &vars), &line);
        let (status, answer) = send(&client, &r).await;
        assert!((200..300).contains(&status), "{line}\n=> {status}: {answer}");
        assert!(
            answer.as_object().is_some_and(|o| !o.is_empty()),
            "{line}\n=> prints nothing to speak of: {answer}"
        );
        if r.url.ends_with("/received") {
            let inbox = answer["results"].as_array().unwrap();
            assert!(!inbox.is_empty(), "{line}\n=> the phone received nothing");
        }
        if let Some((name, key)) = keep {
            let value = answer[key.as_str()]
                .as_str()
                .unwrap_or_else(|| panic!("{line}\n=> no string {key:?} in {answer}"));
            vars.insert(name, value.to_owned());
        }
        ran += 1;
        last = answer;
    }
    assert!(ran >= 10, "only {ran} commands in the walk-through");

    // The last command reads the poll's results: every midwife answered.
    let stock = &last["results"][0];
    assert_eq!(stock["key"], "stock", "{last}");
    assert_eq!(stock["total"], 2, "{last}");
    let counts: HashMap<String, i64> = stock["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, HashMap::from([("Yes".into(), 1), ("No".into(), 1)]));

    // The voice step ended with the call and its results stored.
    let calls = api.ok("/calls").await;
    let call = &calls["results"][0];
    assert_eq!(
        (&call["trunk"], &call["status"], &call["digits"]),
        (&"simulator".into(), &"completed".into(), &"13#".into())
    );
}

/// `NAME=$(curl ... | grep -o '"KEY":"[^"]*"' | cut -d'"' -f4)`: the one
/// shell pipeline the walk-through may use, to keep a string from an answer.
fn regex_capture() -> regex::Regex {
    regex::Regex::new(r#"^([A-Z_]+)=\$\((curl .*) \| grep -o '"(\w+)":"\[\^"\]\*"' \| cut -d'"' -f4\)$"#)
        .unwrap()
}
