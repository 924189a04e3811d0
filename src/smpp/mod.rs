//! SMPP carrier links (ESME side): PDUs, GSM 03.38 / UCS-2 / UDH encodings,
//! one task per bind, delivery receipts. Knows `core`, never flows or SQL.

pub mod codec;
pub mod command_status;
pub mod encoding;
pub mod secret;
