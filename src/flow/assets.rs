//! References from a flow definition to things outside it (flows, groups,
//! fields, channels, labels, templates, …) as they appear on the wire. The
//! engine resolves them against the host's assets at run time; this module
//! must not know where those assets live.

use serde::{Deserialize, Serialize};

/// A reference to another flow (`enter_flow`, `start_session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRef {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
}

/// A reference to a contact group: by UUID and name, or by a name template
/// (`name_match`) resolved at run time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GroupRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_match: Option<String>,
}

/// A reference to a contact field by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRef {
    pub key: String,
    #[serde(default)]
    pub name: String,
}

/// A reference with a UUID and a display name: channels, labels, templates,
/// classifiers, topics, opt-ins, contacts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NamedRef {
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub name: String,
}

/// A label reference, which like a group may be a name template.
pub type LabelRef = GroupRef;

/// A user reference (ticket assignee): by e-mail, or by an e-mail template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_match: Option<String>,
}

/// Who a `send_broadcast` or `start_session` reaches, besides the contact.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Recipients {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<NamedRef>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact_query: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urns: Vec<String>,
    /// Templates from legacy flows that evaluate to URNs or contact UUIDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legacy_vars: Vec<String>,
}
