//! Text ⇄ SMPP short messages: GSM 03.38 (unpacked or packed) with automatic
//! fallback to UCS-2, splitting into concatenated segments (UDH or SAR TLVs)
//! and decoding inbound parts. Pure: no sockets, no clock of its own.

pub mod gsm7;
pub mod reassembly;
pub mod ucs2;
pub mod udh;

use serde::Deserialize;
use thiserror::Error;

pub use udh::Concat;

/// `data_coding` for the SMSC default alphabet (GSM 03.38 on every carrier we target).
pub const DC_DEFAULT: u8 = 0x00;
/// `data_coding` for IA5 / ASCII.
pub const DC_IA5: u8 = 0x01;
/// `data_coding` for Latin-1.
pub const DC_LATIN1: u8 = 0x03;
/// `data_coding` for UCS-2.
pub const DC_UCS2: u8 = 0x08;
/// `esm_class` bit saying the short message starts with a UDH.
pub const ESM_UDHI: u8 = 0x40;

/// Septets in one unsegmented GSM message (140 octets × 8 / 7).
const GSM_SINGLE: usize = 160;
/// UTF-16 units in one unsegmented UCS-2 message (140 octets / 2).
const UCS2_SINGLE: usize = 70;
/// Octets of user data in one SMS.
const USER_DATA_OCTETS: usize = 140;
/// The most segments a concatenation header can number.
pub const MAX_SEGMENTS: usize = 255;

/// How GSM septets travel in `short_message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Packing {
    /// One septet per octet: what nearly every SMSC expects with data_coding 0.
    #[default]
    Unpacked,
    /// Seven bits per septet, as on the air interface.
    Packed,
}

/// How a long message is tied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Concatenation {
    /// UDH with an 8-bit reference (153 septets / 67 units per segment).
    #[default]
    Udh8,
    /// UDH with a 16-bit reference (152 septets / 66 units per segment).
    Udh16,
    /// `sar_*` TLVs; the SMSC writes the UDH (153 / 67 per segment).
    Sar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeOptions {
    #[serde(default)]
    pub packing: Packing,
    #[serde(default)]
    pub concatenation: Concatenation,
}

/// One `submit_sm` worth of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub data_coding: u8,
    /// Set the UDHI bit of `esm_class`.
    pub udhi: bool,
    pub short_message: Vec<u8>,
    /// Set when SAR TLVs carry the concatenation.
    pub sar: Option<Concat>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EncodeError {
    #[error("text needs {0} segments, more than the {MAX_SEGMENTS} a header can number")]
    TooLong(usize),
}

/// Encodes `text`, splitting it when it does not fit one SMS. `reference`
/// ties the segments together (the caller keeps a counter per link).
pub fn split(text: &str, opts: EncodeOptions, reference: u16) -> Result<Vec<Segment>, EncodeError> {
    // Each character as its encoded bytes (at most 4: a surrogate pair),
    // so segments are cut between characters, never inside one.
    let gsm: Option<Vec<([u8; 4], usize)>> = text
        .chars()
        .map(|c| gsm7::char_septets(c).map(|(s, n)| ([s[0], s[1], 0, 0], n)))
        .collect();
    let (coding, units, single) = match gsm {
        Some(units) => (DC_DEFAULT, units, GSM_SINGLE),
        None => {
            let units = text
                .chars()
                .map(|c| {
                    let mut buf = [0u16; 2];
                    let mut out = [0u8; 4];
                    let utf16 = c.encode_utf16(&mut buf);
                    for (i, u) in utf16.iter().enumerate() {
                        out[i * 2..i * 2 + 2].copy_from_slice(&u.to_be_bytes());
                    }
                    (out, utf16.len() * 2)
                })
                .collect();
            (DC_UCS2, units, UCS2_SINGLE)
        }
    };
    // Width of each character in the unit that limits a segment (septets
    // for GSM, UTF-16 units for UCS-2).
    let width = |c: &([u8; 4], usize)| if coding == DC_DEFAULT { c.1 } else { c.1 / 2 };
    let total: usize = units.iter().map(width).sum();
    let body = |chars: &[([u8; 4], usize)]| -> Vec<u8> {
        let mut v = Vec::with_capacity(chars.len() * 2);
        for (b, n) in chars {
            v.extend_from_slice(&b[..*n]);
        }
        v
    };
    if total <= single {
        let all = body(&units);
        let short_message = if coding == DC_DEFAULT && opts.packing == Packing::Packed {
            gsm7::pack(&all, 0)
        } else {
            all
        };
        return Ok(vec![Segment {
            data_coding: coding,
            udhi: false,
            short_message,
            sar: None,
        }]);
    }
    let udh_len = match opts.concatenation {
        Concatenation::Udh16 => 7,
        Concatenation::Udh8 | Concatenation::Sar => 6,
    };
    let per_segment = if coding == DC_DEFAULT {
        (USER_DATA_OCTETS * 8 - udh_len * 8) / 7
    } else {
        (USER_DATA_OCTETS - udh_len) / 2
    };
    let mut chunks: Vec<&[([u8; 4], usize)]> = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, c) in units.iter().enumerate() {
        if used + width(c) > per_segment {
            chunks.push(&units[start..i]);
            start = i;
            used = 0;
        }
        used += width(c);
    }
    chunks.push(&units[start..]);
    if chunks.len() > MAX_SEGMENTS {
        return Err(EncodeError::TooLong(chunks.len()));
    }
    let count = chunks.len() as u8;
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, chars)| {
            let concat = Concat {
                reference,
                total: count,
                seq: i as u8 + 1,
            };
            let payload = body(chars);
            match opts.concatenation {
                Concatenation::Sar => {
                    let short_message = if coding == DC_DEFAULT && opts.packing == Packing::Packed {
                        gsm7::pack(&payload, 0)
                    } else {
                        payload
                    };
                    Segment {
                        data_coding: coding,
                        udhi: false,
                        short_message,
                        sar: Some(concat),
                    }
                }
                Concatenation::Udh8 | Concatenation::Udh16 => {
                    let mut sm = udh::write(concat, opts.concatenation == Concatenation::Udh16);
                    if coding == DC_DEFAULT && opts.packing == Packing::Packed {
                        sm.extend(gsm7::pack(&payload, fill_bits(sm.len())));
                    } else {
                        sm.extend(payload);
                    }
                    Segment {
                        data_coding: coding,
                        udhi: true,
                        short_message: sm,
                        sar: None,
                    }
                }
            }
        })
        .collect())
}

/// Zero bits after a UDH of `udh_octets` so packed septets start on a septet boundary.
fn fill_bits(udh_octets: usize) -> u8 {
    ((7 - (udh_octets * 8) % 7) % 7) as u8
}

/// One inbound short message, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub concat: Option<Concat>,
    pub text: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("bad user data header: {0}")]
    Udh(#[from] udh::UdhError),
}

/// One inbound short message with its header taken off and its text still
/// coded: what a concatenated part is persisted as, so that the parts can
/// be joined before decoding (a character split across two parts, such as
/// a UTF-16 surrogate pair or a GSM escape, then survives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPart {
    pub concat: Option<Concat>,
    pub data_coding: u8,
    /// Septets one per octet for the default alphabet (unpacked whatever the
    /// carrier's packing), the octets as sent for every other coding.
    pub payload: Vec<u8>,
}

/// Takes the header off an inbound short message (deliver_sm / data_sm).
/// SAR TLVs, when the PDU had them, win over a UDH.
pub fn read_part(
    data_coding: u8,
    udhi: bool,
    short_message: &[u8],
    sar: Option<Concat>,
    packing: Packing,
) -> Result<RawPart, DecodeError> {
    let (udh_concat, payload, udh_octets) = if udhi {
        let (c, rest) = udh::read(short_message)?;
        (c, rest, short_message.len() - rest.len())
    } else {
        (None, short_message, 0)
    };
    let payload = match (data_coding, packing) {
        (DC_DEFAULT, Packing::Packed) => {
            let fill = if udh_octets == 0 { 0 } else { fill_bits(udh_octets) };
            gsm7::unpack(payload, fill, None)
        }
        _ => payload.to_vec(),
    };
    Ok(RawPart {
        concat: sar.or(udh_concat),
        data_coding,
        payload,
    })
}

/// The text of a payload as [`read_part`] leaves it. Unknown data codings
/// are read as Latin-1 so that nothing is dropped.
pub fn decode_payload(data_coding: u8, payload: &[u8]) -> String {
    match data_coding {
        DC_DEFAULT => gsm7::decode(payload),
        DC_UCS2 => ucs2::decode(payload),
        DC_IA5 => payload.iter().map(|&b| char::from(b & 0x7F)).collect(),
        _ => payload.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Decodes an inbound short message (deliver_sm / data_sm): [`read_part`]
/// then [`decode_payload`].
pub fn decode(
    data_coding: u8,
    udhi: bool,
    short_message: &[u8],
    sar: Option<Concat>,
    packing: Packing,
) -> Result<Part, DecodeError> {
    let raw = read_part(data_coding, udhi, short_message, sar, packing)?;
    Ok(Part {
        concat: raw.concat,
        text: decode_payload(raw.data_coding, &raw.payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(packing: Packing, concatenation: Concatenation) -> EncodeOptions {
        EncodeOptions {
            packing,
            concatenation,
        }
    }

    fn all_options() -> Vec<EncodeOptions> {
        let mut v = Vec::new();
        for p in [Packing::Unpacked, Packing::Packed] {
            for c in [Concatenation::Udh8, Concatenation::Udh16, Concatenation::Sar] {
                v.push(opts(p, c));
            }
        }
        v
    }

    fn round_trip(text: &str, o: EncodeOptions) -> Vec<Segment> {
        let segs = split(text, o, 0x1234).unwrap();
        let mut parts: Vec<Part> = segs
            .iter()
            .map(|s| decode(s.data_coding, s.udhi, &s.short_message, s.sar, o.packing).unwrap())
            .collect();
        parts.sort_by_key(|p| p.concat.map(|c| c.seq));
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, text, "options {o:?}");
        segs
    }

    #[test]
    fn segment_counts_match_the_spec_sizes() {
        let o = EncodeOptions::default();
        assert_eq!(round_trip(&"a".repeat(160), o).len(), 1);
        assert_eq!(round_trip(&"a".repeat(161), o).len(), 2);
        assert_eq!(round_trip(&"a".repeat(306), o).len(), 2);
        assert_eq!(round_trip(&"a".repeat(307), o).len(), 3);
        assert_eq!(round_trip(&"ŵ".repeat(70), o).len(), 1);
        assert_eq!(round_trip(&"ŵ".repeat(71), o).len(), 2);
        assert_eq!(round_trip(&"ŵ".repeat(134), o).len(), 2);
        assert_eq!(round_trip(&"ŵ".repeat(135), o).len(), 3);
        let sixteen = opts(Packing::Unpacked, Concatenation::Udh16);
        assert_eq!(round_trip(&"a".repeat(304), sixteen).len(), 2);
        assert_eq!(round_trip(&"a".repeat(305), sixteen).len(), 3);
    }

    #[test]
    fn every_option_round_trips_gsm_ucs2_and_edge_characters() {
        let texts = [
            String::new(),
            "Hello health worker".to_string(),
            "€".repeat(200),
            format!("{}€", "a".repeat(152)),
            "😀".repeat(40),
            format!("{}😀", "ŵ".repeat(66)),
            "Chanjo ya surua: tafadhali leta mtoto kliniki Jumatatu. ".repeat(9),
        ];
        for o in all_options() {
            for t in &texts {
                round_trip(t, o);
            }
        }
    }

    #[test]
    fn segments_fit_in_140_octets_and_never_split_a_character() {
        for o in all_options() {
            for text in [
                format!("{}€", "a".repeat(152)),
                format!("{}😀", "ŵ".repeat(66)),
                "€".repeat(300),
            ] {
                for s in split(&text, o, 7).unwrap() {
                    let octets = match (s.data_coding, o.packing) {
                        (DC_DEFAULT, Packing::Unpacked) => {
                            let udh = if s.udhi {
                                usize::from(s.short_message[0]) + 1
                            } else {
                                0
                            };
                            udh + ((s.short_message.len() - udh) * 7).div_ceil(8)
                        }
                        _ => s.short_message.len(),
                    };
                    assert!(octets <= 140, "{o:?}: {octets} octets");
                    let payload = if s.udhi {
                        &s.short_message[usize::from(s.short_message[0]) + 1..]
                    } else {
                        &s.short_message[..]
                    };
                    if s.data_coding == DC_DEFAULT && o.packing == Packing::Unpacked {
                        assert_ne!(
                            payload.last(),
                            Some(&gsm7::ESCAPE),
                            "escape split from its character"
                        );
                    }
                    if s.data_coding == DC_UCS2 {
                        let last =
                            u16::from_be_bytes([payload[payload.len() - 2], payload[payload.len() - 1]]);
                        assert!(!(0xD800..0xDC00).contains(&last), "lead surrogate at segment end");
                    }
                }
            }
        }
    }

    #[test]
    fn udh_segments_carry_the_udhi_bit_and_sar_segments_do_not() {
        let text = "b".repeat(200);
        let udh = split(&text, EncodeOptions::default(), 9).unwrap();
        assert!(udh
            .iter()
            .all(|s| s.udhi && s.sar.is_none() && s.short_message[..4] == [5, 0, 3, 9]));
        let sar = split(&text, opts(Packing::Unpacked, Concatenation::Sar), 9).unwrap();
        assert_eq!(
            sar[1].sar,
            Some(Concat {
                reference: 9,
                total: 2,
                seq: 2
            })
        );
        assert!(sar.iter().all(|s| !s.udhi));
    }

    #[test]
    fn too_long_is_an_error_not_a_truncation() {
        assert_eq!(
            split(&"a".repeat(153 * 256), EncodeOptions::default(), 1),
            Err(EncodeError::TooLong(256))
        );
    }

    #[test]
    fn other_codings_decode_without_loss() {
        assert_eq!(
            decode(DC_LATIN1, false, b"caf\xe9", None, Packing::Unpacked)
                .unwrap()
                .text,
            "café"
        );
        assert_eq!(
            decode(DC_IA5, false, b"abc", None, Packing::Unpacked)
                .unwrap()
                .text,
            "abc"
        );
        assert!(decode(DC_DEFAULT, true, &[7, 0, 3], None, Packing::Unpacked).is_err());
    }
}
