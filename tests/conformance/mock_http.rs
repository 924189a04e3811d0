//! The reference test harness's outside services, as a test double: HTTP
//! calls are answered from the case's `http_mocks` (URL → responses, used
//! in order) and written out the way the reference's Go client logs them;
//! e-mail is sent unless the case sets `smtp_error`. The engine builds every
//! event from what this returns.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use mhero::flow::clock::Clock;

use mhero::flow::assets::NamedRef;
use mhero::flow::services::{
    AirtimeTransfer, Classification, Entity, HttpCall, HttpLog, HttpTrace, Intent, ProviderCall, Services,
};
use serde_json::Value;

/// Bodies longer than this are not read (the reference client's limit).
const MAX_BODY_BYTES: usize = 100_000;

pub struct MockServices {
    mocks: RefCell<HashMap<String, VecDeque<Value>>>,
    smtp_error: Option<String>,
    /// The clock calls are timed by (the scenario's, shared with the
    /// engine); without one a call takes no time.
    clock: Option<Arc<dyn Clock>>,
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
            clock: None,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> MockServices {
        self.clock = Some(clock);
        self
    }

    /// Times a call as the reference's HTTP client does: one clock reading
    /// as it starts and one as it ends.
    fn timed<T>(&self, call: impl FnOnce() -> T) -> (T, u64) {
        let Some(clock) = &self.clock else {
            return (call(), 0);
        };
        let started = clock.now();
        let out = call();
        let took = clock.now() - started;
        (out, u64::try_from(took.num_milliseconds()).unwrap_or(0))
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

/// The user agent of the reference's webhook client.
const WEBHOOK_USER_AGENT: &str = "goflow-testing";

/// The request as Go's client writes it, sent as `user_agent`.
fn request_text(call: &HttpCall, user_agent: &str) -> String {
    let after = call.url.split_once("://").map_or(call.url.as_str(), |(_, r)| r);
    let (host, path) = match after.find(['/', '?']) {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    let mut out = format!(
        "{} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n",
        call.method
    );
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

impl MockServices {
    /// Answers `call` from the mocks (or the local test server), as sent
    /// by a client calling itself `user_agent`.
    pub fn exchange(&self, call: &HttpCall, user_agent: &str) -> HttpTrace {
        let request = request_text(call, user_agent);
        let (mock, elapsed_ms) = self.timed(|| {
            self.mocks
                .borrow_mut()
                .get_mut(&call.url)
                .and_then(VecDeque::pop_front)
                .or_else(|| test_server(&call.url))
        });
        let Some(mock) = mock else {
            // No canned answer: the reference's mock client fails the call.
            return HttpTrace {
                request,
                elapsed_ms,
                ..HttpTrace::default()
            };
        };
        let status = mock["status"].as_u64().unwrap_or(0) as u16;
        if status == 0 {
            return HttpTrace {
                request,
                elapsed_ms,
                ..HttpTrace::default()
            };
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
        let mut head = format!(
            "HTTP/1.0 {status} {}\r\nContent-Length: {}\r\n",
            reason(status),
            body.len()
        );
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let too_large = body.len() > MAX_BODY_BYTES;
        let response = if too_large { head } else { format!("{head}{body}") };
        HttpTrace {
            status_code: Some(status),
            request,
            response: Some(response),
            headers,
            body: (!too_large).then_some(body),
            body_too_large: too_large,
            elapsed_ms,
            ..HttpTrace::default()
        }
    }
}

impl Services for MockServices {
    fn http(&self, call: &HttpCall) -> Option<HttpTrace> {
        Some(self.exchange(call, WEBHOOK_USER_AGENT))
    }

    /// DT One, as the reference's harness configures it (see `mock_dtone`).
    fn transfer_airtime(
        &self,
        transfer_uuid: &str,
        sender: &str,
        recipient: &str,
        amounts: &[(String, serde_json::Number)],
    ) -> Option<ProviderCall<AirtimeTransfer>> {
        Some(super::mock_dtone::transfer(
            self,
            transfer_uuid,
            sender,
            recipient,
            amounts,
        ))
    }

    /// wit.ai when the case has canned wit.ai answers, otherwise the
    /// reference harness's fixed test classifier.
    fn classify(
        &self,
        _classifier: &NamedRef,
        kind: &str,
        input: &str,
    ) -> Option<ProviderCall<Classification>> {
        let query: String = input
            .bytes()
            .map(|b| match b {
                b' ' => "+".to_owned(),
                b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => (b as char).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect();
        let url = format!("https://api.wit.ai/message?v=20200513&q={query}");
        let (mock, elapsed_ms) = self.timed(|| {
            self.mocks
                .borrow_mut()
                .get_mut(&url)
                .and_then(VecDeque::pop_front)
        });
        let Some(mock) = mock.filter(|_| kind == "wit") else {
            return Some(test_classification());
        };
        let request = format!(
            "GET /message?v=20200513&q={query} HTTP/1.1\r\nHost: api.wit.ai\r\nUser-Agent: Go-http-client/1.1\r\nAuthorization: Bearer ****************\r\nAccept-Encoding: gzip\r\n\r\n"
        );
        let status = mock["status"].as_u64().unwrap_or(0) as u16;
        let body = mock["body"].as_str().unwrap_or_default().to_owned();
        let mut log = HttpLog {
            url,
            status_code: None,
            request,
            response: None,
            elapsed_ms,
            retries: 0,
            status: "connection_error".into(),
            created_on: String::new(),
        };
        if status == 0 {
            return Some(ProviderCall {
                http_logs: vec![log],
                result: Err("unable to connect to server".into()),
            });
        }
        log.status_code = Some(status);
        log.response = Some(format!(
            "HTTP/1.0 {status} {}\r\nContent-Length: {}\r\n\r\n{body}",
            reason(status),
            body.len()
        ));
        if !(200..300).contains(&status) {
            log.status = "response_error".into();
            return Some(ProviderCall {
                http_logs: vec![log],
                result: Err("wit.ai API request failed".into()),
            });
        }
        log.status = "success".into();
        let parsed: Value = serde_json::from_str(&body).unwrap_or_default();
        let number = |v: &Value| -> serde_json::Number {
            let f = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0.0);
            serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into())
        };
        let intents = parsed["intents"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| Intent {
                        name: i["name"].as_str().unwrap_or_default().to_owned(),
                        confidence: number(&i["confidence"]),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut entities = std::collections::BTreeMap::new();
        for (key, list) in parsed["entities"].as_object().cloned().unwrap_or_default() {
            let name = key.split(':').next().unwrap_or_default().to_owned();
            let values: Vec<Entity> = list
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| Entity {
                            value: e["value"].as_str().unwrap_or_default().to_owned(),
                            confidence: number(&e["confidence"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            entities.insert(name, values);
        }
        Some(ProviderCall {
            http_logs: vec![log],
            result: Ok(Classification { intents, entities }),
        })
    }

    fn email(&self, _to: &[String], _subject: &str, _body: &str) -> Option<Result<(), String>> {
        Some(self.smtp_error.clone().map_or(Ok(()), Err))
    }
}

/// The reference harness's fixed classifier: two intents and one entity.
fn test_classification() -> ProviderCall<Classification> {
    let log = HttpLog {
        url: "http://test.acme.ai?classify".into(),
        status_code: Some(200),
        request: "GET /?classify HTTP/1.1\r\nHost: test.acme.ai\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n".into(),
        response: Some("HTTP/1.0 200 OK\r\nContent-Length: 14\r\n\r\n{\"intents\":[]}".into()),
        elapsed_ms: 1000,
        retries: 0,
        status: "success".into(),
        created_on: String::new(),
    };
    let n = |f: f64| serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into());
    let intent = |name: &str, c: f64| Intent {
        name: name.into(),
        confidence: n(c),
    };
    let mut entities = std::collections::BTreeMap::new();
    entities.insert(
        "location".to_owned(),
        vec![Entity {
            value: "Quito".into(),
            confidence: 1.into(),
        }],
    );
    ProviderCall {
        http_logs: vec![log],
        result: Ok(Classification {
            intents: vec![intent("book_flight", 0.5), intent("book_hotel", 0.25)],
            entities,
        }),
    }
}
