//! The shapes today's mHero stack (iHRIS 5 + emNutt) reads and writes on the
//! FHIR server, so the gateway can stand in for emNutt without breaking
//! iHRIS's mHero screens and reports. Pure data: no HTTP, no flows.
//!
//! - contacts: the RapidPro contact-uuid identifier and the `optedout` tag (here);
//! - [`request`]: what a `CommunicationRequest` asks for (text or flow, schedule)
//!   and the per-recipient result records iHRIS's reports read;
//! - [`workflow`]: RapidPro flows as `Basic` resources;
//! - [`group`]: local contact groups as `Group` resources.

pub mod group;
pub mod request;
pub mod schedule;
pub mod workflow;

use super::resources::{Coding, Identifier, Meta};

/// Identifier system of a contact's RapidPro uuid; iHRIS's send-message report
/// lists only practitioners carrying it.
pub const CONTACT_UUID_SYSTEM: &str = "http://app.rapidpro.io/contact-uuid";
/// Identifier system of a RapidPro contact group's uuid on `Group`.
pub const GROUP_UUID_SYSTEM: &str = "http://app.rapidpro.io/group-uuid";
/// Code system of mHero's own tags (the opt-out tag).
pub const MHERO_CODESYSTEM: &str = "http://mhero.org/codesystem";
/// `meta.tag` code marking a contact who asked not to be messaged.
pub const OPTED_OUT_CODE: &str = "optedout";
/// Base of every mHero StructureDefinition url.
pub const STRUCTURE_DEFINITION_BASE: &str = "http://mhero.org/fhir/StructureDefinition/";
/// `meta.tag` system iHRIS uses to tie the chunks of one send together.
pub const PARENT_REQUEST_TAG_SYSTEM: &str = "parentReqId";

/// The RapidPro contact uuid among `identifiers`, if any.
pub fn contact_uuid(identifiers: &[Identifier]) -> Option<&str> {
    identifiers
        .iter()
        .find(|i| i.system.as_deref() == Some(CONTACT_UUID_SYSTEM))
        .and_then(|i| i.value.as_deref())
}

/// Set the contact uuid identifier, replacing an old one rather than adding a second.
pub fn set_contact_uuid(identifiers: &mut Vec<Identifier>, uuid: &str) {
    match identifiers
        .iter_mut()
        .find(|i| i.system.as_deref() == Some(CONTACT_UUID_SYSTEM))
    {
        Some(existing) => existing.value = Some(uuid.to_string()),
        None => identifiers.push(Identifier::new(CONTACT_UUID_SYSTEM, uuid)),
    }
}

/// Whether the resource carries the `optedout` tag.
pub fn is_opted_out(meta: Option<&Meta>) -> bool {
    meta.is_some_and(|m| m.has_tag(MHERO_CODESYSTEM, OPTED_OUT_CODE))
}

/// Add or remove the `optedout` tag. Removal is a plain edit (to be PUT back):
/// neither our test server nor every registry supports `$meta-delete`.
pub fn set_opted_out(meta: &mut Option<Meta>, opted_out: bool) {
    let is_tag = |c: &Coding| {
        c.system.as_deref() == Some(MHERO_CODESYSTEM) && c.code.as_deref() == Some(OPTED_OUT_CODE)
    };
    if opted_out {
        let meta = meta.get_or_insert_with(Meta::default);
        if !meta.tag.iter().any(is_tag) {
            meta.tag.push(Coding::new(MHERO_CODESYSTEM, OPTED_OUT_CODE, None));
        }
    } else if let Some(m) = meta.as_mut() {
        m.tag.retain(|c| !is_tag(c));
    }
}

/// `http://mhero.org/fhir/StructureDefinition/<name>`.
pub fn structure_definition(name: &str) -> String {
    format!("{STRUCTURE_DEFINITION_BASE}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_uuid_is_set_once() {
        let mut ids = vec![Identifier::new("http://ihris.org/id", "X1")];
        set_contact_uuid(&mut ids, "u1");
        set_contact_uuid(&mut ids, "u2");
        assert_eq!(ids.len(), 2);
        assert_eq!(contact_uuid(&ids), Some("u2"));
    }

    #[test]
    fn opt_out_tag_toggles_and_keeps_other_tags() {
        let mut meta = Some(Meta {
            tag: vec![Coding::new("x", "y", None)],
            ..Meta::default()
        });
        assert!(!is_opted_out(meta.as_ref()));
        set_opted_out(&mut meta, true);
        set_opted_out(&mut meta, true);
        assert!(is_opted_out(meta.as_ref()));
        assert_eq!(meta.as_ref().map(|m| m.tag.len()), Some(2));
        set_opted_out(&mut meta, false);
        assert!(!is_opted_out(meta.as_ref()));
        assert_eq!(meta.map(|m| m.tag.len()), Some(1));
        let mut none = None;
        set_opted_out(&mut none, false);
        assert!(none.is_none());
    }
}
