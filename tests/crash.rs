//! A crash (SIGKILL) in the middle of a 10,000-message broadcast loses
//! nothing and sends nothing twice: after a restart every message ends
//! delivered, and the simulated phones received each exactly once.

mod common;

use common::*;
use serde_json::json;

const N: usize = 10_000;

async fn crash_and_resume(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(kind, dir.path());
    // 1,000 messages a second: the broadcast takes ten seconds, so the kill
    // lands with messages queued, in flight and sent.
    let extra = "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\nrate = 1000\n";
    let mut server = Server::start(dir.path(), "mhero", &config(&db.url, "node-a", extra));
    let api = server.api(OPERATOR);
    let (s, g) = api.post("/groups", json!({"name": "All"})).await;
    assert_eq!(s, 201, "{g}");
    let mut body = contacts_json(N, 0, |_| json!({}));
    for c in body["contacts"].as_array_mut().unwrap() {
        c["groups"] = json!(["All"]);
    }
    let (s, v) = api.post("/contacts/import", body).await;
    assert_eq!(s, 201, "{v}");
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "Refresher training on Monday", "groups": ["All"], "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let path = format!("/broadcasts/{}", b["uuid"].as_str().unwrap());

    let before = api
        .wait_for(&path, 120, |v| {
            let p = &v["progress"];
            p["sent"].as_i64().unwrap_or(0) + p["delivered"].as_i64().unwrap_or(0) >= 3000
        })
        .await;
    server.kill9();
    let p = &before["progress"];
    eprintln!("killed with progress {p}");
    assert!(
        p["queued"].as_i64().unwrap() > 0,
        "the kill should land mid-broadcast: {p}"
    );

    server.restart();
    let api = server.api(OPERATOR);
    let after = api
        .wait_for(&path, 180, |v| {
            v["progress"]["delivered"].as_i64() == Some(N as i64)
        })
        .await;
    let p = &after["progress"];
    assert_eq!(p["total"], N as i64, "{p}");
    assert_eq!(p["failed"], 0, "{p}");
    let stats = api.ok("/simulator/stats").await;
    assert_eq!(
        stats["received"], N as i64,
        "a message was sent twice or lost: {stats}"
    );
    assert_eq!(stats["distinct_messages"], N as i64, "{stats}");
    drop(server);
    drop(db);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_broadcast_on_sqlite() {
    crash_and_resume(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_broadcast_on_postgres() {
    crash_and_resume(Db::Postgres).await
}
