//! Migrations that bring older flow definitions up to the newest minor of
//! their major version, applied to the raw JSON before it is typed (as the
//! reference engine does): legacy (pre-13) definitions are first rewritten
//! as 13.0.0 by `legacy`; then each step, named by the version it produces,
//! runs in order. A 13.x definition stops at 13.6.1 and runs with 13.x
//! semantics (result-based webhook, ticket and airtime splits, which the
//! conformance corpus pins); a 14.x definition (what RapidPro exports
//! today) is brought to 14.4.2 and runs with 14.x semantics (`@webhook.status`,
//! `@locals._new_*`, `note`). The whole chain (13.0 → 14.4.2) is there for
//! [`migrate_to`]. Definitions newer than 14.4.2 within 14.x are read as
//! they are. This module must not know how flows execute.

pub mod legacy;
mod refs;
mod v13;
mod v14;

use serde_json::Value;

/// A migration step: the version it produces and the rewrite it applies.
type Step = (Version, fn(&mut Value));

/// The steps in order.
const STEPS: &[Step] = &[
    (Version(13, 1, 0), v13::to_13_1_0),
    (Version(13, 2, 0), v13::to_13_2_0),
    (Version(13, 3, 0), v13::to_13_3_0),
    (Version(13, 4, 0), v13::to_13_4_0),
    (Version(13, 5, 0), v13::to_13_5_0),
    (Version(13, 6, 0), v13::to_13_6_0),
    (Version(13, 6, 1), v13::to_13_6_1),
    (Version(14, 0, 0), v14::to_14_0_0),
    (Version(14, 1, 0), v14::to_14_1_0),
    (Version(14, 2, 0), v14::to_14_2_0),
    (Version(14, 3, 0), v14::to_14_3_0),
    (Version(14, 3, 1), v14::to_14_3_1),
    (Version(14, 4, 0), v14::to_14_4_0),
    (Version(14, 4, 1), v14::to_14_4_1),
    (Version(14, 4, 2), v14::to_14_4_2),
];

/// Where a 13.x definition stops: 13.x semantics, as the corpus pins them.
pub const LATEST_13: Version = Version(13, 6, 1);

/// Where a 14.x definition is brought to.
pub const LATEST_14: Version = Version(14, 4, 2);

/// The newest major version this engine reads.
const MAX_MAJOR: u32 = 14;

/// A semantic version `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.trim().split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().unwrap_or(Some(0))?;
        let patch = parts.next().unwrap_or(Some(0))?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// True for the pre-13 format with `action_sets` / `rule_sets`.
pub fn is_legacy(flow: &Value) -> bool {
    // Spec 13 flows may carry `metadata` too; only a flow without `nodes` is legacy.
    flow.get("nodes").is_none()
        && (flow.get("action_sets").is_some()
            || flow.get("rule_sets").is_some()
            || flow.get("metadata").is_some())
}

/// Migrates a definition to the newest version of its major that this
/// engine knows (legacy and 13.x → 13.6.1, 14.x → 14.4.2).
pub fn migrate(flow: Value) -> Result<Value, String> {
    let is_14 = !is_legacy(&flow)
        && flow
            .get("spec_version")
            .and_then(Value::as_str)
            .and_then(Version::parse)
            .is_some_and(|v| v.0 == 14);
    migrate_to(flow, if is_14 { LATEST_14 } else { LATEST_13 })
}

/// Migrates a 13.x or 14.x definition up to (and including) `target`.
pub fn migrate_to(mut flow: Value, target: Version) -> Result<Value, String> {
    if is_legacy(&flow) {
        flow = legacy::migrate(&flow).map_err(|e| format!("unable to migrate legacy flow: {e}"))?;
    }
    let raw = flow
        .get("spec_version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if raw.is_empty() {
        return Err("field 'spec_version' is required".to_owned());
    }
    let version =
        Version::parse(raw).ok_or_else(|| format!("field 'spec_version' '{raw}' is not a valid version"))?;
    if version.0 < 13 {
        return Err(format!(
            "spec version {version} is older than 13 and not supported"
        ));
    }
    if version.0 > MAX_MAJOR {
        return Err(format!(
            "spec version {version} is newer than this engine reads ({MAX_MAJOR}.x)"
        ));
    }
    for (to, step) in STEPS {
        if version < *to && *to <= target {
            step(&mut flow);
            if let Some(obj) = flow.as_object_mut() {
                obj.insert("spec_version".to_owned(), Value::String(to.to_string()));
            }
        }
    }
    Ok(flow)
}

/// Applies `f` to every template string of a flow: the strings inside
/// actions, router operands and case arguments, and translations.
fn for_each_template(flow: &mut Value, f: &mut dyn FnMut(&mut String)) {
    fn walk(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
        match v {
            Value::String(s) => f(s),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k != "uuid" && k != "type" {
                        walk(v, f);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(Value::Array(nodes)) = flow.get_mut("nodes") {
        for node in nodes {
            if let Some(actions) = node.get_mut("actions") {
                walk(actions, f);
            }
            if let Some(router) = node.get_mut("router") {
                if let Some(operand) = router.get_mut("operand") {
                    walk(operand, f);
                }
                if let Some(Value::Array(cases)) = router.get_mut("cases") {
                    for case in cases {
                        if let Some(args) = case.get_mut("arguments") {
                            walk(args, f);
                        }
                    }
                }
            }
        }
    }
    if let Some(loc) = flow.get_mut("localization") {
        walk(loc, f);
    }
}

/// Every action object of a flow.
fn actions_mut(flow: &mut Value) -> impl Iterator<Item = &mut Value> {
    flow.get_mut("nodes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|n| n.get_mut("actions").and_then(Value::as_array_mut))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_missing_parts() {
        assert_eq!(Version::parse("13"), Some(Version(13, 0, 0)));
        assert_eq!(Version::parse("13.6.1"), Some(Version(13, 6, 1)));
        assert_eq!(Version::parse("13.x"), None);
    }

    #[test]
    fn each_major_stops_at_its_newest_minor() {
        let flow = |v: &str| serde_json::json!({"spec_version": v, "type": "messaging", "nodes": []});
        assert_eq!(migrate(flow("13.0.0")).unwrap()["spec_version"], "13.6.1");
        assert_eq!(migrate(flow("14.0.0")).unwrap()["spec_version"], "14.4.2");
        assert_eq!(migrate(flow("14.6.0")).unwrap()["spec_version"], "14.6.0");
        assert_eq!(
            migrate_to(flow("13.6.1"), LATEST_14).unwrap()["spec_version"],
            "14.4.2"
        );
    }

    #[test]
    fn a_14_0_ticket_split_runs_every_14_step() {
        let flow = serde_json::json!({"spec_version": "14.0.0", "type": "messaging", "nodes": [{
            "uuid": "n1",
            "actions": [{"uuid": "a1", "type": "open_ticket", "body": "Call back", "result_name": "Ticket"}],
            "router": {"type": "switch", "operand": "@results.ticket",
                "cases": [{"uuid": "k1", "type": "has_category", "arguments": ["Success"], "category_uuid": "c1"}],
                "categories": [{"uuid": "c1", "name": "Success", "exit_uuid": "e1"},
                               {"uuid": "c2", "name": "Failure", "exit_uuid": "e1"}],
                "default_category_uuid": "c2"},
            "exits": [{"uuid": "e1"}]}]});
        let got = migrate(flow).unwrap();
        let node = &got["nodes"][0];
        assert_eq!(
            node["actions"][0],
            serde_json::json!({"uuid": "a1", "type": "open_ticket", "note": "Call back"})
        );
        assert_eq!(node["router"]["operand"], "@locals._new_ticket");
        assert_eq!(node["router"]["result_name"], "Ticket");
    }

    #[test]
    fn newer_majors_are_refused() {
        let flow = serde_json::json!({"spec_version": "15.0.0"});
        assert!(migrate(flow).unwrap_err().contains("newer"));
    }
}
