//! `mhero serve`: config → store → links → gateway → API, until SIGINT or
//! SIGTERM, then a graceful drain.

use std::path::Path;

use anyhow::Context;
use rand::Rng;

use crate::api::{self, ApiState};
use crate::config::{Config, MatchType, Role, TriggerConfig};
use crate::dispatch::Gateway;
use crate::store::Store;

/// Where the first run keeps the admin token it made.
const TOKEN_FILE: &str = "mhero.token";

pub async fn serve(config_path: Option<&Path>) -> anyhow::Result<()> {
    let mut config = crate::config::load(config_path)?;
    let first_run_defaults = config_path.is_none();
    if first_run_defaults && config.triggers.is_empty() {
        config.triggers.push(demo_trigger());
    }
    if first_run_defaults && config.flows.imports.is_empty() {
        // The flows we ship, when run from a checkout: text CASE, QUIZ or HR.
        config.flows.imports = SHIPPED_FLOWS
            .iter()
            .map(|f| format!("flows/{f}.json"))
            .filter(|p| Path::new(p).exists())
            .collect();
    }
    let store = Store::open(config.database.url.expose(), config.database.max_connections)
        .await
        .context("opening the database")?;
    let metrics = latency_buckets(metrics_exporter_prometheus::PrometheusBuilder::new())
        .install_recorder()
        .map_err(|e| tracing::warn!(error = %e, "metrics are off"))
        .ok();
    let new_token = admin_token(&config, &store, first_run_defaults).await?;
    let listen = config.api.listen;
    let running = Gateway::start(config, store)
        .await
        .context("starting the gateway")?;
    let gw = running.gateway.clone();
    // SIP trunks for IVR calls, when any are configured; their media clock first.
    let ivr = if gw.config.trunks.is_empty() {
        None
    } else {
        crate::sip::media_clock::start(gw.config.sip.media_realtime_priority);
        let ivr = crate::dispatch::voice::Ivr::start(&gw.config.trunks, gw.clone())
            .await
            .context("starting the SIP trunks")?;
        Some(ivr)
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    print_banner(&gw, addr, new_token.as_deref());
    tracing::info!(node = %gw.node, %addr, "serving");
    let app = api::router(ApiState {
        gw: gw.clone(),
        metrics,
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving the API")?;
    tracing::info!("draining: letting sends in flight finish");
    if let Some(ivr) = &ivr {
        ivr.shutdown();
    }
    running.shutdown().await;
    gw.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Exports in `flows/` a first run imports (the voice quiz for the voice
/// simulator: it needs no trunk).
const SHIPPED_FLOWS: [&str; 5] = [
    "case_report",
    "training_quiz",
    "hr_update",
    "ministry_poll",
    "voice_quiz",
];

/// The embedded default answers every message, so a first run shows a
/// round trip through the simulator.
fn demo_trigger() -> TriggerConfig {
    TriggerConfig {
        keywords: vec![],
        match_type: MatchType::First,
        reply: Some(
            "Thank you, your message reached the mHero gateway. Text CASE to report cases, QUIZ for a \
             training quiz, HR to check your record. Reply STOP to opt out."
                .into(),
        ),
        flow: None,
        groups: vec![],
        exclude_groups: vec![],
    }
}

/// With no token anywhere, make an admin token, store its hash, and hand it
/// to the operator once (printed, and in `mhero.token` on a first run).
async fn admin_token(config: &Config, store: &Store, first_run: bool) -> anyhow::Result<Option<String>> {
    if !config.api.tokens.is_empty() || store.count_tokens().await? > 0 {
        return Ok(None);
    }
    let bytes: [u8; 24] = rand::rng().random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    store.add_token("admin", &token, Role::Admin).await?;
    if first_run {
        write_private(TOKEN_FILE, &token)?;
    }
    Ok(Some(token))
}

fn write_private(path: &str, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path).with_context(|| format!("writing {path}"))?;
    writeln!(f, "{contents}")?;
    Ok(())
}

fn print_banner(gw: &Gateway, addr: std::net::SocketAddr, token: Option<&str>) {
    let base = format!("http://{addr}");
    let shown = token.unwrap_or("$TOKEN");
    println!(
        "mHero gateway running: node {}, API {base}/api/v1 (OpenAPI at /api/v1/openapi.json)",
        gw.node
    );
    match token {
        Some(t) => println!("Admin token (shown once; also saved to ./{TOKEN_FILE} on a first run): {t}"),
        None => println!("Use an API token from your config or ./{TOKEN_FILE}: export TOKEN=..."),
    }
    println!("A simulated phone sends a message in:");
    println!(
        "  curl -s -X POST {base}/api/v1/simulator/inbound -H 'Authorization: Bearer {shown}' \
         -H 'Content-Type: application/json' -d '{{\"from\": \"+255712345678\", \"text\": \"Hello\"}}'"
    );
    println!(
        "(Text CASE, QUIZ or HR instead of Hello to run a shipped flow; send the answers the same way.)"
    );
    println!("What that phone received:");
    println!(
        "  curl -s {base}/api/v1/simulator/phones/+255712345678/received -H 'Authorization: Bearer {shown}'"
    );
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Latencies of the conversation path are exported as histograms (not the
/// exporter's rolling summaries): they add up across nodes and over any
/// interval, with buckets fine enough (1 ms up to 30 ms) to read a p99
/// against a 20 ms target.
fn latency_buckets(
    b: metrics_exporter_prometheus::PrometheusBuilder,
) -> metrics_exporter_prometheus::PrometheusBuilder {
    use metrics_exporter_prometheus::Matcher;
    let mut buckets: Vec<f64> = (1..=30).map(|ms| f64::from(ms) / 1000.0).collect();
    buckets.extend([0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]);
    [
        "mhero_inbound_stage_seconds",
        "mhero_commit_wait_seconds",
        "mhero_commit_seconds",
    ]
    .into_iter()
    .fold(b, |b, name| {
        b.set_buckets_for_metric(Matcher::Full(name.to_string()), &buckets)
            .expect("bucket bounds are not empty")
    })
}
