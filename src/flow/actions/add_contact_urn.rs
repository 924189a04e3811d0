//! `add_contact_urn`: add a URN (scheme + templated path) to the contact.

use super::exec::normalize_urn;
use super::exec::Outcome;
use crate::flow::contact::Contact;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddContactUrn {
    pub uuid: String,
    pub scheme: String,
    pub path: String,
}

impl AddContactUrn {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        // Unlike most actions, a partly failed path is still added.
        let path = s.template(&a.path).trim().to_owned();
        if path.is_empty() {
            s.error("can't add URN with empty path");
        } else if !super::exec::urn_path_is_valid(&a.scheme, &path) {
            s.error(format!("'{}:{path}' is not valid URN", a.scheme));
        } else {
            let urn = normalize_urn(s, &a.scheme, &path);
            let digits = |u: &str| {
                Contact::bare_urn(u)
                    .trim_start_matches("tel:")
                    .trim_start_matches('+')
                    .to_owned()
            };
            let known = s.session.contact.urns.iter().any(|u| {
                Contact::bare_urn(u) == urn
                    || (a.scheme == "tel" && digits(u) == digits(&format!("tel:{path}")))
            });
            if !known {
                s.session.contact.urns.push(urn);
                let urns = s.session.contact.urns.clone();
                s.emit(EventKind::ContactUrnsChanged { urns });
            }
        }
        Outcome::Continue
    }
}
