//! Recording a caller's spoken answer: decoded 8 kHz samples in, a stop when
//! the recording reaches its maximum length or the caller has been silent for
//! the cut-off, and an 8 kHz mono 16-bit WAV out (`hound`). Pure apart from
//! writing the file; the call feeds it frames.

use std::path::Path;
use std::time::Duration;

use thiserror::Error;

use crate::sip::media::SAMPLE_RATE;

/// Frame RMS below this counts as silence: about -45 dBm0, under a quiet
/// voice and above line noise on G.711.
pub const SILENCE_RMS: f64 = 150.0;
/// Longest recording we keep, whatever the flow asks: ten minutes of a
/// caller's answer is already far more than any survey question needs.
pub const MAX_RECORDING: Duration = Duration::from_secs(600);

#[derive(Debug, Error)]
pub enum RecordingError {
    #[error("writing recording {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: hound::Error,
    },
}

/// Limits of one recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpec {
    pub max_len: Duration,
    pub silence_end: Duration,
}

/// Why the recording stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEnd {
    MaxLength,
    Silence,
}

/// One recording in progress.
#[derive(Debug)]
pub struct Recorder {
    spec: RecordSpec,
    samples: Vec<i16>,
    silent_samples: usize,
}

fn samples_in(d: Duration) -> usize {
    (d.as_millis() as usize) * SAMPLE_RATE as usize / 1000
}

impl Recorder {
    pub fn new(spec: RecordSpec) -> Self {
        let spec = RecordSpec {
            max_len: spec.max_len.min(MAX_RECORDING),
            ..spec
        };
        Recorder {
            spec,
            samples: Vec::new(),
            silent_samples: 0,
        }
    }

    /// Add one frame; returns why to stop once a limit is reached.
    pub fn push(&mut self, frame: &[i16]) -> Option<RecordEnd> {
        let max = samples_in(self.spec.max_len);
        let room = max.saturating_sub(self.samples.len());
        self.samples.extend_from_slice(&frame[..frame.len().min(room)]);
        if self.samples.len() >= max {
            return Some(RecordEnd::MaxLength);
        }
        if rms(frame) < SILENCE_RMS {
            self.silent_samples += frame.len();
        } else {
            self.silent_samples = 0;
        }
        (self.silent_samples >= samples_in(self.spec.silence_end)).then_some(RecordEnd::Silence)
    }

    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE))
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// Write what was recorded as 8 kHz mono 16-bit PCM.
    pub fn write_wav(&self, path: &Path) -> Result<(), RecordingError> {
        let failed = |source| RecordingError::Write {
            path: path.display().to_string(),
            source,
        };
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).map_err(failed)?;
        for &s in &self.samples {
            writer.write_sample(s).map_err(failed)?;
        }
        writer.finalize().map_err(failed)
    }
}

fn rms(frame: &[i16]) -> f64 {
    if frame.is_empty() {
        return 0.0;
    }
    let sum: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / frame.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| (8000.0 * (i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin()) as i16)
            .collect()
    }

    #[test]
    fn stops_on_silence_after_speech_and_writes_a_readable_wav() {
        let mut r = Recorder::new(RecordSpec {
            max_len: Duration::from_secs(10),
            silence_end: Duration::from_millis(400),
        });
        for _ in 0..25 {
            assert_eq!(r.push(&tone(160)), None);
        }
        let mut end = None;
        for _ in 0..25 {
            if let Some(e) = r.push(&[3i16; 160]) {
                end = Some(e);
                break;
            }
        }
        assert_eq!(end, Some(RecordEnd::Silence));
        assert_eq!(r.duration(), Duration::from_millis(900));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answer.wav");
        r.write_wav(&path).unwrap();
        let back = crate::sip::prompts::read_wav(&path).unwrap();
        assert_eq!(back, r.samples());
    }

    #[test]
    fn stops_at_the_maximum_length_exactly() {
        let mut r = Recorder::new(RecordSpec {
            max_len: Duration::from_millis(100),
            silence_end: Duration::from_secs(5),
        });
        assert_eq!(r.push(&tone(480)), None);
        assert_eq!(r.push(&tone(480)), Some(RecordEnd::MaxLength));
        assert_eq!(r.samples().len(), 800);
    }
}
