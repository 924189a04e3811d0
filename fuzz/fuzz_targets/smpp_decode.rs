//! Fuzzes our whole inbound SMPP decoding path: framing, PDU decoding into
//! our types, receipt parsing, GSM/UCS-2/UDH decoding and reassembly, plus
//! the encode → decode round trip of every PDU that decodes.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/smpp_support/decode_check.rs"]
mod decode_check;

fuzz_target!(|data: &[u8]| {
    decode_check::check(data);
});
