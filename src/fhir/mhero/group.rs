//! A local contact group as the `Group` emNutt writes (§1.4 (g)): id and
//! `group-uuid` identifier = our group uuid, `type = practitioner`,
//! `actual = true`, members as `Practitioner/<id>`.

use sha2::{Digest, Sha256};

use super::GROUP_UUID_SYSTEM;
use crate::fhir::resources::{Group, GroupMember, Identifier, Reference};

pub fn exported_group(uuid: &str, name: &str, practitioners: &[String]) -> Group {
    Group {
        id: Some(uuid.to_string()),
        identifier: vec![Identifier::new(GROUP_UUID_SYSTEM, uuid)],
        active: Some(true),
        type_: Some("practitioner".into()),
        actual: Some(true),
        name: Some(name.to_string()),
        quantity: Some(practitioners.len() as u32),
        member: practitioners
            .iter()
            .map(|p| GroupMember {
                entity: Reference::to("Practitioner", p),
                ..GroupMember::default()
            })
            .collect(),
        ..Group::default()
    }
}

/// Digest of what we would write: equal to the last written = nothing to do.
pub fn group_digest(group: &Group) -> String {
    let json = serde_json::to_string(group).unwrap_or_default();
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_is_emnutts_shape_and_its_digest_follows_members() {
        let g = exported_group("u1", "Midwives", &["P1".into(), "P2".into()]);
        assert_eq!(g.member[1].entity, Reference::to("Practitioner", "P2"));
        assert_eq!(g.identifier[0].system.as_deref(), Some(GROUP_UUID_SYSTEM));
        assert_eq!(g.quantity, Some(2));
        let same = exported_group("u1", "Midwives", &["P1".into(), "P2".into()]);
        assert_eq!(group_digest(&g), group_digest(&same));
        let fewer = exported_group("u1", "Midwives", &["P1".into()]);
        assert_ne!(group_digest(&g), group_digest(&fewer));
    }
}
