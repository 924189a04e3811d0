//! What the engine reports: every change to the contact, every message to
//! send, every wait and every problem is an event in the sprint's list, in
//! order. The host applies them (send, persist) and shows them. This module
//! must not know how the host delivers or stores them.

use serde::{Deserialize, Serialize};

use crate::flow::assets::{FieldRef, FlowRef, NamedRef};
use crate::flow::contact::FieldValue;
use crate::flow::waits::Hint;

/// A message the flow sends (`msg_created`, `ivr_created`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MsgOut {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<NamedRef>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsendable_reason: Option<String>,
    /// The message template used, with its components and variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templating: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickReply {
    pub text: String,
}

/// A message from the contact (trigger or resume input).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MsgIn {
    #[serde(default)]
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<NamedRef>,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// One event: what happened, when, and at which step of the path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(flatten)]
    pub kind: EventKind,
    pub created_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    MsgCreated {
        msg: MsgOut,
    },
    IvrCreated {
        msg: MsgOut,
    },
    MsgReceived {
        msg: MsgIn,
    },
    MsgWait {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_seconds: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_on: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<Hint>,
    },
    DialWait {
        urn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dial_limit_seconds: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_limit_seconds: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_on: Option<String>,
    },
    DialEnded {
        dial: serde_json::Value,
    },
    WaitTimedOut {},
    RunExpired {
        run_uuid: String,
    },
    RunResultChanged {
        name: String,
        value: String,
        #[serde(default)]
        category: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<serde_json::Value>,
        /// The value and category this result had before, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<serde_json::Value>,
    },
    EnvironmentRefreshed {
        environment: serde_json::Value,
    },
    ContactRefreshed {
        contact: crate::flow::contact::Contact,
    },
    FlowEntered {
        flow: FlowRef,
        parent_run_uuid: String,
        terminal: bool,
    },
    ContactFieldChanged {
        field: FieldRef,
        value: Option<FieldValue>,
    },
    ContactNameChanged {
        name: String,
    },
    ContactLanguageChanged {
        language: String,
    },
    ContactTimezoneChanged {
        timezone: String,
    },
    ContactStatusChanged {
        status: String,
    },
    ContactUrnsChanged {
        urns: Vec<String>,
    },
    ContactGroupsChanged {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        groups_added: Vec<NamedRef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        groups_removed: Vec<NamedRef>,
    },
    EmailSent {
        to: Vec<String>,
        subject: String,
        body: String,
    },
    InputLabelsAdded {
        input_uuid: String,
        labels: Vec<NamedRef>,
    },
    Error {
        text: String,
    },
    Failure {
        text: String,
    },
    Warning {
        text: String,
    },
    /// Events for the host's outside services (sessions to start, broadcasts,
    /// webhook calls, e-mails, tickets, …) carry their reference-engine
    /// payload as it is.
    #[serde(untagged)]
    Service(serde_json::Value),
}

impl EventKind {
    pub fn error(text: impl Into<String>) -> EventKind {
        EventKind::Error { text: text.into() }
    }
}
