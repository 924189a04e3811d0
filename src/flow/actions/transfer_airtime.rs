//! `transfer_airtime`: send airtime to the contact through `Services`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::exec::Outcome;
use crate::flow::contact::Contact;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

/// The categories of a transfer's result.
const SUCCESS: &str = "Success";
const FAILURE: &str = "Failure";

/// The run local a successful transfer's UUID is put in (spec 14.3 splits
/// on it).
pub const NEW_TRANSFER_LOCAL: &str = "_new_transfer";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferAirtime {
    pub uuid: String,
    pub amounts: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

impl TransferAirtime {
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_result_name(&self.result_name)
    }
}

impl TransferAirtime {
    fn save(&self, s: &mut Sprinter<'_>, value: &str, category: &str) {
        if self.result_name.is_empty() {
            return;
        }
        let node = s.current_node_uuid();
        s.save_result(
            &self.result_name,
            value.to_owned(),
            category.to_owned(),
            String::new(),
            None,
            None,
            &node,
        );
    }

    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        // The local says what this action did: an earlier transfer's must
        // not route a failure to success.
        s.run_mut().locals.remove(NEW_TRANSFER_LOCAL);
        let Some(recipient) = s.session.contact.urn_of_scheme("tel").map(str::to_owned) else {
            s.error("can't transfer airtime to contact without a phone number");
            self.save(s, "", FAILURE);
            return Outcome::Continue;
        };
        let sender = Contact::urn_channel(&recipient)
            .and_then(|c| s.assets.channel(c))
            .or_else(|| s.assets.channel_for_scheme("tel"))
            .map(|c| format!("tel:{}", c.address))
            .unwrap_or_default();
        let amounts: Vec<(String, serde_json::Number)> = self
            .amounts
            .iter()
            .filter_map(|(currency, amount)| match amount {
                serde_json::Value::Number(n) => Some((currency.clone(), n.clone())),
                _ => None,
            })
            .collect();
        let transfer_uuid = crate::flow::ids::new_uuid();
        let Some(call) = s
            .services
            .transfer_airtime(&transfer_uuid, &sender, &recipient, &amounts)
        else {
            s.error("no airtime service configured");
            self.save(s, "", FAILURE);
            return Outcome::Continue;
        };
        let (external_id, currency, amount) = match &call.result {
            Ok(t) => (t.external_id.clone(), t.currency.clone(), json!(t.amount)),
            Err(_) => (String::new(), String::new(), json!(0)),
        };
        s.emit(EventKind::Service(json!({
            "type": "airtime_transferred",
            "transfer_uuid": transfer_uuid.clone(),
            "external_id": external_id,
            "sender": sender,
            "recipient": recipient,
            "currency": currency,
            "amount": amount,
            "http_logs": call.http_logs,
        })));
        match call.result {
            Ok(t) => {
                // 14.x flows route on this local instead of the result.
                s.run_mut()
                    .locals
                    .insert(NEW_TRANSFER_LOCAL.to_owned(), transfer_uuid);
                self.save(s, &t.external_id, SUCCESS)
            }
            Err(why) => {
                s.error(why);
                self.save(s, "", FAILURE);
            }
        }
        Outcome::Continue
    }
}
