//! Arbitrary bytes as every FHIR resource we parse: never panics, and what
//! parses re-parses from our own output to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::fhir::resources::{
    AnyResource, Basic, Bundle, Communication, CommunicationRequest, Group, Location, OperationOutcome,
    Organization, Practitioner, PractitionerRole, QuestionnaireResponse,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(any) = AnyResource::parse(data) {
        let written = serde_json::to_vec(&any).expect("a parsed resource serialises");
        let again = AnyResource::parse(&written).expect("we read what we write");
        assert_eq!(any, again);
    }
    let _ = serde_json::from_slice::<Basic>(data);
    let _ = serde_json::from_slice::<Communication>(data);
    let _ = serde_json::from_slice::<CommunicationRequest>(data);
    let _ = serde_json::from_slice::<Group>(data);
    let _ = serde_json::from_slice::<Location>(data);
    let _ = serde_json::from_slice::<Organization>(data);
    let _ = serde_json::from_slice::<PractitionerRole>(data);
    let _ = serde_json::from_slice::<QuestionnaireResponse>(data);
    if let Ok(p) = serde_json::from_slice::<Practitioner>(data) {
        let _ = (p.display_name(), p.phones());
    }
    if let Ok(outcome) = serde_json::from_slice::<OperationOutcome>(data) {
        let _ = (outcome.summary(), outcome.is_error());
    }
    if let Ok(bundle) = serde_json::from_slice::<Bundle>(data) {
        let _ = bundle.next_link();
        for entry in &bundle.entry {
            let _ = entry.resource_as::<Practitioner>();
            let _ = entry.resource.clone().map(AnyResource::from_value);
            if let Some(response) = &entry.response {
                let _ = (response.code(), response.outcome());
            }
        }
    }
});
