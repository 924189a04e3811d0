//! Registry resources → [`RegistryWorker`], the plain record the contact
//! store takes. Pure: the caller fetches Practitioner, PractitionerRole,
//! Location and Organization and hands them over in a [`RegistrySnapshot`].
//! A worker without a usable phone is reported with its reason, never dropped
//! silently. Knows nothing of HTTP or the store.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::mhero;
use super::resources::{
    find_extension, Extension, Location, Organization, Practitioner, PractitionerRole, Reference,
};
use crate::core::urn::normalize_phone;

/// Deepest `Location.partOf` chain we follow: real hierarchies are 3–6 levels
/// (facility, district, region, country); more means a cycle or a data error.
pub const MAX_LOCATION_DEPTH: usize = 16;

/// How to read the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingConfig {
    /// ISO 3166 alpha-2 country for numbers written without `+` (e.g. `TZ`).
    pub default_country: Option<String>,
    /// Which ancestors of a facility are its district and region.
    #[serde(default)]
    pub areas: AreaLevels,
    /// Coding system of the job in `PractitionerRole.code`; `None` = first code's label.
    #[serde(default)]
    pub job_system: Option<String>,
    /// Coding system of the cadre in `PractitionerRole.code` or `.specialty`; `None` = no cadre.
    #[serde(default)]
    pub cadre_system: Option<String>,
    /// Extra contact fields to fill from the registry.
    #[serde(default)]
    pub extra_fields: Vec<ExtraField>,
}

/// How district and region are found in the facility's `partOf` chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum AreaLevels {
    /// By position above the facility (1 = its parent).
    Depth { district: usize, region: usize },
    /// By a code in `Location.type` (e.g. iHRIS's `district`, `region`).
    TypeCode { district: String, region: String },
}

impl Default for AreaLevels {
    fn default() -> Self {
        AreaLevels::Depth {
            district: 1,
            region: 2,
        }
    }
}

/// One extra contact field: its name in the store and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    pub name: String,
    pub source: FieldSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum FieldSource {
    /// `Practitioner.identifier` value with this system.
    Identifier { system: String },
    /// A `Practitioner` extension's value (or its sub-extension's).
    Extension { url: String, sub: Option<String> },
    /// `Practitioner.gender`.
    Gender,
    /// A code of the role (`code` or `specialty`) in this system, by label.
    RoleCode { system: String },
    /// The role's organization name.
    OrganizationName,
    /// The facility's identifier value with this system.
    FacilityIdentifier { system: String },
}

/// The registry resources to map, by id.
#[derive(Debug, Clone, Default)]
pub struct RegistrySnapshot {
    pub practitioners: Vec<Practitioner>,
    pub roles: Vec<PractitionerRole>,
    pub locations: HashMap<String, Location>,
    pub organizations: HashMap<String, Organization>,
}

/// A place (facility, district, region, organization) by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub id: String,
    pub name: Option<String>,
}

/// A phone number that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedPhone {
    pub raw: String,
    pub reason: String,
}

/// A health worker as the contact store takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryWorker {
    /// `Practitioner.id`.
    pub registry_id: String,
    pub name: Option<String>,
    /// E.164, best first, without duplicates.
    pub phones: Vec<String>,
    /// Numbers present but unusable (kept so operators can fix the registry).
    pub rejected_phones: Vec<RejectedPhone>,
    pub facility: Option<Place>,
    pub district: Option<Place>,
    pub region: Option<Place>,
    pub organization: Option<Place>,
    pub job: Option<String>,
    pub cadre: Option<String>,
    /// The RapidPro contact uuid already on the record, if any.
    pub contact_uuid: Option<String>,
    pub extra: BTreeMap<String, String>,
    pub opted_out: bool,
    /// `Practitioner.active` (absent counts as active).
    pub active: bool,
}

/// Why a practitioner did not become a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    #[error("the Practitioner has no id")]
    NoId,
    #[error("no telecom with system=phone")]
    NoPhone,
    #[error("no usable phone number ({})", describe(.rejected))]
    NoUsablePhone { rejected: Vec<RejectedPhone> },
}

fn describe(rejected: &[RejectedPhone]) -> String {
    rejected
        .iter()
        .map(|r| format!("{:?}: {}", r.raw, r.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRecord {
    /// `Practitioner.id`, or `?` if it has none.
    pub registry_id: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingReport {
    pub workers: Vec<RegistryWorker>,
    pub skipped: Vec<SkippedRecord>,
}

/// Map every practitioner in `snapshot`.
pub fn map_workers(snapshot: &RegistrySnapshot, config: &MappingConfig) -> MappingReport {
    let mut roles: HashMap<&str, Vec<&PractitionerRole>> = HashMap::new();
    for role in &snapshot.roles {
        if let Some(id) = role.practitioner.as_ref().and_then(|p| p.id_of("Practitioner")) {
            roles.entry(id).or_default().push(role);
        }
    }
    let mut report = MappingReport::default();
    for p in &snapshot.practitioners {
        let id = p.id.as_deref().unwrap_or("");
        let own = roles.get(id).map(Vec::as_slice).unwrap_or(&[]);
        match map_worker(p, own, snapshot, config) {
            Ok(worker) => report.workers.push(worker),
            Err(reason) => {
                let registry_id = p.id.clone().unwrap_or_else(|| "?".to_string());
                tracing::info!(%registry_id, %reason, "registry record skipped");
                report.skipped.push(SkippedRecord { registry_id, reason });
            }
        }
    }
    report
}

/// Map one practitioner given its roles.
pub fn map_worker(
    p: &Practitioner,
    roles: &[&PractitionerRole],
    snapshot: &RegistrySnapshot,
    config: &MappingConfig,
) -> Result<RegistryWorker, SkipReason> {
    let registry_id = p.id.clone().filter(|id| !id.is_empty()).ok_or(SkipReason::NoId)?;
    let raw_phones = p.phones();
    if raw_phones.is_empty() {
        return Err(SkipReason::NoPhone);
    }
    let (phones, rejected_phones) = normalise_phones(&raw_phones, config.default_country.as_deref());
    if phones.is_empty() {
        return Err(SkipReason::NoUsablePhone {
            rejected: rejected_phones,
        });
    }
    // The first active role with a facility is where the worker is now.
    let role = roles
        .iter()
        .find(|r| r.active != Some(false) && !r.location.is_empty())
        .or_else(|| roles.first())
        .copied();
    let facility_loc = role
        .and_then(|r| r.location.first())
        .and_then(|l| lookup_location(l, snapshot));
    let chain = facility_loc.map(|f| ancestors(f, snapshot)).unwrap_or_default();
    let (district, region) = areas(&chain, &config.areas);
    let organization = role
        .and_then(|r| r.organization.as_ref())
        .and_then(|o| o.id_of("Organization"))
        .map(|id| Place {
            id: id.to_string(),
            name: snapshot.organizations.get(id).and_then(|o| o.name.clone()),
        });
    let job = role.and_then(|r| match &config.job_system {
        Some(system) => role_code(r, system),
        None => r.code.first().and_then(|c| c.label()).map(str::to_string),
    });
    let cadre = role
        .zip(config.cadre_system.as_ref())
        .and_then(|(r, system)| role_code(r, system));
    let mut extra = BTreeMap::new();
    for field in &config.extra_fields {
        if let Some(value) = extra_field(&field.source, p, role, facility_loc, organization.as_ref()) {
            extra.insert(field.name.clone(), value);
        }
    }
    Ok(RegistryWorker {
        registry_id,
        name: p.display_name(),
        phones,
        rejected_phones,
        facility: facility_loc.map(place),
        district: district.map(place),
        region: region.map(place),
        organization,
        job,
        cadre,
        contact_uuid: mhero::contact_uuid(&p.identifier).map(str::to_string),
        extra,
        opted_out: mhero::is_opted_out(p.meta.as_ref()),
        active: p.active != Some(false),
    })
}

fn normalise_phones(raw: &[&str], country: Option<&str>) -> (Vec<String>, Vec<RejectedPhone>) {
    let mut phones: Vec<String> = Vec::new();
    let mut rejected = Vec::new();
    for raw in raw {
        match normalize_phone(raw, country) {
            // Short codes normalise to bare digits: they reach a service, not a person.
            Ok(e164) if !e164.starts_with('+') => rejected.push(RejectedPhone {
                raw: raw.to_string(),
                reason: "a short code, not a personal number".to_string(),
            }),
            Ok(e164) if !phones.contains(&e164) => phones.push(e164),
            Ok(_) => {}
            Err(e) => rejected.push(RejectedPhone {
                raw: raw.to_string(),
                reason: e.to_string(),
            }),
        }
    }
    (phones, rejected)
}

fn lookup_location<'a>(r: &Reference, snapshot: &'a RegistrySnapshot) -> Option<&'a Location> {
    snapshot.locations.get(r.id_of("Location")?)
}

/// The facility's ancestors, nearest first, stopping at cycles and at `MAX_LOCATION_DEPTH`.
fn ancestors<'a>(facility: &'a Location, snapshot: &'a RegistrySnapshot) -> Vec<&'a Location> {
    let mut chain: Vec<&Location> = Vec::new();
    let mut current = facility;
    while let Some(parent) = current
        .part_of
        .as_ref()
        .and_then(|r| lookup_location(r, snapshot))
    {
        let seen = |l: &&Location| l.id == parent.id;
        if chain.len() >= MAX_LOCATION_DEPTH || parent.id == facility.id || chain.iter().any(seen) {
            tracing::warn!(facility = ?facility.id, "Location.partOf chain too deep or cyclic; cut");
            break;
        }
        chain.push(parent);
        current = parent;
    }
    chain
}

fn areas<'a>(chain: &[&'a Location], levels: &AreaLevels) -> (Option<&'a Location>, Option<&'a Location>) {
    match levels {
        AreaLevels::Depth { district, region } => {
            let at = |depth: usize| depth.checked_sub(1).and_then(|i| chain.get(i)).copied();
            (at(*district), at(*region))
        }
        AreaLevels::TypeCode { district, region } => {
            let with = |code: &str| {
                chain.iter().copied().find(|l| {
                    l.type_
                        .iter()
                        .flat_map(|t| &t.coding)
                        .any(|c| c.code.as_deref() == Some(code))
                })
            };
            (with(district), with(region))
        }
    }
}

fn place(l: &Location) -> Place {
    Place {
        id: l.id.clone().unwrap_or_default(),
        name: l.name.clone(),
    }
}

fn role_code(role: &PractitionerRole, system: &str) -> Option<String> {
    role.code
        .iter()
        .chain(&role.specialty)
        .flat_map(|c| &c.coding)
        .find_map(|c| {
            (c.system.as_deref() == Some(system)).then(|| c.display.clone().or_else(|| c.code.clone()))?
        })
}

fn extra_field(
    source: &FieldSource,
    p: &Practitioner,
    role: Option<&PractitionerRole>,
    facility: Option<&Location>,
    organization: Option<&Place>,
) -> Option<String> {
    let identifier = |ids: &[super::resources::Identifier], system: &str| {
        ids.iter()
            .find(|i| i.system.as_deref() == Some(system))
            .and_then(|i| i.value.clone())
    };
    match source {
        FieldSource::Identifier { system } => identifier(&p.identifier, system),
        FieldSource::Extension { url, sub } => {
            let ext = find_extension(&p.extension, url)?;
            let ext = match sub {
                Some(sub) => ext.sub(sub)?,
                None => ext,
            };
            ext.value_text().map(str::to_string).or_else(|| value_scalar(ext))
        }
        FieldSource::Gender => p.gender.clone(),
        FieldSource::RoleCode { system } => role_code(role?, system),
        FieldSource::OrganizationName => organization?.name.clone(),
        FieldSource::FacilityIdentifier { system } => identifier(&facility?.identifier, system),
    }
}

fn value_scalar(ext: &Extension) -> Option<String> {
    ext.value_bool()
        .map(|b| b.to_string())
        .or_else(|| ext.value_i64().map(|n| n.to_string()))
}

#[cfg(test)]
mod tests;
