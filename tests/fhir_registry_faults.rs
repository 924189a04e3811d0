//! A registry that answers 500s, hangs, or sends a malformed body: the sync
//! retries what can be retried, reports the rest by name, completes the work
//! it can, and does not advance its cursor past what it could not read — so
//! the next sync fetches it. Real strict FHIR server in fault mode
//! (`fhir_peer`), real store, library entry points (the CLI wraps the same).

mod fhir_peer;

use mhero::config::{load_str, Config};
use mhero::dispatch::registry::{client_for, sync_registry};
use mhero::fhir::resources::{CodeableConcept, Coding, Location, PractitionerRole, Reference};
use mhero::store::Store;

use fhir_peer::{practitioner, FhirServer};

fn config(db: &str, fhir: &str) -> Config {
    load_str(
        &format!(
            r#"
[database]
url = "{db}"
[contacts]
default_country = "TZ"
[[registries]]
name = "flaky"
base_url = "{fhir}"
timeout_secs = 1
sync_interval_secs = 0
"#
        ),
        Vec::new(),
    )
    .expect("valid config")
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_are_retried_or_reported_and_the_rest_completes() {
    let fhir = FhirServer::start();
    let client = fhir.client();
    let facility = Location {
        id: Some("F1".into()),
        name: Some("Kilosa HC".into()),
        status: Some("active".into()),
        ..Location::default()
    };
    assert!(client.put_all(&[facility]).await.iter().all(Result::is_ok));
    let people: Vec<_> = (0..300)
        .map(|i| {
            practitioner(
                &format!("P{i}"),
                &format!("Worker {i}"),
                Some(&format!("+2557{:08}", 30_000_000 + i)),
            )
        })
        .collect();
    assert!(client.put_all(&people).await.iter().all(Result::is_ok));
    let roles: Vec<_> = (0..300)
        .map(|i| PractitionerRole {
            id: Some(format!("R{i}")),
            practitioner: Some(Reference::to("Practitioner", &format!("P{i}"))),
            location: vec![Reference::to("Location", "F1")],
            code: vec![CodeableConcept::coded(Coding::new(
                "http://x/job",
                "nurse",
                Some("Nurse"),
            ))],
            ..PractitionerRole::default()
        })
        .collect();
    assert!(client.put_all(&roles).await.iter().all(Result::is_ok));

    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/mhero.db", dir.path().display());
    let config = config(&db, &fhir.base);
    let store = Store::open(&db, 4).await.expect("store");
    let registry = &config.registries[0];
    let client = client_for(registry).expect("client");

    // 500s and a hung request are retried; the sync completes.
    fhir.fault("500", 2, "GET /Practitioner\\?").await;
    fhir.fault("hang", 1, "GET /PractitionerRole").await;
    fhir.fault("503", 1, "POST /$").await; // the first write-back batch
    let report = sync_registry(&store, &config, registry, &client, false, &|_| {})
        .await
        .expect("sync runs");
    assert!(report.complete, "{}", report.summary());
    assert_eq!(report.created, 300);
    assert_eq!(report.written_back, 300, "{:?}", report.write_back_errors);
    assert_eq!(
        fhir.stats().await["faultsPending"],
        0,
        "every fault was met and retried past"
    );

    // A malformed answer for Locations: reported, contacts still updated,
    // the cursor stays, and the next sync reads the window again.
    let mut moved = client
        .read::<mhero::fhir::resources::Practitioner>("P1")
        .await
        .expect("P1");
    moved.name[0].text = Some("Worker One".into());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    client.update(&moved).await.expect("rename");
    fhir.fault("malformed", 1, "GET /Location").await; // a 200 with a broken body: not retried, reported
    let partial = sync_registry(&store, &config, registry, &client, false, &|_| {})
        .await
        .expect("sync runs");
    assert!(!partial.complete);
    assert_eq!(partial.failed.len(), 1, "{:?}", partial.failed);
    assert!(
        partial.failed[0].contains("search Location"),
        "{:?}",
        partial.failed
    );
    assert!(partial.summary().contains("PARTIAL"));
    assert_eq!(
        partial.updated,
        1,
        "the rename still landed: {}",
        partial.summary()
    );
    let state = store.registry_sync_state("flaky").await.expect("state");

    let again = sync_registry(&store, &config, registry, &client, false, &|_| {})
        .await
        .expect("sync runs");
    assert!(again.complete, "{}", again.summary());
    assert!(again.practitioners >= 1, "the window was read again");
    assert!(
        store
            .registry_sync_state("flaky")
            .await
            .expect("state")
            .synced_until
            > state.synced_until,
        "a complete sync moves the cursor"
    );
    let contact = store
        .contacts_of_practitioners(Some("flaky"), &["P1".to_string()])
        .await
        .expect("lookup");
    let c = store.get_contact(&contact["P1"]).await.expect("contact");
    assert_eq!(c.name.as_deref(), Some("Worker One"));
    assert_eq!(
        c.fields["facility"], "Kilosa HC",
        "facility restored once Locations read"
    );

    // A registry that keeps failing is reported, not hung on.
    fhir.fault("500", 100, "GET /Practitioner\\?").await;
    let down = sync_registry(&store, &config, registry, &client, true, &|_| {})
        .await
        .expect("sync runs");
    assert!(!down.complete);
    assert!(
        down.failed.iter().any(|f| f.contains("Practitioner")),
        "{:?}",
        down.failed
    );
    assert_eq!(down.practitioners, 0);
    assert_eq!(
        store.count_registry_contacts("flaky").await.expect("count"),
        300,
        "nothing lost"
    );
    store.close().await;
}
