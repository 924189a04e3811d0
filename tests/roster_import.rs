//! Importing a roster again (issue #21): rows that match a known contact by
//! a phone number or by the external id update it, the rest are created,
//! all in one transaction; a bad roster is refused whole with every bad row
//! listed; and a local number where no default country is set is refused
//! with an error that says what to set. Over real HTTP against `mhero
//! serve`, on SQLite and on a private PostgreSQL server.

mod common;

use common::*;
use serde_json::{json, Value};

async fn setup(api: &Api) {
    let (s, v) = api.post("/fields", json!({"key": "cadre", "type": "text"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post("/fields", json!({"key": "age", "type": "number"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post("/groups", json!({"name": "Roster 2026"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api
        .post("/groups", json!({"name": "Nurses", "query": "cadre = nurse"}))
        .await;
    assert_eq!(s, 201, "{v}");
}

async fn import(api: &Api, rows: Value) -> (u16, Value) {
    api.post("/contacts/import", json!({ "contacts": rows })).await
}

fn count(v: &Value) -> usize {
    v["results"].as_array().map(Vec::len).unwrap_or(0)
}

on_both!(a_roster_imported_again_updates_whom_it_knows);
async fn a_roster_imported_again_updates_whom_it_knows(kind: Db) {
    let env = Env::start(kind, "", "");
    let api = env.server.api(OPERATOR);
    setup(&api).await;
    let (s, first) = import(
        &api,
        json!([
            {"name": "Asha", "external_id": "HR-1", "urns": ["+255712000001"], "fields": {"cadre": "midwife", "age": 30}},
            {"name": "Baraka", "urns": ["+255712000002"], "language": "eng"},
            {"name": "Chausiku", "external_id": "HR-3", "urns": ["+255712000003"]},
        ]),
    )
    .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(
        (first["created"].clone(), first["updated"].clone()),
        (json!(3), json!(0))
    );
    let uuid = |i: usize| first["uuids"][i].as_str().unwrap().to_string();

    // The roster again: Asha by her staff number with a new phone and cadre,
    // Baraka by his phone (written locally) with a staff number now, and
    // one new worker.
    let (s, again) = import(
        &api,
        json!([
            {"name": "Asha M.", "external_id": "HR-1", "urns": ["+255712000004"],
             "fields": {"cadre": "nurse"}, "groups": ["Roster 2026"]},
            {"external_id": "HR-2", "urns": ["0712 000 002"], "language": "swa", "groups": ["Roster 2026"]},
            {"name": "Daudi", "external_id": "HR-4", "urns": ["+255712000005"]},
        ]),
    )
    .await;
    assert_eq!(s, 201, "{again}");
    assert_eq!(
        (again["created"].clone(), again["updated"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(again["uuids"][0], uuid(0), "Asha is the same contact");
    assert_eq!(again["uuids"][1], uuid(1), "Baraka is the same contact");
    let actions: Vec<&str> = again["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "updated", "created"]);

    let asha = api.ok(&format!("/contacts/{}", uuid(0))).await;
    assert_eq!(asha["name"], "Asha M.");
    assert_eq!(asha["external_id"], "HR-1");
    // Her old phone stays first, the new one is added; fields the roster
    // left out are kept; smart groups follow the new cadre.
    assert_eq!(asha["urns"], json!(["tel:+255712000001", "tel:+255712000004"]));
    assert_eq!(asha["fields"], json!({"cadre": "nurse", "age": "30"}));
    assert_eq!(asha["groups"], json!(["Nurses", "Roster 2026"]));
    let baraka = api.ok(&format!("/contacts/{}", uuid(1))).await;
    assert_eq!(
        (&baraka["name"], &baraka["language"], &baraka["external_id"]),
        (&json!("Baraka"), &json!("swa"), &json!("HR-2"))
    );
    assert_eq!(baraka["urns"], json!(["tel:+255712000002"]));
    assert_eq!(count(&api.ok("/contacts").await), 4);
    assert_eq!(api.ok("/groups/Roster%202026").await["count"], 2);
    assert_eq!(api.ok("/groups/Nurses").await["count"], 1);

    // The same roster a third time changes nothing and creates no one.
    let (s, third) = import(
        &api,
        json!([{"name": "Asha M.", "external_id": "HR-1", "urns": ["+255712000004"]}]),
    )
    .await;
    assert_eq!(
        (s, third["updated"].clone(), third["created"].clone()),
        (201, json!(1), json!(0))
    );
    assert_eq!(count(&api.ok("/contacts").await), 4);

    // The external id is the contact's own: shown, changed, unique.
    let (s, v) = api
        .patch(&format!("/contacts/{}", uuid(2)), json!({"external_id": "HR-1"}))
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = api
        .post(
            "/contacts",
            json!({"external_id": "HR-3", "urns": ["+255712000009"]}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = api
        .patch(&format!("/contacts/{}", uuid(2)), json!({"external_id": ""}))
        .await;
    assert_eq!((s, v["external_id"].clone()), (200, Value::Null), "{v}");
}

on_both!(a_bad_roster_is_refused_whole_with_every_bad_row);
async fn a_bad_roster_is_refused_whole_with_every_bad_row(kind: Db) {
    let env = Env::start(kind, "", "");
    let api = env.server.api(OPERATOR);
    setup(&api).await;
    let (s, v) = import(
        &api,
        json!([
            {"name": "Xena", "external_id": "HR-1", "urns": ["+255712000001"]},
            {"name": "Yusuf", "urns": ["+255712000002"]},
            {"name": "Zawadi", "external_id": "HR-3", "urns": ["+255712000003"]},
        ]),
    )
    .await;
    assert_eq!(s, 201, "{v}");

    let (s, v) = import(
        &api,
        json!([
            // 0: Xena by her staff number (good on its own)
            {"name": "Xena K.", "external_id": "HR-1"},
            // 1: a new worker (good on its own)
            {"name": "New", "urns": ["+255712000010"]},
            // 2: Yusuf's phone with Zawadi's staff number
            {"urns": ["+255712000002"], "external_id": "HR-3"},
            // 3: a number field that is not a number
            {"urns": ["+255712000011"], "fields": {"age": "thirty"}},
            // 4: a new worker without a phone
            {"name": "No phone"},
            // 5: row 1's phone again
            {"urns": ["+255712000010"]},
            // 6: Xena again, by her phone
            {"urns": ["+255712000001"]},
            // 7: Zawadi's phone with another staff number
            {"external_id": "HR-9", "urns": ["+255712000003"]},
            // 8: a smart group cannot be joined by hand
            {"urns": ["+255712000012"], "groups": ["Nurses"]},
            // 9: not a phone number
            {"urns": ["not a phone"]},
        ]),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors listed: {v}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "contacts[2].urns",
            "contacts[3].fields.age",
            "contacts[4].urns",
            "contacts[5].urns[0]",
            "contacts[6].urns",
            "contacts[7].external_id",
            "contacts[8].groups[0]",
            "contacts[9].urns[0]",
        ],
        "{v:#}"
    );
    let error = |field: &str| {
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .and_then(|e| e["error"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        error("contacts[2].urns").contains("2 different contacts"),
        "{v:#}"
    );
    assert!(error("contacts[4].urns").contains("at least one URN"), "{v:#}");
    assert!(
        error("contacts[5].urns[0]").contains("also in contacts[1]"),
        "{v:#}"
    );
    assert!(error("contacts[6].urns").contains("as contacts[0] does"), "{v:#}");
    assert!(error("contacts[7].external_id").contains("\"HR-3\""), "{v:#}");
    assert!(v["error"].as_str().unwrap().starts_with("8 problem(s)"), "{v}");
    // The first problem is also the answer's `field`, as for one problem.
    assert_eq!(v["field"], "contacts[2].urns");
    // Nothing was written, not even the good rows.
    let all = api.ok("/contacts").await;
    assert_eq!(count(&all), 3, "{all}");
    assert_eq!(all["results"][0]["name"], "Xena");
}

on_both!(a_local_number_without_a_default_country_says_what_to_set);
async fn a_local_number_without_a_default_country_says_what_to_set(kind: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(kind, dir.path());
    let toml = config(&db.url, "node-a", "").replace("default_country = \"TZ\"\n", "");
    assert!(!toml.contains("default_country"));
    let server = Server::start(dir.path(), "mhero", &toml);
    let env = Env { server, db, dir };
    let api = env.server.api(OPERATOR);
    let said_what_to_set = |v: &Value| {
        let e = v["error"].as_str().unwrap_or_default();
        e.contains("0712345678 is a local number") && e.contains("[contacts] default_country")
    };
    let (s, v) = api.post("/contacts", json!({"urns": ["0712345678"]})).await;
    assert_eq!((s, v["field"].clone()), (422, json!("urns[0]")), "{v}");
    assert!(said_what_to_set(&v), "{v}");
    let (s, v) = import(
        &api,
        json!([{"urns": ["+255712345001"]}, {"urns": ["0712345678"]}]),
    )
    .await;
    assert_eq!(
        (s, v["field"].clone()),
        (422, json!("contacts[1].urns[0]")),
        "{v}"
    );
    assert!(said_what_to_set(&v["errors"][0]), "{v}");
    let (s, v) = api
        .post("/messages", json!({"urn": "0712345678", "text": "hi"}))
        .await;
    assert_eq!((s, v["field"].clone()), (422, json!("urn")), "{v}");
    assert!(said_what_to_set(&v), "{v}");
    let (s, v) = api
        .post("/broadcasts", json!({"text": "hi", "urns": ["0712345678"]}))
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said_what_to_set(&v), "{v}");
    // International numbers need no default country.
    let (s, v) = api.post("/contacts", json!({"urns": ["+255712345678"]})).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(count(&api.ok("/contacts").await), 1);
}
