//! A RapidPro export file (`version`, `site`, `flows`, `campaigns`,
//! `triggers`, `fields`, `groups`) or a bare flow definition. Flows are read
//! one by one so a broken flow is reported by name without losing the rest.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{read_flow, Flow, ReadError};
use crate::flow::assets::{FlowRef, GroupRef, NamedRef};

/// A contact field declared by an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDecl {
    pub key: String,
    #[serde(default, alias = "label")]
    pub name: String,
    #[serde(default, alias = "value_type")]
    #[serde(rename = "type")]
    pub value_type: String,
}

/// A group declared by an export (`query` set for smart groups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDecl {
    pub uuid: String,
    pub name: String,
    #[serde(default)]
    pub query: Option<String>,
}

/// A keyword / catch-all / call trigger declared by an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerDecl {
    pub trigger_type: String,
    #[serde(default)]
    pub flow: Option<FlowRef>,
    #[serde(default)]
    pub groups: Vec<GroupRef>,
    #[serde(default)]
    pub exclude_groups: Vec<GroupRef>,
    #[serde(default)]
    pub channel: Option<NamedRef>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Older exports carry one `keyword` instead of `keywords`.
    #[serde(default, skip_serializing)]
    pub keyword: Option<String>,
    #[serde(default)]
    pub match_type: Option<String>,
}

impl TriggerDecl {
    pub fn all_keywords(&self) -> Vec<String> {
        let mut all = self.keywords.clone();
        all.extend(self.keyword.iter().filter(|k| !k.is_empty()).cloned());
        all
    }
}

/// A campaign declared by an export; its events are kept as JSON for the
/// scheduler, which owns their meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDecl {
    pub uuid: String,
    pub name: String,
    pub group: GroupRef,
    #[serde(default)]
    pub events: Vec<Value>,
}

/// The non-flow parts of an export, read leniently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ExportHeader {
    #[serde(default)]
    version: Option<Value>,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    campaigns: Vec<CampaignDecl>,
    #[serde(default)]
    triggers: Vec<TriggerDecl>,
    #[serde(default)]
    fields: Vec<FieldDecl>,
    #[serde(default)]
    groups: Vec<GroupDecl>,
}

/// One flow of an export that failed to read, named as well as possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("flow '{name}' ({uuid}): {error}")]
pub struct FlowProblem {
    pub name: String,
    pub uuid: String,
    pub error: ReadError,
}

/// Why an export file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("neither a RapidPro export (with 'flows') nor a flow definition (with 'nodes')")]
    NotAnExport,
    #[error("unable to read export {what}: {message}")]
    BadSection { what: &'static str, message: String },
}

/// A loaded export: the flows that read, and a problem for each that did not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    pub version: Option<String>,
    pub site: Option<String>,
    pub flows: Vec<Flow>,
    pub problems: Vec<FlowProblem>,
    pub campaigns: Vec<CampaignDecl>,
    pub triggers: Vec<TriggerDecl>,
    pub fields: Vec<FieldDecl>,
    pub groups: Vec<GroupDecl>,
}

impl Export {
    /// Parses an export file or a bare flow definition.
    pub fn parse(text: &str) -> Result<Export, ExportError> {
        let raw: Value = serde_json::from_str(text)?;
        Export::from_value(raw)
    }

    pub fn from_value(raw: Value) -> Result<Export, ExportError> {
        let (header, flows) = match raw {
            Value::Object(ref obj) if obj.contains_key("flows") => {
                let header: ExportHeader =
                    serde_path_to_error::deserialize(&raw).map_err(|e| ExportError::BadSection {
                        what: "header",
                        message: e.to_string(),
                    })?;
                let flows = match obj.get("flows") {
                    Some(Value::Array(flows)) => flows.clone(),
                    _ => {
                        return Err(ExportError::BadSection {
                            what: "flows",
                            message: "'flows' must be a list".to_owned(),
                        })
                    }
                };
                (header, flows)
            }
            Value::Object(ref obj) if obj.contains_key("nodes") || obj.contains_key("action_sets") => {
                (ExportHeader::default(), vec![raw])
            }
            _ => return Err(ExportError::NotAnExport),
        };
        let mut export = Export {
            version: header.version.map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            site: header.site,
            campaigns: header.campaigns,
            triggers: header.triggers,
            fields: header.fields,
            groups: header.groups,
            ..Export::default()
        };
        for raw_flow in flows {
            match read_flow(&raw_flow) {
                Ok(flow) => export.flows.push(flow),
                Err(error) => export.problems.push(FlowProblem {
                    name: flow_label(&raw_flow, "name"),
                    uuid: flow_label(&raw_flow, "uuid"),
                    error,
                }),
            }
        }
        Ok(export)
    }

    pub fn flow_by_uuid(&self, uuid: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.uuid == uuid)
    }

    /// Finds a flow by exact name, then case-insensitively.
    pub fn flow_by_name(&self, name: &str) -> Option<&Flow> {
        self.flows
            .iter()
            .find(|f| f.name == name)
            .or_else(|| self.flows.iter().find(|f| f.name.eq_ignore_ascii_case(name)))
    }
}

/// A flow's name or UUID for error messages, looking in the legacy
/// `metadata` too.
fn flow_label(raw: &Value, key: &str) -> String {
    raw.get(key)
        .or_else(|| raw.get("metadata").and_then(|m| m.get(key)))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_FLOWS: &str = r#"{
        "version": "13", "site": "https://textit.com",
        "flows": [
            {"uuid": "11111111-1111-4111-8111-111111111111", "name": "Good", "spec_version": "13.1.0",
             "language": "eng", "type": "messaging",
             "nodes": [{"uuid": "22222222-2222-4222-8222-222222222222",
                        "actions": [{"uuid": "33333333-3333-4333-8333-333333333333", "type": "send_msg", "text": "Hi"}],
                        "exits": [{"uuid": "44444444-4444-4444-8444-444444444444"}]}]},
            {"uuid": "55555555-5555-4555-8555-555555555555", "name": "Bad", "spec_version": "13.1.0",
             "language": "eng", "type": "messaging",
             "nodes": [{"uuid": "66666666-6666-4666-8666-666666666666", "exits": []}]}
        ],
        "campaigns": [], "triggers": [{"trigger_type": "K", "keyword": "join",
            "flow": {"uuid": "11111111-1111-4111-8111-111111111111", "name": "Good"}}],
        "fields": [{"key": "district", "name": "District", "type": "text"}],
        "groups": [{"uuid": "77777777-7777-4777-8777-777777777777", "name": "Nurses", "query": null}]
    }"#;

    #[test]
    fn a_broken_flow_is_reported_by_name_and_the_rest_load() {
        let export = Export::parse(TWO_FLOWS).unwrap();
        assert_eq!(export.flows.len(), 1);
        assert_eq!(export.flows[0].spec_version, "13.6.1");
        assert_eq!(export.problems.len(), 1);
        assert_eq!(
            export.problems[0].to_string(),
            "flow 'Bad' (55555555-5555-4555-8555-555555555555): unable to read node: \
             field 'exits' must have a minimum of 1 items"
        );
        assert_eq!(export.triggers[0].all_keywords(), vec!["join".to_owned()]);
        assert_eq!(export.fields[0].key, "district");
        assert_eq!(export.groups[0].name, "Nurses");
    }

    #[test]
    fn flows_round_trip_through_json() {
        let export = Export::parse(TWO_FLOWS).unwrap();
        let flow = &export.flows[0];
        let json = serde_json::to_value(flow).unwrap();
        let again = read_flow(&json).unwrap();
        assert_eq!(&again, flow);
    }

    #[test]
    fn garbage_is_not_an_export() {
        assert!(matches!(Export::parse("[1,2]"), Err(ExportError::NotAnExport)));
        assert!(matches!(Export::parse("{"), Err(ExportError::NotJson(_))));
    }
}
