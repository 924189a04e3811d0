//! One carrier account's settings, as the `[[links]] kind = "smpp"` table
//! of the TOML file (the lead flattens it in). Every limit has a default
//! with its reason.

use std::time::Duration;

use serde::Deserialize;

use super::codec::{BindKind, Version};
use super::encoding::EncodeOptions;
use super::receipt::IdNormalisation;
use super::secret::Secret;

/// Outstanding submit_sm per bind: what Sinch and most carriers recommend.
pub const DEFAULT_WINDOW: usize = 10;
/// Carriers drop idle binds after 30–60 s; 30 s keeps us well inside.
const DEFAULT_ENQUIRE_LINK_MS: u64 = 30_000;
/// An enquire_link unanswered this long means the TCP session is dead.
const DEFAULT_ENQUIRE_LINK_TIMEOUT_MS: u64 = 10_000;
/// A submit_sm unanswered this long is requeued (Kannel waits 60 s, rusmppc 5 s).
const DEFAULT_RESPONSE_TIMEOUT_MS: u64 = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_BIND_TIMEOUT_MS: u64 = 10_000;
/// First reconnect delay; doubles per failure with jitter.
const DEFAULT_RECONNECT_MIN_MS: u64 = 1_000;
/// Reconnect delay cap (go-smpp uses 120 s; a minute loses less traffic).
const DEFAULT_RECONNECT_MAX_MS: u64 = 60_000;
/// Pause after ESME_RTHROTTLED before resending (Kannel and Momentum use 1 s).
const DEFAULT_THROTTLE_PAUSE_MS: u64 = 1_000;
/// Pause after ESME_RMSGQFUL: the carrier's queue needs time to drain.
const DEFAULT_QUEUE_FULL_PAUSE_MS: u64 = 10_000;
/// How long the parts of a concatenated MO (persisted as they come) wait
/// for the rest before what arrived is delivered, marked incomplete: an
/// SMSC delivers a message's parts within seconds, or minutes when it
/// redelivers after a lost bind; five minutes covers that without leaving
/// a health worker's report unseen for long.
const DEFAULT_MO_REASSEMBLY_MS: u64 = 300_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct BindGroup {
    pub kind: BindKind,
    #[serde(default = "one")]
    pub count: usize,
}

fn one() -> usize {
    1
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmppConfig {
    pub host: String,
    pub port: u16,
    pub system_id: String,
    pub password: Secret,
    #[serde(default)]
    pub system_type: String,
    #[serde(default)]
    pub version: Version,
    #[serde(default = "default_binds")]
    pub binds: Vec<BindGroup>,
    #[serde(default)]
    pub address_range: String,
    #[serde(default)]
    pub addr_ton: u8,
    #[serde(default)]
    pub addr_npi: u8,
    /// Sender id on submits (short code, alphanumeric or MSISDN).
    #[serde(default)]
    pub source_addr: String,
    #[serde(default)]
    pub source_ton: u8,
    #[serde(default)]
    pub source_npi: u8,
    /// Destinations are sent as international E.164 digits without '+'.
    #[serde(default = "one_u8")]
    pub dest_ton: u8,
    #[serde(default = "one_u8")]
    pub dest_npi: u8,
    #[serde(default = "default_window")]
    pub window: usize,
    /// Segments per second on each bind (the carrier's per-bind TPS); none = unlimited.
    #[serde(default)]
    pub rate_per_bind: Option<u32>,
    /// Segments per second across all binds (the contract TPS); none = unlimited.
    #[serde(default)]
    pub rate_per_account: Option<u32>,
    #[serde(default)]
    pub encoding: EncodeOptions,
    #[serde(default = "yes")]
    pub registered_delivery: bool,
    #[serde(default)]
    pub dlr_ids: IdNormalisation,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// ISO country for reading national-format MO senders (TON not international).
    #[serde(default)]
    pub country: Option<String>,
}

fn default_binds() -> Vec<BindGroup> {
    vec![BindGroup {
        kind: BindKind::Transceiver,
        count: 1,
    }]
}
fn default_window() -> usize {
    DEFAULT_WINDOW
}
fn one_u8() -> u8 {
    1
}
fn yes() -> bool {
    true
}

/// All in milliseconds in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    pub connect_ms: u64,
    pub bind_ms: u64,
    pub response_ms: u64,
    pub enquire_link_ms: u64,
    pub enquire_link_timeout_ms: u64,
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    pub throttle_pause_ms: u64,
    pub queue_full_pause_ms: u64,
    pub mo_reassembly_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            bind_ms: DEFAULT_BIND_TIMEOUT_MS,
            response_ms: DEFAULT_RESPONSE_TIMEOUT_MS,
            enquire_link_ms: DEFAULT_ENQUIRE_LINK_MS,
            enquire_link_timeout_ms: DEFAULT_ENQUIRE_LINK_TIMEOUT_MS,
            reconnect_min_ms: DEFAULT_RECONNECT_MIN_MS,
            reconnect_max_ms: DEFAULT_RECONNECT_MAX_MS,
            throttle_pause_ms: DEFAULT_THROTTLE_PAUSE_MS,
            queue_full_pause_ms: DEFAULT_QUEUE_FULL_PAUSE_MS,
            mo_reassembly_ms: DEFAULT_MO_REASSEMBLY_MS,
        }
    }
}

impl Timeouts {
    pub fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_table_gets_the_documented_defaults() {
        let c: SmppConfig = toml::from_str(
            r#"host = "127.0.0.1"
port = 2775
system_id = "mhero"
password = "pw""#,
        )
        .unwrap();
        assert_eq!(c.window, DEFAULT_WINDOW);
        assert_eq!(
            c.binds,
            vec![BindGroup {
                kind: BindKind::Transceiver,
                count: 1
            }]
        );
        assert_eq!(c.timeouts, Timeouts::default());
        assert!(c.registered_delivery);
        assert!(!format!("{c:?}").contains("\"pw\""));
    }

    #[test]
    fn every_option_can_be_set() {
        let c: SmppConfig = toml::from_str(
            r#"host = "smsc.example"
port = 2776
system_id = "mhero"
password = "pw"
system_type = "VMA"
version = "5.0"
binds = [{ kind = "transmitter", count = 2 }, { kind = "receiver" }]
window = 50
rate_per_bind = 10
rate_per_account = 30
source_addr = "MOH"
source_ton = 5
encoding = { packing = "packed", concatenation = "sar" }
dlr_ids = { submit_id = "hex", receipt_id = "decimal" }
timeouts = { response_ms = 5000, reconnect_min_ms = 100 }"#,
        )
        .unwrap();
        assert_eq!(c.version, Version::V50);
        assert_eq!(
            c.binds[0],
            BindGroup {
                kind: BindKind::Transmitter,
                count: 2
            }
        );
        assert_eq!(c.binds[1].count, 1);
        assert_eq!((c.rate_per_bind, c.rate_per_account), (Some(10), Some(30)));
        assert_eq!(c.timeouts.response_ms, 5000);
        assert_eq!(c.timeouts.enquire_link_ms, DEFAULT_ENQUIRE_LINK_MS);
        assert_eq!(c.dlr_ids.submit("ff"), c.dlr_ids.receipt("255"));
    }
}
