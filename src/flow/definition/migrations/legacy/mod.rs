//! The legacy flow format (RapidPro exports before spec 13: `action_sets`,
//! `rule_sets`, `entry`, `metadata`, per-language text maps) rewritten as a
//! spec 13.0.0 definition, which the 13.x steps then bring up to date. Action
//! sets become nodes with actions and one exit; rule sets become nodes with a
//! router (and a wait, webhook, subflow or airtime action where the rule set
//! type implies one). Templates are migrated by `templates`. This module
//! must not know how flows execute.

mod actions;
mod rulesets;
pub mod templates;

use serde_json::{json, Map, Value};

/// A legacy definition that cannot be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyError {
    #[error("legacy flow has no metadata.uuid")]
    MissingUuid,
    #[error("legacy flow has an unknown action type '{0}'")]
    UnknownAction(String),
    #[error("legacy flow has an unknown rule set type '{0}'")]
    UnknownRuleSet(String),
    #[error("legacy flow has an unknown rule test type '{0}'")]
    UnknownTest(String),
    #[error("legacy flow field '{0}' has the wrong shape")]
    Malformed(&'static str),
}

/// The spec version a migrated legacy flow is written as.
const MIGRATED_VERSION: &str = "13.0.0";

fn new_uuid() -> String {
    crate::flow::ids::new_uuid()
}

/// Translations gathered while migrating: `localization[lang][uuid][property]`.
pub(crate) struct Localizer {
    base: String,
    localization: Map<String, Value>,
}

impl Localizer {
    fn new(base: &str) -> Self {
        Localizer {
            base: base.to_owned(),
            localization: Map::new(),
        }
    }

    /// The base-language text of a legacy translatable value (a plain string
    /// or a `{lang: text}` map), recording the other languages against
    /// `uuid`/`property`. Every text is migrated as a template.
    fn text(&mut self, value: Option<&Value>, uuid: &str, property: &str) -> String {
        self.texts(value.map(|v| vec![v.clone()]).unwrap_or_default(), uuid, property)
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    /// As `text`, for a list of translatable values localized as one list.
    fn texts(&mut self, values: Vec<Value>, uuid: &str, property: &str) -> Vec<String> {
        let mut base = Vec::new();
        let mut others: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for value in &values {
            match value {
                Value::String(s) => base.push(templates::migrate_template(s)),
                Value::Object(map) => {
                    let main = map
                        .get(&self.base)
                        .or_else(|| map.values().next())
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    base.push(templates::migrate_template(main));
                    for (lang, t) in map.iter().filter(|(l, _)| **l != self.base) {
                        if let Some(t) = t.as_str().filter(|t| !t.is_empty()) {
                            others
                                .entry(lang.clone())
                                .or_default()
                                .push(templates::migrate_template(t));
                        }
                    }
                }
                _ => {}
            }
        }
        for (lang, texts) in others {
            self.put(&lang, uuid, property, texts);
        }
        base
    }

    fn put(&mut self, lang: &str, uuid: &str, property: &str, texts: Vec<String>) {
        let item = self
            .localization
            .entry(lang.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|items| items.entry(uuid.to_owned()).or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut);
        if let Some(item) = item {
            item.insert(property.to_owned(), json!(texts));
        }
    }
}

fn flow_type(code: &str) -> &'static str {
    match code {
        "V" => "voice",
        "S" => "messaging_offline",
        _ => "messaging",
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Rewrites a legacy definition as a spec 13.0.0 one.
pub fn migrate(legacy: &Value) -> Result<Value, LegacyError> {
    let metadata = legacy.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let uuid = str_of(&metadata, "uuid");
    if uuid.is_empty() {
        return Err(LegacyError::MissingUuid);
    }
    let base = match str_of(legacy, "base_language") {
        "" => "base",
        lang => lang,
    };
    let mut loc = Localizer::new(base);
    let flow_type = flow_type(str_of(legacy, "flow_type"));

    let mut placed: Vec<(f64, f64, String, Value)> = Vec::new();
    let position = |v: &Value| {
        let n = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or_default();
        (n("y"), n("x"))
    };
    for set in list(legacy, "action_sets") {
        let node = actions::action_set_node(set, &mut loc)?;
        let (y, x) = position(set);
        placed.push((y, x, str_of(set, "uuid").to_owned(), node));
    }
    for set in list(legacy, "rule_sets") {
        let node = rulesets::rule_set_node(set, &mut loc)?;
        let (y, x) = position(set);
        placed.push((y, x, str_of(set, "uuid").to_owned(), node));
    }
    // The entry node comes first; the rest in reading order of the editor.
    let entry = str_of(legacy, "entry");
    placed.sort_by(|a, b| {
        (a.2 != entry)
            .cmp(&(b.2 != entry))
            .then(a.0.total_cmp(&b.0))
            .then(a.1.total_cmp(&b.1))
    });

    let mut flow = json!({
        "uuid": uuid,
        "name": str_of(&metadata, "name"),
        "spec_version": MIGRATED_VERSION,
        "language": base,
        "type": flow_type,
        "revision": metadata.get("revision").cloned().unwrap_or(json!(0)),
        "nodes": placed.into_iter().map(|p| p.3).collect::<Vec<_>>(),
        "localization": Value::Object(loc.localization),
    });
    if let Some(expires) = metadata.get("expires").and_then(Value::as_u64) {
        flow["expire_after_minutes"] = json!(expires);
    }
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn favorites() -> Value {
        json!({
            "version": "11.12", "flow_type": "M", "base_language": "eng",
            "entry": "a0000000-0000-4000-8000-000000000001",
            "metadata": {"uuid": "f0000000-0000-4000-8000-000000000001", "name": "Fav", "revision": 3, "expires": 60},
            "action_sets": [{
                "uuid": "a0000000-0000-4000-8000-000000000001", "x": 0, "y": 0,
                "destination": "b0000000-0000-4000-8000-000000000001",
                "exit_uuid": "e0000000-0000-4000-8000-000000000001",
                "actions": [{"type": "reply", "uuid": "c0000000-0000-4000-8000-000000000001",
                             "msg": {"eng": "Color?", "fra": "Couleur?"}}]
            }],
            "rule_sets": [{
                "uuid": "b0000000-0000-4000-8000-000000000001", "x": 0, "y": 100, "label": "Color",
                "ruleset_type": "wait_message", "operand": "@step.value",
                "rules": [
                    {"uuid": "d0000000-0000-4000-8000-000000000001", "category": {"eng": "Red", "fra": "Rouge"},
                     "test": {"type": "contains_any", "test": {"eng": "red", "fra": "rouge"}}},
                    {"uuid": "d0000000-0000-4000-8000-000000000002", "category": {"eng": "Other"},
                     "test": {"type": "true"}},
                    {"uuid": "d0000000-0000-4000-8000-000000000003", "category": {"eng": "No Response"},
                     "test": {"type": "timeout", "minutes": 5}}
                ]
            }]
        })
    }

    #[test]
    fn favorites_becomes_a_readable_13_flow() {
        let flow = migrate(&favorites()).unwrap();
        assert_eq!(flow["uuid"], "f0000000-0000-4000-8000-000000000001");
        assert_eq!(flow["expire_after_minutes"], 60);
        let nodes = flow["nodes"].as_array().unwrap();
        assert_eq!(nodes[0]["actions"][0]["type"], "send_msg");
        assert_eq!(
            nodes[0]["exits"][0]["destination_uuid"],
            "b0000000-0000-4000-8000-000000000001"
        );
        let router = &nodes[1]["router"];
        assert_eq!(router["operand"], "@input");
        assert_eq!(router["result_name"], "Color");
        assert_eq!(router["wait"]["timeout"]["seconds"], 300);
        assert_eq!(router["cases"][0]["type"], "has_any_word");
        assert_eq!(router["categories"].as_array().unwrap().len(), 3);
        let fra = &flow["localization"]["fra"];
        assert_eq!(
            fra["c0000000-0000-4000-8000-000000000001"]["text"],
            json!(["Couleur?"])
        );
        let read = crate::flow::definition::read_flow(&favorites()).unwrap();
        assert_eq!(read.nodes.len(), 2);
    }

    #[test]
    fn a_flow_without_metadata_uuid_is_refused() {
        let mut flow = favorites();
        flow["metadata"] = json!({});
        assert_eq!(migrate(&flow), Err(LegacyError::MissingUuid));
    }
}
