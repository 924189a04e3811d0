//! The REST API under `/api/v1` (axum), `/healthz`, `/metrics` and the
//! OpenAPI document. Handlers are thin: they parse, call the store or the
//! gateway, and shape JSON. They never touch a socket of a link.
//!
//! Roles: a `viewer` token may read (GET); a `sender` (formerly
//! `operator`, still accepted) may also write contacts, groups, messages,
//! broadcasts and the simulator; an `admin` may also tune links, change
//! triggers, import flows, and manage accounts, API tokens and read the
//! audit log. `/metrics` needs a viewer token unless `[metrics] public = true`.
//!
//! The operator console (`console`) is served from the same router, over
//! the same store and gateway; every state change through either is written
//! to the audit log by one middleware (`audit`). Answers are compressed
//! (gzip or brotli, as the client accepts).

mod accounts;
pub mod audit;
mod auth;
mod body;
mod broadcasts;
mod calls;
pub mod console;
mod contacts;
mod emnutt;
mod error;
mod flows;
mod groups;
mod links;
mod list;
mod message_events;
mod messages;
pub mod openapi;
mod registries;
pub mod roster_csv;
mod simulator;
mod tokens;
mod triggers;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::dispatch::Gateway;
pub use error::ApiError;

#[derive(Clone)]
pub struct ApiState {
    pub gw: Arc<Gateway>,
    pub metrics: Option<PrometheusHandle>,
    /// Where the first run's admin password waits (mode 0600) until the
    /// account's password is changed.
    pub admin_password_file: Option<std::path::PathBuf>,
    /// Cancelled when the server stops taking requests: answers that last
    /// (event streams) end then, so the graceful shutdown does not wait on
    /// a browser left open.
    pub streams_end: tokio_util::sync::CancellationToken,
}

impl ApiState {
    /// `username`'s password changed: the first run's saved password, if
    /// it was this account's, is no longer true and leaves the disk.
    pub fn password_changed(&self, username: &str) {
        if username != crate::store::FIRST_ADMIN {
            return;
        }
        if let Some(f) = &self.admin_password_file {
            match std::fs::remove_file(f) {
                Ok(()) => tracing::info!(file = %f.display(), "the first admin password file was deleted"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(file = %f.display(), error = %e, "could not delete the first admin password file")
                }
            }
        }
    }
}

pub fn router(state: ApiState) -> Router {
    let max_body = state.gw.config.api.max_body_bytes;
    let v1 = Router::new()
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route(
            "/contacts/{uuid}",
            get(contacts::get_one)
                .patch(contacts::update)
                .delete(contacts::delete),
        )
        .route("/contacts/import", post(contacts::import))
        .route("/contacts/import/preview", post(contacts::import_preview))
        .route("/contacts/import/csv", post(contacts::import_csv))
        .route("/contacts/count", get(contacts::count))
        .route("/contacts/{uuid}/runs", get(contacts::runs))
        .route("/fields", get(contacts::list_fields).post(contacts::create_field))
        .route("/groups", get(groups::list).post(groups::create))
        .route(
            "/groups/{group}",
            get(groups::get_one).patch(groups::update).delete(groups::delete),
        )
        .route("/groups/{group}/members", post(groups::add_members))
        .route("/groups/{group}/members/remove", post(groups::remove_members))
        .route("/messages", get(messages::list).post(messages::send))
        .route("/messages/events", get(message_events::events))
        .route("/messages/{uuid}", get(messages::get_one))
        .route("/broadcasts", get(broadcasts::list).post(broadcasts::create))
        .route("/broadcasts/preview", post(broadcasts::preview))
        .route("/messages/segments", post(broadcasts::segments))
        .route("/flow_starts/preview", post(flows::preview_start))
        .route(
            "/broadcasts/{uuid}",
            get(broadcasts::get_one).patch(broadcasts::edit),
        )
        .route("/broadcasts/{uuid}/cancel", post(broadcasts::cancel))
        .route("/broadcasts/{uuid}/pause", post(broadcasts::pause))
        .route("/broadcasts/{uuid}/resume", post(broadcasts::resume))
        .route("/broadcasts/{uuid}/retry_failed", post(broadcasts::retry_failed))
        .route("/broadcasts/{uuid}/funnel", get(broadcasts::funnel))
        .route("/broadcasts/{uuid}/events", get(broadcasts::events))
        .route("/triggers", get(triggers::list).post(triggers::create))
        .route("/triggers/import", post(triggers::import))
        .route("/triggers/{uuid}", axum::routing::delete(triggers::delete))
        .route("/flows", get(flows::list).post(flows::import))
        .route("/flows/{flow}", get(flows::get_one))
        .route("/flows/{flow}/runs", get(flows::runs))
        .route("/flows/{flow}/runs.csv", get(flows::runs_csv))
        .route("/flows/{flow}/results", get(flows::results))
        .route("/flow_starts", get(flows::list_starts).post(flows::create_start))
        .route("/flow_starts/{uuid}", get(flows::get_start))
        .route("/flow_starts/{uuid}/cancel", post(flows::cancel_start))
        .route("/flow_starts/{uuid}/pause", post(flows::pause_start))
        .route("/flow_starts/{uuid}/resume", post(flows::resume_start))
        .route("/flow_starts/{uuid}/events", get(flows::start_events))
        .route("/campaigns", get(flows::list_campaigns).post(flows::put_campaign))
        .route(
            "/campaigns/{uuid}",
            get(flows::get_campaign).delete(flows::delete_campaign),
        )
        .route("/calls", get(calls::list).post(calls::create))
        .route("/calls/{uuid}", get(calls::get_one))
        .route("/links", get(links::list))
        .route("/links/{name}", get(links::get_one).patch(links::update))
        .route("/nodes", get(nodes))
        .route("/registries", get(registries::list))
        .route("/registries/{name}/conflicts", get(registries::conflicts))
        .route("/registries/{name}/staffing", get(registries::staffing_view))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{name}", axum::routing::delete(tokens::revoke))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{username}", axum::routing::patch(accounts::update))
        .route("/accounts/{username}/password", post(accounts::set_password))
        .route("/audit", get(audit::list))
        .route("/simulator/inbound", post(simulator::inbound))
        .route("/simulator/phones/{number}/received", get(simulator::received))
        .route("/simulator/stats", get(simulator::stats))
        .route("/simulator/calls", post(simulator::call))
        .route("/simulator/calls/{uuid}", get(simulator::get_call))
        .route("/simulator/calls/{uuid}/digits", post(simulator::press))
        .route(
            "/emNutt/fhir/CommunicationRequest",
            post(emnutt::communication_request),
        )
        .route("/emNutt/fhir/getProgress", get(emnutt::get_progress))
        .route(
            "/emNutt/fhir/cancelMessageSchedule",
            post(emnutt::cancel_schedule),
        )
        .route(
            "/emNutt/optout",
            axum::routing::put(emnutt::optout).post(emnutt::optout),
        )
        .route(
            "/emNutt/undoOptout",
            axum::routing::put(emnutt::undo_optout).post(emnutt::undo_optout),
        )
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), audit::record))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_role,
        ))
        .route("/openapi.json", get(openapi::serve));
    let mut scrape = Router::new().route("/metrics", get(metrics));
    if !state.gw.config.metrics.public {
        scrape = scrape.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_role,
        ));
    }
    Router::new()
        .nest("/api/v1", v1)
        .merge(
            emnutt::compat_routes()
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), audit::record))
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    emnutt::identify,
                )),
        )
        .merge(scrape)
        .route("/healthz", get(healthz))
        .merge(console::router(state.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// 200 `ok`; 200 `degraded` with the tasks that failed lately (a node
/// whose sending still works should stay behind its load balancer); 503
/// when stopping or without its database.
async fn healthz(State(s): State<ApiState>) -> impl IntoResponse {
    let degraded = s.gw.health.degraded();
    match s.gw.store.ping().await {
        Ok(()) if !s.gw.is_stopping() && degraded.is_empty() => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "node": s.gw.node})),
        ),
        Ok(()) if !s.gw.is_stopping() => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "degraded", "node": s.gw.node, "tasks": degraded})),
        ),
        Ok(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "stopping", "node": s.gw.node})),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "database unavailable", "error": e.to_string()})),
        ),
    }
}

/// Prometheus text. Queue depths are read from the store at scrape time so
/// they are exact for every node sharing it.
async fn metrics(State(s): State<ApiState>) -> impl IntoResponse {
    if let Ok(depths) = s.gw.store.queue_depths().await {
        for h in s.gw.links.links() {
            let depth: i64 = depths
                .iter()
                .filter(|(route, _)| {
                    s.gw.links
                        .active_link(route)
                        .is_some_and(|l| l.name() == h.name())
                })
                .map(|(_, n)| n)
                .sum();
            metrics::gauge!("mhero_queue_depth", "link" => h.name().to_string()).set(depth as f64);
            metrics::gauge!("mhero_link_rate", "link" => h.name().to_string()).set(h.rate());
            metrics::gauge!("mhero_link_in_flight", "link" => h.name().to_string())
                .set(h.in_flight.load(std::sync::atomic::Ordering::Relaxed) as f64);
            metrics::gauge!("mhero_link_up", "link" => h.name().to_string()).set(if h.usable() {
                1.0
            } else {
                0.0
            });
        }
        let unrouted: i64 = depths
            .iter()
            .filter(|(route, _)| s.gw.links.active_link(route).is_none())
            .map(|(_, n)| n)
            .sum();
        metrics::gauge!("mhero_queue_depth_unrouted").set(unrouted as f64);
    }
    crate::sip::send_clock::publish_metrics();
    crate::sip::media_clock::publish_metrics();
    let body = s.metrics.as_ref().map(|m| m.render()).unwrap_or_default();
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
}

async fn nodes(
    State(s): State<ApiState>,
    list::Params(o): list::Params<list::Ordered>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        serde_json::json!({ "results": o.apply(s.gw.store.list_nodes().await?) }),
    ))
}

/// JSON under `/api/`, the console's 404 page elsewhere.
async fn not_found(state: State<ApiState>, req: axum::extract::Request) -> axum::response::Response {
    if req.uri().path().starts_with("/api/") {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "no such endpoint (see /api/v1/openapi.json)",
        )
        .into_response();
    }
    console::not_found(state, req).await
}
