//! Conversations over SMS, end to end through the real binary and the
//! simulator link, on SQLite and on PostgreSQL: a keyword starts a flow,
//! replies resume it, results are stored and read back through the API, a
//! restart mid-conversation loses nothing, wait timeouts fire, flows are
//! started for many contacts with exclusions (now, or on a recurring
//! schedule, each firing a start of its own; refused when they reach
//! nobody; cancelled part-way), campaigns fire at offsets from a date field,
//! and webhooks obey the host policy.

mod common;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::flows::{case_report, export, one_question_flow, uid};
use common::*;
use serde_json::{json, Value};

fn start(kind: Db, extra: &str) -> Env {
    Env::start(kind, "", extra)
}

/// A simulated phone: send texts in, read what it received.
#[derive(Clone)]
struct Phone {
    api: Api,
    number: String,
}

impl Phone {
    fn new(api: &Api, number: &str) -> Phone {
        Phone {
            api: api.clone(),
            number: number.to_string(),
        }
    }

    async fn say(&self, text: &str) {
        let (s, v) = self
            .api
            .post("/simulator/inbound", json!({"from": self.number, "text": text}))
            .await;
        assert_eq!(s, 201, "{v}");
    }

    async fn received(&self) -> Vec<String> {
        self.api.sim_received(&self.number).await
    }

    /// Wait until the phone has received `n` messages; return them all.
    async fn wait_for(&self, n: usize, secs: u64) -> Vec<String> {
        let path = format!("/simulator/phones/{}/received?limit=1000", self.number);
        self.api
            .wait_for(&path, secs, |v| {
                v["results"].as_array().is_some_and(|a| a.len() >= n)
            })
            .await;
        self.received().await
    }
}

async fn import(env: &Env, export: Value) -> Value {
    let (s, v) = env.server.api(ADMIN).post("/flows", export).await;
    assert_eq!(s, 201, "{v}");
    v
}

on_both!(keyword_starts_a_flow_replies_resume_it_and_results_are_kept);
async fn keyword_starts_a_flow_replies_resume_it_and_results_are_kept(kind: Db) {
    let env = start(kind, "");
    let summary = import_case_report(&env).await;
    assert_eq!(summary["flows"], json!(["Case Report Test"]));
    assert_eq!(summary["triggers_created"], 1);
    let api = env.server.api(OPERATOR);
    let flow = uid("Case Report Test", "flow");
    let phone = Phone::new(&api, "+255712000001");

    phone.say("CASE").await;
    assert_eq!(
        phone.wait_for(1, 10).await,
        ["Which disease? MALARIA, CHOLERA or MEASLES"]
    );
    phone.say("ebola?").await;
    assert_eq!(
        phone.wait_for(2, 10).await[1],
        "Sorry, reply MALARIA, CHOLERA or MEASLES"
    );
    phone.say("Cholera").await;
    assert_eq!(phone.wait_for(3, 10).await[2], "How many cases of Cholera?");
    phone.say("many").await;
    assert_eq!(
        phone.wait_for(4, 10).await[3],
        "Please send the number of cases, e.g. 3"
    );
    phone.say("12").await;
    let got = phone.wait_for(5, 10).await;
    assert_eq!(got[4], "Thank you. 12 case(s) of Cholera reported.");
    assert_eq!(got.len(), 5);

    // The run and its results, through the API.
    let runs = api.ok(&format!("/flows/{flow}/runs")).await;
    let run = &runs["results"][0];
    assert_eq!(runs["results"].as_array().unwrap().len(), 1);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["responded"], true);
    assert_eq!(run["urn"], "tel:+255712000001");
    assert_eq!(run["results"]["disease"]["value"], "Cholera");
    assert_eq!(run["results"]["disease"]["category"], "Cholera");
    assert_eq!(run["results"]["case_count"]["value"], "12");
    assert_eq!(run["results"]["case_count"]["category"], "Valid");
    assert!(run["exited_on"].is_string());

    // A second worker reports malaria; counts per category follow.
    let other = Phone::new(&api, "+255712000002");
    for (i, text) in ["case", "malaria", "3"].iter().enumerate() {
        other.say(text).await;
        other.wait_for(i + 1, 10).await;
    }
    let results = api.ok(&format!("/flows/{flow}/results")).await;
    assert_eq!(results["runs"]["total"], 2);
    assert_eq!(results["runs"]["completed"], 2);
    let disease = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "disease")
        .expect("disease summary");
    assert_eq!(disease["total"], 2);
    let cats: Vec<(String, i64)> = disease["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(cats, [("Cholera".to_string(), 1), ("Malaria".to_string(), 1)]);

    // A message while nobody waits and no keyword matches stays in the inbox.
    other.say("hello").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(other.received().await.len(), 3);

    // Filters: status and time.
    let none = api.ok(&format!("/flows/{flow}/runs?status=waiting")).await;
    assert_eq!(none["results"].as_array().unwrap().len(), 0);
    let (s, v) = api.get(&format!("/flows/{flow}/runs?after=yesterday")).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("after")), "{v}");
}

/// Import the case report with its `case` keyword; the import summary.
async fn import_case_report(env: &Env) -> Value {
    import(
        env,
        export(
            &[case_report(None)],
            &[("case", "Case Report Test")],
            json!([]),
            json!([]),
            json!([]),
        ),
    )
    .await
}

/// A gateway with the case report imported, where `number` has texted CASE
/// and named the disease: its session waits for the number of cases.
async fn case_report_asking_for_a_count(kind: Db, number: &str) -> Env {
    let env = start(kind, "");
    import_case_report(&env).await;
    let phone = Phone::new(&env.server.api(OPERATOR), number);
    phone.say("case").await;
    phone.wait_for(1, 10).await;
    phone.say("measles").await;
    phone.wait_for(2, 10).await;
    env
}

on_both!(a_restart_mid_conversation_loses_nothing);
async fn a_restart_mid_conversation_loses_nothing(kind: Db) {
    let mut env = case_report_asking_for_a_count(kind, "+255712000010").await;

    // Killed without warning while the worker is being asked for a number.
    env.server.kill9();
    env.server.restart();
    let api = env.server.api(OPERATOR);
    let phone = Phone::new(&api, "+255712000010");
    phone.say("7").await;
    let got = phone.wait_for(3, 15).await;
    assert_eq!(got[2], "Thank you. 7 case(s) of Measles reported.");
    let flow = uid("Case Report Test", "flow");
    let runs = api.ok(&format!("/flows/{flow}/runs")).await;
    assert_eq!(runs["results"][0]["status"], "completed");
    assert_eq!(runs["results"][0]["results"]["case_count"]["value"], "7");
}

on_both!(a_message_acknowledged_before_a_crash_is_acted_on_at_restart);
async fn a_message_acknowledged_before_a_crash_is_acted_on_at_restart(kind: Db) {
    let mut env = case_report_asking_for_a_count(kind, "+255712000011").await;
    env.server.kill9();

    // What a crash between the carrier's acknowledgement and the flow leaves
    // behind: the worker's answer persisted, `pending`, on this node.
    let now = Utc::now().timestamp_millis();
    env.db
        .sql(&format!(
            "INSERT INTO msgs (uuid, direction, contact_id, urn, text, status, link, created_on, modified_on, node) \
             SELECT '{}', 'in', contact_id, urn, '7', 'pending', 'simulator', {now}, {now}, 'node-a' \
             FROM contact_urns WHERE urn = 'tel:+255712000011'",
            uuid::Uuid::new_v4()
        ))
        .await;
    env.server.restart();
    let api = env.server.api(OPERATOR);
    let phone = Phone::new(&api, "+255712000011");
    let got = phone.wait_for(3, 15).await;
    assert_eq!(got[2], "Thank you. 7 case(s) of Measles reported.");
    let statuses = env
        .db
        .sql("SELECT status FROM msgs WHERE direction = 'in' ORDER BY id")
        .await;
    assert_eq!(statuses, ["handled", "handled", "handled"]);
    // Acted on once: no second reply arrives for it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(phone.received().await.len(), 3);
}

on_both!(a_wait_timeout_fires_and_the_flow_goes_on);
async fn a_wait_timeout_fires_and_the_flow_goes_on(kind: Db) {
    let env = start(kind, "[flows]\ntimeout_poll_ms = 200\n");
    import(
        &env,
        export(
            &[case_report(Some(2))],
            &[("case", "Case Report Test")],
            json!([]),
            json!([]),
            json!([]),
        ),
    )
    .await;
    let api = env.server.api(OPERATOR);
    let phone = Phone::new(&api, "+255712000020");
    phone.say("case").await;
    phone.wait_for(1, 10).await;
    // Nobody answers: after 2 s the reminder goes out and the wait restarts.
    let got = phone.wait_for(2, 15).await;
    assert_eq!(got[1], "Reminder: Which disease? MALARIA, CHOLERA or MEASLES");
    // The answer after the reminder still counts.
    phone.say("malaria").await;
    assert_eq!(phone.wait_for(3, 10).await[2], "How many cases of Malaria?");
}

on_both!(flow_starts_honour_exclusions_and_results_split_by_group);
async fn flow_starts_honour_exclusions_and_results_split_by_group(kind: Db) {
    let env = start(kind, "");
    let poll = one_question_flow(
        "Stock Poll",
        "Do you have malaria test kits? YES or NO",
        "Stock",
        &[("Yes", "yes y"), ("No", "no n")],
        "Please reply YES or NO",
        "Thank you",
    );
    import(
        &env,
        export(
            &[poll, case_report(None)],
            &[("case", "Case Report Test")],
            json!([]),
            json!([]),
            json!([]),
        ),
    )
    .await;
    let api = env.server.api(OPERATOR);
    let (s, v) = api
        .post("/contacts/import", contacts_json(6, 100, |_| json!({})))
        .await;
    assert_eq!(s, 201, "{v}");
    for (name, members) in [("Kilosa", vec![100, 101, 102]), ("Mvomero", vec![103, 104, 105])] {
        let (s, v) = api.post("/groups", json!({"name": name})).await;
        assert_eq!(s, 201, "{v}");
        let uuids: Vec<String> = {
            let all = api.ok("/contacts?limit=100").await;
            all["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| members.iter().any(|k| c["name"] == format!("Worker {k}")))
                .map(|c| c["uuid"].as_str().unwrap().to_string())
                .collect()
        };
        let (s, v) = api
            .post(&format!("/groups/{name}/members"), json!({"contacts": uuids}))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let phone = |k: usize| Phone::new(&api, &format!("+2557{k:08}"));
    // Worker 100 is mid-report: the start's `in_a_flow` exclusion skips them.
    phone(100).say("case").await;
    phone(100).wait_for(1, 10).await;
    // Worker 105 has opted out.
    phone(105).say("STOP").await;
    phone(105).wait_for(1, 10).await;

    let flow = uid("Stock Poll", "flow");
    let (s, start) = api
        .post(
            "/flow_starts",
            json!({"flow": "Stock Poll", "groups": ["Kilosa", "Mvomero"], "exclusions": {"in_a_flow": true}}),
        )
        .await;
    assert_eq!(s, 201, "{start}");
    let uuid = start["uuid"].as_str().unwrap();
    let done = api
        .wait_for(&format!("/flow_starts/{uuid}"), 20, |v| {
            v["status"] == "completed"
        })
        .await;
    assert_eq!(done["contact_count"], 6);
    assert_eq!(done["progress"]["started"], 4, "{done}");
    assert_eq!(done["progress"]["skipped"], 2, "{done}");
    assert_eq!(
        phone(100).received().await.len(),
        1,
        "the reporter was not interrupted"
    );

    // Kilosa answers yes twice; Mvomero no and yes.
    for (k, answer) in [(101, "yes"), (102, "Y"), (103, "no"), (104, "yes please")] {
        assert_eq!(
            phone(k).wait_for(1, 10).await[0],
            "Do you have malaria test kits? YES or NO"
        );
        phone(k).say(answer).await;
        assert_eq!(phone(k).wait_for(2, 10).await[1], "Thank you");
    }
    let r = api
        .ok(&format!("/flows/{flow}/results?by_group=Kilosa,Mvomero"))
        .await;
    let cats = |v: &Value| -> Vec<(String, i64)> {
        v["results"][0]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(cats(&r), [("Yes".to_string(), 3), ("No".to_string(), 1)]);
    assert_eq!(cats(&r["by_group"]["Kilosa"]), [("Yes".to_string(), 2)]);
    assert_eq!(
        cats(&r["by_group"]["Mvomero"]),
        [("No".to_string(), 1), ("Yes".to_string(), 1)]
    );

    // Started again with "not in the last 7 days": nobody is started twice.
    let (s, again) = api
        .post(
            "/flow_starts",
            json!({"flow": flow, "groups": ["Kilosa"], "exclusions": {"started_previously_days": 7}}),
        )
        .await;
    assert_eq!(s, 201, "{again}");
    let done = api
        .wait_for(
            &format!("/flow_starts/{}", again["uuid"].as_str().unwrap()),
            20,
            |v| v["status"] == "completed",
        )
        .await;
    // 100 never started the poll (it was skipped), so only 100 starts now.
    assert_eq!(done["progress"]["started"], 1, "{done}");
    assert_eq!(done["progress"]["skipped"], 2, "{done}");

    // The CSV export has one row per run and a value/category pair per result.
    let csv = reqwest::Client::new()
        .get(format!("{}/api/v1/flows/{flow}/runs.csv", env.server.base))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "run,contact,name,urn,status,started,exited,Stock (value),Stock (category)"
    );
    assert_eq!(lines.len(), 1 + 5, "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Worker 104") && l.ends_with(",yes,Yes")),
        "{text}"
    );

    // Bad bodies are refused whole, naming the field.
    let (s, v) = api
        .post(
            "/flow_starts",
            json!({"flow": "No Such Flow", "groups": ["Kilosa"]}),
        )
        .await;
    assert_eq!((s, v["field"].as_str()), (422, Some("flow")), "{v}");
    let (s, v) = api
        .post(
            "/flow_starts",
            json!({"flow": flow, "groups": ["Kilosa"], "exclusions": {"bogus": 1}}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = api.post("/flow_starts", json!({"flow": flow})).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("recipients")), "{v}");
}

/// A flow whose first step calls `url` (slow on purpose: each contact's
/// start then takes that long), then says "Started".
fn slow_start_flow(name: &str, url: &str) -> Value {
    let f = name;
    json!({
        "uuid": uid(f, "flow"), "name": name, "spec_version": "13.1.0", "language": "eng",
        "type": "messaging", "revision": 1, "expire_after_minutes": 60, "localization": {},
        "nodes": [
            {"uuid": uid(f, "call"), "actions": [{"uuid": uid(f, "a"), "type": "call_webhook", "method": "POST",
                "url": url, "headers": {}, "body": "", "result_name": "Slow"}],
             "router": {"type": "switch", "operand": "@results.slow.category",
                "default_category_uuid": uid(f, "any"), "cases": [],
                "categories": [{"uuid": uid(f, "any"), "name": "Any", "exit_uuid": uid(f, "x1")}]},
             "exits": [{"uuid": uid(f, "x1"), "destination_uuid": uid(f, "say")}]},
            {"uuid": uid(f, "say"), "actions": [{"uuid": uid(f, "s"), "type": "send_msg", "text": "Started"}],
             "exits": [{"uuid": uid(f, "x2"), "destination_uuid": null}]}
        ]
    })
}

/// The starts that are firings of `parent`.
fn firings_of(list: &Value, parent: &str) -> Vec<Value> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|s| s["parent"] == parent)
        .cloned()
        .collect()
}

on_both!(flow_starts_finish_cancel_refuse_nobody_and_recur);
async fn flow_starts_finish_cancel_refuse_nobody_and_recur(kind: Db) {
    // A webhook that takes 1.5 s, so a start of 12 contacts takes seconds.
    let (port, hook) = serve_local(axum::Router::new().route(
        "/slow",
        axum::routing::post(|| async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            axum::Json(json!({"ok": true}))
        }),
    ))
    .await;
    let env = start(kind, "[webhooks]\nallow_private = true\ntimeout_secs = 10\n");
    let quiz = one_question_flow(
        "Weekly Quiz",
        "Quiz: is fever a sign of malaria? YES or NO",
        "Answer",
        &[("Yes", "yes y"), ("No", "no n")],
        "Please reply YES or NO",
        "Thank you",
    );
    let slow = slow_start_flow("Slow Start", &format!("http://127.0.0.1:{port}/slow"));
    import(&env, export(&[quiz, slow], &[], json!([]), json!([]), json!([]))).await;
    let api = env.server.api(OPERATOR);
    let (s, v) = api
        .post("/contacts/import", contacts_json(14, 300, |_| json!({})))
        .await;
    assert_eq!(s, 201, "{v}");
    let all = api.ok("/contacts?limit=100").await;
    let uuid_of = |k: usize| -> String {
        all["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == format!("Worker {k}"))
            .map(|c| c["uuid"].as_str().unwrap().to_string())
            .unwrap()
    };
    for (name, members) in [
        ("Quiz A", vec![300]),
        ("Quiz B", vec![301]),
        ("Nobody", vec![]),
        ("Slow", (302..314).collect::<Vec<usize>>()),
    ] {
        let (s, v) = api.post("/groups", json!({"name": name})).await;
        assert_eq!(s, 201, "{v}");
        if !members.is_empty() {
            let uuids: Vec<String> = members.iter().map(|k| uuid_of(*k)).collect();
            let (s, v) = api
                .post(&format!("/groups/{name}/members"), json!({"contacts": uuids}))
                .await;
            assert_eq!(s, 200, "{v}");
        }
    }

    // Two recurring starts, every minute, created first so that they fire
    // while the rest runs: one restarts whoever is still in the quiz, the
    // other (asked to) leaves them be.
    let every_minute = json!({"repeat": "cron", "expr": "* * * * *"});
    let mut recurring = Vec::new();
    for (group, exclusions) in [("Quiz A", json!({})), ("Quiz B", json!({"in_a_flow": true}))] {
        let (s, r) = api
            .post(
                "/flow_starts",
                json!({"flow": "Weekly Quiz", "groups": [group], "exclusions": exclusions, "schedule": every_minute}),
            )
            .await;
        assert_eq!((s, r["status"].as_str()), (201, Some("recurring")), "{r}");
        assert!(
            r["next_fire"].as_str().is_some_and(|t| t.ends_with(":00.000Z")),
            "{r}"
        );
        assert_eq!(r["warnings"], json!([]), "{r}");
        recurring.push(r["uuid"].as_str().unwrap().to_string());
    }

    // A start that reaches nobody: refused, naming the group; accepted when
    // asked, completed with no contact and the reason.
    let refused = api
        .post(
            "/flow_starts",
            json!({"flow": "Weekly Quiz", "groups": ["Nobody"]}),
        )
        .await;
    assert_refused(
        &refused,
        "recipients",
        "nobody to start: group Nobody has no members",
    );
    let (s, empty) = api
        .post(
            "/flow_starts",
            json!({"flow": "Weekly Quiz", "groups": ["Nobody"], "allow_empty": true}),
        )
        .await;
    assert_eq!(s, 201, "{empty}");
    assert_eq!(empty["warnings"].as_array().map(Vec::len), Some(1), "{empty}");
    let done = api
        .wait_for(
            &format!("/flow_starts/{}", empty["uuid"].as_str().unwrap()),
            20,
            |v| v["status"] == "completed",
        )
        .await;
    assert_eq!(done["contact_count"], 0);
    assert_eq!(done["note"], "nobody to start: group Nobody has no members");

    // A start scheduled for later, cancelled: it never fires.
    let at = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (s, later) = api
        .post(
            "/flow_starts",
            json!({"flow": "Weekly Quiz", "groups": ["Quiz A"], "schedule": {"repeat": "once", "at": at}}),
        )
        .await;
    assert_eq!((s, later["status"].as_str()), (201, Some("scheduled")), "{later}");
    let (s, c) = api
        .post(
            &format!("/flow_starts/{}/cancel", later["uuid"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    assert_eq!(c["next_fire"], Value::Null, "{c}");

    // Cancelled part-way: the contacts not yet started are left out.
    let (s, slow) = api
        .post("/flow_starts", json!({"flow": "Slow Start", "groups": ["Slow"]}))
        .await;
    assert_eq!(s, 201, "{slow}");
    let slow_path = format!("/flow_starts/{}", slow["uuid"].as_str().unwrap());
    api.wait_for(&slow_path, 30, |v| {
        v["progress"]["started"].as_i64().unwrap_or(0) >= 1
    })
    .await;
    let (s, c) = api.post(&format!("{slow_path}/cancel"), json!({})).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    let p = &c["progress"];
    let (started, cancelled) = (p["started"].as_i64().unwrap(), p["cancelled"].as_i64().unwrap());
    assert!(cancelled >= 1 && started < 12, "{c}");
    assert_eq!(started + p["skipped"].as_i64().unwrap() + cancelled, 12, "{c}");
    assert_eq!(p["remaining"], 0, "{c}");

    // Each recurring start fires twice, each firing a start of its own.
    let list = api
        .wait_for("/flow_starts?limit=100", 150, |v| {
            recurring.iter().all(|r| {
                let fired = firings_of(v, r);
                fired.len() >= 2 && fired.iter().all(|f| f["status"] == "completed")
            })
        })
        .await;
    let restarts = firings_of(&list, &recurring[0]);
    for f in &restarts[..2] {
        assert_eq!(
            (f["contact_count"].as_i64(), f["progress"]["started"].as_i64()),
            (Some(1), Some(1)),
            "{f}"
        );
        assert_eq!(f["schedule"], Value::Null, "{f}");
    }
    let leaves = firings_of(&list, &recurring[1]);
    assert_eq!(leaves[0]["progress"]["started"], 1, "{}", leaves[0]);
    assert_eq!(
        leaves[1]["progress"]["skipped"], 1,
        "still in the quiz from the first firing: {}",
        leaves[1]
    );
    // Worker 300 was asked twice (the second firing restarted the quiz),
    // worker 301 once.
    let asked = |k: usize| {
        let phone = Phone::new(&api, &format!("+2557{k:08}"));
        async move {
            phone
                .received()
                .await
                .iter()
                .filter(|t| t.starts_with("Quiz:"))
                .count()
        }
    };
    assert!(asked(300).await >= 2);
    assert_eq!(asked(301).await, 1);
    // The parent counts its firings, and stays recurring until cancelled.
    let parent = api.ok(&format!("/flow_starts/{}", recurring[0])).await;
    assert_eq!(parent["status"], "recurring", "{parent}");
    assert!(parent["progress"]["started"].as_i64().unwrap() >= 2, "{parent}");
    let (s, c) = api
        .post(&format!("/flow_starts/{}/cancel", recurring[0]), json!({}))
        .await;
    assert_eq!(
        (s, c["status"].as_str(), &c["next_fire"]),
        (200, Some("cancelled"), &Value::Null),
        "{c}"
    );

    // Nobody of the cancelled start was started since.
    let after = api.ok(&slow_path).await;
    assert_eq!(after["progress"]["started"].as_i64(), Some(started), "{after}");
    assert_eq!(after["status"], "cancelled");
    hook.abort();
}

on_both!(a_campaign_fires_at_offsets_from_a_date_field);
async fn a_campaign_fires_at_offsets_from_a_date_field(kind: Db) {
    let env = start(kind, "[flows]\ncampaign_sync_secs = 1\n");
    let quiz = one_question_flow(
        "Follow-up Quiz",
        "Quiz: what confirms malaria? 1 RDT 2 fever",
        "Q1",
        &[("Correct", "1 rdt"), ("Incorrect", "2 fever")],
        "Reply 1 or 2",
        "Thanks for taking the quiz",
    );
    // Time is controlled by the dates: worker 200 trained three days ago
    // less 4 s, so the day-3 event is due in 4 s; the day-1 event is past and
    // must not fire. Worker 201 trained today: both events are days away.
    let trained = |secs_ago: i64| {
        (Utc::now() - chrono::Duration::seconds(secs_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let campaign = json!([{
        "uuid": uid("campaign", "c"), "name": "Malaria follow-up",
        "group": {"uuid": uid("campaign", "group"), "name": "Trained"},
        "events": [
            {"uuid": uid("campaign", "e1"), "offset": 1, "unit": "D", "event_type": "F", "delivery_hour": -1,
             "relative_to": {"key": "training_date", "label": "Training Date"},
             "flow": {"uuid": uid("Follow-up Quiz", "flow"), "name": "Follow-up Quiz"}, "start_mode": "I",
             "base_language": "eng"},
            {"uuid": uid("campaign", "e3"), "offset": 3, "unit": "D", "event_type": "F", "delivery_hour": -1,
             "relative_to": {"key": "training_date", "label": "Training Date"},
             "flow": {"uuid": uid("Follow-up Quiz", "flow"), "name": "Follow-up Quiz"}, "start_mode": "I",
             "base_language": "eng"},
            {"uuid": uid("campaign", "m"), "offset": 3, "unit": "D", "event_type": "M", "delivery_hour": -1,
             "relative_to": {"key": "training_date", "label": "Training Date"},
             "message": {"eng": "Remember: test before you treat", "fra": "Rappel : tester avant de traiter"},
             "start_mode": "P", "base_language": "eng"}
        ]
    }]);
    let fields = json!([{"key": "training_date", "name": "Training Date", "type": "datetime"}]);
    let groups = json!([{"uuid": uid("campaign", "group"), "name": "Trained"}]);
    let api = env.server.api(OPERATOR);
    // Contacts and group exist before the campaign is imported, as in a
    // ministry that adds follow-up to a training already held.
    let (s, v) = api
        .post("/fields", json!({"key": "training_date", "type": "datetime"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api
        .post(
            "/contacts/import",
            json!({"contacts": [
                {"name": "A", "urns": ["tel:+255713000200"], "language": "fra",
                 "fields": {"training_date": trained(3 * 86_400 - 4)}},
                {"name": "B", "urns": ["tel:+255713000201"], "fields": {"training_date": trained(0)}},
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    import(&env, export(&[quiz], &[], fields, groups, campaign)).await;
    let all = api.ok("/contacts").await;
    let uuids: Vec<String> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uuid"].as_str().unwrap().to_string())
        .collect();
    let (s, v) = api
        .post("/groups/Trained/members", json!({"contacts": uuids}))
        .await;
    assert_eq!(s, 200, "{v}");

    let a = Phone::new(&api, "+255713000200");
    let got = a.wait_for(2, 20).await;
    assert!(
        got.contains(&"Quiz: what confirms malaria? 1 RDT 2 fever".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"Rappel : tester avant de traiter".to_string()),
        "{got:?}"
    );
    a.say("1").await;
    assert_eq!(a.wait_for(3, 10).await[2], "Thanks for taking the quiz");
    // The day-1 event was already past: it never fires, and nothing else came.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(a.received().await.len(), 3);
    let b = Phone::new(&api, "+255713000201");
    assert!(b.received().await.is_empty());
    let c = api.ok(&format!("/campaigns/{}", uid("campaign", "c"))).await;
    let counts: Vec<(i64, i64)> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["scheduled"].as_i64().unwrap(), e["fired"].as_i64().unwrap()))
        .collect();
    // Day 1: B pending. Day 3 flow and message: A fired, B pending.
    assert_eq!(counts, [(1, 0), (1, 1), (1, 1)], "{c}");

    // B's training date moves back three days less 5 s: the day-3 events
    // reschedule and fire within seconds; the day-1 one is now past.
    let b_uuid = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "B")
        .unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = api
        .patch(
            &format!("/contacts/{b_uuid}"),
            json!({"fields": {"training_date": trained(3 * 86_400 - 5)}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let got = b.wait_for(2, 20).await;
    assert!(
        got.contains(&"Remember: test before you treat".to_string()),
        "{got:?}"
    );
    let results = api
        .ok(&format!("/flows/{}/results", uid("Follow-up Quiz", "flow")))
        .await;
    assert_eq!(results["runs"]["total"], 2, "{results}");
    assert_eq!(results["results"][0]["categories"][0]["name"], "Correct");
}

on_both!(webhooks_follow_the_host_policy);
async fn webhooks_follow_the_host_policy(kind: Db) {
    // A tiny HTTP server on loopback answers the flow's webhook.
    let (port, server) = serve_local(axum::Router::new().route(
        "/facility",
        axum::routing::post(|body: String| async move {
            axum::Json(json!({"facility": "Kilosa DH", "echo": body}))
        }),
    ))
    .await;

    // The same webhook by address and by a name that resolves to loopback:
    // the policy applies to what a name resolves to, not to how it reads.
    let flow = |name: &str, host: &str| {
        let f = name;
        json!({
            "uuid": uid(f, "flow"), "name": name, "spec_version": "13.1.0", "language": "eng",
            "type": "messaging", "revision": 1, "expire_after_minutes": 60, "localization": {},
            "nodes": [
                {"uuid": uid(f, "call"), "actions": [{"uuid": uid(f, "a"), "type": "call_webhook", "method": "POST",
                    "url": format!("http://{host}:{port}/facility"), "headers": {"Content-Type": "application/json"},
                    "body": "{\"urn\": \"@contact.urn\"}", "result_name": "Lookup"}],
                 "router": {"type": "switch", "operand": "@results.lookup.category",
                    "default_category_uuid": uid(f, "fail"),
                    "cases": [{"uuid": uid(f, "c"), "type": "has_only_text", "arguments": ["Success"], "category_uuid": uid(f, "ok")}],
                    "categories": [{"uuid": uid(f, "ok"), "name": "Success", "exit_uuid": uid(f, "x1")},
                                   {"uuid": uid(f, "fail"), "name": "Failure", "exit_uuid": uid(f, "x2")}]},
                 "exits": [{"uuid": uid(f, "x1"), "destination_uuid": uid(f, "yes")}, {"uuid": uid(f, "x2"), "destination_uuid": uid(f, "no")}]},
                {"uuid": uid(f, "yes"), "actions": [{"uuid": uid(f, "s1"), "type": "send_msg", "text": "Your facility: @webhook.facility"}],
                 "exits": [{"uuid": uid(f, "x3"), "destination_uuid": null}]},
                {"uuid": uid(f, "no"), "actions": [{"uuid": uid(f, "s2"), "type": "send_msg", "text": "Lookup unavailable"}],
                 "exits": [{"uuid": uid(f, "x4"), "destination_uuid": null}]}
            ]
        })
    };
    for (allow, expect) in [(true, "Your facility: Kilosa DH"), (false, "Lookup unavailable")] {
        let env = start(
            kind,
            &format!("[webhooks]\nallow_private = {allow}\ntimeout_secs = 5\n"),
        );
        import(
            &env,
            export(
                &[
                    flow("Facility Lookup", "127.0.0.1"),
                    flow("Facility By Name", "localhost"),
                ],
                &[("where", "Facility Lookup"), ("near", "Facility By Name")],
                json!([]),
                json!([]),
                json!([]),
            ),
        )
        .await;
        for (number, keyword) in [("+255714000001", "where"), ("+255714000002", "near")] {
            let phone = Phone::new(&env.server.api(OPERATOR), number);
            phone.say(keyword).await;
            assert_eq!(
                phone.wait_for(1, 15).await,
                [expect],
                "{keyword} (allow_private = {allow})"
            );
        }
    }
    server.abort();
}

on_both!(broken_exports_are_refused_whole);
async fn broken_exports_are_refused_whole(kind: Db) {
    let env = start(kind, "");
    let api = env.server.api(ADMIN);
    let mut broken = case_report(None);
    broken["nodes"][0]["exits"][0]["destination_uuid"] = json!(uid("x", "nowhere"));
    let (s, v) = api
        .post(
            "/flows",
            export(
                &[case_report(None), broken],
                &[("case", "Case Report Test")],
                json!([]),
                json!([]),
                json!([]),
            ),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("Case Report Test"), "{v}");
    assert_eq!(api.ok("/flows").await["results"], json!([]));
    assert_eq!(api.ok("/triggers").await["results"], json!([]));
    // Operators may start flows but not import them.
    let (s, _) = env
        .server
        .api(OPERATOR)
        .post(
            "/flows",
            export(&[case_report(None)], &[], json!([]), json!([]), json!([])),
        )
        .await;
    assert_eq!(s, 403);
    // Importing the same export twice changes nothing.
    let good = export(
        &[case_report(None)],
        &[("case", "Case Report Test")],
        json!([]),
        json!([]),
        json!([]),
    );
    import(&env, good.clone()).await;
    let again = import(&env, good).await;
    assert_eq!(again["triggers_created"], 0);
    assert_eq!(api.ok("/triggers").await["results"].as_array().unwrap().len(), 1);
    assert_eq!(api.ok("/flows").await["results"].as_array().unwrap().len(), 1);
}

/// A phone's side of a conversation: each turn says something and waits
/// for the reply.
struct Chat {
    phone: Phone,
    seen: usize,
}

impl Chat {
    /// Say something; the messages that came back (a flow may send several,
    /// and they may arrive in any order, as from a carrier).
    async fn turn(&mut self, said: &str) -> Vec<String> {
        self.phone.say(said).await;
        self.next().await
    }

    /// Wait for at least one new message and let the rest of the reply
    /// arrive.
    async fn next(&mut self) -> Vec<String> {
        self.phone.wait_for(self.seen + 1, 10).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let all = self.phone.received().await;
        let new = all[self.seen..].to_vec();
        self.seen = all.len();
        new
    }
}

// The flows we ship in `flows/`, imported from the config file as an
// operator would, each run end to end through the gateway: a case report,
// the training quiz (LEARN replays it), an HR update that changes the
// contact's fields and number, and a ministry poll started through the API.
on_both!(the_shipped_flows_run_end_to_end);
async fn the_shipped_flows_run_end_to_end(kind: Db) {
    let repo = env!("CARGO_MANIFEST_DIR");
    let imports: Vec<String> = ["case_report", "training_quiz", "hr_update", "ministry_poll"]
        .iter()
        .map(|f| format!("\"{repo}/flows/{f}.json\""))
        .collect();
    let env = start(kind, &format!("[flows]\nimports = [{}]\n", imports.join(", ")));
    let api = env.server.api(OPERATOR);
    let (s, v) = api
        .post(
            "/contacts",
            json!({"name": "Grace", "urns": ["tel:+255715000001"],
                   "fields": {"facility": "Kilosa District Hospital", "cadre": "Nurse"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let grace = v["uuid"].as_str().unwrap().to_string();
    let phone = Phone::new(&api, "+255715000001");
    let mut chat = Chat {
        phone: phone.clone(),
        seen: 0,
    };

    // Case report, with the facility on record for "same".
    assert_eq!(
        chat.turn("CASE").await,
        ["Case report. Which disease? Reply MALARIA, CHOLERA, MEASLES, EBOLA or OTHER."]
    );
    assert_eq!(
        chat.turn("cholera").await,
        ["How many cases of Cholera? Reply with a number."]
    );
    assert!(chat.turn("7").await[0].starts_with("Where were the cases seen?"));
    assert_eq!(
        chat.turn("same").await,
        ["Thank you. 7 case(s) of Cholera reported at Kilosa District Hospital."]
    );

    // The training quiz: five answers, a score; LEARN starts it again.
    chat.turn("QUIZ").await;
    for answer in ["2", "1", "3", "2"] {
        chat.turn(answer).await;
    }
    let end = chat.turn("1").await;
    assert!(
        end.contains(&"You scored 5 out of 5. Text LEARN to take the quiz again.".to_string()),
        "{end:?}"
    );
    chat.turn("learn").await;
    for answer in ["1", "1", "1", "1"] {
        chat.turn(answer).await;
    }
    let end = chat.turn("1").await;
    assert!(
        end.iter().any(|m| m.starts_with("You scored 2 out of 5.")),
        "{end:?}"
    );
    let quiz = api
        .ok("/flows/80d7a3cd-e0a8-46b3-aa1e-57af9cf6b993/results")
        .await;
    assert_eq!(quiz["runs"]["completed"], 2, "{quiz}");
    let by_key = |k: &str| -> Vec<(String, i64)> {
        quiz["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == k)
            .map(|r| {
                r["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap().to_string(),
                            c["count"].as_i64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        by_key("q1"),
        [("Correct".to_string(), 1), ("Incorrect".to_string(), 1)]
    );
    assert_eq!(by_key("q2"), [("Correct".to_string(), 2)]);

    // HR update: a new facility, cadre and number land on the contact.
    assert!(chat.turn("HR").await[0].contains("Kilosa District Hospital"));
    assert!(chat.turn("Mbengwi Health Centre").await[0].contains("cadre"));
    assert!(chat.turn("midwife").await[0].contains("phone number"));
    assert_eq!(
        chat.turn("+255715999999").await,
        ["Thank you! Your record is up to date: Mbengwi Health Centre, Midwife, +255715999999."]
    );
    let c = api.ok(&format!("/contacts/{grace}")).await;
    assert_eq!(c["fields"]["facility"], "Mbengwi Health Centre", "{c}");
    assert_eq!(c["fields"]["cadre"], "Midwife", "{c}");
    assert_eq!(c["fields"]["phone_confirmed"], "+255715999999", "{c}");
    let urns: Vec<&str> = c["urns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(urns.contains(&"tel:+255715999999"), "{c}");

    // The ministry poll, started through the API, answered YES.
    let (s, v) = api
        .post(
            "/flow_starts",
            json!({"flow": "Ministry Poll", "contacts": [grace]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let question = chat.next().await;
    assert!(question[0].contains("malaria test kits"), "{question:?}");
    chat.turn("yes").await;
    let poll = api.ok("/flows/670d39df-5677-497c-931b-161f63220fc5/runs").await;
    assert_eq!(
        poll["results"][0]["results"]["stock"]["category"], "Yes",
        "{poll}"
    );
}
