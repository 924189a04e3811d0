//! The RFC 4733 telephone-event payload (§2.3): event code, end bit, volume
//! and duration in four bytes. Knows nothing of RTP headers or de-duplication
//! (see `event_tracker`).

use thiserror::Error;

use super::digit::Digit;

/// One event block is four bytes; redundant blocks (RFC 4733 §2.5.1.5) follow it.
pub const BLOCK_LEN: usize = 4;
/// Volume is six bits of -dBm0.
pub const MAX_VOLUME: u8 = 63;

/// Why a telephone-event payload was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TelephoneEventError {
    #[error("telephone-event payload of {0} bytes is not a whole number of 4-byte blocks")]
    BadLength(usize),
    #[error("telephone-event volume {0} exceeds 63")]
    VolumeTooLarge(u8),
}

/// One telephone event block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// 0–15 are keypad keys; higher codes are other tones (fax, line events).
    pub event: u8,
    pub end: bool,
    /// Power level in -dBm0 (0 loudest).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units (samples at 8 kHz).
    pub duration: u16,
}

impl TelephoneEvent {
    /// Read the first block; later redundant blocks repeat earlier events and are ignored.
    pub fn decode(payload: &[u8]) -> Result<Self, TelephoneEventError> {
        if payload.is_empty() || !payload.len().is_multiple_of(BLOCK_LEN) {
            return Err(TelephoneEventError::BadLength(payload.len()));
        }
        Ok(TelephoneEvent {
            event: payload[0],
            end: payload[1] & 0x80 != 0,
            // The R bit (0x40) is reserved: senders set it to zero, receivers ignore it.
            volume: payload[1] & 0x3F,
            duration: u16::from_be_bytes([payload[2], payload[3]]),
        })
    }

    pub fn encode(&self) -> Result<[u8; BLOCK_LEN], TelephoneEventError> {
        if self.volume > MAX_VOLUME {
            return Err(TelephoneEventError::VolumeTooLarge(self.volume));
        }
        let duration = self.duration.to_be_bytes();
        Ok([
            self.event,
            u8::from(self.end) << 7 | self.volume,
            duration[0],
            duration[1],
        ])
    }

    /// The keypad key, if this event is one.
    pub fn digit(&self) -> Option<Digit> {
        Digit::from_event_code(self.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        for event in [0u8, 9, 11, 15, 16, 255] {
            for end in [false, true] {
                for volume in [0u8, 10, 63] {
                    for duration in [0u16, 160, 65535] {
                        let te = TelephoneEvent {
                            event,
                            end,
                            volume,
                            duration,
                        };
                        let wire = te.encode().unwrap();
                        assert_eq!(TelephoneEvent::decode(&wire), Ok(te));
                    }
                }
            }
        }
    }

    #[test]
    fn reads_the_sipp_pcap_layout_and_ignores_the_reserved_bit() {
        // Digit 1, end bit and reserved bit set, volume 10, duration 1280.
        let te = TelephoneEvent::decode(&[0x01, 0xCA, 0x05, 0x00]).unwrap();
        assert_eq!(
            te,
            TelephoneEvent {
                event: 1,
                end: true,
                volume: 10,
                duration: 1280
            }
        );
        assert_eq!(te.digit(), Some(Digit::D1));
    }

    #[test]
    fn bad_lengths_and_volumes_are_refused() {
        assert_eq!(
            TelephoneEvent::decode(&[]),
            Err(TelephoneEventError::BadLength(0))
        );
        assert_eq!(
            TelephoneEvent::decode(&[1, 2, 3]),
            Err(TelephoneEventError::BadLength(3))
        );
        assert!(TelephoneEvent::decode(&[1, 2, 3, 4, 5, 6, 7, 8]).is_ok());
        let loud = TelephoneEvent {
            event: 1,
            end: false,
            volume: 64,
            duration: 0,
        };
        assert_eq!(loud.encode(), Err(TelephoneEventError::VolumeTooLarge(64)));
    }
}
