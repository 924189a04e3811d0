//! GSM 03.38 default alphabet and its extension table: text ⇄ septets, and
//! septets ⇄ 7-bit packed octets. Knows nothing of SMPP fields or segments.

/// The default alphabet, indexed by septet value. 0x1B is the escape to the
/// extension table and never stands for a character on its own.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

/// The septet that switches the next septet to the extension table.
pub const ESCAPE: u8 = 0x1B;

/// The extension table: (septet after the escape, character).
const EXTENDED: [(u8, char); 10] = [
    (0x0A, '\u{000C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// The septets for one character: one for the default alphabet, two
/// (escape first) for the extension table, `None` when GSM cannot carry it.
pub fn char_septets(c: char) -> Option<([u8; 2], usize)> {
    // Most ASCII letters, digits and punctuation sit at their ASCII code.
    if c.is_ascii() && c != '\u{1B}' && BASIC[c as usize] == c {
        return Some(([c as u8, 0], 1));
    }
    if c != '\u{1B}' {
        if let Some(i) = BASIC.iter().position(|&b| b == c) {
            return Some(([i as u8, 0], 1));
        }
    }
    EXTENDED
        .iter()
        .find(|(_, e)| *e == c)
        .map(|(s, _)| ([ESCAPE, *s], 2))
}

/// Text as unpacked septets (one per octet), or `None` if any character
/// needs UCS-2.
pub fn encode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let (s, n) = char_septets(c)?;
        out.extend_from_slice(&s[..n]);
    }
    Some(out)
}

/// Unpacked septets back to text. An unknown extension septet reads as its
/// default-alphabet character (what handsets do); a trailing escape is dropped.
pub fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut iter = septets.iter().map(|s| s & 0x7F);
    while let Some(s) = iter.next() {
        if s == ESCAPE {
            match iter.next() {
                Some(e) => match EXTENDED.iter().find(|(x, _)| *x == e) {
                    Some((_, c)) => out.push(*c),
                    None => out.push(BASIC[usize::from(e)]),
                },
                None => break,
            }
        } else {
            out.push(BASIC[usize::from(s)]);
        }
    }
    out
}

/// Packs septets into octets, least significant bit first, after
/// `fill_bits` zero bits (the padding that aligns text after a UDH).
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let total_bits = usize::from(fill_bits) + septets.len() * 7;
    let mut out = vec![0u8; total_bits.div_ceil(8)];
    let mut bit = usize::from(fill_bits);
    for &s in septets {
        let v = u16::from(s & 0x7F) << (bit % 8);
        out[bit / 8] |= (v & 0xFF) as u8;
        if bit / 8 + 1 < out.len() {
            out[bit / 8 + 1] |= (v >> 8) as u8;
        }
        bit += 7;
    }
    out
}

/// Unpacks `count` septets from octets after `fill_bits`. When `count` is
/// `None`, takes every whole septet, dropping a final zero septet that is
/// only padding (the CR-ambiguity rule of 23.038 cannot be resolved without
/// the length, which SMPP carries in octets).
pub fn unpack(octets: &[u8], fill_bits: u8, count: Option<usize>) -> Vec<u8> {
    let avail = (octets.len() * 8).saturating_sub(usize::from(fill_bits)) / 7;
    let n = count.map_or(avail, |c| c.min(avail));
    let mut out = Vec::with_capacity(n);
    let mut bit = usize::from(fill_bits);
    for _ in 0..n {
        let lo = u16::from(octets[bit / 8]);
        let hi = octets.get(bit / 8 + 1).copied().map_or(0, u16::from);
        out.push((((hi << 8 | lo) >> (bit % 8)) & 0x7F) as u8);
        bit += 7;
    }
    let fill = usize::from(fill_bits);
    if count.is_none() && n > 0 && out.last() == Some(&0) && (fill + 7 * (n - 1)).div_ceil(8) == octets.len()
    {
        // The octets were already full without the last septet: its bits
        // are zero padding, not an '@' (a real trailing '@' in that position
        // is lost; callers that know the septet count pass it).
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_alphabet_round_trips() {
        let all: String = BASIC.iter().filter(|&&c| c != '\u{1B}').collect::<String>() + "^{}\\[~]|€\u{000C}";
        let septets = encode(&all).unwrap();
        assert_eq!(septets.len(), 127 + 2 * 10);
        assert_eq!(decode(&septets), all);
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        assert_eq!(encode("€").unwrap(), vec![0x1B, 0x65]);
        assert_eq!(encode("a[b").unwrap(), vec![0x61, 0x1B, 0x3C, 0x62]);
        assert!(encode("ŵ").is_none());
        assert!(encode("\u{1B}").is_none(), "a raw escape is not text");
    }

    #[test]
    fn packing_matches_the_spec_example() {
        // 23.038's classic: "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37.
        let packed = pack(&encode("hellohello").unwrap(), 0);
        assert_eq!(packed, vec![0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]);
        assert_eq!(decode(&unpack(&packed, 0, Some(10))), "hellohello");
        assert_eq!(decode(&unpack(&packed, 0, None)), "hellohello");
    }

    #[test]
    fn packing_round_trips_with_fill_bits() {
        for fill in 0..7u8 {
            for len in [0usize, 1, 7, 8, 9, 153, 160] {
                let septets: Vec<u8> = (0..len).map(|i| (i * 13 % 128) as u8).collect();
                let packed = pack(&septets, fill);
                assert_eq!(unpack(&packed, fill, Some(len)), septets, "fill {fill} len {len}");
            }
        }
    }

    #[test]
    fn a_trailing_escape_or_unknown_extension_does_not_panic() {
        assert_eq!(decode(&[0x61, 0x1B]), "a");
        assert_eq!(decode(&[0x1B, 0x41]), "A");
    }
}
