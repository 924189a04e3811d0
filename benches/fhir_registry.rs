//! Registry benchmark (a bench command, not criterion: one run is seconds
//! long). Against the real Medplum R4 server of the tests, on loopback:
//!
//! 1. load N practitioners with one role each and 125 places (not timed);
//! 2. baseline: `fetch_registry` alone (HTTP + JSON, no store);
//! 3. full sync into a fresh SQLite store (fetch + map + upsert), without
//!    write-back; then the same re-run (everything unchanged);
//! 4. Practitioner write-back (contact-uuid identifier, read-modify-PUT);
//! 5. Communication write-back: N new resources by batch PUT of 200, then
//!    the same again (unchanged);
//! 6. QuestionnaireResponse write-back (3 answers each, with categories):
//!    N new, then the same again (unchanged).
//!
//! Each timed step runs `RUNS` times (fresh store each time where it
//! matters); medians are printed. N = 10,000, or 1,000 with MHERO_BENCH_QUICK=1.

#[path = "../tests/fhir_peer/mod.rs"]
mod fhir_peer;

use std::time::{Duration, Instant};

use mhero::config::load_str;
use mhero::core::msg::{Direction, MsgStatus};
use mhero::dispatch::registry::write_back::write_back_practitioners;
use mhero::dispatch::registry::{client_for, sync_registry};
use mhero::fhir::registry::fetch_registry;
use mhero::fhir::resources::{CodeableConcept, Coding, Location, PractitionerRole, Reference};
use mhero::fhir::write_back::{
    communication, questionnaire_response, MessageRecord, RunAnswer, RunRecord, RunStatus,
};
use mhero::store::Store;
use uuid::Uuid;

const RUNS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let n: usize = if std::env::var("MHERO_BENCH_QUICK").is_ok() {
        1_000
    } else {
        10_000
    };
    let fhir = fhir_peer::FhirServer::start();
    let client = fhir.client();

    let started = Instant::now();
    let mut places = Vec::new();
    for d in 0..25 {
        places.push(Location {
            id: Some(format!("D{d}")),
            name: Some(format!("District {d}")),
            ..Location::default()
        });
        for f in 0..4 {
            places.push(Location {
                id: Some(format!("F{d}-{f}")),
                name: Some(format!("Facility {d}-{f}")),
                part_of: Some(Reference::to("Location", &format!("D{d}"))),
                ..Location::default()
            });
        }
    }
    assert!(client.put_all(&places).await.iter().all(Result::is_ok));
    let people: Vec<_> = (0..n)
        .map(|i| {
            fhir_peer::practitioner(
                &format!("P{i}"),
                &format!("Worker {i}"),
                Some(&format!("+2557{:08}", 40_000_000 + i)),
            )
        })
        .collect();
    assert!(client.put_all(&people).await.iter().all(Result::is_ok));
    let roles: Vec<_> = (0..n)
        .map(|i| PractitionerRole {
            id: Some(format!("R{i}")),
            practitioner: Some(Reference::to("Practitioner", &format!("P{i}"))),
            location: vec![Reference::to("Location", &format!("F{}-{}", i % 25, i % 4))],
            code: vec![CodeableConcept::coded(Coding::new(
                "http://x/job",
                "nurse",
                Some("Nurse"),
            ))],
            ..PractitionerRole::default()
        })
        .collect();
    assert!(client.put_all(&roles).await.iter().all(Result::is_ok));
    println!(
        "loaded {n} practitioners + {n} roles + {} places in {:?}",
        places.len(),
        started.elapsed()
    );

    let mut fetches = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let f = fetch_registry(&client, None).await.expect("fetch");
        assert_eq!(f.snapshot.practitioners.len(), n);
        fetches.push(t.elapsed());
    }
    let fetch = median(fetches);

    let mut syncs = Vec::new();
    let mut resyncs = Vec::new();
    let mut writebacks = Vec::new();
    for run in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite://{}/bench.db", dir.path().display());
        let config = load_str(
            &format!(
                "[database]\nurl = \"{db}\"\n[contacts]\ndefault_country = \"TZ\"\n[[registries]]\nname = \"bench\"\n\
                 base_url = \"{}\"\nwrite_back = false\n",
                fhir.base
            ),
            Vec::new(),
        )
        .expect("config");
        let store = Store::open(&db, 4).await.expect("store");
        let registry = &config.registries[0];
        let rclient = client_for(registry).expect("client");
        let t = Instant::now();
        let report = sync_registry(&store, &config, registry, &rclient, true, &|_| {})
            .await
            .expect("sync");
        syncs.push(t.elapsed());
        assert_eq!(report.created, n);
        let t = Instant::now();
        let again = sync_registry(&store, &config, registry, &rclient, true, &|_| {})
            .await
            .expect("resync");
        resyncs.push(t.elapsed());
        assert_eq!(again.unchanged, n);
        if run == 0 {
            let t = Instant::now();
            let (written, errors) = write_back_practitioners(&store, "bench", &rclient)
                .await
                .expect("write-back");
            writebacks.push(t.elapsed());
            assert_eq!((written, errors.len()), (n, 0));
        }
        store.close().await;
    }
    let sync = median(syncs);
    let resync = median(resyncs);
    let pract_wb = median(writebacks);

    let at = chrono::Utc::now();
    let comms: Vec<_> = (0..n)
        .map(|i| {
            communication(&MessageRecord {
                msg_uuid: Uuid::from_u128(i as u128 + 1),
                direction: Direction::Out,
                status: MsgStatus::Delivered,
                text: "Please submit your weekly report".into(),
                practitioner_id: format!("P{i}"),
                at,
                request_id: None,
                in_response_to: None,
            })
        })
        .collect();
    let t = Instant::now();
    assert!(client.put_all(&comms).await.iter().all(Result::is_ok));
    let new_comms = t.elapsed();
    let mut unchanged = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        assert!(client.put_all(&comms).await.iter().all(Result::is_ok));
        unchanged.push(t.elapsed());
    }
    let same_comms = median(unchanged);

    let responses: Vec<_> = (0..n)
        .map(|i| {
            questionnaire_response(&RunRecord {
                run_uuid: Uuid::from_u128(0x5000_0000 + i as u128),
                flow_uuid: "0246ad54-71c1-4ec0-af8c-06b8644bbd07".into(),
                practitioner_id: format!("P{i}"),
                request_id: Some("bench-request".into()),
                created_on: at,
                status: RunStatus::Completed,
                answers: ["facility", "cadre", "phone"]
                    .iter()
                    .map(|k| RunAnswer {
                        link_id: k.to_string(),
                        question: Some(format!("Our records show your {k}. Reply YES if this is correct")),
                        answer: Some("YES".into()),
                        category: Some("Confirmed".into()),
                    })
                    .collect(),
            })
        })
        .collect();
    let t = Instant::now();
    assert!(client.put_all(&responses).await.iter().all(Result::is_ok));
    let new_qrs = t.elapsed();
    let mut unchanged = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        assert!(client.put_all(&responses).await.iter().all(Result::is_ok));
        unchanged.push(t.elapsed());
    }
    let same_qrs = median(unchanged);

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!("fetch_registry (baseline, HTTP+JSON only): {fetch:?}");
    println!(
        "full sync into SQLite (no write-back): {sync:?} = {:.0} practitioners/s, {:.2}x the fetch",
        rate(sync),
        sync.as_secs_f64() / fetch.as_secs_f64()
    );
    println!(
        "re-sync, nothing changed: {resync:?} = {:.2}x the fetch",
        resync.as_secs_f64() / fetch.as_secs_f64()
    );
    println!(
        "Practitioner write-back (read + PUT): {pract_wb:?} = {:.0} resources/s",
        rate(pract_wb)
    );
    println!(
        "Communication write-back, new: {new_comms:?} = {:.0} resources/s",
        rate(new_comms)
    );
    println!(
        "Communication write-back, unchanged: {same_comms:?} = {:.0} resources/s",
        rate(same_comms)
    );
    println!(
        "QuestionnaireResponse write-back, new: {new_qrs:?} = {:.0} resources/s",
        rate(new_qrs)
    );
    println!(
        "QuestionnaireResponse write-back, unchanged: {same_qrs:?} = {:.0} resources/s",
        rate(same_qrs)
    );
}
