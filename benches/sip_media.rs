//! Per-frame cost of the media path (run with `cargo bench --bench sip_media`):
//! G.711 both ways, RTP header decode, µ-law decode + in-band DTMF detection of a
//! 20 ms frame (ivr.md's anchor: 0.7 µs), and SDP parse + answer of a carrier offer.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mhero::sip::media::codec::Codec;
use mhero::sip::media::dtmf_detector::DtmfDetector;
use mhero::sip::media::rtp::RtpPacket;
use mhero::sip::sdp::answer::{answer, LocalMedia};
use mhero::sip::sdp::SessionDescription;

/// One 20 ms frame at 8 kHz.
const FRAME: usize = 160;

const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
m=audio 40000 RTP/AVP 18 0 8 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";

fn speechlike() -> Vec<i16> {
    (0..FRAME)
        .map(|n| ((n as f32 * 0.37).sin() * 6000.0 + (n as f32 * 1.9).sin() * 2000.0) as i16)
        .collect()
}

fn media(c: &mut Criterion) {
    let pcm = speechlike();
    let mut ulaw = Vec::with_capacity(FRAME);
    Codec::Pcmu.encode_into(&pcm, &mut ulaw);

    c.bench_function("pcmu_encode_20ms", |b| {
        let mut out = Vec::with_capacity(FRAME);
        b.iter(|| {
            out.clear();
            Codec::Pcmu.encode_into(black_box(&pcm), &mut out);
        })
    });
    c.bench_function("pcma_decode_20ms", |b| {
        let mut out = Vec::with_capacity(FRAME);
        b.iter(|| {
            out.clear();
            Codec::Pcma.decode_into(black_box(&ulaw), &mut out);
        })
    });

    let mut wire = Vec::new();
    RtpPacket::new(0, 1, 2, 3, &ulaw)
        .encode_into(&mut wire)
        .unwrap_or_default();
    c.bench_function("rtp_decode", |b| {
        b.iter(|| RtpPacket::decode(black_box(&wire)).is_ok())
    });

    c.bench_function("dtmf_detect_20ms_with_ulaw_decode", |b| {
        let mut detector = DtmfDetector::new();
        let mut samples = Vec::with_capacity(FRAME);
        b.iter(|| {
            samples.clear();
            Codec::Pcmu.decode_into(black_box(&ulaw), &mut samples);
            detector.push(&samples)
        })
    });

    let local = LocalMedia {
        address: [127, 0, 0, 1].into(),
        port: 20000,
        session_id: 1,
        session_version: 1,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
    };
    c.bench_function("sdp_parse_and_answer", |b| {
        b.iter(|| {
            SessionDescription::parse(black_box(OFFER))
                .ok()
                .map(|offer| answer(&offer, &local).is_ok())
        })
    });
}

criterion_group!(benches, media);
criterion_main!(benches);
