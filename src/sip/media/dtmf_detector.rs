//! In-band DTMF detection (ITU-T Q.23/Q.24) over 8 kHz linear PCM: eight
//! Goertzel filters run interleaved in one pass over each block, then level,
//! peak, twist and purity checks, a frequency check from the phase advance of
//! the two tones between blocks, then a two-block rule for on and off times.
//! Runs on every call whether or not RFC 4733 was negotiated, because some
//! carriers send only tones. Knows nothing of RTP or codecs.

use super::digit::Digit;
use super::SAMPLE_RATE;

/// Block length in samples (12.75 ms). Short enough that two consecutive blocks
/// fit inside any 40 ms tone or pause (Q.24 minimums) yet not inside a 23 ms
/// tone; long enough that adjacent row bins (73 Hz apart) separate by > 20 dB.
pub const BLOCK_LEN: usize = 102;
/// Consecutive agreeing blocks that make a tone (on) or a pause (off).
const CONFIRM_BLOCKS: u8 = 2;
/// Keypad row and column frequencies (Q.23).
const ROW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLUMN_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Peak amplitude, in 16-bit linear, of a 0 dBm0 sine: G.711 overloads at +3.17 dBm0 (32 636).
pub const DBM0_PEAK: f32 = 22_675.0;
/// Quietest tone accepted, per frequency: Q.24 asks for operation down to about -25 dBm0;
/// the margin covers off-frequency tones and blocks that straddle a tone's start.
const MIN_TONE_DBM0: f32 = -32.0;
/// Largest allowed level difference between the row and column tones, either way.
const MAX_TWIST_DB: f32 = 8.0;
/// A tone must beat every other bin of its group by this power ratio (6 dB).
const MIN_PEAK_RATIO: f32 = 4.0;
/// Share of the block's energy that the two tones must carry: rejects speech and
/// music, whose energy is spread over many frequencies.
const MIN_PURITY: f32 = 0.75;
/// Largest frequency error accepted, as a share of the nominal frequency:
/// Q.24 asks receivers to accept 1.5% and reject 3.5%. Measured from how far
/// a tone's phase moves between two blocks, so it rejects the harmonics of a
/// voice that pass near a keypad pair (a tone 3.5% off reads in the same bin).
const MAX_FREQ_ERROR: f32 = 0.025;
/// Phase moves past this are ambiguous (a wrap of 2π looks like a small
/// move); the column tones' 2.5% is capped here.
const MAX_PHASE_ERROR: f32 = 2.6;

/// A digit confirmed by the detector, at the sample where it was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectedDigit {
    pub digit: Digit,
    /// Samples fed before the end of the confirming block.
    pub at_sample: u64,
}

/// Detector state for one audio stream.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    coefficients: [f32; 8],
    /// Per bin: sin ω (for the complex result) and the phase limit, radians.
    sines: [f32; 8],
    phase_limits: [f32; 8],
    /// The last block's loudest row and column and the phase of each.
    last_pair: Option<(usize, usize, f32, f32)>,
    s1: [f32; 8],
    s2: [f32; 8],
    energy: f32,
    filled: usize,
    samples_seen: u64,
    candidate: Option<Digit>,
    candidate_blocks: u8,
    sounding: Option<Digit>,
    silent_blocks: u8,
    min_tone_power: f32,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    pub fn new() -> Self {
        let mut coefficients = [0.0; 8];
        let mut sines = [0.0; 8];
        let mut phase_limits = [0.0; 8];
        for (i, hz) in ROW_HZ.iter().chain(COLUMN_HZ.iter()).enumerate() {
            let omega = 2.0 * std::f32::consts::PI * hz / SAMPLE_RATE as f32;
            coefficients[i] = 2.0 * omega.cos();
            sines[i] = omega.sin();
            // A tone off by δ Hz moves 2π·δ·N/fs further per block than the bin's own.
            phase_limits[i] = (omega * MAX_FREQ_ERROR * BLOCK_LEN as f32).min(MAX_PHASE_ERROR);
        }
        let min_amplitude = DBM0_PEAK / 32768.0 * 10f32.powf(MIN_TONE_DBM0 / 20.0);
        DtmfDetector {
            coefficients,
            sines,
            phase_limits,
            last_pair: None,
            s1: [0.0; 8],
            s2: [0.0; 8],
            energy: 0.0,
            filled: 0,
            samples_seen: 0,
            candidate: None,
            candidate_blocks: 0,
            sounding: None,
            silent_blocks: 0,
            min_tone_power: min_amplitude * min_amplitude / 2.0,
        }
    }

    /// Feed samples of any length; returns digits confirmed inside them (a key
    /// is reported once, when its tone has lasted two blocks).
    pub fn push(&mut self, samples: &[i16]) -> Vec<DetectedDigit> {
        let mut found = Vec::new();
        for &sample in samples {
            let x = f32::from(sample) / 32768.0;
            self.energy += x * x;
            // One pass updates all eight filters: the loop body vectorises.
            for i in 0..8 {
                let s0 = x + self.coefficients[i] * self.s1[i] - self.s2[i];
                self.s2[i] = self.s1[i];
                self.s1[i] = s0;
            }
            self.filled += 1;
            self.samples_seen += 1;
            if self.filled == BLOCK_LEN {
                let heard = self.classify_block();
                if let Some(digit) = self.track(heard) {
                    found.push(DetectedDigit {
                        digit,
                        at_sample: self.samples_seen,
                    });
                }
                self.s1 = [0.0; 8];
                self.s2 = [0.0; 8];
                self.energy = 0.0;
                self.filled = 0;
            }
        }
        found
    }

    /// Phase of bin `i`'s complex result (up to a constant per bin, the same
    /// every block).
    fn phase(&self, i: usize) -> f32 {
        let re = self.s1[i] - 0.5 * self.coefficients[i] * self.s2[i];
        let im = self.sines[i] * self.s2[i];
        im.atan2(re)
    }

    /// Whether the row and column tones moved in phase since the last block
    /// as tones on their nominal frequencies would (within the tolerance).
    fn on_frequency(&mut self, row: usize, column: usize) -> bool {
        let (row_phase, column_phase) = (self.phase(row), self.phase(4 + column));
        let last = self.last_pair.replace((row, column, row_phase, column_phase));
        let Some((last_row, last_column, last_row_phase, last_column_phase)) = last else {
            return true;
        };
        if (last_row, last_column) != (row, column) {
            // The first block of a pair: nothing to compare with yet.
            return true;
        }
        let drift = |i: usize, now: f32, before: f32| {
            let omega = (self.coefficients[i] / 2.0).acos();
            let moved = now - before - omega * BLOCK_LEN as f32;
            // Wrapped into (-π, π].
            let wrapped =
                moved - (2.0 * std::f32::consts::PI) * (moved / (2.0 * std::f32::consts::PI)).round();
            wrapped.abs() <= self.phase_limits[i]
        };
        drift(row, row_phase, last_row_phase) && drift(4 + column, column_phase, last_column_phase)
    }

    /// Which key, if any, this block's spectrum is.
    fn classify_block(&mut self) -> Option<Digit> {
        let n = BLOCK_LEN as f32;
        let mut power = [0.0f32; 8];
        for (i, p) in power.iter_mut().enumerate() {
            let raw = self.s1[i] * self.s1[i] + self.s2[i] * self.s2[i]
                - self.coefficients[i] * self.s1[i] * self.s2[i];
            // Scaled so a sine of amplitude A reads A²/2, its mean power.
            *p = 2.0 * raw / (n * n);
        }
        let (row, row_power) = strongest(&power[..4]);
        let (column, column_power) = strongest(&power[4..]);
        if row_power < self.min_tone_power || column_power < self.min_tone_power {
            self.last_pair = None;
            return None;
        }
        if !self.on_frequency(row, column) {
            return None;
        }
        let twist_limit = 10f32.powf(MAX_TWIST_DB / 10.0);
        if row_power > column_power * twist_limit || column_power > row_power * twist_limit {
            return None;
        }
        let clear_peak = |group: &[f32], winner: usize, peak: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, &p)| i == winner || peak >= MIN_PEAK_RATIO * p)
        };
        if !clear_peak(&power[..4], row, row_power) || !clear_peak(&power[4..], column, column_power) {
            return None;
        }
        let mean_power = self.energy / n;
        if row_power + column_power < MIN_PURITY * mean_power {
            return None;
        }
        Digit::at_keypad(row, column)
    }

    /// Apply the on/off timing rules to one block's verdict.
    fn track(&mut self, heard: Option<Digit>) -> Option<Digit> {
        if let Some(sounding) = self.sounding {
            if heard == Some(sounding) {
                self.silent_blocks = 0;
                return None;
            }
            self.silent_blocks += 1;
            if self.silent_blocks < CONFIRM_BLOCKS {
                return None;
            }
            self.sounding = None;
            self.candidate = None;
            self.candidate_blocks = 0;
        }
        if heard.is_some() && heard == self.candidate {
            self.candidate_blocks += 1;
        } else {
            self.candidate = heard;
            self.candidate_blocks = u8::from(heard.is_some());
        }
        if self.candidate_blocks >= CONFIRM_BLOCKS {
            self.sounding = self.candidate;
            self.silent_blocks = 0;
            return self.candidate;
        }
        None
    }
}

fn strongest(group: &[f32]) -> (usize, f32) {
    group.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, p)| if p > best.1 { (i, p) } else { best },
    )
}

#[cfg(test)]
mod tests;
