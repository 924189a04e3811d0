//! A whole gateway in this process, its API driven without a socket: the
//! real router over a SQLite file in a temporary directory, with every task
//! running. Shared by the fuzz target `api_bodies` and
//! `tests/api_properties.rs`, so both send requests the same way and hold
//! the API to the same rule: an answer is a success or a 4xx, never a 5xx.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Method, Request};
use mhero::api::{self, ApiState};
use mhero::dispatch::{Gateway, Running};
use mhero::store::Store;
use tower::ServiceExt;

pub const TOKEN: &str = "in-process-admin-token-000000001";
/// The link, group and date field every scenario can name.
pub const LINK: &str = "sim";
pub const GROUP: &str = "Trained";
pub const FIELD: &str = "training_date";

/// The endpoints whose bodies are fuzzed, by selector: the links,
/// campaigns, triggers and groups endpoints, and the export import (which
/// carries campaigns and triggers too).
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("PATCH", "/links/sim"),
    ("POST", "/campaigns"),
    ("POST", "/triggers"),
    ("POST", "/triggers/import"),
    ("POST", "/groups"),
    ("PATCH", "/groups/Scratch"),
    ("POST", "/groups/Trained/members"),
    ("POST", "/groups/Trained/members/remove"),
    ("POST", "/flows"),
];

fn config_text(dir: &Path) -> String {
    format!(
        r#"
[node]
id = "in-process"
[database]
url = "sqlite://{}/mhero.db"
[api]
tokens = [{{ name = "admin", token = "{TOKEN}", role = "admin" }}]
[contacts]
default_country = "TZ"
default_timezone = "Africa/Dar_es_Salaam"
[flows]
campaign_sync_secs = 1
[[links]]
name = "{LINK}"
kind = "simulator"
rate = 10
"#,
        dir.display()
    )
}

/// A running gateway and the router in front of it.
pub struct InProcess {
    pub router: axum::Router,
    running: Option<Running>,
    dir: PathBuf,
}

impl InProcess {
    /// Start on a fresh database in `dir` (which must outlive this).
    pub async fn start(dir: &Path) -> InProcess {
        let mut gw = InProcess {
            router: axum::Router::new(),
            running: None,
            dir: dir.to_path_buf(),
        };
        gw.boot().await.expect("the gateway starts");
        let field = serde_json::json!({"key": FIELD, "type": "datetime"});
        let (status, _) = gw
            .call("POST", "/fields", &serde_json::to_vec(&field).unwrap_or_default())
            .await;
        assert_eq!(status, 201, "the date field is created");
        for group in [GROUP, "Scratch"] {
            let body = serde_json::json!({ "name": group });
            let (status, _) = gw
                .call("POST", "/groups", &serde_json::to_vec(&body).unwrap_or_default())
                .await;
            assert_eq!(status, 201, "the {group} group is created");
        }
        gw
    }

    /// Open the store and start the gateway on it, as `mhero serve` does.
    async fn boot(&mut self) -> Result<(), String> {
        let config = mhero::config::load_str(&config_text(&self.dir), std::iter::empty())
            .map_err(|e| e.to_string())?;
        let store = Store::open(config.database.url.expose(), config.database.max_connections)
            .await
            .map_err(|e| e.to_string())?;
        let running = Gateway::start(config, store).await.map_err(|e| e.to_string())?;
        self.router = api::router(ApiState {
            gw: running.gateway.clone(),
            metrics: None,
            admin_password_file: None,
            streams_end: Default::default(),
        });
        self.running = Some(running);
        Ok(())
    }

    /// Stop (draining as `serve` does) and start again on the same
    /// database: what was stored must not keep the gateway down.
    pub async fn restart(&mut self) -> Result<(), String> {
        if let Some(running) = self.running.take() {
            let gw = running.gateway.clone();
            running.shutdown().await;
            gw.store.close().await;
        }
        self.boot().await
    }

    pub fn gateway(&self) -> Option<&Gateway> {
        self.running.as_ref().map(|r| &*r.gateway)
    }

    /// One request under `/api/v1`; the status and the body as JSON (or
    /// as a string).
    pub async fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
        self.request(method, &format!("/api/v1{path}"), body).await
    }

    /// One request to any path (`/healthz`).
    pub async fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_vec()));
        let Ok(req) = req else {
            return (0, serde_json::Value::Null);
        };
        let Ok(resp) = self.router.clone().oneshot(req).await;
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, json)
    }
}
