//! `set_contact_language`: set (or clear) the contact's ISO-639-3 language.

use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactLanguage {
    pub uuid: String,
    #[serde(default)]
    pub language: String,
}

impl SetContactLanguage {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let Some(language) = s.template_ok(&a.language) else {
            return Outcome::Continue;
        };
        let language = language.trim().to_owned();
        if !language.is_empty() && language.chars().count() != 3 {
            s.error(format!("iso-639-3 codes must be 3 characters, got: {language}"));
        } else if s.session.contact.language != language {
            s.session.contact.language = language.clone();
            s.emit(EventKind::ContactLanguageChanged { language });
        }
        Outcome::Continue
    }
}
