//! Opt-out and opt-in words, and the language of their confirmation.
//!
//! A word alone in a message opts the contact out (or back in) when it is on
//! any language's list, whatever the contact's language: a health worker
//! whose language was recorded wrongly must still be able to stop messages,
//! so `ACHA` stops an English contact too. Words match ignoring case and
//! accents (`arret`, `ARRÊT` and `Arrêt` are one word).
//!
//! The confirmation is in the contact's language; a contact with no language
//! gets the language of the word it sent (`ACHA` is answered in Swahili),
//! since that is the best evidence of what it reads; then
//! `contacts.default_language`, then the `default` text. Knows nothing of the
//! store: `inbound` asks and acts.

use std::collections::BTreeMap;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The list key whose words and replies apply to every language.
pub const ANY_LANGUAGE: &str = "default";

/// A word as it is compared: lower case, accents dropped.
pub fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The language whose list holds `word` (already folded), if any list does:
/// `Some(None)` when only the `default` list has it. When several languages
/// list it (`STOP` is English and French), `preferred` wins if among them,
/// else the first by code.
pub fn language_of_word<'a>(
    lists: &'a BTreeMap<String, Vec<String>>,
    word: &str,
    preferred: &str,
) -> Option<Option<&'a str>> {
    let mut found: Option<Option<&'a str>> = None;
    for (lang, words) in lists {
        if !words.iter().any(|w| fold(w) == word) {
            continue;
        }
        if lang == ANY_LANGUAGE {
            found = found.or(Some(None));
        } else if lang == preferred {
            return Some(Some(lang.as_str()));
        } else if !matches!(found, Some(Some(_))) {
            found = Some(Some(lang.as_str()));
        }
    }
    found
}

/// The confirmation to send: in the contact's language, else (a contact with
/// no language) the word's, else `default_language`, else `default`.
pub fn reply<'a>(
    replies: &'a BTreeMap<String, String>,
    contact_language: Option<&str>,
    word_language: Option<&str>,
    default_language: &str,
) -> Option<&'a str> {
    let first_choice = contact_language.or(word_language);
    first_choice
        .and_then(|l| replies.get(l))
        .or_else(|| replies.get(default_language))
        .or_else(|| replies.get(ANY_LANGUAGE))
        .map(String::as_str)
        .filter(|r| !r.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OptoutConfig;

    #[test]
    fn case_and_accents_are_ignored() {
        assert_eq!(fold("ARRÊT"), "arret");
        assert_eq!(fold("Démarrer"), "demarrer");
        assert_eq!(fold("acha"), "acha");
    }

    #[test]
    fn every_language_list_is_honoured_and_names_the_word_language() {
        let c = OptoutConfig::default();
        assert_eq!(language_of_word(&c.stop_words, "acha", "eng"), Some(Some("swa")));
        assert_eq!(language_of_word(&c.stop_words, "arret", "eng"), Some(Some("fra")));
        assert_eq!(language_of_word(&c.stop_words, "sair", "eng"), Some(Some("por")));
        // STOP is English and French: the preferred language wins.
        assert_eq!(language_of_word(&c.stop_words, "stop", "eng"), Some(Some("eng")));
        assert_eq!(language_of_word(&c.stop_words, "stop", "fra"), Some(Some("fra")));
        assert_eq!(language_of_word(&c.start_words, "anza", "eng"), Some(Some("swa")));
        assert_eq!(language_of_word(&c.stop_words, "hello", "eng"), None);
        let only_default = BTreeMap::from([("default".to_string(), vec!["HALT".to_string()])]);
        assert_eq!(language_of_word(&only_default, "halt", "eng"), Some(None));
    }

    #[test]
    fn the_reply_follows_the_contact_then_the_word_then_the_defaults() {
        let c = OptoutConfig::default();
        let r = |contact, word| reply(&c.stop_reply, contact, word, "eng").unwrap();
        assert!(r(Some("fra"), Some("swa")).starts_with("Vous ne recevrez plus"));
        assert!(r(None, Some("swa")).starts_with("Hutapokea"));
        assert!(r(None, Some("por")).starts_with("Não receberá"));
        assert!(r(None, None).starts_with("You will receive no more"));
        // A language with no text of its own falls back.
        assert!(r(Some("lug"), Some("swa")).starts_with("You will receive no more"));
        let only_default = BTreeMap::from([("default".to_string(), "Bye".to_string())]);
        assert_eq!(reply(&only_default, Some("fra"), None, "eng"), Some("Bye"));
        assert_eq!(reply(&BTreeMap::new(), Some("fra"), None, "eng"), None);
    }
}
