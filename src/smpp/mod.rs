//! SMPP carrier links (ESME side): PDUs, GSM 03.38 / UCS-2 / UDH encodings,
//! one task per bind, delivery receipts. Knows `core`, never flows or SQL.
//!
//! Layers, inner to outer: [`codec`] (frames ⇄ our PDU types, over
//! `rusmpp`), [`encoding`] (text ⇄ segments), [`receipt`] and [`tracker`]
//! (receipts and their roll-up), [`bind`] (one task per TCP bind), [`link`]
//! (one carrier account as a `core::Link`).

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
