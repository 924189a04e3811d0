//! Spec 13 RapidPro flows built for tests: a linear list of questions, each
//! a `send_msg` then a wait whose cases route on, with "Other" asking again
//! and an optional timeout going to a reminder. The shipped flows in
//! `flows/` are exercised by their own tests; these keep the gateway's
//! conversation tests independent of their wording.

#![allow(dead_code)]

use serde_json::{json, Value};

/// A deterministic UUID for `(flow, name)`.
pub fn uid(flow: &str, name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{flow}/{name}").as_bytes()).to_string()
}

pub struct Question<'a> {
    pub text: &'a str,
    pub result: &'a str,
    /// `(category, router test type, arguments)`.
    pub cases: Vec<(&'a str, &'a str, Vec<&'a str>)>,
    /// Said before asking again when nothing matched.
    pub retry: &'a str,
    /// Seconds before the wait times out to a reminder (then the question
    /// is asked again).
    pub timeout: Option<u32>,
}

/// A messaging flow asking `questions` in order, then sending `done`.
pub fn question_flow(name: &str, questions: &[Question<'_>], done: &str) -> Value {
    let f = name;
    let mut nodes = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let ask = uid(f, &format!("ask{i}"));
        let wait = uid(f, &format!("wait{i}"));
        let next = if i + 1 < questions.len() {
            uid(f, &format!("ask{}", i + 1))
        } else {
            uid(f, "done")
        };
        nodes.push(json!({
            "uuid": ask,
            "actions": [{"uuid": uid(f, &format!("ask{i}/send")), "type": "send_msg", "text": q.text}],
            "exits": [{"uuid": uid(f, &format!("ask{i}/exit")), "destination_uuid": wait}]
        }));
        let mut categories = Vec::new();
        let mut cases = Vec::new();
        let mut exits = Vec::new();
        for (k, (cat, test, args)) in q.cases.iter().enumerate() {
            let cu = uid(f, &format!("wait{i}/cat{k}"));
            let eu = uid(f, &format!("wait{i}/exit{k}"));
            cases.push(json!({"uuid": uid(f, &format!("wait{i}/case{k}")), "type": test, "arguments": args, "category_uuid": cu}));
            categories.push(json!({"uuid": cu, "name": cat, "exit_uuid": eu}));
            exits.push(json!({"uuid": eu, "destination_uuid": next}));
        }
        let retry = uid(f, &format!("retry{i}"));
        let other = uid(f, &format!("wait{i}/other"));
        let other_exit = uid(f, &format!("wait{i}/other-exit"));
        categories.push(json!({"uuid": other, "name": "Other", "exit_uuid": other_exit}));
        exits.push(json!({"uuid": other_exit, "destination_uuid": retry}));
        let mut wait_spec = json!({"type": "msg"});
        if let Some(secs) = q.timeout {
            let tc = uid(f, &format!("wait{i}/timeout"));
            let te = uid(f, &format!("wait{i}/timeout-exit"));
            let reminder = uid(f, &format!("remind{i}"));
            categories.push(json!({"uuid": tc, "name": "No Response", "exit_uuid": te}));
            exits.push(json!({"uuid": te, "destination_uuid": reminder}));
            wait_spec = json!({"type": "msg", "timeout": {"seconds": secs, "category_uuid": tc}});
            nodes.push(json!({
                "uuid": reminder,
                "actions": [{"uuid": uid(f, &format!("remind{i}/send")), "type": "send_msg", "text": format!("Reminder: {}", q.text)}],
                "exits": [{"uuid": uid(f, &format!("remind{i}/exit")), "destination_uuid": wait}]
            }));
        }
        nodes.push(json!({
            "uuid": retry,
            "actions": [{"uuid": uid(f, &format!("retry{i}/send")), "type": "send_msg", "text": q.retry}],
            "exits": [{"uuid": uid(f, &format!("retry{i}/exit")), "destination_uuid": wait}]
        }));
        nodes.push(json!({
            "uuid": wait,
            "actions": [],
            "router": {
                "type": "switch",
                "operand": "@input.text",
                "wait": wait_spec,
                "result_name": q.result,
                "default_category_uuid": other,
                "cases": cases,
                "categories": categories
            },
            "exits": exits
        }));
    }
    nodes.push(json!({
        "uuid": uid(f, "done"),
        "actions": [{"uuid": uid(f, "done/send"), "type": "send_msg", "text": done}],
        "exits": [{"uuid": uid(f, "done/exit"), "destination_uuid": null}]
    }));
    // The first node must be the first question.
    let first = uid(f, "ask0");
    nodes.sort_by_key(|n| n["uuid"] != first);
    json!({
        "uuid": uid(f, "flow"),
        "name": name,
        "spec_version": "13.1.0",
        "language": "eng",
        "type": "messaging",
        "revision": 1,
        "expire_after_minutes": 10080,
        "localization": {},
        "nodes": nodes
    })
}

/// A flow of one question with `(category, words)` answers (`has_any_word`),
/// asking again with `retry` on anything else, then sending `done`.
pub fn one_question_flow(
    name: &str,
    text: &str,
    result: &str,
    answers: &[(&str, &str)],
    retry: &str,
    done: &str,
) -> Value {
    let cases = answers
        .iter()
        .map(|(category, words)| (*category, "has_any_word", vec![*words]))
        .collect();
    question_flow(
        name,
        &[Question {
            text,
            result,
            cases,
            retry,
            timeout: None,
        }],
        done,
    )
}

/// An export holding `flows`, with keyword triggers `(keyword, flow name)`.
pub fn export(
    flows: &[Value],
    triggers: &[(&str, &str)],
    fields: Value,
    groups: Value,
    campaigns: Value,
) -> Value {
    let triggers: Vec<Value> = triggers
        .iter()
        .map(|(k, f)| {
            json!({"trigger_type": "K", "keywords": [k], "match_type": "F",
                   "flow": {"uuid": uid(f, "flow"), "name": f}, "groups": [], "exclude_groups": []})
        })
        .collect();
    json!({"version": "13", "site": "https://mhero.test", "flows": flows, "triggers": triggers,
           "fields": fields, "groups": groups, "campaigns": campaigns})
}

/// The case report used by the conversation tests: disease (re-asked on
/// anything else), number of cases (a number 0-10000), then a summary.
pub fn case_report(timeout: Option<u32>) -> Value {
    question_flow(
        "Case Report Test",
        &[
            Question {
                text: "Which disease? MALARIA, CHOLERA or MEASLES",
                result: "Disease",
                cases: vec![
                    ("Malaria", "has_any_word", vec!["malaria"]),
                    ("Cholera", "has_any_word", vec!["cholera"]),
                    ("Measles", "has_any_word", vec!["measles"]),
                ],
                retry: "Sorry, reply MALARIA, CHOLERA or MEASLES",
                timeout,
            },
            Question {
                text: "How many cases of @results.disease.category?",
                result: "Case Count",
                cases: vec![("Valid", "has_number_between", vec!["0", "10000"])],
                retry: "Please send the number of cases, e.g. 3",
                timeout: None,
            },
        ],
        "Thank you. @results.case_count case(s) of @results.disease.category reported.",
    )
}
