//! Exported groups kept in step both ways, against the real strict FHIR R4
//! server (`fhir_peer`) and a real `mhero serve` on SQLite and on
//! PostgreSQL: the operator adds a member and the registry's `Group` gains
//! it; an iHRIS officer removes one (and adds another) on the registry and
//! the gateway's group follows; a rename on the registry is written back and
//! reported as a conflict; a group first imported from the registry is kept
//! in step under its registry id; and once both sides agree, further passes
//! and a re-sync write nothing.

mod common;
mod fhir_peer;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use mhero::fhir::client::FhirClient;
use mhero::fhir::resources::{Group, GroupMember, Practitioner, Reference};
use serde_json::{json, Value};

use common::{Db, Server, TestDb, OPERATOR};
use fhir_peer::{cli_sync, practitioner, wait_for, FhirServer};

/// The registry's own group, imported by the sync and listed for export.
const MIDWIVES: &str = "G-MID";

fn phone(i: usize) -> String {
    format!("+2557300000{i:02}")
}

fn config(db_url: &str, fhir_base: &str) -> String {
    common::config(
        db_url,
        "n1",
        &format!(
            r#"
[[links]]
name = "simulator"
kind = "simulator"

[[registries]]
name = "ihris"
base_url = "{fhir_base}"
country = "TZ"
sync_interval_secs = 0
poll_interval_secs = 1
timeout_secs = 3
export_groups = ["Field team", "Midwives"]
"#
        ),
    )
}

fn sorted(ids: Vec<&str>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    ids.sort();
    ids
}

/// The registry Group `id` once its practitioner members are `want`.
async fn group_with(client: &FhirClient, id: &str, want: &[&str]) -> Group {
    wait_for(&format!("Group/{id} with {want:?}"), 30, async || {
        let g = client.read::<Group>(id).await.ok()?;
        (sorted(g.practitioner_ids()) == want).then_some(g)
    })
    .await
}

/// Registry ids of the local group's members.
async fn local_members(api: &common::Api, group: &str) -> Vec<String> {
    let group = group.replace(' ', "%20");
    let v = api.ok(&format!("/contacts?group={group}&limit=100")).await;
    let mut ids: Vec<String> = v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["fields"]["registry_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

async fn local_with(api: &common::Api, group: &str, want: &[&str]) {
    wait_for(&format!("local {group} with {want:?}"), 30, async || {
        (local_members(api, group).await == want).then_some(())
    })
    .await
}

/// `id → versionId` of every Group on the registry.
async fn group_versions(client: &FhirClient) -> BTreeMap<String, String> {
    let all = client.search_all::<Group>(&[]).await.expect("search");
    all.resources
        .iter()
        .map(|g| {
            let version = g.meta.as_ref().and_then(|m| m.version_id.clone());
            (g.id.clone().unwrap_or_default(), version.unwrap_or_default())
        })
        .collect()
}

/// What an iHRIS officer does: read the Group, change it, PUT it back.
async fn officer_edit(client: &FhirClient, id: &str, edit: impl FnOnce(&mut Group)) {
    let mut g = client.read::<Group>(id).await.expect("read Group");
    edit(&mut g);
    client.update(&g).await.expect("officer's PUT");
}

fn member(p: &str) -> GroupMember {
    GroupMember {
        entity: Reference::to("Practitioner", p),
        ..GroupMember::default()
    }
}

on_both!(exported_groups_follow_edits_on_both_sides);
async fn exported_groups_follow_edits_on_both_sides(kind: Db) {
    let fhir = FhirServer::start();
    let client = fhir.client();
    let mut workers: Vec<Practitioner> = (1..=5)
        .map(|i| practitioner(&format!("P{i}"), &format!("Worker {i}"), Some(&phone(i))))
        .collect();
    // P9 has no phone: no contact here, but the officer may still list it.
    workers.push(practitioner("P9", "Worker 9", None));
    assert!(client.put_all(&workers).await.iter().all(Result::is_ok));
    let midwives = Group {
        id: Some(MIDWIVES.into()),
        name: Some("Midwives".into()),
        type_: Some("practitioner".into()),
        actual: Some(true),
        member: vec![member("P1")],
        ..Group::default()
    };
    client.update(&midwives).await.expect("registry group");

    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let mut server = Server::start(dir.path(), "gw", &config(&db.url, &fhir.base));
    let api = server.api(OPERATOR);
    let report = cli_sync(&server.config);
    assert_eq!(report["created"], 5, "{report}");
    assert_eq!(report["groups"]["created"], 1, "Midwives imported: {report}");
    local_with(&api, "Midwives", &["P1"]).await;

    // Contact uuids by practitioner id.
    let contacts = api.ok("/contacts?limit=100").await;
    let by_practitioner: HashMap<&str, &Value> = contacts["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["fields"]["registry_id"].as_str()?, &c["uuid"])))
        .collect();
    let (s, team) = api.post("/groups", json!({"name": "Field team"})).await;
    assert_eq!(s, 201, "{team}");
    let team_uuid = team["uuid"].as_str().unwrap().to_string();
    let add = async |group: &str, who: &[&str]| {
        let contacts: Vec<&Value> = who.iter().map(|p| by_practitioner[p]).collect();
        let (s, v) = api
            .post(
                &format!("/groups/{group}/members"),
                json!({ "contacts": contacts }),
            )
            .await;
        assert!(s < 300, "{v}");
    };

    // 1. Gateway → registry: the local group is published, then gains P3.
    add(&team_uuid, &["P1", "P2"]).await;
    group_with(&client, &team_uuid, &["P1", "P2"]).await;
    add(&team_uuid, &["P3"]).await;
    let g = group_with(&client, &team_uuid, &["P1", "P2", "P3"]).await;
    assert_eq!(g.name.as_deref(), Some("Field team"));
    assert_eq!(g.quantity, Some(3));

    // 2. Registry → gateway: an officer removes P2 and adds P4 and P9.
    officer_edit(&client, &team_uuid, |g| {
        g.member
            .retain(|m| m.entity.reference.as_deref() != Some("Practitioner/P2"));
        g.member.push(member("P4"));
        g.member.push(member("P9"));
    })
    .await;
    local_with(&api, "Field team", &["P1", "P3", "P4"]).await;
    // The officer's edit stands (P9 kept though it has no contact here).
    let g = group_with(&client, &team_uuid, &["P1", "P3", "P4", "P9"]).await;
    assert_eq!(g.quantity, Some(4), "the count follows the members");

    // 3. Both at once: the operator adds P5 while the officer drops P1;
    // neither edit is lost.
    officer_edit(&client, &team_uuid, |g| {
        g.member
            .retain(|m| m.entity.reference.as_deref() != Some("Practitioner/P1"));
    })
    .await;
    add(&team_uuid, &["P5"]).await;
    group_with(&client, &team_uuid, &["P3", "P4", "P5", "P9"]).await;
    local_with(&api, "Field team", &["P3", "P4", "P5"]).await;

    // 4. A group imported from the registry is kept in step under its own
    // id: the operator adds P2, and no second Group appears.
    let mid = api.ok("/groups").await;
    let mid_uuid = mid["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Midwives")
        .and_then(|g| g["uuid"].as_str())
        .expect("Midwives")
        .to_string();
    add(&mid_uuid, &["P2"]).await;
    group_with(&client, MIDWIVES, &["P1", "P2"]).await;
    assert!(
        client.read::<Group>(&mid_uuid).await.is_err(),
        "written under the registry's id, not ours"
    );

    // 5. A rename on the registry: our name is written back, the rename
    // is reported.
    officer_edit(&client, &team_uuid, |g| g.name = Some("Team renamed".into())).await;
    wait_for("the name written back", 30, async || {
        let g = client.read::<Group>(&team_uuid).await.ok()?;
        (g.name.as_deref() == Some("Field team")).then_some(())
    })
    .await;
    let conflicts = api.ok("/registries/ihris/conflicts").await;
    let c = &conflicts["results"][0];
    assert_eq!(c["resource"], format!("Group/{team_uuid}"), "{conflicts}");
    assert_eq!(
        (c["field"].as_str(), c["ours"].as_str(), c["theirs"].as_str()),
        (Some("name"), Some("Field team"), Some("Team renamed"))
    );

    // 6. No ping-pong: once agreed, passes and a re-sync write nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = group_versions(&client).await;
    assert_eq!(before.len(), 2, "{before:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let resync = cli_sync(&server.config);
    assert!(
        resync["groups"].get("created").is_none(),
        "exported groups are not mirrored again: {resync}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(group_versions(&client).await, before);
    assert_eq!(local_members(&api, "Field team").await, ["P3", "P4", "P5"]);
    assert_eq!(local_members(&api, "Midwives").await, ["P1", "P2"]);
    let again = api.ok("/registries/ihris/conflicts").await;
    assert_eq!(again["results"].as_array().map(Vec::len), Some(1), "{again}");
    server.stop();
}
