//! `play_audio`: play a recording on a voice call.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayAudio {
    pub uuid: String,
    pub audio_url: String,
}
