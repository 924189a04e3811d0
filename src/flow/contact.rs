//! The contact a session runs for, as the engine sees and changes it: name,
//! language, status, timezone, URNs, groups and field values. The host loads
//! it and persists the changes the engine reports as events; this module
//! must not know where contacts are stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flow::assets::{NamedRef, UserRef};

/// The contact's open ticket: opened by `open_ticket`, at most one at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<NamedRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserRef>,
}

/// A contact field's value in each of the forms it can be read as.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FieldValue {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
}

/// Phone numbers whose country is remembered per thread; the cache starts
/// over when full (a gateway thread serves a working set of contacts).
const PHONE_COUNTRY_CACHE_ENTRIES: usize = 4096;

thread_local! {
    static PHONE_COUNTRIES: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn active() -> String {
    "active".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub uuid: String,
    #[serde(default)]
    pub id: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub language: String,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<NamedRef>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
}

impl Contact {
    /// The URN scheme of `urn` (`tel` of `tel:+250…`).
    pub fn scheme(urn: &str) -> &str {
        urn.split(':').next().unwrap_or_default()
    }

    /// A URN without its query (`?channel=…&id=…`).
    pub fn bare_urn(urn: &str) -> &str {
        urn.split('?').next().unwrap_or(urn)
    }

    /// The channel UUID a URN is bound to, if any.
    pub fn urn_channel(urn: &str) -> Option<&str> {
        let query = urn.split_once('?')?.1;
        query.split('&').find_map(|kv| kv.strip_prefix("channel="))
    }

    /// The first URN of the given scheme.
    pub fn urn_of_scheme(&self, scheme: &str) -> Option<&str> {
        self.urns
            .iter()
            .map(String::as_str)
            .find(|u| Contact::scheme(u) == scheme)
    }

    /// The country of a `tel:` URN's number, if it is in international form.
    pub fn phone_country(urn: &str) -> Option<String> {
        let path = Contact::bare_urn(urn).strip_prefix("tel:")?;
        // Parsing a number costs microseconds and every sprint and message
        // asks again for the same contact: remember recent answers.
        PHONE_COUNTRIES.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(known) = cache.get(path) {
                return known.clone();
            }
            let country = phonenumber::parse(None, path)
                .ok()
                .and_then(|n| n.country().id().map(|id| id.as_ref().to_owned()));
            if cache.len() >= PHONE_COUNTRY_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(path.to_owned(), country.clone());
            country
        })
    }

    pub fn in_group(&self, uuid: &str) -> bool {
        self.groups.iter().any(|g| g.uuid == uuid)
    }
}
