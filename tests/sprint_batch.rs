//! Group commit of sprints, at the store: many sprints written at once share
//! transactions, and each still stands or falls alone (a stale one writes
//! nothing, the others are all written), on SQLite and PostgreSQL.

mod common;

use common::{Db, TestDb};
use futures::future::join_all;
use mhero::core::{Priority, Urn};
use mhero::store::{
    Applied, ContactChanges, NewInbound, NewOutMsg, ResultWrite, RunWrite, SessionWrite, SprintWrite, Store,
};

const CONTACTS: usize = 60;
const FLOW: &str = "5f5d8a9e-0d6c-4b32-a1f4-3c3f3b1a0001";

fn sprint(
    contact_id: i64,
    session: &str,
    prior: Option<(i64, i64)>,
    step: usize,
    handled: Option<i64>,
) -> SprintWrite {
    let urn = format!("tel:+25078800{contact_id:04}");
    SprintWrite {
        contact_id,
        session: SessionWrite {
            uuid: session.to_string(),
            status: "waiting".into(),
            flow_uuid: FLOW.into(),
            state: Some(format!("{{\"step\":{step}}}")),
            timeout_on: None,
            expires_on: Some(4_000_000_000_000),
            prior,
        },
        runs: vec![RunWrite {
            uuid: format!("{session}-run"),
            flow_uuid: FLOW.into(),
            status: "waiting".into(),
            responded: step > 0,
            created_on: 1_000,
            exited_on: None,
            results: (0..step)
                .map(|q| ResultWrite {
                    key: format!("q{q}"),
                    name: format!("Q{q}"),
                    value: format!("answer {q}"),
                    category: "Correct".into(),
                    input: Some(format!("answer {q}")),
                    node_uuid: "node".into(),
                    created_on: 2_000,
                })
                .collect(),
        }],
        contact: ContactChanges::default(),
        msgs: vec![NewOutMsg {
            contact_id: Some(contact_id),
            urn,
            text: format!("question {step}"),
            priority: Priority::Reply,
            segments: 1,
            route: "sim".into(),
            next_attempt_on: 0,
            broadcast_id: None,
            held_reason: None,
        }],
        interrupt_waiting: step == 0,
        start_id: None,
        completions: vec![],
        starts: vec![],
        broadcasts: vec![],
        handled_msg: handled,
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.sql(sql).await[0].parse().expect("a count")
}

async fn sprints_written_together_stand_alone(kind: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let store = Store::open(&db.url, 8).await.expect("store");
    let mut contacts = Vec::new();
    for i in 0..CONTACTS {
        let urn = Urn::tel(&format!("+25078800{i:04}")).expect("urn");
        let (c, _) = store.find_or_create_by_urn(&urn, None).await.expect("contact");
        contacts.push(c.id);
    }

    // Every contact starts a session at the same moment.
    let starts = contacts
        .iter()
        .map(|&c| sprint(c, &format!("s-{c}"), None, 0, None))
        .collect::<Vec<_>>();
    let applied = join_all(starts.iter().map(|w| store.apply_sprint(w))).await;
    let ids: Vec<i64> = applied
        .into_iter()
        .map(|a| match a.expect("written") {
            Applied::Written(id) => id,
            Applied::Stale => panic!("a fresh session came back stale"),
        })
        .collect();

    // Then every contact answers at once; each answer is an inbound message
    // marked handled with its sprint. One in ten is resumed from a version
    // that another writer already moved past: stale, so nothing of it may
    // be written, while the rest are.
    let urns: Vec<String> = contacts.iter().map(|c| format!("tel:+25078800{c:04}")).collect();
    let inbound: Vec<NewInbound> = contacts
        .iter()
        .zip(&urns)
        .map(|(&c, urn)| NewInbound {
            contact_id: c,
            urn,
            text: "answer 0",
            link: "sim",
            external_id: None,
            received_on: 3_000,
            note: None,
            node: "node-a",
        })
        .collect();
    // The messages arrive together too (they share transactions).
    let msg_ids: Vec<i64> = join_all(inbound.iter().map(|m| store.insert_inbound(m)))
        .await
        .into_iter()
        .map(|r| r.expect("inbound stored"))
        .collect();
    let stored = db
        .sql("SELECT urn FROM msgs WHERE direction = 'in' ORDER BY id")
        .await;
    assert_eq!(stored.len(), CONTACTS);
    for (id, urn) in msg_ids.iter().zip(&urns) {
        let at = db.sql(&format!("SELECT urn FROM msgs WHERE id = {id}")).await;
        assert_eq!(&at[0], urn, "each caller gets the id of its own message");
    }
    let mut answers = Vec::new();
    for (k, ((&c, &id), &msg)) in contacts.iter().zip(&ids).zip(&msg_ids).enumerate() {
        let version = if k % 10 == 0 { 7 } else { 0 };
        answers.push(sprint(c, &format!("s-{c}"), Some((id, version)), 1, Some(msg)));
    }
    let applied = join_all(answers.iter().map(|w| store.apply_sprint(w))).await;
    let mut stale = 0;
    for (k, a) in applied.into_iter().enumerate() {
        match a.expect("no error") {
            Applied::Stale => {
                assert_eq!(k % 10, 0, "only the outdated versions are stale");
                stale += 1;
            }
            Applied::Written(id) => assert_eq!(id, ids[k]),
        }
    }
    let fresh = (CONTACTS - stale) as i64;
    assert_eq!(stale, CONTACTS / 10);

    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE status = 'waiting'").await,
        CONTACTS as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE version = 1").await,
        fresh
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM run_results").await, fresh);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM runs WHERE responded = 1").await,
        fresh
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM runs").await, CONTACTS as i64);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM msgs WHERE direction = 'out' AND text = 'question 1'"
        )
        .await,
        fresh
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM msgs WHERE status = 'handled'").await,
        fresh
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM msgs WHERE status = 'pending'").await,
        stale as i64,
        "a stale sprint leaves its message pending"
    );
    // The results landed on the right runs.
    let wrong = count(
        &db,
        "SELECT COUNT(*) FROM run_results r JOIN runs u ON u.id = r.run_id JOIN sessions s ON s.id = u.session_id \
         WHERE s.state <> '{\"step\":1}'",
    )
    .await;
    assert_eq!(wrong, 0);

    // A second session for a contact that already has one waiting is
    // refused as stale, written together with others that are fine.
    let mut next = Vec::new();
    for &c in &contacts[..10] {
        let mut w = sprint(c, &format!("t-{c}"), None, 0, None);
        w.interrupt_waiting = c % 2 == 0;
        next.push(w);
    }
    let applied = join_all(next.iter().map(|w| store.apply_sprint(w))).await;
    for (w, a) in next.iter().zip(applied) {
        let a = a.expect("no error");
        if w.interrupt_waiting {
            assert!(
                matches!(a, Applied::Written(_)),
                "an interrupting start replaces the waiting session"
            );
        } else {
            assert_eq!(a, Applied::Stale, "a second waiting session is refused");
        }
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE status = 'interrupted'").await,
        5
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE uuid LIKE 't-%'").await,
        5
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE status = 'waiting'").await,
        CONTACTS as i64
    );

    // A database error in one sprint (its run names a flow start that does
    // not exist) fails that sprint only: the batch is written again one by
    // one.
    let mut next = Vec::new();
    for &c in &contacts[10..20] {
        let mut w = sprint(c, &format!("u-{c}"), None, 0, None);
        if c == contacts[13] {
            w.start_id = Some(999_999);
        }
        next.push(w);
    }
    let applied = join_all(next.iter().map(|w| store.apply_sprint(w))).await;
    for (w, a) in next.iter().zip(applied) {
        match (w.start_id, a) {
            (Some(_), Err(_)) => {}
            (None, Ok(Applied::Written(_))) => {}
            (start, other) => panic!("start {start:?}: {other:?}"),
        }
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE uuid LIKE 'u-%'").await,
        9
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions WHERE status = 'waiting'").await,
        CONTACTS as i64
    );
    store.close().await;
}

on_both!(sprints_written_together_stand_alone);

/// The inbound path reads a contact, its URNs, its groups and its waiting
/// session in one query; it must agree with the separate reads.
async fn contact_read_with_its_waiting_session(kind: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let store = Store::open(&db.url, 4).await.expect("store");
    store
        .ensure_field("district", "District", mhero::core::contact::FieldType::Text)
        .await
        .expect("field");
    for g in ["Zambezi nurses", "Anaesthetists", "Ward 3"] {
        store.create_group(g, None).await.expect("group");
    }
    let new = mhero::store::NewContact {
        name: Some("Ama Mensah".into()),
        language: Some("fra".into()),
        urns: vec!["tel:+250788000101".into(), "tel:+250788000102".into()],
        fields: [("district".to_string(), serde_json::json!("Gasabo"))].into(),
        groups: vec!["Ward 3".into(), "Zambezi nurses".into(), "Anaesthetists".into()],
        ..Default::default()
    };
    let created = store.create_contact(new, None).await.expect("contact");
    let second = Urn::tel("+250788000102").expect("urn");
    let unknown = Urn::tel("+250788009999").expect("urn");
    assert!(store
        .contact_by_urn_with_waiting(&unknown)
        .await
        .expect("read")
        .is_none());

    let (c, waiting) = store
        .contact_by_urn_with_waiting(&second)
        .await
        .expect("read")
        .expect("found by its second number");
    let apart = store.contact_by_urn(&second).await.expect("read").expect("found");
    assert!(waiting.is_none());
    assert_eq!(c.id, created.id);
    assert_eq!(c.uuid, apart.uuid);
    assert_eq!(c.name.as_deref(), Some("Ama Mensah"));
    assert_eq!(c.language.as_deref(), Some("fra"));
    assert_eq!(c.fields, apart.fields);
    assert_eq!(c.urns, apart.urns, "URNs in priority order");
    assert_eq!(c.urns.len(), 2);
    assert_eq!(
        c.groups,
        ["Anaesthetists", "Ward 3", "Zambezi nurses"],
        "groups by name"
    );
    assert_eq!(c.groups, apart.groups);

    // A waiting session comes with the contact, as the separate read has it.
    let w = sprint(c.id, "s-read", None, 0, None);
    let Applied::Written(sid) = store.apply_sprint(&w).await.expect("written") else {
        panic!("a fresh session came back stale");
    };
    let (_, waiting) = store
        .contact_by_urn_with_waiting(&second)
        .await
        .expect("read")
        .expect("found");
    let joined = waiting.expect("the waiting session");
    let apart = store.waiting_session(c.id).await.expect("read").expect("waiting");
    assert_eq!(joined.id, sid);
    assert_eq!(
        (
            &joined.uuid,
            joined.contact_id,
            &joined.flow_uuid,
            &joined.state,
            joined.version
        ),
        (
            &apart.uuid,
            apart.contact_id,
            &apart.flow_uuid,
            &apart.state,
            apart.version
        )
    );
    assert_eq!(
        (joined.timeout_on, joined.expires_on),
        (apart.timeout_on, apart.expires_on)
    );
    assert_eq!(joined.state, "{\"step\":0}");

    // Once it ends, none is read.
    let mut end = sprint(c.id, "s-read", Some((sid, joined.version)), 1, None);
    end.session.status = "completed".into();
    assert!(matches!(
        store.apply_sprint(&end).await.expect("written"),
        Applied::Written(_)
    ));
    let (_, waiting) = store
        .contact_by_urn_with_waiting(&second)
        .await
        .expect("read")
        .expect("found");
    assert!(waiting.is_none());
}

on_both!(contact_read_with_its_waiting_session);
