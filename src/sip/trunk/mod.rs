//! One SIP trunk to a carrier, on `rsipstack` (transactions, dialogs, digest
//! auth): a UDP endpoint task, the loop that sorts incoming requests (new
//! INVITEs become [`IncomingCall`]s, in-dialog requests go to their dialog,
//! OPTIONS are answered), OPTIONS pings and registration (`keepalive`),
//! and outbound INVITEs (`outbound`). Calls share the trunk's RTP port
//! pool and its concurrency limit. Knows nothing of flows or the store.

mod call;
mod inbound;
mod keepalive;
mod outbound;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Method, StatusCode};
use rsipstack::transaction::TransactionReceiver;
use rsipstack::transport::{udp::UdpConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use thiserror::Error;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

pub use call::{ActiveCall, CallEvent, HangupBy};
pub use inbound::IncomingCall;
pub use keepalive::TrunkHealth;
pub use outbound::OutboundFailure;

use crate::sip::media::codec::Codec;
use crate::sip::port_pool::{PortPool, PortPoolError};

/// New calls offered to the application that it has not picked up yet; beyond
/// this the trunk answers 503 rather than queue callers who hear only ringing.
const INCOMING_QUEUE: usize = 64;

/// Why a trunk could not start or a call could not be set up.
#[derive(Debug, Error)]
pub enum TrunkError {
    #[error("binding SIP on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: Box<rsipstack::Error>,
    },
    /// Boxed: the stack's error is large and calls pass this around often.
    #[error("SIP stack: {0}")]
    Stack(Box<rsipstack::Error>),
    #[error("RTP ports: {0}")]
    Ports(#[from] PortPoolError),
    #[error("RTP socket: {0}")]
    Socket(#[from] std::io::Error),
    #[error("RTP session: {0}")]
    Rtp(#[from] crate::sip::rtp_session::RtpSessionError),
    #[error("SDP: {0}")]
    Sdp(String),
    #[error("the trunk already carries its maximum of {0} calls")]
    Full(u32),
    #[error("the caller hung up before the call was answered")]
    CallerCancelled,
    #[error("bad SIP URI {0:?}")]
    BadUri(String),
}

impl From<rsipstack::Error> for TrunkError {
    fn from(err: rsipstack::Error) -> Self {
        TrunkError::Stack(Box::new(err))
    }
}

/// What a trunk needs, SIP-side only (parsed from `[[trunks]]`).
#[derive(Debug, Clone)]
pub struct TrunkSettings {
    pub name: String,
    pub bind: SocketAddr,
    pub peer: SocketAddr,
    pub domain: String,
    pub outbound_proxy: Option<SocketAddr>,
    pub caller_id: String,
    pub credential: Option<(String, String)>,
    pub registrar: Option<String>,
    pub register_expires: u32,
    pub options_interval: Option<Duration>,
    pub max_calls: u32,
    pub rtp_port_start: u16,
    pub media_address: IpAddr,
    pub codecs: Vec<Codec>,
    pub max_call: Duration,
    /// Ringing before an inbound call is answered (0 answers at once).
    pub answer_after: Duration,
}

impl TrunkSettings {
    pub fn from_config(c: &crate::config::TrunkConfig) -> TrunkSettings {
        TrunkSettings {
            name: c.name.clone(),
            bind: c.bind,
            peer: c.peer,
            domain: c.domain.clone().unwrap_or_else(|| c.peer.to_string()),
            outbound_proxy: c.outbound_proxy,
            caller_id: c.caller_id.clone(),
            credential: c
                .register
                .as_ref()
                .map(|r| (r.username.clone(), r.password.expose().to_owned())),
            registrar: c.register.as_ref().and_then(|r| r.registrar.clone()),
            register_expires: c.register.as_ref().map_or(3600, |r| r.expires_secs),
            options_interval: (c.options_interval_secs > 0)
                .then(|| Duration::from_secs(c.options_interval_secs)),
            max_calls: c.max_calls,
            rtp_port_start: c.rtp_port_start,
            media_address: c.media_address.unwrap_or(c.bind.ip()),
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            max_call: Duration::from_secs(c.max_call_secs),
            answer_after: Duration::from_millis(c.answer_after_ms),
        }
    }

    /// Where requests go: the outbound proxy, else the carrier.
    fn next_hop(&self) -> SocketAddr {
        self.outbound_proxy.unwrap_or(self.peer)
    }

    fn credential(&self) -> Option<Credential> {
        self.credential.as_ref().map(|(user, password)| Credential {
            username: user.clone(),
            password: password.clone(),
            realm: None,
            auth_username: None,
        })
    }
}

/// What the calls of one trunk share.
struct Shared {
    settings: TrunkSettings,
    dialogs: Arc<DialogLayer>,
    ports: Arc<PortPool>,
    slots: Arc<Semaphore>,
    health: keepalive::HealthCell,
    local: SocketAddr,
}

/// A running trunk. Cloneable; the trunk stops on [`Trunk::shutdown`].
#[derive(Clone)]
pub struct Trunk {
    shared: Arc<Shared>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Trunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trunk")
            .field("name", &self.shared.settings.name)
            .field("local", &self.shared.local)
            .finish()
    }
}

impl Trunk {
    /// Bind the SIP socket, start the endpoint, the request loop and the
    /// keepalives. New calls arrive on the returned receiver.
    pub async fn start(settings: TrunkSettings) -> Result<(Trunk, mpsc::Receiver<IncomingCall>), TrunkError> {
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.clone());
        let udp = UdpConnection::create_connection(settings.bind, None, Some(cancel.child_token()))
            .await
            .map_err(|source| TrunkError::Bind {
                addr: settings.bind,
                source: Box::new(source),
            })?;
        let local = udp.get_addr().get_socketaddr().unwrap_or(settings.bind);
        transport.add_transport(udp.into());
        let endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transport)
            .with_user_agent("mHero gateway")
            .build();
        let incoming = endpoint.incoming_transactions()?;
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let ports = PortPool::for_concurrency(
            settings.media_address,
            settings.rtp_port_start,
            settings.max_calls,
        )?;
        let shared = Arc::new(Shared {
            slots: Arc::new(Semaphore::new(settings.max_calls as usize)),
            settings,
            dialogs,
            ports,
            health: keepalive::HealthCell::default(),
            local,
        });
        let stop = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = endpoint.serve() => {}
                _ = stop.cancelled() => {}
            }
            endpoint.shutdown();
        });
        let (calls_tx, calls_rx) = mpsc::channel(INCOMING_QUEUE);
        tokio::spawn(request_loop(
            Arc::clone(&shared),
            incoming,
            calls_tx,
            cancel.clone(),
        ));
        keepalive::spawn(Arc::clone(&shared), cancel.clone());
        tracing::info!(trunk = %shared.settings.name, %local, peer = %shared.settings.peer, "SIP trunk up");
        Ok((Trunk { shared, cancel }, calls_rx))
    }

    pub fn name(&self) -> &str {
        &self.shared.settings.name
    }

    /// Our SIP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local
    }

    /// Calls up now, both directions.
    pub fn active_calls(&self) -> u32 {
        self.shared.settings.max_calls - self.shared.slots.available_permits() as u32
    }

    pub fn max_calls(&self) -> u32 {
        self.shared.settings.max_calls
    }

    pub fn health(&self) -> TrunkHealth {
        self.shared.health.get()
    }

    /// Call `number`; ringing stops after `ring_timeout` with a CANCEL.
    pub async fn place_call(
        &self,
        number: &str,
        ring_timeout: Duration,
    ) -> Result<ActiveCall, OutboundFailure> {
        outbound::place_call(&self.shared, number, ring_timeout).await
    }

    pub fn shutdown(&self) {
        self.cancel.cancel();
    }

    pub fn is_shut_down(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Cancelled when the trunk shuts down (cancelling it stops nothing).
    pub fn shut_down_token(&self) -> CancellationToken {
        self.cancel.child_token()
    }
}

/// Sort every request the endpoint hands us.
async fn request_loop(
    shared: Arc<Shared>,
    mut incoming: TransactionReceiver,
    calls: mpsc::Sender<IncomingCall>,
    cancel: CancellationToken,
) {
    loop {
        let mut tx = tokio::select! {
            tx = incoming.recv() => match tx { Some(tx) => tx, None => break },
            _ = cancel.cancelled() => break,
        };
        if let Some(rsipstack::dialog::dialog::Dialog::Invite(mut dialog)) = shared.dialogs.match_dialog(&tx)
        {
            tokio::spawn(async move {
                if let Err(err) = dialog.handle(&mut tx).await {
                    tracing::debug!(%err, "in-dialog request failed");
                }
            });
            continue;
        }
        let reply = match tx.original.method {
            Method::Invite => {
                inbound::offer(&shared, tx, &calls);
                continue;
            }
            Method::Options => StatusCode::OK,
            // A request for a dialog we do not have (ended, or never ours).
            Method::Bye | Method::Info | Method::Update | Method::Cancel => {
                StatusCode::CallTransactionDoesNotExist
            }
            Method::Ack => continue,
            _ => StatusCode::MethodNotAllowed,
        };
        tokio::spawn(async move {
            if let Err(err) = tx.reply(reply).await {
                tracing::debug!(%err, "reply failed");
            }
        });
    }
    tracing::info!(trunk = %shared.settings.name, "SIP trunk stopped");
}
