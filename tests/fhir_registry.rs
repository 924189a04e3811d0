//! The registry wired to the running gateway, against the real strict FHIR
//! R4 server (`fhir_peer`) and a real `mhero serve` (`common`), on SQLite and
//! on PostgreSQL: a generated
//! registry of 2,000 practitioners synced by the CLI into the database the
//! gateway serves; contact fields; a smart group equal to the registry's own
//! answer; the contact-uuid identifier and `optedout` tag written back; an
//! iHRIS-shaped send reaching a simulated phone; a FHIR-native request acted
//! on once; `Communication`s written; re-sync and write-back changing nothing.

mod common;
mod fhir_peer;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mhero::fhir::client::FhirClient;
use mhero::fhir::mhero::{contact_uuid, is_opted_out, CONTACT_UUID_SYSTEM};
use mhero::fhir::resources::{
    CodeableConcept, Coding, Communication, CommunicationRequest, Group, GroupMember, Identifier, Location,
    Organization, Payload, Practitioner, PractitionerRole, Reference,
};
use serde_json::{json, Value};

use common::{Db, Server, TestDb, OPERATOR};
use fhir_peer::{practitioner, FhirServer};

const CADRE_SYSTEM: &str = "http://ihris.org/fhir/CodeSystem/ihris-cadre";
const WORKER_SYSTEM: &str = "http://registry.example/worker-id";
const CADRES: [&str; 3] = ["Midwife", "Nurse", "Clinical Officer"];

/// Places: 4 regions × 5 districts × 5 facilities, one organization.
fn places() -> (Vec<Location>, Organization) {
    let area = |id: String, name: String, parent: Option<String>, code: &str| Location {
        id: Some(id),
        name: Some(name),
        status: Some("active".into()),
        type_: vec![CodeableConcept::coded(Coding::new(
            "http://ihris.org/fhir/CodeSystem/ihris-location-type",
            code,
            None,
        ))],
        part_of: parent.map(|p| Reference::to("Location", &p)),
        ..Location::default()
    };
    let mut out = Vec::new();
    for r in 0..4 {
        out.push(area(format!("R{r}"), format!("Region {r}"), None, "region"));
        for d in 0..5 {
            let district = format!("D{r}{d}");
            out.push(area(
                district.clone(),
                format!("District {r}{d}"),
                Some(format!("R{r}")),
                "district",
            ));
            for f in 0..5 {
                out.push(area(
                    format!("F{r}{d}{f}"),
                    format!("Facility {r}{d}{f}"),
                    Some(district.clone()),
                    "facility",
                ));
            }
        }
    }
    let moh = Organization {
        id: Some("MOH".into()),
        name: Some("Ministry of Health".into()),
        active: Some(true),
        ..Organization::default()
    };
    (out, moh)
}

pub fn phone_of(i: usize) -> String {
    format!("+2557{:08}", 20_000_000 + i)
}

/// `n` practitioners `P<i>` with one role each: every 100th has no phone,
/// every 7th a local-format one; cadres rotate Midwife/Nurse/Clinical Officer.
fn people(n: usize) -> (Vec<Practitioner>, Vec<PractitionerRole>) {
    let mut ps = Vec::new();
    let mut roles = Vec::new();
    for i in 0..n {
        let phone = match i {
            i if i % 100 == 0 => None,
            i if i % 7 == 0 => Some(format!("07{:08}", 20_000_000 + i)),
            i => Some(phone_of(i)),
        };
        let mut p = practitioner(&format!("P{i}"), &format!("Worker {i}"), phone.as_deref());
        p.identifier = vec![Identifier::new(WORKER_SYSTEM, &format!("W{i}"))];
        ps.push(p);
        let cadre = CADRES[i % 3];
        roles.push(PractitionerRole {
            id: Some(format!("PR{i}")),
            active: Some(true),
            practitioner: Some(Reference::to("Practitioner", &format!("P{i}"))),
            organization: Some(Reference::to("Organization", "MOH")),
            code: vec![CodeableConcept::coded(Coding::new(
                "http://ihris.org/fhir/CodeSystem/ihris-job",
                "hw",
                Some("Health worker"),
            ))],
            specialty: vec![CodeableConcept::coded(Coding::new(
                CADRE_SYSTEM,
                &cadre.to_lowercase().replace(' ', "-"),
                Some(cadre),
            ))],
            location: vec![Reference::to(
                "Location",
                &format!("F{}{}{}", i % 4, (i / 4) % 5, (i / 20) % 5),
            )],
            ..PractitionerRole::default()
        });
    }
    (ps, roles)
}

async fn load_registry(client: &FhirClient, n: usize) {
    let (locations, moh) = places();
    let (ps, roles) = people(n);
    let ok = |rs: Vec<Result<_, mhero::fhir::BatchItemError>>| rs.iter().all(Result::is_ok);
    assert!(ok(client.put_all(&[moh]).await));
    assert!(ok(client.put_all(&locations).await));
    assert!(ok(client.put_all(&ps).await));
    assert!(ok(client.put_all(&roles).await));
    let group = Group {
        id: Some("G-trainees".into()),
        name: Some("IMCI trainees".into()),
        type_: Some("practitioner".into()),
        actual: Some(true),
        member: (1..=10)
            .map(|i| GroupMember {
                entity: Reference::to("Practitioner", &format!("P{i}")),
                ..GroupMember::default()
            })
            .collect(),
        ..Group::default()
    };
    client.update(&group).await.expect("group");
}

/// The ministry poll we ship (flows/ministry_poll.json): a registry request
/// with `contentReference` to `Basic/<this>` starts it.
const POLL_FLOW: &str = "670d39df-5677-497c-931b-161f63220fc5";

fn registry_config(fhir_base: &str, poll_secs: u64) -> String {
    let poll = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/ministry_poll.json");
    let hr = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/hr_update.json");
    format!(
        r#"
[flows]
imports = ["{poll}", "{hr}"]

[[registries]]
name = "ihris"
base_url = "{fhir_base}"
country = "TZ"
sync_interval_secs = 0
poll_interval_secs = {poll_secs}
timeout_secs = 3
cadre_system = "{CADRE_SYSTEM}"
areas = {{ by = "type_code", district = "district", region = "region" }}
[[registries.fields]]
name = "worker_id"
source = {{ from = "identifier", system = "{WORKER_SYSTEM}" }}
"#
    )
}

/// `mhero registry sync --json` against the config of a running gateway.
fn cli_sync(config: &Path, extra: &[&str]) -> (bool, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_mhero"))
        .arg("--config")
        .arg(config)
        .args(["registry", "sync", "--json"])
        .args(extra)
        .env("MHERO_LOG", "warn")
        .output()
        .expect("run mhero registry sync");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "sync printed no JSON report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

async fn all_contacts(api: &common::Api, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let path = format!("/contacts?limit=1000&after={after}{query}");
        let page = api.ok(&path).await;
        let results = page["results"].as_array().cloned().unwrap_or_default();
        if results.is_empty() {
            break;
        }
        out.extend(results);
        match page["next_after"].as_i64().or(page["next"].as_i64()) {
            Some(n) => after = n,
            None => break,
        }
    }
    out
}

async fn versions(client: &FhirClient) -> BTreeMap<String, String> {
    client
        .search_all::<Practitioner>(&[])
        .await
        .expect("practitioners")
        .resources
        .into_iter()
        .map(|p| {
            let v = p
                .meta
                .as_ref()
                .and_then(|m| m.version_id.clone())
                .unwrap_or_default();
            (p.id.unwrap_or_default(), v)
        })
        .collect()
}

on_both!(registry_of_2000_syncs_into_a_running_gateway_and_sends_come_back_as_fhir);
async fn registry_of_2000_syncs_into_a_running_gateway_and_sends_come_back_as_fhir(kind: Db) {
    let fhir = FhirServer::start();
    let client = fhir.client();
    load_registry(&client, 2000).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let mut server = Server::start(
        dir.path(),
        "gw",
        &common::config(&db.url, "n1", &registry_config(&fhir.base, 1)),
    );
    let api = server.api(OPERATOR);

    // 1. Sync with the CLI into the database the gateway serves.
    let started = Instant::now();
    let (ok, report) = cli_sync(&server.config, &[]);
    println!("first sync of 2,000 practitioners took {:?}", started.elapsed());
    assert!(ok, "sync complete: {report}");
    assert_eq!(report["practitioners"], 2000);
    assert_eq!(report["created"], 1980, "{report}");
    let skipped = report["skipped"].as_array().expect("skipped listed");
    assert_eq!(skipped.len(), 20, "every practitioner without a phone is listed");
    assert!(
        skipped.iter().all(|s| s["reason"]["reason"] == "no_phone"),
        "{skipped:?}"
    );
    // The gateway's own write-back task runs meanwhile and may take some.
    assert!(
        report["written_back"]
            .as_u64()
            .is_some_and(|n| n > 0 && n <= 1980),
        "{report}"
    );
    assert!(
        report["write_back_errors"].as_array().is_some_and(Vec::is_empty),
        "{report}"
    );
    assert_eq!(report["groups"]["created"], 1);

    let contacts = all_contacts(&api, "").await;
    assert_eq!(contacts.len(), 1980);
    let by_id: HashMap<String, &Value> = contacts
        .iter()
        .map(|c| (c["fields"]["registry_id"].as_str().unwrap_or("").to_string(), c))
        .collect();
    let p7 = by_id["P7"];
    assert_eq!(p7["name"], "Worker 7");
    assert_eq!(
        p7["urns"][0], "tel:+255720000007",
        "local number normalised with TZ: {p7}"
    );
    assert_eq!(p7["fields"]["facility"], "Facility 310");
    assert_eq!(p7["fields"]["district"], "District 31");
    assert_eq!(p7["fields"]["region"], "Region 3");
    assert_eq!(p7["fields"]["cadre"], "Nurse");
    assert_eq!(p7["fields"]["job"], "Health worker");
    assert_eq!(p7["fields"]["organization"], "Ministry of Health");
    assert_eq!(p7["fields"]["worker_id"], "W7");
    let trainees = api.ok("/groups/IMCI trainees").await;
    assert_eq!(
        trainees["count"], 10,
        "the registry Group became a group: {trainees}"
    );

    // Every reachable worker carries the contact-uuid identifier (iHRIS lists them).
    let practitioners = client.search_all::<Practitioner>(&[]).await.expect("read back");
    let mut carrying = 0;
    for p in &practitioners.resources {
        let id = p.id.clone().unwrap_or_default();
        if let Some(c) = by_id.get(&id) {
            assert_eq!(
                contact_uuid(&p.identifier),
                c["uuid"].as_str(),
                "Practitioner/{id}"
            );
            carrying += 1;
        } else {
            assert!(contact_uuid(&p.identifier).is_none());
        }
    }
    assert_eq!(carrying, 1980);

    // 2. A smart group equals the registry's own answer to the same question.
    let (s, g) = api
        .post(
            "/groups",
            json!({"name": "Midwives in District 12", "query": "cadre = \"Midwife\" AND district = \"District 12\""}),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let members = all_contacts(&api, &format!("&group={}", g["uuid"].as_str().unwrap())).await;
    let ours: BTreeSet<String> = members
        .iter()
        .map(|c| c["fields"]["registry_id"].as_str().unwrap_or("").to_string())
        .collect();
    let facilities = client
        .search_all::<Location>(&[("partof", "Location/D12")])
        .await
        .expect("facilities of D12");
    let refs: Vec<String> = facilities
        .resources
        .iter()
        .map(|l| format!("Location/{}", l.id.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(refs.len(), 5);
    let roles = client
        .search_all::<PractitionerRole>(&[
            ("specialty", &format!("{CADRE_SYSTEM}|midwife")),
            ("location", &refs.join(",")),
        ])
        .await
        .expect("midwife roles in D12");
    let ids: Vec<&str> = roles
        .resources
        .iter()
        .filter_map(|r| r.practitioner.as_ref()?.id_of("Practitioner"))
        .collect();
    let registry_answer: BTreeSet<String> = client
        .read_many::<Practitioner>(&ids)
        .await
        .expect("their practitioners")
        .resources
        .into_iter()
        .filter(|p| !p.phones().is_empty())
        .filter_map(|p| p.id)
        .collect();
    assert!(!registry_answer.is_empty());
    assert_eq!(
        ours, registry_answer,
        "the smart group is exactly the registry's answer"
    );

    // 3. Re-running sync and write-back changes nothing.
    let before = versions(&client).await;
    let contacts_before = all_contacts(&api, "").await;
    for round in 0..2 {
        let (ok, again) = cli_sync(&server.config, &[]);
        assert!(ok, "{again}");
        assert_eq!(
            (
                again["created"].as_u64(),
                again["updated"].as_u64(),
                again["written_back"].as_u64()
            ),
            (Some(0), Some(0), Some(0)),
            "re-sync {round} changed something: {again}"
        );
    }
    let (ok, full) = cli_sync(&server.config, &["--full"]);
    assert!(ok);
    assert_eq!(
        (full["created"].as_u64(), full["updated"].as_u64()),
        (Some(0), Some(0)),
        "{full}"
    );
    assert_eq!(full["unchanged"], 1980);
    assert_eq!(versions(&client).await, before, "no Practitioner was rewritten");
    assert_eq!(
        all_contacts(&api, "").await,
        contacts_before,
        "no contact was touched"
    );

    // 4. iHRIS posts a text to two practitioners, a group and a contained one.
    let http = reqwest::Client::new();
    let request = json!({
        "resourceType": "CommunicationRequest",
        "id": "7f0c3b1e-9a55-4e0c-8d43-1f2f1f0b9a10",
        "meta": {"tag": [{"system": "parentReqId", "code": "1d1c4b7e-3f55-4c2e-9a0b-2d3c4e5f6a7b"}]},
        "payload": [{"contentString": "Please submit your weekly report"}],
        "recipient": [
            {"reference": "Practitioner/P1"}, {"reference": "Practitioner/P2"},
            {"reference": "Group/G-trainees"}, {"reference": "#c1"}, {"reference": "Practitioner/P0"}
        ],
        "contained": [{"resourceType": "Practitioner", "id": "c1", "telecom": [{"system": "phone", "value": "0799 000 111"}]}],
        "occurrenceDateTime": "2021-06-21T10:00:00",
        "extension": [{"url": "sender", "valueReference": {"reference": "Person/u1"}}]
    });
    let answer: Value = http
        .post(format!("{}/emNutt/fhir/CommunicationRequest", server.base))
        .basic_auth("ihris", Some(OPERATOR))
        .json(&request)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["status"], "Processing", "{answer}");
    assert_eq!(
        answer["unresolved"],
        json!(["Practitioner/P0"]),
        "P0 has no phone"
    );
    let req_id = answer["reqID"].as_str().expect("reqID").to_string();
    for phone in [
        phone_of(1),
        phone_of(2),
        "+255799000111".to_string(),
        phone_of(10),
    ] {
        let got = api
            .wait_for(&format!("/simulator/phones/{phone}/received"), 30, |v| {
                v["results"].as_array().is_some_and(|r| !r.is_empty())
            })
            .await;
        assert_eq!(
            got["results"][0]["text"], "Please submit your weekly report",
            "{phone}"
        );
    }
    let progress = loop {
        let p: Value = http
            .get(format!(
                "{}/emNutt/fhir/getProgress?requestIDs={req_id}",
                server.base
            ))
            .basic_auth("ihris", Some(OPERATOR))
            .send()
            .await
            .expect("progress")
            .json()
            .await
            .expect("JSON");
        if p[&req_id]["pending"] == 0 {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        progress[&req_id]["total"], 11,
        "10 trainees (P1 and P2 among them) and c1: {progress}"
    );
    assert_eq!(progress[&req_id]["status"], "sent");

    // 5. The request and a Communication per message are written back, and validate.
    let expected = 11;
    let deadline = Instant::now() + Duration::from_secs(30);
    let comms = loop {
        let comms = client
            .search_all::<Communication>(&[("based-on", &format!("CommunicationRequest/{req_id}"))])
            .await
            .expect("communications");
        if comms.resources.len() >= expected - 1 || Instant::now() > deadline {
            break comms;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // The contained recipient is no registry practitioner: no Communication for it.
    assert_eq!(
        comms.resources.len(),
        expected - 1,
        "one per message to a practitioner"
    );
    assert!(comms
        .resources
        .iter()
        .all(|c| c.status.as_deref() == Some("completed")));
    let stored = client
        .read::<CommunicationRequest>(&req_id)
        .await
        .expect("request stored");
    assert_eq!(stored.status.as_deref(), Some("completed"));
    assert!(
        stored.extension.iter().all(|e| e.url.contains("://")),
        "relative `sender` dropped"
    );

    // 6. Opt-out through the emNutt API reaches the registry as the tag, and undo removes it.
    let resp = http
        .put(format!("{}/emNutt/optout", server.base))
        .basic_auth("ihris", Some(OPERATOR))
        .json(&json!([{"entitytype": "Practitioner", "globalid": "P3"}]))
        .send()
        .await
        .expect("optout");
    assert!(resp.status().is_success());
    wait_for_practitioner(&client, "P3", |p| is_opted_out(p.meta.as_ref())).await;
    let contact = api
        .ok(&format!("/contacts/{}", by_id["P3"]["uuid"].as_str().unwrap()))
        .await;
    assert_eq!(contact["status"], "stopped");
    let resp = http
        .put(format!(
            "{}/emNutt/undoOptout?entitytype=Practitioner&globalid=P3",
            server.base
        ))
        .basic_auth("ihris", Some(OPERATOR))
        .send()
        .await
        .expect("undo");
    assert!(resp.status().is_success());
    wait_for_practitioner(&client, "P3", |p| !is_opted_out(p.meta.as_ref())).await;
    let p3 = client.read::<Practitioner>("P3").await.expect("P3");
    assert_eq!(
        contact_uuid(&p3.identifier),
        by_id["P3"]["uuid"].as_str(),
        "identifier kept"
    );

    // A tag set in the registry stops the contact at the next sync.
    let mut p4 = client.read::<Practitioner>("P4").await.expect("P4");
    mhero::fhir::mhero::set_opted_out(&mut p4.meta, true);
    client.update(&p4).await.expect("tag P4");
    let (ok, _) = cli_sync(&server.config, &[]);
    assert!(ok);
    let contact = api
        .ok(&format!("/contacts/{}", by_id["P4"]["uuid"].as_str().unwrap()))
        .await;
    assert_eq!(contact["status"], "stopped");

    // 7. FHIR-native: an active request on the registry is acted on once.
    let native = CommunicationRequest {
        id: Some("native-1".into()),
        status: Some("active".into()),
        payload: vec![Payload::text("Training on Monday at the district office")],
        recipient: vec![Reference::to("Practitioner", "P5")],
        ..CommunicationRequest::default()
    };
    client.update(&native).await.expect("create request");
    let flow = CommunicationRequest {
        id: Some("native-flow".into()),
        status: Some("active".into()),
        payload: vec![Payload {
            content_reference: Some(Reference::to("Basic", POLL_FLOW)),
            ..Payload::default()
        }],
        recipient: vec![Reference::to("Practitioner", "P6")],
        ..CommunicationRequest::default()
    };
    client.update(&flow).await.expect("create flow request");
    let training = |v: &Value| {
        v["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter(|m| m["text"] == "Training on Monday at the district office")
                    .count()
            })
            .unwrap_or(0)
    };
    api.wait_for(&format!("/simulator/phones/{}/received", phone_of(5)), 30, |v| {
        training(v) > 0
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = client
            .read::<CommunicationRequest>("native-1")
            .await
            .expect("read");
        if r.status.as_deref() == Some("completed") {
            break;
        }
        assert!(Instant::now() < deadline, "request never marked completed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let flow_state: Value = http
        .get(format!(
            "{}/emNutt/fhir/getProgress?requestIDs=ihris/native-flow",
            server.base
        ))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .expect("progress")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        flow_state["ihris/native-flow"]["status"], "started",
        "{flow_state}"
    );
    // The flow reached the worker: the poll's question is on their phone.
    api.wait_for(&format!("/simulator/phones/{}/received", phone_of(6)), 30, |v| {
        v["results"].as_array().is_some_and(|r| {
            r.iter()
                .any(|m| m["text"].as_str().unwrap_or("").contains("malaria test kits"))
        })
    })
    .await;
    // Several more polls: still exactly one message to P5.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = api
        .ok(&format!("/simulator/phones/{}/received", phone_of(5)))
        .await;
    assert_eq!(training(&got), 1, "acted on once: {got}");

    // 8. Write-back again changes nothing: the Communications keep their versions.
    let comm_versions = |cs: &[Communication]| -> BTreeMap<String, String> {
        cs.iter()
            .map(|c| {
                let v = c
                    .meta
                    .as_ref()
                    .and_then(|m| m.version_id.clone())
                    .unwrap_or_default();
                (c.id.clone().unwrap_or_default(), v)
            })
            .collect()
    };
    tokio::time::sleep(Duration::from_secs(4)).await; // P5's message written back too
    let first = comm_versions(
        &client
            .search_all::<Communication>(&[])
            .await
            .expect("all")
            .resources,
    );
    server.restart(); // the cursor is in the store: nothing is written twice
    tokio::time::sleep(Duration::from_secs(4)).await;
    let second = comm_versions(
        &client
            .search_all::<Communication>(&[])
            .await
            .expect("all")
            .resources,
    );
    assert!(first.len() >= expected, "{}", first.len());
    assert_eq!(first, second);
    let listed = client
        .search_all::<Practitioner>(&[(
            "identifier",
            &format!("{CONTACT_UUID_SYSTEM}|{}", by_id["P9"]["uuid"].as_str().unwrap()),
        )])
        .await
        .expect("identifier search");
    assert_eq!(
        listed.resources.len(),
        1,
        "iHRIS finds the worker by the contact-uuid identifier"
    );

    // 9. An HR update answer changes the Practitioner: P7 confirms facility
    // and cadre and sends a new number, which joins its telecom.
    let api = server.api(OPERATOR);
    let p7_phone = "+255720000007";
    let inbox = format!("/simulator/phones/{p7_phone}/received");
    let mut seen = api.ok(&inbox).await["results"].as_array().map_or(0, Vec::len);
    for said in ["HR", "YES", "YES", "+255799000007"] {
        let (s, v) = api
            .post("/simulator/inbound", json!({"from": p7_phone, "text": said}))
            .await;
        assert_eq!(s, 201, "{v}");
        seen += 1;
        api.wait_for(&inbox, 20, |v| {
            v["results"].as_array().is_some_and(|r| r.len() >= seen)
        })
        .await;
    }
    let got = api.ok(&inbox).await;
    let last = got["results"].as_array().unwrap().last().unwrap()["text"].clone();
    assert!(
        last.as_str()
            .unwrap()
            .starts_with("Thank you! Your record is up to date"),
        "{last}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let p7: Practitioner = client.read("P7").await.expect("read P7");
        let phones: Vec<String> = p7.telecom.iter().filter_map(|t| t.value.clone()).collect();
        if phones.iter().any(|p| p == "+255799000007") {
            assert!(phones.len() >= 2, "the old number stays: {phones:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "P7 never got the new number: {phones:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Syncing again keeps both numbers on the contact and writes nothing more.
    let (ok, report) = cli_sync(&server.config, &[]);
    assert!(ok, "{report}");
    let contact = all_contacts(&api, "")
        .await
        .into_iter()
        .find(|c| c["fields"]["registry_id"] == "P7")
        .expect("P7's contact");
    let urns: Vec<&str> = contact["urns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u.as_str())
        .collect();
    assert!(
        urns.contains(&"tel:+255799000007") && urns.contains(&"tel:+255720000007"),
        "{contact}"
    );
    server.stop();
}

async fn wait_for_practitioner(client: &FhirClient, id: &str, done: impl Fn(&Practitioner) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let p = client.read::<Practitioner>(id).await.expect("read");
        if done(&p) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Practitioner/{id} never reached the state: {p:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
