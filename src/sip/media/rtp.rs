//! The RTP fixed header (RFC 3550 §5.1): decode from and encode to a datagram.
//! Zero-copy on decode; refuses malformed input with an error saying what was
//! wrong. Knows nothing of sessions, clocks or codecs.

use thiserror::Error;

/// The only RTP version in use since 1996.
pub const VERSION: u8 = 2;
/// Fixed part of the header, before CSRCs and extension.
pub const FIXED_HEADER_LEN: usize = 12;
/// The CC field is four bits.
pub const MAX_CSRC: usize = 15;

/// Why a datagram is not an RTP packet we can read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RtpDecodeError {
    #[error("datagram of {0} bytes is shorter than the 12-byte RTP header")]
    TooShort(usize),
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    #[error("header declares {csrc_count} CSRCs but the datagram ends at byte {len}")]
    TruncatedCsrc { csrc_count: usize, len: usize },
    #[error("header extension runs past the end of the datagram ({len} bytes)")]
    TruncatedExtension { len: usize },
    #[error("padding count {padding} is zero or exceeds the {available} bytes after the header")]
    BadPadding { padding: usize, available: usize },
}

/// Why a packet could not be written.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RtpEncodeError {
    #[error("{0} CSRCs, at most 15 fit the header")]
    TooManyCsrcs(usize),
    #[error("payload type {0} does not fit 7 bits")]
    PayloadTypeTooLarge(u8),
    #[error("extension of {0} bytes is not a whole number of 32-bit words (or exceeds 65535 words)")]
    BadExtensionLength(usize),
}

/// A header extension (RFC 3550 §5.3.1): profile-defined, kept as raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    pub profile: u16,
    pub data: &'a [u8],
}

/// One RTP packet, borrowing from the datagram it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrcs: Vec<u32>,
    pub extension: Option<Extension<'a>>,
    pub payload: &'a [u8],
    /// Padding bytes after the payload (including the count byte); 0 means no padding.
    pub padding: u8,
}

fn be_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl<'a> RtpPacket<'a> {
    /// A plain packet: no CSRCs, no extension, no padding.
    pub fn new(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32, payload: &'a [u8]) -> Self {
        RtpPacket {
            marker: false,
            payload_type,
            sequence,
            timestamp,
            ssrc,
            csrcs: Vec::new(),
            extension: None,
            payload,
            padding: 0,
        }
    }

    /// Read one packet. Every length is checked before it is trusted.
    pub fn decode(datagram: &'a [u8]) -> Result<Self, RtpDecodeError> {
        let len = datagram.len();
        if len < FIXED_HEADER_LEN {
            return Err(RtpDecodeError::TooShort(len));
        }
        let first = datagram[0];
        let version = first >> 6;
        if version != VERSION {
            return Err(RtpDecodeError::BadVersion(version));
        }
        let has_padding = first & 0x20 != 0;
        let has_extension = first & 0x10 != 0;
        let csrc_count = usize::from(first & 0x0F);
        let second = datagram[1];

        let mut at = FIXED_HEADER_LEN;
        let csrc_end = at + 4 * csrc_count;
        if len < csrc_end {
            return Err(RtpDecodeError::TruncatedCsrc { csrc_count, len });
        }
        let csrcs = (0..csrc_count).map(|i| be_u32(datagram, at + 4 * i)).collect();
        at = csrc_end;

        let extension = if has_extension {
            if len < at + 4 {
                return Err(RtpDecodeError::TruncatedExtension { len });
            }
            let profile = be_u16(datagram, at);
            let words = usize::from(be_u16(datagram, at + 2));
            let data_end = at + 4 + 4 * words;
            if len < data_end {
                return Err(RtpDecodeError::TruncatedExtension { len });
            }
            let data = &datagram[at + 4..data_end];
            at = data_end;
            Some(Extension { profile, data })
        } else {
            None
        };

        let mut end = len;
        let mut padding = 0;
        if has_padding {
            let available = len - at;
            let count = usize::from(datagram[len - 1]);
            if count == 0 || count > available {
                return Err(RtpDecodeError::BadPadding {
                    padding: count,
                    available,
                });
            }
            end -= count;
            padding = datagram[len - 1];
        }

        Ok(RtpPacket {
            marker: second & 0x80 != 0,
            payload_type: second & 0x7F,
            sequence: be_u16(datagram, 2),
            timestamp: be_u32(datagram, 4),
            ssrc: be_u32(datagram, 8),
            csrcs,
            extension,
            payload: &datagram[at..end],
            padding,
        })
    }

    /// Append the wire form to `out`. Padding bytes are zero except the final count.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), RtpEncodeError> {
        if self.csrcs.len() > MAX_CSRC {
            return Err(RtpEncodeError::TooManyCsrcs(self.csrcs.len()));
        }
        if self.payload_type > 0x7F {
            return Err(RtpEncodeError::PayloadTypeTooLarge(self.payload_type));
        }
        if let Some(ext) = &self.extension {
            if ext.data.len() % 4 != 0 || ext.data.len() / 4 > usize::from(u16::MAX) {
                return Err(RtpEncodeError::BadExtensionLength(ext.data.len()));
            }
        }
        let mut first = VERSION << 6 | self.csrcs.len() as u8;
        if self.padding > 0 {
            first |= 0x20;
        }
        if self.extension.is_some() {
            first |= 0x10;
        }
        out.push(first);
        out.push(u8::from(self.marker) << 7 | self.payload_type);
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for csrc in &self.csrcs {
            out.extend_from_slice(&csrc.to_be_bytes());
        }
        if let Some(ext) = &self.extension {
            out.extend_from_slice(&ext.profile.to_be_bytes());
            out.extend_from_slice(&((ext.data.len() / 4) as u16).to_be_bytes());
            out.extend_from_slice(ext.data);
        }
        out.extend_from_slice(self.payload);
        if self.padding > 0 {
            out.extend(std::iter::repeat_n(0u8, usize::from(self.padding) - 1));
            out.push(self.padding);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(packet: &RtpPacket<'_>) {
        let mut wire = Vec::new();
        packet.encode_into(&mut wire).unwrap();
        let back = RtpPacket::decode(&wire).unwrap();
        assert_eq!(&back, packet);
        let mut again = Vec::new();
        back.encode_into(&mut again).unwrap();
        assert_eq!(again, wire);
    }

    #[test]
    fn plain_packet_round_trips_and_has_the_rfc_layout() {
        let payload = [0xFFu8; 160];
        let packet = RtpPacket::new(0, 0xBEEF, 0x0102_0304, 0xCA11_0000, &payload);
        let mut wire = Vec::new();
        packet.encode_into(&mut wire).unwrap();
        assert_eq!(
            &wire[..12],
            &[0x80, 0x00, 0xBE, 0xEF, 1, 2, 3, 4, 0xCA, 0x11, 0, 0]
        );
        assert_eq!(wire.len(), 172);
        round_trip(&packet);
    }

    #[test]
    fn every_optional_field_round_trips() {
        let ext = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let payload = [9u8, 8, 7];
        let mut packet = RtpPacket::new(101, 65535, u32::MAX, 7, &payload);
        packet.marker = true;
        packet.csrcs = (1..=15).collect();
        packet.extension = Some(Extension {
            profile: 0xBEDE,
            data: &ext,
        });
        packet.padding = 5;
        round_trip(&packet);
        packet.extension = Some(Extension {
            profile: 1,
            data: &[],
        });
        packet.padding = 1;
        round_trip(&packet);
    }

    #[test]
    fn malformed_datagrams_are_refused_with_the_reason() {
        assert_eq!(RtpPacket::decode(&[0x80; 11]), Err(RtpDecodeError::TooShort(11)));
        let mut v1 = [0u8; 12];
        v1[0] = 0x40;
        assert_eq!(RtpPacket::decode(&v1), Err(RtpDecodeError::BadVersion(1)));
        let mut csrc = [0u8; 16];
        csrc[0] = 0x82;
        assert_eq!(
            RtpPacket::decode(&csrc),
            Err(RtpDecodeError::TruncatedCsrc {
                csrc_count: 2,
                len: 16
            })
        );
        let mut ext = [0u8; 16];
        ext[0] = 0x90;
        ext[15] = 1;
        assert_eq!(
            RtpPacket::decode(&ext),
            Err(RtpDecodeError::TruncatedExtension { len: 16 })
        );
        let mut pad = [0u8; 14];
        pad[0] = 0xA0;
        pad[13] = 3;
        assert_eq!(
            RtpPacket::decode(&pad),
            Err(RtpDecodeError::BadPadding {
                padding: 3,
                available: 2
            })
        );
        pad[13] = 0;
        assert_eq!(
            RtpPacket::decode(&pad),
            Err(RtpDecodeError::BadPadding {
                padding: 0,
                available: 2
            })
        );
    }

    #[test]
    fn unwritable_packets_are_refused() {
        let mut packet = RtpPacket::new(128, 0, 0, 0, &[]);
        let mut out = Vec::new();
        assert_eq!(
            packet.encode_into(&mut out),
            Err(RtpEncodeError::PayloadTypeTooLarge(128))
        );
        packet.payload_type = 0;
        packet.csrcs = vec![0; 16];
        assert_eq!(
            packet.encode_into(&mut out),
            Err(RtpEncodeError::TooManyCsrcs(16))
        );
        packet.csrcs.clear();
        packet.extension = Some(Extension {
            profile: 0,
            data: &[1, 2, 3],
        });
        assert_eq!(
            packet.encode_into(&mut out),
            Err(RtpEncodeError::BadExtensionLength(3))
        );
    }

    #[test]
    fn every_short_prefix_of_a_full_packet_is_refused_or_read_consistently() {
        let ext = [1u8; 4];
        let payload = [2u8; 4];
        let mut packet = RtpPacket::new(8, 1, 2, 3, &payload);
        packet.csrcs = vec![4, 5];
        packet.extension = Some(Extension {
            profile: 6,
            data: &ext,
        });
        let mut wire = Vec::new();
        packet.encode_into(&mut wire).unwrap();
        for cut in 0..wire.len() {
            if let Ok(read) = RtpPacket::decode(&wire[..cut]) {
                assert!(read.payload.len() < payload.len(), "cut {cut}");
            }
        }
    }
}
