//! Any audio (as G.711 µ-law bytes) through the in-band detector: no panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::sip::media::codec::Codec;
use mhero::sip::media::dtmf_detector::DtmfDetector;

fuzz_target!(|data: &[u8]| {
    let mut pcm = Vec::with_capacity(data.len());
    Codec::Pcmu.decode_into(data, &mut pcm);
    let mut detector = DtmfDetector::new();
    for chunk in pcm.chunks(160) {
        detector.push(chunk);
    }
});
