//! Who a `send_broadcast` or `start_session` reaches: groups (which must
//! exist), contacts, a contact query (its inserted values quoted), URNs and
//! the legacy variables old flows carried (templates that evaluate to a
//! contact UUID, a URN or a phone number).

use serde_json::{json, Value as Json};

use crate::flow::assets::{NamedRef, Recipients};
use crate::flow::contact::Contact;
use crate::flow::sprint::Sprinter;

/// Recipients with every reference resolved, as the events carry them.
#[derive(Debug, Default)]
pub struct Resolved {
    pub groups: Vec<NamedRef>,
    pub contacts: Vec<NamedRef>,
    pub contact_query: String,
    pub urns: Vec<String>,
}

impl Resolved {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.contacts.is_empty()
            && self.contact_query.is_empty()
            && self.urns.is_empty()
    }

    /// Adds the non-empty lists to an event payload.
    pub fn write_into(&self, event: &mut Json) {
        if !self.groups.is_empty() {
            event["groups"] = json!(self.groups);
        }
        if !self.contacts.is_empty() {
            event["contacts"] = json!(self.contacts);
        }
        if !self.contact_query.is_empty() {
            event["contact_query"] = json!(self.contact_query);
        }
        if !self.urns.is_empty() {
            event["urns"] = json!(self.urns);
        }
    }
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok() && text.len() == 36
}

pub fn resolve(s: &mut Sprinter<'_>, r: &Recipients) -> Resolved {
    let groups = super::exec::resolve_groups(s, &r.groups);
    let mut contacts = r.contacts.clone();
    let contact_query = s.template_query(&r.contact_query);
    let mut urns = r.urns.clone();
    let country = s
        .session
        .contact
        .urn_of_scheme("tel")
        .and_then(Contact::phone_country)
        .or_else(|| s.env.default_country.clone());
    for var in &r.legacy_vars {
        let value = s.template(var);
        let value = value.trim();
        if is_uuid(value) {
            contacts.push(NamedRef {
                uuid: value.to_owned(),
                name: String::new(),
            });
            continue;
        }
        let as_urn = if value.contains(':') {
            crate::core::urn::Urn::parse(value, country.as_deref()).ok()
        } else {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            let phone_like = digits >= 5 && value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
            phone_like
                .then(|| crate::core::urn::Urn::parse(&format!("tel:{value}"), country.as_deref()).ok())
                .flatten()
        };
        match as_urn {
            Some(urn) => urns.push(Contact::bare_urn(&urn.to_string()).to_owned()),
            None => s.error(format!(
                "'{value}' couldn't be resolved to a contact, group or URN"
            )),
        }
    }
    Resolved {
        groups,
        contacts,
        contact_query,
        urns,
    }
}
