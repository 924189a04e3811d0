use serde_json::json;

use super::*;

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("fixture parses")
}

fn snapshot() -> RegistrySnapshot {
    let loc = |id: &str, name: &str, parent: Option<&str>, code: &str| -> (String, Location) {
        let mut v = json!({"resourceType": "Location", "id": id, "name": name,
            "type": [{"coding": [{"system": "http://ihris.org/fhir/CodeSystem/ihris-location-type", "code": code}]}]});
        if let Some(p) = parent {
            v["partOf"] = json!({"reference": format!("Location/{p}")});
        }
        (id.to_string(), parse(v))
    };
    RegistrySnapshot {
        practitioners: vec![
            parse(json!({"resourceType": "Practitioner", "id": "P1",
                "meta": {"tag": [{"system": "http://mhero.org/codesystem", "code": "optedout"}]},
                "identifier": [{"system": "http://app.rapidpro.io/contact-uuid", "value": "u1"},
                               {"system": "http://ihris.org/national-id", "value": "N-77"}],
                "name": [{"given": ["Amina"], "family": "Mushi"}], "gender": "female",
                "telecom": [{"system": "phone", "value": "0712 345 678"},
                            {"system": "phone", "value": "+255712345678"},
                            {"system": "phone", "value": "not a number"}]})),
            parse(
                json!({"resourceType": "Practitioner", "id": "P2", "name": [{"text": "No Phone"}],
                "telecom": [{"system": "email", "value": "x@y.org"}]}),
            ),
            parse(
                json!({"resourceType": "Practitioner", "id": "P3", "active": false,
                "telecom": [{"system": "phone", "value": "12"}, {"system": "phone", "value": "abc"}]}),
            ),
        ],
        roles: vec![
            parse(
                json!({"resourceType": "PractitionerRole", "id": "R0", "active": false,
                "practitioner": {"reference": "Practitioner/P1"}, "location": [{"reference": "Location/F9"}]}),
            ),
            parse(json!({"resourceType": "PractitionerRole", "id": "R1",
                "practitioner": {"reference": "Practitioner/P1"}, "organization": {"reference": "Organization/MOH"},
                "code": [{"coding": [{"system": "job", "code": "rn", "display": "Registered Nurse"},
                                     {"system": "cadre", "code": "nursing", "display": "Nursing"}]}],
                "location": [{"reference": "Location/F1"}]})),
        ],
        locations: [
            loc("F1", "Mwanza HC", Some("D1"), "facility"),
            loc("D1", "Ilemela", Some("R1"), "district"),
            loc("R1", "Mwanza Region", Some("C1"), "region"),
            loc("C1", "Tanzania", None, "country"),
        ]
        .into_iter()
        .collect(),
        organizations: [(
            "MOH".to_string(),
            parse(json!({"resourceType": "Organization", "id": "MOH", "name": "Ministry of Health"})),
        )]
        .into_iter()
        .collect(),
    }
}

fn config() -> MappingConfig {
    MappingConfig {
        default_country: Some("TZ".into()),
        areas: AreaLevels::default(),
        job_system: Some("job".into()),
        cadre_system: Some("cadre".into()),
        extra_fields: vec![
            ExtraField {
                name: "national_id".into(),
                source: FieldSource::Identifier {
                    system: "http://ihris.org/national-id".into(),
                },
            },
            ExtraField {
                name: "gender".into(),
                source: FieldSource::Gender,
            },
            ExtraField {
                name: "employer".into(),
                source: FieldSource::OrganizationName,
            },
        ],
    }
}

#[test]
fn worker_with_facility_chain_and_fields() {
    let report = map_workers(&snapshot(), &config());
    assert_eq!(report.workers.len(), 1);
    let w = &report.workers[0];
    assert_eq!(w.registry_id, "P1");
    assert_eq!(w.name.as_deref(), Some("Amina Mushi"));
    assert_eq!(w.phones, vec!["+255712345678"], "both spellings are one number");
    assert_eq!(w.rejected_phones.len(), 1);
    assert_eq!(
        w.facility.as_ref().map(|p| p.id.as_str()),
        Some("F1"),
        "the active role wins"
    );
    assert_eq!(
        w.district.as_ref().and_then(|p| p.name.as_deref()),
        Some("Ilemela")
    );
    assert_eq!(
        w.region.as_ref().and_then(|p| p.name.as_deref()),
        Some("Mwanza Region")
    );
    assert_eq!(
        w.organization.as_ref().and_then(|p| p.name.as_deref()),
        Some("Ministry of Health")
    );
    assert_eq!(w.job.as_deref(), Some("Registered Nurse"));
    assert_eq!(w.cadre.as_deref(), Some("Nursing"));
    assert_eq!(w.contact_uuid.as_deref(), Some("u1"));
    assert!(w.opted_out);
    assert!(w.active);
    assert_eq!(w.extra.get("national_id").map(String::as_str), Some("N-77"));
    assert_eq!(w.extra.get("gender").map(String::as_str), Some("female"));
    assert_eq!(
        w.extra.get("employer").map(String::as_str),
        Some("Ministry of Health")
    );
}

#[test]
fn records_without_a_usable_phone_are_reported_with_the_reason() {
    let report = map_workers(&snapshot(), &config());
    assert_eq!(report.skipped.len(), 2);
    assert_eq!(
        report.skipped[0],
        SkippedRecord {
            registry_id: "P2".into(),
            reason: SkipReason::NoPhone
        }
    );
    let SkipReason::NoUsablePhone { rejected } = &report.skipped[1].reason else {
        panic!("P3 should have unusable phones: {:?}", report.skipped[1]);
    };
    assert_eq!(rejected.len(), 2);
    assert!(report.skipped[1].reason.to_string().contains("\"abc\""));
}

#[test]
fn areas_by_type_code() {
    let config = MappingConfig {
        areas: AreaLevels::TypeCode {
            district: "district".into(),
            region: "region".into(),
        },
        ..config()
    };
    let w = &map_workers(&snapshot(), &config).workers[0];
    assert_eq!(w.district.as_ref().map(|p| p.id.as_str()), Some("D1"));
    assert_eq!(w.region.as_ref().map(|p| p.id.as_str()), Some("R1"));
}

#[test]
fn location_cycles_are_cut() {
    let mut s = snapshot();
    if let Some(c1) = s.locations.get_mut("C1") {
        c1.part_of = Some(Reference::to("Location", "D1"));
    }
    let w = &map_workers(&s, &config()).workers[0];
    assert_eq!(w.region.as_ref().map(|p| p.id.as_str()), Some("R1"));
}

#[test]
fn config_reads_from_toml_shaped_json() {
    let cfg: MappingConfig = serde_json::from_value(json!({
        "default_country": "UG",
        "areas": {"by": "type_code", "district": "district", "region": "region"},
        "extra_fields": [{"name": "ext", "source": {"from": "extension", "url": "http://x/e", "sub": null}}]
    }))
    .expect("parses");
    assert_eq!(cfg.default_country.as_deref(), Some("UG"));
    assert_eq!(
        cfg.extra_fields[0].source,
        FieldSource::Extension {
            url: "http://x/e".into(),
            sub: None
        }
    );
}
