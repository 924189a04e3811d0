//! What the registry hears back about its requests, against the real strict
//! FHIR R4 server (`fhir_peer`) and a real `mhero serve` on SQLite and on
//! PostgreSQL: a flow request's finished runs become `QuestionnaireResponse`s
//! (the question asked, the answer, its category, the worker as subject, the
//! run uuid as id and identifier), every recipient of a request gets its
//! result record (sent / delivered / failed, responded, exit type), an HR
//! update answer moves a `PractitionerRole` unless the registry changed it
//! after the answer (then a conflict is reported), local groups and flows
//! are published (`Group`, `Basic` mhero-workflows), the staffing view
//! counts, and replaying the whole write-back from the start changes no
//! resource. Runs nobody requested come back too: a synced worker who texts
//! a keyword and finishes the flow gets a `QuestionnaireResponse` (no
//! request linked), as does a run the API started, an interrupted run gets
//! a `stopped` one, and a contact in no registry none.

mod common;
mod fhir_peer;

use std::collections::BTreeMap;
use std::time::Duration;

use mhero::fhir::client::FhirClient;
use mhero::fhir::mhero::request::{BroadcastRecord, ExitType, FlowStartRecord};
use mhero::fhir::mhero::workflow::{WorkflowDetails, WORKFLOWS_PROFILE};
use mhero::fhir::resources::{
    Basic, CommunicationRequest, Group, Location, Payload, Practitioner, PractitionerRole,
    QuestionnaireResponse, Reference, Resource,
};
use mhero::fhir::write_back::{questionnaire_name, result_id, EVENT_BASED_ON_EXTENSION, URI_SYSTEM};
use serde_json::{json, Value};

use common::{Db, Server, TestDb, OPERATOR};
use fhir_peer::{cli_sync, practitioner, wait_for, FhirServer};

/// The ministry poll we ship (flows/ministry_poll.json).
const POLL_FLOW: &str = "670d39df-5677-497c-931b-161f63220fc5";
const POLL_QUESTION: &str = "Do you have enough malaria test kits this month? Reply YES or NO";
/// Numbers under this prefix fail at the simulated carrier.
const FAILING: &str = "+2557900";
const HR_FLOW: &str = "0246ad54-71c1-4ec0-af8c-06b8644bbd07";
/// The shipped training quiz (keywords QUIZ, LEARN) and case report (CASE).
const QUIZ_FLOW: &str = "80d7a3cd-e0a8-46b3-aa1e-57af9cf6b993";
const CASE_FLOW: &str = "575b7daa-1caa-4618-95b5-88f222c88e5f";

fn phone(i: usize) -> String {
    format!("+2557200000{i:02}")
}

fn config(db_url: &str, fhir_base: &str) -> String {
    let poll = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/ministry_poll.json");
    let hr = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/hr_update.json");
    let quiz = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/training_quiz.json");
    let case = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/case_report.json");
    common::config(
        db_url,
        "n1",
        &format!(
            r#"
[[links]]
name = "simulator"
kind = "simulator"
[links.simulator]
fail_prefix = "{FAILING}"

[flows]
imports = ["{poll}", "{hr}", "{quiz}", "{case}"]

[[registries]]
name = "ihris"
base_url = "{fhir_base}"
country = "TZ"
sync_interval_secs = 0
poll_interval_secs = 1
timeout_secs = 3
export_groups = ["Field team"]
[registries.hr_update]
flow = "{HR_FLOW}"
"#
        ),
    )
}

async fn read_result(client: &FhirClient, request: &str, practitioner: &str) -> Option<CommunicationRequest> {
    client
        .read::<CommunicationRequest>(&result_id(request, &format!("Practitioner/{practitioner}")))
        .await
        .ok()
}

async fn response_of(client: &FhirClient, practitioner: &str) -> Option<QuestionnaireResponse> {
    client
        .search_all::<QuestionnaireResponse>(&[("subject", &format!("Practitioner/{practitioner}"))])
        .await
        .ok()?
        .resources
        .into_iter()
        .next()
}

/// `id → versionId` of every resource of type `R` on the registry.
async fn versions<R: Resource + serde::de::DeserializeOwned>(
    client: &FhirClient,
) -> BTreeMap<String, String> {
    let all = client.search_all::<R>(&[]).await.expect("search");
    all.resources
        .iter()
        .map(|r| {
            let v = serde_json::to_value(r).unwrap_or(Value::Null);
            (
                v["id"].as_str().unwrap_or("").to_string(),
                v["meta"]["versionId"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Walk a worker through the HR update flow, naming Facility B as theirs;
/// `between` runs after the facility answer (a registry edit, say).
async fn hr_update(api: &common::Api, from: &str, between: Option<impl AsyncFnOnce()>) {
    let inbox = format!("/simulator/phones/{from}/received");
    let mut seen = api.ok(&inbox).await["results"].as_array().map_or(0, Vec::len);
    let mut between = between;
    for said in ["HR", "Facility B", "Nurse", "YES"] {
        say(api, from, said).await;
        seen += 1;
        api.wait_for(&inbox, 20, |v| {
            v["results"].as_array().is_some_and(|r| r.len() >= seen)
        })
        .await;
        if said == "Facility B" {
            if let Some(edit) = between.take() {
                // The registry's edit must come strictly after the answer.
                tokio::time::sleep(Duration::from_millis(20)).await;
                edit().await;
            }
        }
    }
    let last = api.ok(&inbox).await;
    let text = last["results"]
        .as_array()
        .and_then(|r| r.last())
        .map(|m| m["text"].to_string());
    assert!(
        text.as_deref()
            .is_some_and(|t| t.contains("Your record is up to date")),
        "{last}"
    );
}

async fn say(api: &common::Api, from: &str, text: &str) {
    let (s, v) = api
        .post("/simulator/inbound", json!({"from": from, "text": text}))
        .await;
    assert_eq!(s, 201, "{v}");
}

on_both!(runs_and_receipts_come_back_to_the_registry);
async fn runs_and_receipts_come_back_to_the_registry(kind: Db) {
    let fhir = FhirServer::start();
    let client = fhir.client();
    let mut workers: Vec<Practitioner> = (1..=5)
        .map(|i| practitioner(&format!("P{i}"), &format!("Worker {i}"), Some(&phone(i))))
        .collect();
    workers.push(practitioner("P6", "Worker 6", Some("+255790000006")));
    assert!(client.put_all(&workers).await.iter().all(Result::is_ok));
    let places: Vec<Location> = ["A", "B", "C"]
        .iter()
        .map(|f| Location {
            id: Some(format!("F{f}")),
            name: Some(format!("Facility {f}")),
            status: Some("active".into()),
            ..Location::default()
        })
        .collect();
    assert!(client.put_all(&places).await.iter().all(Result::is_ok));
    let roles: Vec<PractitionerRole> = (1..=6)
        .map(|i| PractitionerRole {
            id: Some(format!("PR{i}")),
            active: Some(true),
            practitioner: Some(Reference::to("Practitioner", &format!("P{i}"))),
            location: vec![Reference::to("Location", "FA")],
            ..PractitionerRole::default()
        })
        .collect();
    assert!(client.put_all(&roles).await.iter().all(Result::is_ok));

    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let mut server = Server::start(dir.path(), "gw", &config(&db.url, &fhir.base));
    let api = server.api(OPERATOR);
    let report = cli_sync(&server.config);
    assert_eq!(report["created"], 6, "{report}");

    // A flow request to three workers and a text request to two, on the registry.
    let poll = CommunicationRequest {
        id: Some("poll-1".into()),
        status: Some("active".into()),
        payload: vec![Payload {
            content_reference: Some(Reference::to("Basic", POLL_FLOW)),
            ..Payload::default()
        }],
        recipient: ["P1", "P2", "P3"]
            .iter()
            .map(|p| Reference::to("Practitioner", p))
            .collect(),
        ..CommunicationRequest::default()
    };
    let text = CommunicationRequest {
        id: Some("text-1".into()),
        status: Some("active".into()),
        payload: vec![Payload::text("Vaccines arrive on Friday")],
        recipient: vec![
            Reference::to("Practitioner", "P4"),
            Reference::to("Practitioner", "P6"),
        ],
        ..CommunicationRequest::default()
    };
    client.update(&poll).await.expect("poll request");
    client.update(&text).await.expect("text request");

    for i in 1..=3 {
        api.wait_for(&format!("/simulator/phones/{}/received", phone(i)), 30, |v| {
            v["results"]
                .as_array()
                .is_some_and(|r| r.iter().any(|m| m["text"] == POLL_QUESTION))
        })
        .await;
    }
    let acted = client
        .read::<CommunicationRequest>("poll-1")
        .await
        .expect("poll-1");
    assert_eq!(
        acted.status.as_deref(),
        Some("completed"),
        "a started flow request is acted on"
    );
    say(&api, &phone(1), "YES").await;
    say(&api, &phone(2), "no, we ran out").await;

    // 1. A finished run is a QuestionnaireResponse the strict server took.
    let qr = wait_for("P1's response", 30, || response_of(&client, "P1")).await;
    let run_uuid = qr.id.clone().expect("id");
    assert!(
        uuid::Uuid::parse_str(&run_uuid).is_ok(),
        "id is the run uuid: {run_uuid}"
    );
    let identifier = qr.identifier.as_ref().expect("identifier");
    assert_eq!(identifier.system.as_deref(), Some(URI_SYSTEM));
    assert_eq!(identifier.value, Some(format!("urn:uuid:{run_uuid}")));
    assert_eq!(qr.status.as_deref(), Some("completed"));
    assert_eq!(qr.subject, Some(Reference::to("Practitioner", "P1")));
    assert_eq!(
        qr.questionnaire,
        Some(format!("http://mhero.org/fhir/Questionnaire/{POLL_FLOW}"))
    );
    let based_on = qr
        .extension
        .iter()
        .find(|e| e.url == EVENT_BASED_ON_EXTENSION)
        .expect("the request it answers");
    assert_eq!(
        based_on.value["valueReference"]["reference"],
        "CommunicationRequest/poll-1"
    );
    assert_eq!(qr.item.len(), 1, "one item per result: {qr:?}");
    let item = &qr.item[0];
    assert_eq!(item.link_id, "stock");
    assert_eq!(item.text.as_deref(), Some(POLL_QUESTION), "the question asked");
    assert_eq!(item.answer[0].value_string(), Some("YES"));
    assert_eq!(item.answer[0].item[0].answer[0].value_string(), Some("Yes"));
    let qr2 = wait_for("P2's response", 30, || response_of(&client, "P2")).await;
    assert_eq!(
        qr2.item[0].answer[0].value_string(),
        Some("no"),
        "the result value: the word matched"
    );
    assert_eq!(qr2.item[0].answer[0].item[0].answer[0].value_string(), Some("No"));

    // 2. Each recipient's result: responded / exit type for the flow ...
    let p1 = wait_for("P1's result", 30, async || {
        let r = read_result(&client, "poll-1", "P1").await?;
        let record = FlowStartRecord::of(&r)?;
        (record.exit_type == Some(ExitType::Completed)).then_some((r, record))
    })
    .await;
    assert_eq!(p1.0.status.as_deref(), Some("completed"), "iHRIS: Sent");
    assert_eq!(p1.0.recipient, vec![Reference::to("Practitioner", "P1")]);
    assert_eq!(p1.1.responded.as_deref(), Some("Yes"));
    assert!(p1.1.exited_on.is_some());
    let p3 = wait_for("P3's result", 30, || read_result(&client, "poll-1", "P3")).await;
    let p3 = FlowStartRecord::of(&p3).expect("flow record");
    assert_eq!(p3.responded.as_deref(), Some("No"), "P3 has not answered");
    assert_eq!(p3.exit_type, None, "P3's run still waits");
    assert!(
        response_of(&client, "P3").await.is_none(),
        "no response for a waiting run"
    );

    // ... and sent → delivered or failed for the text, as receipts come in.
    let p4 = wait_for("P4 delivered", 30, async || {
        let r = read_result(&client, "text-1", "P4").await?;
        (BroadcastRecord::of(&r)?.status.as_deref() == Some("delivered")).then_some(r)
    })
    .await;
    assert_eq!(p4.status.as_deref(), Some("completed"));
    let p6 = wait_for("P6 failed", 30, async || {
        let r = read_result(&client, "text-1", "P6").await?;
        (BroadcastRecord::of(&r)?.status.as_deref() == Some("failed")).then_some(r)
    })
    .await;
    assert_eq!(p6.status.as_deref(), Some("entered-in-error"), "iHRIS: Failed");

    // 3. P3 answers later: the result moves on and a response appears.
    say(&api, &phone(3), "YES").await;
    wait_for("P3's response", 30, || response_of(&client, "P3")).await;
    wait_for("P3's result updated", 30, async || {
        let r = read_result(&client, "poll-1", "P3").await?;
        (FlowStartRecord::of(&r)?.responded.as_deref() == Some("Yes")).then_some(())
    })
    .await;

    // 4. HR updates: P5 names a new facility and its role moves there; P4
    // does too, but the registry edits P4's role meanwhile and wins.
    hr_update(&api, &phone(5), None::<fn() -> std::future::Ready<()>>).await;
    wait_for("PR5 moved", 30, async || {
        let role = client.read::<PractitionerRole>("PR5").await.ok()?;
        (role.location == vec![Reference::to("Location", "FB")]).then_some(())
    })
    .await;
    let registry_edit = async || {
        let mut pr4 = client.read::<PractitionerRole>("PR4").await.expect("PR4");
        pr4.location = vec![Reference::to("Location", "FC")];
        client.update(&pr4).await.expect("edit PR4");
    };
    hr_update(&api, &phone(4), Some(registry_edit)).await;
    let conflicts = api
        .wait_for("/registries/ihris/conflicts", 30, |v| {
            v["results"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    let c = &conflicts["results"][0];
    assert_eq!(c["resource"], "PractitionerRole/PR4", "{conflicts}");
    assert_eq!(
        (c["field"].as_str(), c["ours"].as_str()),
        (Some("facility"), Some("Facility B"))
    );
    assert_eq!(c["theirs"], "Location/FC");
    let pr4 = client.read::<PractitionerRole>("PR4").await.expect("PR4");
    assert_eq!(
        pr4.location,
        vec![Reference::to("Location", "FC")],
        "the registry's edit stays"
    );

    // 5. The staffing view counts both corrections against the sync's facility.
    let staffing = api.ok("/registries/ihris/staffing").await;
    assert_eq!(staffing["workers"], 6, "{staffing}");
    assert_eq!(
        (staffing["corrected"].as_u64(), staffing["confirmed"].as_u64()),
        (Some(2), Some(0))
    );
    let fa = &staffing["facilities"][0];
    assert_eq!(
        (fa["facility_id"].as_str(), fa["workers"].as_u64()),
        (Some("FA"), Some(6))
    );
    assert!(fa["last_corrected_on"].is_string(), "{staffing}");

    // 6. A local group and the flows are published.
    let contacts = api.ok("/contacts?limit=100").await;
    let uuid_of = |p: &str| {
        contacts["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["fields"]["registry_id"] == p)
            .map(|c| c["uuid"].clone())
            .expect("contact")
    };
    let (s, team) = api.post("/groups", json!({"name": "Field team"})).await;
    assert_eq!(s, 201, "{team}");
    let (s, v) = api
        .post(
            &format!("/groups/{}/members", team["uuid"].as_str().unwrap()),
            json!({"contacts": [uuid_of("P1"), uuid_of("P2")]}),
        )
        .await;
    assert!(s < 300, "{v}");
    let group = wait_for("the Field team Group", 30, async || {
        client.read::<Group>(team["uuid"].as_str()?).await.ok()
    })
    .await;
    assert_eq!(group.name.as_deref(), Some("Field team"));
    let mut members: Vec<String> = group.practitioner_ids().iter().map(|s| s.to_string()).collect();
    members.sort();
    assert_eq!(members, ["P1", "P2"]);
    let flows = client
        .search_all::<Basic>(&[("_profile", WORKFLOWS_PROFILE)])
        .await
        .expect("workflows");
    let mut names: Vec<String> = flows
        .resources
        .iter()
        .filter_map(WorkflowDetails::of)
        .map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Case Report", "HR Update", "Ministry Poll", "Training Quiz"]
    );

    // 7. Replaying every write-back from the start writes nothing new.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let responses = versions::<QuestionnaireResponse>(&client).await;
    let requests = versions::<CommunicationRequest>(&client).await;
    let role_versions = versions::<PractitionerRole>(&client).await;
    let group_versions = versions::<Group>(&client).await;
    let basic_versions = versions::<Basic>(&client).await;
    assert_eq!(
        responses.len(),
        5,
        "the poll's three and the two HR update runs (no request): {responses:?}"
    );
    // poll-1, text-1 and a result per recipient (3 + 2).
    assert_eq!(requests.len(), 7, "{requests:?}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("database");
    let state = "SELECT msg_cursor_id, run_cursor_id FROM registry_state WHERE registry = 'ihris'";
    let before: (i64, i64) = sqlx::query_as(state).fetch_one(&pool).await.expect("state");
    assert!(before.0 > 0 && before.1 > 0, "{before:?}");
    sqlx::query(
        "UPDATE registry_state SET msg_cursor_on = 0, msg_cursor_id = 0, run_cursor_on = 0, run_cursor_id = 0",
    )
    .execute(&pool)
    .await
    .expect("rewind");
    wait_for("the replay", 30, async || {
        let now: (i64, i64) = sqlx::query_as(state).fetch_one(&pool).await.ok()?;
        (now == before).then_some(())
    })
    .await;
    assert_eq!(versions::<QuestionnaireResponse>(&client).await, responses);
    assert_eq!(versions::<CommunicationRequest>(&client).await, requests);
    assert_eq!(versions::<PractitionerRole>(&client).await, role_versions);
    assert_eq!(versions::<Group>(&client).await, group_versions);
    assert_eq!(versions::<Basic>(&client).await, basic_versions);
    let again = api.ok("/registries/ihris/conflicts").await;
    assert_eq!(again["results"].as_array().map(Vec::len), Some(1), "{again}");
    pool.close().await;
    server.stop();
}

/// Say each of `replies` in turn, each after something came back, until a
/// message received since the first contains `last`.
async fn converse(api: &common::Api, from: &str, replies: &[&str], last: &str) {
    let inbox = format!("/simulator/phones/{from}/received");
    let count = async || api.ok(&inbox).await["results"].as_array().map_or(0, Vec::len);
    let start = count().await;
    for said in replies {
        let seen = count().await;
        say(api, from, said).await;
        api.wait_for(&inbox, 20, |v| {
            v["results"].as_array().is_some_and(|r| r.len() > seen)
        })
        .await;
    }
    api.wait_for(&inbox, 20, |v| {
        v["results"].as_array().is_some_and(|r| {
            r.iter()
                .skip(start)
                .any(|m| m["text"].as_str().is_some_and(|t| t.contains(last)))
        })
    })
    .await;
}

on_both!(keyword_runs_come_back_as_responses);
async fn keyword_runs_come_back_as_responses(kind: Db) {
    let fhir = FhirServer::start();
    let client = fhir.client();
    let workers: Vec<Practitioner> = (1..=2)
        .map(|i| practitioner(&format!("P{i}"), &format!("Worker {i}"), Some(&phone(i))))
        .collect();
    assert!(client.put_all(&workers).await.iter().all(Result::is_ok));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let mut server = Server::start(dir.path(), "gw", &config(&db.url, &fhir.base));
    let api = server.api(OPERATOR);
    assert_eq!(cli_sync(&server.config)["created"], 2);

    // A contact in no registry takes the quiz to the end: nothing to write.
    let stranger = "+255720000099";
    converse(
        &api,
        stranger,
        &["quiz", "2", "1", "3", "2", "1"],
        "You scored 5 out of 5",
    )
    .await;
    // P1, synced from the registry, texts the keyword and finishes the quiz.
    converse(
        &api,
        &phone(1),
        &["quiz", "2", "1", "3", "2", "1"],
        "You scored 5 out of 5",
    )
    .await;
    // P2 starts a case report, then leaves it for the quiz: interrupted.
    converse(&api, &phone(2), &["case", "malaria", "quiz"], "Q1 of 5").await;
    // The operator starts the case report for P1 through the API; P1 finishes it.
    let (s, v) = api
        .post(
            "/flow_starts",
            json!({"flow": CASE_FLOW, "urns": [format!("tel:{}", phone(1))]}),
        )
        .await;
    assert!(s < 300, "{v}");
    api.wait_for(&format!("/simulator/phones/{}/received", phone(1)), 20, |v| {
        v.to_string().contains("Case report. Which disease?")
    })
    .await;
    converse(&api, &phone(1), &["cholera", "3", "Kilosa"], "Thank you").await;

    let of_flow = |flow: &'static str| {
        let client = &client;
        async move || {
            let all = client
                .search_all::<QuestionnaireResponse>(&[("subject", "Practitioner/P1")])
                .await
                .ok()?;
            let wanted = format!("http://mhero.org/fhir/Questionnaire/{flow}");
            all.resources
                .into_iter()
                .find(|r| r.questionnaire.as_deref() == Some(wanted.as_str()))
        }
    };
    let qr = wait_for("P1's quiz response", 30, of_flow(QUIZ_FLOW)).await;
    let run_uuid = qr.id.clone().expect("id");
    let runs = api.ok(&format!("/flows/{QUIZ_FLOW}/runs")).await;
    assert!(
        runs.to_string().contains(&run_uuid),
        "id is the run uuid {run_uuid}: {runs}"
    );
    assert_eq!(qr.status.as_deref(), Some("completed"));
    assert_eq!(qr.subject, Some(Reference::to("Practitioner", "P1")));
    assert_eq!(qr.source, Some(Reference::to("Practitioner", "P1")));
    assert_eq!(
        qr.questionnaire,
        Some(format!("http://mhero.org/fhir/Questionnaire/{QUIZ_FLOW}"))
    );
    assert_eq!(
        questionnaire_name(&qr),
        Some("Training Quiz"),
        "the flow is named"
    );
    assert!(
        qr.based_on.is_empty() && qr.extension.iter().all(|e| e.url != EVENT_BASED_ON_EXTENSION),
        "no request started it: {qr:?}"
    );
    let answers: Vec<(&str, Option<&str>)> = qr
        .item
        .iter()
        .map(|i| {
            (
                i.link_id.as_str(),
                i.answer.first().and_then(|a| a.value_string()),
            )
        })
        .collect();
    for (q, a) in [("q1", "2"), ("q2", "1"), ("q3", "3"), ("q4", "2"), ("q5", "1")] {
        assert!(answers.contains(&(q, Some(a))), "{q} = {a} in {answers:?}");
    }
    let q1 = qr.item.iter().find(|i| i.link_id == "q1").expect("q1");
    assert!(
        q1.text.as_deref().is_some_and(|t| t.starts_with("Q1 of 5")),
        "the question asked: {q1:?}"
    );

    let started = wait_for("P1's case report response", 30, of_flow(CASE_FLOW)).await;
    assert_eq!(started.status.as_deref(), Some("completed"));
    assert_eq!(questionnaire_name(&started), Some("Case Report"));
    let cases = started
        .item
        .iter()
        .find(|i| i.link_id == "case_count")
        .expect("case count");
    assert_eq!(cases.answer[0].value_string(), Some("3"), "{started:?}");
    assert!(
        started
            .extension
            .iter()
            .all(|e| e.url != EVENT_BASED_ON_EXTENSION),
        "an API start is no registry request"
    );

    let case = wait_for("P2's case report response", 30, || response_of(&client, "P2")).await;
    assert_eq!(case.status.as_deref(), Some("stopped"), "interrupted is stopped");
    assert_eq!(
        case.questionnaire,
        Some(format!("http://mhero.org/fhir/Questionnaire/{CASE_FLOW}"))
    );
    let disease = case
        .item
        .iter()
        .find(|i| i.link_id == "disease")
        .expect("disease");
    assert_eq!(
        disease.answer[0].value_string().map(str::to_lowercase).as_deref(),
        Some("malaria")
    );

    // Only those three: the stranger has no practitioner, P2's quiz still waits.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let responses = versions::<QuestionnaireResponse>(&client).await;
    assert_eq!(responses.len(), 3, "{responses:?}");

    // A second write-back pass over the same runs changes nothing.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("database");
    let state = "SELECT run_cursor_on, run_cursor_id FROM registry_state WHERE registry = 'ihris'";
    let before: (i64, i64) = sqlx::query_as(state).fetch_one(&pool).await.expect("state");
    sqlx::query("UPDATE registry_state SET run_cursor_on = 0, run_cursor_id = 0")
        .execute(&pool)
        .await
        .expect("rewind");
    wait_for("the replay", 30, async || {
        let now: (i64, i64) = sqlx::query_as(state).fetch_one(&pool).await.ok()?;
        (now == before).then_some(())
    })
    .await;
    assert_eq!(versions::<QuestionnaireResponse>(&client).await, responses);
    pool.close().await;
    server.stop();
}
