//! A flow definition as RapidPro exports it (spec 13.x, plus the 14.x deltas
//! read on load): the flow header, nodes, exits and localization. Reading
//! goes raw JSON → migrations → required-field checks → typed structs →
//! semantic validation (`read`). This module must not know how runs execute.

pub mod export;
pub mod migrations;
pub mod read;
pub mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flow::actions::Action;
use crate::flow::routers::Router;

pub use read::{read_flow, ReadError};

/// The spec version legacy and 13.x definitions are migrated up to (14.x
/// definitions go to `migrations::LATEST_14`).
pub const CURRENT_SPEC_VERSION: &str = "13.6.1";

/// Default expiry of messaging flows when the definition gives none (3 days).
pub const DEFAULT_MESSAGING_EXPIRY_MINUTES: u32 = 3 * 24 * 60;

/// Default expiry of voice flows: a call should not hang on a stale wait.
pub const DEFAULT_VOICE_EXPIRY_MINUTES: u32 = 5;

/// The kind of flow, which decides which actions and waits it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowType {
    Messaging,
    MessagingBackground,
    MessagingOffline,
    Voice,
}

impl FlowType {
    pub fn wire_name(self) -> &'static str {
        match self {
            FlowType::Messaging => "messaging",
            FlowType::MessagingBackground => "messaging_background",
            FlowType::MessagingOffline => "messaging_offline",
            FlowType::Voice => "voice",
        }
    }

    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "messaging" => Some(FlowType::Messaging),
            "messaging_background" => Some(FlowType::MessagingBackground),
            "messaging_offline" => Some(FlowType::MessagingOffline),
            "voice" => Some(FlowType::Voice),
            _ => None,
        }
    }
}

/// Which flow types an action or wait may appear in (goflow's groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Every flow type.
    Universal,
    /// Flows with a person on the other end: messaging, offline, voice.
    Interactive,
    /// Flows run by the server: messaging, background, voice.
    Online,
    /// Voice flows only.
    Voice,
}

impl Allowed {
    pub fn permits(self, flow_type: FlowType) -> bool {
        match self {
            Allowed::Universal => true,
            Allowed::Interactive => flow_type != FlowType::MessagingBackground,
            Allowed::Online => flow_type != FlowType::MessagingOffline,
            Allowed::Voice => flow_type == FlowType::Voice,
        }
    }
}

/// `localization[lang][item uuid][property] = [strings]`.
pub type Localization = BTreeMap<String, BTreeMap<String, BTreeMap<String, Translation>>>;

/// One translated property: a list of strings, or (from editors that store
/// their own state in the same place, like `_ui`) anything else, kept as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Translation {
    Texts(Vec<String>),
    Other(serde_json::Value),
}

/// A flow definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub uuid: String,
    pub name: String,
    pub spec_version: String,
    #[serde(default = "undetermined_language")]
    pub language: String,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    #[serde(default)]
    pub revision: i64,
    #[serde(default)]
    pub expire_after_minutes: u32,
    #[serde(default)]
    pub localization: Localization,
    #[serde(default)]
    pub nodes: Vec<Node>,
}

fn undetermined_language() -> String {
    "und".to_owned()
}

impl Flow {
    /// Minutes a waiting run may sit before it expires.
    pub fn expiry_minutes(&self) -> u32 {
        match (self.expire_after_minutes, self.flow_type) {
            (0, FlowType::Voice) => DEFAULT_VOICE_EXPIRY_MINUTES,
            (0, _) => DEFAULT_MESSAGING_EXPIRY_MINUTES,
            (m, _) => m,
        }
    }

    pub fn node(&self, uuid: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.uuid == uuid)
    }

    /// The translation of `property` of item `uuid` in `lang`, if any.
    pub fn translation(&self, lang: &str, uuid: &str, property: &str) -> Option<&[String]> {
        match self.localization.get(lang)?.get(uuid)?.get(property)? {
            Translation::Texts(texts) => Some(texts.as_slice()),
            Translation::Other(_) => None,
        }
    }
}

/// A node: actions run on entry, then the router picks an exit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub uuid: String,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<Router>,
    pub exits: Vec<Exit>,
}

impl Node {
    pub fn exit(&self, uuid: &str) -> Option<&Exit> {
        self.exits.iter().find(|e| e.uuid == uuid)
    }
}

/// A way out of a node; no destination ends the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_uuid: Option<String>,
}
