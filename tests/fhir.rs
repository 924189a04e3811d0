//! The FHIR client, resources and builders against a real, strict FHIR R4
//! server (Medplum's router over an in-memory repository, in
//! `tests/peers/fhir-server`), started per test on 127.0.0.1 and killed by
//! PID when the test ends, panics included.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mhero::core::msg::{Direction, MsgStatus};
use mhero::fhir::client::{FhirAuth, FhirClient, FhirConfig, FhirError, RetryPolicy, MAX_BUNDLE_ENTRIES};
use mhero::fhir::mapping::{map_workers, AreaLevels, ExtraField, FieldSource, MappingConfig, SkipReason};
use mhero::fhir::mhero::request::{
    recipient_result, BroadcastRecord, ExitType, FlowStartRecord, RecipientOutcome, StartRecord,
};
use mhero::fhir::mhero::workflow::{RunSummary, WorkflowDetails, WORKFLOWS_PROFILE};
use mhero::fhir::mhero::{set_contact_uuid, set_opted_out};
use mhero::fhir::registry::fetch_registry;
use mhero::fhir::resources::{
    Basic, BundleEntry, CodeableConcept, Coding, Communication, CommunicationRequest, ContactPoint, Group,
    GroupMember, HumanName, Identifier, Location, Organization, Practitioner, PractitionerRole,
    QuestionnaireResponse, Reference, Resource,
};
use mhero::fhir::write_back::{self, MessageRecord, RunAnswer, RunRecord, RunStatus};
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/fhir-server")
}

/// Installs the server's npm dependencies once (from the committed lock file).
fn ensure_installed() {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if peer_dir().join("node_modules/@medplum/fhir-router").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(peer_dir())
        .status()
        .expect("npm is needed to install the FHIR test server");
    assert!(status.success(), "npm ci --prefix tests/peers/fhir-server failed");
}

/// The running server; dropping it (also while unwinding a panic) kills it by PID.
struct FhirServer {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl FhirServer {
    fn start() -> FhirServer {
        ensure_installed();
        let mut child = Command::new("node")
            .arg(peer_dir().join("server.js"))
            .arg("0")
            .current_dir(peer_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is needed to run the FHIR test server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let port: u16 = match read.ok().and_then(|_| line.trim().parse().ok()) {
            Some(port) => port,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("FHIR test server did not print its port (got {line:?})");
            }
        };
        FhirServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    fn client(&self) -> FhirClient {
        self.client_with(|_| {})
    }

    fn client_with(&self, tweak: impl FnOnce(&mut FhirConfig)) -> FhirClient {
        let mut config = FhirConfig::new(&self.base);
        config.retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        };
        tweak(&mut config);
        FhirClient::new(config).expect("valid config")
    }

    async fn control(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/_control/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(
            response.status().is_success(),
            "control {path} failed: {}",
            response.status()
        );
    }

    async fn fault(&self, mode: &str, count: u32, matching: &str) {
        self.control("fault", json!({"mode": mode, "count": count, "match": matching}))
            .await;
    }

    async fn stats(&self) -> Value {
        let url = format!("{}/_control/stats", self.base);
        self.http
            .get(url)
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON")
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid time")
        .with_timezone(&Utc)
}

fn practitioner(id: &str, name: &str, phone: Option<&str>) -> Practitioner {
    Practitioner {
        id: Some(id.to_string()),
        active: Some(true),
        name: vec![HumanName {
            text: Some(name.to_string()),
            ..HumanName::default()
        }],
        telecom: phone.map(ContactPoint::phone).into_iter().collect(),
        ..Practitioner::default()
    }
}

fn put_entry<R: Resource>(resource: &R) -> BundleEntry {
    BundleEntry::put(resource).expect("resource has an id")
}

/// Identifier system of the synthetic registry's worker numbers.
const WORKER_SYSTEM: &str = "http://registry.example/worker-id";

/// A registry: places (regions → districts → facilities, and one
/// organization) as PUTs with fixed ids, and `n` practitioners with their
/// roles as POSTs linked by `urn:uuid` (the registry chooses their ids, as a
/// real load does). Every 100th worker has no phone; every 7th has a
/// local-format one.
fn registry(n: usize) -> (Vec<BundleEntry>, Vec<BundleEntry>) {
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
    let mut places = vec![put_entry(&Organization {
        id: Some("MOH".into()),
        name: Some("Ministry of Health".into()),
        active: Some(true),
        ..Organization::default()
    })];
    for r in 0..4 {
        places.push(put_entry(&area(
            format!("R{r}"),
            format!("Region {r}"),
            None,
            "region",
        )));
        for d in 0..5 {
            let district = format!("D{r}{d}");
            let name = format!("District {r}{d}");
            places.push(put_entry(&area(
                district.clone(),
                name,
                Some(format!("R{r}")),
                "district",
            )));
            for f in 0..5 {
                let id = format!("F{r}{d}{f}");
                let name = format!("Facility {r}{d}{f}");
                places.push(put_entry(&area(id, name, Some(district.clone()), "facility")));
            }
        }
    }
    let mut people = Vec::new();
    for i in 0..n {
        let phone = match i {
            i if i % 100 == 0 => None,
            i if i % 7 == 0 => Some(format!("07{:08}", 10_000_000 + i)),
            i => Some(format!("+2557{:08}", 10_000_000 + i)),
        };
        let mut worker = practitioner("", &format!("Worker {i}"), phone.as_deref());
        worker.id = None;
        worker.identifier = vec![Identifier::new(WORKER_SYSTEM, &format!("W{i}"))];
        let urn = format!("urn:uuid:{}", Uuid::from_u128(i as u128 + 1));
        people.push(BundleEntry::post(&worker, Some(urn.clone())).expect("serialises"));
        let facility = format!("F{}{}{}", i % 4, (i / 4) % 5, (i / 20) % 5);
        let role = PractitionerRole {
            active: Some(true),
            practitioner: Some(Reference {
                reference: Some(urn),
                ..Reference::default()
            }),
            organization: Some(Reference::to("Organization", "MOH")),
            code: vec![CodeableConcept::coded(Coding::new(
                "http://ihris.org/fhir/CodeSystem/ihris-job",
                "nurse",
                Some("Nurse"),
            ))],
            location: vec![Reference::to("Location", &facility)],
            ..PractitionerRole::default()
        };
        people.push(BundleEntry::post(&role, None).expect("serialises"));
    }
    (places, people)
}

#[tokio::test]
async fn registry_of_2000_practitioners_loads_pages_and_maps() {
    let server = FhirServer::start();
    let client = server.client();
    let before = Utc::now() - chrono::Duration::seconds(1);
    let (places, people) = registry(2000);
    let total_entries = places.len() + people.len();

    let started = Instant::now();
    assert!(
        client.batch(places).await.iter().all(Result::is_ok),
        "places written"
    );
    let mut transactions = 0;
    let mut chunks = people.into_iter().peekable();
    while chunks.peek().is_some() {
        let chunk: Vec<BundleEntry> = chunks.by_ref().take(MAX_BUNDLE_ENTRIES).collect();
        let outcomes = client.transaction(chunk).await.expect("transaction accepted");
        assert!(outcomes.iter().all(|o| o.status == 201));
        transactions += 1;
    }
    println!(
        "loaded {total_entries} resources (places by batch PUT, 2000 practitioners + 2000 roles in \
         {transactions} transactions of <= {MAX_BUNDLE_ENTRIES}) in {:?}",
        started.elapsed()
    );
    assert_eq!(transactions, 20);

    let started = Instant::now();
    let practitioners = client.search_all::<Practitioner>(&[]).await.expect("search");
    println!(
        "paged through {} practitioners (pages of 200) in {:?}",
        practitioners.resources.len(),
        started.elapsed()
    );
    assert_eq!(practitioners.resources.len(), 2000);
    assert!(practitioners.malformed.is_empty());
    assert_eq!(practitioners.total, Some(2000));

    let since = format!("ge{}", before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let changed = client
        .search_all::<Practitioner>(&[("_lastUpdated", &since), ("_count", "500")])
        .await
        .expect("search");
    assert_eq!(changed.resources.len(), 2000);
    let future = format!(
        "ge{}",
        (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let none = client
        .search_all::<Practitioner>(&[("_lastUpdated", &future)])
        .await
        .expect("search");
    assert!(none.resources.is_empty());

    drop(practitioners);
    let started = Instant::now();
    let fetched = fetch_registry(&client, None).await.expect("registry");
    assert!(fetched.malformed.is_empty());
    let snapshot = fetched.snapshot;
    assert_eq!((snapshot.practitioners.len(), snapshot.roles.len()), (2000, 2000));
    assert_eq!((snapshot.locations.len(), snapshot.organizations.len()), (124, 1));
    let config = MappingConfig {
        default_country: Some("TZ".into()),
        areas: AreaLevels::TypeCode {
            district: "district".into(),
            region: "region".into(),
        },
        job_system: None,
        cadre_system: None,
        extra_fields: vec![ExtraField {
            name: "worker_id".into(),
            source: FieldSource::Identifier {
                system: WORKER_SYSTEM.into(),
            },
        }],
    };
    let report = map_workers(&snapshot, &config);
    println!(
        "fetched the whole registry and mapped {} workers ({} skipped) in {:?}",
        report.workers.len(),
        report.skipped.len(),
        started.elapsed()
    );
    assert_eq!(report.workers.len(), 1980);
    assert_eq!(report.skipped.len(), 20);
    assert!(report.skipped.iter().all(|s| s.reason == SkipReason::NoPhone));
    let by_worker: HashMap<&str, _> = report
        .workers
        .iter()
        .filter_map(|w| Some((w.extra.get("worker_id")?.as_str(), w)))
        .collect();
    assert_eq!(by_worker.len(), 1980);
    let w7 = by_worker["W7"];
    assert_eq!(
        w7.phones,
        vec!["+255710000007"],
        "local format normalised with the configured country"
    );
    assert_eq!(w7.facility.as_ref().map(|f| f.id.as_str()), Some("F310"));
    assert_eq!(
        w7.district.as_ref().and_then(|d| d.name.as_deref()),
        Some("District 31")
    );
    assert_eq!(w7.region.as_ref().map(|r| r.id.as_str()), Some("R3"));
    assert_eq!(
        w7.organization.as_ref().and_then(|o| o.name.as_deref()),
        Some("Ministry of Health")
    );
    assert_eq!(w7.job.as_deref(), Some("Nurse"));

    let mut wanted: Vec<&str> = ["W1", "W2", "W1999"]
        .iter()
        .map(|w| by_worker[w].registry_id.as_str())
        .collect();
    let mut asked = wanted.clone();
    asked.push("no-such-id");
    let some = client.read_many::<Practitioner>(&asked).await.expect("read_many");
    let mut got: Vec<&str> = some.resources.iter().filter_map(|p| p.id.as_deref()).collect();
    got.sort();
    wanted.sort();
    assert_eq!(got, wanted);

    // Incremental: one worker's phone changes, another moves facility (a
    // role change only). Both come back; nothing else does.
    tokio::time::sleep(Duration::from_millis(1100)).await; // `_lastUpdated` has second precision
    let since = Utc::now();
    let mut w7 = client
        .read::<Practitioner>(&by_worker["W7"].registry_id)
        .await
        .expect("read");
    w7.telecom = vec![ContactPoint::phone("+255719999999")];
    client.update(&w7).await.expect("update");
    let w8_id = format!("Practitioner/{}", by_worker["W8"].registry_id);
    let mut w8_roles = client
        .search_all::<PractitionerRole>(&[("practitioner", &w8_id)])
        .await
        .expect("roles of W8")
        .resources;
    assert_eq!(w8_roles.len(), 1);
    w8_roles[0].location = vec![Reference::to("Location", "F000")];
    client.update(&w8_roles[0]).await.expect("move");
    let delta = fetch_registry(&client, Some(since)).await.expect("changes");
    let changed = map_workers(&delta.snapshot, &config).workers;
    let mut seen: Vec<(&str, &str, &str)> = changed
        .iter()
        .map(|w| {
            let facility = w.facility.as_ref().map(|f| f.id.as_str()).unwrap_or("");
            (w.extra["worker_id"].as_str(), w.phones[0].as_str(), facility)
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![("W7", "+255719999999", "F310"), ("W8", "+255710000008", "F000")]
    );
}

#[tokio::test]
async fn paging_falls_back_to_offset_when_the_server_gives_no_links() {
    let server = FhirServer::start();
    let client = server.client_with(|c| c.page_size = 40);
    let people: Vec<Practitioner> = (0..450)
        .map(|i| practitioner(&format!("O{i}"), "Offset Paged", Some("+255712000000")))
        .collect();
    assert!(client.put_all(&people).await.iter().all(Result::is_ok));
    server.control("paging", json!({"links": false})).await;
    let all = client.search_all::<Practitioner>(&[]).await.expect("search");
    assert_eq!(all.resources.len(), 450);
    let mut ids: Vec<String> = all.resources.into_iter().filter_map(|p| p.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 450, "no page read twice, none skipped");
}

#[tokio::test]
async fn strict_validation_rejections_are_reported_by_resource() {
    let server = FhirServer::start();
    let client = server.client();

    // emNutt's Communication: no status. The server rejects it; the error names it.
    let bad = Communication {
        id: Some("c-bad".into()),
        payload: vec![mhero::fhir::resources::Payload::text("hi")],
        ..Communication::default()
    };
    let err = client.update(&bad).await.expect_err("status is required");
    let FhirError::Rejected {
        resource,
        status,
        outcome,
    } = &err
    else {
        panic!("unexpected error {err}")
    };
    assert_eq!((resource.as_str(), *status), ("Communication/c-bad", 400));
    assert!(outcome.contains("Communication.status"), "{outcome}");
    println!("rejected as expected: {err}");

    let err = client
        .create(&Basic::default())
        .await
        .expect_err("Basic.code is required");
    assert!(
        err.to_string()
            .starts_with("Basic (create): the server rejected it (400)"),
        "{err}"
    );
    assert!(err.to_string().contains("Basic.code"), "{err}");

    // One bad resource in a batch: the other four are written.
    let mut comms: Vec<Communication> = (0..5)
        .map(|i| Communication {
            id: Some(format!("c{i}")),
            status: Some("completed".into()),
            ..bad.clone()
        })
        .collect();
    comms[2].status = None;
    let results = client.put_all(&comms).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    let failed = results[2].as_ref().expect_err("c2 has no status");
    assert_eq!((failed.index, failed.status), (2, Some(400)));
    assert!(
        failed.to_string().contains("PUT Communication/c2") && failed.reason.contains("Communication.status"),
        "{failed}"
    );
    assert!(client.read::<Communication>("c3").await.is_ok());
    assert!(matches!(
        client.read::<Communication>("c2").await,
        Err(FhirError::NotFound { .. })
    ));

    // A transaction with one bad entry applies nothing.
    let tx = vec![
        put_entry(&practitioner("T1", "Tx One", None)),
        put_entry(&comms[2]),
    ];
    let err = client.transaction(tx).await.expect_err("rolled back");
    assert!(err.to_string().contains("Communication.status"), "{err}");
    assert!(matches!(
        client.read::<Practitioner>("T1").await,
        Err(FhirError::NotFound { .. })
    ));
}

/// Everything our builders produce, with fixed inputs.
fn built_resources() -> Built {
    let at = instant("2026-11-24T10:00:00Z");
    let question = MessageRecord {
        msg_uuid: Uuid::from_u128(0x11),
        direction: Direction::Out,
        status: MsgStatus::Delivered,
        text: "How many ORS packets do you have?".into(),
        practitioner_id: "P1".into(),
        at,
        request_id: Some("req-1".into()),
        in_response_to: None,
    };
    let reply = MessageRecord {
        msg_uuid: Uuid::from_u128(0x12),
        direction: Direction::In,
        status: MsgStatus::Handled,
        text: "12".into(),
        in_response_to: Some(question.msg_uuid),
        ..question.clone()
    };
    let inbox = MessageRecord {
        msg_uuid: Uuid::from_u128(0x13),
        request_id: None,
        in_response_to: None,
        ..reply.clone()
    };
    let failed = MessageRecord {
        msg_uuid: Uuid::from_u128(0x14),
        status: MsgStatus::Failed,
        ..question.clone()
    };
    let communications = [question, reply, inbox, failed]
        .iter()
        .map(write_back::communication)
        .collect();

    let run = |uuid: u128, status: RunStatus, answer: Option<&str>| RunRecord {
        run_uuid: Uuid::from_u128(uuid),
        flow_uuid: "5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f".into(),
        practitioner_id: "P1".into(),
        request_id: Some("req-1".into()),
        created_on: at,
        status,
        answers: vec![
            RunAnswer {
                link_id: "a1".into(),
                question: Some("How many?".into()),
                answer: answer.map(str::to_string),
            },
            RunAnswer {
                link_id: "a2".into(),
                question: None,
                answer: Some("ok".into()),
            },
        ],
    };
    let responses = vec![
        write_back::questionnaire_response(&run(0x21, RunStatus::Completed, Some("12"))),
        write_back::questionnaire_response(&run(0x22, RunStatus::Expired, None)),
        write_back::questionnaire_response(&run(0x23, RunStatus::Active, None)),
    ];

    // iHRIS's request as it arrives (no status, relative `sender` extension).
    let request: CommunicationRequest = serde_json::from_value(json!({
        "resourceType": "CommunicationRequest", "id": "req-1",
        "meta": {"tag": [{"system": "parentReqId", "code": "1d1c4b7e-3f55-4c2e-9a0b-2d3c4e5f6a7b"}]},
        "payload": [{"contentReference": {"reference": "Basic/5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f"}}],
        "recipient": [{"reference": "Practitioner/P1"}, {"reference": "Practitioner/P2"}],
        "occurrenceDateTime": "2021-06-21T10:00:00",
        "extension": [{"url": "sender", "valueReference": {"reference": "Person/u1"}}]
    }))
    .expect("iHRIS shape parses");
    let flow = StartRecord::Flow(FlowStartRecord {
        created_on: "2026-11-24T10:00:00.817188Z".into(),
        modified_on: Some("2026-11-24T10:00:00.817290Z".into()),
        status: Some("complete".into()),
        flow_starts_uuid: "f5901b62-ba76-4003-9c62-72fdacc1b7b7".into(),
        rapidpro_contact_id: Some("d33e9ad5-5c35-414c-abd4-e7451c69ff1d".into()),
        responded: Some("Yes".into()),
        exit_type: Some(ExitType::Completed),
        exited_on: Some("2026-11-24T10:05:00Z".into()),
    });
    let broadcast = StartRecord::Broadcast(BroadcastRecord {
        created_on: "2026-11-24T10:00:01Z".into(),
        broadcast_id: "42".into(),
    });
    let results = ["Practitioner/P1", "Practitioner/P2"]
        .iter()
        .zip([
            (RecipientOutcome::Sent, &flow),
            (RecipientOutcome::Failed, &broadcast),
        ])
        .map(|(recipient, (outcome, record))| {
            let id = write_back::result_id("req-1", recipient);
            let reference = Reference {
                reference: Some(recipient.to_string()),
                ..Reference::default()
            };
            recipient_result(&request, id, reference, outcome, record)
        })
        .collect();

    let workflow = WorkflowDetails {
        uuid: "5c2b2a4e-8f0d-4f6c-9d7e-0a1b2c3d4e5f".into(),
        name: "Weekly stock report".into(),
        flow_type: Some("message".into()),
        archived: Some(false),
        expires: Some(10080),
        created_on: Some("2026-01-01T00:00:00Z".into()),
        modified_on: Some("2026-02-01T00:00:00Z".into()),
        run_summary: Some(RunSummary {
            active: 1,
            completed: 40,
            interrupted: 2,
            expired: 5,
        }),
    }
    .to_basic();

    let mut worker = practitioner("P1", "Amina Mushi", Some("+255712345678"));
    set_contact_uuid(&mut worker.identifier, "d33e9ad5-5c35-414c-abd4-e7451c69ff1d");
    set_opted_out(&mut worker.meta, true);
    let group = Group {
        id: Some("0b5e4e1c-2f1a-4f7a-9d0e-0c6f3f3d5a11".into()),
        name: Some("Nurses".into()),
        type_: Some("practitioner".into()),
        actual: Some(true),
        member: vec![GroupMember {
            entity: Reference::to("Practitioner", "P1"),
            ..GroupMember::default()
        }],
        ..Group::default()
    };
    (communications, responses, results, workflow, worker, group)
}

/// What the builders produce, as fed to the registry.
type Built = (
    Vec<Communication>,
    Vec<QuestionnaireResponse>,
    Vec<CommunicationRequest>,
    Basic,
    Practitioner,
    Group,
);

/// PUT everything built; the version the server reports for each, in order.
async fn write_all(client: &FhirClient, built: &Built) -> Vec<String> {
    let (communications, responses, results, workflow, worker, group) = built;
    let mut outcomes = client.put_all(communications).await;
    outcomes.extend(client.put_all(responses).await);
    outcomes.extend(client.put_all(results).await);
    outcomes.extend(client.put_all(std::slice::from_ref(workflow)).await);
    outcomes.extend(client.put_all(std::slice::from_ref(worker)).await);
    outcomes.extend(client.put_all(std::slice::from_ref(group)).await);
    outcomes
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("strict server rejected a built resource: {e}")))
        .map(|o| o.version_id().expect("the server reports the written version"))
        .collect()
}

#[tokio::test]
async fn everything_our_builders_write_is_accepted_and_idempotent() {
    let server = FhirServer::start();
    let client = server.client();
    let first = write_all(&client, &built_resources()).await;
    assert_eq!(first.len(), 4 + 3 + 2 + 3);

    // Re-running the same write-back changes nothing: every version stays.
    let built = built_resources();
    let second = write_all(&client, &built).await;
    assert_eq!(first, second);
    let (_, responses, _, workflow, worker, _) = built;

    // Single PUTs too, and a real change does bump the version.
    let read = client.read::<Practitioner>("P1").await.expect("read");
    let again = client.update(&worker).await.expect("update");
    assert_eq!(again.version_id(), read.version_id());
    let mut changed = worker.clone();
    set_opted_out(&mut changed.meta, false);
    let bumped = client.update(&changed).await.expect("update");
    assert_ne!(bumped.version_id(), read.version_id());

    // iHRIS's flow list query finds the workflow, and it reads back as written.
    let listed = client
        .search_all::<Basic>(&[("_profile", WORKFLOWS_PROFILE)])
        .await
        .expect("search");
    assert_eq!(listed.resources.len(), 1);
    assert_eq!(
        WorkflowDetails::of(&listed.resources[0]),
        WorkflowDetails::of(&workflow)
    );
    let qr = client
        .read::<QuestionnaireResponse>(&Uuid::from_u128(0x21).to_string())
        .await
        .expect("read");
    assert_eq!(qr.item, responses[0].item);
}

#[tokio::test]
async fn credentials_are_sent_and_never_shown() {
    let server = FhirServer::start();
    let bearer = server.client_with(|c| c.auth = FhirAuth::Bearer(SecretString::from("tok-secret-1")));
    assert!(matches!(
        bearer.read::<Practitioner>("none").await,
        Err(FhirError::NotFound { .. })
    ));
    assert_eq!(server.stats().await["lastAuthorization"], "Bearer tok-secret-1");
    let basic = server.client_with(|c| {
        c.auth = FhirAuth::Basic {
            user: "emnutt".into(),
            password: SecretString::from("pw-secret-2"),
        }
    });
    assert!(basic.read::<Practitioner>("none").await.is_err());
    assert_eq!(
        server.stats().await["lastAuthorization"],
        "Basic ZW1udXR0OnB3LXNlY3JldC0y"
    );
    let shown = format!("{:?} {:?}", bearer.config(), basic);
    assert!(
        !shown.contains("tok-secret-1") && !shown.contains("pw-secret-2"),
        "{shown}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = FhirServer::start();
    let client = server.client();
    client
        .update(&practitioner("P1", "Retry Me", Some("+255712345678")))
        .await
        .expect("seed");

    server.fault("500", 2, "GET /Practitioner/P1").await;
    let p = client
        .read::<Practitioner>("P1")
        .await
        .expect("third try succeeds");
    assert_eq!(p.id.as_deref(), Some("P1"));
    assert_eq!(server.stats().await["faultsServed"], 2);

    server.fault("429", 1, "POST /Practitioner").await;
    let created = client
        .create(&Practitioner::default())
        .await
        .expect("429 is retried even for a create");
    assert!(created.id.is_some());

    // A 500 on a create may have applied it: not retried, reported.
    server.fault("500", 1, "POST /Practitioner").await;
    let err = client
        .create(&Practitioner::default())
        .await
        .expect_err("not retried");
    assert!(matches!(err, FhirError::Rejected { status: 500, .. }), "{err}");

    // Retries are bounded: a registry that keeps failing is reported.
    server.fault("503", 10, "GET /Practitioner/P1").await;
    let err = client.read::<Practitioner>("P1").await.expect_err("gives up");
    assert!(
        matches!(
            &err,
            FhirError::GaveUp {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("injected fault: unavailable"),
        "the last outcome is kept: {err}"
    );
    println!("gave up as expected: {err}");
}

#[tokio::test]
async fn malformed_answers_are_reported_per_resource_and_the_rest_complete() {
    let server = FhirServer::start();
    let client = server.client();
    let people: Vec<Practitioner> = (0..10)
        .map(|i| practitioner(&format!("M{i}"), "Malformed", None))
        .collect();
    assert!(client.put_all(&people).await.iter().all(Result::is_ok));

    server.fault("malformed", 1, "GET /Practitioner/M5").await;
    let reads = people.iter().map(|p| {
        let client = client.clone();
        let id = p.id.clone().unwrap_or_default();
        tokio::spawn(async move { client.read::<Practitioner>(&id).await })
    });
    let mut ok = 0;
    for (i, read) in reads.collect::<Vec<_>>().into_iter().enumerate() {
        match read.await.expect("task") {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(i, 5);
                assert!(
                    matches!(&e, FhirError::Malformed { resource, .. } if resource == "Practitioner/M5"),
                    "{e}"
                );
            }
        }
    }
    assert_eq!(ok, 9);

    // A batch bundle whose answer is malformed: its entries fail, later bundles complete.
    let many: Vec<Practitioner> = (0..450)
        .map(|i| practitioner(&format!("B{i}"), "Batched", None))
        .collect();
    server.fault("malformed", 1, "^POST /$").await;
    let results = client.put_all(&many).await;
    let failed: Vec<usize> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.index))
        .collect();
    assert_eq!(
        failed,
        (0..MAX_BUNDLE_ENTRIES).collect::<Vec<_>>(),
        "exactly the first bundle is lost"
    );
    assert!(results[0]
        .as_ref()
        .expect_err("lost")
        .reason
        .contains("malformed response"));
    assert!(client.read::<Practitioner>("B449").await.is_ok());
}

#[tokio::test]
async fn hanging_requests_time_out_while_the_rest_complete() {
    let server = FhirServer::start();
    let client = server.client_with(|c| {
        c.timeout = Duration::from_millis(400);
        c.retry.max_attempts = 2;
    });
    let people: Vec<Practitioner> = (0..6)
        .map(|i| practitioner(&format!("H{i}"), "Hang", None))
        .collect();
    assert!(client.put_all(&people).await.iter().all(Result::is_ok));

    server.fault("hang", 1, "GET /Practitioner/H0").await;
    assert!(
        client.read::<Practitioner>("H0").await.is_ok(),
        "one hang is retried"
    );

    server.fault("hang", 2, "GET /Practitioner/H1").await;
    let started = Instant::now();
    let tasks: Vec<_> = people
        .iter()
        .map(|p| {
            let client = client.clone();
            let id = p.id.clone().unwrap_or_default();
            tokio::spawn(async move { (id.clone(), client.read::<Practitioner>(&id).await) })
        })
        .collect();
    for task in tasks {
        let (id, result) = task.await.expect("task");
        match result {
            Err(FhirError::Timeout {
                resource,
                attempts: 2,
            }) if id == "H1" => assert_eq!(resource, "Practitioner/H1"),
            Ok(p) if id != "H1" => assert_eq!(p.id, Some(id)),
            other => panic!("{id}: unexpected {other:?}"),
        }
    }
    println!(
        "hanging read gave up after {:?}; the other five completed",
        started.elapsed()
    );
}
