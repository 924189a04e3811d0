//! `send_email`: send an e-mail through the host's `Services`.

use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendEmail {
    pub uuid: String,
    pub addresses: Vec<String>,
    pub subject: String,
    #[serde(default)]
    pub body: String,
}

impl SendEmail {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let mut addresses = Vec::new();
        for raw in &a.addresses {
            let address = s.template(raw).trim().to_owned();
            let address = address.strip_prefix("mailto:").unwrap_or(&address).to_owned();
            if address.is_empty() {
                s.error("email address evaluated to empty string, skipping");
            } else {
                addresses.push(address);
            }
        }
        let (subject, _) = s.localized(&a.uuid, "subject", std::slice::from_ref(&a.subject));
        let subject = s.template(subject.first().map(String::as_str).unwrap_or_default());
        // Subjects are one line: newlines would break the message headers.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let (body, _) = s.localized(&a.uuid, "body", std::slice::from_ref(&a.body));
        let body = s.template(body.first().map(String::as_str).unwrap_or_default());
        if subject.is_empty() {
            s.error("email subject evaluated to empty string, skipping");
        } else if body.trim().is_empty() {
            s.error("email body evaluated to empty string, skipping");
        } else if !addresses.is_empty() {
            match s.services.email(&addresses, &subject, &body) {
                Some(Ok(())) => s.emit(EventKind::EmailSent {
                    to: addresses,
                    subject,
                    body,
                }),
                Some(Err(e)) => s.error(format!("unable to send email: {e}")),
                None => s.error("no email service configured"),
            }
        }
        Outcome::Continue
    }
}
