//! The console's accounts, end to end in a real browser against `mhero
//! serve` on SQLite and on PostgreSQL: the first login with the printed
//! password and the forced change (the old one refused afterwards, its file
//! deleted), accounts made, changed, disabled and reset through the console
//! and through the API, per-account API tokens that carry the account's
//! role as it is now, the audit log listing each change (its page and
//! `GET /api/v1/audit`), the same pages in French and Swahili, every page
//! checked by axe-core and screenshotted, each page within the page-weight
//! budget, and no password ever in the log or an API answer.

mod common;
mod console_support;

use common::*;
use console_support::*;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "kilosa district office 2026";
const AMINA_PASSWORD: &str = "mafunzo ya wakunga kilosa";
const GRACE_FIRST: &str = "grace first password 1";
const GRACE_RESET: &str = "grace reset password 2";

/// Every API answer the test read, to search for passwords afterwards.
struct Seen(Vec<String>);

impl Seen {
    async fn call(&mut self, api: &Api, method: &str, path: &str, body: Value) -> (u16, Value) {
        let answer = match method {
            "GET" => api.get(path).await,
            "POST" => api.post(path, body).await,
            "PATCH" => api.patch(path, body).await,
            other => panic!("{other}"),
        };
        self.0.push(answer.1.to_string());
        answer
    }
}

on_both!(accounts_are_made_changed_and_audited);
async fn accounts_are_made_changed_and_audited(kind: Db) {
    let gw = Gateway::start(kind, "");
    let base = gw.base().to_string();
    let first_password = gw.password.clone();
    assert!(
        gw.password_file().exists(),
        "the first password waits in its file"
    );
    assert!(
        gw.banner.text.contains(&format!("console: open {base}/")),
        "{}",
        gw.banner.text
    );
    let api = Api::for_base(&base, ADMIN);
    let mut seen = Seen(Vec::new());
    let mut b = Browser::start(&format!("console_accounts_{kind:?}"), &base, "en-GB,en").await;

    // First login: the console leads to the login page, the printed
    // password works once and must be replaced.
    b.visit("/").await;
    assert_eq!(b.path().await, "/login?next=%2F");
    b.check("login").await;
    b.login("admin", &first_password).await;
    assert_eq!(b.path().await, "/password");
    assert!(b.page_text().await.contains("This password was chosen for you"));
    b.check("password-forced").await;
    // A weak choice: the same form, the error beside the field.
    b.fill("#f-current_password", &first_password).await;
    b.fill("#f-password", "admin").await;
    b.fill("#f-confirm", "admin").await;
    b.click("form[action='/password'] button[type=submit]").await;
    assert_eq!(
        b.attr("#f-password", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        b.attr("#f-password", "aria-describedby").await.as_deref(),
        Some("e-password h-password")
    );
    assert!(b.text("#e-password").await.contains("at least 10 characters"));
    b.check("password-too-short").await;
    b.fill("#f-current_password", &first_password).await;
    b.fill("#f-password", ADMIN_PASSWORD).await;
    b.fill("#f-confirm", ADMIN_PASSWORD).await;
    b.click("form[action='/password'] button[type=submit]").await;
    assert_eq!(b.path().await, "/");
    assert!(b.text(".flash").await.contains("Your password has been changed"));
    assert!(!gw.password_file().exists(), "the first password's file is gone");
    b.check("home").await;
    let home = b.page_text().await;
    for expected in [
        "Carrier links",
        "simulator",
        "Working",
        "Messages today",
        "Africa/Dar_es_Salaam",
    ] {
        assert!(
            home.contains(expected),
            "{expected:?} missing from the home page:\n{home}"
        );
    }
    // The old password no longer logs in.
    let mut other = Http::new(&base);
    assert_eq!(other.login("admin", &first_password).await.status, 401);

    // Accounts through the console: one made (its password shown once),
    // one refused with the form kept.
    b.visit("/accounts").await;
    b.check("accounts").await;
    b.fill("#f-username", "amina.juma").await;
    b.fill("#f-display_name", "Amina Juma").await;
    b.select("#f-role", "sender").await;
    b.select("#f-language", "swa").await;
    b.click("form[action='/accounts'] button[type=submit]").await;
    let amina_first = b.text("#shown-password").await;
    assert_eq!(amina_first.len(), 19, "{amina_first}");
    b.check("account-created").await;
    b.fill("#f-username", "Bad Name").await;
    b.fill("#f-display_name", "Someone").await;
    b.click("form[action='/accounts'] button[type=submit]").await;
    assert_eq!(b.attr("#f-username", "value").await.as_deref(), Some("Bad Name"));
    assert_eq!(
        b.attr("#f-username", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert!(b.text("#e-username").await.contains("small letters"));
    b.check("account-refused").await;

    // Accounts through the API.
    let (s, v) = seen
        .call(
            &api,
            "POST",
            "/accounts",
            json!({"username": "grace", "display_name": "Grace Mushi", "role": "viewer", "password": GRACE_FIRST}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["role"].as_str(), v["must_change_password"].as_bool()),
        (Some("viewer"), Some(true))
    );
    let (s, v) = seen
        .call(
            &api,
            "POST",
            "/accounts",
            json!({"username": "weak", "role": "viewer", "password": "weak"}),
        )
        .await;
    assert_refused(&(s, v), "password", "must be at least 10");
    let (s, v) = seen
        .call(
            &api,
            "POST",
            "/accounts",
            json!({"username": "op", "role": "operator", "password": "operator alias ok"}),
        )
        .await;
    assert_eq!(
        (s, v["role"].as_str()),
        (201, Some("sender")),
        "operator is sender: {v}"
    );
    let (s, v) = seen
        .call(&api, "PATCH", "/accounts/admin", json!({"role": "viewer"}))
        .await;
    assert_refused(&(s, v), "role", "this is the last admin");

    // Changed through the console: grace becomes a sender, then disabled,
    // then enabled again; amina's password is reset.
    b.visit("/accounts").await;
    b.select("#role-grace", "sender").await;
    b.click("form[action='/accounts/grace'] select + button").await;
    assert!(b.text(".flash").await.contains("The account was changed"));
    b.click("form[action='/accounts/grace'] input[value=true] + button")
        .await;
    assert!(b.has("tr.disabled").await);
    b.check("account-disabled").await;
    let (_, listing) = seen.call(&api, "GET", "/accounts", Value::Null).await;
    let grace = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "grace")
        .unwrap()
        .clone();
    assert_eq!(grace["role"], "sender");
    assert!(
        grace["disabled_on"].as_str().is_some_and(|d| d.ends_with('Z')),
        "{grace}"
    );
    let mut g = Http::new(&base);
    assert_eq!(
        g.login("grace", GRACE_FIRST).await.status,
        401,
        "a disabled account logs in no more"
    );
    let (s, v) = seen
        .call(
            &api,
            "PATCH",
            "/accounts/grace",
            json!({"disabled": false, "role": "viewer"}),
        )
        .await;
    assert_eq!(
        (s, v["disabled_on"].clone(), v["role"].clone()),
        (200, Value::Null, json!("viewer")),
        "{v}"
    );
    let (s, v) = seen
        .call(
            &api,
            "POST",
            "/accounts/grace/password",
            json!({"password": GRACE_RESET}),
        )
        .await;
    assert_eq!((s, v["must_change_password"].as_bool()), (200, Some(true)), "{v}");
    b.visit("/accounts").await;
    b.click("form[action='/accounts/amina.juma/password'] button")
        .await;
    let amina_reset = b.text("#shown-password").await;
    assert_ne!(amina_reset, amina_first);
    let mut a = Http::new(&base);
    assert_eq!(a.login("amina.juma", &amina_first).await.status, 401);

    // The admin's own language: French, then back to the browser's.
    b.visit("/account").await;
    b.select("#f-language", "fra").await;
    b.click("form[action='/account/language'] button").await;
    let text = b.page_text().await;
    for expected in [
        "Mon compte",
        "Votre langue a été enregistrée",
        "Jetons d'API",
        "Journal des actions",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("fr"));
    b.check("account-in-french").await;
    b.visit("/accounts").await;
    assert!(b.page_text().await.contains("Nouveau compte"));
    b.check("accounts-in-french").await;
    // Back to the browser's language through htmx (as the page engineers'
    // enhancements post): it sends the CSRF token from <body hx-headers>,
    // and the same request without it is refused.
    b.visit("/account").await;
    let refused = b
        .execute_async(
            "const done = arguments[0];
             fetch('/account/language', {method: 'POST', body: new URLSearchParams({language: ''})})
               .then(r => done(r.status));",
        )
        .await;
    assert_eq!(refused, json!(403));
    let swapped = b
        .execute_async(
            "const done = arguments[0];
             htmx.ajax('POST', '/account/language', {target: 'body', values: {language: ''}})
               .then(() => done(document.body.innerText));",
        )
        .await;
    assert!(
        swapped.as_str().is_some_and(|t| t.contains("My account")),
        "{swapped}"
    );
    b.visit("/account").await;
    assert!(b.page_text().await.contains("My account"));

    // Amina, in a French-speaking browser: the login page in French; once
    // logged in, her own language (Swahili) wins.
    let mut am = Browser::start(&format!("console_accounts_amina_{kind:?}"), &base, "fr-FR,fr").await;
    am.visit("/login").await;
    let text = am.page_text().await;
    assert!(
        text.contains("Connexion") && text.contains("Nom d'utilisateur"),
        "{text}"
    );
    am.check("login-in-french").await;
    am.login("amina.juma", &amina_reset).await;
    assert!(am.page_text().await.contains("Badilisha nenosiri lako"));
    am.check("password-forced-in-swahili").await;
    am.fill("#f-current_password", &amina_reset).await;
    am.fill("#f-password", AMINA_PASSWORD).await;
    am.fill("#f-confirm", "something else entirely").await;
    am.click("form[action='/password'] button[type=submit]").await;
    assert!(am.text("#e-confirm").await.contains("hayafanani"));
    am.fill("#f-current_password", &amina_reset).await;
    am.fill("#f-password", AMINA_PASSWORD).await;
    am.fill("#f-confirm", AMINA_PASSWORD).await;
    am.click("form[action='/password'] button[type=submit]").await;
    let text = am.page_text().await;
    for expected in ["Muhtasari", "Mwanzo", "Ujumbe wa leo", "Saa zote ni za"] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert_eq!(am.attr("html", "lang").await.as_deref(), Some("sw"));
    assert!(
        !am.has("a[href='/accounts']").await,
        "a sender has no accounts page in the menu"
    );
    am.check("home-in-swahili").await;

    // Amina's own token carries her role as it is at each use.
    am.visit("/account").await;
    am.fill("#f-name", "amina-phone").await;
    am.click("form[action='/account/tokens'] button").await;
    let token = am.text("#new-token").await;
    am.check("token-created-in-swahili").await;
    let mine = Api::for_base(&base, &token);
    let (s, v) = seen
        .call(
            &mine,
            "POST",
            "/contacts",
            json!({"name": "Joseph", "urns": ["tel:+255712000003"]}),
        )
        .await;
    assert_eq!(s, 201, "a sender's token sends: {v}");
    assert_eq!(seen.call(&mine, "GET", "/accounts", Value::Null).await.0, 403);
    let (s, v) = seen.call(&api, "GET", "/tokens", Value::Null).await;
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "amina-phone" && t["account"] == "amina.juma"),
        "{s} {v}"
    );
    seen.call(&api, "PATCH", "/accounts/amina.juma", json!({"role": "viewer"}))
        .await;
    let (s, _) = seen
        .call(
            &mine,
            "POST",
            "/contacts",
            json!({"name": "Neema", "urns": ["tel:+255712000004"]}),
        )
        .await;
    assert_eq!(s, 403, "the account is a viewer now, and so is its token");
    // Her own language through the API; not her role.
    let (s, v) = seen
        .call(&mine, "PATCH", "/accounts/amina.juma", json!({"language": "por"}))
        .await;
    assert_eq!((s, v["language"].as_str()), (200, Some("por")), "{v}");
    assert_eq!(
        seen.call(&mine, "PATCH", "/accounts/amina.juma", json!({"role": "admin"}))
            .await
            .0,
        403
    );
    assert_eq!(
        seen.call(
            &mine,
            "POST",
            "/accounts/amina.juma/password",
            json!({"password": "no current one given"})
        )
        .await
        .0,
        422
    );
    am.visit("/").await;
    assert!(am.page_text().await.contains("Visão geral"), "Portuguese now");
    am.check("home-in-portuguese").await;
    seen.call(&api, "PATCH", "/accounts/amina.juma", json!({"disabled": true}))
        .await;
    assert_eq!(
        seen.call(&mine, "GET", "/contacts", Value::Null).await.0,
        401,
        "a disabled account's token"
    );
    am.visit("/").await;
    assert!(
        am.path().await.starts_with("/login"),
        "a disabled account's session ended"
    );

    // The audit log: each change, who made it and how.
    let (s, log) = seen.call(&api, "GET", "/audit?limit=1000", Value::Null).await;
    assert_eq!(s, 200, "{log}");
    let entries = log["results"].as_array().unwrap();
    let has = |action: &str, actor: &str, kind: &str, target: &str| {
        entries.iter().any(|e| {
            e["action"] == action
                && e["actor"] == actor
                && e["actor_kind"] == kind
                && e["target_id"] == target
                && e["result"] == "ok"
        })
    };
    for (action, actor, kind, target) in [
        ("login", "admin", "account", "admin"),
        ("account.password", "admin", "account", "admin"),
        ("account.create", "admin", "account", "amina.juma"),
        ("account.create", "admin", "token", "grace"),
        ("account.update", "admin", "account", "grace"),
        ("account.update", "admin", "token", "grace"),
        ("account.password_reset", "admin", "token", "grace"),
        ("account.password_reset", "admin", "account", "amina.juma"),
        ("account.password", "amina.juma", "account", "amina.juma"),
        ("token.create", "amina.juma", "account", "amina-phone"),
        ("account.update", "amina-phone", "token", "amina.juma"),
    ] {
        assert!(
            has(action, actor, kind, target),
            "no {action} by {actor} ({kind}) on {target} in {log}"
        );
    }
    let role_change = entries
        .iter()
        .find(|e| {
            e["action"] == "account.update" && e["target_id"] == "grace" && e["actor_kind"] == "account"
        })
        .unwrap();
    assert_eq!(
        (
            role_change["before"]["role"].as_str(),
            role_change["after"]["role"].as_str()
        ),
        (Some("viewer"), Some("sender"))
    );
    let refused = entries
        .iter()
        .find(|e| e["target_id"] == "admin" && e["result"] == "refused")
        .expect("the refused demotion of the last admin is logged");
    assert_eq!(refused["status"], 422);
    // Filters: by actor, by action, by a time range.
    let (_, by_token) = seen
        .call(&api, "GET", "/audit?actor=amina-phone", Value::Null)
        .await;
    assert!(by_token["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == "amina-phone"));
    assert!(!by_token["results"].as_array().unwrap().is_empty());
    let (_, future) = seen
        .call(&api, "GET", "/audit?since=2999-01-01T00:00:00Z", Value::Null)
        .await;
    assert_eq!(future["results"], json!([]));
    let (s, _) = seen
        .call(&api, "GET", "/audit?since=yesterday", Value::Null)
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        seen.call(&api.with_token(OPERATOR), "GET", "/audit", Value::Null)
            .await
            .0,
        403
    );
    b.visit("/audit").await;
    let text = b.page_text().await;
    for expected in [
        "account.create",
        "amina.juma",
        "account.password_reset",
        "token.create",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from the audit page"
        );
    }
    b.check("audit").await;
    b.visit("/audit?action=account.password_reset").await;
    assert!(!b.page_text().await.contains("token.create"));
    b.check("audit-filtered").await;

    // The home page shows what was sent today and the latest sends.
    let (s, v) = seen
        .call(
            &api,
            "POST",
            "/broadcasts",
            json!({"text": "Training on Monday", "urns": ["tel:+255712000003", "tel:+255712000005"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let path = format!("/broadcasts/{}", v["uuid"].as_str().unwrap());
    api.wait_for(&path, 30, |b| b["status"] == "completed").await;
    b.visit("/").await;
    let home = b.page_text().await;
    for expected in [
        "Messages sent today: 2",
        "Delivered",
        "Training on Monday",
        "Finished",
    ] {
        assert!(
            home.contains(expected),
            "{expected:?} missing from the home page:\n{home}"
        );
    }
    b.check("home-with-sends").await;

    // Light pages: every page of this test within the budget.
    for page in ["/", "/account", "/accounts", "/audit", "/login"] {
        b.page_weight(page).await;
    }
    // A phone-sized window still shows the pages whole.
    b.resize(390, 844).await;
    b.visit("/accounts").await;
    b.check("accounts-on-a-phone").await;

    // No password anywhere it must not be: the whole log, every API answer.
    let log_text = gw.log_text();
    assert!(log_text.contains("account created"), "the log is being read");
    for password in [
        first_password.as_str(),
        ADMIN_PASSWORD,
        amina_first.as_str(),
        amina_reset.as_str(),
        AMINA_PASSWORD,
        GRACE_FIRST,
        GRACE_RESET,
    ] {
        assert!(!log_text.contains(password), "a password is in the log");
        for answer in &seen.0 {
            assert!(
                !answer.contains(password),
                "a password is in an API answer: {answer}"
            );
        }
    }
    assert!(!log.to_string().contains("argon2"), "no hash in the audit log");
}
