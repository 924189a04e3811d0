//! The spec 14.x migration steps (13.6.1 → 14.4.2), each named by the
//! version it produces. 14.x moved the routing of webhook, ticket and
//! airtime nodes off the action's result (onto `@webhook.status` and the
//! `@locals._new_*` the actions set), renamed `open_ticket.body` to `note`
//! and tidied a few editor leftovers. They work on raw JSON.

use serde_json::{json, Value};

use super::actions_mut;

/// 14.0.0: the longest a flow may wait for a reply, per flow type (two
/// weeks for messaging, 15 minutes for voice). Other types are left as
/// they are.
const MAX_EXPIRES_MINUTES: &[(&str, i64)] = &[("messaging", 20_160), ("voice", 15)];

/// 14.1.0: the most quick replies a message may offer.
const MAX_QUICK_REPLIES: usize = 10;

/// The actions whose nodes route on the outcome of an HTTP call.
const WEBHOOK_ACTIONS: &[&str] = &["call_webhook", "call_resthook"];

/// Text tests that take one argument, which old editors sometimes split
/// into several (14.3.1).
const SINGLE_ARGUMENT_TESTS: &[&str] = &[
    "has_only_text",
    "has_phrase",
    "has_only_phrase",
    "has_any_word",
    "has_all_words",
    "has_beginning",
    "has_pattern",
];

fn nodes_mut(flow: &mut Value) -> impl Iterator<Item = &mut Value> {
    flow.get_mut("nodes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn type_of(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or_default()
}

/// The type of a node's only action when the node is a switch on what that
/// action did (a "split by webhook / ticket / airtime" node).
fn split_action_type(node: &Value) -> Option<String> {
    let actions = node.get("actions")?.as_array()?;
    let router = node.get("router")?;
    match actions.as_slice() {
        [only] if type_of(router) == "switch" => Some(type_of(only).to_owned()),
        _ => None,
    }
}

/// Keeps only a router's first case (its UUID and category), rewritten as
/// `test(arguments)` on `operand`. `None` when the router has no case.
fn route_first_case(router: &mut Value, operand: &str, test: &str, arguments: Value) -> Option<()> {
    let mut first = router.get("cases")?.as_array()?.first()?.clone();
    // Indexing a non-object for assignment panics: a malformed case (or
    // router) is left for validation to report.
    let case = first.as_object_mut()?;
    case.insert("type".to_owned(), json!(test));
    case.insert("arguments".to_owned(), arguments);
    let router = router.as_object_mut()?;
    router.insert("operand".to_owned(), json!(operand));
    router.insert("cases".to_owned(), json!([first]));
    Some(())
}

fn operand_of(router: &Value) -> &str {
    router.get("operand").and_then(Value::as_str).unwrap_or_default()
}

/// 14.0.0: caps `expire_after_minutes`; categories without a name are
/// named "Match".
pub fn to_14_0_0(flow: &mut Value) {
    let cap = MAX_EXPIRES_MINUTES
        .iter()
        .find(|(kind, _)| *kind == type_of(flow))
        .map(|(_, max)| *max);
    if let (Some(max), Some(expires)) = (cap, flow.get("expire_after_minutes").and_then(Value::as_i64)) {
        flow["expire_after_minutes"] = json!(expires.min(max));
    }
    for node in nodes_mut(flow) {
        let categories = node
            .get_mut("router")
            .and_then(|r| r.get_mut("categories"))
            .and_then(Value::as_array_mut);
        for category in categories.into_iter().flatten() {
            let unnamed = category
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if unnamed && category.is_object() {
                category["name"] = json!("Match");
            }
        }
    }
}

/// 14.1.0: webhook nodes that routed on the action's result route on
/// `@webhook.status` (2xx = the first case's category); at most 10 quick
/// replies.
pub fn to_14_1_0(flow: &mut Value) {
    for node in nodes_mut(flow) {
        let is_webhook = split_action_type(node).is_some_and(|t| WEBHOOK_ACTIONS.contains(&t.as_str()));
        let Some(router) = node.get_mut("router").filter(|_| is_webhook) else {
            continue;
        };
        if operand_of(router).starts_with("@results.") {
            route_first_case(
                router,
                "@webhook.status",
                "has_number_between",
                json!(["200", "299"]),
            );
        }
    }
    for action in actions_mut(flow) {
        if !matches!(type_of(action), "send_msg" | "send_broadcast") {
            continue;
        }
        if let Some(replies) = action.get_mut("quick_replies").and_then(Value::as_array_mut) {
            replies.truncate(MAX_QUICK_REPLIES);
        }
    }
}

/// 14.2.0: `open_ticket.body` becomes `note`; translations under anything
/// but a three-letter language code are dropped.
pub fn to_14_2_0(flow: &mut Value) {
    for action in actions_mut(flow) {
        if type_of(action) != "open_ticket" {
            continue;
        }
        let Some(obj) = action.as_object_mut() else {
            continue;
        };
        match obj.remove("body") {
            Some(Value::String(body)) if !body.is_empty() => {
                obj.insert("note".to_owned(), Value::String(body));
            }
            // An empty body is dropped; anything else stays where it was.
            Some(Value::String(_)) | None => {}
            Some(other) => {
                obj.insert("body".to_owned(), other);
            }
        }
    }
    if let Some(loc) = flow.get_mut("localization").and_then(Value::as_object_mut) {
        loc.retain(|lang, _| lang.chars().count() == 3);
    }
}

/// 14.3.0: ticket and airtime nodes that routed on the action's result
/// route on the local the action sets (`@locals._new_ticket`,
/// `@locals._new_transfer`: any text = the first case's category), and the
/// result moves from the action to the router.
pub fn to_14_3_0(flow: &mut Value) {
    for node in nodes_mut(flow) {
        let local = match split_action_type(node).as_deref() {
            Some("open_ticket") => "_new_ticket",
            Some("transfer_airtime") => "_new_transfer",
            _ => continue,
        };
        let Some(router) = node.get_mut("router") else {
            continue;
        };
        if !operand_of(router).starts_with("@results.") {
            continue;
        }
        if route_first_case(router, &format!("@locals.{local}"), "has_text", json!([])).is_none() {
            continue;
        }
        let result_name = node["actions"][0]
            .as_object_mut()
            .and_then(|a| a.remove("result_name"))
            .filter(|n| !n.is_null());
        if let Some(router) = node.get_mut("router").and_then(Value::as_object_mut) {
            match result_name {
                Some(name) => router.insert("result_name".to_owned(), name),
                // No result before, none after.
                None => router.remove("result_name"),
            };
        }
    }
}

/// Joins a list of text arguments into one, space separated.
fn joined(args: &[Value]) -> Value {
    let parts: Vec<&str> = args.iter().map(|a| a.as_str().unwrap_or_default()).collect();
    json!([parts.join(" ")])
}

/// 14.3.1: text tests that take one argument but were saved with several
/// have them joined into one (translations too).
pub fn to_14_3_1(flow: &mut Value) {
    let mut fixed = Vec::new();
    for node in nodes_mut(flow) {
        let cases = node
            .get_mut("router")
            .filter(|r| type_of(r) == "switch")
            .and_then(|r| r.get_mut("cases"))
            .and_then(Value::as_array_mut);
        for case in cases.into_iter().flatten() {
            if !SINGLE_ARGUMENT_TESTS.contains(&type_of(case)) {
                continue;
            }
            if let Some(uuid) = case.get("uuid").and_then(Value::as_str) {
                fixed.push(uuid.to_owned());
            }
            let args = case
                .get("arguments")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if args.len() > 1 {
                case["arguments"] = joined(&args);
            }
        }
    }
    let languages = flow.get_mut("localization").and_then(Value::as_object_mut);
    for items in languages.into_iter().flat_map(|l| l.values_mut()) {
        for uuid in &fixed {
            let Some(args) = items.get_mut(uuid).and_then(|i| i.get_mut("arguments")) else {
                continue;
            };
            if args.as_array().is_some_and(|a| a.len() > 1) {
                *args = joined(args.as_array().map(Vec::as_slice).unwrap_or_default());
            }
        }
    }
}

/// 14.4.0: `send_msg` no longer sends to all of a contact's URNs.
pub fn to_14_4_0(flow: &mut Value) {
    for action in actions_mut(flow) {
        if type_of(action) == "send_msg" {
            if let Some(obj) = action.as_object_mut() {
                obj.remove("all_urns");
            }
        }
    }
}

/// 14.4.1: every webhook node routes the canonical way: `@webhook.status`
/// between 200 and 299 is the first case's category, other cases go, and
/// their translated arguments with them.
pub fn to_14_4_1(flow: &mut Value) {
    let mut dropped = Vec::new();
    for node in nodes_mut(flow) {
        let is_webhook = split_action_type(node).is_some_and(|t| WEBHOOK_ACTIONS.contains(&t.as_str()));
        let Some(router) = node.get_mut("router").filter(|_| is_webhook) else {
            continue;
        };
        let uuids = router
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("uuid").and_then(Value::as_str).map(str::to_owned));
        dropped.extend(uuids);
        route_first_case(
            router,
            "@webhook.status",
            "has_number_between",
            json!(["200", "299"]),
        );
    }
    let languages = flow.get_mut("localization").and_then(Value::as_object_mut);
    for items in languages.into_iter().flat_map(|l| l.values_mut()) {
        for uuid in &dropped {
            if let Some(item) = items.get_mut(uuid).and_then(Value::as_object_mut) {
                item.remove("arguments");
            }
        }
    }
}

/// 14.4.2: webhook nodes route on `@(default(webhook.status, 0))`, so a
/// call that never happened routes to the failure category without an
/// error.
pub fn to_14_4_2(flow: &mut Value) {
    for node in nodes_mut(flow) {
        let is_webhook = split_action_type(node).is_some_and(|t| WEBHOOK_ACTIONS.contains(&t.as_str()));
        let Some(router) = node.get_mut("router").filter(|_| is_webhook) else {
            continue;
        };
        if operand_of(router) == "@webhook.status" {
            router["operand"] = json!("@(default(webhook.status, 0))");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node with one action and a switch on it.
    fn split(action: Value, operand: &str, cases: Value) -> Value {
        json!({"uuid": "n1", "actions": [action], "router": {
            "type": "switch", "operand": operand, "cases": cases,
            "categories": [{"uuid": "c1", "name": "Success", "exit_uuid": "e1"},
                           {"uuid": "c2", "name": "Failure", "exit_uuid": "e2"}],
            "default_category_uuid": "c2"}, "exits": [{"uuid": "e1"}, {"uuid": "e2"}]})
    }

    fn flow(nodes: Value) -> Value {
        json!({"type": "messaging", "nodes": nodes})
    }

    #[test]
    fn v14_0_0_caps_expiry_and_names_unnamed_categories() {
        let mut f = json!({"type": "messaging", "expire_after_minutes": 43200, "nodes": [
            {"uuid": "n1", "router": {"type": "switch", "categories": [
                {"uuid": "c1", "name": "", "exit_uuid": "e1"}, {"uuid": "c2", "exit_uuid": "e1"},
                {"uuid": "c3", "name": "Other", "exit_uuid": "e1"}]}, "exits": [{"uuid": "e1"}]}]});
        to_14_0_0(&mut f);
        assert_eq!(
            f,
            json!({"type": "messaging", "expire_after_minutes": 20160, "nodes": [
                {"uuid": "n1", "router": {"type": "switch", "categories": [
                    {"uuid": "c1", "name": "Match", "exit_uuid": "e1"},
                    {"uuid": "c2", "name": "Match", "exit_uuid": "e1"},
                    {"uuid": "c3", "name": "Other", "exit_uuid": "e1"}]}, "exits": [{"uuid": "e1"}]}]})
        );
        let mut voice = json!({"type": "voice", "expire_after_minutes": 5, "nodes": []});
        to_14_0_0(&mut voice);
        assert_eq!(voice["expire_after_minutes"], 5);
        voice["expire_after_minutes"] = json!(60);
        to_14_0_0(&mut voice);
        assert_eq!(voice["expire_after_minutes"], 15);
    }

    #[test]
    fn v14_1_0_routes_webhook_nodes_on_the_status_and_trims_quick_replies() {
        let webhook = json!({"uuid": "a1", "type": "call_webhook", "method": "GET", "url": "http://x", "result_name": "Result"});
        let cases = json!([{"uuid": "k1", "type": "has_only_text", "arguments": ["Success"], "category_uuid": "c1"},
                           {"uuid": "k2", "type": "has_only_text", "arguments": ["Failure"], "category_uuid": "c2"}]);
        let replies: Vec<String> = (1..=12).map(|i| i.to_string()).collect();
        let mut f = flow(json!([
            split(webhook.clone(), "@results.result.category", cases),
            {"uuid": "n2", "actions": [{"uuid": "a2", "type": "send_msg", "text": "Pick", "quick_replies": replies}],
             "exits": [{"uuid": "e3"}]}
        ]));
        to_14_1_0(&mut f);
        let want_cases = json!([{"uuid": "k1", "type": "has_number_between", "arguments": ["200", "299"], "category_uuid": "c1"}]);
        let mut want = flow(json!([
            split(webhook, "@webhook.status", want_cases),
            {"uuid": "n2", "actions": [{"uuid": "a2", "type": "send_msg", "text": "Pick", "quick_replies": replies[..10]}],
             "exits": [{"uuid": "e3"}]}
        ]));
        assert_eq!(f, want);
        // A node already routing on something else is left alone.
        want["nodes"][0]["router"]["operand"] = json!("@webhook.json.ok");
        let before = want.clone();
        to_14_1_0(&mut want);
        assert_eq!(want, before);
    }

    #[test]
    fn v14_2_0_renames_the_ticket_body_and_drops_bad_languages() {
        let mut f = json!({"nodes": [{"uuid": "n1", "actions": [
            {"uuid": "a1", "type": "open_ticket", "body": "Needs a call back", "result_name": "Ticket"},
            {"uuid": "a2", "type": "open_ticket", "body": ""}], "exits": [{"uuid": "e1"}]}],
            "localization": {"fra": {"a1": {"text": ["x"]}}, "base": {"a1": {"text": ["y"]}}, "en": {}}});
        to_14_2_0(&mut f);
        assert_eq!(
            f,
            json!({"nodes": [{"uuid": "n1", "actions": [
                {"uuid": "a1", "type": "open_ticket", "note": "Needs a call back", "result_name": "Ticket"},
                {"uuid": "a2", "type": "open_ticket"}], "exits": [{"uuid": "e1"}]}],
                "localization": {"fra": {"a1": {"text": ["x"]}}}})
        );
    }

    #[test]
    fn v14_3_0_routes_ticket_and_airtime_nodes_on_their_locals() {
        let cases =
            json!([{"uuid": "k1", "type": "has_category", "arguments": ["Success"], "category_uuid": "c1"}]);
        let ticket = json!({"uuid": "a1", "type": "open_ticket", "note": "hi", "result_name": "Ticket"});
        let airtime =
            json!({"uuid": "a2", "type": "transfer_airtime", "amounts": {"USD": 1}, "result_name": "Reward"});
        let mut f = flow(json!([
            split(ticket, "@results.ticket", cases.clone()),
            split(airtime, "@results.reward", cases)
        ]));
        to_14_3_0(&mut f);
        let mut want = flow(json!([
            split(
                json!({"uuid": "a1", "type": "open_ticket", "note": "hi"}),
                "@locals._new_ticket",
                json!([{"uuid": "k1", "type": "has_text", "arguments": [], "category_uuid": "c1"}])
            ),
            split(
                json!({"uuid": "a2", "type": "transfer_airtime", "amounts": {"USD": 1}}),
                "@locals._new_transfer",
                json!([{"uuid": "k1", "type": "has_text", "arguments": [], "category_uuid": "c1"}])
            )
        ]));
        want["nodes"][0]["router"]["result_name"] = json!("Ticket");
        want["nodes"][1]["router"]["result_name"] = json!("Reward");
        assert_eq!(f, want);

        // A split on an action without a result saves none.
        let ticket = json!({"uuid": "a1", "type": "open_ticket"});
        let cases =
            json!([{"uuid": "k1", "type": "has_category", "arguments": ["Success"], "category_uuid": "c1"}]);
        let mut f = flow(json!([split(ticket.clone(), "@results.ticket", cases)]));
        to_14_3_0(&mut f);
        let cases = json!([{"uuid": "k1", "type": "has_text", "arguments": [], "category_uuid": "c1"}]);
        assert_eq!(f, flow(json!([split(ticket, "@locals._new_ticket", cases)])));
    }

    #[test]
    fn v14_3_1_joins_split_arguments_of_text_tests() {
        let mut f = json!({"nodes": [{"uuid": "n1", "router": {"type": "switch", "operand": "@input.text", "cases": [
            {"uuid": "k1", "type": "has_any_word", "arguments": ["yes", "yeah"], "category_uuid": "c1"},
            {"uuid": "k2", "type": "has_number_between", "arguments": ["1", "5"], "category_uuid": "c1"}],
            "categories": [{"uuid": "c1", "name": "Yes", "exit_uuid": "e1"}]}, "exits": [{"uuid": "e1"}]}],
            "localization": {"fra": {"k1": {"arguments": ["oui", "ouais"]}, "k2": {"arguments": ["2", "3"]}}}});
        to_14_3_1(&mut f);
        assert_eq!(
            f["nodes"][0]["router"]["cases"][0]["arguments"],
            json!(["yes yeah"])
        );
        assert_eq!(
            f["nodes"][0]["router"]["cases"][1]["arguments"],
            json!(["1", "5"])
        );
        assert_eq!(
            f["localization"],
            json!({"fra": {"k1": {"arguments": ["oui ouais"]}, "k2": {"arguments": ["2", "3"]}}})
        );
    }

    #[test]
    fn v14_4_0_drops_all_urns() {
        let mut f = flow(json!([{"uuid": "n1", "actions": [
            {"uuid": "a1", "type": "send_msg", "text": "Hi", "all_urns": true}], "exits": [{"uuid": "e1"}]}]));
        to_14_4_0(&mut f);
        assert_eq!(
            f,
            flow(json!([{"uuid": "n1", "actions": [
                {"uuid": "a1", "type": "send_msg", "text": "Hi"}], "exits": [{"uuid": "e1"}]}]))
        );
    }

    #[test]
    fn v14_4_1_normalises_webhook_routing_and_drops_translated_arguments() {
        let hook = json!({"uuid": "a1", "type": "call_resthook", "resthook": "new-case"});
        let cases = json!([{"uuid": "k1", "type": "has_text", "arguments": [], "category_uuid": "c1"},
                           {"uuid": "k2", "type": "has_only_text", "arguments": ["x"], "category_uuid": "c2"}]);
        let mut f = flow(json!([split(hook.clone(), "@webhook.json.status", cases)]));
        f["localization"] = json!({"fra": {"k2": {"arguments": ["y"]}, "a1": {"text": ["z"]}}});
        to_14_4_1(&mut f);
        let mut want = flow(json!([split(
            hook,
            "@webhook.status",
            json!([{"uuid": "k1", "type": "has_number_between", "arguments": ["200", "299"], "category_uuid": "c1"}])
        )]));
        want["localization"] = json!({"fra": {"k2": {}, "a1": {"text": ["z"]}}});
        assert_eq!(f, want);
    }

    #[test]
    fn malformed_cases_and_routers_are_left_as_they_are() {
        // A case that is not an object, under each step that rewrites
        // routers: no panic, and the node is unchanged for validation.
        for action in ["call_webhook", "open_ticket", "transfer_airtime"] {
            let node = json!({"uuid": "n1", "actions": [{"type": action}],
                "router": {"type": "switch", "operand": "@results.r", "cases": [5, "x"], "categories": [7]}});
            let mut f = json!({"type": "messaging", "nodes": [node.clone()]});
            for step in [
                to_14_0_0, to_14_1_0, to_14_2_0, to_14_3_0, to_14_3_1, to_14_4_0, to_14_4_1, to_14_4_2,
            ] {
                step(&mut f);
            }
            assert_eq!(
                f["nodes"][0]["router"]["cases"], node["router"]["cases"],
                "{action}"
            );
        }
    }

    #[test]
    fn v14_4_2_defaults_a_missing_webhook_status_to_zero() {
        let hook = json!({"uuid": "a1", "type": "call_webhook", "method": "GET", "url": "http://x"});
        let cases = json!([{"uuid": "k1", "type": "has_number_between", "arguments": ["200", "299"], "category_uuid": "c1"}]);
        let mut f = flow(json!([split(hook.clone(), "@webhook.status", cases.clone())]));
        to_14_4_2(&mut f);
        assert_eq!(
            f,
            flow(json!([split(hook, "@(default(webhook.status, 0))", cases)]))
        );
    }
}
