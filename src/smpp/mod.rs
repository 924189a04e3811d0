//! SMPP carrier links (ESME side): PDUs, GSM 03.38 / UCS-2 / UDH encodings,
//! one task per bind, delivery receipts. Knows `core`, never flows or SQL.
//!
//! Layers, inner to outer: [`codec`] (frames ⇄ our PDU types, over
//! `rusmpp`), [`encoding`] (text ⇄ segments), [`receipt`] and [`tracker`]
//! (receipts and their roll-up), [`bind`] (one task per TCP bind), [`link`]
//! (one carrier account as a `core::Link`).
//!
//! Wiring: `SmppLink::start(name, SmppConfig, events, CancellationToken)`.
//! `send` returns `Sent { external_id }` where a multi-segment message's id
//! is its normalised carrier ids joined by `,`; its receipts are rolled up
//! into one `LinkEvent::Report` carrying that same joined id. A receipt that
//! no send explains within `timeouts.receipt_hold_ms` (after a restart, say)
//! is reported under its bare, normalised segment id. MO messages are
//! answered to the carrier only when the `ack` of their `LinkEvent::Inbound`
//! says they are persisted (an error answers ESME_RX_T_APPN, so the carrier
//! redelivers).

pub mod bind;
pub mod codec;
pub mod command_status;
pub mod config;
pub mod encoding;
pub mod link;
pub mod receipt;
pub mod secret;
pub mod tracker;

pub use config::SmppConfig;
pub use link::SmppLink;
