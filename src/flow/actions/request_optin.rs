//! `request_optin`: ask the contact to opt in to a channel's messages, on
//! the first of their URNs whose channel can ask (`optin_requested`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::exec::Outcome;
use crate::flow::assets::NamedRef;
use crate::flow::contact::Contact;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

/// The channel feature that lets a channel ask for opt-ins.
const OPTINS_FEATURE: &str = "optins";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestOptin {
    pub uuid: String,
    pub optin: NamedRef,
}

impl RequestOptin {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        if !s.assets.optins.iter().any(|o| o.uuid == self.optin.uuid) {
            s.error(format!(
                "missing dependency: optin[uuid={},name={}]",
                self.optin.uuid, self.optin.name
            ));
            return Outcome::Continue;
        }
        for urn in &s.session.contact.urns {
            let channel = Contact::urn_channel(urn)
                .and_then(|c| s.assets.channel(c))
                .or_else(|| s.assets.channel_for_scheme(Contact::scheme(urn)));
            if let Some(channel) = channel.filter(|c| c.features.iter().any(|f| f == OPTINS_FEATURE)) {
                let event = json!({
                    "type": "optin_requested",
                    "optin": self.optin,
                    "channel": channel.reference(),
                    "urn": Contact::bare_urn(urn),
                });
                s.emit(EventKind::Service(event));
                break;
            }
        }
        Outcome::Continue
    }
}
