//! UCS-2 as SMSCs use it today: UTF-16 big-endian, surrogate pairs allowed.

/// Text as UTF-16BE octets.
pub fn encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// UTF-16BE octets to text; an odd trailing octet or a lone surrogate
/// becomes U+FFFD rather than an error, since the rest is still worth reading.
pub fn decode(octets: &[u8]) -> String {
    let units = octets.chunks(2).map(|c| match c {
        [hi, lo] => u16::from_be_bytes([*hi, *lo]),
        _ => 0xFFFD,
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_surrogate_pairs_round_trips() {
        let text = "Habari ŵ 😀 中文";
        assert_eq!(decode(&encode(text)), text);
        assert_eq!(encode("😀"), vec![0xD8, 0x3D, 0xDE, 0x00]);
    }

    #[test]
    fn broken_input_degrades_to_replacement_characters() {
        assert_eq!(decode(&[0x00, 0x41, 0x00]), "A\u{FFFD}");
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x41]), "\u{FFFD}A");
    }
}
