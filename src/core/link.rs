//! The seam every link kind implements (simulator, SMPP bind group, SIP
//! trunk). A link only puts messages on the wire and reports what came back;
//! persistence, routing, rate limits and retries belong to `dispatch`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::msg::str_enum;
use super::time::Millis;
use super::{OutMsg, Urn};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Simulator,
    Smpp,
    Sip,
}
str_enum!(LinkKind { Simulator => "simulator", Smpp => "smpp", Sip => "sip" });

/// What happened to one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The link (or the carrier behind it) accepted the message.
    Sent { external_id: Option<String> },
    /// A temporary failure: retry later with backoff.
    Retry { reason: String },
    /// A permanent failure: the message is failed with this reason.
    Failed { reason: String },
}

/// What a link knows about a message that was handed to it before a crash
/// and never acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// It did go out.
    Sent { external_id: Option<String> },
    /// It provably did not go out: safe to send again.
    NotSent,
    /// The link cannot tell (a carrier that was never heard from).
    Unknown,
}

/// A handset-level status reported by the carrier after the send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    Delivered,
    Failed { reason: String },
}

/// One part of a concatenated message from a handset, as the carrier sent
/// it. The gateway persists each part before the link answers the carrier
/// and joins them (with the link kind's own decoding) once all are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoPart {
    /// Ties the parts of one message together (with the sender and `total`).
    pub reference: u16,
    pub total: u8,
    /// 1-based.
    pub seq: u8,
    /// How `payload` is coded (SMPP `data_coding`).
    pub data_coding: u8,
    /// The part's text in its coding, header removed (see the link kind's
    /// `join`).
    pub payload: Vec<u8>,
    pub received_on: Millis,
    /// When to stop waiting for the other parts (the link's setting).
    pub expires_on: Millis,
}

/// Something a link heard from the outside world.
#[derive(Debug)]
pub enum LinkEvent {
    /// A message from a handset. `ack`, when present, is answered once the
    /// message is persisted, so carriers are acknowledged only then.
    Inbound {
        link: String,
        from: Urn,
        text: String,
        external_id: Option<String>,
        received_on: Millis,
        ack: Option<oneshot::Sender<Result<(), String>>>,
    },
    /// One part of a concatenated message from a handset. `ack`, when
    /// present, is answered once the part is persisted (and, for the part
    /// that completes the message, once the whole message is).
    InboundPart {
        link: String,
        from: Urn,
        part: MoPart,
        ack: Option<oneshot::Sender<Result<(), String>>>,
    },
    /// A delivery receipt for a message sent earlier with `external_id`.
    Report {
        link: String,
        external_id: String,
        report: DeliveryReport,
    },
}

#[async_trait]
pub trait Link: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn kind(&self) -> LinkKind;
    /// Whether the link can take messages now (bound, registered, enabled).
    fn healthy(&self) -> bool;
    /// How many sends may be in flight at once (the SMPP window, say).
    fn max_in_flight(&self) -> usize {
        1
    }
    async fn send(&self, msg: &OutMsg) -> SendOutcome;
    /// Called at start for messages this node had handed over but never saw
    /// acknowledged.
    async fn reconcile(&self, msg: &OutMsg) -> Reconciled;
    /// Kind-specific state for the API (window in use, last error, ...).
    fn details(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}
