//! Legacy rule sets: a typed split with ordered rules becomes a node with a
//! router. Rules sharing a category name share one category (and the exit
//! named by the first such rule); the `true` rule is the default category; a
//! `timeout` rule becomes the wait's timeout. Webhook, resthook, airtime and
//! subflow rule sets carry the action that produces what they split on.

use serde_json::{json, Value};

use super::actions::webhook_action;
use super::templates::migrate_template;
use super::{list, new_uuid, str_of, LegacyError, Localizer};

/// One category being built, with the exit it leads to.
struct Category {
    uuid: String,
    name: String,
    exit_uuid: String,
    destination: Value,
}

/// What the rule set's node is built from, before the router is written.
struct Split {
    categories: Vec<Category>,
    cases: Vec<Value>,
    default_category: Option<String>,
    timeout: Option<(u64, String)>,
}

/// The node for one legacy rule set.
pub fn rule_set_node(set: &Value, loc: &mut Localizer) -> Result<Value, LegacyError> {
    let uuid = str_of(set, "uuid").to_owned();
    let kind = str_of(set, "ruleset_type");
    let label = str_of(set, "label");
    let config = set.get("config").cloned().unwrap_or(Value::Null);
    let split = split(set, loc)?;
    let result_key = crate::flow::run::result_key(label);

    let mut actions = Vec::new();
    let mut result_name = label.to_owned();
    let mut wait = None;
    let operand = match kind {
        "wait_message" | "wait_digit" | "wait_digits" | "wait_recording" | "wait_photo" | "wait_video"
        | "wait_audio" | "wait_gps" | "wait_menu" | "wait_ussd" => {
            wait = Some(wait_for(kind, set, &split));
            operand_of(set, "@step.value")
        }
        "flow_field" | "contact_field" | "expression" => operand_of(set, "@step.value"),
        "form_field" => {
            let index = config
                .get("field_index")
                .and_then(Value::as_i64)
                .unwrap_or_default();
            let delimiter = match str_of(&config, "field_delimiter") {
                "" => " ",
                d => d,
            };
            format!(
                "@(field({}, {index}, {}))",
                as_expression(&operand_of(set, "@step.value")),
                Value::String(delimiter.to_owned())
            )
        }
        "group" => "@contact.groups".to_owned(),
        "random" => String::new(),
        "subflow" => {
            actions.push(json!({"type": "enter_flow", "uuid": new_uuid(),
                                "flow": config.get("flow").cloned().unwrap_or(Value::Null), "terminal": false}));
            result_name.clear();
            "@child.run.status".to_owned()
        }
        "webhook" => {
            actions.push(webhook_action(
                &new_uuid(),
                str_of(&config, "webhook_action"),
                str_of(&config, "webhook"),
                list(&config, "webhook_headers"),
                label,
            ));
            result_name.clear();
            format!("@results.{result_key}.category")
        }
        "resthook" => {
            actions.push(json!({"type": "call_resthook", "uuid": new_uuid(),
                                "resthook": str_of(&config, "resthook"), "result_name": label}));
            result_name.clear();
            format!("@results.{result_key}.category")
        }
        "airtime" => {
            let amounts = config
                .get("amounts")
                .or_else(|| config.get("amount"))
                .cloned()
                .unwrap_or_else(|| json!({}));
            actions.push(
                json!({"type": "transfer_airtime", "uuid": new_uuid(), "amounts": amounts,
                                "result_name": label}),
            );
            result_name.clear();
            format!("@results.{result_key}.category")
        }
        other => return Err(LegacyError::UnknownRuleSet(other.to_owned())),
    };

    let categories: Vec<Value> = split
        .categories
        .iter()
        .map(|c| json!({"uuid": c.uuid, "name": c.name, "exit_uuid": c.exit_uuid}))
        .collect();
    let exits: Vec<Value> = split
        .categories
        .iter()
        .map(|c| json!({"uuid": c.exit_uuid, "destination_uuid": c.destination}))
        .collect();
    let mut router = if kind == "random" {
        json!({"type": "random", "categories": categories})
    } else {
        json!({"type": "switch", "categories": categories, "operand": operand, "cases": split.cases})
    };
    if let (Some(default), false) = (&split.default_category, kind == "random") {
        router["default_category_uuid"] = json!(default);
    }
    if let Some(wait) = wait {
        router["wait"] = wait;
    }
    if !result_name.is_empty() {
        router["result_name"] = json!(result_name);
    }
    Ok(json!({"uuid": uuid, "actions": actions, "router": router, "exits": exits}))
}

/// The rule set's operand migrated, or `fallback` when it has none.
fn operand_of(set: &Value, fallback: &str) -> String {
    match str_of(set, "operand") {
        "" => migrate_template(fallback),
        op => migrate_template(op),
    }
}

/// A single-reference template as a bare expression (`@x.y` → `x.y`,
/// `@(f(x))` → `f(x)`); other templates become a string literal.
fn as_expression(template: &str) -> String {
    if let Some(inner) = template.strip_prefix("@(").and_then(|t| t.strip_suffix(')')) {
        return inner.to_owned();
    }
    match template.strip_prefix('@') {
        Some(chain) if chain.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') => chain.to_owned(),
        _ => Value::String(template.to_owned()).to_string(),
    }
}

/// The wait of a waiting rule set, with its input hint and timeout.
fn wait_for(kind: &str, set: &Value, split: &Split) -> Value {
    let mut wait = json!({"type": "msg"});
    let hint = match kind {
        "wait_digit" => Some(json!({"type": "digits", "count": 1})),
        "wait_digits" => {
            let key = match str_of(set, "finished_key") {
                "" => "#",
                k => k,
            };
            Some(json!({"type": "digits", "terminated_by": key}))
        }
        "wait_recording" | "wait_audio" => Some(json!({"type": "audio"})),
        "wait_photo" => Some(json!({"type": "image"})),
        "wait_video" => Some(json!({"type": "video"})),
        "wait_gps" => Some(json!({"type": "location"})),
        _ => None,
    };
    if let Some(hint) = hint {
        wait["hint"] = hint;
    }
    if let Some((seconds, category)) = &split.timeout {
        wait["timeout"] = json!({"seconds": seconds, "category_uuid": category});
    }
    wait
}

/// Builds categories and cases from the rules, in rule order.
fn split(set: &Value, loc: &mut Localizer) -> Result<Split, LegacyError> {
    let mut s = Split {
        categories: Vec::new(),
        cases: Vec::new(),
        default_category: None,
        timeout: None,
    };
    for rule in list(set, "rules") {
        let test = rule.get("test").cloned().unwrap_or(Value::Null);
        let test_type = str_of(&test, "type");
        let category = category_for(&mut s, rule, loc);
        match test_type {
            "true" => {
                s.default_category.get_or_insert(category);
            }
            "timeout" => {
                let minutes = test.get("minutes").and_then(Value::as_u64).unwrap_or(0);
                s.timeout = Some((minutes.saturating_mul(60), category));
            }
            _ => {
                let case_uuid = new_uuid();
                let (case_type, arguments) = case_for(&test, &case_uuid, loc)?;
                s.cases.push(
                    json!({"uuid": case_uuid, "type": case_type, "arguments": arguments,
                                    "category_uuid": category}),
                );
            }
        }
    }
    Ok(s)
}

/// The category a rule routes to, created on first use of its name.
fn category_for(s: &mut Split, rule: &Value, loc: &mut Localizer) -> String {
    let names = rule.get("category");
    let base_name = match names {
        Some(Value::String(n)) => n.clone(),
        Some(Value::Object(m)) => m
            .get(&loc.base)
            .or_else(|| m.values().next())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    if let Some(existing) = s
        .categories
        .iter()
        .find(|c| c.name.to_lowercase() == base_name.to_lowercase())
    {
        return existing.uuid.clone();
    }
    let uuid = new_uuid();
    if let Some(Value::Object(m)) = names {
        let base = loc.base.clone();
        for (lang, name) in m.iter().filter(|(l, _)| **l != base) {
            if let Some(name) = name.as_str().filter(|n| !n.is_empty()) {
                loc.put(lang, &uuid, "name", vec![name.to_owned()]);
            }
        }
    }
    let exit_uuid = match str_of(rule, "uuid") {
        "" => new_uuid(),
        u => u.to_owned(),
    };
    let destination = rule
        .get("destination")
        .filter(|d| d.as_str().is_some_and(|d| !d.is_empty()))
        .cloned()
        .unwrap_or(Value::Null);
    s.categories.push(Category {
        uuid: uuid.clone(),
        name: base_name,
        exit_uuid,
        destination,
    });
    uuid
}

/// The router test and its arguments for one legacy rule test.
fn case_for(
    test: &Value,
    case_uuid: &str,
    loc: &mut Localizer,
) -> Result<(&'static str, Vec<String>), LegacyError> {
    let localized = |loc: &mut Localizer| {
        loc.texts(
            vec![test.get("test").cloned().unwrap_or(json!(""))],
            case_uuid,
            "arguments",
        )
    };
    let plain = |key: &str| migrate_template(str_of(test, key));
    let kind = str_of(test, "type");
    Ok(match kind {
        "contains_any" => ("has_any_word", localized(loc)),
        "contains" => ("has_all_words", localized(loc)),
        "contains_phrase" => ("has_phrase", localized(loc)),
        "contains_only_phrase" => ("has_only_phrase", localized(loc)),
        "starts" => ("has_beginning", localized(loc)),
        "regex" => ("has_pattern", localized(loc)),
        "not_empty" => ("has_text", vec![]),
        "number" => ("has_number", vec![]),
        "lt" => ("has_number_lt", vec![plain("test")]),
        "lte" => ("has_number_lte", vec![plain("test")]),
        "gt" => ("has_number_gt", vec![plain("test")]),
        "gte" => ("has_number_gte", vec![plain("test")]),
        "eq" => ("has_number_eq", vec![plain("test")]),
        "between" => ("has_number_between", vec![plain("min"), plain("max")]),
        "date" => ("has_date", vec![]),
        "date_before" => ("has_date_lt", vec![plain("test")]),
        "date_equal" => ("has_date_eq", vec![plain("test")]),
        "date_after" => ("has_date_gt", vec![plain("test")]),
        "phone" => ("has_phone", vec![]),
        "email" => ("has_email", vec![]),
        "state" => ("has_state", vec![]),
        "district" => ("has_district", vec![plain("test")]),
        "ward" => ("has_ward", vec![plain("district"), plain("state")]),
        "in_group" | "has_group" => {
            let group = test.get("test").cloned().unwrap_or(Value::Null);
            (
                "has_group",
                vec![
                    str_of(&group, "uuid").to_owned(),
                    str_of(&group, "name").to_owned(),
                ],
            )
        }
        "subflow" => ("has_only_text", vec![str_of(test, "exit_type").to_owned()]),
        "webhook_status" => {
            let status = if str_of(test, "status") == "success" {
                "Success"
            } else {
                "Failure"
            };
            ("has_only_text", vec![status.to_owned()])
        }
        "airtime_status" => {
            let status = if str_of(test, "exit_status") == "success" {
                "Success"
            } else {
                "Failure"
            };
            ("has_only_text", vec![status.to_owned()])
        }
        "interrupted_status" => ("has_only_text", vec!["interrupted".to_owned()]),
        other => return Err(LegacyError::UnknownTest(other.to_owned())),
    })
}
