//! The console's directory of health workers, end to end in a real browser
//! against `mhero serve` on SQLite and on PostgreSQL: 520 workers seeded
//! through the API import and paged by cursor; a CSV roster imported with
//! a preview and a column mapping, refused whole for one bad line (that
//! line listed, nothing imported, as the API confirms) and imported once
//! fixed; a filter by district and cadre whose "make a smart group of these
//! N" gives a group of exactly N members by the API; a static group with
//! members added by phone and one removed; a worker's page showing a
//! message that failed and why, and a flow run; the CSV preview and import
//! through the API, all or nothing too; bad values refused beside their field
//! with nothing written; and a viewer kept out of the import. Every page
//! checked by axe-core and screenshotted, and the list and a worker's page
//! within the page-weight budget.

mod common;
mod console_support;

use common::*;
use console_support::*;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "kilosa district office 2026";
const VIEWER_FIRST: &str = "viewer first password 1";
const VIEWER_PASSWORD: &str = "morogoro region reader 2026";

/// Numbers starting so fail at the simulator link, for good.
const FAILING: &str = "+2557990";

const LINKS: &str = r#"
[[links]]
name = "simulator"
kind = "simulator"
[links.simulator]
fail_prefix = "+2557990"
"#;

const DISTRICTS: &[&str] = &["Kilosa", "Mvomero", "Gairo"];
const CADRES: &[&str] = &["midwife", "nurse", "clinical officer", "community health worker"];

/// Workers seeded through the API: more than a page, ten times over.
const SEEDED: usize = 520;

fn seeded_fields(k: usize) -> Value {
    json!({
        "cadre": CADRES[k % CADRES.len()],
        "district": DISTRICTS[k % DISTRICTS.len()],
        "facility": format!("Dispensary {}", k % 17),
        "region": "Morogoro",
    })
}

async fn count(api: &Api, query: &str) -> i64 {
    let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    api.ok(&format!("/contacts/count?query={q}")).await["count"]
        .as_i64()
        .expect("a count")
}

async fn group(api: &Api, name: &str) -> Option<Value> {
    let v = api.ok("/groups?limit=1000").await;
    v["results"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == name)
        .cloned()
}

on_both!(the_directory_lists_filters_groups_and_imports);
async fn the_directory_lists_filters_groups_and_imports(kind: Db) {
    let gw = Gateway::start(kind, LINKS);
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);
    for (key, name) in [
        ("cadre", "Cadre"),
        ("facility", "Facility"),
        ("district", "District"),
        ("region", "Region"),
    ] {
        let (s, v) = api
            .post("/fields", json!({"key": key, "name": name, "type": "text"}))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = api
        .post("/contacts/import", contacts_json(SEEDED, 0, seeded_fields))
        .await;
    assert_eq!((s, v["created"].as_u64()), (201, Some(SEEDED as u64)), "{v}");

    let mut b = Browser::start(&format!("console_directory_{kind:?}"), &base, "en-GB,en").await;
    b.login("admin", &gw.password).await;
    assert_eq!(b.path().await, "/password");
    b.fill("#f-current_password", &gw.password).await;
    b.fill("#f-password", ADMIN_PASSWORD).await;
    b.fill("#f-confirm", ADMIN_PASSWORD).await;
    b.click("form[action='/password'] button[type=submit]").await;

    // The list, a page at a time by cursor.
    b.visit("/contacts").await;
    assert!(b.text("#match-count").await.contains("520 health workers match"));
    assert!(b.has("nav a[href='/contacts'][aria-current=page]").await);
    b.check("contacts").await;
    let first_page = b.text("#contacts tbody").await;
    assert!(first_page.contains("Worker 0") && first_page.contains("Worker 49"));
    assert!(!first_page.contains("Worker 50"));
    b.click("a[rel=next]").await;
    assert!(b.path().await.contains("after="), "{}", b.path().await);
    let second = b.text("#contacts tbody").await;
    assert!(second.contains("Worker 50") && second.contains("Worker 99") && !second.contains("Worker 49"));
    b.check("contacts-page-2").await;
    b.click("a[rel=prev]").await;
    assert!(b.path().await.contains("before="));
    assert_eq!(b.text("#contacts tbody").await, first_page);

    // A CSV roster with one bad line: refused whole, the line listed.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("roster-bad.csv");
    std::fs::write(
        &bad,
        "Name,Phone,Cadre,District\nNeema Mrisho,0713000001,midwife,Kilosa\n\
         Baraka Said,not a phone,nurse,Kilosa\nJuma Ally,0713000003,nurse,Gairo\n",
    )
    .expect("csv");
    b.visit("/contacts/import").await;
    b.check("import").await;
    b.upload("#f-file", &bad).await;
    b.click("form[action='/contacts/import/preview'] button[type=submit]")
        .await;
    assert!(b.text("#preview").await.contains("Neema Mrisho"));
    for (select, holds) in [
        ("#f-map_0", "name"),
        ("#f-map_1", "phone"),
        ("#f-map_2", "fields.cadre"),
        ("#f-map_3", "fields.district"),
    ] {
        let v = b
            .execute(&format!("return document.querySelector('{select}').value"))
            .await;
        assert_eq!(v, holds, "{select}");
    }
    b.check("import-preview").await;
    b.click("form[action='/contacts/import'] button[type=submit]")
        .await;
    let problems = b
        .execute(
            "return [...document.querySelectorAll('#problems tbody td')].map(td => td.textContent.trim())",
        )
        .await;
    assert_eq!(problems[0], "3", "line 3: {problems}");
    assert_eq!(problems[1], "Phone", "the phone column: {problems}");
    assert_eq!(
        problems.as_array().map(Vec::len),
        Some(3),
        "one bad line: {problems}"
    );
    assert!(b.page_text().await.contains("Nothing was imported"));
    b.check("import-refused").await;
    assert_eq!(count(&api, "name ~ \"Neema\" OR name ~ \"Juma\"").await, 0);
    assert_eq!(api.ok("/contacts/count").await["count"], SEEDED as i64);

    // Fixed, the same file imports.
    let good = dir.path().join("roster.csv");
    std::fs::write(
        &good,
        "Name,Phone,Cadre,District\nNeema Mrisho,0713000001,midwife,Kilosa\n\
         Baraka Said,0713000002,nurse,Kilosa\nJuma Ally,0713000003,nurse,Gairo\n",
    )
    .expect("csv");
    b.visit("/contacts/import").await;
    b.upload("#f-file", &good).await;
    b.click("form[action='/contacts/import/preview'] button[type=submit]")
        .await;
    b.click("form[action='/contacts/import'] button[type=submit]")
        .await;
    assert_eq!(b.path().await, "/contacts");
    assert!(b.text(".flash").await.contains("were imported"));
    assert_eq!(api.ok("/contacts/count").await["count"], (SEEDED + 3) as i64);
    assert_eq!(count(&api, "name ~ \"Neema\" AND district = Kilosa").await, 1);

    // Filter by district and cadre; a smart group of exactly those.
    let expected = (0..SEEDED)
        .filter(|k| DISTRICTS[k % DISTRICTS.len()] == "Kilosa" && CADRES[k % CADRES.len()] == "midwife")
        .count() as i64
        + 1; // Neema
    b.fill("#f-field-district", "Kilosa").await;
    b.fill("#f-field-cadre", "midwife").await;
    b.click("form[role=search] button[type=submit]").await;
    assert!(
        b.text("#match-count")
            .await
            .contains(&format!("{expected} health workers match")),
        "{}",
        b.text("#match-count").await
    );
    b.check("contacts-filtered").await;
    b.fill("#f-name", "Kilosa midwives").await;
    b.click("form[action='/contacts/smart-group'] button[type=submit]")
        .await;
    assert!(b.path().await.starts_with("/groups/"));
    assert!(b.text(".flash").await.contains("The group was created"));
    b.check("smart-group").await;
    let g = group(&api, "Kilosa midwives").await.expect("the smart group");
    assert_eq!(g["count"], expected, "{g}");
    assert_eq!(count(&api, g["query"].as_str().unwrap()).await, expected);

    // A bad value: the form again with the error beside the field, nothing
    // written.
    b.visit("/groups").await;
    b.check("groups").await;
    b.fill("#f-name", "   ").await;
    b.click("form[action='/groups'] button[type=submit]").await;
    assert_eq!(b.attr("#f-name", "aria-invalid").await.as_deref(), Some("true"));
    assert!(b.text("#e-name").await.contains("1 to 64 characters"));
    b.check("group-refused").await;
    assert_eq!(api.ok("/groups").await["results"].as_array().unwrap().len(), 1);

    // A static group, members added by phone, one removed.
    b.fill("#f-name", "Trained 2026").await;
    b.click("form[action='/groups'] button[type=submit]").await;
    let static_path = b.path().await;
    for phone in ["0713000001", "+255700000005"] {
        b.fill("#f-phone", phone).await;
        b.click(&format!(
            "form[action='{static_path}/members'] button[type=submit]"
        ))
        .await;
        assert!(b.text(".flash").await.contains("members were changed"));
    }
    assert_eq!(group(&api, "Trained 2026").await.unwrap()["count"], 2);
    b.fill("#f-phone", "0799111222").await;
    b.click(&format!(
        "form[action='{static_path}/members'] button[type=submit]"
    ))
    .await;
    assert!(b
        .text("#e-phone")
        .await
        .contains("No health worker has this phone number"));
    b.check("group-bad-phone").await;
    assert!(b.text("#members").await.contains("Neema Mrisho"));
    b.check("static-group").await;
    b.click(&format!(
        "form[action='{static_path}/members/remove'] button[type=submit]"
    ))
    .await;
    assert_eq!(group(&api, "Trained 2026").await.unwrap()["count"], 1);

    // A message that failed, and why, on the worker's page.
    let (s, c) = api
        .post(
            "/contacts",
            json!({"name": "Rehema Kweka", "urns": [format!("tel:{FAILING}00001")], "fields": {"district": "Kilosa"}}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let uuid = c["uuid"].as_str().unwrap().to_string();
    let (s, m) = api
        .post(
            "/messages",
            json!({"contact": uuid, "text": "Training on Monday"}),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    api.wait_for(&format!("/messages?contact={uuid}"), 30, |v| {
        v["results"][0]["status"] == "failed"
    })
    .await;
    b.visit(&format!("/contacts/{uuid}")).await;
    let msgs = b.text("#messages").await;
    assert!(
        msgs.contains("Training on Monday") && msgs.contains("Failed"),
        "{msgs}"
    );
    assert!(msgs.contains("simulated permanent failure"), "{msgs}");
    assert!(b.page_text().await.contains("Kilosa"));
    b.check("contact").await;

    // A flow run, with its flow's name and status, on the worker's page.
    let export: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/rapidpro_export_14.json"
        ))
        .expect("the fixture"),
    )
    .expect("JSON");
    let (s, v) = api.post("/flows", export).await;
    assert_eq!(s, 201, "{v}");
    let neema = api.ok("/contacts?query=name%20~%20Neema").await["results"][0]["uuid"]
        .as_str()
        .expect("Neema")
        .to_string();
    let (s, v) = api
        .post(
            "/flow_starts",
            json!({"flow": "Stock-out Report", "contacts": [neema]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let runs = api
        .wait_for(&format!("/contacts/{neema}/runs"), 30, |v| {
            v["results"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    b.visit(&format!("/contacts/{neema}")).await;
    let shown = b.text("#runs").await;
    assert!(shown.contains("Stock-out Report"), "{shown} {runs}");
    assert!(b.text("#messages").await.contains("Sent to them"));
    b.check("contact-runs").await;
    b.page_weight("/contacts").await;
    b.page_weight(&format!("/contacts/{uuid}")).await;

    // The same kind of file through the API: the preview guesses the
    // columns, one bad line refuses the whole file, listed.
    let csv = "Name,Phone,Cadre\nAsha Mwita,0713000010,nurse\nBad Line,nope,nurse\n";
    let (s, v) = api.post_raw("/contacts/import/preview", csv).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["columns"], json!(["name", "phone", "fields.cadre"]), "{v}");
    assert_eq!(v["total"], 2, "{v}");
    let columns = "/contacts/import/csv?columns=name,phone,fields.cadre";
    let (s, v) = api.post_raw(columns, csv).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "contacts[1].urns[0]", "{v}");
    assert_eq!(count(&api, "name ~ Asha").await, 0);
    let (s, v) = api.post_raw(columns, &csv.replace("nope", "0713000011")).await;
    assert_eq!((s, v["created"].as_u64()), (201, Some(2)), "{v}");

    // A viewer reads the directory but neither sees nor posts the import.
    let mut http = Http::new_viewer(&api, &base, "reader", VIEWER_FIRST, VIEWER_PASSWORD).await;
    let list = http.get("/contacts").await;
    assert_eq!(list.status, 200);
    assert!(
        !list.body.contains("/contacts/import"),
        "a viewer sees no import link"
    );
    assert!(!list.body.contains("/contacts/smart-group"));
    assert_eq!(http.get("/contacts/import").await.status, 403);
    let csrf = http.csrf().await;
    let refused = http
        .post(
            "/contacts/import",
            &[
                ("_csrf", &csrf),
                ("csv", "Name,Phone\nX,0713000009\n"),
                ("map_0", "name"),
                ("map_1", "phone"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(api.ok("/contacts/count").await["count"], (SEEDED + 6) as i64);

    // The audit log names each change the officer made in the console,
    // and the viewer's refused import.
    for action in [
        "contacts.import",
        "group.create",
        "group.members.add",
        "group.members.remove",
    ] {
        let v = api.ok(&format!("/audit?action={action}&actor=admin")).await;
        let rows = v["results"].as_array().unwrap();
        assert!(!rows.is_empty(), "{action} not in the audit log: {v}");
        assert!(rows.iter().all(|r| r["result"] == "ok"), "{v}");
    }
    let v = api.ok("/audit?actor=reader").await;
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["result"] == "refused" && r["status"] == 403),
        "the viewer's refused import: {v}"
    );
}
