//! The voice simulator over real HTTP against `mhero serve` with no trunk:
//! a simulated call walks the shipped voice quiz with keys, hears each
//! prompt in the call's language, and ends with the call, its run and its
//! results stored as a real call's (`/calls`, the flow's runs and results),
//! on SQLite and on PostgreSQL.

mod common;

use common::*;
use serde_json::{json, Value};

const QUIZ_UUID: &str = "5f1c7a3e-6d0b-4d7a-9a43-2b1f9c8e7d10";

fn start(kind: Db) -> Env {
    let quiz = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/voice_quiz.json");
    Env::start(kind, "", &format!("[flows]\nimports = [\"{quiz}\"]\n"))
}

/// The prompts of a step: (prompt name, language).
fn prompts(step: &Value) -> Vec<(String, String)> {
    step["heard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["prompt"].as_str().unwrap().to_string(),
                h["language"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Place a simulated call; its status and first step.
async fn place(api: &Api, body: Value) -> (u16, Value) {
    api.post("/simulator/calls", body).await
}

/// Press keys on a simulated call; the status and the step they lead to.
async fn press(api: &Api, call: &str, digits: &str) -> (u16, Value) {
    api.post(
        &format!("/simulator/calls/{call}/digits"),
        json!({ "digits": digits }),
    )
    .await
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

on_both!(a_simulated_call_walks_the_voice_quiz_to_stored_results);
async fn a_simulated_call_walks_the_voice_quiz_to_stored_results(kind: Db) {
    let env = start(kind);
    let api = env.server.api(OPERATOR);

    // The call starts: welcome and question one, in Swahili, then a menu wait.
    let (s, step) = place(
        &api,
        json!({"flow": "Voice Quiz", "to": "+255712000001", "language": "swa"}),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let call = step["call"].as_str().unwrap().to_string();
    assert_eq!(step["status"], "waiting");
    assert_eq!(
        prompts(&step),
        pairs(&[("quiz_welcome", "swa"), ("quiz_q1", "swa")])
    );
    assert_eq!(
        step["heard"][0]["text"],
        "Karibu kwenye jaribio la afya la m Hero."
    );
    assert_eq!(
        step["expects"],
        json!({"kind": "digits", "digits": 1, "finish_key": null, "timeout": 10})
    );

    // 1 for yes: question two asks for a number ended by #.
    let (s, step) = press(&api, &call, "1").await;
    assert_eq!(s, 200, "{step}");
    assert_eq!(step["status"], "waiting");
    assert_eq!(prompts(&step), pairs(&[("quiz_q2", "swa")]));
    assert_eq!(step["expects"]["digits"], Value::Null);
    assert_eq!(step["expects"]["finish_key"], "#");

    // 3#: the thanks, and the call ends with its results stored.
    let (s, step) = press(&api, &call, "3#").await;
    assert_eq!(s, 200, "{step}");
    assert_eq!(step["status"], "completed");
    assert_eq!(prompts(&step), pairs(&[("quiz_thanks", "swa")]));
    assert_eq!(step["heard"][0]["text"], "Asante. Kwaheri.");
    assert_eq!(step["expects"], Value::Null);
    assert_eq!(step["hangup_by"], "us");
    assert_eq!(step["digits"], "13#");
    assert_eq!(step["results"]["question_1"]["category"], "Correct");
    assert_eq!(step["results"]["question_2"]["value"], "3");
    assert_eq!(step["results"]["question_2"]["category"], "Correct");

    // The whole call read back: every prompt in order.
    let whole = api.ok(&format!("/simulator/calls/{call}")).await;
    assert_eq!(whole["status"], "completed");
    assert_eq!(
        prompts(&whole),
        pairs(&[
            ("quiz_welcome", "swa"),
            ("quiz_q1", "swa"),
            ("quiz_q2", "swa"),
            ("quiz_thanks", "swa")
        ])
    );
    // Keys after the end are refused.
    let (s, _) = press(&api, &call, "1").await;
    assert_eq!(s, 409);

    // Stored like a real call: the call record and its run.
    let stored = api.ok(&format!("/calls/{call}")).await;
    assert_eq!(stored["call"]["trunk"], "simulator");
    assert_eq!(stored["call"]["status"], "completed");
    assert_eq!(stored["call"]["outcome"], "answered");
    assert_eq!(stored["call"]["digits"], "13#");
    assert_eq!(stored["runs"][0]["flow_uuid"], QUIZ_UUID);
    assert_eq!(stored["runs"][0]["status"], "completed");
    assert_eq!(stored["runs"][0]["results"]["question_1"]["category"], "Correct");

    // A second caller, in the contact's (default) language, answers wrong
    // and then stays silent on question two.
    let (s, step) = place(&api, json!({"flow": QUIZ_UUID, "to": "+255712000002"})).await;
    assert_eq!(s, 201, "{step}");
    let second = step["call"].as_str().unwrap().to_string();
    assert_eq!(
        prompts(&step),
        pairs(&[("quiz_welcome", "eng"), ("quiz_q1", "eng")])
    );
    assert!(step["heard"][1]["text"]
        .as_str()
        .unwrap()
        .starts_with("Question one."));
    let (_, step) = press(&api, &second, "2").await;
    assert_eq!(prompts(&step), pairs(&[("quiz_q2", "eng")]));
    let (_, step) = press(&api, &second, "").await;
    assert_eq!(step["status"], "completed", "{step}");
    assert_eq!(step["results"]["question_1"]["category"], "Wrong");
    assert_eq!(step["results"]["question_2"]["category"], "Other");

    // Two keys for a one-key menu: the second is typed ahead into question
    // two, and the pause after it ends that entry, so one request ends the call.
    let (_, step) = place(
        &api,
        json!({"flow": "Voice Quiz", "to": "+255712000003", "language": "por"}),
    )
    .await;
    let third = step["call"].as_str().unwrap().to_string();
    let (_, step) = press(&api, &third, "15").await;
    assert_eq!(step["status"], "completed", "{step}");
    assert_eq!(
        prompts(&step),
        pairs(&[("quiz_q2", "por"), ("quiz_thanks", "por")])
    );
    assert_eq!(step["heard"][1]["text"], "Obrigado. Adeus.");
    assert_eq!(step["results"]["question_1"]["category"], "Correct");
    assert_eq!(step["results"]["question_2"]["value"], "5");
    assert_eq!(step["results"]["question_2"]["category"], "Wrong");

    // Every run is the flow's, with its results counted per category.
    let runs = api
        .wait_for(&format!("/flows/{QUIZ_UUID}/runs"), 20, |v| {
            v["results"].as_array().is_some_and(|r| r.len() == 3)
        })
        .await;
    for run in runs["results"].as_array().unwrap() {
        assert_eq!(run["status"], "completed", "{run}");
    }
    let results = api.ok(&format!("/flows/{QUIZ_UUID}/results")).await;
    let text = results["results"].to_string();
    assert!(
        text.contains("Correct") && text.contains("Wrong") && text.contains("Other"),
        "{results}"
    );

    // What the simulator refuses.
    let (s, v) = place(&api, json!({"flow": "No Such Flow", "to": "+255712000004"})).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["field"], "flow");
    let (s, v) = press(&api, &second, "1x").await;
    assert_eq!(s, 422, "{v}");
    let (s, _) = press(&api, "00000000-0000-4000-8000-000000000000", "1").await;
    assert_eq!(s, 404);
}
