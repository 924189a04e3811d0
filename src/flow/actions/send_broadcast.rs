//! `send_broadcast`: ask the host to send a message to other contacts, in
//! every language the flow has it in (`broadcast_created`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use super::exec::Outcome;
use super::recipients;
use crate::flow::assets::Recipients;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendBroadcast {
    pub uuid: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    #[serde(flatten)]
    pub recipients: Recipients,
}

impl SendBroadcast {
    /// The message in one language: the translation where there is one.
    fn translation(&self, s: &mut Sprinter<'_>, flow: &Flow, lang: &str) -> Json {
        let pick = |property: &str, base: &[String]| -> Vec<String> {
            if lang == flow.language {
                return base.to_vec();
            }
            flow.translation(lang, &self.uuid, property)
                .map(<[String]>::to_vec)
                .unwrap_or_else(|| base.to_vec())
        };
        let text = pick("text", std::slice::from_ref(&self.text))
            .into_iter()
            .next()
            .unwrap_or_default();
        let attachments = pick("attachments", &self.attachments);
        let quick_replies = pick("quick_replies", &self.quick_replies);
        let mut out = json!({"text": s.template(&text)});
        if !attachments.is_empty() {
            out["attachments"] = json!(super::exec::evaluate_attachments(s, &attachments));
        }
        if !quick_replies.is_empty() {
            let replies: Vec<Json> = quick_replies
                .iter()
                .map(|q| json!({"text": s.template(q)}))
                .collect();
            out["quick_replies"] = json!(replies);
        }
        out
    }

    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, flow: &Flow) -> Outcome {
        let to = recipients::resolve(s, &self.recipients);
        if s.session.trigger.batch && !to.groups.is_empty() {
            s.error("can't send broadcasts to groups during batch starts");
            return Outcome::Continue;
        }
        if to.is_empty() {
            return Outcome::Continue;
        }
        let mut langs = vec![flow.language.clone()];
        langs.extend(flow.localization.keys().filter(|l| **l != flow.language).cloned());
        let mut translations = serde_json::Map::new();
        for lang in langs {
            let t = self.translation(s, flow, &lang);
            translations.insert(lang, t);
        }
        let mut event = json!({
            "type": "broadcast_created",
            "translations": translations,
            "base_language": flow.language,
        });
        to.write_into(&mut event);
        s.emit(EventKind::Service(event));
        Outcome::Continue
    }
}
