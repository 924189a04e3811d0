//! What a voice flow's `ivr_created` event sounds like: its recording
//! (`audio_url`, mapped by file name to `prompts/<lang>/<name>.wav`), else
//! its text spoken by a text-to-speech command, run once per text and
//! language and cached on disk and in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::flow::events::MsgOut;
use crate::sip::prompts::{read_wav, Prompt, PromptError, PromptLibrary};

/// Longest text sent to the speech command: a prompt, not a document.
pub const MAX_TTS_TEXT: usize = 2000;

#[derive(Debug, Error)]
pub enum AudioError {
    #[error("prompt {0}")]
    Prompt(#[from] PromptError),
    #[error("no recording and no text to speak")]
    Nothing,
    #[error("no text-to-speech command is configured for {0:?}")]
    NoTts(String),
    #[error("text-to-speech command failed: {0}")]
    Tts(String),
    #[error("text of {0} characters is longer than the {MAX_TTS_TEXT} we speak")]
    TooLong(usize),
}

/// Prompts on disk plus spoken text, shared by every call of a gateway.
#[derive(Debug)]
pub struct AudioSource {
    prompts: PromptLibrary,
    default_language: String,
    tts_command: String,
    cache_dir: PathBuf,
    spoken: Mutex<HashMap<String, Arc<Prompt>>>,
}

/// The prompt name an audio URL stands for: its last path segment without
/// the extension (`https://host/eng/q1.wav` and `q1.m4a` both mean `q1`).
pub fn prompt_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let file = path.rsplit('/').next().unwrap_or(path);
    file.split('.').next().unwrap_or(file)
}

/// ISO 639-3 language of a flow locale (`eng-US` → `eng`).
fn language_of(locale: Option<&str>) -> Option<&str> {
    locale
        .and_then(|l| l.split(['-', '_']).next())
        .filter(|l| !l.is_empty())
}

/// espeak-ng's voice for an ISO 639-3 code; unknown codes pass through.
fn espeak_voice(lang: &str) -> &str {
    match lang {
        "eng" => "en",
        "fra" => "fr",
        "swa" => "sw",
        "por" => "pt",
        "spa" => "es",
        "ara" => "ar",
        "amh" => "am",
        "hin" => "hi",
        other => other,
    }
}

impl AudioSource {
    pub fn new(
        prompts: PromptLibrary,
        default_language: &str,
        tts_command: &str,
        cache_dir: PathBuf,
    ) -> Self {
        AudioSource {
            prompts,
            default_language: default_language.to_owned(),
            tts_command: tts_command.to_owned(),
            cache_dir,
            spoken: Mutex::new(HashMap::new()),
        }
    }

    pub fn prompts(&self) -> &PromptLibrary {
        &self.prompts
    }

    /// The audio of one `ivr_created` message.
    pub async fn for_msg(&self, msg: &MsgOut) -> Result<Arc<Prompt>, AudioError> {
        let lang = language_of(msg.locale.as_deref()).unwrap_or(&self.default_language);
        let audio_url = msg.attachments.iter().find_map(|a| {
            a.strip_prefix("audio:")
                .or_else(|| a.split_once(':').map(|(_, u)| u))
        });
        if let Some(url) = audio_url {
            let name = prompt_name(url);
            match self.prompts.get(lang, name) {
                Ok(prompt) => return Ok(Arc::new(prompt.clone())),
                Err(err) if msg.text.trim().is_empty() => return Err(err.into()),
                Err(err) => tracing::warn!(%err, "recording missing; speaking the text instead"),
            }
        }
        if msg.text.trim().is_empty() {
            return Err(AudioError::Nothing);
        }
        self.speak(lang, &msg.text).await
    }

    /// Speech for `text`, from the cache or the command.
    pub async fn speak(&self, lang: &str, text: &str) -> Result<Arc<Prompt>, AudioError> {
        if text.chars().count() > MAX_TTS_TEXT {
            return Err(AudioError::TooLong(text.chars().count()));
        }
        if self.tts_command.trim().is_empty() {
            return Err(AudioError::NoTts(lang.to_owned()));
        }
        let key: String = Sha256::digest(format!("{lang}\n{text}").as_bytes())
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        if let Some(hit) = self.lock().get(&key) {
            return Ok(Arc::clone(hit));
        }
        let file = self.cache_dir.join(format!("{key}.wav"));
        if !file.exists() {
            self.run_tts(lang, text, &file).await?;
        }
        let prompt = Arc::new(Prompt::from_samples(&read_wav(&file)?));
        self.lock().insert(key, Arc::clone(&prompt));
        Ok(prompt)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Prompt>>> {
        // A cache: a panic mid-insert leaves at worst a missing entry.
        self.spoken.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run_tts(&self, lang: &str, text: &str, out: &Path) -> Result<(), AudioError> {
        use tokio::io::AsyncWriteExt;
        std::fs::create_dir_all(&self.cache_dir).map_err(|e| AudioError::Tts(e.to_string()))?;
        // Written next to the cache entry and renamed, so a crash leaves no half file.
        let partial = out.with_extension("part.wav");
        let command = self
            .tts_command
            .replace("{voice}", espeak_voice(lang))
            .replace("{lang}", lang)
            .replace("{out}", &shell_quote(&partial.display().to_string()));
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| AudioError::Tts(format!("{command}: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .await
                .map_err(|e| AudioError::Tts(e.to_string()))?;
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|e| AudioError::Tts(e.to_string()))?;
        if !output.status.success() {
            return Err(AudioError::Tts(format!(
                "{command}: {} {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        std::fs::rename(&partial, out).map_err(|e| AudioError::Tts(e.to_string()))
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_urls_name_prompts_by_file_stem() {
        assert_eq!(prompt_name("https://example.org/eng/q1.wav?x=1"), "q1");
        assert_eq!(prompt_name("q2.m4a"), "q2");
        assert_eq!(prompt_name("welcome"), "welcome");
        assert_eq!(language_of(Some("eng-US")), Some("eng"));
        assert_eq!(language_of(None), None);
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
    }
}
