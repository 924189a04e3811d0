//! The spec 13.x migration steps (13.0 → 13.6.1), each named by the version
//! it produces. They work on raw JSON so they can change shapes.

use serde_json::{json, Map, Value};

use super::{actions_mut, for_each_template, refs};
use crate::flow::actions::{MAX_CATEGORY_NAME_CHARS, MAX_RESULT_NAME_CHARS};

fn new_uuid() -> String {
    crate::flow::ids::new_uuid()
}

/// Cuts to `max` characters, dropping whitespace left at the cut.
fn truncate(s: &str, max: usize) -> String {
    let cut: String = s.chars().take(max).collect();
    cut.trim_end().to_owned()
}

/// 13.1.0: `send_msg` templating gets its own UUID (for localization).
pub fn to_13_1_0(flow: &mut Value) {
    for action in actions_mut(flow) {
        if let Some(templating) = action.get_mut("templating").and_then(Value::as_object_mut) {
            templating
                .entry("uuid")
                .or_insert_with(|| Value::String(new_uuid()));
        }
    }
}

/// 13.2.0: the pseudo-language `base` becomes `und` (undetermined).
pub fn to_13_2_0(flow: &mut Value) {
    if flow.get("language").and_then(Value::as_str) == Some("base") {
        flow["language"] = Value::String("und".to_owned());
        if let Some(loc) = flow.get_mut("localization").and_then(Value::as_object_mut) {
            loc.remove("und");
        }
    }
}

/// 13.3.0: `@webhook` (the last response) becomes `@webhook.json`.
pub fn to_13_3_0(flow: &mut Value) {
    let rename = |chain: &str| {
        let head = chain.split('.').next().unwrap_or_default();
        head.eq_ignore_ascii_case("webhook")
            .then(|| format!("{head}.json{}", &chain[head.len()..]))
    };
    for_each_template(flow, &mut |s| {
        if s.contains('@') {
            *s = refs::rewrite(s, &rename);
        }
    });
}

/// 13.4.0: templating `variables` become a `body` component with `params`.
pub fn to_13_4_0(flow: &mut Value) {
    let mut moved = Vec::new();
    for action in actions_mut(flow) {
        let Some(templating) = action.get_mut("templating").and_then(Value::as_object_mut) else {
            continue;
        };
        let old_uuid = templating
            .remove("uuid")
            .and_then(|v| v.as_str().map(str::to_owned));
        let variables = templating.remove("variables").unwrap_or_else(|| json!([]));
        let component_uuid = new_uuid();
        templating.insert(
            "components".to_owned(),
            json!([{"uuid": component_uuid, "name": "body", "params": variables}]),
        );
        if let Some(old) = old_uuid {
            moved.push((old, component_uuid));
        }
    }
    if let Some(loc) = flow.get_mut("localization").and_then(Value::as_object_mut) {
        for items in loc.values_mut().filter_map(Value::as_object_mut) {
            for (old, new) in &moved {
                if let Some(mut item) = items.remove(old) {
                    if let Some(obj) = item.as_object_mut() {
                        if let Some(vars) = obj.remove("variables") {
                            obj.insert("params".to_owned(), vars);
                        }
                    }
                    items.insert(new.clone(), item);
                }
            }
        }
    }
}

/// 13.5.0: templating components flatten into `template` and
/// `template_variables` on the action, translations likewise.
pub fn to_13_5_0(flow: &mut Value) {
    /// A component's UUID and its untranslated params.
    type Component = (String, Vec<Value>);
    let mut flattened: Vec<(String, Vec<Component>)> = Vec::new();
    for action in actions_mut(flow) {
        let Some(obj) = action.as_object_mut() else {
            continue;
        };
        let Some(Value::Object(mut templating)) = obj.remove("templating") else {
            continue;
        };
        let mut variables = Vec::new();
        let mut components = Vec::new();
        if let Some(Value::Array(comps)) = templating.remove("components") {
            for comp in comps {
                let uuid = comp
                    .get("uuid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let params = comp
                    .get("params")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                variables.extend(params.iter().cloned());
                components.push((uuid, params));
            }
        }
        if let Some(template) = templating.remove("template") {
            obj.insert("template".to_owned(), template);
        }
        obj.insert("template_variables".to_owned(), Value::Array(variables));
        let action_uuid = obj
            .get("uuid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        flattened.push((action_uuid, components));
    }
    let Some(loc) = flow.get_mut("localization").and_then(Value::as_object_mut) else {
        return;
    };
    for items in loc.values_mut().filter_map(Value::as_object_mut) {
        for (action_uuid, components) in &flattened {
            let mut translated = false;
            let mut vars = Vec::new();
            for (comp_uuid, base) in components {
                match items
                    .remove(comp_uuid)
                    .and_then(|mut i| i.get_mut("params").map(Value::take))
                {
                    Some(Value::Array(params)) => {
                        translated = true;
                        vars.extend(params);
                    }
                    _ => vars.extend(base.iter().cloned()),
                }
            }
            if translated {
                let item = items
                    .entry(action_uuid.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(obj) = item.as_object_mut() {
                    obj.insert("template_variables".to_owned(), Value::Array(vars));
                }
            }
        }
    }
}

fn truncate_field(obj: &mut Value, field: &str, max: usize) {
    if let Some(Value::String(s)) = obj.get_mut(field) {
        if s.chars().count() > max {
            *s = truncate(s, max);
        }
    }
}

/// 13.6.0: result names are cut to 64 characters, category names to 36.
pub fn to_13_6_0(flow: &mut Value) {
    for action in actions_mut(flow) {
        if action.get("type").and_then(Value::as_str) == Some("set_run_result") {
            truncate_field(action, "name", MAX_RESULT_NAME_CHARS);
            truncate_field(action, "category", MAX_CATEGORY_NAME_CHARS);
        }
    }
    let nodes = flow
        .get_mut("nodes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for router in nodes.filter_map(|n| n.get_mut("router")) {
        truncate_field(router, "result_name", MAX_RESULT_NAME_CHARS);
        if let Some(Value::Array(categories)) = router.get_mut("categories") {
            for category in categories {
                truncate_field(category, "name", MAX_CATEGORY_NAME_CHARS);
            }
        }
    }
}

/// 13.6.1: references to result keys longer than 64 characters are cut to
/// match the result names 13.6.0 cut.
pub fn to_13_6_1(flow: &mut Value) {
    let shorten = |chain: &str| {
        let mut parts: Vec<&str> = chain.split('.').collect();
        if parts.len() < 2 || !parts[0].eq_ignore_ascii_case("results") {
            return None;
        }
        if parts[1].chars().count() <= MAX_RESULT_NAME_CHARS {
            return None;
        }
        let cut = truncate(parts[1], MAX_RESULT_NAME_CHARS);
        parts[1] = &cut;
        Some(parts.join("."))
    };
    for_each_template(flow, &mut |s| {
        if s.contains('@') {
            *s = refs::rewrite(s, &shorten);
        }
    });
}
