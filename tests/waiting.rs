//! Messages that are not going out now say why (issue #21), through
//! `GET /messages` and `GET /messages/{uuid}`, on SQLite and PostgreSQL: a
//! broadcast message outside the recipient's sending hours is `held`, with
//! the hours, the time zone they were read in (the contact's, else
//! `contacts.default_timezone`) and the time it will go; a message whose
//! route has no usable link, or no route at all, waits `queued` saying so
//! and goes when its link returns; a message behind an earlier one to the
//! same number that is being retried says that, and goes only after it.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;
use serde_json::{json, Value};

/// The next instant at `hour`:00 local time in `tz`.
fn next_local(hour: u32, tz: Tz) -> DateTime<Utc> {
    let now = Utc::now().with_timezone(&tz);
    let start = now.date_naive().and_hms_opt(hour, 0, 0).unwrap();
    let today = tz.from_local_datetime(&start).earliest().unwrap();
    let at = if today > now {
        today
    } else {
        tz.from_local_datetime(&(start + Duration::days(1)))
            .earliest()
            .unwrap()
    };
    at.with_timezone(&Utc)
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn by_urn<'a>(msgs: &'a Value, urn: &str) -> &'a Value {
    msgs["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["urn"] == urn)
        .unwrap_or_else(|| panic!("no message to {urn} in {msgs}"))
}

async fn held_messages_say_why_and_when_they_go(kind: Db) {
    // An hour-long window starting two hours from now in Dar es Salaam (the
    // test config's default_timezone, UTC+3): in it, nowhere near Lima
    // (UTC-5), whose clock reads the same hours ten hours later.
    let dar: Tz = "Africa/Dar_es_Salaam".parse().unwrap();
    let lima: Tz = "America/Lima".parse().unwrap();
    let hour = (Utc::now()
        .with_timezone(&dar)
        .format("%H")
        .to_string()
        .parse::<u32>()
        .unwrap()
        + 2)
        % 24;
    let window = format!("{hour:02}:00-{:02}:00", (hour + 1) % 24);
    let env = Env::start(kind, "", &format!("[sending]\nhours = \"{window}\"\n"));
    let api = env.server.api(OPERATOR);
    let (s, c) = api
        .post(
            "/contacts",
            json!({"name": "Ana", "urns": ["tel:+51987654321"], "timezone": "America/Lima"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let (s, b) = api
        .post(
            "/broadcasts",
            json!({"text": "Mafunzo kesho", "urns": ["+255712300001"], "contacts": [c["uuid"]]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let broadcast = b["uuid"].as_str().unwrap();
    let held = api
        .wait_for(&format!("/messages?broadcast={broadcast}"), 20, |v| {
            v["results"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
    for (urn, tz, name) in [
        ("tel:+255712300001", dar, "Africa/Dar_es_Salaam"),
        ("tel:+51987654321", lima, "America/Lima"),
    ] {
        let m = by_urn(&held, urn);
        assert_eq!(m["status"], "held", "{m}");
        assert_eq!(
            m["waiting_reason"],
            format!("outside sending hours {window} in {name}"),
            "{m}"
        );
        assert_eq!(time(&m["next_attempt_on"]), next_local(hour, tz), "{m}");
        let one = api
            .ok(&format!("/messages/{}", m["uuid"].as_str().unwrap()))
            .await;
        assert_eq!(
            (&one["status"], &one["waiting_reason"]),
            (&m["status"], &m["waiting_reason"])
        );
    }
    let listed = api
        .ok(&format!("/messages?broadcast={broadcast}&status=held"))
        .await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 2, "{listed}");
    let listed = api
        .ok(&format!("/messages?broadcast={broadcast}&status=queued"))
        .await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 0, "{listed}");

    // Held is not in the way: a reply and a broadcast that waives the hours
    // reach the same phone now, while the held message keeps waiting.
    let (s, reply) = api
        .post("/messages", json!({"urn": "+255712300001", "text": "Asante"}))
        .await;
    assert_eq!(s, 201, "{reply}");
    let (s, now) = api
        .post(
            "/broadcasts",
            json!({"text": "Sasa", "urns": ["+255712300001"], "respect_hours": false}),
        )
        .await;
    assert_eq!(s, 201, "{now}");
    api.wait_for("/simulator/phones/+255712300001/received", 20, |v| {
        v["results"].as_array().is_some_and(|a| a.len() == 2)
    })
    .await;
    let still = api.ok(&format!("/messages?broadcast={broadcast}")).await;
    assert_eq!(by_urn(&still, "tel:+255712300001")["status"], "held", "{still}");
}
on_both!(held_messages_say_why_and_when_they_go);

async fn a_message_no_link_can_take_waits_and_says_why(kind: Db) {
    // One route, for +25571 numbers only: nothing else reaches anything.
    let env = Env::start(
        kind,
        "",
        "[[routes]]\nprefix = \"+25571\"\nlinks = [\"simulator\"]\n",
    );
    // Switching a link off and on is an admin's (carrier settings).
    let api = env.server.api(ADMIN);
    let (s, v) = api.patch("/links/simulator", json!({"enabled": false})).await;
    assert_eq!(s, 200, "{v}");
    let mut sent = Vec::new();
    for text in ["one", "two"] {
        let (s, m) = api
            .post("/messages", json!({"urn": "+255712345678", "text": text}))
            .await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["status"], "queued", "{m}");
        assert_eq!(
            m["waiting_reason"], "waiting for a link: simulator is switched off",
            "{m}"
        );
        sent.push(m["uuid"].as_str().unwrap().to_string());
    }
    let (s, nowhere) = api
        .post("/messages", json!({"urn": "+255682345678", "text": "nowhere"}))
        .await;
    assert_eq!(s, 201, "{nowhere}");
    let nowhere = format!("/messages/{}", nowhere["uuid"].as_str().unwrap());
    let m = api.ok(&nowhere).await;
    assert_eq!(
        m["waiting_reason"], "no route reaches this number (no default route)",
        "{m}"
    );

    // The link is back: what waited for it goes, in order.
    let (s, v) = api.patch("/links/simulator", json!({"enabled": true})).await;
    assert_eq!(s, 200, "{v}");
    for uuid in &sent {
        let m = api
            .wait_for(&format!("/messages/{uuid}"), 20, |m| m["status"] == "delivered")
            .await;
        assert!(m["waiting_reason"].is_null(), "{m}");
    }
    let got = api.ok("/simulator/phones/+255712345678/received").await;
    let texts: Vec<&str> = got["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two"]);
    let m = api.ok(&nowhere).await;
    assert_eq!(m["status"], "queued", "{m}");
    assert_eq!(
        m["waiting_reason"], "no route reaches this number (no default route)",
        "{m}"
    );
}
on_both!(a_message_no_link_can_take_waits_and_says_why);

async fn a_message_behind_a_retry_waits_for_it(kind: Db) {
    let env = Env::start(
        kind,
        "max_attempts = 2\nretry_backoff_secs = [3]",
        "[[links]]\nname = \"simulator\"\nkind = \"simulator\"\n[links.simulator]\nretry_prefix = \"+2557800\"\n",
    );
    let api = env.server.api(OPERATOR);
    for text in ["first", "second"] {
        let (s, m) = api
            .post("/messages", json!({"urn": "+255780012345", "text": text}))
            .await;
        assert_eq!(s, 201, "{m}");
    }
    let path = "/messages?urn=tel:%2B255780012345";
    // Both rows are read in one answer: while the first waits for its
    // retry, the second has not been tried.
    let v = api
        .wait_for(path, 20, |v| v["results"][0]["status"] == "errored")
        .await;
    let (first, second) = (&v["results"][0], &v["results"][1]);
    assert_eq!(first["failure_reason"], "simulated temporary failure", "{first}");
    assert!(first["next_attempt_on"].is_string(), "{first}");
    assert_eq!(second["status"], "queued", "{second}");
    assert_eq!(second["attempts"], 0, "{second}");
    assert_eq!(
        second["waiting_reason"], "waits for an earlier message to this number to be sent first",
        "{second}"
    );
    // Not due before the first one's retry, but not held: no sending hours
    // keep it.
    assert_eq!(second["next_attempt_on"], first["next_attempt_on"], "{v}");
    let held = api.ok(&format!("{path}&status=held")).await;
    assert_eq!(held["results"].as_array().unwrap().len(), 0, "{held}");
    // The first gives up after its second attempt; only then is the second
    // tried (twice, like the first).
    let v = api
        .wait_for(path, 30, |v| {
            v["results"]
                .as_array()
                .is_some_and(|a| a.iter().all(|m| m["status"] == "failed"))
        })
        .await;
    let (first, second) = (&v["results"][0], &v["results"][1]);
    assert_eq!(
        (&first["attempts"], &second["attempts"]),
        (&json!(2), &json!(2)),
        "{v}"
    );
    assert!(time(&second["wired_on"]) >= time(&first["modified_on"]), "{v}");
}
on_both!(a_message_behind_a_retry_waits_for_it);
