//! Reading the file and the environment, collecting every problem.

use std::fmt;
use std::path::Path;

use chrono::NaiveTime;
use serde::de::DeserializeOwned;

use super::sections::*;
use crate::core::time::SendingHours;

/// Every problem found, each with the path of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} configuration problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Config keys in the environment are `MHERO_<SECTION>__<KEY>`: the `__`
/// tells them from other `MHERO_` variables (`MHERO_CONFIG`, `MHERO_LOG`).
const ENV_PREFIX: &str = "MHERO_";
const ENV_SEPARATOR: &str = "__";

/// Load from an optional file plus the process environment.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigErrors> {
    let text = match path {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| ConfigErrors(vec![format!("{}: cannot read: {e}", p.display())]))?,
        None => String::new(),
    };
    load_str(&text, std::env::vars())
}

/// Load from TOML text and `(name, value)` environment pairs.
pub fn load_str(text: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let mut root: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => return Err(ConfigErrors(vec![format!("TOML syntax: {e}")])),
    };
    for (name, value) in env {
        if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
            if !rest.contains(ENV_SEPARATOR) {
                continue;
            }
            let path: Vec<String> = rest
                .split(ENV_SEPARATOR)
                .map(|s| s.to_ascii_lowercase())
                .collect();
            if let Err(e) = set_path(&mut root, &path, env_value(&value)) {
                errors.push(format!("{name}: {e}"));
            }
        }
    }

    let mut cfg = Config::default();
    for (key, value) in &root {
        let v = value.clone();
        match key.as_str() {
            "node" => cfg.node = section(key, v, &mut errors),
            "database" => cfg.database = section(key, v, &mut errors),
            "api" => cfg.api = section(key, v, &mut errors),
            "contacts" => cfg.contacts = section(key, v, &mut errors),
            "outbox" => cfg.outbox = section(key, v, &mut errors),
            "sending" => cfg.sending = section(key, v, &mut errors),
            "optout" => cfg.optout = section(key, v, &mut errors),
            "links" => cfg.links = list(key, v, &mut errors),
            "routes" => cfg.routes = list(key, v, &mut errors),
            "triggers" => cfg.triggers = list(key, v, &mut errors),
            "flows" => cfg.flows = section(key, v, &mut errors),
            "webhooks" => cfg.webhooks = section(key, v, &mut errors),
            "metrics" => cfg.metrics = section(key, v, &mut errors),
            "sip" => cfg.sip = section(key, v, &mut errors),
            "trunks" => cfg.trunks = list(key, v, &mut errors),
            "registries" => cfg.registries = list(key, v, &mut errors),
            "console" => cfg.console = section(key, v, &mut errors),
            other => errors.push(format!("{other}: unknown section")),
        }
    }
    if cfg.links.is_empty() && !root.contains_key("links") {
        cfg.links.push(LinkConfig {
            name: "simulator".into(),
            kind: LinkKindName::Simulator,
            rate: 0.0,
            receipt_wait_secs: DEFAULT_RECEIPT_WAIT_SECS,
            simulator: SimulatorConfig::default(),
            smpp: None,
        });
    }
    if cfg.routes.is_empty() && !root.contains_key("routes") {
        cfg.routes.push(default_route(&cfg.links));
    }
    validate(&mut cfg, &mut errors);
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// The route used when the file has none: every carrier link, in the
/// order written. The simulator reaches no phone, so it is left out as soon
/// as a real link exists (a message sent there would be marked delivered);
/// only a route that names it sends there.
fn default_route(links: &[LinkConfig]) -> RouteConfig {
    let real: Vec<String> = links
        .iter()
        .filter(|l| l.kind != LinkKindName::Simulator)
        .map(|l| l.name.clone())
        .collect();
    RouteConfig {
        prefix: String::new(),
        links: if real.is_empty() {
            links.iter().map(|l| l.name.clone()).collect()
        } else {
            real
        },
    }
}

fn env_value(raw: &str) -> toml::Value {
    // `MHERO_LINKS__0__RATE=50` is a number, `MHERO_API__LISTEN=...` a string.
    let probe = format!("v = {raw}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (first, rest) = path.split_first().ok_or("empty key")?;
    if rest.is_empty() {
        table.insert(first.clone(), value);
        return Ok(());
    }
    let node = table
        .entry(first.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match node {
        toml::Value::Table(t) => set_path(t, rest, value),
        // Environment paths index arrays: MHERO_LINKS__0__RATE.
        toml::Value::Array(items) => set_in_array(items, rest, value),
        _ => Err(format!("{first} is not a table")),
    }
}

fn set_in_array(items: &mut [toml::Value], path: &[String], value: toml::Value) -> Result<(), String> {
    let (idx, rest) = path.split_first().ok_or("missing array index")?;
    let i: usize = idx
        .parse()
        .map_err(|_| format!("{idx:?} is not an array index"))?;
    let item = items
        .get_mut(i)
        .ok_or_else(|| format!("index {i} is out of range"))?;
    match item {
        toml::Value::Table(t) if !rest.is_empty() => set_path(t, rest, value),
        _ if rest.is_empty() => {
            *item = value;
            Ok(())
        }
        _ => Err(format!("item {i} is not a table")),
    }
}

fn section<T: DeserializeOwned + Default>(path: &str, value: toml::Value, errors: &mut Vec<String>) -> T {
    let mut unknown = Vec::new();
    let mut note = |p: serde_ignored::Path<'_>| unknown.push(key_path(&p));
    let de = serde_ignored::Deserializer::new(value, &mut note);
    let out = match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => v,
        Err(e) => {
            let inner = e.path().to_string();
            let at = if inner == "." {
                path.to_string()
            } else {
                format!("{path}.{inner}")
            };
            errors.push(format!("{at}: {}", e.inner()));
            T::default()
        }
    };
    for u in unknown {
        errors.push(format!("{path}.{u}: unknown key"));
    }
    out
}

/// An ignored key's path as the file spells it: serde_ignored writes `?`
/// for the inside of an `Option`, which the file does not have.
fn key_path(p: &serde_ignored::Path<'_>) -> String {
    p.to_string()
        .split('.')
        .filter(|part| *part != "?")
        .collect::<Vec<_>>()
        .join(".")
}

fn list<T: DeserializeOwned>(path: &str, value: toml::Value, errors: &mut Vec<String>) -> Vec<T> {
    let toml::Value::Array(items) = value else {
        errors.push(format!("{path}: expected an array of tables ([[{path}]])"));
        return vec![];
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        // Tables without deny_unknown_fields (`[links.smpp]`) report a
        // misspelt key too.
        let mut unknown = Vec::new();
        let mut note = |p: serde_ignored::Path<'_>| unknown.push(key_path(&p));
        let de = serde_ignored::Deserializer::new(item, &mut note);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => out.push(v),
            Err(e) => {
                let inner = e.path().to_string();
                let at = if inner == "." {
                    format!("{path}[{i}]")
                } else {
                    format!("{path}[{i}].{inner}")
                };
                errors.push(format!("{at}: {}", e.inner()));
            }
        }
        for u in unknown {
            errors.push(format!("{path}[{i}].{u}: unknown key"));
        }
    }
    out
}

pub(super) fn parse_hours(s: &str) -> Option<SendingHours> {
    let (a, b) = s.split_once('-')?;
    let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").ok();
    Some(SendingHours {
        start: t(a)?,
        end: t(b)?,
    })
}

fn validate(cfg: &mut Config, errors: &mut Vec<String>) {
    super::trunks::validate_sip(&cfg.sip, errors);
    super::trunks::validate(&mut cfg.trunks, errors);
    let url = cfg.database.url.expose();
    if !(url.starts_with("sqlite:") || url.starts_with("postgres:") || url.starts_with("postgresql:")) {
        errors.push("database.url: must start with sqlite: or postgres:".into());
    }
    if cfg.database.max_connections == 0 {
        errors.push("database.max_connections: must be at least 1".into());
    }
    if let Some(c) = &cfg.contacts.default_country {
        if crate::core::urn::normalize_phone("+255712345678", Some(c)).is_err()
            || c.parse::<phonenumber::country::Id>().is_err()
        {
            errors.push(format!("contacts.default_country: unknown country code {c:?}"));
        }
    }
    if cfg.contacts.default_timezone.parse::<chrono_tz::Tz>().is_err() {
        errors.push(format!(
            "contacts.default_timezone: unknown time zone {:?}",
            cfg.contacts.default_timezone
        ));
    }
    if !cfg.sending.hours.trim().is_empty() {
        match parse_hours(&cfg.sending.hours) {
            Some(h) => cfg.sending.parsed_hours = Some(h),
            None => errors.push(format!(
                "sending.hours: expected HH:MM-HH:MM, got {:?}",
                cfg.sending.hours
            )),
        }
    }
    if let Some(p) = cfg.sending.price_per_segment {
        if !(p.is_finite() && p >= 0.0) {
            errors.push(format!("sending.price_per_segment: must be 0 or more, got {p}"));
        }
    }
    if cfg.outbox.claim_batch == 0 {
        errors.push("outbox.claim_batch: must be at least 1".into());
    }
    if cfg.outbox.max_attempts == 0 {
        errors.push("outbox.max_attempts: must be at least 1".into());
    }
    if cfg.outbox.heartbeat_secs == 0 || cfg.outbox.node_dead_after_secs <= cfg.outbox.heartbeat_secs {
        errors.push("outbox.node_dead_after_secs: must be longer than outbox.heartbeat_secs (> 0)".into());
    }
    let mut names = std::collections::HashSet::new();
    for (i, l) in cfg.links.iter().enumerate() {
        if l.name.trim().is_empty() {
            errors.push(format!("links[{i}].name: must not be empty"));
        }
        if !names.insert(l.name.clone()) {
            errors.push(format!("links[{i}].name: duplicate link name {:?}", l.name));
        }
        if let Err(e) = crate::core::rate::LINK_RATE.check(l.rate) {
            errors.push(format!("links[{i}].rate: {e}"));
        }
        if l.kind == LinkKindName::Smpp && l.smpp.is_none() {
            errors.push(format!(
                "links[{i}].smpp: an smpp link needs a [links.smpp] table"
            ));
        }
    }
    for (i, r) in cfg.routes.iter().enumerate() {
        if !r.prefix.is_empty() && !r.prefix.starts_with('+') {
            errors.push(format!(
                "routes[{i}].prefix: must be empty or start with + (E.164), got {:?}",
                r.prefix
            ));
        }
        if r.links.is_empty() {
            errors.push(format!("routes[{i}].links: must name at least one link"));
        }
        for l in &r.links {
            if !names.contains(l) {
                errors.push(format!("routes[{i}].links: unknown link {l:?}"));
            }
        }
    }
    for (i, t) in cfg.triggers.iter().enumerate() {
        if let Err((field, problem)) = t.validate() {
            errors.push(format!("triggers[{i}].{field}: {problem}"));
        }
    }
    super::validate_registries(&cfg.registries, errors);
    if cfg.console.idle_timeout_mins == 0 || cfg.console.session_lifetime_hours == 0 {
        errors.push("console.idle_timeout_mins, console.session_lifetime_hours: must be at least 1".into());
    }
    for (i, t) in cfg.api.tokens.iter().enumerate() {
        if t.token.expose().len() < 16 {
            errors.push(format!("api.tokens[{i}].token: must be at least 16 characters"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn empty_config_is_the_first_run_default() {
        let c = load_str("", env(&[])).unwrap();
        assert_eq!(c.database.url.expose(), "sqlite://mhero.db");
        assert_eq!(c.links.len(), 1);
        assert_eq!(c.links[0].kind, LinkKindName::Simulator);
        assert_eq!(c.routes[0].links, vec!["simulator".to_string()]);
        assert_eq!(c.api.listen.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn the_default_route_never_fails_over_to_the_simulator() {
        let links = r#"
            [[links]]
            name = "simulator"
            kind = "simulator"
            [[links]]
            name = "carrier"
            kind = "smpp"
            [links.smpp]
            host = "127.0.0.1"
            port = 2775
            system_id = "mhero"
            password = "pw"
        "#;
        let c = load_str(links, env(&[])).unwrap();
        assert_eq!(c.routes.len(), 1);
        assert_eq!(c.routes[0].links, vec!["carrier".to_string()]);
        // Named in a route, it is a target.
        let named = format!("{links}\n[[routes]]\nlinks = [\"carrier\", \"simulator\"]\n");
        let c = load_str(&named, env(&[])).unwrap();
        assert_eq!(c.routes[0].links, ["carrier", "simulator"].map(String::from));
        // Simulators alone: the default route is theirs.
        let two =
            "[[links]]\nname = \"a\"\nkind = \"simulator\"\n[[links]]\nname = \"b\"\nkind = \"simulator\"\n";
        assert_eq!(
            load_str(two, env(&[])).unwrap().routes[0].links,
            ["a", "b"].map(String::from)
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let text = r#"
            colour = "blue"
            [database]
            url = "mysql://x"
            max_conections = 3
            [api]
            listen = "nowhere"
            [contacts]
            default_timezone = "Mars/Olympus"
            [sending]
            hours = "8-20"
            [[links]]
            name = "a"
            kind = "simulator"
            rate = -1
            [[links]]
            name = "b"
            kind = "carrier-pigeon"
            [[routes]]
            prefix = "255"
            links = ["zzz"]
        "#;
        let errs = load_str(text, env(&[])).unwrap_err().0;
        let joined = errs.join("\n");
        for needle in [
            "colour: unknown section",
            "database.url: must start with",
            "database.max_conections: unknown key",
            "api.listen:",
            "contacts.default_timezone: unknown time zone",
            "sending.hours: expected HH:MM-HH:MM",
            "links[0].rate: must be 0",
            "links[1].kind:",
            "routes[0].prefix: must be empty or start with +",
            "routes[0].links: unknown link \"zzz\"",
        ] {
            assert!(joined.contains(needle), "missing {needle:?} in:\n{joined}");
        }
    }

    #[test]
    fn a_link_rate_is_zero_or_within_its_range() {
        let link = |rate: &str| format!("[[links]]\nname = \"a\"\nkind = \"simulator\"\nrate = {rate}\n");
        // 1e-300 once passed here and panicked `serve` at start.
        for bad in ["1e-300", "0.0009", "-1", "1e7", "inf", "nan"] {
            let errs = load_str(&link(bad), env(&[])).unwrap_err().0;
            assert!(
                errs.iter().any(
                    |e| e.starts_with("links[0].rate: must be 0 (no limit) or between 0.001 and 1000000")
                ),
                "{bad}: {errs:?}"
            );
        }
        for good in ["0", "0.001", "12.5", "1000000"] {
            assert!(load_str(&link(good), env(&[])).is_ok(), "{good}");
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let text = "[[links]]\nname = \"sim\"\nkind = \"simulator\"\nrate = 10\n";
        let c = load_str(
            text,
            env(&[
                ("MHERO_API__LISTEN", "127.0.0.1:9999"),
                ("MHERO_LINKS__0__RATE", "55.5"),
                ("MHERO_DATABASE__URL", "postgres://u:p@localhost/db"),
                ("MHERO_CONFIG", "/ignored"),
                ("MHERO_BENCH_QUICK", "1"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.api.listen.port(), 9999);
        assert_eq!(c.links[0].rate, 55.5);
        assert!(c.database.url.expose().starts_with("postgres://"));
        // The secret never reaches Debug output.
        assert!(!format!("{c:?}").contains("u:p@"));
    }

    #[test]
    fn a_misspelt_key_in_a_list_table_is_reported() {
        let text = "[[links]]\nname = \"c\"\nkind = \"smpp\"\n[links.smpp]\nhost = \"h\"\nport = 2775\n\
                    system_id = \"s\"\npassword = \"p\"\nwindw = 5\n";
        let errs = load_str(text, env(&[])).unwrap_err().0.join("\n");
        assert!(errs.contains("links[0].smpp.windw: unknown key"), "{errs}");
    }

    #[test]
    fn the_example_file_is_valid() {
        let text = include_str!("../../deploy/mhero.example.toml");
        let c = load_str(text, env(&[])).unwrap();
        assert_eq!(c.sending.window().start.to_string(), "08:00:00");
        assert_eq!(c.triggers.len(), 1);
        // The example spells out the built-in opt-out defaults.
        let defaults = OptoutConfig::default();
        assert_eq!(c.optout.stop_words, defaults.stop_words);
        assert_eq!(c.optout.start_words, defaults.start_words);
        assert_eq!(c.optout.stop_reply, defaults.stop_reply);
        assert_eq!(c.optout.start_reply, defaults.start_reply);
    }

    #[test]
    fn operator_is_read_as_sender_and_the_console_keys_parse() {
        let text = "[api]\ntokens = [{ name = \"o\", token = \"0123456789abcdef0\", role = \"operator\" }]\n\
                    [console]\nsecure_cookies = true\ntrust_forwarded = true\nidle_timeout_mins = 30\n";
        let c = load_str(text, env(&[])).unwrap();
        assert_eq!(c.api.tokens[0].role, Role::Sender);
        assert_eq!("operator".parse::<Role>(), Ok(Role::Sender));
        assert_eq!(c.console.secure_cookies, SecureCookies::Always(true));
        assert!(c.console.trust_forwarded);
        assert_eq!(
            (c.console.idle_timeout_mins, c.console.session_lifetime_hours),
            (30, 168)
        );
        let auto = load_str("[console]\nsecure_cookies = \"auto\"\n", env(&[])).unwrap();
        assert_eq!(auto.console.secure_cookies, SecureCookies::Auto(AutoWord::Auto));
        let errs = load_str("[console]\nsecure_cookies = \"sometimes\"\n", env(&[]))
            .unwrap_err()
            .0
            .join("\n");
        assert!(errs.contains("console.secure_cookies"), "{errs}");
        let errs = load_str("[console]\nidle_timeout_mins = 0\n", env(&[]))
            .unwrap_err()
            .0
            .join("\n");
        assert!(errs.contains("console.idle_timeout_mins"), "{errs}");
    }
}
