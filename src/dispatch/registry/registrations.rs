//! Self-registration: a health worker in no registry who finishes the
//! configured registration flow is created in the registry that takes
//! self-registrations, as emNutt creates Practitioners from RapidPro-only
//! contacts (§1.4 (f): id = contact uuid, the contact-uuid identifier, the
//! phone), with a `PractitionerRole` at the facility they named. A facility
//! the registry does not know (or knows twice) creates nothing and is
//! reported in `registry_conflicts`. Both are PUT with ids derived from the
//! contact, so a repeat changes nothing; the contact is then linked as if
//! synced.

use crate::config::SelfRegistrationConfig;
use crate::fhir::mhero::set_contact_uuid;
use crate::fhir::resources::{
    BundleEntry, ContactPoint, HumanName, Practitioner, PractitionerRole, Reference,
};
use crate::fhir::write_back::ID_NAMESPACE;
use crate::fhir::FhirClient;
use crate::store::{NewConflict, Registration, Store, StoreError};

use super::hr_update::facility_named;

/// Registrations handled per call; the rest wait for the next round.
const REGISTRATION_ROUND: i64 = 100;

/// What one call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registered {
    pub created: usize,
    pub refused: usize,
    pub errors: Vec<String>,
}

/// The `Practitioner` and `PractitionerRole` of a registration.
pub fn registration_resources(
    r: &Registration,
    name_result: &str,
    location_id: &str,
) -> (Practitioner, PractitionerRole) {
    let name = r
        .results
        .get(name_result)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .or_else(|| r.contact_name.clone());
    let mut identifier = Vec::new();
    set_contact_uuid(&mut identifier, &r.contact_uuid);
    let practitioner = Practitioner {
        id: Some(r.contact_uuid.clone()),
        active: Some(true),
        identifier,
        name: name
            .map(|text| HumanName {
                use_: Some("official".into()),
                text: Some(text),
                ..HumanName::default()
            })
            .into_iter()
            .collect(),
        telecom: r
            .phones
            .iter()
            .map(|p| ContactPoint {
                use_: Some("mobile".into()),
                ..ContactPoint::phone(p)
            })
            .collect(),
        ..Practitioner::default()
    };
    let role = PractitionerRole {
        id: Some(
            uuid::Uuid::new_v5(
                &ID_NAMESPACE,
                format!("PractitionerRole:{}", r.contact_uuid).as_bytes(),
            )
            .to_string(),
        ),
        active: Some(true),
        practitioner: Some(Reference::to("Practitioner", &r.contact_uuid)),
        location: vec![Reference::to("Location", location_id)],
        ..PractitionerRole::default()
    };
    (practitioner, role)
}

/// Create the pending registrations of `registry`.
pub async fn register(
    store: &Store,
    registry: &str,
    client: &FhirClient,
    config: &SelfRegistrationConfig,
) -> Result<Registered, StoreError> {
    let mut out = Registered::default();
    for r in store
        .pending_registrations(registry, &config.flow, REGISTRATION_ROUND)
        .await?
    {
        let facility = r
            .results
            .get(&config.facility_result)
            .map(|f| f.trim().to_string())
            .unwrap_or_default();
        let location = match facility_named(client, &facility).await {
            Ok(found) => found,
            Err(e) => {
                out.errors.push(e.to_string());
                continue;
            }
        };
        let location = match location {
            Ok(id) => id,
            Err(reason) => {
                tracing::warn!(registry, contact = %r.contact_uuid, reason, "self-registration refused");
                store
                    .record_registry_conflict(
                        registry,
                        &NewConflict {
                            resource: &format!("Practitioner/{}", r.contact_uuid),
                            field: "self_registration",
                            ours: &facility,
                            theirs: None,
                            reason: &reason,
                            run_uuid: &r.run_uuid,
                            answered_on: r.finished_on,
                            registry_updated_on: None,
                        },
                    )
                    .await?;
                out.refused += 1;
                continue;
            }
        };
        let (practitioner, role) = registration_resources(&r, &config.name_result, &location);
        let entries: Vec<BundleEntry> = [BundleEntry::put(&practitioner), BundleEntry::put(&role)]
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        // One transaction: never a Practitioner without its role.
        match client.transaction(entries).await {
            Ok(_) => {
                store
                    .link_registered(
                        registry,
                        &r.contact_uuid,
                        r.contact_id,
                        &r.contact_uuid,
                        &r.phones,
                    )
                    .await?;
                out.created += 1;
            }
            Err(e) => out
                .errors
                .push(format!("registering contact {}: {e}", r.contact_uuid)),
        }
    }
    if out.created > 0 {
        tracing::info!(registry, created = out.created, "self-registered workers created");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_is_emnutts_practitioner_with_a_role() {
        let r = Registration {
            run_uuid: "run".into(),
            contact_id: 1,
            contact_uuid: "c-1".into(),
            contact_name: Some("From SMS".into()),
            phones: vec!["+255700000001".into()],
            results: [("name".to_string(), " Amina Mushi ".to_string())].into(),
            finished_on: 0,
        };
        let (p, role) = registration_resources(&r, "name", "F1");
        assert_eq!(p.id.as_deref(), Some("c-1"));
        assert_eq!(p.display_name().as_deref(), Some("Amina Mushi"));
        assert_eq!(crate::fhir::mhero::contact_uuid(&p.identifier), Some("c-1"));
        assert_eq!(p.phones(), ["+255700000001"]);
        assert_eq!(role.location, vec![Reference::to("Location", "F1")]);
        let (_, again) = registration_resources(&r, "name", "F1");
        assert_eq!(role.id, again.id, "the role's id is derived, not random");
        let unnamed = Registration {
            results: Default::default(),
            ..r
        };
        assert_eq!(
            registration_resources(&unnamed, "name", "F1")
                .0
                .display_name()
                .as_deref(),
            Some("From SMS")
        );
    }
}
