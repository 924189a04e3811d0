//! G.711 A-law (`PCMA`, static RTP payload type 8): 16-bit linear PCM to and
//! from 8-bit codes. Knows nothing of packets or timing.

/// A-law silence: the code for the smallest positive level (+8).
pub const SILENCE: u8 = 0xD5;

/// A-law transmits every other bit inverted so idle lines still carry transitions.
const EVEN_BIT_INVERSION: u8 = 0x55;

/// Largest 12-bit magnitude: rounding carries +32767 one step past it.
const MAX_MAGNITUDE12: i32 = 4095;

/// Decode table built at compile time.
static DECODE: [i16; 256] = build_decode_table();

const fn decode_slow(code: u8) -> i16 {
    let bits = code ^ EVEN_BIT_INVERSION;
    let exponent = ((bits >> 4) & 0x07) as i32;
    let mantissa = (bits & 0x0F) as i32;
    // Reconstruct at the middle of the quantisation interval (the trailing `| 1`).
    let magnitude12 = if exponent == 0 {
        (mantissa << 1) | 1
    } else {
        (((mantissa | 0x10) << 1) | 1) << (exponent - 1)
    };
    let linear = magnitude12 << 3;
    // A-law's sign bit is set for positive values.
    if bits & 0x80 != 0 {
        linear as i16
    } else {
        -linear as i16
    }
}

const fn build_decode_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = decode_slow(code as u8);
        code += 1;
    }
    table
}

/// One A-law code to linear PCM.
#[inline]
pub fn decode(code: u8) -> i16 {
    DECODE[code as usize]
}

/// One linear PCM sample to an A-law code.
#[inline]
pub fn encode(sample: i16) -> u8 {
    // A-law is defined on 13-bit linear: round to the nearest 13-bit value (as sox
    // does, bit for bit), then one's complement for negatives keeps the halves symmetric.
    let linear13 = (i32::from(sample) + 4) >> 3;
    let (sign, magnitude12) = if linear13 >= 0 {
        (0x80, linear13.min(MAX_MAGNITUDE12))
    } else {
        (0x00, -linear13 - 1)
    };
    let (exponent, mantissa) = if magnitude12 < 32 {
        (0, magnitude12 >> 1)
    } else {
        let exponent = (31 - magnitude12.leading_zeros() as i32) - 4;
        (exponent, (magnitude12 >> exponent) & 0x0F)
    };
    ((sign | (exponent << 4) | mantissa) as u8) ^ EVEN_BIT_INVERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            assert_eq!(encode(decode(code)), code, "code {code:#04x}");
        }
    }

    #[test]
    fn silence_and_extremes() {
        assert_eq!(decode(SILENCE), 8);
        assert_eq!(encode(0), SILENCE);
        assert_eq!(decode(0xAA), 32256);
        assert_eq!(decode(0x2A), -32256);
        assert_eq!(encode(i16::MAX), 0xAA);
        assert_eq!(encode(i16::MIN), 0x2A);
    }

    #[test]
    fn decoded_levels_are_distinct_and_odd_symmetric() {
        let mut levels: Vec<i16> = (0..=255u8).map(decode).collect();
        for code in 0..=255u8 {
            assert_eq!(decode(code), -decode(code ^ 0x80), "code {code:#04x}");
        }
        levels.sort_unstable();
        levels.dedup();
        assert_eq!(levels.len(), 256);
    }
}
