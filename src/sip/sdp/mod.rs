//! SDP (RFC 8866) as the audio-only IVR needs it: parse and write session
//! descriptions, keeping lines and attributes we do not interpret, and refusing
//! malformed input with the line that was wrong. Offer/answer lives in
//! [`answer`]. Knows nothing of sockets, SIP or RTP sessions.

pub mod answer;
mod parse;
mod write;

use std::fmt::Write as _;
use std::net::IpAddr;

use thiserror::Error;

/// Bodies larger than this are not audio offers: refuse before parsing (SIP over UDP
/// cannot carry more than 64 KiB anyway).
pub const MAX_SDP_LEN: usize = 64 * 1024;
/// More media sections than this is not a telephone call.
pub const MAX_MEDIA_SECTIONS: usize = 16;

/// Why an SDP body was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SdpError {
    #[error("SDP body of {0} bytes exceeds the {MAX_SDP_LEN}-byte limit")]
    TooLong(usize),
    #[error("SDP has more than {MAX_MEDIA_SECTIONS} media sections")]
    TooManyMedia,
    #[error("SDP must start with v=0")]
    MissingVersion,
    #[error("SDP lacks the mandatory {0}= line")]
    Missing(char),
    #[error("SDP line {line}: {reason}: {text:?}")]
    BadLine {
        line: usize,
        reason: &'static str,
        text: String,
    },
}

/// `IN IP4` or `IN IP6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrType {
    Ip4,
    Ip6,
}

impl AddrType {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "IP4" => Some(AddrType::Ip4),
            "IP6" => Some(AddrType::Ip6),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            AddrType::Ip4 => "IP4",
            AddrType::Ip6 => "IP6",
        }
    }

    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => AddrType::Ip4,
            IpAddr::V6(_) => AddrType::Ip6,
        }
    }
}

/// `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: u64,
    pub session_version: u64,
    pub addr_type: AddrType,
    pub address: String,
}

/// `c=` line. The address is kept as text: it may be a name or carry a multicast TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub addr_type: AddrType,
    pub address: String,
}

impl Connection {
    pub fn for_ip(ip: IpAddr) -> Self {
        Connection {
            addr_type: AddrType::of(ip),
            address: ip.to_string(),
        }
    }

    /// The unicast IP, if the address is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }
}

/// `a=name` or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

impl Attribute {
    pub fn new(name: &str, value: Option<String>) -> Self {
        Attribute {
            name: name.to_owned(),
            value,
        }
    }
}

/// Any other line (`i=`, `u=`, `b=`, `k=`, …), kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherLine {
    pub kind: char,
    pub value: String,
}

/// Stream direction attribute (RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn from_attribute(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// What the answerer says to an offer of `self` (RFC 3264 §6.1).
    pub fn answer(self) -> Self {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u8>,
}

impl RtpMap {
    fn parse(value: &str) -> Option<Self> {
        let (pt, rest) = value.split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?.to_owned();
        let clock_rate = parts.next()?.parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.parse().ok()?),
            None => None,
        };
        if encoding.is_empty() || parts.next().is_some() {
            return None;
        }
        Some(RtpMap {
            payload_type: parse_payload_type(pt)?,
            encoding,
            clock_rate,
            channels,
        })
    }

    pub fn to_value(&self) -> String {
        let mut value = format!("{} {}/{}", self.payload_type, self.encoding, self.clock_rate);
        if let Some(channels) = self.channels {
            let _ = write!(value, "/{channels}");
        }
        value
    }
}

fn parse_payload_type(s: &str) -> Option<u8> {
    s.parse::<u8>().ok().filter(|pt| *pt <= 127)
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: String,
    pub port: u16,
    pub port_count: Option<u16>,
    pub protocol: String,
    pub formats: Vec<String>,
    pub connection: Option<Connection>,
    pub other: Vec<OtherLine>,
    pub attributes: Vec<Attribute>,
}

impl Media {
    fn attribute<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.attributes
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a| a.value.as_deref())
    }

    /// All well-formed `a=rtpmap` lines (malformed ones were refused at parse time).
    pub fn rtpmaps(&self) -> Vec<RtpMap> {
        self.attribute("rtpmap").filter_map(RtpMap::parse).collect()
    }

    pub fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.rtpmaps()
            .into_iter()
            .find(|m| m.payload_type == payload_type)
    }

    /// The `a=fmtp` parameters for a payload type.
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.attribute("fmtp").find_map(|v| {
            let (pt, params) = v.split_once(' ')?;
            (parse_payload_type(pt) == Some(payload_type)).then_some(params.trim())
        })
    }

    pub fn ptime_ms(&self) -> Option<u32> {
        self.attribute("ptime").find_map(|v| v.trim().parse().ok())
    }

    /// The media-level direction, if stated.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes.iter().find_map(|a| {
            if a.value.is_none() {
                Direction::from_attribute(&a.name)
            } else {
                None
            }
        })
    }

    /// Formats that are RTP payload types.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| parse_payload_type(f))
    }
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    pub session_name: String,
    pub connection: Option<Connection>,
    pub timing: (u64, u64),
    pub other: Vec<OtherLine>,
    pub attributes: Vec<Attribute>,
    pub media: Vec<Media>,
}

impl SessionDescription {
    /// The session-level direction, if stated.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes.iter().find_map(|a| {
            if a.value.is_none() {
                Direction::from_attribute(&a.name)
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests;
