//! List endpoints behave alike (issue #21): `order=asc|desc` by creation,
//! `after`/`before` cursors that page both ways, unknown parameters refused
//! by name, and every timestamp in RFC 3339 UTC. Over real HTTP against
//! `mhero serve`, on SQLite and on a private PostgreSQL server.

mod common;

use chrono::DateTime;
use common::*;
use serde_json::{json, Value};

fn uuids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {v}"))
        .iter()
        .map(|c| c["uuid"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Every page of `path` (which has a `?`), following `next` as `cursor`.
async fn all_pages(api: &Api, path: &str, cursor: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut url = path.to_string();
    for _ in 0..100 {
        let v = api.ok(&url).await;
        out.extend(uuids(&v));
        match v["next"].as_i64() {
            Some(n) => url = format!("{path}&{cursor}={n}"),
            None => return out,
        }
    }
    panic!("{path} did not end within 100 pages");
}

/// Each key ending in `_on` or `_at`, anywhere in `v`, holds null or an
/// RFC 3339 UTC time with milliseconds.
fn times_are_rfc3339(v: &Value, seen: &mut usize) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k.ends_with("_on") || k.ends_with("_at") {
                    if let Some(t) = x.as_str() {
                        assert!(
                            DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'),
                            "{k} = {t:?} is not RFC 3339 UTC"
                        );
                        *seen += 1;
                    } else {
                        assert!(x.is_null(), "{k} = {x} is not a time");
                    }
                } else {
                    times_are_rfc3339(x, seen);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| times_are_rfc3339(x, seen)),
        _ => {}
    }
}

on_both!(lists_page_both_ways_and_refuse_unknown_parameters);
async fn lists_page_both_ways_and_refuse_unknown_parameters(kind: Db) {
    let env = Env::start(kind, "", "");
    let api = env.server.api(ADMIN);
    let (s, v) = api
        .post("/contacts/import", contacts_json(7, 0, |_| json!({})))
        .await;
    assert_eq!(s, 201, "{v}");
    let created: Vec<String> = v["uuids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();

    // Ascending (the default) and descending, three at a time.
    let asc = all_pages(&api, "/contacts?limit=3", "after").await;
    assert_eq!(asc, created);
    let desc = all_pages(&api, "/contacts?order=desc&limit=3", "before").await;
    let mut reversed = created.clone();
    reversed.reverse();
    assert_eq!(desc, reversed);
    // A window between two cursors, either way.
    let page = api.ok("/contacts?limit=2").await;
    let second = page["next"].as_i64().unwrap();
    let window = api
        .ok(&format!("/contacts?after={}&before={}", second - 1, second + 3))
        .await;
    assert_eq!(uuids(&window), created[1..4]);
    let window = api
        .ok(&format!(
            "/contacts?after={}&before={}&order=desc",
            second - 1,
            second + 3
        ))
        .await;
    assert_eq!(uuids(&window), reversed[3..6]);
    assert_eq!(window["next"], Value::Null);

    // The same on the other lists.
    for name in ["Alpha", "Beta", "Gamma"] {
        let (s, v) = api.post("/groups", json!({"name": name})).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = api
            .post(
                "/triggers",
                json!({"keywords": [name.to_lowercase()], "reply": name}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = api
            .post(
                "/broadcasts",
                json!({"text": name, "urns": ["+255712999001"], "respect_hours": false}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    for list in ["/groups", "/triggers", "/broadcasts"] {
        let up = uuids(&api.ok(list).await);
        assert_eq!(up.len(), 3, "{list}");
        let mut down = uuids(&api.ok(&format!("{list}?order=desc")).await);
        down.reverse();
        assert_eq!(up, down, "{list}?order=desc is not the reverse");
        let first = api.ok(&format!("{list}?limit=1")).await;
        assert_eq!(uuids(&first), up[..1], "{list}?limit=1");
        let rest = all_pages(&api, &format!("{list}?limit=1"), "after").await;
        assert_eq!(rest, up, "{list} paged one by one");
        let back = all_pages(&api, &format!("{list}?limit=2&order=desc"), "before").await;
        assert_eq!(back.len(), 3, "{list} paged back: {back:?}");
    }
    let groups = api.ok("/groups?order=desc").await;
    let names: Vec<&str> = groups["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Gamma", "Beta", "Alpha"]);
    let nodes = api.ok("/nodes?order=desc").await;
    assert_eq!(nodes["results"][0]["id"], "node-a", "{nodes}");

    // Unknown parameters are refused by name, with what is accepted.
    let (s, v) = api.get("/contacts?sort=desc").await;
    assert_eq!((s, v["field"].clone()), (400, json!("sort")), "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("query, group, after, before, order, limit"), "{e}");
    for path in [
        "/messages?stauts=sent",
        "/groups?name=Alpha",
        "/triggers?keyword=x",
        "/broadcasts?status=sent",
        "/flows?type=voice",
        "/flow_starts?flow=x",
        "/campaigns?group=x",
        "/calls?trunk=x",
        "/fields?limit=1",
        "/links?name=x",
        "/nodes?after=1",
        "/registries?x=1",
        "/flows/nope/runs?after_idd=3",
        "/simulator/phones/+255712999001/received?since=1",
    ] {
        let (s, v) = api.get(path).await;
        assert_eq!(s, 400, "{path}: {v}");
        assert!(
            v["error"].as_str().unwrap().starts_with("unknown parameter"),
            "{path}: {v}"
        );
    }
    // Bad values name their parameter.
    for (path, field) in [
        ("/contacts?order=sideways", "order"),
        ("/messages?after=ten", "after"),
        ("/flows/nope/runs?order=up", "order"),
    ] {
        let (s, v) = api.get(path).await;
        assert_eq!((s, v["field"].clone()), (400, json!(field)), "{path}: {v}");
    }

    // Every timestamp the lists answer with is RFC 3339 UTC.
    let mut seen = 0;
    for list in [
        "/contacts",
        "/groups",
        "/triggers",
        "/broadcasts",
        "/messages",
        "/nodes",
        "/calls",
        "/flow_starts",
        "/campaigns",
    ] {
        times_are_rfc3339(&api.ok(list).await, &mut seen);
    }
    assert!(seen >= 20, "only {seen} timestamps checked");
}
