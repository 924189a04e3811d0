//! `send_msg`: send a message to the contact.

use serde::{Deserialize, Serialize};

use super::exec::evaluate_attachments;
use super::exec::new_msg;
use super::exec::Outcome;
use crate::flow::assets::NamedRef;
use crate::flow::contact::Contact;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::events::QuickReply;
use crate::flow::sprint::Sprinter;

/// Quick replies longer than this are cut, ending in `...` (what channels show).
pub const MAX_QUICK_REPLY_CHARS: usize = 64;

/// Topics a message may be sent under (decides which channel rules apply).
pub const MSG_TOPICS: &[&str] = &["event", "account", "purchase", "agent"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendMsg {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_urns: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<NamedRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_variables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

impl SendMsg {
    pub fn validate(&self) -> Result<(), String> {
        match &self.topic {
            Some(t) if !t.is_empty() && !MSG_TOPICS.contains(&t.as_str()) => {
                Err("field 'topic' is not a valid message topic".to_owned())
            }
            _ => Ok(()),
        }
    }
}

impl SendMsg {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let (text, lang) = s.localized(&a.uuid, "text", std::slice::from_ref(&a.text));
        let text = s.template(text.first().map(String::as_str).unwrap_or_default());
        let (attachments, _) = s.localized(&a.uuid, "attachments", &a.attachments);
        let attachments = evaluate_attachments(s, &attachments);
        let (replies, _) = s.localized(&a.uuid, "quick_replies", &a.quick_replies);
        let mut quick_replies = Vec::new();
        for r in &replies {
            let r = s.template(r);
            if r.trim().is_empty() {
                s.error("quick reply evaluated to empty string, skipping");
            } else {
                let text = if r.chars().count() > MAX_QUICK_REPLY_CHARS {
                    let mut cut: String = r.chars().take(MAX_QUICK_REPLY_CHARS - 3).collect();
                    cut.push_str("...");
                    cut
                } else {
                    r
                };
                quick_replies.push(QuickReply { text });
            }
        }
        let mut msg = new_msg(s, text, attachments, quick_replies, &lang, a.topic.clone());
        if let Some(template) = &a.template {
            let (variables, _) = s.localized(&a.uuid, "template_variables", &a.template_variables);
            super::templating::apply(s, template, &variables, &mut msg);
        }
        let first_urn = msg.urn.clone();
        let copy = msg.clone();
        s.emit(EventKind::MsgCreated { msg });
        if a.all_urns && first_urn.is_some() {
            // The same message to every other URN a channel can send to.
            let others: Vec<(String, NamedRef)> = s
                .session
                .contact
                .urns
                .iter()
                .filter(|u| Some(*u) != first_urn.as_ref())
                .filter_map(|u| {
                    let channel = Contact::urn_channel(u)
                        .and_then(|c| s.assets.channel(c))
                        .or_else(|| s.assets.channel_for_scheme(Contact::scheme(u)))?;
                    Some((u.clone(), channel.reference()))
                })
                .collect();
            for (urn, channel) in others {
                let mut msg = copy.clone();
                msg.uuid = crate::flow::ids::new_uuid();
                msg.urn = Some(urn);
                msg.channel = Some(channel);
                s.emit(EventKind::MsgCreated { msg });
            }
        }
        Outcome::Continue
    }
}
