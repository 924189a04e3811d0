//! Self-registration against the real strict FHIR R4 server and a real
//! `mhero serve`, on SQLite and PostgreSQL: a health worker in no registry
//! texts JOIN, gives a name and a facility, and appears in the registry as a
//! `Practitioner` (id and contact-uuid identifier = the contact's uuid, the
//! phone) with a `PractitionerRole` at that facility; a facility the
//! registry does not know creates nothing and is reported; nothing is
//! written twice.

mod common;
mod fhir_peer;

use std::time::{Duration, Instant};

use mhero::fhir::client::FhirClient;
use mhero::fhir::mhero::contact_uuid;
use mhero::fhir::resources::{Location, Practitioner, PractitionerRole, Reference};
use serde_json::{json, Value};

use common::flows::{export, question_flow, uid, Question};
use common::{Db, Server, TestDb, OPERATOR};
use fhir_peer::FhirServer;

fn question<'a>(text: &'a str, result: &'a str) -> Question<'a> {
    Question {
        text,
        result,
        cases: vec![("All", "has_text", vec![])],
        retry: "Please reply with some text.",
        timeout: None,
    }
}

async fn practitioners(client: &FhirClient) -> Vec<Practitioner> {
    client
        .search_all::<Practitioner>(&[])
        .await
        .expect("practitioners")
        .resources
}

async fn join(api: &common::Api, from: &str, answers: &[&str]) {
    let inbox = format!("/simulator/phones/{from}/received");
    for (i, said) in ["join"].iter().chain(answers).enumerate() {
        let (s, v) = api
            .post("/simulator/inbound", json!({"from": from, "text": said}))
            .await;
        assert_eq!(s, 201, "{v}");
        api.wait_for(&inbox, 20, |v| {
            v["results"].as_array().is_some_and(|r| r.len() > i)
        })
        .await;
    }
}

on_both!(a_worker_in_no_registry_registers_by_sms);
async fn a_worker_in_no_registry_registers_by_sms(kind: Db) {
    let fhir = FhirServer::start();
    let client = fhir.client();
    let facility = Location {
        id: Some("FA".into()),
        name: Some("Kilosa Health Centre".into()),
        status: Some("active".into()),
        ..Location::default()
    };
    client.update(&facility).await.expect("facility");

    let dir = tempfile::tempdir().expect("tempdir");
    let flow = question_flow(
        "Join",
        &[
            question("Welcome! What is your full name?", "Name"),
            question("Which health facility do you work at?", "Facility"),
        ],
        "Thank you, you are registered.",
    );
    let exported = dir.path().join("join.json");
    let body = export(&[flow], &[("join", "Join")], json!([]), json!([]), json!([]));
    std::fs::write(&exported, body.to_string()).expect("write flow");
    let db = TestDb::new(kind, dir.path());
    let extra = format!(
        r#"
[flows]
imports = ["{}"]

[[registries]]
name = "ihris"
base_url = "{}"
country = "TZ"
sync_interval_secs = 0
poll_interval_secs = 1
timeout_secs = 3
[registries.self_registration]
flow = "{}"
"#,
        exported.display(),
        fhir.base,
        uid("Join", "flow")
    );
    let mut server = Server::start(dir.path(), "gw", &common::config(&db.url, "n1", &extra));
    let api = server.api(OPERATOR);

    join(&api, "+255720000091", &["Amina Mushi", "kilosa health centre"]).await;
    join(&api, "+255720000092", &["Baraka Juma", "Nowhere Clinic"]).await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let amina = loop {
        let found = practitioners(&client).await;
        if let Some(p) = found.into_iter().next() {
            break p;
        }
        assert!(Instant::now() < deadline, "Amina never reached the registry");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let contacts = api.ok("/contacts?limit=10").await;
    let contact = contacts["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["urns"][0] == "tel:+255720000091")
        .cloned()
        .expect("Amina's contact");
    let uuid = contact["uuid"].as_str().unwrap();
    assert_eq!(
        amina.id.as_deref(),
        Some(uuid),
        "emNutt's shape: id = contact uuid"
    );
    assert_eq!(contact_uuid(&amina.identifier), Some(uuid));
    assert_eq!(amina.display_name().as_deref(), Some("Amina Mushi"));
    assert_eq!(amina.phones(), ["+255720000091"]);
    let roles = client
        .search_all::<PractitionerRole>(&[("practitioner", &format!("Practitioner/{uuid}"))])
        .await
        .expect("roles");
    assert_eq!(roles.resources.len(), 1);
    assert_eq!(roles.resources[0].location, vec![Reference::to("Location", "FA")]);

    // The unknown facility created nothing and is reported.
    let conflicts: Value = api
        .wait_for("/registries/ihris/conflicts", 20, |v| {
            v["results"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    let c = &conflicts["results"][0];
    assert_eq!(c["field"], "self_registration", "{conflicts}");
    assert_eq!(c["ours"], "Nowhere Clinic");
    assert!(c["reason"].as_str().unwrap().contains("no facility"), "{c}");

    // Several more rounds: still one Practitioner, one role, same versions.
    let version = |p: &Practitioner| p.meta.as_ref().and_then(|m| m.version_id.clone());
    let before = version(&amina);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = practitioners(&client).await;
    assert_eq!(after.len(), 1);
    assert_eq!(version(&after[0]), before);
    let listed = api.ok("/registries").await;
    assert_eq!(listed["results"][0]["practitioners"], 1, "{listed}");
    server.stop();
}
