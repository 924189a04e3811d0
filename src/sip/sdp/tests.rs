//! Round trips, real-world offers, malformed input and offer/answer.

use super::answer::{accept_answer, answer, offer, LocalMedia, NegotiationError};
use super::*;
use crate::sip::media::codec::Codec;

/// SIPp's `uac_pcap` offer shape, plus lines we do not interpret.
const SIPP_OFFER: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-11,16\r\n";

/// A carrier offer: video first, media-level c=, odd order, bandwidth, unknown attributes, bare LF.
const CARRIER_OFFER: &str = "v=0\n\
o=- 1 2 IN IP4 198.51.100.7\n\
s=call\n\
i=info line\n\
b=AS:84\n\
t=0 0\n\
a=group:BUNDLE 0\n\
m=video 7000 RTP/AVP 96\n\
a=rtpmap:96 H264/90000\n\
m=audio 40000 RTP/AVP 18 0 8 96\n\
c=IN IP4 198.51.100.8\n\
b=TIAS:64000\n\
a=rtpmap:18 G729/8000\n\
a=rtpmap:96 telephone-event/8000\n\
a=fmtp:96 0-16\n\
a=ptime:30\n\
a=maxptime:150\n\
a=sendonly\n\
a=x-unknown\n";

fn local() -> LocalMedia {
    LocalMedia {
        address: "127.0.0.1".parse().unwrap(),
        port: 20000,
        session_id: 42,
        session_version: 1,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
    }
}

fn round_trip(text: &str) -> SessionDescription {
    let parsed = SessionDescription::parse(text).unwrap();
    let written = parsed.to_string();
    let again = SessionDescription::parse(&written).unwrap();
    assert_eq!(again, parsed, "written:\n{written}");
    assert_eq!(again.to_string(), written);
    parsed
}

#[test]
fn sipp_offer_round_trips_and_reads_its_fields() {
    let sdp = round_trip(SIPP_OFFER);
    assert_eq!(sdp.origin.session_id, 53655765);
    assert_eq!(
        sdp.connection.as_ref().and_then(Connection::ip),
        Some("127.0.0.1".parse().unwrap())
    );
    let audio = &sdp.media[0];
    assert_eq!(audio.port, 6000);
    assert_eq!(audio.payload_types().collect::<Vec<_>>(), vec![8, 101]);
    assert_eq!(
        audio.rtpmap(101).map(|m| m.encoding),
        Some("telephone-event".to_owned())
    );
    assert_eq!(audio.fmtp(101), Some("0-11,16"));
    assert_eq!(audio.ptime_ms(), None);
}

#[test]
fn carrier_offer_round_trips_keeping_unknown_lines() {
    let sdp = round_trip(CARRIER_OFFER);
    assert_eq!(sdp.other.len(), 2);
    assert_eq!(sdp.media.len(), 2);
    let audio = &sdp.media[1];
    assert_eq!(
        audio.other,
        vec![OtherLine {
            kind: 'b',
            value: "TIAS:64000".to_owned()
        }]
    );
    assert_eq!(audio.direction(), Some(Direction::SendOnly));
    assert_eq!(audio.ptime_ms(), Some(30));
    assert!(audio.attributes.iter().any(|a| a.name == "x-unknown"));
}

#[test]
fn our_offer_round_trips() {
    let sdp = offer(&local());
    let parsed = round_trip(&sdp.to_string());
    assert_eq!(parsed, sdp);
    assert_eq!(parsed.media[0].formats, vec!["0", "8", "101"]);
}

#[test]
fn answer_takes_the_offerers_first_g711_and_its_telephone_event() {
    let offer = SessionDescription::parse(CARRIER_OFFER).unwrap();
    let (sdp, negotiated) = answer(&offer, &local()).unwrap();
    assert_eq!(negotiated.codec, Codec::Pcmu);
    assert_eq!(negotiated.payload_type, 0);
    assert_eq!(negotiated.telephone_event, Some(96));
    assert_eq!(negotiated.ptime_ms, 30);
    assert_eq!(negotiated.direction, Direction::RecvOnly);
    assert_eq!(negotiated.remote, Some("198.51.100.8:40000".parse().unwrap()));
    // Same number of sections; video declined with port 0.
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(sdp.media[0].port, 0);
    assert_eq!(sdp.media[1].formats, vec!["0", "96"]);
    assert_eq!(sdp.media[1].direction(), Some(Direction::RecvOnly));
    round_trip(&sdp.to_string());
}

#[test]
fn our_answer_is_accepted_by_our_own_offer_reader() {
    let offer = SessionDescription::parse(SIPP_OFFER).unwrap();
    let (sdp, negotiated) = answer(&offer, &local()).unwrap();
    assert_eq!(negotiated.codec, Codec::Pcma);
    let back = accept_answer(&sdp, &local()).unwrap();
    assert_eq!(back.codec, Codec::Pcma);
    assert_eq!(back.telephone_event, Some(101));
    assert_eq!(back.remote, Some("127.0.0.1:20000".parse().unwrap()));
}

#[test]
fn hold_offers_give_no_remote_and_inactive() {
    let held = SIPP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0") + "a=inactive\r\n";
    let (_, negotiated) = answer(&SessionDescription::parse(&held).unwrap(), &local()).unwrap();
    assert_eq!(negotiated.remote, None);
    assert_eq!(negotiated.direction, Direction::Inactive);
}

#[test]
fn offers_without_g711_are_refused() {
    let g729 = SIPP_OFFER
        .replace("RTP/AVP 8 101", "RTP/AVP 18 101")
        .replace("8 PCMA", "18 G729");
    let err = answer(&SessionDescription::parse(&g729).unwrap(), &local()).unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCodec);
    let srtp = SIPP_OFFER.replace("RTP/AVP", "RTP/SAVP");
    let err = answer(&SessionDescription::parse(&srtp).unwrap(), &local()).unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCodec);
    let only_pcmu = LocalMedia {
        codecs: vec![Codec::Pcmu],
        ..local()
    };
    let err = answer(&SessionDescription::parse(SIPP_OFFER).unwrap(), &only_pcmu).unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCodec);
}

#[test]
fn offer_without_any_connection_address_is_an_error() {
    let no_c = SIPP_OFFER.replace("c=IN IP4 127.0.0.1\r\n", "");
    let err = answer(&SessionDescription::parse(&no_c).unwrap(), &local()).unwrap_err();
    assert_eq!(err, NegotiationError::NoConnectionAddress(None));
}

#[test]
fn malformed_bodies_name_the_line() {
    let cases: &[(&str, &str)] = &[
        ("m=audio 6000 RTP/AVP 8 101", "m=audio port RTP/AVP 8"),
        ("m=audio 6000 RTP/AVP 8 101", "m=audio 6000 RTP/AVP"),
        ("c=IN IP4 127.0.0.1", "c=IN IP4"),
        (
            "o=user1 53655765 2353687637 IN IP4 127.0.0.1",
            "o=user1 x 1 IN IP4 h",
        ),
        ("a=rtpmap:8 PCMA/8000", "a=rtpmap:8 PCMA"),
        ("a=rtpmap:8 PCMA/8000", "a=rtpmap:200 PCMA/8000"),
        ("a=fmtp:101 0-11,16", "a=fmtp:x 0-11"),
        ("t=0 0", "t=zero"),
        ("s=-", "garbage"),
    ];
    for (good, bad) in cases {
        let text = SIPP_OFFER.replace(good, bad);
        match SessionDescription::parse(&text) {
            Err(SdpError::BadLine { text, .. }) => assert_eq!(&text, bad),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(SessionDescription::parse(""), Err(SdpError::MissingVersion));
    assert_eq!(
        SessionDescription::parse("v=1\r\n"),
        Err(SdpError::MissingVersion)
    );
    assert_eq!(
        SessionDescription::parse(&SIPP_OFFER.replace("s=-\r\n", "")),
        Err(SdpError::Missing('s'))
    );
    let huge = format!("{SIPP_OFFER}{}", "a=x\r\n".repeat(MAX_SDP_LEN / 5));
    assert_eq!(
        SessionDescription::parse(&huge),
        Err(SdpError::TooLong(huge.len()))
    );
    let many = format!(
        "{SIPP_OFFER}{}",
        "m=audio 1 RTP/AVP 0\r\n".repeat(MAX_MEDIA_SECTIONS)
    );
    assert_eq!(SessionDescription::parse(&many), Err(SdpError::TooManyMedia));
}
