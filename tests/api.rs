//! The REST API over real HTTP against `mhero serve`, on SQLite and on a
//! private PostgreSQL server.

mod common;

use common::flows;
use common::*;
use serde_json::{json, Value};

fn start(kind: Db, extra: &str) -> Env {
    Env::start(kind, "", extra)
}

fn start_with(kind: Db, outbox: &str, extra: &str) -> Env {
    Env::start(kind, outbox, extra)
}

async fn fields(api: &Api) {
    for (k, t) in [
        ("cadre", "text"),
        ("district", "location"),
        ("age", "number"),
        ("training_date", "datetime"),
    ] {
        let (s, v) = api.post("/fields", json!({"key": k, "type": t})).await;
        assert_eq!(s, 201, "{v}");
    }
}

/// The numbers under `keys` (-1 for one missing).
fn counts(v: &Value, keys: &[&str]) -> Vec<i64> {
    keys.iter().map(|k| v[*k].as_i64().unwrap_or(-1)).collect()
}

fn uuids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| c["uuid"].as_str().unwrap_or_default().to_string())
        .collect()
}

on_both!(contacts_and_smart_groups);
async fn contacts_and_smart_groups(kind: Db) {
    let env = start(kind, "");
    let api = env.server.api(OPERATOR);
    fields(&api).await;
    let cadres = ["midwife", "nurse", "clinical officer"];
    let districts = ["Tanzania > Morogoro > Kilosa", "Tanzania > Morogoro > Mvomero"];
    let (s, v) = api
        .post(
            "/contacts/import",
            contacts_json(60, 0, |k| {
                json!({"cadre": cadres[k % 3], "district": districts[k % 2], "age": 20 + k, "training_date": "2026-03-01"})
            }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["created"], 60);

    // A smart group matches exactly the contacts its query describes.
    let (s, g) = api
        .post(
            "/groups",
            json!({"name": "Kilosa midwives", "query": "cadre = \"midwife\" AND district = \"Kilosa\""}),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let expected = (0..60).filter(|k| k % 3 == 0 && k % 2 == 0).count() as i64;
    assert_eq!(g["count"], expected);
    let by_query = api
        .ok("/contacts?query=cadre%20%3D%20midwife%20AND%20district%20%3D%20Kilosa&limit=1000")
        .await;
    let in_group = api
        .ok(&format!(
            "/contacts?group={}&limit=1000",
            g["uuid"].as_str().unwrap()
        ))
        .await;
    let mut a = uuids(&by_query);
    let mut b = uuids(&in_group);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(a.len() as i64, expected);

    // Membership follows field changes.
    let nurse = api
        .ok("/contacts?query=cadre%20%3D%20nurse%20AND%20district%20%3D%20Kilosa&limit=1")
        .await;
    let nurse_uuid = uuids(&nurse)[0].clone();
    let (s, c) = api
        .patch(
            &format!("/contacts/{nurse_uuid}"),
            json!({"fields": {"cadre": "Midwife"}}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert!(
        c["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "Kilosa midwives"),
        "{c}"
    );
    let g2 = api.ok("/groups/Kilosa%20midwives").await;
    assert_eq!(g2["count"], expected + 1);

    // Numeric and date comparisons use the field types.
    let older = api.ok("/contacts?query=age%20%3E%3D%2070&limit=1000").await;
    assert_eq!(uuids(&older).len(), 10);

    // Static groups: add and remove by hand; smart groups refuse it.
    let (s, st) = api.post("/groups", json!({"name": "Trained 2026"})).await;
    assert_eq!(s, 201, "{st}");
    let (s, st) = api
        .post(
            "/groups/Trained%202026/members",
            json!({"contacts": [nurse_uuid]}),
        )
        .await;
    assert_eq!((s, st["count"].clone()), (200, json!(1)));
    let (s, _) = api
        .post(
            "/groups/Kilosa%20midwives/members",
            json!({"contacts": [nurse_uuid]}),
        )
        .await;
    assert_eq!(s, 422);

    // Single contact CRUD with E.164 normalisation.
    let (s, c) = api
        .post(
            "/contacts",
            json!({"name": "Amina", "urns": ["0712 000 999"], "language": "swa", "fields": {"age": "41"}}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["urns"][0], "tel:+255712000999");
    assert_eq!(c["fields"]["age"], "41");
    let (s, v) = api.post("/contacts", json!({"urns": ["+255712000999"]})).await;
    assert_eq!(s, 409, "duplicate URN: {v}");
    let (s, _) = api
        .delete(&format!("/contacts/{}", c["uuid"].as_str().unwrap()))
        .await;
    assert_eq!(s, 204);
    let (s, _) = api
        .get(&format!("/contacts/{}", c["uuid"].as_str().unwrap()))
        .await;
    assert_eq!(s, 404);
}

on_both!(bad_input_is_refused_whole);
async fn bad_input_is_refused_whole(kind: Db) {
    let env = start(kind, "");
    let api = env.server.api(OPERATOR);
    fields(&api).await;
    // Malformed JSON.
    let (s, v) = api.post_raw("/contacts", "{\"name\": ").await;
    assert_eq!(s, 400, "{v}");
    // A wrong type names its field.
    let (s, v) = api
        .post("/contacts", json!({"name": "x", "urns": "tel:+255712345678"}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["field"], "urns", "{v}");
    // An unknown key is refused, not ignored.
    let (s, v) = api.post("/contacts", json!({"nmae": "x"})).await;
    assert_eq!(s, 400, "{v}");
    // A bad value deep in an import names the row and nothing is written.
    let mut body = contacts_json(5, 100, |_| json!({"age": "30"}));
    body["contacts"][3]["fields"]["age"] = json!("thirty");
    let (s, v) = api.post("/contacts/import", body).await;
    assert_eq!(s, 422);
    assert_eq!(v["field"], "contacts[3].fields.age", "{v}");
    assert_eq!(api.ok("/contacts").await["results"].as_array().unwrap().len(), 0);
    // Bad queries, schedules and phone numbers.
    let (s, v) = api
        .post("/groups", json!({"name": "g", "query": "cadre = "}))
        .await;
    assert_eq!((s, v["field"].clone()), (422, json!("query")), "{v}");
    let (s, v) = api
        .post("/groups", json!({"name": "g", "query": "rank = 3"}))
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = api
        .post(
            "/broadcasts",
            json!({"text": "hi", "urns": ["+255712345678"], "schedule": {"repeat": "hourly"}}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = api
        .post("/broadcasts", json!({"text": "hi", "urns": ["not a number"]}))
        .await;
    assert_eq!((s, v["field"].clone()), (422, json!("recipients.urns[0]")), "{v}");
    let (s, _) = api.post("/broadcasts", json!({"text": "hi"})).await;
    assert_eq!(s, 422);
    // Link tuning is an admin's (issue #14); a sender is refused first.
    assert_eq!(api.patch("/links/simulator", json!({"rate": 5})).await.0, 403);
    let (s, _) = env
        .server
        .api(ADMIN)
        .patch("/links/simulator", json!({"rate": -5}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        api.ok("/broadcasts").await["results"].as_array().unwrap().len(),
        0
    );
}

on_both!(validation_holes_are_closed);
async fn validation_holes_are_closed(kind: Db) {
    let env = start(kind, "");
    let op = env.server.api(OPERATOR);
    let admin = env.server.api(ADMIN);

    // A contact without a URN could never be reached or found.
    for body in [json!({}), json!({"name": "Nobody", "urns": []})] {
        let (s, v) = op.post("/contacts", body).await;
        assert_eq!((s, v["field"].clone()), (422, json!("urns")), "{v}");
        assert!(v["error"].as_str().unwrap().contains("at least one URN"), "{v}");
    }
    assert_eq!(op.ok("/contacts").await["results"], json!([]));

    // A group cannot be renamed to what it could not be created as.
    let (s, g) = op.post("/groups", json!({"name": "Nurses"})).await;
    assert_eq!(s, 201, "{g}");
    for empty in ["", "   "] {
        let (s, v) = op.post("/groups", json!({"name": empty})).await;
        assert_eq!(
            (s, v["field"].clone()),
            (422, json!("name")),
            "create {empty:?}: {v}"
        );
        let (s, v) = op.patch("/groups/Nurses", json!({"name": empty})).await;
        assert_eq!(
            (s, v["field"].clone()),
            (422, json!("name")),
            "rename {empty:?}: {v}"
        );
    }
    assert_eq!(op.ok("/groups/Nurses").await["name"], "Nurses");

    // Triggers name flows and groups that exist.
    let (s, v) = admin
        .post("/triggers", json!({"keywords": ["quiz"], "flow": "no-such-flow"}))
        .await;
    assert_eq!((s, v["field"].clone()), (422, json!("flow")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("no-such-flow"), "{v}");
    let (s, v) = admin
        .post(
            "/triggers",
            json!({"keywords": ["report"], "reply": "ok", "groups": ["Ghosts"]}),
        )
        .await;
    assert_eq!((s, v["field"].clone()), (422, json!("groups[0]")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("Ghosts"), "{v}");
    let (s, v) = admin
        .post(
            "/triggers",
            json!({"keywords": ["report"], "reply": "ok", "exclude_groups": ["Nurses", "Ghosts"]}),
        )
        .await;
    assert_eq!((s, v["field"].clone()), (422, json!("exclude_groups[1]")), "{v}");
    // A group named by UUID is stored by the name the matcher compares.
    let (s, t) = admin
        .post(
            "/triggers",
            json!({"keywords": ["report"], "reply": "ok", "groups": [g["uuid"]]}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["groups"], json!(["Nurses"]));
    assert_eq!(
        admin.ok("/triggers").await["results"].as_array().unwrap().len(),
        1
    );

    // An import with nothing to import says so.
    for body in [
        json!([]),
        json!({}),
        json!({"version": "13", "triggers": []}),
        json!({"triggers": [{"trigger_type": "M", "flow": {"uuid": "x", "name": "Missed call"}}]}),
    ] {
        let (s, v) = admin.post("/triggers/import", body.clone()).await;
        assert_eq!(s, 422, "{body}: {v}");
        assert!(
            v["error"].as_str().unwrap().starts_with("nothing to import"),
            "{v}"
        );
    }
    // Bytes that are not UTF-8, even inside a string the import ignores.
    let mut bad = b"{\"version\": \"".to_vec();
    bad.extend([0xff, 0xfe]);
    bad.extend(b"\", \"triggers\": []}");
    let (s, v) = admin.post_bytes("/triggers/import", bad.clone()).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not UTF-8"), "{v}");
    let (s, v) = op.post_bytes("/contacts", bad).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        admin.ok("/triggers").await["results"].as_array().unwrap().len(),
        1
    );
}

on_both!(roles_and_tokens);
async fn roles_and_tokens(kind: Db) {
    let env = start(kind, "");
    let viewer = env.server.api(VIEWER);
    let (s, _) = viewer.get("/contacts").await;
    assert_eq!(s, 200);
    let (s, _) = viewer.post("/contacts", json!({"name": "x"})).await;
    assert_eq!(s, 403);
    let (s, _) = viewer.with_token("nope-nope-nope-nope").get("/contacts").await;
    assert_eq!(s, 401);
    let op = env.server.api(OPERATOR);
    let (s, _) = op
        .post("/triggers", json!({"keywords": ["report"], "reply": "ok"}))
        .await;
    assert_eq!(s, 403);
    let (s, v) = env
        .server
        .api(ADMIN)
        .post("/triggers", json!({"keywords": ["report"], "reply": "ok"}))
        .await;
    assert_eq!(s, 201, "{v}");
}

on_both!(broadcast_lifecycle_and_failures);
async fn broadcast_lifecycle_and_failures(kind: Db) {
    let env = start_with(
        kind,
        "retry_backoff_secs = [1]\nmax_attempts = 2",
        r#"
[[links]]
name = "simulator"
kind = "simulator"
[links.simulator]
fail_prefix = "+2557900"
retry_prefix = "+2557800"
"#,
    );
    let api = env.server.api(OPERATOR);
    fields(&api).await;
    let (s, _) = api
        .post(
            "/contacts/import",
            contacts_json(
                40,
                0,
                |k| json!({"cadre": if k % 2 == 0 { "midwife" } else { "nurse" }}),
            ),
        )
        .await;
    assert_eq!(s, 201);
    let (s, g) = api
        .post("/groups", json!({"name": "Midwives", "query": "cadre = midwife"}))
        .await;
    assert_eq!(s, 201, "{g}");
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": {"eng": "Training on Monday", "swa": "Mafunzo Jumatatu"}, "groups": ["Midwives"],
                   "urns": ["+255790000001", "+255780000001"], "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["uuid"].as_str().unwrap().to_string();
    let done = api
        .wait_for(&format!("/broadcasts/{id}"), 60, |v| {
            let p = &v["progress"];
            v["status"] == "completed"
                && p["delivered"].as_i64() == Some(20)
                && p["failed"].as_i64() == Some(2)
        })
        .await;
    assert_eq!(done["recipient_count"], 22);
    assert_eq!(done["progress"]["total"], 22);
    assert_eq!(done["progress"]["cancelled"], 0, "{done}");

    // Every message's lifecycle is recorded.
    let msgs = api
        .ok(&format!("/messages?broadcast={id}&status=delivered&limit=1000"))
        .await;
    let list = msgs["results"].as_array().unwrap();
    assert_eq!(list.len(), 20);
    for m in list {
        assert_eq!(m["link"], "simulator");
        assert!(m["external_id"].as_str().unwrap().starts_with("sim-"));
        assert_eq!(m["segments"], 1);
        for t in ["wired_on", "sent_on", "delivered_on"] {
            assert!(m[t].is_string(), "{t} missing in {m}");
        }
    }
    let failed = api.ok(&format!("/messages?broadcast={id}&status=failed")).await;
    let reasons: Vec<&str> = failed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["failure_reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"simulated permanent failure"), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.starts_with("gave up after 2 attempts")),
        "{reasons:?}"
    );
    let retried = failed["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["urn"] == "tel:+255780000001")
        .unwrap();
    assert_eq!(retried["attempts"], 2);

    // Each phone received exactly what was sent to it.
    let phone = api.ok("/simulator/phones/+255700000000/received").await;
    assert_eq!(phone["results"][0]["text"], "Training on Monday");
    let stats = api.ok("/simulator/stats").await;
    assert_eq!(stats["received"], 20);
    assert_eq!(stats["distinct_messages"], 20);
}

on_both!(keywords_opt_out_and_replies);
async fn keywords_opt_out_and_replies(kind: Db) {
    let env = start(
        kind,
        r#"
[[triggers]]
keywords = ["report"]
reply = "Send: REPORT <disease> <cases>"
[[triggers]]
keywords = ["quiz"]
match = "only"
reply = "Quiz starts Monday"
[optout.stop_words]
default = ["STOP"]
swa = ["ACHA"]
"#,
    );
    let api = env.server.api(OPERATOR);
    let phone = "+255711000001";
    let inbox = |after: usize| {
        let api = api.clone();
        async move {
            api.wait_for(&format!("/simulator/phones/{phone}/received"), 20, |v| {
                v["results"].as_array().map(|a| a.len()).unwrap_or(0) > after
            })
            .await["results"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let say = |text: &str| {
        let api = api.clone();
        let text = text.to_string();
        async move {
            let (s, v) = api
                .post("/simulator/inbound", json!({"from": phone, "text": text}))
                .await;
            assert_eq!(s, 201, "{v}");
            v
        }
    };
    let m = say("Report! 3 malaria").await;
    assert_eq!(m["direction"], "in");
    assert_eq!(m["status"], "handled");
    assert_eq!(inbox(0).await[0]["text"], "Send: REPORT <disease> <cases>");
    say("quiz please").await; // "only" trigger does not match two words
    say("QUIZ.").await;
    let got = inbox(1).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["text"], "Quiz starts Monday");

    // STOP: stopped, confirmed once.
    say("stop").await;
    let got = inbox(2).await;
    assert!(got[2]["text"].as_str().unwrap().contains("no more messages"));
    say("STOP").await;
    let contact = api
        .ok(&format!("/messages?urn=tel:%2B{}&direction=in", &phone[1..]))
        .await["results"][0]["contact"]
        .as_str()
        .unwrap()
        .to_string();
    let c = api.ok(&format!("/contacts/{contact}")).await;
    assert_eq!(c["status"], "stopped");
    // A stopped contact receives nothing: not keyword replies, not sends.
    say("report").await;
    let (s, _) = api
        .post("/messages", json!({"contact": contact, "text": "hello"}))
        .await;
    assert_eq!(s, 409);
    // A broadcast to nobody but them is refused, saying why.
    let refused = api
        .post(
            "/broadcasts",
            json!({"text": "all", "contacts": [contact], "respect_hours": false}),
        )
        .await;
    assert_refused(
        &refused,
        "recipients",
        "nobody to send to: the 1 selected contact has opted out",
    );
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "all", "contacts": [contact], "respect_hours": false, "allow_empty": true}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["warnings"].as_array().map(Vec::len), Some(1), "{b}");
    let done = api
        .wait_for(&format!("/broadcasts/{}", b["uuid"].as_str().unwrap()), 20, |v| {
            v["status"] == "completed"
        })
        .await;
    assert_eq!(done["recipient_count"], 0);
    assert_eq!(
        done["note"], "nobody to send to: the 1 selected contact has opted out",
        "{done}"
    );
    // START re-subscribes and confirms.
    say("start").await;
    let got = inbox(3).await;
    assert_eq!(got.len(), 4, "stopped contact got something: {got:?}");
    assert!(got[3]["text"].as_str().unwrap().contains("subscribed again"));
    assert_eq!(api.ok(&format!("/contacts/{contact}")).await["status"], "active");

    // Opt-out words per language.
    let (s, c2) = api
        .post("/contacts", json!({"urns": ["+255711000002"], "language": "swa"}))
        .await;
    assert_eq!(s, 201);
    api.post(
        "/simulator/inbound",
        json!({"from": "+255711000002", "text": "Acha"}),
    )
    .await;
    assert_eq!(
        api.ok(&format!("/contacts/{}", c2["uuid"].as_str().unwrap()))
            .await["status"],
        "stopped"
    );

    // RapidPro export triggers import (flow triggers are stored for the
    // engine), once the flow they start is known.
    let admin = env.server.api(ADMIN);
    let flow = flows::uid("Case Report Test", "flow");
    let export = json!({"version": "13", "triggers": [
        {"trigger_type": "M", "flow": {"uuid": "x", "name": "Missed call"}},
        {"trigger_type": "K", "keywords": ["case"], "match_type": "F", "flow": {"uuid": flow, "name": "Case report"}, "groups": []},
    ]});
    let (s, v) = admin.post("/triggers/import", export.clone()).await;
    assert_eq!((s, v["field"].clone()), (422, json!("triggers[1].flow")), "{v}");
    assert!(v["error"].as_str().unwrap().contains(&flow), "{v}");
    let (s, v) = admin
        .post(
            "/flows",
            flows::export(&[flows::case_report(None)], &[], json!([]), json!([]), json!([])),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = admin.post("/triggers/import", export).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["imported"].as_array().unwrap().len(), 1);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
}

on_both!(opt_out_words_and_confirmations_in_four_languages);
/// The default opt-out words of the shipped languages, with no `[optout]`
/// in the config: each confirmation is in the contact's language, or, for a
/// contact with none, in the language of the word.
async fn opt_out_words_and_confirmations_in_four_languages(kind: Db) {
    let env = start(kind, "");
    let api = env.server.api(OPERATOR);
    let say = |from: &'static str, text: &'static str| {
        let api = api.clone();
        async move {
            let (s, v) = api
                .post("/simulator/inbound", json!({"from": from, "text": text}))
                .await;
            assert_eq!(s, 201, "{v}");
            v["contact"].as_str().unwrap().to_string()
        }
    };
    let received = |phone: &'static str, count: usize| {
        let api = api.clone();
        async move {
            let v = api
                .wait_for(&format!("/simulator/phones/{phone}/received"), 20, |v| {
                    v["results"].as_array().map(|a| a.len()).unwrap_or(0) >= count
                })
                .await;
            let texts: Vec<String> = v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["text"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(texts.len(), count, "{texts:?}");
            texts
        }
    };
    let status = |contact: String| {
        let api = api.clone();
        async move { api.ok(&format!("/contacts/{contact}")).await["status"].clone() }
    };
    let with_language = |phone: &'static str, language: &'static str| {
        let api = api.clone();
        async move {
            let (s, v) = api
                .post("/contacts", json!({"urns": [phone], "language": language}))
                .await;
            assert_eq!(s, 201, "{v}");
        }
    };

    // A new number with no language texts ACHA: stopped, answered in Swahili;
    // ANZA brings it back, in Swahili too.
    let swahili = say("+255711100001", "Acha").await;
    assert_eq!(status(swahili.clone()).await, "stopped");
    let got = received("+255711100001", 1).await;
    assert_eq!(got[0], "Hutapokea ujumbe zaidi. Jibu ANZA ili kujiunga tena.");
    say("+255711100001", "ANZA").await;
    assert_eq!(status(swahili).await, "active");
    assert_eq!(
        received("+255711100001", 2).await[1],
        "Umejiunga tena. Jibu ACHA ili kujiondoa."
    );

    // A French contact's ARRET (with or without its accent) gets French.
    with_language("+255711100002", "fra").await;
    let french = say("+255711100002", "arrêt").await;
    assert_eq!(status(french.clone()).await, "stopped");
    assert_eq!(
        received("+255711100002", 1).await[0],
        "Vous ne recevrez plus de messages. Répondez REPRENDRE pour vous réabonner."
    );
    say("+255711100002", "Reprendre").await;
    assert_eq!(status(french).await, "active");
    assert_eq!(
        received("+255711100002", 2).await[1],
        "Votre abonnement est rétabli. Répondez ARRET pour vous désabonner."
    );

    // Portuguese.
    with_language("+255711100003", "por").await;
    let portuguese = say("+255711100003", "SAIR").await;
    assert_eq!(status(portuguese).await, "stopped");
    assert_eq!(
        received("+255711100003", 1).await[0],
        "Não receberá mais mensagens. Responda INICIAR para voltar a recebê-las."
    );

    // A word of another language still stops the contact; the contact's own
    // language says how it is answered.
    with_language("+255711100004", "eng").await;
    let english = say("+255711100004", "acha!").await;
    assert_eq!(status(english).await, "stopped");
    assert_eq!(
        received("+255711100004", 1).await[0],
        "You will receive no more messages. Reply START to subscribe again."
    );
    // Not alone in the message, a stop word is just a word.
    let talker = say("+255711100005", "acha hiyo").await;
    assert_eq!(status(talker).await, "active");
}

on_both!(link_tuning_routing_and_failover);
async fn link_tuning_routing_and_failover(kind: Db) {
    let env = start(
        kind,
        r#"
[[links]]
name = "airtel"
kind = "simulator"
rate = 50
[[links]]
name = "vodacom"
kind = "simulator"
[[routes]]
prefix = "+25568"
links = ["airtel", "vodacom"]
[[routes]]
links = ["vodacom"]
"#,
    );
    let api = env.server.api(OPERATOR);
    let send = |urn: &str, text: &str| {
        let api = api.clone();
        let body = json!({"urn": urn, "text": text});
        async move {
            let (s, v) = api.post("/messages", body).await;
            assert_eq!(s, 201, "{v}");
            v["uuid"].as_str().unwrap().to_string()
        }
    };
    let link_of = |uuid: String| {
        let api = api.clone();
        async move {
            api.wait_for(&format!("/messages/{uuid}"), 20, |m| m["status"] == "delivered")
                .await["link"]
                .clone()
        }
    };
    assert_eq!(link_of(send("+255681000001", "a").await).await, "airtel");
    assert_eq!(link_of(send("+255761000001", "b").await).await, "vodacom");

    // Live tuning (an admin's): the rate changes at once and is kept
    // across restarts.
    let admin = env.server.api(ADMIN);
    let (s, l) = admin.patch("/links/airtel", json!({"rate": 12.5})).await;
    assert_eq!((s, l["rate"].clone()), (200, json!(12.5)), "{l}");
    // Switched off, airtel's route fails over to vodacom.
    let (s, l) = admin.patch("/links/airtel", json!({"enabled": false})).await;
    assert_eq!((s, l["enabled"].clone()), (200, json!(false)));
    assert_eq!(link_of(send("+255681000002", "c").await).await, "vodacom");
    let links = api.ok("/links").await;
    let vodacom = links["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "vodacom")
        .unwrap()
        .clone();
    assert_eq!(vodacom["routes"].as_array().unwrap().len(), 2, "{vodacom}");

    let mut server = env.server;
    server.restart();
    let api = server.api(VIEWER);
    assert_eq!(api.ok("/links/airtel").await["rate"], 12.5);
    let metrics = metrics_text(&server.base).await;
    assert!(
        metrics.contains("mhero_link_rate{link=\"airtel\"} 12.5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mhero_queue_depth{link=\"vodacom\"}"),
        "{metrics}"
    );
}

on_both!(scheduled_recurring_and_sending_hours);
async fn scheduled_recurring_and_sending_hours(kind: Db) {
    // Sending hours that exclude the current UTC hour in Dar es Salaam.
    let now_local = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%H")
        .to_string();
    let h: u32 = now_local.parse().unwrap();
    let window = format!("{:02}:00-{:02}:00", (h + 2) % 24, (h + 3) % 24);
    let env = start(kind, &format!("[sending]\nhours = \"{window}\"\n"));
    let api = env.server.api(OPERATOR);
    // Held for the recipient's sending hours.
    let (s, b) = api
        .post("/broadcasts", json!({"text": "later", "urns": ["+255712300001"]}))
        .await;
    assert_eq!(s, 201, "{b}");
    let held = api
        .wait_for(&format!("/broadcasts/{}", b["uuid"].as_str().unwrap()), 20, |v| {
            v["status"] == "queued"
        })
        .await;
    assert_eq!(held["progress"]["queued"], 1, "{held}");
    // The same broadcast with hours waived goes now.
    let (_, now) = api
        .post(
            "/broadcasts",
            json!({"text": "now", "urns": ["+255712300002"], "respect_hours": false}),
        )
        .await;
    api.wait_for(
        &format!("/broadcasts/{}", now["uuid"].as_str().unwrap()),
        20,
        |v| v["progress"]["delivered"] == 1,
    )
    .await;
    // A broadcast scheduled two seconds ahead fires then.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (s, sched) = api
        .post(
            "/broadcasts",
            json!({"text": "scheduled", "urns": ["+255712300003"], "respect_hours": false, "schedule": {"repeat": "once", "at": at}}),
        )
        .await;
    assert_eq!(s, 201, "{sched}");
    assert_eq!(sched["status"], "scheduled");
    api.wait_for(
        &format!("/broadcasts/{}", sched["uuid"].as_str().unwrap()),
        30,
        |v| v["progress"]["delivered"] == 1,
    )
    .await;
    // A recurring broadcast knows its next firing, and can be cancelled.
    let (s, rec) = api
        .post(
            "/broadcasts",
            json!({"text": "weekly", "urns": ["+255712300004"],
                   "schedule": {"repeat": "weekly", "days": ["Mon"], "time": "08:00:00", "timezone": "Africa/Dar_es_Salaam"}}),
        )
        .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["status"], "recurring");
    assert!(
        rec["next_fire"].as_str().unwrap().ends_with("05:00:00.000Z"),
        "{rec}"
    );
    let (s, c) = api
        .post(
            &format!("/broadcasts/{}/cancel", rec["uuid"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!((s, c["status"].clone()), (200, json!("cancelled")));
    // iHRIS's recurring shapes that are neither daily nor weekly run as cron.
    let (s, every3) = api
        .post(
            "/broadcasts",
            json!({"text": "every third day", "urns": ["+255712300005"],
                   "schedule": {"repeat": "cron", "expr": "14 14 */3 * *", "timezone": "Africa/Dar_es_Salaam"}}),
        )
        .await;
    assert_eq!(s, 201, "{every3}");
    assert_eq!(every3["status"], "recurring");
    assert!(
        every3["next_fire"].as_str().unwrap().ends_with("11:14:00.000Z"),
        "{every3}"
    );
    let (s, bad) = api
        .post(
            "/broadcasts",
            json!({"text": "x", "urns": ["+255712300005"], "schedule": {"repeat": "cron", "expr": "14 14 */3 *"}}),
        )
        .await;
    assert_eq!(s, 422, "{bad}");
}

on_both!(sends_refuse_nobody_and_count_cancelled_messages);
async fn sends_refuse_nobody_and_count_cancelled_messages(kind: Db) {
    // Sending hours that exclude the current hour in Dar es Salaam: bulk
    // messages stay queued, held, until cancelled.
    let h: u32 = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%H")
        .to_string()
        .parse()
        .unwrap();
    let window = format!("{:02}:00-{:02}:00", (h + 2) % 24, (h + 3) % 24);
    let env = start(kind, &format!("[sending]\nhours = \"{window}\"\n"));
    let api = env.server.api(OPERATOR);
    let (s, v) = api
        .post("/contacts/import", contacts_json(3, 500, |_| json!({})))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post("/groups", json!({"name": "Midwives"})).await;
    assert_eq!(s, 201, "{v}");

    // An empty group: refused now, naming it; accepted on a schedule, warned.
    let refused = api
        .post("/broadcasts", json!({"text": "hello", "groups": ["Midwives"]}))
        .await;
    assert_refused(
        &refused,
        "recipients",
        "nobody to send to: group Midwives has no members",
    );
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (s, v) = api
        .post(
            "/broadcasts",
            json!({"text": "later", "groups": ["Midwives"], "schedule": {"repeat": "once", "at": at}}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (201, Some("scheduled")), "{v}");
    let warning = v["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.starts_with("nobody to send to right now: group Midwives has no members"),
        "{v}"
    );

    // Every selected contact opted out: refused, saying so.
    let all = api.ok("/contacts?limit=10").await;
    let uuids = uuids(&all);
    assert_eq!(uuids.len(), 3);
    for u in &uuids {
        let (s, v) = api
            .patch(&format!("/contacts/{u}"), json!({"status": "stopped"}))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let refused = api
        .post("/broadcasts", json!({"text": "hello", "contacts": uuids}))
        .await;
    assert_refused(
        &refused,
        "recipients",
        "nobody to send to: all 3 selected contacts have opted out",
    );
    // A send with someone to reach has no warning.
    let numbers = ["+255712600001", "+255712600002", "+255712600003"];
    let (s, b) = api
        .post("/broadcasts", json!({"text": "held", "urns": numbers}))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["warnings"], json!([]), "{b}");
    let path = format!("/broadcasts/{}", b["uuid"].as_str().unwrap());
    api.wait_for(&path, 20, |v| {
        v["status"] == "queued" && v["progress"]["queued"] == 3
    })
    .await;

    // Cancelled messages are counted as cancelled, not failed.
    let (s, c) = api.post(&format!("{path}/cancel"), json!({})).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    assert_eq!(
        counts(&c["progress"], &["total", "cancelled", "failed", "queued"]),
        [3, 3, 0, 0],
        "{c}"
    );
    let listed = api
        .ok(&format!(
            "/messages?broadcast={}&status=cancelled",
            b["uuid"].as_str().unwrap()
        ))
        .await;
    let list = listed["results"].as_array().unwrap();
    assert_eq!(list.len(), 3, "{listed}");
    for m in list {
        assert_eq!(m["status"], "cancelled");
        assert_eq!(m["failure_reason"], "broadcast cancelled");
    }
    let failed = api.ok("/messages?status=failed").await;
    assert_eq!(failed["results"], json!([]), "{failed}");

    // emNutt's progress for a cancelled request says the same.
    // (The emNutt endpoints are under /api/v1 too, with the bearer token.)
    let request = json!({
        "resourceType": "CommunicationRequest",
        "payload": [{"contentString": "Please submit your weekly report"}],
        "recipient": [{"reference": "#c1"}],
        "contained": [{"resourceType": "Practitioner", "id": "c1", "telecom": [{"system": "phone", "value": "0712 600 009"}]}]
    });
    let (s, answer) = api.post("/emNutt/fhir/CommunicationRequest", request).await;
    assert_eq!(
        (s, answer["status"].as_str()),
        (200, Some("Processing")),
        "{answer}"
    );
    let req_id = answer["reqID"].as_str().unwrap().to_string();
    let progress = format!("/emNutt/fhir/getProgress?requestIDs={req_id}");
    let p = api.wait_for(&progress, 20, |p| p[&req_id]["pending"] == 1).await;
    assert_eq!(p[&req_id]["broadcast_status"], "queued", "{p}");
    let (s, cancelled) = api
        .post("/emNutt/fhir/cancelMessageSchedule", json!({"reqID": req_id}))
        .await;
    assert_eq!(
        (s, cancelled["status"].as_str()),
        (200, Some("cancelled")),
        "{cancelled}"
    );
    let p = api.ok(&progress).await;
    let r = &p[&req_id];
    assert_eq!(
        counts(r, &["total", "cancelled", "failed", "pending"]),
        [1, 1, 0, 0],
        "{p}"
    );
    assert_eq!(r["broadcast_status"], "cancelled", "{p}");
}

on_both!(replies_overtake_bulk_and_queries_target);
async fn replies_overtake_bulk_and_queries_target(kind: Db) {
    let env = start(
        kind,
        "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\nrate = 5\n",
    );
    let api = env.server.api(OPERATOR);
    fields(&api).await;
    let (s, _) = api
        .post(
            "/contacts/import",
            contacts_json(60, 0, |k| json!({"cadre": if k < 50 { "nurse" } else { "cho" }})),
        )
        .await;
    assert_eq!(s, 201);
    // A bulk backlog of 50 at 5 msg/s: ten seconds of sending.
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "bulk", "query": "cadre = nurse", "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let path = format!("/broadcasts/{}", b["uuid"].as_str().unwrap());
    api.wait_for(&path, 20, |v| {
        v["progress"]["delivered"].as_i64().unwrap_or(0) >= 2
    })
    .await;
    // A reply queued now goes out before the rest of the bulk.
    let (s, m) = api
        .post(
            "/messages",
            json!({"urn": "+255799999999", "text": "your answer"}),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    api.wait_for(&format!("/messages/{}", m["uuid"].as_str().unwrap()), 20, |v| {
        v["status"] == "delivered"
    })
    .await;
    let p = api.ok(&path).await["progress"].clone();
    assert_eq!(p["total"], 50, "the query picked exactly the nurses: {p}");
    assert!(
        p["queued"].as_i64().unwrap() >= 30,
        "the reply waited behind bulk: {p}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_documents_every_route() {
    let env = start(Db::Sqlite, "");
    let api = env.server.api(ADMIN);
    let doc = api.ok("/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, ops) in paths {
        for (method, _) in ops.as_object().unwrap() {
            let concrete = path
                .trim_start_matches("/api/v1")
                .replace("{uuid}", "00000000-0000-4000-8000-000000000000")
                .replace("{group}", "nogroup")
                .replace("{name}", "simulator")
                .replace("{number}", "+255712345678");
            // An event stream answers for as long as it is read: a
            // parameter it does not know gets a refusal at once instead.
            let concrete = if concrete.ends_with("/events") {
                format!("{concrete}?no_such_parameter=1")
            } else {
                concrete
            };
            let (s, v) = match method.as_str() {
                "get" => api.get(&concrete).await,
                "post" => api.post(&concrete, json!({})).await,
                "patch" => api.patch(&concrete, json!({})).await,
                "delete" => api.delete(&concrete).await,
                other => panic!("unexpected method {other}"),
            };
            // Any answer but the router's "no such endpoint" proves the route exists.
            let unrouted = s == 404
                && v["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("no such endpoint"));
            assert!(
                !unrouted && s != 405,
                "{method} {path} is documented but not routed ({s}: {v})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations documented");
    let (s, _) = api.get("/no/such/thing").await;
    assert_eq!(s, 404);
}

#[test]
fn check_config_reports_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[database]\nurl = \"mysql://x\"\n[api]\nlisten = \"nope\"\n[[links]]\nname = \"a\"\nkind = \"fax\"\n[[routes]]\nlinks = [\"b\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
        .args(["check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["database.url", "api.listen", "links[0].kind", "routes[0].links"] {
        assert!(err.contains(needle), "{needle} missing from:\n{err}");
    }
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[database]\nurl = \"postgres://u:secret@localhost/db\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
        .args(["check-config", "--config"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn first_run_with_no_config() {
    let dir = tempfile::tempdir().unwrap();
    // Run from a checkout: the shipped flows are there to try.
    std::fs::create_dir(dir.path().join("flows")).unwrap();
    for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/flows")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.path().join("flows").join(f.file_name().unwrap())).unwrap();
    }
    let started = Banner::start(
        std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
            .current_dir(dir.path())
            .env("MHERO_API__LISTEN", "127.0.0.1:0")
            .env("MHERO_LOG", "warn")
            .stdout(std::process::Stdio::piped()),
    );
    let (banner, base) = (&started.text, started.base.clone());
    let token_file = dir.path().join("mhero.token");
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_string();
    // Shown once (it would land in the journal under systemd), in a file
    // only its owner reads, named in the banner; the commands use $TOKEN.
    assert_eq!(
        banner.matches(&token).count(),
        1,
        "the banner shows the token once: {banner}"
    );
    assert!(banner.contains(&token_file.display().to_string()), "{banner}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(banner.contains("curl"), "{banner}");
    assert!(banner.contains("Bearer $TOKEN"), "{banner}");
    assert!(dir.path().join("mhero.db").exists());
    let api = Api::for_base(&base, &token);
    let (s, v) = api
        .post(
            "/simulator/inbound",
            json!({"from": "+255712345678", "text": "Hello"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let got = api
        .wait_for("/simulator/phones/+255712345678/received", 20, |v| {
            v["results"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    assert!(got["results"][0]["text"].as_str().unwrap().contains("mHero"));
    let (s, v) = api
        .post(
            "/simulator/inbound",
            json!({"from": "+255712345678", "text": "CASE"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let got = api
        .wait_for("/simulator/phones/+255712345678/received", 20, |v| {
            v["results"].as_array().is_some_and(|a| a.len() >= 2)
        })
        .await;
    assert!(
        got["results"][1]["text"]
            .as_str()
            .unwrap()
            .starts_with("Case report. Which disease?"),
        "{got}"
    );
}
