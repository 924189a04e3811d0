//! The closed set of audio codecs we put on the wire, with their static RTP
//! payload types and silence codes. Knows nothing of SDP text or sockets.

use super::{pcma, pcmu};

/// A G.711 variant. Both are 8 kHz, one byte per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    /// RFC 3551 static payload type.
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// SDP `a=rtpmap` encoding name.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// Recognise an `a=rtpmap` encoding name (case-insensitive, as RFC 4855 says).
    pub fn from_encoding_name(name: &str) -> Option<Codec> {
        if name.eq_ignore_ascii_case("PCMU") {
            Some(Codec::Pcmu)
        } else if name.eq_ignore_ascii_case("PCMA") {
            Some(Codec::Pcma)
        } else {
            None
        }
    }

    /// Recognise a static payload type offered without an `a=rtpmap`.
    pub fn from_static_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The code for digital silence, sent when nothing is queued.
    pub fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => pcmu::SILENCE,
            Codec::Pcma => pcma::SILENCE,
        }
    }

    /// Encode a block of samples, appending codes to `out`.
    pub fn encode_into(self, samples: &[i16], out: &mut Vec<u8>) {
        let encode = match self {
            Codec::Pcmu => pcmu::encode,
            Codec::Pcma => pcma::encode,
        };
        out.extend(samples.iter().map(|&s| encode(s)));
    }

    /// Decode a block of codes, appending samples to `out`.
    pub fn decode_into(self, codes: &[u8], out: &mut Vec<i16>) {
        let decode = match self {
            Codec::Pcmu => pcmu::decode,
            Codec::Pcma => pcma::decode,
        };
        out.extend(codes.iter().map(|&c| decode(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_monotonic_over_all_inputs() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
            let (mut codes, mut levels) = (Vec::new(), Vec::new());
            codec.encode_into(&all, &mut codes);
            codec.decode_into(&codes, &mut levels);
            assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{codec:?}");
            // Every code is reachable from some input, except µ-law's negative zero.
            codes.sort_unstable();
            codes.dedup();
            let reachable = if codec == Codec::Pcmu { 255 } else { 256 };
            assert_eq!(codes.len(), reachable, "{codec:?}");
        }
    }

    #[test]
    fn static_payload_types_and_names_round_trip() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            assert_eq!(
                Codec::from_static_payload_type(codec.static_payload_type()),
                Some(codec)
            );
            assert_eq!(
                Codec::from_encoding_name(&codec.encoding_name().to_lowercase()),
                Some(codec)
            );
        }
        assert_eq!(Codec::from_static_payload_type(18), None);
    }
}
