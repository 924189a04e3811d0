//! `[[registries]]`: the FHIR R4 health-worker registries (iHRIS) the gateway
//! syncs contacts from, takes send requests from, and writes results to.
//! Several registries may feed one contact base; the same person in two of
//! them is one contact (merged by phone).

use serde::Deserialize;

use super::Secret;
use crate::fhir::mapping::{AreaLevels, ExtraField, MappingConfig};

/// Contact fields the sync fills itself (text fields, created on first sync);
/// configured extra fields may not reuse these names.
pub const FIXED_FIELDS: &[&str] = &[
    "registry_id",
    "facility",
    "facility_id",
    "district",
    "district_id",
    "region",
    "region_id",
    "organization",
    "job",
    "cadre",
];

/// Seconds between periodic syncs unless configured: emNutt's cron default.
pub const DEFAULT_SYNC_SECS: u64 = 300;
/// Seconds between polls for new `CommunicationRequest`s and write-backs.
pub const DEFAULT_POLL_SECS: u64 = 30;
/// A registry's sync lease is held this long past its last renewal, so a
/// node that dies mid-sync hands the registry to another node soon after.
pub const DEFAULT_LEASE_SECS: u64 = 120;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Short stable name (`ihris`, `tz-hrhis`): keys the sync state and the
    /// links between practitioners and contacts. Renaming it starts afresh.
    pub name: String,
    /// The FHIR base, e.g. `https://ihris.example/fhir`.
    pub base_url: String,
    #[serde(default)]
    pub auth: RegistryAuth,
    /// ISO 3166 alpha-2 country for numbers written without `+`; defaults
    /// to `contacts.default_country`.
    pub country: Option<String>,
    /// Seconds between syncs run by `serve`; 0 = only by `mhero registry sync`.
    #[serde(default = "default_sync_secs")]
    pub sync_interval_secs: u64,
    /// Seconds between polls for `CommunicationRequest?status=active` and
    /// between write-back rounds; 0 turns both off.
    #[serde(default = "default_poll_secs")]
    pub poll_interval_secs: u64,
    /// Write the contact-uuid identifier and the `optedout` tag back to
    /// Practitioners, and `Communication`s for messages.
    #[serde(default = "yes")]
    pub write_back: bool,
    /// Whole-request timeout towards this registry, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Which ancestors of a facility are the district and region.
    #[serde(default)]
    pub areas: AreaLevels,
    /// Coding system of the job in `PractitionerRole.code`; absent = first code's label.
    pub job_system: Option<String>,
    /// Coding system of the cadre in `PractitionerRole.code`/`.specialty`.
    pub cadre_system: Option<String>,
    /// More contact fields filled from the registry (`[[registries.fields]]`).
    #[serde(default)]
    pub fields: Vec<ExtraField>,
    /// Local static groups published to this registry as `Group` resources.
    #[serde(default)]
    pub export_groups: Vec<String>,
    /// Which flow's answers change this registry's records
    /// (`[registries.hr_update]`); absent = none do (phones still join
    /// `telecom` from the contact).
    pub hr_update: Option<HrUpdateConfig>,
    /// Health workers in no registry who finish this registration flow are
    /// created here as `Practitioner` + `PractitionerRole`
    /// (`[registries.self_registration]`); absent = off. At most one registry.
    pub self_registration: Option<SelfRegistrationConfig>,
}

/// The self-registration flow and the results that name the worker and
/// their facility.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfRegistrationConfig {
    /// The flow's uuid.
    pub flow: String,
    /// Result key of the worker's name; absent or empty = the contact's name.
    #[serde(default = "default_name_result")]
    pub name_result: String,
    /// Result key of the facility's name (a `Location` of the registry).
    #[serde(default = "default_facility_result")]
    pub facility_result: String,
}

fn default_name_result() -> String {
    "name".into()
}

/// The HR update flow and how its results map to registry records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HrUpdateConfig {
    /// The flow's uuid.
    pub flow: String,
    /// Result key whose value names the worker's facility (a `Location`
    /// name); it moves the worker's `PractitionerRole.location`.
    #[serde(default = "default_facility_result")]
    pub facility_result: String,
    /// Categories of that result meaning "this is a new facility".
    #[serde(default = "default_changed_categories")]
    pub changed_categories: Vec<String>,
    /// Categories meaning "my record is right"; a finished run whose results
    /// all fall in these confirmed the record, any other corrected it
    /// (the staffing view counts both).
    #[serde(default = "default_confirmed_categories")]
    pub confirmed_categories: Vec<String>,
}

fn default_confirmed_categories() -> Vec<String> {
    vec!["Confirmed".into()]
}

fn default_facility_result() -> String {
    "facility".into()
}
fn default_changed_categories() -> Vec<String> {
    vec!["Changed".into()]
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum RegistryAuth {
    #[default]
    None,
    Bearer {
        token: Secret,
    },
    Basic {
        user: String,
        password: Secret,
    },
}

fn default_sync_secs() -> u64 {
    DEFAULT_SYNC_SECS
}
fn default_poll_secs() -> u64 {
    DEFAULT_POLL_SECS
}
fn default_timeout_secs() -> u64 {
    crate::fhir::client::DEFAULT_TIMEOUT.as_secs()
}
fn yes() -> bool {
    true
}

impl RegistryConfig {
    /// How registry records map to contacts.
    pub fn mapping(&self, default_country: Option<&str>) -> MappingConfig {
        MappingConfig {
            default_country: self.country.clone().or(default_country.map(str::to_string)),
            areas: self.areas.clone(),
            job_system: self.job_system.clone(),
            cadre_system: self.cadre_system.clone(),
            extra_fields: self.fields.clone(),
        }
    }

    /// Problems with this registry's settings, as `(key, problem)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 32
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            out.push(("name".into(), "1-32 characters of a-z, 0-9, - and _".into()));
        }
        match url::Url::parse(&self.base_url) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            _ => out.push((
                "base_url".into(),
                format!("not an http(s) URL: {:?}", self.base_url),
            )),
        }
        if let Some(c) = &self.country {
            if c.parse::<phonenumber::country::Id>().is_err() {
                out.push(("country".into(), format!("unknown country code {c:?}")));
            }
        }
        if self.timeout_secs == 0 {
            out.push(("timeout_secs".into(), "must be at least 1".into()));
        }
        for (i, f) in self.fields.iter().enumerate() {
            if FIXED_FIELDS.contains(&f.name.as_str()) {
                out.push((
                    format!("fields[{i}].name"),
                    format!("{:?} is filled by the sync itself", f.name),
                ));
            }
        }
        out
    }
}

/// Every problem of every registry, with its key path.
pub fn validate_registries(registries: &[RegistryConfig], errors: &mut Vec<String>) {
    let mut names = std::collections::HashSet::new();
    let registering = registries
        .iter()
        .filter(|r| r.self_registration.is_some())
        .count();
    if registering > 1 {
        errors.push(format!(
            "registries: {registering} registries take self-registrations; at most one may"
        ));
    }
    for (i, r) in registries.iter().enumerate() {
        for (key, problem) in r.problems() {
            errors.push(format!("registries[{i}].{key}: {problem}"));
        }
        if !names.insert(r.name.as_str()) {
            errors.push(format!(
                "registries[{i}].name: duplicate registry name {:?}",
                r.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_str;

    #[test]
    fn a_registry_section_parses_with_defaults() {
        let text = r#"
            [[registries]]
            name = "ihris"
            base_url = "http://127.0.0.1:8081/fhir"
            country = "TZ"
            auth = { kind = "basic", user = "mhero", password = "pw-000000000001" }
            cadre_system = "http://ihris.org/fhir/CodeSystem/ihris-cadre"
            areas = { by = "type_code", district = "district", region = "region" }
            [[registries.fields]]
            name = "worker_id"
            source = { from = "identifier", system = "http://registry.example/worker-id" }
        "#;
        let c = load_str(text, Vec::new()).expect("valid");
        let r = &c.registries[0];
        assert_eq!(r.sync_interval_secs, super::DEFAULT_SYNC_SECS);
        assert!(r.write_back);
        assert_eq!(r.mapping(None).default_country.as_deref(), Some("TZ"));
        assert!(!format!("{c:?}").contains("pw-000000000001"));
    }

    #[test]
    fn bad_registries_are_reported_with_their_paths() {
        let text = r#"
            [[registries]]
            name = "a b"
            base_url = "ftp://x"
            country = "XX"
            [[registries]]
            name = "ok"
            base_url = "http://x/fhir"
            [[registries]]
            name = "ok"
            base_url = "http://x/fhir"
            [[registries.fields]]
            name = "facility"
            source = { from = "gender" }
        "#;
        let errs = load_str(text, Vec::new()).expect_err("invalid").0.join("\n");
        for needle in [
            "registries[0].name:",
            "registries[0].base_url: not an http(s) URL",
            "registries[0].country: unknown country code",
            "registries[2].name: duplicate registry name",
            "registries[2].fields[0].name: \"facility\" is filled by the sync itself",
        ] {
            assert!(errs.contains(needle), "missing {needle:?} in:\n{errs}");
        }
    }
}
