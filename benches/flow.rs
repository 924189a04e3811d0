//! Flow engine throughput: complete sessions of a five-question quiz driven
//! through its waits, in memory (target: 20,000 sessions/s on one core),
//! and separately the cost of persisting and restoring a waiting session.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mhero::flow::clock;
use mhero::flow::events::MsgIn;
use mhero::flow::resume::{Resume, ResumeKind};
use mhero::flow::services::NoServices;
use mhero::flow::session::{self, Session};
use mhero::flow::session_assets::SessionAssets;
use mhero::flow::trigger::Trigger;
use serde_json::{json, Value};

const QUESTIONS: usize = 5;
const FLOW: &str = "0b6a3f0e-0000-4000-8000-000000000000";

fn id(n: usize) -> String {
    format!("0b6a3f0e-0000-4000-8000-{n:012}")
}

/// Five questions, each a message and a wait with a numeric answer.
fn quiz() -> SessionAssets {
    let mut nodes = Vec::new();
    for q in 0..QUESTIONS {
        let base = 100 * (q + 1);
        let next = if q + 1 < QUESTIONS {
            Value::String(id(100 * (q + 2)))
        } else {
            Value::Null
        };
        nodes.push(json!({
            "uuid": id(base),
            "actions": [{"uuid": id(base + 1), "type": "send_msg", "text": format!("Q{}: @contact.first_name, how many? ", q + 1)}],
            "exits": [{"uuid": id(base + 2), "destination_uuid": id(base + 3)}]
        }));
        nodes.push(json!({
            "uuid": id(base + 3),
            "router": {
                "type": "switch", "wait": {"type": "msg"}, "result_name": format!("Answer {}", q + 1),
                "operand": "@input.text",
                "cases": [{"uuid": id(base + 4), "type": "has_number_between", "arguments": ["1", "10"], "category_uuid": id(base + 5)}],
                "categories": [
                    {"uuid": id(base + 5), "name": "Valid", "exit_uuid": id(base + 6)},
                    {"uuid": id(base + 7), "name": "Other", "exit_uuid": id(base + 8)}
                ],
                "default_category_uuid": id(base + 7)
            },
            "exits": [
                {"uuid": id(base + 6), "destination_uuid": next},
                {"uuid": id(base + 8), "destination_uuid": id(base)}
            ]
        }));
    }
    SessionAssets::from_value(json!({"flows": [{
        "uuid": FLOW, "name": "Quiz", "spec_version": "13.6.1", "language": "eng", "type": "messaging",
        "nodes": nodes
    }]}))
    .expect("the quiz loads")
}

fn trigger() -> Trigger {
    serde_json::from_value(json!({
        "type": "manual", "flow": {"uuid": FLOW, "name": "Quiz"},
        "contact": {"uuid": "0d4b1f6e-2a61-4c1b-9d7e-5f3c2b1a0e9d", "name": "Aline Uwase", "urns": ["tel:+250788123456"]}
    }))
    .expect("the trigger reads")
}

fn answer(text: &str) -> Resume {
    Resume {
        kind: ResumeKind::Msg {
            msg: MsgIn {
                text: text.to_owned(),
                ..MsgIn::default()
            },
        },
        contact: None,
        environment: None,
        resumed_on: None,
    }
}

fn complete_session(assets: &SessionAssets, trigger: &Trigger) -> Session {
    let (mut s, _) = session::start(assets, &NoServices, trigger.clone(), clock::system()).expect("starts");
    for _ in 0..QUESTIONS {
        session::resume(assets, &NoServices, &mut s, answer("7"), clock::system()).expect("resumes");
    }
    s
}

fn bench(c: &mut Criterion) {
    let assets = quiz();
    // The host builds the trigger; the engine's work starts from it.
    let start = trigger();
    assert!(complete_session(&assets, &start).runs[0].results.len() == QUESTIONS);

    let mut group = c.benchmark_group("flow");
    group.throughput(Throughput::Elements(1));
    group.bench_function("quiz_session_complete", |b| {
        b.iter(|| black_box(complete_session(&assets, &start)))
    });

    let (waiting, _) = session::start(&assets, &NoServices, start.clone(), clock::system()).expect("starts");
    group.bench_function("waiting_session_serialise_restore", |b| {
        b.iter(|| {
            let stored = serde_json::to_vec(black_box(&waiting)).expect("serialises");
            let restored: Session = serde_json::from_slice(&stored).expect("restores");
            black_box(restored)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
