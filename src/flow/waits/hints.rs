//! Hints tell the host what input a `msg` wait expects, so a voice host can
//! gather digits or record audio.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Hint {
    /// A fixed number of keypresses (`count`) or digits ended by a key.
    Digits {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        terminated_by: Option<String>,
    },
    Audio,
    Image,
    Video,
    Location,
}
