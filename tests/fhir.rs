//! Registry load, paging, strict validation and credentials against a real,
//! strict FHIR R4 server (see `fhir_peer`).

mod fhir_peer;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use mhero::fhir::client::{FhirAuth, FhirError, MAX_BUNDLE_ENTRIES};
use mhero::fhir::mapping::{map_workers, AreaLevels, ExtraField, FieldSource, MappingConfig, SkipReason};
use mhero::fhir::registry::fetch_registry;
use mhero::fhir::resources::{
    Basic, BundleEntry, CodeableConcept, Coding, Communication, ContactPoint, Identifier, Location,
    Organization, Practitioner, PractitionerRole, Reference,
};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use fhir_peer::{practitioner, put_entry, FhirServer};

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
