//! `open_ticket`: open a support ticket for the contact (`ticket_opened`);
//! a contact has at most one open ticket.

use serde::{Deserialize, Serialize};

use serde_json::json;

use super::exec::Outcome;
use crate::flow::assets::{NamedRef, UserRef};
use crate::flow::contact::Ticket;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTicket {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<NamedRef>,
    /// 14.2 renamed `body` to `note`; both are read.
    #[serde(default, alias = "note", skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserRef>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_name: String,
}

impl OpenTicket {
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_result_name(&self.result_name)
    }
}

const SUCCESS: &str = "Success";
const FAILURE: &str = "Failure";

/// The run local a new ticket's UUID is put in (spec 14.3 splits on it).
pub const NEW_TICKET_LOCAL: &str = "_new_ticket";

impl OpenTicket {
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

    /// The user the ticket goes to: a fixed user, or one found by the
    /// evaluated `email_match`; an unknown user is an error, not a failure.
    fn assignee(&self, s: &mut Sprinter<'_>) -> Option<UserRef> {
        let wanted = self.assignee.as_ref()?;
        let email = match (&wanted.email, &wanted.email_match) {
            (Some(email), _) => email.clone(),
            (None, Some(template)) => s.template(template),
            (None, None) => return None,
        };
        match s
            .assets
            .users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(&email))
        {
            Some(user) => Some(UserRef {
                email: Some(user.email.clone()),
                name: Some(user.name.clone()),
                email_match: None,
            }),
            None => {
                s.error(format!("no such user with email '{email}'"));
                None
            }
        }
    }

    /// Runs the action in the sprint `s` of a run in `flow`: the contact
    /// gets the ticket (the host files it from `ticket_opened`).
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        // The local says what this action did: an earlier ticket's must not
        // route a failure to success.
        s.run_mut().locals.remove(NEW_TICKET_LOCAL);
        if s.session.trigger.batch {
            s.error("can't open tickets during batch starts");
            self.save(s, "", FAILURE);
            return Outcome::Continue;
        }
        let topic = match &self.topic {
            Some(topic) if !s.assets.topics.iter().any(|t| t.uuid == topic.uuid) => {
                s.error(format!(
                    "missing dependency: topic[uuid={},name={}]",
                    topic.uuid, topic.name
                ));
                self.save(s, "", FAILURE);
                return Outcome::Continue;
            }
            Some(topic) => Some(topic.clone()),
            // Without a topic the workspace's first (default) topic is used.
            None => s.assets.topics.first().cloned(),
        };
        if s.session.contact.ticket.is_some() {
            self.save(s, "", FAILURE);
            return Outcome::Continue;
        }
        let assignee = self.assignee(s);
        let note = s.template(&self.body);
        let ticket = Ticket {
            uuid: crate::flow::ids::new_uuid(),
            topic,
            assignee,
        };
        let mut event = json!({"type": "ticket_opened", "ticket": ticket});
        if !note.is_empty() {
            event["note"] = json!(note);
        }
        s.emit(EventKind::Service(event));
        s.session.contact.ticket = Some(ticket.clone());
        s.refresh_groups();
        // 14.x flows route on this local instead of the result.
        s.run_mut()
            .locals
            .insert(NEW_TICKET_LOCAL.to_owned(), ticket.uuid.clone());
        self.save(s, &ticket.uuid, SUCCESS);
        Outcome::Continue
    }
}
