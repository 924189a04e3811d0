//! Any text as an SDP body: parsing never panics, what parses round-trips through
//! our writer, and answering it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::sip::media::codec::Codec;
use mhero::sip::sdp::answer::{answer, LocalMedia};
use mhero::sip::sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(sdp) = SessionDescription::parse(text) else { return };
    let written = sdp.to_string();
    let again = SessionDescription::parse(&written).expect("our own output parses");
    assert_eq!(again, sdp);
    let local = LocalMedia {
        address: [127, 0, 0, 1].into(),
        port: 20000,
        session_id: 1,
        session_version: 1,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
    };
    let _ = answer(&sdp, &local);
});
