//! Audio offer/answer (RFC 3264) for the IVR: pick G.711 and telephone-event
//! from a carrier's offer and write our answer, or write our own offer and read
//! the carrier's answer. Knows nothing of sockets or SIP dialogs.

use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

use super::{Attribute, Connection, Direction, Media, Origin, RtpMap, SessionDescription};
use crate::sip::media::codec::Codec;
use crate::sip::media::SAMPLE_RATE;

/// The payload type we offer for telephone-event (the common choice; any dynamic one is accepted).
pub const OFFERED_TELEPHONE_EVENT_PT: u8 = 101;
/// Packet time when the peer states none (RFC 3551's default for G.711).
pub const DEFAULT_PTIME_MS: u32 = 20;
/// Keypad events 0–15 are all the IVR listens for.
const TELEPHONE_EVENTS: &str = "0-15";
/// Plain RTP; we do not do SRTP, so RTP/SAVP sections are declined.
const RTP_AVP: &str = "RTP/AVP";

/// Why no call media could be agreed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NegotiationError {
    #[error("the offer has no audio RTP/AVP section with PCMU or PCMA")]
    NoCommonCodec,
    #[error("the answer chose no codec we offered")]
    AnswerChoseNothing,
    #[error("no usable connection address for the audio section ({0:?})")]
    NoConnectionAddress(Option<String>),
}

/// Our side of the media: where we listen and what we accept, in preference order.
#[derive(Debug, Clone)]
pub struct LocalMedia {
    pub address: IpAddr,
    pub port: u16,
    pub session_id: u64,
    pub session_version: u64,
    pub codecs: Vec<Codec>,
}

/// The media both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub codec: Codec,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    /// Where the peer wants RTP; `None` while it is on hold (`0.0.0.0` or port 0).
    pub remote: Option<SocketAddr>,
    pub ptime_ms: u32,
    /// Our direction.
    pub direction: Direction,
}

fn origin(local: &LocalMedia) -> Origin {
    Origin {
        username: "mhero".to_owned(),
        session_id: local.session_id,
        session_version: local.session_version,
        addr_type: super::AddrType::of(local.address),
        address: local.address.to_string(),
    }
}

fn session(local: &LocalMedia, media: Vec<Media>) -> SessionDescription {
    SessionDescription {
        origin: origin(local),
        session_name: "mhero".to_owned(),
        connection: Some(Connection::for_ip(local.address)),
        timing: (0, 0),
        other: Vec::new(),
        attributes: Vec::new(),
        media,
    }
}

fn audio_section(
    port: u16,
    codecs: &[(Codec, u8)],
    telephone_event: Option<u8>,
    ptime: u32,
    dir: Direction,
) -> Media {
    let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    let mut attributes: Vec<Attribute> = codecs
        .iter()
        .map(|&(codec, pt)| {
            let map = RtpMap {
                payload_type: pt,
                encoding: codec.encoding_name().to_owned(),
                clock_rate: SAMPLE_RATE,
                channels: None,
            };
            Attribute::new("rtpmap", Some(map.to_value()))
        })
        .collect();
    if let Some(pt) = telephone_event {
        formats.push(pt.to_string());
        let map = RtpMap {
            payload_type: pt,
            encoding: "telephone-event".to_owned(),
            clock_rate: SAMPLE_RATE,
            channels: None,
        };
        attributes.push(Attribute::new("rtpmap", Some(map.to_value())));
        attributes.push(Attribute::new("fmtp", Some(format!("{pt} {TELEPHONE_EVENTS}"))));
    }
    attributes.push(Attribute::new("ptime", Some(ptime.to_string())));
    attributes.push(Attribute::new(dir.as_str(), None));
    Media {
        kind: "audio".to_owned(),
        port,
        port_count: None,
        protocol: RTP_AVP.to_owned(),
        formats,
        connection: None,
        other: Vec::new(),
        attributes,
    }
}

/// Our offer for an outbound call: every local codec, telephone-event, 20 ms, sendrecv.
pub fn offer(local: &LocalMedia) -> SessionDescription {
    let codecs: Vec<(Codec, u8)> = local
        .codecs
        .iter()
        .map(|&c| (c, c.static_payload_type()))
        .collect();
    let audio = audio_section(
        local.port,
        &codecs,
        Some(OFFERED_TELEPHONE_EVENT_PT),
        DEFAULT_PTIME_MS,
        Direction::SendRecv,
    );
    session(local, vec![audio])
}

/// What a payload type in `media` is, if it is a codec we accept.
fn codec_of(media: &Media, pt: u8, accepted: &[Codec]) -> Option<Codec> {
    let codec = match media.rtpmap(pt) {
        Some(map) if map.clock_rate == SAMPLE_RATE && map.channels.unwrap_or(1) == 1 => {
            Codec::from_encoding_name(&map.encoding)
        }
        Some(_) => None,
        None => Codec::from_static_payload_type(pt),
    };
    codec.filter(|c| accepted.contains(c))
}

fn telephone_event_of(media: &Media) -> Option<u8> {
    media
        .rtpmaps()
        .into_iter()
        .find(|m| m.encoding.eq_ignore_ascii_case("telephone-event") && m.clock_rate == SAMPLE_RATE)
        .map(|m| m.payload_type)
        .filter(|pt| media.payload_types().any(|f| f == *pt))
}

fn remote_of(sdp: &SessionDescription, media: &Media) -> Result<Option<SocketAddr>, NegotiationError> {
    let connection = media.connection.as_ref().or(sdp.connection.as_ref());
    let ip = connection
        .and_then(Connection::ip)
        .ok_or_else(|| NegotiationError::NoConnectionAddress(connection.map(|c| c.address.clone())))?;
    if ip.is_unspecified() || media.port == 0 {
        return Ok(None);
    }
    Ok(Some(SocketAddr::new(ip, media.port)))
}

fn is_usable_audio(media: &Media) -> bool {
    media.kind == "audio" && media.protocol == RTP_AVP && media.port != 0
}

/// Answer an inbound offer: the first offered codec we accept (the offerer's
/// preference wins), telephone-event if offered, the offer's ptime, the
/// mirrored direction. Other sections are declined with port 0, as RFC 3264 requires.
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, Negotiated), NegotiationError> {
    let mut chosen = None;
    let mut sections = Vec::with_capacity(offer.media.len());
    for media in &offer.media {
        if chosen.is_none() && is_usable_audio(media) {
            let codec = media
                .payload_types()
                .find_map(|pt| codec_of(media, pt, &local.codecs).map(|c| (c, pt)));
            if let Some((codec, pt)) = codec {
                let telephone_event = telephone_event_of(media);
                let ptime_ms = media.ptime_ms().unwrap_or(DEFAULT_PTIME_MS);
                let offered = media
                    .direction()
                    .or(offer.direction())
                    .unwrap_or(Direction::SendRecv);
                let direction = offered.answer();
                let remote = remote_of(offer, media)?;
                sections.push(audio_section(
                    local.port,
                    &[(codec, pt)],
                    telephone_event,
                    ptime_ms,
                    direction,
                ));
                chosen = Some(Negotiated {
                    codec,
                    payload_type: pt,
                    telephone_event,
                    remote,
                    ptime_ms,
                    direction,
                });
                continue;
            }
        }
        let first = media.formats.first().cloned().unwrap_or_else(|| "0".to_owned());
        sections.push(Media {
            kind: media.kind.clone(),
            port: 0,
            port_count: None,
            protocol: media.protocol.clone(),
            formats: vec![first],
            connection: None,
            other: Vec::new(),
            attributes: Vec::new(),
        });
    }
    let negotiated = chosen.ok_or(NegotiationError::NoCommonCodec)?;
    Ok((session(local, sections), negotiated))
}

/// Read the carrier's answer to our [`offer`].
pub fn accept_answer(
    answer: &SessionDescription,
    local: &LocalMedia,
) -> Result<Negotiated, NegotiationError> {
    let media = answer
        .media
        .iter()
        .find(|m| is_usable_audio(m))
        .ok_or(NegotiationError::AnswerChoseNothing)?;
    let (codec, payload_type) = media
        .payload_types()
        .find_map(|pt| codec_of(media, pt, &local.codecs).map(|c| (c, pt)))
        .ok_or(NegotiationError::AnswerChoseNothing)?;
    let theirs = media
        .direction()
        .or(answer.direction())
        .unwrap_or(Direction::SendRecv);
    Ok(Negotiated {
        codec,
        payload_type,
        telephone_event: telephone_event_of(media),
        remote: remote_of(answer, media)?,
        ptime_ms: media.ptime_ms().unwrap_or(DEFAULT_PTIME_MS),
        direction: theirs.answer(),
    })
}
