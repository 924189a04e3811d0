//! G.711 µ-law (`PCMU`, static RTP payload type 0): 16-bit linear PCM to and
//! from 8-bit codes. Knows nothing of packets or timing.

/// µ-law silence: the code for linear zero (sign bit clear after inversion).
pub const SILENCE: u8 = 0xFF;

/// Added before the segment search so every segment starts on a power of two
/// (33 in 14-bit units, 0x84 at 16-bit scale).
const BIAS14: i32 = 33;
const BIAS: i32 = BIAS14 << 2;
/// Largest 14-bit magnitude that still fits the top segment once the bias is added.
const CLIP14: i32 = 8158;

/// Decode table built at compile time: 256 entries cost nothing to keep.
static DECODE: [i16; 256] = build_decode_table();

const fn decode_slow(code: u8) -> i16 {
    let bits = !code;
    let exponent = ((bits >> 4) & 0x07) as i32;
    let mantissa = (bits & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    if bits & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
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

/// One µ-law code to linear PCM.
#[inline]
pub fn decode(code: u8) -> i16 {
    DECODE[code as usize]
}

/// One linear PCM sample to a µ-law code (truncated mantissa, as G.711 does).
#[inline]
pub fn encode(sample: i16) -> u8 {
    // µ-law is defined on 14-bit linear: round to the nearest 14-bit value rather
    // than truncate, which removes a bias towards negative values and matches sox bit for bit.
    let linear14 = (i32::from(sample) + 2) >> 2;
    let (sign, magnitude) = if linear14 < 0 {
        (0x80, -linear14)
    } else {
        (0x00, linear14)
    };
    let biased = magnitude.min(CLIP14) + BIAS14;
    // `biased` lies in 33..=8191, so its top bit is bit 5..=12: the segment is that minus 5.
    let exponent = (31 - biased.leading_zeros() as i32) - 5;
    let mantissa = (biased >> (exponent + 1)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_except_negative_zero() {
        for code in 0..=255u8 {
            let back = encode(decode(code));
            if code == 0x7F {
                // Negative zero decodes to 0, which encodes as positive zero.
                assert_eq!(back, SILENCE);
            } else {
                assert_eq!(back, code, "code {code:#04x}");
            }
        }
    }

    #[test]
    fn silence_is_zero_and_extremes_are_symmetric() {
        assert_eq!(decode(SILENCE), 0);
        assert_eq!(encode(0), SILENCE);
        assert_eq!(decode(0x80), 32124);
        assert_eq!(decode(0x00), -32124);
        assert_eq!(encode(i16::MAX), 0x80);
        assert_eq!(encode(i16::MIN), 0x00);
    }

    #[test]
    fn quantisation_error_stays_within_half_a_step_of_the_segment() {
        for sample in -32000i16..=32000 {
            let error = (i32::from(decode(encode(sample))) - i32::from(sample)).abs();
            // The top segment's step is 1024: truncation error is below one step.
            let step = ((i32::from(sample).abs() + BIAS) >> 4).max(8);
            assert!(error <= step, "sample {sample}: error {error} > {step}");
        }
    }
}
