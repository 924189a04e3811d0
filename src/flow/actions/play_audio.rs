//! `play_audio`: play a recording on a voice call.

use super::exec::new_msg;
use super::exec::voice_msg;
use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayAudio {
    pub uuid: String,
    pub audio_url: String,
}

impl PlayAudio {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let (audio, lang) = s.localized(&a.uuid, "audio_url", std::slice::from_ref(&a.audio_url));
        let Some(url) = s.template_ok(audio.first().map(String::as_str).unwrap_or_default()) else {
            return Outcome::Continue;
        };
        if url.trim().is_empty() {
            s.error("audio URL evaluated to empty, skipping");
        } else {
            let msg = voice_msg(new_msg(
                s,
                String::new(),
                vec![format!("audio:{url}")],
                Vec::new(),
                &lang,
                None,
            ));
            s.emit(EventKind::IvrCreated { msg });
        }
        Outcome::Continue
    }
}
