//! Keeping the trunk alive: REGISTER with digest auth and refresh before
//! expiry (registered trunks), and OPTIONS pings to the carrier (every trunk)
//! so a dead carrier shows up before calls fail. The results are the
//! trunk's [`TrunkHealth`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsipstack::dialog::registration::{RefreshOutcome, Registration};
use rsipstack::sip::{Method, SipMessage, StatusCodeKind, Uri};
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transaction::make_tag;
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use tokio_util::sync::CancellationToken;

use super::Shared;

/// How long an OPTIONS ping may go unanswered: Timer F (64 × T1) is 32 s,
/// too slow to notice a dead carrier between pings.
const OPTIONS_TIMEOUT: Duration = Duration::from_secs(5);

/// What the keepalives last saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrunkHealth {
    /// `None` for IP-authenticated trunks.
    pub registered: Option<bool>,
    /// Status of the last OPTIONS answer; `None` before the first or when unanswered.
    pub options_status: Option<u16>,
    pub options_sent: u64,
    pub options_answered: u64,
}

#[derive(Debug, Default)]
pub(super) struct HealthCell(Mutex<TrunkHealth>);

impl HealthCell {
    pub fn get(&self) -> TrunkHealth {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TrunkHealth> {
        // Plain data: a panic while holding the lock cannot leave it inconsistent.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut TrunkHealth)) {
        f(&mut self.lock());
    }
}

pub(super) fn spawn(shared: Arc<Shared>, cancel: CancellationToken) {
    if shared.settings.credential.is_some() {
        shared.health.update(|h| h.registered = Some(false));
        tokio::spawn(register_loop(Arc::clone(&shared), cancel.clone()));
    }
    if let Some(every) = shared.settings.options_interval {
        tokio::spawn(options_loop(shared, every, cancel));
    }
}

async fn register_loop(shared: Arc<Shared>, cancel: CancellationToken) {
    let settings = &shared.settings;
    let registrar = settings
        .registrar
        .clone()
        .unwrap_or_else(|| format!("sip:{}", settings.domain));
    let Ok(server) = Uri::try_from(registrar.as_str()) else {
        tracing::error!(trunk = %settings.name, %registrar, "registrar is not a SIP URI; not registering");
        return;
    };
    let mut registration = Registration::new(shared.dialogs.endpoint.clone(), settings.credential());
    registration.outbound_proxy = settings.outbound_proxy;
    let health = &shared.health;
    let name = settings.name.clone();
    registration
        .keep_alive(
            server,
            settings.register_expires,
            cancel,
            |outcome| match outcome {
                RefreshOutcome::Registered(_) => {
                    tracing::info!(trunk = %name, "registered");
                    health.update(|h| h.registered = Some(true));
                }
                RefreshOutcome::Rejected(response) => {
                    tracing::warn!(trunk = %name, status = %response.status_code, "registration refused");
                    health.update(|h| h.registered = Some(false));
                }
                RefreshOutcome::Failed(err) => {
                    tracing::warn!(trunk = %name, %err, "registration failed");
                    health.update(|h| h.registered = Some(false));
                }
            },
        )
        .await;
}

async fn options_loop(shared: Arc<Shared>, every: Duration, cancel: CancellationToken) {
    // The first ping waits a period: registration goes first on a new trunk.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = cancel.cancelled() => return,
        }
        shared.health.update(|h| h.options_sent += 1);
        let status = tokio::time::timeout(OPTIONS_TIMEOUT, ping(&shared))
            .await
            .ok()
            .flatten();
        match status {
            Some(code) => shared.health.update(|h| {
                h.options_answered += 1;
                h.options_status = Some(code);
            }),
            None => {
                tracing::warn!(trunk = %shared.settings.name, "carrier did not answer OPTIONS");
                shared.health.update(|h| h.options_status = None);
            }
        }
    }
}

/// One OPTIONS to the carrier; the final status, if any came.
async fn ping(shared: &Shared) -> Option<u16> {
    let settings = &shared.settings;
    let endpoint = &shared.dialogs.endpoint;
    let target = Uri::try_from(format!("sip:{}", settings.domain).as_str()).ok()?;
    let ours = Uri::try_from(format!("sip:{}@{}", settings.caller_id, shared.local).as_str()).ok()?;
    let via = endpoint.get_via(None, None).ok()?;
    let from = rsipstack::sip::typed::From {
        display_name: None,
        uri: ours,
        params: vec![],
    }
    .with_tag(make_tag());
    let to = rsipstack::sip::typed::To {
        display_name: None,
        uri: target.clone(),
        params: vec![],
    };
    let request = endpoint.make_request(Method::Options, target, via, from, to, 1, None);
    let key = TransactionKey::from_request(&request, TransactionRole::Client).ok()?;
    let mut tx = Transaction::new_client(key, request, endpoint.clone(), None);
    tx.destination = Some(SipAddr::from(settings.next_hop()));
    tx.send().await.ok()?;
    while let Some(message) = tx.receive().await {
        if let SipMessage::Response(response) = message {
            if response.status_code.kind() != StatusCodeKind::Provisional {
                return Some(response.status_code.code());
            }
        }
    }
    None
}
