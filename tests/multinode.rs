//! Several gateway nodes on one PostgreSQL: each outbox row is claimed by
//! one node, so a broadcast is drained with no message sent twice and none
//! left behind — also when one node dies and the other takes over its
//! in-flight messages — and a conversation's replies reach the phone in
//! flow order whichever node sends each one.

mod common;

use common::*;
use serde_json::json;

const N: usize = 4000;

async fn setup(pg_url: &str, dir: &std::path::Path) -> (Server, Server) {
    let extra = "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\nrate = 400\n";
    let a = Server::start(dir, "a", &config(pg_url, "node-a", extra));
    let b = Server::start(dir, "b", &config(pg_url, "node-b", extra));
    let api = a.api(OPERATOR);
    let (s, _) = api.post("/groups", json!({"name": "All"})).await;
    assert_eq!(s, 201);
    let mut body = contacts_json(N, 0, |_| json!({}));
    for c in body["contacts"].as_array_mut().unwrap() {
        c["groups"] = json!(["All"]);
    }
    let (s, v) = api.post("/contacts/import", body).await;
    assert_eq!(s, 201, "{v}");
    (a, b)
}

async fn broadcast(api: &Api) -> String {
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "District meeting", "groups": ["All"], "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    format!("/broadcasts/{}", b["uuid"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_drain_one_broadcast() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Pg::start();
    let url = pg.create_db("mhero");
    let (a, b) = setup(&url, dir.path()).await;
    let path = broadcast(&a.api(OPERATOR)).await;
    let done = b
        .api(VIEWER)
        .wait_for(&path, 120, |v| {
            v["progress"]["delivered"].as_i64() == Some(N as i64)
        })
        .await;
    assert_eq!(done["progress"]["total"], N as i64);
    let stats = a.api(VIEWER).ok("/simulator/stats").await;
    assert_eq!(stats["received"], N as i64, "{stats}");
    assert_eq!(
        stats["distinct_messages"], N as i64,
        "a message went out twice: {stats}"
    );
    let (na, nb) = (
        stats["by_node"]["node-a"].as_i64().unwrap_or(0),
        stats["by_node"]["node-b"].as_i64().unwrap_or(0),
    );
    eprintln!("node-a sent {na}, node-b sent {nb}");
    assert!(na > 0 && nb > 0, "both nodes should share the work: {stats}");
    drop((a, b));
    drop(pg);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_surviving_node_finishes_a_dead_nodes_work() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Pg::start();
    let url = pg.create_db("mhero");
    let (a, mut b) = setup(&url, dir.path()).await;
    let path = broadcast(&a.api(OPERATOR)).await;
    let viewer = a.api(VIEWER);
    viewer
        .wait_for(&path, 120, |v| {
            v["progress"]["delivered"].as_i64().unwrap_or(0) >= (N / 4) as i64
        })
        .await;
    // Node b dies for good; whatever it had claimed is settled by node a
    // once b's heartbeat is stale.
    b.kill9();
    let done = viewer
        .wait_for(&path, 180, |v| {
            v["progress"]["delivered"].as_i64() == Some(N as i64)
        })
        .await;
    assert_eq!(done["progress"]["total"], N as i64);
    let stats = viewer.ok("/simulator/stats").await;
    assert_eq!(stats["received"], N as i64, "{stats}");
    assert_eq!(stats["distinct_messages"], N as i64, "{stats}");
    drop((a, b));
    drop(pg);
}

/// Two nodes share the timeout scheduler: 40 workers leave a case report
/// unanswered, each gets exactly one reminder (fired by whichever node
/// holds the lease), and when that node is killed the other one takes the
/// lease over and fires the second round.
#[tokio::test(flavor = "multi_thread")]
async fn wait_timeouts_fire_once_across_nodes() {
    const WORKERS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let pg = Pg::start();
    let url = pg.create_db("mhero");
    let export = common::flows::export(
        &[common::flows::case_report(Some(3))],
        &[("case", "Case Report Test")],
        json!([]),
        json!([]),
        json!([]),
    );
    let path = dir.path().join("case.json");
    std::fs::write(&path, export.to_string()).unwrap();
    let extra = format!(
        "[flows]\nimports = [\"{}\"]\ntimeout_poll_ms = 200\n",
        path.display()
    );
    let a = Server::start(dir.path(), "a", &config(&url, "node-a", &extra));
    let mut b = Server::start(dir.path(), "b", &config(&url, "node-b", &extra));
    let (s, v) = a
        .api(OPERATOR)
        .post("/contacts/import", contacts_json(WORKERS, 0, |_| json!({})))
        .await;
    assert_eq!(s, 201, "{v}");
    // Half text node A's API, half node B's.
    for k in 0..WORKERS {
        let api = if k % 2 == 0 {
            a.api(OPERATOR)
        } else {
            b.api(OPERATOR)
        };
        let (s, v) = api
            .post(
                "/simulator/inbound",
                json!({"from": format!("+2557{k:08}"), "text": "case"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let viewer = a.api(VIEWER);
    let received = |k: usize| format!("/simulator/phones/+2557{k:08}/received");
    // Question, then one reminder each after 3 s.
    for k in 0..WORKERS {
        viewer
            .wait_for(&received(k), 30, |v| {
                v["results"].as_array().is_some_and(|r| r.len() >= 2)
            })
            .await;
    }
    // Node B dies; node A fires the second round within the lease's life.
    b.kill9();
    for k in 0..WORKERS {
        viewer
            .wait_for(&received(k), 40, |v| {
                v["results"].as_array().is_some_and(|r| r.len() >= 3)
            })
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for k in 0..WORKERS {
        let got = viewer.ok(&received(k)).await;
        let texts: Vec<&str> = got["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap())
            .collect();
        // Either the next reminder is still 3 s away, or it fired once.
        assert!(texts.len() == 3 || texts.len() == 4, "{k}: {texts:?}");
        assert_eq!(texts[0], "Which disease? MALARIA, CHOLERA or MEASLES");
        assert!(
            texts[1..].iter().all(|t| t.starts_with("Reminder: ")),
            "{k}: {texts:?}"
        );
    }
    let stats = viewer.ok("/simulator/stats").await;
    assert_eq!(stats["received"], stats["distinct_messages"], "{stats}");
    drop((a, b));
    drop(pg);
}

/// Half the phones take the QUIZ through node A, half through node B; any
/// node may send any reply, yet every phone receives the whole quiz in flow
/// order, each message once.
#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_keep_each_conversation_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Pg::start();
    let url = pg.create_db("mhero");
    let extra = quiz::imported();
    let a = Server::start(dir.path(), "a", &config(&url, "node-a", &extra));
    let b = Server::start(dir.path(), "b", &config(&url, "node-b", &extra));
    quiz::over_the_simulator(&[a.api(OPERATOR), b.api(OPERATOR)]).await;
    let stats = a.api(VIEWER).ok("/simulator/stats").await;
    let all = (quiz::PHONES * quiz::RECEIVED.len()) as i64;
    assert_eq!(stats["received"], all, "{stats}");
    assert_eq!(stats["distinct_messages"], all, "{stats}");
    for node in ["node-a", "node-b"] {
        assert!(
            stats["by_node"][node].as_i64().unwrap_or(0) > 0,
            "{node} sent no reply: {stats}"
        );
    }
    drop((a, b));
    drop(pg);
}
