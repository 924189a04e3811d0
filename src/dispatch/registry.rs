//! The health-worker registries at work: where `fhir` (the registry) meets
//! `store` (contacts, broadcasts, messages). One task per configured
//! registry, started by `serve`, takes the registry's lease (one node at a
//! time when several share PostgreSQL) and then, each on its own interval:
//!
//! - [`sync`]: Practitioners → contacts, incremental by `_lastUpdated`,
//!   `Group`s → groups, the contact-uuid identifier and `optedout` tag back;
//! - [`requests`]: `CommunicationRequest`s (polled, or posted to the emNutt
//!   API) → broadcasts or flow starts, each acted on once;
//! - [`mod@write_back`]: Practitioner updates, a `Communication` per message
//!   and each recipient's result of a request;
//! - [`runs`]: every finished flow run of a linked worker as a
//!   `QuestionnaireResponse`, and runs of the registry's requests as
//!   per-recipient results; [`hr_update`]: HR update answers move
//!   `PractitionerRole`s (the registry wins a conflict); [`groups`]:
//!   exported groups kept in step with their `Group`s both ways; [`workflows`]: flows as `Basic`
//!   `mhero-workflows` resources; [`staffing`]: the staffing view;
//!   [`registrations`]: self-registered workers created as Practitioners.

pub mod groups;
pub mod hr_update;
pub mod registrations;
pub mod requests;
pub mod runs;
pub mod staffing;
pub mod sync;
pub mod workflows;
pub mod write_back;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::task::JoinSet;

use super::{secs_to_ms, Gateway};
use crate::config::{RegistryAuth, RegistryConfig, DEFAULT_LEASE_SECS};
use crate::core::time::now_ms;
use crate::fhir::{FhirAuth, FhirClient, FhirConfig, FhirError};

pub use requests::{accept_request, PollError, RequestError, Source};
pub use sync::{sync_registry, SyncError, SyncProgress, SyncReport};
pub use write_back::{write_back, WriteBackReport};

/// How often a registry task wakes to check its lease and due work.
const TICK: Duration = Duration::from_millis(500);

/// A client for `registry` with its auth and timeout.
pub fn client_for(registry: &RegistryConfig) -> Result<FhirClient, FhirError> {
    let mut config = FhirConfig::new(&registry.base_url);
    config.timeout = Duration::from_secs(registry.timeout_secs.max(1));
    config.auth = match &registry.auth {
        RegistryAuth::None => FhirAuth::None,
        RegistryAuth::Bearer { token } => FhirAuth::Bearer(SecretString::from(token.expose().to_string())),
        RegistryAuth::Basic { user, password } => FhirAuth::Basic {
            user: user.clone(),
            password: SecretString::from(password.expose().to_string()),
        },
    };
    FhirClient::new(config)
}

/// Start one supervised task per configured registry whose client can be
/// built (one that cannot is disabled, and said so, once).
pub fn spawn(gw: &Arc<Gateway>, tasks: &mut JoinSet<()>) {
    for registry in &gw.config.registries {
        let client = match client_for(registry) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(registry = %registry.name, error = %e, "registry disabled");
                continue;
            }
        };
        let (gw2, registry) = (gw.clone(), registry.clone());
        gw.supervised(tasks, format!("registry:{}", registry.name), move || {
            run(gw2.clone(), registry.clone(), client.clone())
        });
    }
}

async fn run(gw: Arc<Gateway>, registry: RegistryConfig, client: FhirClient) {
    let lease_ms = secs_to_ms(DEFAULT_LEASE_SECS);
    let mut next_sync = now_ms();
    let mut next_poll = now_ms();
    while !gw.is_stopping() {
        let now = now_ms();
        match gw
            .store
            .lease_registry(&registry.name, &gw.node, now.saturating_add(lease_ms))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tokio::time::sleep(TICK).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(registry = %registry.name, error = %e, "registry lease unavailable");
                tokio::time::sleep(TICK).await;
                continue;
            }
        }
        if registry.sync_interval_secs > 0 && now >= next_sync {
            next_sync = now.saturating_add(secs_to_ms(registry.sync_interval_secs));
            match sync_registry(&gw.store, &gw.config, &registry, &client, false, &|_| {}).await {
                Ok(report) => {
                    tracing::info!(registry = %registry.name, summary = %report.summary(), "registry synced")
                }
                Err(e) => tracing::warn!(registry = %registry.name, error = %e, "registry sync failed"),
            }
        }
        if registry.poll_interval_secs > 0 && now >= next_poll {
            next_poll = now.saturating_add(secs_to_ms(registry.poll_interval_secs));
            match requests::poll(&gw.store, &gw.config, &registry, &client).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(registry = %registry.name, requests = n, "acted on registry send requests");
                    gw.wake();
                }
                Err(e) => {
                    tracing::warn!(registry = %registry.name, error = %e, "polling send requests failed")
                }
            }
            if registry.write_back {
                match write_back(&gw.store, &registry, &client).await {
                    Ok(r) if r.is_empty() => {}
                    Ok(r) => {
                        tracing::info!(registry = %registry.name, report = ?r, "wrote back to the registry")
                    }
                    Err(e) => tracing::warn!(registry = %registry.name, error = %e, "write-back failed"),
                }
            }
        }
        tokio::time::sleep(TICK).await;
    }
    let _ = gw.store.release_registry(&registry.name, &gw.node).await;
}
