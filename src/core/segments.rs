//! How many SMS segments a text costs: GSM 03.38 (160 / 153 septets, the
//! extension table costing two) or UCS-2 (70 / 67 UTF-16 units). Rate limits
//! are charged per segment, so this is shared by every link kind.

/// Characters of the GSM 03.38 default alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the extension table (escape + one septet).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

/// Septets one character costs in GSM 03.38, or `None` when it needs UCS-2.
pub fn gsm_septets(c: char) -> Option<u32> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text will be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

/// What a text costs, told in full: for a live counter and a send's review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Counted {
    pub encoding: Encoding,
    pub segments: u32,
    /// Characters as a person counts them.
    pub chars: u32,
    /// What the segments are counted in: septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: u32,
    /// Units one segment holds at this length (160/153 or 70/67).
    pub per_segment: u32,
    /// The characters that force UCS-2, each once, in order of appearance.
    pub ucs2_chars: Vec<String>,
}

/// [`count`], with the characters and the units counted and the characters
/// that force UCS-2 named.
pub fn describe(text: &str) -> Counted {
    let (encoding, segments) = count(text);
    let mut ucs2_chars: Vec<String> = Vec::new();
    let mut septets = 0u32;
    for c in text.chars() {
        match gsm_septets(c) {
            Some(n) => septets += n,
            None => {
                let s = c.to_string();
                if !ucs2_chars.contains(&s) {
                    ucs2_chars.push(s);
                }
            }
        }
    }
    let (units, single, multi) = match encoding {
        Encoding::Gsm7 => (septets, 160, 153),
        Encoding::Ucs2 => (text.encode_utf16().count() as u32, 70, 67),
    };
    Counted {
        encoding,
        segments,
        chars: text.chars().count() as u32,
        units,
        per_segment: if segments > 1 { multi } else { single },
        ucs2_chars,
    }
}

/// Encoding and segment count for `text`.
pub fn count(text: &str) -> (Encoding, u32) {
    let mut septets = 0u32;
    for c in text.chars() {
        match gsm_septets(c) {
            Some(n) => septets += n,
            None => {
                let units = text.encode_utf16().count() as u32;
                return (Encoding::Ucs2, split(units, 70, 67));
            }
        }
    }
    (Encoding::Gsm7, split(septets, 160, 153))
}

fn split(units: u32, single: u32, multi: u32) -> u32 {
    if units <= single {
        1
    } else {
        units.div_ceil(multi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_boundaries() {
        assert_eq!(count(""), (Encoding::Gsm7, 1));
        assert_eq!(count(&"a".repeat(160)), (Encoding::Gsm7, 1));
        assert_eq!(count(&"a".repeat(161)), (Encoding::Gsm7, 2));
        assert_eq!(count(&"a".repeat(306)), (Encoding::Gsm7, 2));
        assert_eq!(count(&"a".repeat(307)), (Encoding::Gsm7, 3));
        // The euro sign costs two septets.
        assert_eq!(count(&"€".repeat(80)), (Encoding::Gsm7, 1));
        assert_eq!(count(&"€".repeat(81)), (Encoding::Gsm7, 2));
    }

    #[test]
    fn a_description_names_what_forces_ucs2() {
        let d = describe("Habari ł ł 😀");
        assert_eq!(d.encoding, Encoding::Ucs2);
        assert_eq!(d.ucs2_chars, ["ł", "😀"]);
        assert_eq!((d.chars, d.units, d.per_segment, d.segments), (12, 13, 70, 1));
        let g = describe(&"a".repeat(161));
        assert_eq!((g.encoding, g.segments, g.per_segment), (Encoding::Gsm7, 2, 153));
        assert!(g.ucs2_chars.is_empty());
    }

    #[test]
    fn ucs2_boundaries() {
        assert_eq!(count(&"ß".repeat(10)).0, Encoding::Gsm7);
        assert_eq!(count(&"ŵ".repeat(70)), (Encoding::Ucs2, 1));
        assert_eq!(count(&"ŵ".repeat(71)), (Encoding::Ucs2, 2));
        // An emoji is a surrogate pair: two UTF-16 units.
        assert_eq!(count(&"😀".repeat(35)), (Encoding::Ucs2, 1));
        assert_eq!(count(&"😀".repeat(36)), (Encoding::Ucs2, 2));
    }
}
