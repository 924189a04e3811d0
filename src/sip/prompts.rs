//! Recorded prompts: `prompts/<lang>/<name>.wav`, 8 kHz mono 16-bit PCM, read
//! once with `hound` and kept encoded in both G.711 laws so playing one costs
//! nothing per call. Knows nothing of flows (which prompt to play) or RTP.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::sip::media::codec::Codec;
use crate::sip::media::SAMPLE_RATE;

/// Longest prompt accepted: anything longer is a mistaken upload, and each second
/// costs 16 KB of memory for the two encodings.
pub const MAX_PROMPT: Duration = Duration::from_secs(300);
/// Prompts are stored as this many bits per sample; G.711 needs nothing finer.
const BITS_PER_SAMPLE: u16 = 16;

/// The default speech command for text without a recording: espeak-ng
/// speaks, sox makes it 8 kHz mono 16-bit (`{voice}`, `{lang}`, `{out}` are
/// filled in per prompt).
pub const DEFAULT_TTS: &str =
    "espeak-ng -v {voice} --stdin --stdout | sox -q -t wav - -r 8000 -c 1 -b 16 {out}";

/// Why a prompt could not be loaded or found.
#[derive(Debug, Error)]
pub enum PromptError {
    #[error("prompt directory {path} cannot be read: {source}")]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("prompt {path} is not a readable WAV file: {source}")]
    Unreadable { path: PathBuf, source: hound::Error },
    #[error("prompt {path} is {found}; prompts must be 8000 Hz mono 16-bit PCM (convert with `sox IN -r 8000 -c 1 -b 16 OUT.wav`)")]
    WrongFormat { path: PathBuf, found: String },
    #[error("prompt {path} is longer than {} s", MAX_PROMPT.as_secs())]
    TooLong { path: PathBuf },
    #[error("no prompt {name:?} in language {lang:?}")]
    Missing { lang: String, name: String },
}

/// One prompt, encoded once.
#[derive(Debug, Clone)]
pub struct Prompt {
    pcmu: Arc<[u8]>,
    pcma: Arc<[u8]>,
}

impl Prompt {
    /// Encode linear samples in both laws.
    pub fn from_samples(samples: &[i16]) -> Self {
        let mut pcmu = Vec::with_capacity(samples.len());
        let mut pcma = Vec::with_capacity(samples.len());
        Codec::Pcmu.encode_into(samples, &mut pcmu);
        Codec::Pcma.encode_into(samples, &mut pcma);
        Prompt {
            pcmu: pcmu.into(),
            pcma: pcma.into(),
        }
    }

    /// The audio in the call's codec, ready for `RtpHandle::play`.
    pub fn audio(&self, codec: Codec) -> Arc<[u8]> {
        match codec {
            Codec::Pcmu => Arc::clone(&self.pcmu),
            Codec::Pcma => Arc::clone(&self.pcma),
        }
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.pcmu.len() as f64 / f64::from(SAMPLE_RATE))
    }
}

/// Read one prompt file, refusing anything but 8 kHz mono 16-bit PCM.
pub fn read_wav(path: &Path) -> Result<Vec<i16>, PromptError> {
    let unreadable = |source| PromptError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let reader = hound::WavReader::open(path).map_err(unreadable)?;
    let spec = reader.spec();
    if spec.sample_rate != SAMPLE_RATE
        || spec.channels != 1
        || spec.bits_per_sample != BITS_PER_SAMPLE
        || spec.sample_format != hound::SampleFormat::Int
    {
        let found = format!(
            "{} Hz, {} channel(s), {}-bit {:?}",
            spec.sample_rate, spec.channels, spec.bits_per_sample, spec.sample_format
        );
        return Err(PromptError::WrongFormat {
            path: path.to_owned(),
            found,
        });
    }
    if u64::from(reader.duration()) > MAX_PROMPT.as_secs() * u64::from(SAMPLE_RATE) {
        return Err(PromptError::TooLong {
            path: path.to_owned(),
        });
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)
}

/// Every prompt under a directory, by language and name.
#[derive(Debug, Default)]
pub struct PromptLibrary {
    prompts: HashMap<(String, String), Prompt>,
}

impl PromptLibrary {
    /// Load `dir/<lang>/<name>.wav` for every language directory. Files not ending
    /// in `.wav` are skipped (READMEs, scripts); a bad `.wav` fails the whole load,
    /// naming the file, so a broken prompt is found at start-up rather than mid-call.
    pub fn load(dir: &Path) -> Result<Self, PromptError> {
        let mut prompts = HashMap::new();
        for lang_dir in read_dir(dir)? {
            if !lang_dir.is_dir() {
                continue;
            }
            let Some(lang) = lang_dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            for file in read_dir(&lang_dir)? {
                if file.extension().and_then(|e| e.to_str()) != Some("wav") {
                    continue;
                }
                let Some(name) = file.file_stem().and_then(|n| n.to_str()).map(str::to_owned) else {
                    continue;
                };
                let prompt = Prompt::from_samples(&read_wav(&file)?);
                prompts.insert((lang.clone(), name), prompt);
            }
        }
        Ok(PromptLibrary { prompts })
    }

    pub fn get(&self, lang: &str, name: &str) -> Result<&Prompt, PromptError> {
        self.prompts
            .get(&(lang.to_owned(), name.to_owned()))
            .ok_or_else(|| PromptError::Missing {
                lang: lang.to_owned(),
                name: name.to_owned(),
            })
    }

    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, PromptError> {
    let failed = |source| PromptError::Directory {
        path: dir.to_owned(),
        source,
    };
    let mut paths = std::fs::read_dir(dir)
        .map_err(failed)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    paths.sort();
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::media::{pcma, pcmu};

    fn write_wav(path: &Path, rate: u32, channels: u16, bits: u16, samples: &[i16]) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            if bits == 8 {
                writer.write_sample((s >> 8) as i8).unwrap();
            } else {
                writer.write_sample(s).unwrap();
            }
        }
        writer.finalize().unwrap();
    }

    fn ramp() -> Vec<i16> {
        (0..8000).map(|i| ((i * 37) % 20000 - 10000) as i16).collect()
    }

    #[test]
    fn loads_every_language_and_encodes_both_laws_once() {
        let dir = tempfile::tempdir().unwrap();
        for lang in ["eng", "fra"] {
            std::fs::create_dir(dir.path().join(lang)).unwrap();
            write_wav(&dir.path().join(lang).join("welcome.wav"), 8000, 1, 16, &ramp());
        }
        std::fs::write(dir.path().join("eng").join("README"), "not a prompt").unwrap();
        let library = PromptLibrary::load(dir.path()).unwrap();
        assert_eq!(library.len(), 2);
        let prompt = library.get("fra", "welcome").unwrap();
        assert_eq!(prompt.duration(), Duration::from_secs(1));
        let expected_u: Vec<u8> = ramp().iter().map(|&s| pcmu::encode(s)).collect();
        let expected_a: Vec<u8> = ramp().iter().map(|&s| pcma::encode(s)).collect();
        assert_eq!(&*prompt.audio(Codec::Pcmu), expected_u.as_slice());
        assert_eq!(&*prompt.audio(Codec::Pcma), expected_a.as_slice());
    }

    #[test]
    fn a_missing_prompt_names_language_and_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let library = PromptLibrary::load(dir.path()).unwrap();
        let err = library.get("swa", "menu").unwrap_err();
        assert_eq!(err.to_string(), "no prompt \"menu\" in language \"swa\"");
    }

    #[test]
    fn wrong_formats_are_refused_naming_the_file() {
        for (rate, channels, bits) in [(16000, 1, 16), (8000, 2, 16), (8000, 1, 8)] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("eng")).unwrap();
            let path = dir.path().join("eng").join("bad.wav");
            write_wav(&path, rate, channels, bits, &ramp());
            let err = PromptLibrary::load(dir.path()).unwrap_err();
            assert!(matches!(err, PromptError::WrongFormat { .. }), "{err}");
            assert!(err.to_string().contains("eng/bad.wav"), "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("eng")).unwrap();
        std::fs::write(dir.path().join("eng").join("junk.wav"), b"RIFF....WAVEjunk").unwrap();
        let err = PromptLibrary::load(dir.path()).unwrap_err();
        assert!(matches!(err, PromptError::Unreadable { .. }), "{err}");
        let err = PromptLibrary::load(&dir.path().join("absent")).unwrap_err();
        assert!(matches!(err, PromptError::Directory { .. }), "{err}");
    }
}
