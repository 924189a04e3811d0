//! WhatsApp message templates for `send_msg`: the template asset has one
//! translation per channel and locale; the action's variables fill the
//! translation's `{{n}}` placeholders, and the rendered components become
//! the message's text (header and body), attachments (media headers) and
//! quick replies (quick-reply buttons). The message records what was used
//! under `templating` so the host can send it as a template.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::flow::assets::NamedRef;
use crate::flow::events::{MsgOut, QuickReply};
use crate::flow::sprint::Sprinter;

/// A message template (an asset), with its approved translations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgTemplate {
    pub uuid: String,
    pub name: String,
    #[serde(default)]
    pub translations: Vec<TemplateTranslation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateTranslation {
    pub channel: NamedRef,
    /// `eng` or `eng-US`: the language decides which translation is used.
    pub locale: String,
    #[serde(default)]
    pub components: Vec<TemplateComponent>,
    #[serde(default)]
    pub variables: Vec<TemplateVariable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateComponent {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub content: String,
    /// Placeholder number → index into the translation's variables.
    #[serde(default)]
    pub variables: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateVariable {
    #[serde(rename = "type")]
    pub kind: String,
}

/// Variable types whose value is an attachment (`type/subtype:url`).
const MEDIA_VARIABLE_TYPES: &[&str] = &["image", "video", "document", "audio"];

/// True for an attachment in `content-type:url` form.
fn is_attachment(value: &str) -> bool {
    value
        .split_once(':')
        .is_some_and(|(ct, url)| ct.contains('/') && !url.is_empty())
}

/// The translation for the message's channel in the best language the run
/// can use (the contact's, then the environment's, then the flow's).
fn pick<'t>(s: &Sprinter<'_>, template: &'t MsgTemplate, channel: &str) -> Option<&'t TemplateTranslation> {
    let for_channel: Vec<&TemplateTranslation> = template
        .translations
        .iter()
        .filter(|t| t.channel.uuid == channel)
        .collect();
    s.languages().iter().find_map(|lang| {
        for_channel
            .iter()
            .find(|t| t.locale.split('-').next() == Some(lang.as_str()))
            .copied()
    })
}

/// Replaces `{{n}}` in `content` with the values the component maps to.
fn render(component: &TemplateComponent, values: &[String]) -> String {
    component
        .variables
        .iter()
        .fold(component.content.clone(), |text, (key, index)| {
            let value = values.get(*index).map(String::as_str).unwrap_or_default();
            text.replace(&format!("{{{{{key}}}}}"), value)
        })
}

/// Rewrites `msg` from the template's translation, when the template and a
/// translation for the message's channel exist; otherwise leaves it as is.
pub fn apply(s: &mut Sprinter<'_>, template: &NamedRef, variables: &[String], msg: &mut MsgOut) {
    let Some(asset) = s.assets.template(&template.uuid).cloned() else {
        return;
    };
    let Some(channel) = msg.channel.as_ref().map(|c| c.uuid.clone()) else {
        return;
    };
    let Some(translation) = pick(s, &asset, &channel).cloned() else {
        return;
    };
    // Extra variables are ignored; missing ones are empty.
    let values: Vec<String> = (0..translation.variables.len())
        .map(|i| variables.get(i).map(|v| s.template(v)).unwrap_or_default())
        .collect();
    let mut texts = Vec::new();
    let mut attachments = Vec::new();
    let mut quick_replies = Vec::new();
    let mut components = Vec::new();
    for component in &translation.components {
        match component.kind.as_str() {
            "header/text" | "body/text" | "footer/text" => texts.push(render(component, &values)),
            "button/quick_reply" => quick_replies.push(QuickReply {
                text: render(component, &values),
            }),
            _ => {}
        }
        if component.kind.starts_with("header/") {
            for index in component.variables.values() {
                let media = translation
                    .variables
                    .get(*index)
                    .is_some_and(|v| MEDIA_VARIABLE_TYPES.contains(&v.kind.as_str()));
                match values.get(*index) {
                    Some(value) if media && is_attachment(value) => attachments.push(value.clone()),
                    _ => {}
                }
            }
        }
        if !component.variables.is_empty() {
            components.push(json!({"name": component.name, "type": component.kind,
                                   "variables": component.variables}));
        }
    }
    let has_media = translation.components.iter().any(|c| c.kind == "header/media");
    msg.text = texts
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if has_media {
        msg.attachments = attachments;
    }
    if !quick_replies.is_empty() {
        msg.quick_replies = quick_replies;
    }
    msg.locale = Some(translation.locale.clone());
    // The template's category decides how the message is billed, not a topic.
    msg.topic = None;
    let mut templating = json!({"template": {"uuid": asset.uuid, "name": asset.name}});
    if !components.is_empty() {
        templating["components"] = Json::Array(components);
    }
    if !values.is_empty() {
        templating["variables"] = translation
            .variables
            .iter()
            .zip(&values)
            .map(|(v, value)| json!({"type": v.kind, "value": value}))
            .collect();
    }
    msg.templating = Some(templating);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_the_values_they_map_to() {
        let component = TemplateComponent {
            name: "body".into(),
            kind: "body/text".into(),
            content: "Hi {{1}}, you are {{2}} {{1}}".into(),
            variables: [("1".to_owned(), 1), ("2".to_owned(), 0)].into_iter().collect(),
        };
        assert_eq!(
            render(&component, &["x".into(), "Amina".into()]),
            "Hi Amina, you are x Amina"
        );
    }

    #[test]
    fn only_typed_urls_are_attachments() {
        assert!(is_attachment("image/jpeg:http://example.com/a.jpg"));
        assert!(!is_attachment("cat"));
        assert!(!is_attachment("image:"));
    }
}
