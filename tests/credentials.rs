//! Credentials over real HTTP against `mhero serve`, on SQLite and on a
//! private PostgreSQL server: API tokens made, listed and revoked through
//! the API and the CLI (taking effect without a restart), the admin token a
//! start makes when there is none (saved 0600 where the banner says,
//! printed once), and `/metrics` behind a token unless made public.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// A token secret as the gateway makes them: 48 hex digits.
fn is_secret(s: &str) -> bool {
    s.len() == 48 && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn names(listing: &Value) -> Vec<(String, String, String)> {
    listing["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t["role"].as_str().unwrap_or_default().to_string(),
                t["source"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `mhero --config CONFIG ARGS...`, from the config's directory.
fn mhero(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mhero"))
        .arg("--config")
        .arg(config)
        .args(args)
        .current_dir(config.parent().expect("config dir"))
        .env("MHERO_LOG", "warn")
        .output()
        .expect("run mhero")
}

fn file_mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("token file").permissions().mode() & 0o777
}

on_both!(tokens_are_made_listed_and_revoked_through_the_api);
async fn tokens_are_made_listed_and_revoked_through_the_api(kind: Db) {
    let env = Env::start(kind, "", "");
    let admin = env.server.api(ADMIN);

    // Only admins manage tokens, reading included.
    for who in [OPERATOR, VIEWER] {
        let (s, _) = env.server.api(who).get("/tokens").await;
        assert_eq!(s, 403);
        let (s, _) = env
            .server
            .api(who)
            .post("/tokens", json!({"name": "x", "role": "viewer"}))
            .await;
        assert_eq!(s, 403);
    }

    let (s, made) = admin
        .post("/tokens", json!({"name": "prometheus", "role": "viewer"}))
        .await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(
        (made["name"].as_str(), made["role"].as_str()),
        (Some("prometheus"), Some("viewer"))
    );
    let secret = made["token"].as_str().expect("the secret, once").to_string();
    assert!(is_secret(&secret), "{secret}");

    // The new token works at once, with its role.
    let scraper = env.server.api(&secret);
    assert_eq!(scraper.get("/contacts").await.0, 200);
    assert_eq!(scraper.post("/contacts", json!({"name": "x"})).await.0, 403);

    // Listed with the config file's tokens, never with a secret or hash.
    let listing = admin.ok("/tokens").await;
    let listed = names(&listing);
    for expected in [
        ("admin", "admin", "config"),
        ("operator", "operator", "config"),
        ("viewer", "viewer", "config"),
        ("prometheus", "viewer", "database"),
    ] {
        let expected = (expected.0.into(), expected.1.into(), expected.2.into());
        assert!(listed.contains(&expected), "{expected:?} missing from {listing}");
    }
    let text = listing.to_string();
    for secret_text in [secret.as_str(), ADMIN, OPERATOR, VIEWER] {
        assert!(!text.contains(secret_text), "a secret is listed: {text}");
    }
    assert!(!text.contains("hash"), "{text}");
    let stored = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "prometheus")
        .unwrap();
    assert!(
        stored["created_on"].as_str().is_some_and(|c| c.ends_with('Z')),
        "{stored}"
    );

    // One live token per name, config-file names included; names and roles
    // are checked whole.
    let (s, v) = admin
        .post("/tokens", json!({"name": "prometheus", "role": "admin"}))
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = admin
        .post("/tokens", json!({"name": "viewer", "role": "viewer"}))
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("config file"), "{v}");
    let (s, v) = admin
        .post("/tokens", json!({"name": "bad name", "role": "viewer"}))
        .await;
    assert_eq!((s, v["field"].as_str()), (422, Some("name")), "{v}");
    let (s, v) = admin.post("/tokens", json!({"name": "ok", "role": "root"})).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("role")), "{v}");
    let (s, v) = admin.post("/tokens", json!({"name": "ok"})).await;
    assert_eq!(s, 400, "{v}");

    // Revoked: refused from the next request on, no restart.
    let (s, v) = admin.delete("/tokens/prometheus").await;
    assert_eq!(s, 204, "{v}");
    assert_eq!(scraper.get("/contacts").await.0, 401);
    assert!(!names(&admin.ok("/tokens").await)
        .iter()
        .any(|t| t.0 == "prometheus"));
    let (s, _) = admin.delete("/tokens/prometheus").await;
    assert_eq!(s, 404);
    // A config-file token is not the API's to revoke, and says so.
    let (s, v) = admin.delete("/tokens/viewer").await;
    assert_eq!(s, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("config file"), "{v}");
    assert_eq!(env.server.api(VIEWER).get("/contacts").await.0, 200);

    // A revoked name may be used again, for a new secret.
    let (s, again) = admin
        .post("/tokens", json!({"name": "prometheus", "role": "operator"}))
        .await;
    assert_eq!(s, 201, "{again}");
    let second = again["token"].as_str().unwrap();
    assert_ne!(second, secret);
    assert_eq!(
        env.server
            .api(second)
            .post("/contacts", json!({"name": "y", "urns": ["tel:+255712000002"]}))
            .await
            .0,
        201
    );
    assert_eq!(scraper.get("/contacts").await.0, 401);
}

on_both!(tokens_are_made_and_revoked_from_the_cli);
async fn tokens_are_made_and_revoked_from_the_cli(kind: Db) {
    let env = Env::start(kind, "", "");
    let config = env.server.config.clone();

    // Made on the database while the gateway runs; the secret alone on stdout.
    let out = mhero(
        &config,
        &["token", "create", "--name", "ci", "--role", "operator"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let secret = stdout.trim();
    assert!(is_secret(secret), "{stdout:?}");
    assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
    let ci = env.server.api(secret);
    assert_eq!(
        ci.post(
            "/contacts",
            json!({"name": "from ci", "urns": ["tel:+255712000003"]})
        )
        .await
        .0,
        201
    );

    // Without a name, one is made from the role and told on stderr.
    let out = mhero(&config, &["token", "create", "--role", "viewer"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let viewer_secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let told = String::from_utf8(out.stderr).unwrap();
    let made_name = told
        .split('"')
        .nth(1)
        .filter(|n| n.starts_with("viewer-"))
        .unwrap_or_else(|| panic!("no generated name in {told:?}"))
        .to_string();
    assert_eq!(env.server.api(&viewer_secret).get("/contacts").await.0, 200);
    assert_eq!(
        env.server
            .api(&viewer_secret)
            .post("/contacts", json!({"name": "no"}))
            .await
            .0,
        403
    );

    // Listed (names, roles, where they live), never a secret.
    let out = mhero(&config, &["token", "list"]);
    assert!(out.status.success());
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("ci\toperator\t") && l.ends_with("\tdatabase")),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with(&format!("{made_name}\tviewer\t"))),
        "{listing}"
    );
    assert!(
        listing.lines().any(|l| l == "viewer\tviewer\t-\tconfig"),
        "{listing}"
    );
    for s in [secret, viewer_secret.as_str(), VIEWER] {
        assert!(!listing.contains(s), "{listing}");
    }
    // The API sees the CLI's tokens.
    let api_listing = names(&env.server.api(ADMIN).ok("/tokens").await);
    assert!(api_listing.contains(&("ci".into(), "operator".into(), "database".into())));

    // A name taken (live, or in the config file) and a bad role are refused.
    let out = mhero(&config, &["token", "create", "--name", "ci", "--role", "viewer"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    let out = mhero(
        &config,
        &["token", "create", "--name", "admin", "--role", "viewer"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("config file"));
    let out = mhero(&config, &["token", "create", "--role", "root"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());

    // Revoked from the CLI: the running gateway refuses it at the next request.
    let out = mhero(&config, &["token", "revoke", "ci"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ci.get("/contacts").await.0, 401);
    let out = mhero(&config, &["token", "revoke", "ci"]);
    assert!(!out.status.success());
    let out = mhero(&config, &["token", "revoke", "viewer"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("config file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.server.api(VIEWER).get("/contacts").await.0, 200);
}

fn read_token(file: &Path) -> String {
    std::fs::read_to_string(file)
        .expect("token file")
        .trim()
        .to_string()
}

on_both!(a_config_without_tokens_gets_an_admin_token_that_is_never_lost);
async fn a_config_without_tokens_gets_an_admin_token_that_is_never_lost(kind: Db) {
    let dir = tempfile::tempdir().unwrap();
    // SQLite keeps the file beside the database (here in data/); with
    // PostgreSQL it is in the working directory.
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let db = TestDb::new(kind, &data);
    let token_file: PathBuf = match kind {
        Db::Sqlite => data.join("mhero.token"),
        Db::Postgres => dir.path().join("mhero.token"),
    };
    let config = dir.path().join("mhero.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"{}\"\n[api]\nlisten = \"127.0.0.1:0\"\n",
            db.url
        ),
    )
    .unwrap();

    // First start: made, saved 0600 where the banner says, printed once.
    let first = Banner::start(&mut serve_command(dir.path(), &config));
    let token = read_token(&token_file);
    assert!(is_secret(&token), "{token:?}");
    assert_eq!(file_mode(&token_file), 0o600);
    assert!(
        first.text.contains(&token_file.display().to_string()),
        "{}",
        first.text
    );
    assert_eq!(first.text.matches(&token).count(), 1, "{}", first.text);
    assert!(first.text.contains("Bearer $TOKEN"), "{}", first.text);
    let api = Api::for_base(&first.base, &token);
    assert_eq!(api.get("/tokens").await.0, 200, "the token is an admin's");
    drop(first);

    // A token file others can read is made private again at the next
    // start, which makes no new token and prints none.
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let second = Banner::start(&mut serve_command(dir.path(), &config));
    assert_eq!(file_mode(&token_file), 0o600);
    assert!(!second.text.contains(&token), "{}", second.text);
    assert!(
        second.text.contains(&token_file.display().to_string()),
        "{}",
        second.text
    );
    assert_eq!(read_token(&token_file), token);
    assert_eq!(Api::for_base(&second.base, &token).get("/tokens").await.0, 200);
    drop(second);

    // With every token revoked, the next start makes a new one: the
    // gateway is never left without an admin credential.
    let out = mhero(&config, &["token", "revoke", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let third = Banner::start(&mut serve_command(dir.path(), &config));
    let renewed = read_token(&token_file);
    assert_ne!(renewed, token);
    assert_eq!(third.text.matches(&renewed).count(), 1, "{}", third.text);
    assert_eq!(Api::for_base(&third.base, &renewed).get("/tokens").await.0, 200);
    assert_eq!(Api::for_base(&third.base, &token).get("/tokens").await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_does_not_stop_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("mhero.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}/mhero.db\"\n[api]\nlisten = \"127.0.0.1:{port}\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let mut child = serve_command(dir.path(), &config).spawn().expect("spawn mhero");
    // Nobody reads the banner: printing it fails (EPIPE).
    drop(child.stdout.take());
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            break r.status().as_u16();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "mhero exited: {:?}",
            child.try_wait()
        );
        assert!(Instant::now() < deadline, "mhero did not serve within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(health, 200);
    // The token it could not print is in its file.
    let token = read_token(&dir.path().join("mhero.token"));
    let api = Api::for_base(&format!("http://127.0.0.1:{port}"), &token);
    assert_eq!(api.get("/contacts").await.0, 200);
    assert!(child.try_wait().unwrap().is_none(), "mhero exited");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_a_token_unless_public() {
    let env = Env::start(Db::Sqlite, "", "");
    let url = format!("{}/metrics", env.server.base);
    let client = reqwest::Client::new();
    let status = |r: reqwest::RequestBuilder| async move { r.send().await.unwrap().status().as_u16() };
    assert_eq!(status(client.get(&url)).await, 401);
    assert_eq!(
        status(client.get(&url).bearer_auth("not-a-token-at-all")).await,
        401
    );
    for who in [VIEWER, OPERATOR, ADMIN] {
        assert_eq!(status(client.get(&url).bearer_auth(who)).await, 200);
    }
    assert!(metrics_text(&env.server.base).await.contains("mhero_link_up"));
    // /healthz stays open for load balancers.
    assert_eq!(
        status(client.get(format!("{}/healthz", env.server.base))).await,
        200
    );

    let open = Env::start(Db::Sqlite, "", "[metrics]\npublic = true\n");
    let body = client
        .get(format!("{}/metrics", open.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(body.status().as_u16(), 200);
    assert!(body.text().await.unwrap().contains("mhero_link_up"));
}
