//! Any datagram: decoding never panics, and what decodes re-encodes to the same bytes
//! (padding content aside, which we always write as zeros).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::sip::media::rtp::RtpPacket;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = RtpPacket::decode(data) {
        let mut wire = Vec::new();
        packet.encode_into(&mut wire).expect("a decoded packet is encodable");
        let again = RtpPacket::decode(&wire).expect("our own encoding decodes");
        assert_eq!(again, packet);
        if packet.padding == 0 {
            assert_eq!(wire, data);
        }
    }
});
