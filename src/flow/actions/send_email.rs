//! `send_email`: send an e-mail through the host's `Services`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendEmail {
    pub uuid: String,
    pub addresses: Vec<String>,
    pub subject: String,
    #[serde(default)]
    pub body: String,
}
