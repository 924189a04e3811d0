//! The console's doors, against a real `mhero serve` on SQLite and on
//! PostgreSQL: no page and no action without a session (every route of
//! the console's router walked), CSRF tokens missing or wrong refused with
//! nothing changed, a viewer's POST refused on the console and the API,
//! logins throttled after repeated failures (counted in the database), the
//! cookie's flags, and the error pages (403, 404, 429) in the console's
//! style, seen in a browser and checked by axe-core.

mod common;
mod console_support;

use common::*;
use console_support::*;
use serde_json::json;

/// The admin's password after the first login's change.
const ADMIN_PASSWORD: &str = "morogoro region office 2026";

/// Every console route as its router declares it: (method, path with its
/// parameters filled in). Read from the source, so a route added later is
/// walked too.
fn console_routes() -> Vec<(&'static str, String)> {
    let source = include_str!("../src/api/console/mod.rs");
    let mut out = Vec::new();
    for line in source
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(".route(\""))
    {
        let path = line.split('"').nth(1).expect("a quoted path");
        if path.starts_with("/static/") {
            continue;
        }
        let concrete = path
            .replace("{username}", "admin")
            .replace("{name}", "x")
            .replace("{uuid}", "00000000-0000-4000-8000-000000000000");
        if line.contains("get(") {
            out.push(("GET", concrete.clone()));
        }
        if line.contains("post(") {
            out.push(("POST", concrete));
        }
    }
    assert!(out.len() >= 12, "only {} routes found: {out:?}", out.len());
    out
}

on_both!(nothing_without_a_session_and_a_token);
async fn nothing_without_a_session_and_a_token(kind: Db) {
    let gw = Gateway::start(kind, "");
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);
    let accounts = || async { api.ok("/accounts").await["results"].as_array().unwrap().len() };

    // No session: every GET leads to the login page (coming back here
    // after), every POST is refused, and nothing changes.
    let mut anon = Http::new(&base);
    for (method, path) in console_routes() {
        let a = if method == "GET" {
            anon.get(&path).await
        } else {
            anon.post(&path, &[("username", "intruder"), ("role", "admin")])
                .await
        };
        match (method, path.as_str()) {
            ("GET", "/login") => assert_eq!(a.status, 200),
            ("POST", "/login") => assert_eq!(a.status, 403, "a login without its form token: {}", a.body),
            ("GET", _) => {
                let to = format!(
                    "/login?next={}",
                    form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
                );
                assert_eq!(
                    (a.status, a.location.as_deref()),
                    (303, Some(to.as_str())),
                    "GET {path}"
                );
            }
            _ => assert_eq!(a.status, 401, "POST {path}: {}", a.body),
        }
    }
    assert_eq!(accounts().await, 1, "only the first admin exists");
    // A cookie that is no session is no session.
    let mut forged = Http::new(&base);
    let a = forged
        .client_get_with_cookie("/accounts", "mhero_session=00ff00ff")
        .await;
    assert_eq!(a.status, 303);

    // The first login: the cookie's flags; the forced change.
    let mut admin = Http::new(&base);
    let a = admin.login("admin", &gw.password).await;
    assert_eq!((a.status, a.location.as_deref()), (303, Some("/password")));
    let session = a
        .set_cookies
        .iter()
        .find(|c| c.starts_with("mhero_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(
        !session.contains("Secure"),
        "plain HTTP without a trusted proxy: {session}"
    );
    // Until the password is changed, nothing else is open.
    assert_eq!(
        admin.get("/accounts").await.location.as_deref(),
        Some("/password")
    );
    let admin = Http::logged_in(&base, "admin", &gw.password, ADMIN_PASSWORD).await;
    let mut admin = admin;
    let csrf = admin.csrf().await;

    // CSRF: missing, wrong, or wrong in the header: refused, nothing made.
    let fields = |csrf: Option<&str>| {
        let mut f = vec![
            ("username", "nurse.one".to_string()),
            ("role", "sender".to_string()),
        ];
        if let Some(c) = csrf {
            f.push(("_csrf", c.to_string()));
        }
        f
    };
    for (label, f, header) in [
        ("missing", fields(None), None),
        ("wrong", fields(Some("0123abcd")), None),
        ("another session's", fields(Some(&gw.password)), None),
        ("wrong header", fields(None), Some("deadbeef")),
    ] {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let headers: Vec<(&str, &str)> = header.iter().map(|h| ("X-CSRF-Token", *h)).collect();
        let a = admin.post_with("/accounts", &f, &headers).await;
        assert_eq!(a.status, 403, "CSRF {label}: {}", a.body);
        assert!(a.body.contains("nothing was changed"), "{label}: {}", a.body);
    }
    assert_eq!(accounts().await, 1, "a refused form made nothing");
    // The right token (as a field, or as htmx sends it) works.
    let a = admin
        .post(
            "/accounts",
            &[("username", "nurse.one"), ("role", "viewer"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let first = a
        .body
        .split("id=\"shown-password\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the new account's password, shown once")
        .to_string();
    let a = admin
        .post_with(
            "/account/language",
            &[("language", "eng")],
            &[("X-CSRF-Token", &csrf)],
        )
        .await;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (303, Some("/account")),
        "{}",
        a.body
    );

    // A viewer: reads, changes its own language, is refused the rest
    // (console and API, with the viewer's own token too).
    let mut viewer = Http::logged_in(&base, "nurse.one", &first, "nurse one's own words").await;
    assert_eq!(viewer.get("/").await.status, 200);
    assert_eq!(viewer.get("/accounts").await.status, 403);
    let vcsrf = viewer.csrf().await;
    let a = viewer
        .post(
            "/accounts",
            &[("username", "sneaky"), ("role", "admin"), ("_csrf", &vcsrf)],
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = viewer
        .post("/accounts/admin", &[("disabled", "true"), ("_csrf", &vcsrf)])
        .await;
    assert_eq!(a.status, 403);
    let a = viewer
        .post("/account/tokens", &[("name", "nurse-one"), ("_csrf", &vcsrf)])
        .await;
    assert_eq!(
        a.status, 200,
        "a viewer may make its own (viewer) token: {}",
        a.body
    );
    let token = a
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the token, shown once")
        .to_string();
    for t in [token.as_str(), VIEWER] {
        let v = Api::for_base(&base, t);
        assert_eq!(v.get("/contacts").await.0, 200);
        let (s, body) = v
            .post("/contacts", json!({"name": "x", "urns": ["tel:+255712000009"]}))
            .await;
        assert_eq!(s, 403, "{body}");
        assert_eq!(v.post("/accounts", json!({})).await.0, 403);
    }
    assert_eq!(accounts().await, 2);
    assert_eq!(api.ok("/contacts").await["results"].as_array().unwrap().len(), 0);

    // A login leads back where it was asked for, on this site only.
    for (next, to) in [
        ("/audit?action=login", "/audit?action=login"),
        ("//evil.example/", "/"),
    ] {
        let mut h = Http::new(&base);
        let page = h
            .get(&format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .await;
        assert!(
            page.body.contains(&format!(
                "name=\"next\" value=\"{}\"",
                next.replace('/', "&#x2f;")
            )) || page.body.contains(next),
            "{}",
            page.body
        );
        let csrf = Http::csrf_of(&page.body);
        let a = h
            .post(
                "/login",
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                    ("_csrf", &csrf),
                ],
            )
            .await;
        assert_eq!((a.status, a.location.as_deref()), (303, Some(to)), "next={next}");
    }

    // A session left idle past [console] idle_timeout_mins ends (its last
    // use moved back in the database rather than waited for).
    let mut idle = Http::logged_in(&base, "admin", ADMIN_PASSWORD, ADMIN_PASSWORD).await;
    assert_eq!(idle.get("/").await.status, 200);
    gw.db
        .sql("UPDATE console_sessions SET seen_on = seen_on - 9 * 3600 * 1000, created_on = created_on - 9 * 3600 * 1000")
        .await;
    assert_eq!(idle.get("/").await.status, 303, "an idle session ends");
    assert_eq!(
        admin.get("/").await.status,
        303,
        "every session idle that long ended"
    );
    let mut admin = Http::logged_in(&base, "admin", ADMIN_PASSWORD, ADMIN_PASSWORD).await;
    let csrf = admin.csrf().await;

    // Logged out: the session no longer works, even with its cookie.
    let a = admin.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!((a.status, a.location.as_deref()), (303, Some("/login")));
    assert_eq!(admin.get("/").await.status, 303);
}

on_both!(logins_are_throttled_and_errors_are_pages);
async fn logins_are_throttled_and_errors_are_pages(kind: Db) {
    let gw = Gateway::start(kind, "[console]\ntrust_forwarded = true\n");
    let base = gw.base().to_string();

    // Behind a trusted proxy that says HTTPS, the cookie is Secure.
    let mut h = Http::new(&base);
    let page = h.get("/login").await;
    let csrf = Http::csrf_of(&page.body);
    let a = h
        .post_with(
            "/login",
            &[
                ("username", "admin"),
                ("password", &gw.password),
                ("_csrf", &csrf),
            ],
            &[("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "10.9.8.7")],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(
        a.set_cookies
            .iter()
            .any(|c| c.starts_with("mhero_session=") && c.contains("Secure")),
        "{:?}",
        a.set_cookies
    );

    // Five failures for one name within the window: the sixth attempt is
    // refused, even with the right password, and says when to try again.
    let mut b = Browser::start("console_security_throttle", &base, "en-GB,en").await;
    for i in 0..5 {
        b.login("admin", "not the password").await;
        assert!(
            b.page_text()
                .await
                .contains("The user name or the password is wrong"),
            "attempt {i}"
        );
        if i == 0 {
            assert_eq!(b.attr("#f-username", "value").await.as_deref(), Some("admin"));
            b.check("login-failed").await;
        }
    }
    b.login("admin", &gw.password).await;
    let text = b.page_text().await;
    assert!(
        text.contains("Too many attempts") && text.contains("try again at"),
        "{text}"
    );
    b.check("throttled-429").await;
    let mut h = Http::new(&base);
    let page = h.get("/login").await;
    let csrf = Http::csrf_of(&page.body);
    let a = h
        .post(
            "/login",
            &[
                ("username", "admin"),
                ("password", &gw.password),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.headers.get("retry-after").is_some());
    // Counted in the database, where every node sees it.
    let counted = gw
        .db
        .sql("SELECT COUNT(*) FROM login_failures WHERE username = 'admin'")
        .await;
    assert_eq!(counted, vec!["5".to_string()]);
    // The log says who failed and from where, never with what.
    let log = gw.log_text();
    assert!(log.contains("console login failed"), "{log}");
    assert!(!log.contains("not the password"));

    // The error pages look like the console.
    b.visit("/no/such/page").await;
    assert!(b.page_text().await.contains("Page not found"));
    b.check("not-found-404").await;
    // A login form whose token was tampered with.
    b.visit("/login").await;
    b.fill("#f-username", "someone").await;
    b.execute("document.querySelector('input[name=_csrf]').value = 'forged';")
        .await;
    b.click("form[action='/login'] button[type=submit]").await;
    assert!(b.page_text().await.contains("Not allowed"));
    b.check("csrf-403").await;
}

/// `mhero --config CONFIG ARGS...` beside a running gateway.
fn mhero(gw: &Gateway, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
        .arg("--config")
        .arg(gw.dir.path().join("mhero.toml"))
        .args(args)
        .current_dir(gw.dir.path())
        .env("MHERO_LOG", "warn")
        .env("USER", "district-it")
        .output()
        .expect("run mhero")
}

on_both!(accounts_from_the_cli_are_audited_and_answers_compressed);
async fn accounts_from_the_cli_are_audited_and_answers_compressed(kind: Db) {
    let gw = Gateway::start(kind, "");
    let base = gw.base().to_string();
    let api = Api::for_base(&base, ADMIN);

    // Made from the CLI: the first password alone on stdout, once.
    let out = mhero(
        &gw,
        &[
            "account",
            "create",
            "neema",
            "--role",
            "operator",
            "--name",
            "Neema Mollel",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(first.len(), 19, "{first:?}");
    let out = mhero(&gw, &["account", "list"]);
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing
            .lines()
            .any(|l| l == "neema\tsender\tmust-change-password\tNeema Mollel"),
        "{listing}"
    );
    assert!(!listing.contains(&first));
    // The password works at the console, once changed.
    let mut h = Http::new(&base);
    assert_eq!(
        h.login("neema", &first).await.location.as_deref(),
        Some("/password")
    );
    // Reset and disabled from the CLI: the old password stops, then the account.
    let out = mhero(&gw, &["account", "reset-password", "neema"]);
    assert!(out.status.success());
    let second = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(second, first);
    assert_eq!(Http::new(&base).login("neema", &first).await.status, 401);
    assert_eq!(Http::new(&base).login("neema", &second).await.status, 303);
    let out = mhero(&gw, &["account", "disable", "neema"]);
    assert!(out.status.success());
    assert_eq!(Http::new(&base).login("neema", &second).await.status, 401);
    assert_eq!(
        h.get("/password").await.status,
        303,
        "the session ended with the account"
    );
    let out = mhero(
        &gw,
        &["account", "create", "x", "--role", "viewer", "--language", "deu"],
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let out = mhero(&gw, &["token", "create", "--name", "backup", "--role", "viewer"]);
    assert!(out.status.success());
    let out = mhero(&gw, &["token", "revoke", "backup"]);
    assert!(out.status.success());

    // Every CLI change in the audit log, as the operating-system user's.
    let log = api.ok("/audit?actor=district-it").await;
    let actions: Vec<(&str, &str)> = log["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor_kind"], "cli", "{e}");
            (e["action"].as_str().unwrap(), e["target_id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("account.create", "neema"),
            ("account.password_reset", "neema"),
            ("account.update", "neema"),
            ("token.create", "backup"),
            ("token.revoke", "backup"),
        ],
        "{log}"
    );
    let text = log.to_string();
    assert!(!text.contains(&first) && !text.contains(&second));

    // iHRIS's emNutt routes (their own basic auth, outside /api/v1) are
    // audited too, under the token iHRIS presents.
    let res = reqwest::Client::new()
        .post(format!("{base}/emNutt/fhir/cancelMessageSchedule"))
        .basic_auth("ihris", Some(OPERATOR))
        .body(r#"{"reqID": "no-such-request"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let log = api.ok("/audit?actor=operator").await;
    let entry = &log["results"][0];
    assert_eq!(
        (
            entry["action"].as_str(),
            entry["result"].as_str(),
            entry["status"].as_i64()
        ),
        (
            Some("POST /emNutt/fhir/cancelMessageSchedule"),
            Some("refused"),
            Some(404)
        ),
        "{log}"
    );

    // Answers are compressed for a client that accepts it, API and console.
    let client = reqwest::Client::new();
    for (path, token) in [
        ("/api/v1/openapi.json", None),
        ("/api/v1/accounts", Some(ADMIN)),
        ("/login", None),
    ] {
        for encoding in ["br", "gzip"] {
            let mut req = client
                .get(format!("{base}{path}"))
                .header("accept-encoding", encoding);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{path}");
            assert_eq!(
                res.headers()
                    .get("content-encoding")
                    .and_then(|v| v.to_str().ok()),
                Some(encoding),
                "{path}"
            );
        }
    }
    // Static files: hashed names, cached for a year.
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let css = page
        .split("href=\"/static/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a stylesheet");
    let res = client.get(format!("{base}/static/{css}")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers().get("cache-control").and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert_eq!(
        client
            .get(format!("{base}/static/console.css"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}
