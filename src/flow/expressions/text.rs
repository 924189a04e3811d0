//! Text utilities shared by functions and router tests: the word tokenizer,
//! tokenizing by delimiter characters, UAX#29 word segmentation, snakify and
//! collation. Knows nothing of values.

use std::sync::LazyLock;

use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

use super::env::InputCollation;

/// Words are runs of letters, marks, digits, `_` and `'`; each symbol
/// (emoji, currency sign) is a word of its own.
static WORD: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[\pM\pL\pN_']+|\pS").ok());

/// Splits text into words the way router tests and keyword triggers see them.
pub fn tokenize(text: &str) -> Vec<&str> {
    match WORD.as_ref() {
        Some(re) => re.find_iter(text).map(|m| m.as_str()).collect(),
        None => text.split_whitespace().collect(),
    }
}

/// Splits text on any of `chars`, dropping empty pieces.
pub fn tokenize_by_chars<'a>(text: &'a str, chars: &str) -> Vec<&'a str> {
    text.split(|c: char| chars.contains(c))
        .filter(|s| !s.is_empty())
        .collect()
}

/// UAX#29 words, keeping only those with a letter, digit or symbol in them.
pub fn tokenize_segments(text: &str) -> Vec<&str> {
    text.split_word_bounds()
        .filter(|w| w.chars().any(|c| c.is_alphanumeric() || is_symbol(c)))
        .collect()
}

fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric()
        && !c.is_whitespace()
        && !c.is_ascii_punctuation()
        && !c.is_control()
        && (c as u32) > 0x7f
        && !matches!(c, '\u{2000}'..='\u{206f}' | '\u{3000}'..='\u{303f}')
}

/// Result name → result key: lower case, runs of other characters become `_`.
pub fn snakify(text: &str) -> String {
    let mut out = String::new();
    let mut pending = false;
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' {
            if pending && !out.is_empty() {
                out.push('_');
            }
            pending = false;
            out.extend(c.to_lowercase());
        } else {
            pending = true;
        }
    }
    out
}

/// Folds text for comparison under the workspace's input collation.
pub fn collate(text: &str, collation: InputCollation) -> String {
    let lower = text.to_lowercase();
    match collation {
        InputCollation::Default | InputCollation::Confusables => lower,
        InputCollation::ArabicVariants => lower
            .chars()
            .map(|c| match c {
                'ك' => 'ک',
                'ي' | 'ى' => 'ی',
                'ة' => 'ه',
                'أ' | 'إ' | 'آ' => 'ا',
                other => other,
            })
            .collect(),
    }
}
