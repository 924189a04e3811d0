//! `say_msg`: speak text (or play a recording) on a voice call.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SayMsg {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_url: Option<String>,
}
