//! A local contact group as the `Group` emNutt writes (§1.4 (g)): id and
//! `group-uuid` identifier = our group uuid, `type = practitioner`,
//! `actual = true`, members as `Practitioner/<id>`; and the three-way merge
//! that keeps such a Group in step both ways. Each side's edits since the
//! last agreement are kept: a member either side added is in, a member
//! either side removed is out; so neither an iHRIS officer's edit nor the
//! gateway's is lost, and agreeing twice changes nothing.

use std::collections::BTreeSet;

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

/// One exported group's practitioner members as each side sees them.
#[derive(Debug, Clone, Copy)]
pub struct MemberViews<'a> {
    /// Last agreed with the registry (what we last wrote or merged); `None`
    /// when never agreed: then the registry's members count as agreed, and
    /// the local group wins every difference.
    pub agreed: Option<&'a BTreeSet<String>>,
    /// Those of `agreed` the local group held as contacts when agreed. The
    /// others have no contact here, so the local group cannot show them:
    /// their absence locally is no removal.
    pub held: &'a BTreeSet<String>,
    /// The local group's members now (practitioners of its contacts).
    pub local: &'a BTreeSet<String>,
    /// The registry Group's active practitioner members now (`None`: the
    /// Group is gone from the registry, and is written again from ours).
    pub registry: Option<&'a BTreeSet<String>>,
}

/// The merge of one group: the members both sides should have, and what
/// the local group must gain and lose to get there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberMerge {
    pub members: BTreeSet<String>,
    /// Members the local group lacks: the registry's additions (and agreed
    /// members it could not hold before); those with a contact here join.
    pub add_locally: Vec<String>,
    /// Members the registry removed since the last agreement.
    pub remove_locally: Vec<String>,
}

/// Three-way merge of member sets: with `A` agreed, `L` local and `R`
/// registry, a practitioner in `A` stays only if neither side removed it,
/// one not in `A` comes in if either side added it.
pub fn merge_members(v: &MemberViews<'_>) -> MemberMerge {
    let Some(registry) = v.registry else {
        // Nothing to merge with: the local view is written again.
        let members = local_view(v, v.agreed);
        return MemberMerge {
            members,
            ..MemberMerge::default()
        };
    };
    let local = local_view(v, v.agreed);
    let agreed = v.agreed.unwrap_or(registry);
    let everyone: BTreeSet<&String> = agreed.iter().chain(&local).chain(registry).collect();
    let members: BTreeSet<String> = everyone
        .into_iter()
        .filter(|p| {
            let (in_l, in_r) = (local.contains(*p), registry.contains(*p));
            if agreed.contains(*p) {
                in_l && in_r
            } else {
                in_l || in_r
            }
        })
        .cloned()
        .collect();
    MemberMerge {
        add_locally: members.difference(v.local).cloned().collect(),
        remove_locally: v.local.difference(&members).cloned().collect(),
        members,
    }
}

/// The local side's members: its contacts' practitioners, plus the agreed
/// ones it never held (it has no contact for them, so it kept them).
fn local_view(v: &MemberViews<'_>, agreed: Option<&BTreeSet<String>>) -> BTreeSet<String> {
    let unheld = agreed.into_iter().flatten().filter(|p| !v.held.contains(*p));
    v.local.iter().chain(unheld).cloned().collect()
}

/// Practitioner ids of a `Group`'s active members, as a set.
pub fn member_set(group: &Group) -> BTreeSet<String> {
    group.practitioner_ids().into_iter().map(str::to_string).collect()
}

/// The `Group` to write for an exported group with `members`: the
/// registry's own resource when there is one (read-modify-PUT: its
/// extensions, tags, characteristics, inactive and non-practitioner members
/// are kept, its active practitioner members follow `members` in their
/// order with new ones after), else a fresh one with id `id`. Name, type and
/// `actual` are ours; the group-uuid identifier is added when missing.
pub fn merged_group(
    theirs: Option<&Group>,
    id: &str,
    uuid: &str,
    name: &str,
    members: &BTreeSet<String>,
) -> Group {
    let Some(theirs) = theirs else {
        let ids: Vec<String> = members.iter().cloned().collect();
        let mut fresh = exported_group(uuid, name, &ids);
        fresh.id = Some(id.to_string());
        return fresh;
    };
    let mut g = theirs.clone();
    if let Some(meta) = g.meta.as_mut() {
        meta.version_id = None;
        meta.last_updated = None;
    }
    g.name = Some(name.to_string());
    g.type_ = Some("practitioner".into());
    g.actual = Some(true);
    if !g
        .identifier
        .iter()
        .any(|i| i.system.as_deref() == Some(GROUP_UUID_SYSTEM))
    {
        g.identifier.push(Identifier::new(GROUP_UUID_SYSTEM, uuid));
    }
    let mut kept: BTreeSet<String> = BTreeSet::new();
    g.member.retain(|m| {
        let active = m.inactive != Some(true);
        match m.entity.id_of("Practitioner") {
            Some(p) if active => {
                let keep = members.contains(p) && !kept.contains(p);
                if keep {
                    kept.insert(p.to_string());
                }
                keep
            }
            _ => true,
        }
    });
    g.member.extend(members.difference(&kept).map(|p| GroupMember {
        entity: Reference::to("Practitioner", p),
        ..GroupMember::default()
    }));
    g.quantity = Some(g.member.iter().filter(|m| m.inactive != Some(true)).count() as u32);
    g
}

/// Whether writing `ours` over `theirs` would change anything a reader sees
/// (the version and update time are the server's).
pub fn differs(ours: &Group, theirs: &Group) -> bool {
    let strip = |g: &Group| {
        let mut g = g.clone();
        if let Some(meta) = g.meta.as_mut() {
            meta.version_id = None;
            meta.last_updated = None;
            if *meta == Default::default() {
                g.meta = None;
            }
        }
        serde_json::to_value(g).unwrap_or_default()
    };
    strip(ours) != strip(theirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::resources::Meta;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

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

    #[test]
    fn each_sides_edits_since_the_agreement_are_kept() {
        let agreed = set(&["P1", "P2", "P3"]);
        let held = agreed.clone();
        // Local added P4 and removed P1; the registry added P5 and removed P2.
        let local = set(&["P2", "P3", "P4"]);
        let registry = set(&["P1", "P3", "P5"]);
        let m = merge_members(&MemberViews {
            agreed: Some(&agreed),
            held: &held,
            local: &local,
            registry: Some(&registry),
        });
        assert_eq!(m.members, set(&["P3", "P4", "P5"]));
        assert_eq!(m.add_locally, vec!["P5".to_string()]);
        assert_eq!(m.remove_locally, vec!["P2".to_string()]);
        // Agreeing again on the result changes nothing on either side.
        let again = merge_members(&MemberViews {
            agreed: Some(&m.members),
            held: &m.members,
            local: &m.members,
            registry: Some(&m.members),
        });
        assert_eq!(again.members, m.members);
        assert!(again.add_locally.is_empty() && again.remove_locally.is_empty());
    }

    #[test]
    fn never_agreed_means_the_local_group_wins() {
        let local = set(&["P1", "P2"]);
        let registry = set(&["P2", "P3"]);
        let m = merge_members(&MemberViews {
            agreed: None,
            held: &BTreeSet::new(),
            local: &local,
            registry: Some(&registry),
        });
        assert_eq!(m.members, local);
        assert!(m.add_locally.is_empty() && m.remove_locally.is_empty());
        let gone = merge_members(&MemberViews {
            agreed: Some(&registry),
            held: &registry,
            local: &local,
            registry: None,
        });
        assert_eq!(gone.members, local, "a deleted Group is written again from ours");
    }

    #[test]
    fn members_without_a_contact_here_are_not_removed() {
        // P9 was added on the registry but has no contact here (no phone):
        // the local group cannot hold it, which is not a removal.
        let agreed = set(&["P1", "P9"]);
        let held = set(&["P1"]);
        let local = set(&["P1"]);
        let m = merge_members(&MemberViews {
            agreed: Some(&agreed),
            held: &held,
            local: &local,
            registry: Some(&agreed),
        });
        assert_eq!(m.members, agreed);
        // P9 syncs later and gets a contact: it joins the local group.
        assert_eq!(m.add_locally, vec!["P9".to_string()]);
    }

    #[test]
    fn merged_group_keeps_the_registrys_other_fields() {
        let mut theirs = exported_group("u1", "Midwives (renamed)", &["P1".into(), "P2".into()]);
        theirs.identifier.clear();
        theirs.meta = Some(Meta {
            version_id: Some("4".into()),
            ..Meta::with_profile("http://ihris.org/fhir/StructureDefinition/ihris-group")
        });
        theirs.member.insert(
            0,
            GroupMember {
                entity: Reference::to("Practitioner", "P0"),
                inactive: Some(true),
                ..GroupMember::default()
            },
        );
        let g = merged_group(Some(&theirs), "u1", "u1", "Midwives", &set(&["P2", "P3"]));
        assert_eq!(g.name.as_deref(), Some("Midwives"));
        assert_eq!(g.identifier[0].value.as_deref(), Some("u1"));
        assert_eq!(g.meta.as_ref().map(|m| m.profile.len()), Some(1));
        assert_eq!(g.meta.as_ref().and_then(|m| m.version_id.clone()), None);
        let refs: Vec<_> = g
            .member
            .iter()
            .map(|m| m.entity.reference.clone().unwrap())
            .collect();
        assert_eq!(
            refs,
            ["Practitioner/P0", "Practitioner/P2", "Practitioner/P3"],
            "inactive kept, P1 out, P3 appended"
        );
        assert_eq!(g.quantity, Some(2));
        assert!(differs(&g, &theirs));
        let mut written = g.clone();
        written.meta.as_mut().unwrap().version_id = Some("5".into());
        assert!(!differs(&g, &written), "only the version differs");
        let fresh = merged_group(None, "F1", "u1", "Midwives", &set(&["P1"]));
        assert_eq!(fresh.id.as_deref(), Some("F1"));
        assert_eq!(fresh.member.len(), 1);
    }
}
