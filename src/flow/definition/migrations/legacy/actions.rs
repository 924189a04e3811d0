//! Legacy action sets: a list of legacy actions and one exit become a node.
//! Each legacy action type maps onto the spec 13 action that does the same
//! thing; their texts are migrated and their translations localized.

use serde_json::{json, Value};

use super::templates::{migrate_template, URN_SCHEMES};
use super::{list, new_uuid, str_of, LegacyError, Localizer};

/// The body legacy POST webhooks sent: a summary of the contact, flow, path,
/// results and input, which current flows spell out as a template.
pub const LEGACY_WEBHOOK_BODY: &str = "@(json(object(\
\"contact\", object(\"uuid\", contact.uuid, \"name\", contact.name, \"urn\", if(input, input.urn, null)), \
\"flow\", object(\"uuid\", run.flow.uuid, \"name\", run.flow.name, \"revision\", run.flow.revision), \
\"path\", run.path, \
\"results\", results, \
\"run\", object(\"uuid\", run.uuid, \"created_on\", run.created_on), \
\"input\", if(input, object(\"urn\", input.urn, \"text\", input.text, \"attachments\", input.attachments), null), \
\"channel\", if(input, input.channel, null)\
)))";

/// The node for one legacy action set.
pub fn action_set_node(set: &Value, loc: &mut Localizer) -> Result<Value, LegacyError> {
    let mut actions = Vec::new();
    for action in list(set, "actions") {
        if let Some(migrated) = migrate_action(action, loc)? {
            actions.push(migrated);
        }
    }
    let exit_uuid = match str_of(set, "exit_uuid") {
        "" => new_uuid(),
        uuid => uuid.to_owned(),
    };
    let destination = set
        .get("destination")
        .filter(|d| d.as_str().is_some_and(|s| !s.is_empty()));
    Ok(json!({
        "uuid": str_of(set, "uuid"),
        "actions": actions,
        "exits": [{"uuid": exit_uuid, "destination_uuid": destination.cloned().unwrap_or(Value::Null)}],
    }))
}

/// `{uuid, name}` references, dropping anything without a UUID.
fn refs(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .filter(|i| !str_of(i, "uuid").is_empty())
        .map(|i| json!({"uuid": str_of(i, "uuid"), "name": str_of(i, "name")}))
        .collect()
}

/// Legacy group lists mix references and expressions (names to match).
fn group_refs(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .filter_map(|g| match g {
            Value::String(s) => Some(json!({"name_match": migrate_template(s)})),
            Value::Object(_) if !str_of(g, "uuid").is_empty() => {
                Some(json!({"uuid": str_of(g, "uuid"), "name": str_of(g, "name")}))
            }
            _ => None,
        })
        .collect()
}

/// Media maps give `content-type:url` per language.
fn attachments(action: &Value, uuid: &str, loc: &mut Localizer) -> Vec<String> {
    match action.get("media") {
        Some(Value::Object(m)) if !m.is_empty() => loc
            .texts(vec![Value::Object(m.clone())], uuid, "attachments")
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn migrate_action(action: &Value, loc: &mut Localizer) -> Result<Option<Value>, LegacyError> {
    let uuid = match str_of(action, "uuid") {
        "" => new_uuid(),
        u => u.to_owned(),
    };
    let kind = str_of(action, "type");
    let migrated = match kind {
        "reply" | "send" | "end_ussd" => {
            let text = loc.text(action.get("msg"), &uuid, "text");
            let attachments = attachments(action, &uuid, loc);
            let quick_replies = loc.texts(list(action, "quick_replies").to_vec(), &uuid, "quick_replies");
            if kind == "send" {
                let urns: Vec<Value> = list(action, "contacts")
                    .iter()
                    .filter_map(|c| c.get("urns").and_then(Value::as_array))
                    .flatten()
                    .filter_map(|u| u.get("urn").or(Some(u)).and_then(Value::as_str))
                    .map(|u| json!(u))
                    .collect();
                let legacy_vars: Vec<Value> = list(action, "variables")
                    .iter()
                    .map(|v| json!(migrate_template(str_of(v, "id"))))
                    .collect();
                json!({"type": "send_broadcast", "uuid": uuid, "text": text, "attachments": attachments,
                       "quick_replies": quick_replies, "contacts": refs(list(action, "contacts")),
                       "groups": group_refs(list(action, "groups")), "urns": urns, "legacy_vars": legacy_vars})
            } else {
                let all_urns = action.get("send_all").and_then(Value::as_bool).unwrap_or(false);
                json!({"type": "send_msg", "uuid": uuid, "text": text, "attachments": attachments,
                       "quick_replies": quick_replies, "all_urns": all_urns})
            }
        }
        "say" => {
            let text = loc.text(action.get("msg"), &uuid, "text");
            let recording = loc.text(action.get("recording"), &uuid, "audio_url");
            let mut say = json!({"type": "say_msg", "uuid": uuid, "text": text});
            if !recording.is_empty() {
                say["audio_url"] = json!(recording);
            }
            say
        }
        "play" => {
            json!({"type": "play_audio", "uuid": uuid, "audio_url": migrate_template(str_of(action, "url"))})
        }
        "add_group" => {
            json!({"type": "add_contact_groups", "uuid": uuid, "groups": group_refs(list(action, "groups"))})
        }
        "del_group" => {
            let groups = group_refs(list(action, "groups"));
            if groups.is_empty() {
                json!({"type": "remove_contact_groups", "uuid": uuid, "all_groups": true})
            } else {
                json!({"type": "remove_contact_groups", "uuid": uuid, "groups": groups})
            }
        }
        "add_label" => {
            json!({"type": "add_input_labels", "uuid": uuid, "labels": refs(list(action, "labels"))})
        }
        "save" => save_action(action, uuid),
        "lang" => json!({"type": "set_contact_language", "uuid": uuid, "language": str_of(action, "lang")}),
        "channel" => json!({"type": "set_contact_channel", "uuid": uuid,
                            "channel": {"uuid": str_of(action, "channel"), "name": str_of(action, "name")}}),
        "email" => {
            let addresses: Vec<Value> = list(action, "emails")
                .iter()
                .filter_map(Value::as_str)
                .map(|e| json!(migrate_template(e)))
                .collect();
            json!({"type": "send_email", "uuid": uuid, "addresses": addresses,
                   "subject": migrate_template(str_of(action, "subject")),
                   "body": migrate_template(str_of(action, "msg"))})
        }
        "flow" => {
            json!({"type": "enter_flow", "uuid": uuid, "flow": action.get("flow").cloned().unwrap_or(Value::Null),
                         "terminal": true})
        }
        "trigger-flow" => {
            let urns: Vec<Value> = list(action, "urns")
                .iter()
                .filter_map(Value::as_str)
                .map(|u| json!(u))
                .collect();
            let legacy_vars: Vec<Value> = list(action, "variables")
                .iter()
                .map(|v| json!(migrate_template(str_of(v, "id"))))
                .collect();
            json!({"type": "start_session", "uuid": uuid, "flow": action.get("flow").cloned().unwrap_or(Value::Null),
                   "contacts": refs(list(action, "contacts")), "groups": group_refs(list(action, "groups")),
                   "urns": urns, "legacy_vars": legacy_vars})
        }
        "api" => webhook_action(
            &uuid,
            str_of(action, "action"),
            str_of(action, "webhook"),
            list(action, "webhook_headers"),
            "",
        ),
        // Ending a USSD session or interrupting has no spec 13 equivalent.
        "interrupt" => return Ok(None),
        other => return Err(LegacyError::UnknownAction(other.to_owned())),
    };
    Ok(Some(migrated))
}

/// A `save` action: the contact's name, a URN, or a field.
fn save_action(action: &Value, uuid: String) -> Value {
    let field = str_of(action, "field");
    let value = migrate_template(str_of(action, "value"));
    match field {
        "name" => json!({"type": "set_contact_name", "uuid": uuid, "name": value}),
        "first_name" => json!({"type": "set_contact_name", "uuid": uuid,
                               "name": format!("{value} @(remove_first_word(contact.name))").trim_end().to_owned()}),
        "language" => json!({"type": "set_contact_language", "uuid": uuid, "language": value}),
        "tel_e164" => json!({"type": "add_contact_urn", "uuid": uuid, "scheme": "tel", "path": value}),
        scheme if URN_SCHEMES.contains(&scheme) => {
            json!({"type": "add_contact_urn", "uuid": uuid, "scheme": scheme, "path": value})
        }
        key => json!({"type": "set_contact_field", "uuid": uuid,
                      "field": {"key": key, "name": str_of(action, "label")}, "value": value}),
    }
}

/// A `call_webhook` action; legacy POSTs without a body sent the run summary.
pub fn webhook_action(uuid: &str, method: &str, url: &str, headers: &[Value], result_name: &str) -> Value {
    let method = if method.is_empty() { "GET" } else { method };
    let mut headers: serde_json::Map<String, Value> = headers
        .iter()
        .filter(|h| !str_of(h, "name").is_empty())
        .map(|h| {
            (
                str_of(h, "name").to_owned(),
                json!(migrate_template(str_of(h, "value"))),
            )
        })
        .collect();
    if method == "POST" && !headers.keys().any(|k| k.eq_ignore_ascii_case("content-type")) {
        headers.insert("Content-Type".to_owned(), json!("application/json"));
    }
    let mut action = json!({"type": "call_webhook", "uuid": uuid, "method": method,
                            "url": migrate_template(url), "headers": headers});
    if method == "POST" {
        action["body"] = json!(LEGACY_WEBHOOK_BODY);
    }
    if !result_name.is_empty() {
        action["result_name"] = json!(result_name);
    }
    action
}
