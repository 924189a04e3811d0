//! The reference test harness's outside services, as a test double: HTTP
//! calls are answered from the case's `http_mocks` (URL → responses, used
//! in order) and written out the way the reference's Go client logs them;
//! e-mail is sent unless the case sets `smtp_error`. The engine builds every
//! event from what this returns.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use mhero::flow::services::{HttpCall, HttpTrace, Services};
use serde_json::Value;

/// Bodies longer than this are not read (the reference client's limit).
const MAX_BODY_BYTES: usize = 100_000;

pub struct MockServices {
    mocks: RefCell<HashMap<String, VecDeque<Value>>>,
    smtp_error: Option<String>,
    /// What each call took by the reference run's clock (the runner's
    /// clock moves one second per read; the action tables' is fixed).
    elapsed_ms: u64,
}

impl MockServices {
    pub fn new(mocks: &Value, smtp_error: Option<String>) -> MockServices {
        let mocks = mocks
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(url, list)| (url.clone(), list.as_array().cloned().unwrap_or_default().into()))
                    .collect()
            })
            .unwrap_or_default();
        MockServices {
            mocks: RefCell::new(mocks),
            smtp_error,
            elapsed_ms: 0,
        }
    }

    pub fn with_elapsed_ms(mut self, elapsed_ms: u64) -> MockServices {
        self.elapsed_ms = elapsed_ms;
        self
    }
}

/// The reference's local test server, for calls without a canned answer:
/// `?content=X` answers X, `?cmd=success` a small JSON object.
fn test_server(url: &str) -> Option<Value> {
    let rest = url.strip_prefix("http://localhost/?")?;
    for pair in rest.split('&') {
        match pair.split_once('=') {
            Some(("content", v)) => {
                let body = percent_decode(v);
                return Some(serde_json::json!({"status": 200, "body": body}));
            }
            Some(("cmd", "success")) => {
                return Some(serde_json::json!({"status": 200, "body": "{ \"ok\": \"true\" }"}));
            }
            _ => {}
        }
    }
    None
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl MockServices {
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        410 => "Gone",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// The request as Go's client writes it.
fn request_text(call: &HttpCall) -> String {
    let after = call.url.split_once("://").map_or(call.url.as_str(), |(_, r)| r);
    let (host, path) = match after.find(['/', '?']) {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let path = if path.starts_with('?') { format!("/{path}") } else { path.to_owned() };
    let mut out = format!("{} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: goflow-testing\r\n", call.method);
    if !call.body.is_empty() || matches!(call.method.as_str(), "POST" | "PUT" | "PATCH") {
        out.push_str(&format!("Content-Length: {}\r\n", call.body.len()));
    }
    let mut headers = call.headers.clone();
    headers.sort();
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Accept-Encoding: gzip\r\n\r\n");
    out.push_str(&call.body);
    out
}

impl Services for MockServices {
    fn http(&self, call: &HttpCall) -> Option<HttpTrace> {
        let request = request_text(call);
        let mock = self
            .mocks
            .borrow_mut()
            .get_mut(&call.url)
            .and_then(VecDeque::pop_front)
            .or_else(|| test_server(&call.url));
        let Some(mock) = mock else {
            // No canned answer: the reference's mock client fails the call.
            return Some(HttpTrace {
                request,
                elapsed_ms: self.elapsed_ms,
                ..HttpTrace::default()
            });
        };
        let status = mock["status"].as_u64().unwrap_or(0) as u16;
        if status == 0 {
            return Some(HttpTrace {
                request,
                elapsed_ms: self.elapsed_ms,
                ..HttpTrace::default()
            });
        }
        let mut body = match &mock["body"] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        if let Some(n) = mock["body_repeat"].as_u64() {
            body = body.repeat(n as usize);
        }
        let mut headers: Vec<(String, String)> = mock["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        headers.sort();
        let mut head = format!("HTTP/1.0 {status} {}\r\nContent-Length: {}\r\n", reason(status), body.len());
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let too_large = body.len() > MAX_BODY_BYTES;
        let response = if too_large { head } else { format!("{head}{body}") };
        Some(HttpTrace {
            status_code: Some(status),
            request,
            response: Some(response),
            headers,
            body: (!too_large).then_some(body),
            body_too_large: too_large,
            elapsed_ms: self.elapsed_ms,
            ..HttpTrace::default()
        })
    }

    fn email(&self, _to: &[String], _subject: &str, _body: &str) -> Option<Result<(), String>> {
        Some(self.smtp_error.clone().map_or(Ok(()), Err))
    }
}
