//! The user data header of a concatenated SMS: information element 0x00
//! (8-bit reference) or 0x08 (16-bit reference). Other elements are skipped
//! on the way in and never written on the way out.

use thiserror::Error;

/// Concatenation, 8-bit reference (23.040 §9.2.3.24.1).
const IE_CONCAT_8: u8 = 0x00;
/// Concatenation, 16-bit reference (23.040 §9.2.3.24.8).
const IE_CONCAT_16: u8 = 0x08;

/// Where one segment sits in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    /// 1-based.
    pub seq: u8,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum UdhError {
    #[error("user data header of {declared} octets does not fit in {available}")]
    Truncated { declared: usize, available: usize },
    #[error("concatenation element says part {seq} of {total}")]
    BadConcat { seq: u8, total: u8 },
}

/// The UDH bytes (length octet included) for a segment.
pub fn write(c: Concat, sixteen_bit: bool) -> Vec<u8> {
    if sixteen_bit {
        let [hi, lo] = c.reference.to_be_bytes();
        vec![6, IE_CONCAT_16, 4, hi, lo, c.total, c.seq]
    } else {
        vec![5, IE_CONCAT_8, 3, c.reference as u8, c.total, c.seq]
    }
}

/// Splits `data` into (concatenation info if any, payload after the UDH).
/// `data` starts with the UDH length octet.
pub fn read(data: &[u8]) -> Result<(Option<Concat>, &[u8]), UdhError> {
    let Some(&udhl) = data.first() else {
        return Err(UdhError::Truncated {
            declared: 1,
            available: 0,
        });
    };
    let end = 1 + usize::from(udhl);
    if end > data.len() {
        return Err(UdhError::Truncated {
            declared: end,
            available: data.len(),
        });
    }
    let mut concat = None;
    let mut ies = &data[1..end];
    while let [iei, len, rest @ ..] = ies {
        let len = usize::from(*len);
        if len > rest.len() {
            return Err(UdhError::Truncated {
                declared: len,
                available: rest.len(),
            });
        }
        let body = &rest[..len];
        concat = match (*iei, body) {
            (IE_CONCAT_8, [r, t, s]) => Some(checked(u16::from(*r), *t, *s)?),
            (IE_CONCAT_16, [hi, lo, t, s]) => Some(checked(u16::from_be_bytes([*hi, *lo]), *t, *s)?),
            _ => concat,
        };
        ies = &rest[len..];
    }
    Ok((concat, &data[end..]))
}

fn checked(reference: u16, total: u8, seq: u8) -> Result<Concat, UdhError> {
    if total == 0 || seq == 0 || seq > total {
        return Err(UdhError::BadConcat { seq, total });
    }
    Ok(Concat {
        reference,
        total,
        seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_reference_sizes_round_trip() {
        for sixteen in [false, true] {
            let c = Concat {
                reference: if sixteen { 0xBEEF } else { 0xEF },
                total: 3,
                seq: 2,
            };
            let mut data = write(c, sixteen);
            assert_eq!(data.len(), if sixteen { 7 } else { 6 });
            data.extend_from_slice(b"text");
            assert_eq!(read(&data).unwrap(), (Some(c), &b"text"[..]));
        }
    }

    #[test]
    fn other_elements_are_skipped() {
        // A port-addressing element (0x05) before an 8-bit concatenation.
        let data = [11, 0x05, 4, 0, 1, 0, 2, 0x00, 3, 9, 2, 1, b'x'];
        let (c, rest) = read(&data).unwrap();
        assert_eq!(
            c,
            Some(Concat {
                reference: 9,
                total: 2,
                seq: 1
            })
        );
        assert_eq!(rest, b"x");
    }

    #[test]
    fn truncated_and_nonsense_headers_are_errors() {
        assert!(matches!(read(&[9, 0, 3]), Err(UdhError::Truncated { .. })));
        assert!(matches!(read(&[3, 0, 5, 1]), Err(UdhError::Truncated { .. })));
        assert_eq!(
            read(&[5, 0, 3, 1, 2, 3]),
            Err(UdhError::BadConcat { seq: 3, total: 2 })
        );
        assert_eq!(
            read(&[5, 0, 3, 1, 0, 0]),
            Err(UdhError::BadConcat { seq: 0, total: 0 })
        );
        assert!(read(&[]).is_err());
    }
}
