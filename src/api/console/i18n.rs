//! The console's languages: English, French, Swahili and Portuguese, every
//! string from Project Fluent files embedded at build time
//! (`console/locales/{en,fr,sw,pt}/console.ftl`). A page's language is the
//! account's choice, else the browser's `Accept-Language`, else English.
//! Numbers and dates are written as each language writes them, dates in
//! the gateway's time zone (`contacts.default_timezone`).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::TimeZone;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./console/locales",
        fallback_language: "en",
        // Fluent wraps each argument in Unicode isolation marks for mixed
        // scripts; these four languages are all left to right, and the
        // marks would only end up in copied text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Sw,
    Pt,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::Sw, Lang::Pt];

    /// The BCP 47 tag: the `lang` attribute and the locale directory.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Sw => "sw",
            Lang::Pt => "pt",
        }
    }

    /// The ISO 639-3 code an account stores (as contacts do).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "eng",
            Lang::Fr => "fra",
            Lang::Sw => "swa",
            Lang::Pt => "por",
        }
    }

    /// The language's own name, for the language menu.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Sw => "Kiswahili",
            Lang::Pt => "Português",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// The best of our languages for an `Accept-Language` header (by its
    /// q-values, first listed first among equals), English when none fits.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    fn id(self) -> LanguageIdentifier {
        // The four tags are valid identifiers.
        self.tag().parse().unwrap_or_default()
    }

    /// The string `key` in this language (English when a translation is
    /// missing; the key itself when English lacks it too, which a test
    /// forbids).
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }

    /// The string `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(&self.id(), key, &args)
    }

    /// `n` with this language's thousands separator (1,234,567 / 1 234 567).
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Lang::En | Lang::Sw => ",",
            // French writes a narrow no-break space; Portuguese (as in
            // Mozambique, Angola, Portugal) a no-break space.
            Lang::Fr => "\u{202f}",
            Lang::Pt => "\u{a0}",
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    }

    fn chrono_locale(self) -> chrono::Locale {
        match self {
            Lang::En => chrono::Locale::en_GB,
            Lang::Fr => chrono::Locale::fr_FR,
            Lang::Sw => chrono::Locale::sw_TZ,
            Lang::Pt => chrono::Locale::pt_PT,
        }
    }

    /// A time as this language writes it, day first with the month's name
    /// (`7 Dec 2026, 15:40`, `7 déc. 2026, 15:40`), in `tz`.
    pub fn datetime(self, ms: i64, tz: chrono_tz::Tz) -> String {
        match tz.timestamp_millis_opt(ms).single() {
            Some(t) => t
                .format_localized("%-d %b %Y, %H:%M", self.chrono_locale())
                .to_string(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_language_is_negotiated_by_quality() {
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("de-DE,sw;q=0.5,pt;q=0.7")), Lang::Pt);
        assert_eq!(Lang::negotiate(Some("sw-TZ")), Lang::Sw);
        assert_eq!(Lang::negotiate(Some("de, ja")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=0, sw")), Lang::Sw);
    }

    #[test]
    fn numbers_take_each_language_separator() {
        assert_eq!(Lang::En.number(1_234_567), "1,234,567");
        assert_eq!(Lang::Sw.number(2000), "2,000");
        assert_eq!(Lang::Fr.number(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(Lang::Pt.number(-12_345), "-12\u{a0}345");
        assert_eq!(Lang::En.number(999), "999");
        assert_eq!(Lang::En.number(0), "0");
    }

    #[test]
    fn dates_use_the_month_names_and_the_time_zone() {
        // 2026-12-07 12:40 UTC is 15:40 in Dar es Salaam.
        let ms = 1_796_647_200_000;
        let tz: chrono_tz::Tz = "Africa/Dar_es_Salaam".parse().unwrap();
        assert_eq!(Lang::En.datetime(ms, tz), "7 Dec 2026, 15:40");
        assert!(
            Lang::Fr.datetime(ms, tz).starts_with("7 déc"),
            "{}",
            Lang::Fr.datetime(ms, tz)
        );
        assert!(
            Lang::Pt.datetime(ms, tz).starts_with("7 dez"),
            "{}",
            Lang::Pt.datetime(ms, tz)
        );
        assert!(
            Lang::Sw.datetime(ms, tz).starts_with("7 Des"),
            "{}",
            Lang::Sw.datetime(ms, tz)
        );
        assert_eq!(Lang::En.datetime(ms, chrono_tz::UTC), "7 Dec 2026, 12:40");
    }

    #[test]
    fn strings_come_in_every_language() {
        assert_eq!(Lang::En.t("nav-home"), "Home");
        assert_eq!(Lang::Fr.t("nav-home"), "Accueil");
        assert_eq!(Lang::Sw.t("nav-home"), "Mwanzo");
        assert_eq!(Lang::Pt.t("nav-home"), "Início");
    }
}

/// Every Fluent key used anywhere in the console exists in every locale,
/// and every locale has the same keys.
#[cfg(test)]
mod completeness {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::Lang;

    const ROOT: &str = env!("CARGO_MANIFEST_DIR");

    fn keys_of(lang: Lang) -> BTreeSet<String> {
        let file = Path::new(ROOT).join(format!("console/locales/{}/console.ftl", lang.tag()));
        let text = std::fs::read_to_string(&file).unwrap();
        text.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    /// Keys in `t("...")` / `t1("...")` calls and quoted `"error-..."`,
    /// `"flash-..."` literals of the templates and the console's code.
    fn used_keys() -> BTreeSet<String> {
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for dir in ["console/templates", "src/api/console"] {
            for e in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap().flatten() {
                files.push(e.path());
            }
        }
        let call = regex::Regex::new(r#"\bt1?\(\s*"([a-z0-9-]+)""#).unwrap();
        let literal =
            regex::Regex::new(r#""((?:error|flash|password|username|token|status|role)-[a-z0-9-]+)""#)
                .unwrap();
        let mut keys = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for c in call.captures_iter(&text).chain(literal.captures_iter(&text)) {
                keys.insert(c[1].to_string());
            }
        }
        for role in crate::config::Role::ALL {
            keys.insert(format!("role-{}", role.name()));
        }
        keys
    }

    #[test]
    fn every_key_is_in_every_language() {
        let english = keys_of(Lang::En);
        assert!(english.len() > 100, "{} keys", english.len());
        for lang in [Lang::Fr, Lang::Sw, Lang::Pt] {
            let other = keys_of(lang);
            let missing: Vec<_> = english.difference(&other).collect();
            let extra: Vec<_> = other.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, extra {extra:?}",
                lang.tag()
            );
        }
        let used = used_keys();
        assert!(used.len() > 80, "only {} keys found in use", used.len());
        let unknown: Vec<_> = used.difference(&english).collect();
        assert!(
            unknown.is_empty(),
            "keys used but not in the locales: {unknown:?}"
        );
        // Each string really comes from its language (none left in English).
        for lang in [Lang::Fr, Lang::Sw, Lang::Pt] {
            assert_ne!(lang.t("login-title"), Lang::En.t("login-title"));
            assert_ne!(lang.t("error-403-text"), Lang::En.t("error-403-text"));
        }
    }

    #[test]
    fn every_message_status_has_a_name() {
        for s in [
            "queued",
            "wired",
            "sent",
            "delivered",
            "errored",
            "failed",
            "cancelled",
            "pending",
            "handled",
            "paused",
        ] {
            let key = format!("status-{s}");
            assert!(keys_of(Lang::En).contains(&key), "{key}");
        }
    }
}
