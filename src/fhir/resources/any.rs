//! Any resource by its `resourceType`: the types we model, or the raw JSON of
//! any other. Parse errors name the resource (`Practitioner/P1`) they hit.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{
    Basic, Bundle, Communication, CommunicationRequest, Group, Location, OperationOutcome, Organization,
    Practitioner, PractitionerRole, QuestionnaireResponse, Resource,
};

#[derive(Debug, Clone, PartialEq)]
pub enum AnyResource {
    Basic(Basic),
    Bundle(Box<Bundle>),
    Communication(Communication),
    CommunicationRequest(CommunicationRequest),
    Group(Group),
    Location(Location),
    OperationOutcome(OperationOutcome),
    Organization(Organization),
    Practitioner(Practitioner),
    PractitionerRole(PractitionerRole),
    QuestionnaireResponse(QuestionnaireResponse),
    /// A resource type we do not model, kept as sent.
    Other(Value),
}

/// A resource that is not valid JSON of its type.
#[derive(Debug, thiserror::Error)]
#[error("{resource_type}/{id} is malformed: {reason}")]
pub struct ResourceParseError {
    pub resource_type: String,
    /// The resource's id if it could be read, else `?`.
    pub id: String,
    pub reason: String,
}

impl ResourceParseError {
    pub(crate) fn new(resource_type: &str, id: &str, e: impl std::fmt::Display) -> ResourceParseError {
        ResourceParseError {
            resource_type: resource_type.to_string(),
            id: id.to_string(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn missing(resource_type: &str) -> ResourceParseError {
        ResourceParseError::new(resource_type, "?", "the entry has no resource")
    }

    pub(crate) fn no_id(resource_type: &str) -> ResourceParseError {
        ResourceParseError::new(resource_type, "?", "the resource has no id")
    }
}

impl AnyResource {
    /// Parse bytes as whichever resource their `resourceType` names.
    pub fn parse(bytes: &[u8]) -> Result<AnyResource, ResourceParseError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| ResourceParseError::new("?", "?", e))?;
        AnyResource::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<AnyResource, ResourceParseError> {
        let kind = value
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Ok(match kind.as_str() {
            "Basic" => AnyResource::Basic(Self::parse_value_as(value)?),
            "Bundle" => AnyResource::Bundle(Box::new(Self::parse_value_as(value)?)),
            "Communication" => AnyResource::Communication(Self::parse_value_as(value)?),
            "CommunicationRequest" => AnyResource::CommunicationRequest(Self::parse_value_as(value)?),
            "Group" => AnyResource::Group(Self::parse_value_as(value)?),
            "Location" => AnyResource::Location(Self::parse_value_as(value)?),
            "OperationOutcome" => AnyResource::OperationOutcome(Self::parse_value_as(value)?),
            "Organization" => AnyResource::Organization(Self::parse_value_as(value)?),
            "Practitioner" => AnyResource::Practitioner(Self::parse_value_as(value)?),
            "PractitionerRole" => AnyResource::PractitionerRole(Self::parse_value_as(value)?),
            "QuestionnaireResponse" => AnyResource::QuestionnaireResponse(Self::parse_value_as(value)?),
            "" => return Err(ResourceParseError::new("?", "?", "no resourceType")),
            _ => AnyResource::Other(value),
        })
    }

    /// Parse a JSON value as `R`, naming `R/<id>` in the error.
    pub fn parse_value_as<R: Resource>(value: Value) -> Result<R, ResourceParseError> {
        let id = value.get("id").and_then(Value::as_str).unwrap_or("?").to_string();
        serde_json::from_value(value).map_err(|e| ResourceParseError::new(R::TYPE, &id, e))
    }

    /// The wire `resourceType`.
    pub fn resource_type(&self) -> &str {
        match self {
            AnyResource::Basic(_) => Basic::TYPE,
            AnyResource::Bundle(_) => Bundle::TYPE,
            AnyResource::Communication(_) => Communication::TYPE,
            AnyResource::CommunicationRequest(_) => CommunicationRequest::TYPE,
            AnyResource::Group(_) => Group::TYPE,
            AnyResource::Location(_) => Location::TYPE,
            AnyResource::OperationOutcome(_) => OperationOutcome::TYPE,
            AnyResource::Organization(_) => Organization::TYPE,
            AnyResource::Practitioner(_) => Practitioner::TYPE,
            AnyResource::PractitionerRole(_) => PractitionerRole::TYPE,
            AnyResource::QuestionnaireResponse(_) => QuestionnaireResponse::TYPE,
            AnyResource::Other(v) => v.get("resourceType").and_then(Value::as_str).unwrap_or("?"),
        }
    }
}

impl Serialize for AnyResource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyResource::Basic(r) => r.serialize(s),
            AnyResource::Bundle(r) => r.serialize(s),
            AnyResource::Communication(r) => r.serialize(s),
            AnyResource::CommunicationRequest(r) => r.serialize(s),
            AnyResource::Group(r) => r.serialize(s),
            AnyResource::Location(r) => r.serialize(s),
            AnyResource::OperationOutcome(r) => r.serialize(s),
            AnyResource::Organization(r) => r.serialize(s),
            AnyResource::Practitioner(r) => r.serialize(s),
            AnyResource::PractitionerRole(r) => r.serialize(s),
            AnyResource::QuestionnaireResponse(r) => r.serialize(s),
            AnyResource::Other(v) => v.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_by_resource_type_and_keeps_others() {
        let p = AnyResource::parse(br#"{"resourceType":"Practitioner","id":"P1"}"#).expect("parses");
        assert_eq!(p.resource_type(), "Practitioner");
        let raw = br#"{"resourceType":"Patient","id":"X","gender":"other"}"#;
        let other = AnyResource::parse(raw).expect("parses");
        let written = serde_json::to_value(&other).expect("writes");
        assert_eq!(written, serde_json::from_slice::<Value>(raw).expect("JSON"));
    }

    /// The fuzz target's invariant, over corruptions of the reference shapes:
    /// never a panic, and whatever parses round-trips through our own output.
    #[test]
    fn corrupted_shapes_never_panic_and_round_trip_when_they_parse() {
        use crate::fhir::resources::{basic_fixtures, comm_request_fixtures};
        let docs = [
            basic_fixtures::EMNUTT_WORKFLOW,
            comm_request_fixtures::IHRIS_TEXT,
            comm_request_fixtures::IHRIS_RECURRING_FLOW,
            comm_request_fixtures::RESULT,
            comm_request_fixtures::OLDER_FORM,
        ];
        let mut parsed = 0;
        for doc in docs {
            let bytes = doc.as_bytes();
            for i in 0..bytes.len() {
                let mut variants = vec![bytes[..i].to_vec()];
                for b in [b'"', b'{', b']', b'0', b',', b'n'] {
                    let mut v = bytes.to_vec();
                    v[i] = b;
                    variants.push(v);
                }
                for v in variants {
                    if let Ok(any) = AnyResource::parse(&v) {
                        parsed += 1;
                        let written = serde_json::to_vec(&any).expect("serialises");
                        assert_eq!(AnyResource::parse(&written).expect("re-parses"), any);
                    }
                }
            }
        }
        assert!(parsed > 0, "some corruptions (inside strings) still parse");
    }

    #[test]
    fn errors_name_the_resource() {
        let err = AnyResource::parse(br#"{"resourceType":"Location","id":"L9","partOf":"Location/D1"}"#)
            .expect_err("partOf must be a Reference");
        assert!(err.to_string().starts_with("Location/L9 is malformed"), "{err}");
        assert!(AnyResource::parse(b"{}").is_err());
        assert!(AnyResource::parse(b"[").is_err());
    }
}
