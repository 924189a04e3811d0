//! In-band DTMF detection as a call hears it: tone pairs generated at levels
//! from -3 to -30 dBm0, white noise at several signal-to-noise ratios, twist,
//! level changes inside one press, through the G.711 encoder and decoder (µ-law
//! and A-law, as the RTP session decodes them), fed in 20 ms frames. And the
//! other side: noise alone, speech-like sounds and single tones through the
//! same path must produce no digit. Every signal comes from a seeded generator,
//! so a failure reproduces.

use mhero::sip::media::codec::Codec;
use mhero::sip::media::digit::Digit;
use mhero::sip::media::dtmf_detector::{DtmfDetector, DBM0_PEAK};

const RATE: f64 = 8000.0;
/// What the RTP session hands the detector: one 20 ms frame at a time.
const FRAME: usize = 160;
const ROW_HZ: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLUMN_HZ: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const CODECS: [Codec; 2] = [Codec::Pcmu, Codec::Pcma];

/// xorshift64 with a Box-Muller Gaussian: deterministic white noise.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn ms(n: usize) -> usize {
    n * 8
}

/// Peak amplitude of a sine at `dbm0`.
fn amplitude(dbm0: f64) -> f64 {
    f64::from(DBM0_PEAK) * 10f64.powf(dbm0 / 20.0)
}

/// A signal under construction, in floating point until it is encoded.
#[derive(Default)]
struct Signal {
    samples: Vec<f64>,
    expected: String,
}

impl Signal {
    fn silence(&mut self, len: usize) -> &mut Self {
        self.samples.extend(std::iter::repeat_n(0.0, len));
        self
    }

    /// One press of `digit`: the row tone at `row_dbm0`, the column tone
    /// `twist_db` louder (forward twist), its level multiplied by `envelope`
    /// (0..1 through the press).
    fn press(
        &mut self,
        digit: Digit,
        row_dbm0: f64,
        twist_db: f64,
        len: usize,
        envelope: impl Fn(f64) -> f64,
    ) -> &mut Self {
        let (row, column) = digit.keypad_position();
        let (ar, ac) = (amplitude(row_dbm0), amplitude(row_dbm0 + twist_db));
        let start = self.samples.len();
        for i in 0..len {
            let t = (start + i) as f64 / RATE;
            let gain = envelope(i as f64 / len as f64);
            self.samples.push(
                gain * (ar * (2.0 * std::f64::consts::PI * ROW_HZ[row] * t).sin()
                    + ac * (2.0 * std::f64::consts::PI * COLUMN_HZ[column] * t).sin()),
            );
        }
        self.expected.push(digit.as_char());
        self
    }

    /// Every key once, 60 ms on and 60 ms off (well above Q.24's 40 ms minimums).
    fn all_keys(row_dbm0: f64, twist_db: f64) -> Signal {
        let mut s = Signal::default();
        s.silence(ms(40));
        for digit in Digit::all() {
            s.press(digit, row_dbm0, twist_db, ms(60), |_| 1.0);
            s.silence(ms(60));
        }
        s
    }

    /// Add white noise whose power is `snr_db` below the power of one tone
    /// at `tone_dbm0` (the weaker tone of the pair when there is twist).
    fn with_noise(&mut self, tone_dbm0: f64, snr_db: f64, seed: u64) -> &mut Self {
        let tone_power = amplitude(tone_dbm0).powi(2) / 2.0;
        let sigma = (tone_power / 10f64.powf(snr_db / 10.0)).sqrt();
        let mut noise = Noise(seed);
        for s in &mut self.samples {
            *s += sigma * noise.gaussian();
        }
        self
    }
}

/// The samples as the far end's codec carries them and our RTP session decodes them.
fn through_g711(samples: &[f64], codec: Codec) -> Vec<i16> {
    let linear: Vec<i16> = samples
        .iter()
        .map(|s| s.round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let mut wire = Vec::new();
    codec.encode_into(&linear, &mut wire);
    let mut decoded = Vec::new();
    codec.decode_into(&wire, &mut decoded);
    decoded
}

/// Keys heard, in order, when `samples` arrive in 20 ms frames.
fn heard(samples: &[i16]) -> String {
    let mut detector = DtmfDetector::new();
    samples
        .chunks(FRAME)
        .flat_map(|frame| detector.push(frame))
        .map(|d| d.digit.as_char())
        .collect()
}

fn heard_over(signal: &Signal, codec: Codec) -> String {
    heard(&through_g711(&signal.samples, codec))
}

#[test]
fn every_key_at_every_level_from_minus_3_to_minus_30_dbm0_clean() {
    for dbm0 in [-3.0, -6.0, -10.0, -15.0, -20.0, -25.0, -30.0] {
        let signal = Signal::all_keys(dbm0, 0.0);
        for codec in CODECS {
            assert_eq!(
                heard_over(&signal, codec),
                signal.expected,
                "{dbm0} dBm0 over {codec:?}"
            );
        }
    }
}

#[test]
fn every_key_at_every_level_with_white_noise_at_several_snrs() {
    let mut seed = 1;
    for dbm0 in [-3.0, -10.0, -20.0, -25.0, -30.0] {
        for snr in [30.0, 20.0, 15.0, 12.0] {
            for codec in CODECS {
                seed += 1;
                let mut signal = Signal::all_keys(dbm0, 0.0);
                signal.with_noise(dbm0, snr, seed);
                assert_eq!(
                    heard_over(&signal, codec),
                    signal.expected,
                    "{dbm0} dBm0, SNR {snr} dB, {codec:?}"
                );
            }
        }
    }
}

#[test]
fn twist_within_the_limits_is_accepted_at_several_levels() {
    // Forward twist (column louder) up to 4 dB and reverse up to 8 dB are what
    // exchanges send (Q.24); the detector allows 8 dB either way.
    for row_dbm0 in [-6.0, -15.0, -24.0] {
        for twist in [-6.0, -4.0, 4.0, 6.0] {
            let weaker = row_dbm0 + f64::min(twist, 0.0);
            let mut signal = Signal::all_keys(row_dbm0, twist);
            signal.with_noise(weaker, 20.0, 77);
            for codec in CODECS {
                assert_eq!(
                    heard_over(&signal, codec),
                    signal.expected,
                    "row {row_dbm0} dBm0, twist {twist} dB, {codec:?}"
                );
            }
        }
    }
}

#[test]
fn twist_far_beyond_the_limit_is_not_a_key() {
    for twist in [-14.0, 14.0] {
        let signal = Signal::all_keys(-12.0, twist);
        for codec in CODECS {
            assert_eq!(heard_over(&signal, codec), "", "twist {twist} dB, {codec:?}");
        }
    }
}

/// A press's level through its length (0..1 in, gain out).
type Envelope = fn(f64) -> f64;

#[test]
fn level_changes_inside_a_press_make_one_key() {
    let shapes: [(&str, Envelope); 4] = [
        // A 20 dB step down halfway (a line that switches gain mid-press).
        ("step down", |x| if x < 0.5 { 1.0 } else { 0.1 }),
        // A 20 dB step up.
        ("step up", |x| if x < 0.5 { 0.1 } else { 1.0 }),
        // A steady 20 dB fade over the press.
        ("fade", |x| 10f64.powf(-x)),
        // A 6 dB tremble three times through the press.
        ("tremble", |x| {
            0.75 + 0.25 * (2.0 * std::f64::consts::PI * 3.0 * x).cos()
        }),
    ];
    for (name, shape) in shapes {
        for loud in [-4.0, -10.0] {
            let mut signal = Signal::default();
            signal.silence(ms(40));
            for digit in [Digit::D1, Digit::D5, Digit::D9, Digit::Pound] {
                signal.press(digit, loud, 0.0, ms(200), shape);
                signal.silence(ms(80));
            }
            signal.with_noise(loud - 20.0, 15.0, 5);
            for codec in CODECS {
                assert_eq!(
                    heard_over(&signal, codec),
                    signal.expected,
                    "{name} from {loud} dBm0, {codec:?}"
                );
            }
        }
    }
}

#[test]
fn the_same_key_pressed_again_after_a_short_pause_counts_twice() {
    let mut signal = Signal::default();
    for _ in 0..4 {
        signal.press(Digit::D3, -12.0, 0.0, ms(50), |_| 1.0);
        signal.silence(ms(50));
    }
    signal.with_noise(-12.0, 20.0, 9);
    for codec in CODECS {
        assert_eq!(heard_over(&signal, codec), "3333", "{codec:?}");
    }
}

#[test]
fn a_dropout_too_short_to_be_a_pause_does_not_split_a_press() {
    // 10 ms of nothing in a 200 ms press (a lost packet, concealed as silence).
    let mut signal = Signal::default();
    signal.press(Digit::D7, -10.0, 0.0, ms(200), |x| {
        if (0.5..0.55).contains(&x) {
            0.0
        } else {
            1.0
        }
    });
    signal.silence(ms(60));
    for codec in CODECS {
        assert_eq!(heard_over(&signal, codec), "7", "{codec:?}");
    }
}

#[test]
fn tones_below_the_sensitivity_floor_are_not_keys() {
    let signal = Signal::all_keys(-42.0, 0.0);
    for codec in CODECS {
        assert_eq!(heard_over(&signal, codec), "", "{codec:?}");
    }
}

#[test]
fn noise_alone_at_any_level_is_never_a_key() {
    for (i, dbm0) in [-40.0, -30.0, -20.0, -10.0, -3.0].into_iter().enumerate() {
        // Ten seconds of noise whose total power is `dbm0`.
        let mut signal = Signal::default();
        signal.silence(ms(10_000));
        signal.with_noise(dbm0, 0.0, 1000 + i as u64);
        for codec in CODECS {
            assert_eq!(heard_over(&signal, codec), "", "noise at {dbm0} dBm0, {codec:?}");
        }
    }
}

/// Voiced speech: harmonics of a gliding pitch, shaped by two formants that
/// move from one vowel to the next, under a syllable envelope (4 per second).
fn speech(f0: f64, vowels: &[(f64, f64)], len: usize, dbm0: f64, seed: u64) -> Vec<f64> {
    let mut noise = Noise(seed);
    let mut phase = 0.0f64;
    let per_vowel = len / vowels.len();
    let mut out = Vec::with_capacity(len);
    let scale = amplitude(dbm0);
    for n in 0..len {
        let t = n as f64 / RATE;
        let k = (n / per_vowel).min(vowels.len() - 1);
        let next = (k + 1).min(vowels.len() - 1);
        let x = (n % per_vowel) as f64 / per_vowel as f64;
        let f1 = vowels[k].0 + (vowels[next].0 - vowels[k].0) * x;
        let f2 = vowels[k].1 + (vowels[next].1 - vowels[k].1) * x;
        let pitch = f0 * (1.0 + 0.08 * (2.0 * std::f64::consts::PI * 3.0 * t).sin());
        phase += 2.0 * std::f64::consts::PI * pitch / RATE;
        let mut v = 0.0;
        for h in 1..=40 {
            let f = pitch * h as f64;
            if f > 3600.0 {
                break;
            }
            let formant = |centre: f64| 1.0 / (1.0 + ((f - centre) / 80.0).powi(2));
            v += (formant(f1) + 0.6 * formant(f2) + 0.03) * (phase * h as f64).sin();
        }
        let syllable = (std::f64::consts::PI * 4.0 * t).sin().abs();
        // Breath and fricatives: a little noise throughout.
        out.push(scale * 0.3 * (syllable * v + 0.05 * noise.gaussian()));
    }
    out
}

/// Three seconds of speech-like sound for each voice, formant path and
/// loudness, through both codecs: the keys the detector heard, in all.
fn keys_heard_in_speech(paths: &[&[(f64, f64)]]) -> (String, f64) {
    let mut heard_keys = String::new();
    let mut seconds = 0.0;
    let mut seed = 50;
    for f0 in [95.0, 120.0, 180.0, 230.0] {
        for path in paths {
            for dbm0 in [-25.0, -12.0, -3.0] {
                seed += 1;
                let samples = speech(f0, path, ms(3000), dbm0, seed);
                for codec in CODECS {
                    heard_keys.push_str(&heard(&through_g711(&samples, codec)));
                    seconds += 3.0;
                }
            }
        }
    }
    (heard_keys, seconds)
}

#[test]
fn speech_like_sounds_are_never_keys() {
    // Formant paths through ordinary vowels (/a/ /i/ /u/ /e/, /o/ /ɪ/ /ɑ/).
    let paths: [&[(f64, f64)]; 2] = [
        &[(730.0, 1090.0), (270.0, 2290.0), (300.0, 870.0), (530.0, 1840.0)],
        &[(640.0, 1190.0), (390.0, 1990.0), (700.0, 1400.0)],
    ];
    let (keys, seconds) = keys_heard_in_speech(&paths);
    assert_eq!(keys, "", "false keys in {seconds} s of speech");
}

#[test]
fn row_tones_off_their_frequency_by_more_than_q24_allows_are_not_keys() {
    // Q.24: accept 1.5% off, reject 3.5% off. The row tones are shifted; the
    // column tones stay on frequency.
    for (offset, expected) in [(0.015, true), (-0.015, true), (0.04, false), (-0.04, false)] {
        let mut samples = vec![0.0; ms(40)];
        let mut keys = String::new();
        for digit in Digit::all() {
            let (row, column) = digit.keypad_position();
            let start = samples.len();
            for i in 0..ms(60) {
                let t = (start + i) as f64 / RATE;
                samples.push(
                    amplitude(-10.0)
                        * ((2.0 * std::f64::consts::PI * ROW_HZ[row] * (1.0 + offset) * t).sin()
                            + (2.0 * std::f64::consts::PI * COLUMN_HZ[column] * t).sin()),
                );
            }
            samples.extend(std::iter::repeat_n(0.0, ms(60)));
            keys.push(digit.as_char());
        }
        for codec in CODECS {
            let got = heard(&through_g711(&samples, codec));
            if expected {
                assert_eq!(got, keys, "rows {offset:+} off, {codec:?}");
            } else {
                assert_eq!(got, "", "rows {offset:+} off, {codec:?}");
            }
        }
    }
}

#[test]
fn a_single_tone_with_noise_is_not_a_key() {
    for hz in ROW_HZ.iter().chain(COLUMN_HZ.iter()) {
        let mut signal = Signal {
            samples: (0..ms(500))
                .map(|n| amplitude(-8.0) * (2.0 * std::f64::consts::PI * hz * n as f64 / RATE).sin())
                .collect(),
            ..Signal::default()
        };
        signal.with_noise(-8.0, 20.0, *hz as u64);
        for codec in CODECS {
            assert_eq!(heard_over(&signal, codec), "", "{hz} Hz, {codec:?}");
        }
    }
}

#[test]
fn keys_are_heard_over_speech_in_the_background() {
    // A caller keying while someone talks nearby, 10 dB under the tones.
    let mut signal = Signal::default();
    signal.silence(ms(100));
    for digit in [Digit::D2, Digit::D0, Digit::Star, Digit::D6] {
        signal.press(digit, -10.0, 0.0, ms(80), |_| 1.0);
        signal.silence(ms(120));
    }
    let talk = speech(
        140.0,
        &[(730.0, 1090.0), (300.0, 870.0)],
        signal.samples.len(),
        -20.0,
        3,
    );
    for (s, t) in signal.samples.iter_mut().zip(talk) {
        *s += t;
    }
    for codec in CODECS {
        assert_eq!(heard_over(&signal, codec), signal.expected, "{codec:?}");
    }
}
