//! Text utilities shared by functions and router tests: the word tokenizer,
//! tokenizing by delimiter characters, UAX#29 word segmentation, snakify and
//! collation. Knows nothing of values.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
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
/// A full stop joins only digits (`21.35`), not letters (`bee.cat` is two words).
pub fn tokenize_segments(text: &str) -> Vec<&str> {
    text.split_word_bounds()
        .flat_map(split_letter_stops)
        .filter(|w| match WORDLIKE.as_ref() {
            Some(re) => re.is_match(w),
            None => w.chars().any(char::is_alphanumeric),
        })
        .collect()
}

/// A segment is a word when it holds a letter, digit or symbol (not just
/// punctuation or space); ASCII symbols like `<` are punctuation here, as in goflow.
static WORDLIKE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[\pL\pN]|[\pS&&[^\x00-\x7F]]").ok());

fn split_letter_stops(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    for (i, &(pos, c)) in chars.iter().enumerate() {
        let digit_before = i > 0 && chars[i - 1].1.is_ascii_digit();
        let digit_after = chars.get(i + 1).is_some_and(|&(_, n)| n.is_ascii_digit());
        if (c == '.' || c == ':') && !(digit_before && digit_after) {
            out.push(&word[start..pos]);
            start = pos + c.len_utf8();
        }
    }
    out.push(&word[start..]);
    out
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

/// Folds text for comparison under the workspace's input collation:
/// lower case; `confusables` also maps look-alike characters to one
/// skeleton (UTS #39, so Cyrillic "а" matches Latin "a"); `arabic_variants`
/// applies NFKC and folds the Arabic/Persian letter variants people type
/// interchangeably (ي ى → ی, ك → ک).
pub fn collate(text: &str, collation: InputCollation) -> String {
    let lower = text.to_lowercase();
    match collation {
        InputCollation::Default => lower,
        InputCollation::Confusables => unicode_security::skeleton(&lower).collect(),
        InputCollation::ArabicVariants => lower
            .nfkc()
            .map(|c| match c {
                'ك' => 'ک',
                'ي' | 'ى' => 'ی',
                other => other,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collations_fold_what_they_promise() {
        assert_eq!(collate("HeLLo", InputCollation::Default), "hello");
        // Cyrillic а and е look like Latin a and e.
        let cyrillic = collate("h\u{0435}llo", InputCollation::Confusables);
        assert_eq!(cyrillic, collate("hello", InputCollation::Confusables));
        assert_ne!(collate("h\u{0435}llo", InputCollation::Default), "hello");
        assert_eq!(
            collate("بلي", InputCollation::ArabicVariants),
            collate("بلی", InputCollation::ArabicVariants)
        );
        assert_eq!(collate("بلى", InputCollation::ArabicVariants), "بلی");
    }

    #[test]
    fn snakify_makes_result_keys() {
        assert_eq!(snakify("  Hello World "), "hello_world");
        assert_eq!(snakify("this@isn't@email"), "this_isn_t_email");
    }
}
