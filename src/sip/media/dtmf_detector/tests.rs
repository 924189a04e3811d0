//! Generated tones, with noise and level changes, and speech-like negatives.

use super::*;

/// Deterministic noise so failures reproduce.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    /// Roughly Gaussian with unit variance (sum of twelve uniforms).
    fn gaussian(&mut self) -> f32 {
        (0..12).map(|_| self.uniform()).sum()
    }
}

fn amplitude(dbm0: f32) -> f32 {
    DBM0_PEAK * 10f32.powf(dbm0 / 20.0)
}

fn ms(n: usize) -> usize {
    n * 8
}

/// A key's tone pair at `dbm0` per tone, with a row/column level difference.
fn tone(digit: Digit, dbm0: f32, twist_db: f32, len: usize, phase_at: usize, offset_pct: f32) -> Vec<f32> {
    let (row, column) = digit.keypad_position();
    let scale = 1.0 + offset_pct / 100.0;
    let (fr, fc) = (ROW_HZ[row] * scale, COLUMN_HZ[column] * scale);
    let (ar, ac) = (amplitude(dbm0), amplitude(dbm0 + twist_db));
    (phase_at..phase_at + len)
        .map(|n| {
            let t = n as f32 / 8000.0;
            ar * (2.0 * std::f32::consts::PI * fr * t).sin()
                + ac * (2.0 * std::f32::consts::PI * fc * t).sin()
        })
        .collect()
}

fn silence(len: usize) -> Vec<f32> {
    vec![0.0; len]
}

/// Add white noise at `snr_db` below the mean power of the signal's loud parts.
fn with_noise(signal: &[f32], snr_db: f32, seed: u64) -> Vec<i16> {
    let loud: Vec<f32> = signal.iter().copied().filter(|s| s.abs() > 1.0).collect();
    let power = loud.iter().map(|s| s * s).sum::<f32>() / loud.len().max(1) as f32;
    let sigma = (power / 10f32.powf(snr_db / 10.0)).sqrt();
    let mut noise = Noise(seed);
    signal
        .iter()
        .map(|s| (s + sigma * noise.gaussian()).clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn quantise(signal: &[f32]) -> Vec<i16> {
    signal.iter().map(|s| s.clamp(-32768.0, 32767.0) as i16).collect()
}

fn detect(samples: &[i16], chunk: usize) -> String {
    let mut detector = DtmfDetector::new();
    samples
        .chunks(chunk)
        .flat_map(|c| detector.push(c))
        .map(|d| d.digit.as_char())
        .collect()
}

/// Every key, 50 ms on and 50 ms off, in one signal.
fn all_keys(dbm0: f32, twist_db: f32, offset_pct: f32) -> (Vec<f32>, String) {
    let mut signal = silence(ms(30));
    let mut expected = String::new();
    for digit in Digit::all() {
        signal.extend(tone(digit, dbm0, twist_db, ms(50), signal.len(), offset_pct));
        signal.extend(silence(ms(50)));
        expected.push(digit.as_char());
    }
    (signal, expected)
}

#[test]
fn every_key_is_heard_once_at_every_level_with_noise() {
    for dbm0 in [-25.0, -15.0, -3.0] {
        let (signal, expected) = all_keys(dbm0, 0.0, 0.0);
        assert_eq!(
            detect(&with_noise(&signal, 15.0, 7), 160),
            expected,
            "{dbm0} dBm0"
        );
    }
}

#[test]
fn frame_size_does_not_matter() {
    let (signal, expected) = all_keys(-10.0, 0.0, 0.0);
    let samples = quantise(&signal);
    for chunk in [1, 80, 160, 240, 1000] {
        assert_eq!(detect(&samples, chunk), expected, "chunk {chunk}");
    }
}

#[test]
fn twist_and_frequency_error_within_tolerance_are_accepted() {
    for (twist, offset) in [(6.0, 0.0), (-6.0, 0.0), (0.0, 1.5), (0.0, -1.5), (4.0, 1.0)] {
        let (signal, expected) = all_keys(-12.0, twist, offset);
        assert_eq!(
            detect(&with_noise(&signal, 20.0, 3), 160),
            expected,
            "twist {twist} offset {offset}"
        );
    }
}

#[test]
fn excessive_twist_is_rejected() {
    let (signal, _) = all_keys(-20.0, 14.0, 0.0);
    assert_eq!(detect(&quantise(&signal), 160), "");
}

#[test]
fn a_level_change_inside_one_press_is_still_one_press() {
    let mut signal = tone(Digit::D5, -6.0, 0.0, ms(100), 0, 0.0);
    let len = signal.len();
    signal.extend(tone(Digit::D5, -24.0, 0.0, ms(100), len, 0.0));
    signal.extend(silence(ms(60)));
    assert_eq!(detect(&with_noise(&signal, 15.0, 11), 160), "5");
}

#[test]
fn repeated_key_needs_a_pause_and_is_counted_per_press() {
    let mut signal = Vec::new();
    for _ in 0..3 {
        let len = signal.len();
        signal.extend(tone(Digit::D8, -10.0, 0.0, ms(45), len, 0.0));
        signal.extend(silence(ms(45)));
    }
    assert_eq!(detect(&with_noise(&signal, 15.0, 5), 160), "888");
}

#[test]
fn too_short_tones_and_noise_alone_are_not_digits() {
    let mut signal = silence(ms(20));
    for digit in [Digit::D1, Digit::D9] {
        let len = signal.len();
        signal.extend(tone(digit, -10.0, 0.0, ms(20), len, 0.0));
        signal.extend(silence(ms(60)));
    }
    assert_eq!(detect(&quantise(&signal), 160), "");
    let mut noise = Noise(99);
    let white: Vec<i16> = (0..ms(2000))
        .map(|_| (3000.0 * noise.gaussian()) as i16)
        .collect();
    assert_eq!(detect(&white, 160), "");
}

#[test]
fn single_tones_are_not_digits() {
    for hz in ROW_HZ.iter().chain(COLUMN_HZ.iter()) {
        let signal: Vec<f32> = (0..ms(200))
            .map(|n| amplitude(-6.0) * (2.0 * std::f32::consts::PI * hz * n as f32 / 8000.0).sin())
            .collect();
        assert_eq!(detect(&quantise(&signal), 160), "", "{hz} Hz");
    }
}

/// A vowel: harmonics of a gliding pitch shaped by two formants, as voiced speech is.
fn vowel(f0: f32, f1: f32, f2: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let t = n as f32 / 8000.0;
            let pitch = f0 * (1.0 + 0.05 * (2.0 * std::f32::consts::PI * 4.0 * t).sin());
            (1..=30)
                .map(|h| {
                    let f = pitch * h as f32;
                    if f > 3800.0 {
                        return 0.0;
                    }
                    let formant = |centre: f32| 1.0 / (1.0 + ((f - centre) / 90.0).powi(2));
                    let gain = formant(f1) + 0.7 * formant(f2) + 0.05;
                    gain * (2.0 * std::f32::consts::PI * f * t).sin()
                })
                .sum::<f32>()
                * 3000.0
        })
        .collect()
}

#[test]
fn speech_like_sounds_are_not_digits() {
    // Formant pairs for /a/, /i/, /u/, /e/ and vowels placed right on DTMF pairs.
    let vowels = [
        (110.0, 730.0, 1090.0),
        (130.0, 270.0, 2290.0),
        (220.0, 300.0, 870.0),
        (180.0, 530.0, 1840.0),
        (116.0, 697.0, 1209.0),
        (174.0, 852.0, 1477.0),
        (235.0, 941.0, 1336.0),
    ];
    for (f0, f1, f2) in vowels {
        let signal = vowel(f0, f1, f2, ms(600));
        assert_eq!(
            detect(&with_noise(&signal, 30.0, 1), 160),
            "",
            "vowel {f0}/{f1}/{f2}"
        );
    }
}

#[test]
fn detection_reports_the_confirming_sample() {
    let mut signal = silence(BLOCK_LEN * 3);
    let len = signal.len();
    signal.extend(tone(Digit::Pound, -10.0, 0.0, ms(60), len, 0.0));
    let mut detector = DtmfDetector::new();
    let found = detector.push(&quantise(&signal));
    assert_eq!(
        found,
        vec![DetectedDigit {
            digit: Digit::Pound,
            at_sample: (BLOCK_LEN * 5) as u64
        }]
    );
}
