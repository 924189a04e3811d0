//! Waits: where a run stops until the host resumes it. `msg` waits for a
//! reply (with an optional timeout and an input hint for voice); `dial`
//! waits for a dialled call to end. This module must not know how the host
//! delivers replies.

pub mod dial;
pub mod hints;
pub mod msg;

use serde::{Deserialize, Serialize};

use crate::flow::definition::Allowed;

pub use dial::DialWait;
pub use hints::Hint;
pub use msg::{MsgWait, Timeout};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Wait {
    Msg(MsgWait),
    Dial(DialWait),
}

impl Wait {
    pub fn type_name(&self) -> &'static str {
        match self {
            Wait::Msg(_) => "msg",
            Wait::Dial(_) => "dial",
        }
    }

    pub fn allowed(&self) -> Allowed {
        match self {
            Wait::Msg(_) => Allowed::Interactive,
            Wait::Dial(_) => Allowed::Voice,
        }
    }
}
