//! `set_contact_field`: set (or, with an empty value, clear) a contact field.

use serde::{Deserialize, Serialize};

use super::exec::field_value_in;
use super::exec::Outcome;
use super::exec::MAX_FIELD_VALUE_CHARS;
use crate::flow::assets::FieldRef;
use crate::flow::cases::{has_location, CaseResult};
use crate::flow::contact::FieldValue;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::expressions::Value;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactField {
    pub uuid: String,
    pub field: FieldRef,
    #[serde(default)]
    pub value: String,
}

impl SetContactField {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        if s.assets.field(&a.field.key).is_none() {
            s.error(format!(
                "missing dependency: field[key={},name={}]",
                a.field.key, a.field.name
            ));
            return Outcome::Continue;
        }
        let Some(raw) = s.template_ok(&a.value) else {
            return Outcome::Continue;
        };
        let value: String = raw.trim().chars().take(MAX_FIELD_VALUE_CHARS).collect();
        let locations = s.assets.locations.clone();
        let mut new = (!value.is_empty()).then(|| field_value_in(&value, locations.as_deref()));
        if let Some(v) = new.as_mut() {
            locate_within_parent(s, &a.field.key, v);
        }
        let old = s.session.contact.fields.get(&a.field.key).cloned();
        if old.as_ref().map(|o| &o.text) != new.as_ref().map(|n| &n.text) {
            match &new {
                Some(v) => {
                    s.session.contact.fields.insert(a.field.key.clone(), v.clone());
                }
                None => {
                    s.session.contact.fields.remove(&a.field.key);
                }
            }
            s.emit(EventKind::ContactFieldChanged {
                field: a.field.clone(),
                value: new,
            });
        }
        Outcome::Continue
    }
}

/// A district (ward) field's text may name the district (ward) anywhere in
/// it, looked for within the state (district) the contact's state (district)
/// field holds, as the reference engine does.
fn locate_within_parent(s: &Sprinter<'_>, key: &str, value: &mut FieldValue) {
    let declared = s.assets.field(key).map(|f| f.value_type.as_str());
    let (level, parent_type) = match declared {
        Some("district") if value.district.is_none() => (2, "district"),
        Some("ward") if value.ward.is_none() => (3, "ward"),
        _ => return,
    };
    // The parent is the contact's first field of the level above.
    let parent = s.session.contact.fields.iter().find_map(|(k, v)| {
        let ty = s.assets.field(k).map(|f| f.value_type.as_str());
        match (parent_type, ty) {
            ("district", Some("state")) => v.state.clone(),
            ("ward", Some("district")) => v.district.clone(),
            _ => None,
        }
    });
    let Some(parent) = parent else {
        return;
    };
    let parent_name = parent.rsplit(" > ").next().unwrap_or(&parent).to_owned();
    let found = has_location(
        &Value::text(value.text.clone()),
        &[Value::text(parent_name)],
        &s.env,
        level,
    );
    if let Ok(CaseResult::Matched {
        value: Value::Text(path),
        ..
    }) = found
    {
        let parts: Vec<&str> = path.split(" > ").collect();
        let up_to = |n: usize| (parts.len() > n).then(|| parts[..=n].join(" > "));
        value.state = up_to(1);
        value.district = up_to(2);
        if level == 3 {
            value.ward = up_to(3);
        }
    }
}
