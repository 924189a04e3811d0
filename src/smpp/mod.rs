//! SMPP carrier links (ESME side): PDUs, GSM 03.38 / UCS-2 / UDH encodings,
//! one task per bind, delivery receipts. Knows `core`, never flows or SQL.
//!
//! Layers, inner to outer: [`codec`] (frames ⇄ our PDU types, over
//! `rusmpp`), [`encoding`] (text ⇄ segments), [`receipt`] (receipts and
//! carrier id normalisation), [`partial`] (segments a carrier already took),
//! [`bind`] (one task per TCP bind), [`link`] (one carrier account as a
//! `core::Link`).
//!
//! Wiring: `SmppLink::start(name, SmppConfig, events, CancellationToken)`.
//! `send` returns `Sent { external_id }` where a multi-segment message's id
//! is its normalised carrier ids joined by `,`. When the carrier accepts
//! some segments and refuses others temporarily, the send is a `Retry` and
//! the retry sends only the missing segments under the same concatenation
//! reference. Every final receipt becomes one `LinkEvent::Report` under its
//! normalised segment id; the store finds the message by that id (the whole
//! `external_id` of a one-segment message, or a row of `msg_segments`) and
//! settles a multi-segment message once every segment has reported, so a
//! restart between receipts loses nothing. MO messages are answered to the
//! carrier only when the `ack` of their `LinkEvent::Inbound` says they are
//! persisted (an error answers ESME_RX_T_APPN, so the carrier redelivers).
//! Each part of a concatenated MO becomes a `LinkEvent::InboundPart` (its
//! payload still coded, header removed) and is answered once the gateway
//! has persisted it, so a crash between parts loses nothing; the gateway
//! joins the stored parts with [`encoding::reassembly::join`] when the last
//! one is in, and gives up waiting after `timeouts.mo_reassembly_ms`.

pub mod bind;
pub mod codec;
pub mod command_status;
pub mod config;
pub mod encoding;
pub mod link;
pub mod partial;
pub mod receipt;
pub mod secret;

pub use config::SmppConfig;
pub use link::SmppLink;
