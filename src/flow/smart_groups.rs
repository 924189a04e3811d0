//! Query-based ("smart") groups: after the contact changes, membership of
//! every group with a query is re-evaluated with the contact query language
//! of `core::query`, and the change reported as `contact_groups_changed`.
//! Blocked, stopped and archived contacts leave every group.

use std::collections::{BTreeMap, HashMap};

use crate::core::contact::FieldType;
use crate::core::query::{ContactView, Query};
use crate::flow::assets::NamedRef;
use crate::flow::contact::Contact;
use crate::flow::events::EventKind;
use crate::flow::session_assets::SessionAssets;

fn field_type(declared: &str) -> FieldType {
    match declared {
        "number" => FieldType::Number,
        "datetime" => FieldType::Datetime,
        "state" | "district" | "ward" => FieldType::Location,
        _ => FieldType::Text,
    }
}

/// Recomputes group membership, changing `contact`; the event to report,
/// if anything changed.
pub fn refresh(assets: &SessionAssets, contact: &mut Contact) -> Option<EventKind> {
    let has_smart_groups = assets.groups.iter().any(|g| g.query.is_some());
    if contact.status == "active" && !has_smart_groups {
        return None;
    }
    let mut added = Vec::new();
    let mut removed = Vec::new();
    if contact.status != "active" {
        removed = std::mem::take(&mut contact.groups);
        removed.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        let types: HashMap<String, FieldType> = assets
            .fields
            .iter()
            .map(|f| (f.key.clone(), field_type(&f.value_type)))
            .collect();
        let fields: BTreeMap<String, serde_json::Value> = contact
            .fields
            .iter()
            .map(|(k, v)| {
                let typed = match types.get(k) {
                    Some(FieldType::Number) => v.number.clone(),
                    Some(FieldType::Datetime) => v.datetime.clone().map(serde_json::Value::String),
                    _ => None,
                };
                (
                    k.clone(),
                    typed.unwrap_or_else(|| serde_json::Value::String(v.text.clone())),
                )
            })
            .collect();
        let urns: Vec<String> = contact
            .urns
            .iter()
            .map(|u| Contact::bare_urn(u).to_owned())
            .collect();
        let group_names: Vec<String> = contact.groups.iter().map(|g| g.name.clone()).collect();
        let view = ContactView {
            uuid: &contact.uuid,
            name: Some(contact.name.as_str()),
            language: Some(contact.language.as_str()),
            status: &contact.status,
            urns: &urns,
            fields: &fields,
            groups: &group_names,
            tickets: usize::from(contact.ticket.is_some()),
        };
        for group in &assets.groups {
            let Some(query) = group.query.as_deref() else {
                continue;
            };
            // A query that does not parse matches nobody rather than failing the run.
            let matches = Query::parse(query).is_ok_and(|q| q.matches(&view, &types));
            let member = contact.in_group(&group.uuid);
            let reference = NamedRef {
                uuid: group.uuid.clone(),
                name: group.name.clone(),
            };
            if matches && !member {
                added.push(reference);
            } else if !matches && member {
                removed.push(reference);
            }
        }
        contact
            .groups
            .retain(|g| !removed.iter().any(|r| r.uuid == g.uuid));
        contact.groups.extend(added.iter().cloned());
    }
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    Some(EventKind::ContactGroupsChanged {
        groups_added: added,
        groups_removed: removed,
    })
}
