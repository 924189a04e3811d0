//! A DTMF digit: the sixteen keys of the telephone keypad, whatever path
//! (RFC 4733, in-band tone, SIP INFO) carried it.

use std::fmt;

/// One keypad key. Ordered as RFC 4733 numbers them (0–9, `*`, `#`, A–D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digit {
    D0,
    D1,
    D2,
    D3,
    D4,
    D5,
    D6,
    D7,
    D8,
    D9,
    Star,
    Pound,
    A,
    B,
    C,
    D,
}

const ALL: [Digit; 16] = [
    Digit::D0,
    Digit::D1,
    Digit::D2,
    Digit::D3,
    Digit::D4,
    Digit::D5,
    Digit::D6,
    Digit::D7,
    Digit::D8,
    Digit::D9,
    Digit::Star,
    Digit::Pound,
    Digit::A,
    Digit::B,
    Digit::C,
    Digit::D,
];

impl Digit {
    /// All sixteen keys in RFC 4733 event order.
    pub fn all() -> [Digit; 16] {
        ALL
    }

    /// RFC 4733 event code (0–15).
    pub fn event_code(self) -> u8 {
        match self {
            Digit::D0 => 0,
            Digit::D1 => 1,
            Digit::D2 => 2,
            Digit::D3 => 3,
            Digit::D4 => 4,
            Digit::D5 => 5,
            Digit::D6 => 6,
            Digit::D7 => 7,
            Digit::D8 => 8,
            Digit::D9 => 9,
            Digit::Star => 10,
            Digit::Pound => 11,
            Digit::A => 12,
            Digit::B => 13,
            Digit::C => 14,
            Digit::D => 15,
        }
    }

    /// The key for an RFC 4733 event code; codes above 15 are not keypad keys.
    pub fn from_event_code(code: u8) -> Option<Digit> {
        ALL.get(usize::from(code)).copied()
    }

    /// The character a flow sees (`0`–`9`, `*`, `#`, `A`–`D`).
    pub fn as_char(self) -> char {
        match self {
            Digit::Star => '*',
            Digit::Pound => '#',
            Digit::A => 'A',
            Digit::B => 'B',
            Digit::C => 'C',
            Digit::D => 'D',
            digit => char::from(b'0' + digit.event_code()),
        }
    }

    /// Parse the character form, as SIP INFO `Signal=` carries it (case-insensitive letters).
    pub fn from_char(c: char) -> Option<Digit> {
        match c.to_ascii_uppercase() {
            '0'..='9' => Digit::from_event_code(c as u8 - b'0'),
            '*' => Some(Digit::Star),
            '#' => Some(Digit::Pound),
            'A' => Some(Digit::A),
            'B' => Some(Digit::B),
            'C' => Some(Digit::C),
            'D' => Some(Digit::D),
            _ => None,
        }
    }

    /// Keypad row (0–3) and column (0–3) of the in-band tone pair.
    pub fn keypad_position(self) -> (usize, usize) {
        match self {
            Digit::D1 => (0, 0),
            Digit::D2 => (0, 1),
            Digit::D3 => (0, 2),
            Digit::A => (0, 3),
            Digit::D4 => (1, 0),
            Digit::D5 => (1, 1),
            Digit::D6 => (1, 2),
            Digit::B => (1, 3),
            Digit::D7 => (2, 0),
            Digit::D8 => (2, 1),
            Digit::D9 => (2, 2),
            Digit::C => (2, 3),
            Digit::Star => (3, 0),
            Digit::D0 => (3, 1),
            Digit::Pound => (3, 2),
            Digit::D => (3, 3),
        }
    }

    /// The key at a keypad row and column.
    pub fn at_keypad(row: usize, column: usize) -> Option<Digit> {
        ALL.into_iter().find(|d| d.keypad_position() == (row, column))
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_digit_round_trips_through_code_char_and_keypad() {
        for digit in Digit::all() {
            assert_eq!(Digit::from_event_code(digit.event_code()), Some(digit));
            assert_eq!(Digit::from_char(digit.as_char()), Some(digit));
            let (row, column) = digit.keypad_position();
            assert_eq!(Digit::at_keypad(row, column), Some(digit));
        }
        assert_eq!(Digit::from_event_code(16), None);
        assert_eq!(Digit::from_char('x'), None);
        assert_eq!(Digit::from_char('a'), Some(Digit::A));
    }
}
