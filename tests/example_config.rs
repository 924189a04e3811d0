//! `deploy/mhero.example.toml` documents every key the code reads: with
//! every commented-out setting uncommented (an SMPP link with all its keys,
//! a trunk, a registry with its tables) `mhero check-config` accepts it,
//! unknown keys being errors; and every field of the configuration structs
//! (read from their source) appears in it as a key.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The example with commented-out settings (`# key = value`, `# [table]`,
/// and the lines of a commented multi-line value) made live; prose
/// comments stay comments.
fn uncommented(example: &str) -> String {
    let setting = regex::Regex::new(r"^# ?(\[\[?[a-z_.]+\]\]?(\s+#.*)?|[a-z_]+ = .*)$").unwrap();
    let mut out = Vec::new();
    let mut open = 0i32;
    for line in example.lines() {
        if open > 0 {
            // Inside a commented multi-line value: take the line as it is.
            let live = line.strip_prefix('#').unwrap_or(line).to_owned();
            open += depth(&live);
            out.push(live);
        } else if let Some(caps) = setting.captures(line) {
            let live = caps[1].to_owned();
            open += depth(&live);
            out.push(live);
        } else {
            out.push(line.to_owned());
        }
    }
    out.join("\n")
}

/// Brackets and braces a line opens and does not close, outside strings.
fn depth(line: &str) -> i32 {
    let mut depth = 0;
    let mut in_string = false;
    for c in line.chars() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => break,
            '[' | '{' if !in_string => depth += 1,
            ']' | '}' if !in_string => depth -= 1,
            _ => {}
        }
    }
    depth
}

#[test]
fn the_example_with_every_setting_uncommented_passes_check_config() {
    let example = std::fs::read_to_string(repo("deploy/mhero.example.toml")).unwrap();
    let live = uncommented(&example);
    for table in [
        "[links.smpp]",
        "[links.smpp.timeouts]",
        "[[trunks]]",
        "[[registries]]",
        "[[registries.fields]]",
    ] {
        assert!(
            live.lines().any(|l| l.trim() == table),
            "{table} is not in the example"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("every-key.toml");
    std::fs::write(&path, &live).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mhero"))
        .arg("check-config")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{said}\n--- the uncommented example ---\n{live}"
    );
    assert!(said.contains("2 link(s)"), "{said}");
}

/// The types the sections deserialize into, by source file.
const CONFIG_TYPES: &[(&str, &[&str])] = &[
    (
        "src/config/sections.rs",
        &[
            "NodeConfig",
            "DatabaseConfig",
            "TokenConfig",
            "ApiConfig",
            "ContactsConfig",
            "OutboxConfig",
            "SendingConfig",
            "OptoutConfig",
            "LinkConfig",
            "SimulatorConfig",
            "RouteConfig",
            "TriggerConfig",
            "FlowsConfig",
            "WebhooksConfig",
        ],
    ),
    (
        "src/config/trunks.rs",
        &["TrunkConfig", "SipConfig", "RegisterConfig", "InboundRoute"],
    ),
    (
        "src/config/registries.rs",
        &[
            "RegistryConfig",
            "SelfRegistrationConfig",
            "HrUpdateConfig",
            "RegistryAuth",
        ],
    ),
    ("src/smpp/config.rs", &["BindGroup", "SmppConfig", "Timeouts"]),
    ("src/smpp/encoding/mod.rs", &["EncodeOptions"]),
    ("src/smpp/receipt.rs", &["IdNormalisation"]),
    (
        "src/fhir/mapping.rs",
        &["AreaLevels", "ExtraField", "FieldSource"],
    ),
];

/// Fields read from the file that the example leaves out, with the reason.
const UNDOCUMENTED: &[(&str, &str)] = &[(
    "flow_name",
    "[[trunks]] inbound: parsed but unused; the flow's name goes after # in flow",
)];

/// The keys of type `name` in `source`: its fields (a struct's, or an
/// enum's struct variants'), renamed as serde renames them, less those
/// serde skips.
fn keys_of(source: &str, name: &str) -> BTreeSet<String> {
    let field = regex::Regex::new(r"\b([a-z_][a-z0-9_]*)\s*:\s").unwrap();
    let rename = regex::Regex::new(r#"rename = "([a-z_]+)""#).unwrap();
    let header = regex::Regex::new(&format!(r"^pub (struct|enum) {name}\b")).unwrap();
    let mut lines = source.lines().map(str::trim).skip_while(|l| !header.is_match(l));
    assert!(lines.next().is_some(), "no type {name}");
    let mut keys = BTreeSet::new();
    let (mut pending_rename, mut skip) = (None, false);
    for line in lines {
        if line == "}" {
            break;
        }
        let code = line.split("//").next().unwrap_or_default();
        if line.starts_with("#[") {
            skip |= line.contains("serde(skip");
            if let Some(r) = rename.captures(line).filter(|_| !line.contains("rename_all")) {
                pending_rename = Some(r[1].to_owned());
            }
            continue;
        }
        for caps in field.captures_iter(code) {
            let key = pending_rename.take().unwrap_or_else(|| caps[1].to_owned());
            if !skip {
                keys.insert(key);
            }
            skip = false;
        }
    }
    keys
}

#[test]
fn every_key_of_the_configuration_structs_is_in_the_example() {
    let example = std::fs::read_to_string(repo("deploy/mhero.example.toml")).unwrap();
    let mut missing = Vec::new();
    let mut seen = 0;
    for (source, types) in CONFIG_TYPES {
        let text = std::fs::read_to_string(repo(source)).unwrap();
        for name in *types {
            for key in keys_of(&text, name) {
                seen += 1;
                if UNDOCUMENTED.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                let as_key =
                    regex::Regex::new(&format!(r"(^|[\s{{,#]){key}\s*=|\[{key}\]|\.{key}\]")).unwrap();
                if !example.lines().any(|l| as_key.is_match(l)) {
                    missing.push(format!("{name}.{key} ({source})"));
                }
            }
        }
    }
    assert!(seen > 100, "only {seen} keys found: the scan is broken");
    assert!(
        missing.is_empty(),
        "not in deploy/mhero.example.toml: {missing:#?}"
    );
}
