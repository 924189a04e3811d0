//! `mhero flow check --prompts DIR`: for each voice flow, every `say_msg` and
//! `play_audio` in every language the flow has, is there something to play?
//! A recording is `DIR/<lang>/<name>.wav` (the audio URL's file stem, as the
//! gateway maps it); a `say_msg` with text and no recording is spoken by the
//! text-to-speech command when one is available. Audio URLs that are
//! expressions (`@results.message`) are only known during a call and are not
//! checked.

use std::path::Path;

use crate::dispatch::voice::audio::prompt_name;
use crate::flow::actions::Action;
use crate::flow::definition::{Flow, FlowType, Translation};
use crate::sip::prompts::PromptLibrary;

/// Whether text without a recording can be spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TtsAvailability {
    /// Spoken if espeak-ng (the gateway's default command) is installed here.
    Auto,
    Yes,
    No,
}

/// The program the default text-to-speech command runs.
const DEFAULT_TTS_PROGRAM: &str = "espeak-ng";

impl TtsAvailability {
    /// Resolve `Auto` by looking for the default command's program on `PATH`.
    pub fn resolve(self) -> bool {
        match self {
            TtsAvailability::Yes => true,
            TtsAvailability::No => false,
            TtsAvailability::Auto => std::env::var_os("PATH").is_some_and(|paths| {
                std::env::split_paths(&paths).any(|dir| dir.join(DEFAULT_TTS_PROGRAM).is_file())
            }),
        }
    }
}

/// One thing a voice flow would say with nothing to play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPrompt {
    pub flow: String,
    pub language: String,
    pub action_uuid: String,
    pub action_type: &'static str,
    /// The recording looked for, when the action names one.
    pub wanted: Option<String>,
}

impl std::fmt::Display for MissingPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "flow '{}' [{}] {} {}: ",
            self.flow, self.language, self.action_type, self.action_uuid
        )?;
        match &self.wanted {
            Some(file) => write!(f, "no prompt {file}")?,
            None => write!(f, "no audio_url")?,
        }
        if self.action_type == "say_msg" {
            write!(f, " and no text-to-speech fallback")?;
        }
        Ok(())
    }
}

/// The first string of a translated property, if the language has one.
fn translated<'a>(flow: &'a Flow, lang: &str, uuid: &str, property: &str) -> Option<&'a str> {
    match flow.localization.get(lang)?.get(uuid)?.get(property)? {
        Translation::Texts(texts) => texts.first().map(String::as_str),
        Translation::Other(_) => None,
    }
}

/// Every say/play of every voice flow in `flows`, in every language of its
/// flow, that has neither a prompt under `dir` nor (for text) `tts`.
pub fn missing_prompts(flows: &[Flow], prompts: &PromptLibrary, dir: &Path, tts: bool) -> Vec<MissingPrompt> {
    let mut missing = Vec::new();
    for flow in flows.iter().filter(|f| f.flow_type == FlowType::Voice) {
        let mut languages = vec![flow.language.clone()];
        languages.extend(flow.localization.keys().filter(|l| **l != flow.language).cloned());
        for lang in &languages {
            for node in &flow.nodes {
                for action in &node.actions {
                    let (uuid, action_type, base_url, base_text) = match action {
                        Action::SayMsg(a) => (&a.uuid, "say_msg", a.audio_url.as_deref(), a.text.as_str()),
                        Action::PlayAudio(a) => (&a.uuid, "play_audio", Some(a.audio_url.as_str()), ""),
                        _ => continue,
                    };
                    let url = translated(flow, lang, uuid, "audio_url")
                        .or(base_url)
                        .filter(|u| !u.trim().is_empty());
                    let text = translated(flow, lang, uuid, "text").unwrap_or(base_text);
                    if url.is_some_and(|u| u.contains('@')) {
                        continue;
                    }
                    let wanted = url.map(|u| {
                        let name = prompt_name(u);
                        (name, dir.join(lang).join(format!("{name}.wav")))
                    });
                    if let Some((name, _)) = &wanted {
                        if prompts.get(lang, name).is_ok() {
                            continue;
                        }
                    }
                    if tts && !text.trim().is_empty() {
                        continue;
                    }
                    missing.push(MissingPrompt {
                        flow: flow.name.clone(),
                        language: lang.clone(),
                        action_uuid: uuid.clone(),
                        action_type,
                        wanted: wanted.map(|(_, path)| path.display().to_string()),
                    });
                }
            }
        }
    }
    missing
}
