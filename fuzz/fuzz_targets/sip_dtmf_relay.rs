//! Any SIP INFO body under both DTMF content types: no panics, and a key found
//! is found again from the canonical body we would write for it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::sip::dtmf_relay::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    for content_type in ["application/dtmf-relay", "application/dtmf"] {
        if let Ok(info) = parse(content_type, body) {
            let canonical = format!("Signal={}\r\n", info.digit);
            assert_eq!(parse("application/dtmf-relay", &canonical).map(|i| i.digit), Ok(info.digit));
        }
    }
});
