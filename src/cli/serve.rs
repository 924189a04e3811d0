//! `mhero serve`: config → store → links → gateway → API, until SIGINT or
//! SIGTERM, then a graceful drain.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::token_file;
use crate::api::{self, ApiState};
use crate::config::{Config, MatchType, Role, TriggerConfig};
use crate::dispatch::Gateway;
use crate::store::{NewAccount, Store, StoreError, FIRST_ADMIN};

/// The name of the admin token a start makes when there is none.
const ADMIN_TOKEN_NAME: &str = "admin";

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
    let token_path = token_file::path(&config);
    token_file::tighten(&token_path)?;
    let new_token = admin_token(&config, &store, &token_path).await?;
    let password_path = token_file::password_path(&config);
    token_file::tighten(&password_path)?;
    let new_password = first_admin(&store, &password_path).await?;
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
    print_banner(
        &gw,
        addr,
        new_token.as_deref(),
        &token_path,
        new_password.as_deref(),
        &password_path,
    );
    tracing::info!(node = %gw.node, %addr, "serving");
    api::console::assets::prepare();
    let streams_end = tokio_util::sync::CancellationToken::new();
    let app = api::router(ApiState {
        gw: gw.clone(),
        metrics,
        admin_password_file: Some(password_path),
        streams_end: streams_end.clone(),
    });
    // The peer's address reaches the handlers: logins are throttled by it.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        streams_end.cancel();
    })
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

/// With no live token anywhere, make an admin token: saved to the token
/// file first (so a token that works is never one nobody has), then its
/// hash stored; the caller prints it once.
async fn admin_token(config: &Config, store: &Store, file: &Path) -> anyhow::Result<Option<String>> {
    if !config.api.tokens.is_empty() || store.count_tokens().await? > 0 {
        return Ok(None);
    }
    let token = crate::store::new_secret();
    token_file::write(file, &token)?;
    match store.add_token(ADMIN_TOKEN_NAME, &token, Role::Admin).await {
        Ok(()) => Ok(Some(token)),
        Err(StoreError::Conflict(_)) => {
            // Another node sharing the database made it first; its operator
            // has that one, and ours in the file never worked.
            let _ = std::fs::remove_file(file);
            tracing::info!("another node made the admin token");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// With no operator account at all, make `admin` with a generated
/// password, to be changed at its first login: saved to `file` (0600)
/// first, so the password that works is never one nobody has; the caller
/// prints it once. The file goes when the password is changed (or at the
/// next start, if it was changed on another node).
async fn first_admin(store: &Store, file: &Path) -> anyhow::Result<Option<String>> {
    if store.count_accounts().await? > 0 {
        let changed = match store.account(FIRST_ADMIN).await {
            Ok(a) => !a.must_change_password,
            Err(StoreError::NotFound(_)) => true,
            Err(e) => return Err(e.into()),
        };
        if changed && file.exists() {
            std::fs::remove_file(file).with_context(|| format!("deleting {}", file.display()))?;
        }
        return Ok(None);
    }
    let password = crate::core::password::generate();
    token_file::write(file, &password)?;
    let made = store
        .create_account(NewAccount {
            username: FIRST_ADMIN.into(),
            display_name: FIRST_ADMIN.into(),
            role: Role::Admin,
            language: String::new(),
            password: password.clone(),
            must_change_password: true,
        })
        .await;
    match made {
        Ok(_) => Ok(Some(password)),
        Err(StoreError::Invalid { field, .. }) if field == "username" => {
            // Another node sharing the database made it first.
            let _ = std::fs::remove_file(file);
            tracing::info!("another node made the first admin account");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The banner on stdout: where the console and the API are, the first
/// admin password and the admin token once if this start made them, and
/// commands to try that read the token from `$TOKEN`. A closed or full
/// stdout (a detached service) is logged, not a crash.
fn print_banner(
    gw: &Gateway,
    addr: std::net::SocketAddr,
    token: Option<&str>,
    file: &Path,
    password: Option<&str>,
    password_file: &Path,
) {
    let base = format!("http://{addr}");
    let from_file = format!("export TOKEN=\"$(cat {})\"", shell_quoted(file));
    let mut out = format!("mHero console: open {base}/ in a browser\n");
    match password {
        Some(p) => out.push_str(&format!(
            "Log in as {FIRST_ADMIN} with the password {p} (shown once; saved with mode 0600 to {} until \
             you choose your own at the first login)\n",
            password_file.display()
        )),
        None if password_file.exists() => out.push_str(&format!(
            "Log in as {FIRST_ADMIN} with the first password saved in {}\n",
            password_file.display()
        )),
        None => {}
    }
    out.push_str(&format!(
        "mHero gateway running: node {}, API {base}/api/v1 (OpenAPI at /api/v1/openapi.json)\n",
        gw.node
    ));
    match token {
        Some(t) => out.push_str(&format!(
            "Admin token (shown once; saved with mode 0600 to {}): {t}\nFor the commands below: {from_file}\n",
            file.display()
        )),
        None if file.exists() => out.push_str(&format!(
            "API token: one from [api] tokens or `mhero token create`, or the admin token saved earlier: {from_file}\n"
        )),
        None => out.push_str(
            "API token: one from [api] tokens or `mhero token create --role admin`: export TOKEN=...\n",
        ),
    }
    let auth = "-H \"Authorization: Bearer $TOKEN\"";
    out.push_str(&format!(
        "A simulated phone sends a message in:\n  curl -s -X POST {base}/api/v1/simulator/inbound {auth} \
         -H 'Content-Type: application/json' -d '{{\"from\": \"+255712345678\", \"text\": \"Hello\"}}'\n\
         (Text CASE, QUIZ or HR instead of Hello to run a shipped flow; send the answers the same way.)\n\
         What that phone received:\n  curl -s {base}/api/v1/simulator/phones/+255712345678/received {auth}\n"
    ));
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
        tracing::warn!(error = %e, "could not print the banner on stdout");
    }
}

/// `path` as one word for a POSIX shell.
fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
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
