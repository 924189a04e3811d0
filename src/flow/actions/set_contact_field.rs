//! `set_contact_field`: set (or, with an empty value, clear) a contact field.

use serde::{Deserialize, Serialize};

use super::exec::field_value_in;
use super::exec::Outcome;
use super::exec::MAX_FIELD_VALUE_CHARS;
use crate::flow::assets::FieldRef;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
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
        let new = (!value.is_empty()).then(|| field_value_in(&value, locations.as_deref()));
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
