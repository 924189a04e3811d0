//! `say_msg`: speak text (or play a recording) on a voice call.

use super::exec::new_msg;
use super::exec::voice_msg;
use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SayMsg {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_url: Option<String>,
}

impl SayMsg {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let (text, lang) = s.localized(&a.uuid, "text", std::slice::from_ref(&a.text));
        let text = s.template(text.first().map(String::as_str).unwrap_or_default());
        let (audio, _) = s.localized(&a.uuid, "audio_url", a.audio_url.as_slice());
        let attachments: Vec<String> = audio
            .iter()
            .filter(|u| !u.is_empty())
            .map(|u| format!("audio:{u}"))
            .collect();
        if text.trim().is_empty() && attachments.is_empty() {
            s.error("need either audio URL or backdown text, skipping");
        } else {
            let msg = voice_msg(new_msg(s, text, attachments, Vec::new(), &lang, None));
            s.emit(EventKind::IvrCreated { msg });
        }
        Outcome::Continue
    }
}
