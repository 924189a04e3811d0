//! Fault handling against the real server's fault mode: retried 5xx/429,
//! malformed answers reported per resource, hung requests timed out, while
//! the rest of the work completes (see `fhir_peer`).

mod fhir_peer;

use std::time::{Duration, Instant};

use mhero::fhir::client::{FhirError, MAX_BUNDLE_ENTRIES};
use mhero::fhir::resources::Practitioner;

use fhir_peer::{practitioner, FhirServer};

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
