//! The assets a session runs against: flows, fields, groups, channels,
//! labels and globals, read from a RapidPro export or the corpus' assets
//! files. The host loads them once and shares them between sessions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::flow::actions::templating::MsgTemplate;
use crate::flow::assets::NamedRef;
use crate::flow::definition::export::{Export, ExportError, FieldDecl, FlowProblem, GroupDecl};
use crate::flow::definition::Flow;

/// A channel the engine can send through.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Channel {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub schemes: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub country: Option<String>,
    /// Optional abilities (`optins`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

impl Channel {
    pub fn reference(&self) -> NamedRef {
        NamedRef {
            uuid: self.uuid.clone(),
            name: self.name.clone(),
        }
    }
}

/// A workspace global (`@globals.key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Global {
    pub key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// A resthook: a name other systems subscribe URLs to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Resthook {
    pub slug: String,
    #[serde(default)]
    pub subscribers: Vec<String>,
}

/// A classifier (NLU service) a flow may call; `type` names the provider.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Classifier {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub intents: Vec<String>,
}

/// A user tickets may be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct User {
    pub email: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Extras {
    #[serde(default)]
    channels: Vec<Channel>,
    #[serde(default)]
    resthooks: Vec<Resthook>,
    #[serde(default)]
    classifiers: Vec<Classifier>,
    #[serde(default)]
    topics: Vec<NamedRef>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    optins: Vec<NamedRef>,
    #[serde(default)]
    templates: Vec<MsgTemplate>,
    #[serde(default)]
    locations: Vec<crate::flow::expressions::Location>,
    #[serde(default)]
    labels: Vec<NamedRef>,
    #[serde(default)]
    globals: Vec<Global>,
}

#[derive(Debug, Clone, Default)]
pub struct SessionAssets {
    pub flows: Vec<Flow>,
    /// Flows that failed to read; starting or entering one is an error.
    pub broken: Vec<FlowProblem>,
    pub fields: Vec<FieldDecl>,
    pub groups: Vec<GroupDecl>,
    pub channels: Vec<Channel>,
    pub labels: Vec<NamedRef>,
    pub globals: Vec<Global>,
    pub resthooks: Vec<Resthook>,
    pub classifiers: Vec<Classifier>,
    pub topics: Vec<NamedRef>,
    pub users: Vec<User>,
    pub optins: Vec<NamedRef>,
    /// WhatsApp message templates `send_msg` may use.
    pub templates: Vec<MsgTemplate>,
    /// The location tree `has_state` / `has_district` / `has_ward` use.
    pub locations: Option<std::sync::Arc<crate::flow::expressions::LocationTree>>,
}

impl SessionAssets {
    pub fn from_value(raw: Value) -> Result<SessionAssets, ExportError> {
        let extras: Extras = serde_json::from_value(raw.clone()).unwrap_or_default();
        let export = Export::from_value(raw)?;
        Ok(SessionAssets {
            flows: export.flows,
            broken: export.problems,
            fields: export.fields,
            groups: export.groups,
            channels: extras.channels,
            labels: extras.labels,
            globals: extras.globals,
            resthooks: extras.resthooks,
            classifiers: extras.classifiers,
            topics: extras.topics,
            users: extras.users,
            optins: extras.optins,
            templates: extras.templates,
            locations: (!extras.locations.is_empty()).then(|| {
                std::sync::Arc::new(crate::flow::expressions::LocationTree {
                    roots: extras.locations,
                })
            }),
        })
    }

    pub fn flow(&self, uuid: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.uuid == uuid)
    }

    pub fn template(&self, uuid: &str) -> Option<&MsgTemplate> {
        self.templates.iter().find(|t| t.uuid == uuid)
    }

    pub fn field(&self, key: &str) -> Option<&FieldDecl> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn group(&self, uuid: &str) -> Option<&GroupDecl> {
        self.groups.iter().find(|g| g.uuid == uuid)
    }

    pub fn group_by_name(&self, name: &str) -> Option<&GroupDecl> {
        self.groups.iter().find(|g| g.name.eq_ignore_ascii_case(name))
    }

    pub fn resthook(&self, slug: &str) -> Option<&Resthook> {
        self.resthooks.iter().find(|r| r.slug == slug)
    }

    pub fn classifier(&self, uuid: &str) -> Option<&Classifier> {
        self.classifiers.iter().find(|c| c.uuid == uuid)
    }

    pub fn channel(&self, uuid: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.uuid == uuid)
    }

    /// The first channel that can send to URNs of `scheme`.
    pub fn channel_for_scheme(&self, scheme: &str) -> Option<&Channel> {
        self.channels
            .iter()
            .find(|c| c.schemes.iter().any(|s| s == scheme) && c.roles.iter().any(|r| r == "send"))
    }
}
