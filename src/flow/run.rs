//! A run: one contact's way through one flow: the path of steps taken, the
//! results saved, run-local variables, and how it ended. Sessions hold a
//! stack of runs (parents waiting on subflows).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::flow::assets::FlowRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Active,
    Waiting,
    Completed,
    Expired,
    Interrupted,
    Failed,
}

impl RunStatus {
    pub fn wire_name(self) -> &'static str {
        match self {
            RunStatus::Active => "active",
            RunStatus::Waiting => "waiting",
            RunStatus::Completed => "completed",
            RunStatus::Expired => "expired",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }

    pub fn is_done(self) -> bool {
        !matches!(self, RunStatus::Active | RunStatus::Waiting)
    }
}

/// One visit to a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub uuid: String,
    pub node_uuid: String,
    pub arrived_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_uuid: Option<String>,
}

/// A saved result (`@results.<key>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category_localized: String,
    pub node_uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<RawJson>,
    pub created_on: String,
}

/// JSON kept as the text it came in (a result's `extra`: a webhook's
/// response body as received), which `@legacy_extra` shows as it is. It
/// serialises as that JSON, inline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The value written compactly.
    pub fn from_value(value: &serde_json::Value) -> RawJson {
        // A `Value` always serialises.
        RawJson(serde_json::value::to_raw_value(value).unwrap_or_default())
    }

    /// `text` as it is, when it is JSON.
    pub fn parse(text: &str) -> Option<RawJson> {
        RawValue::from_string(text.trim().to_owned()).ok().map(RawJson)
    }

    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The JSON value (`null` if the text was not JSON after all).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.text() == other.text()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub uuid: String,
    pub flow: FlowRef,
    pub status: RunStatus,
    #[serde(default)]
    pub path: Vec<Step>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub results: BTreeMap<String, RunResult>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locals: BTreeMap<String, String>,
    pub created_on: String,
    /// When the run last changed (an event, a result, a step, a wait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_on: Option<String>,
    #[serde(default)]
    pub exited_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_uuid: Option<String>,
}

impl Run {
    /// How many times the run has been at `node_uuid`.
    pub fn visits(&self, node_uuid: &str) -> usize {
        self.path.iter().filter(|s| s.node_uuid == node_uuid).count()
    }

    pub fn current_node(&self) -> Option<&str> {
        self.path.last().map(|s| s.node_uuid.as_str())
    }
}

/// The key a result name is saved under (`Favorite Color` → `favorite_color`).
pub fn result_key(name: &str) -> String {
    crate::flow::expressions::text::snakify(name)
}
