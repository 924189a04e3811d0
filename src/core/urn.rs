//! Contact URNs (`tel:+255...`). Phone numbers are normalised to E.164 with a
//! configured default country so that one handset is one contact.

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id as CountryId;

/// A parsed, normalised URN. Only `tel:` is reachable by our links; other
/// schemes are kept as given so imported contacts lose nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Urn {
    scheme: String,
    path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrnError {
    #[error("URN {0:?} has no scheme (expected e.g. tel:+255...)")]
    NoScheme(String),
    #[error("URN {0:?} has an empty path")]
    EmptyPath(String),
    #[error("{0:?} is not a valid phone number")]
    BadPhone(String),
    #[error("unknown default country code {0:?}")]
    BadCountry(String),
    /// A number without `+` and country code, read where no default country
    /// is configured: it could be any country's, so it is refused rather
    /// than guessed.
    #[error(
        "{0} is a local number; set [contacts] default_country (e.g. \"TZ\") or write it in \
         international form (e.g. +255...)"
    )]
    LocalNumber(String),
}

impl Urn {
    /// Parse `scheme:path`; a bare number is taken as `tel:`. Phone numbers
    /// are normalised against `default_country` (ISO 3166 alpha-2).
    pub fn parse(input: &str, default_country: Option<&str>) -> Result<Urn, UrnError> {
        let input = input.trim();
        let (scheme, path) = match input.split_once(':') {
            Some((s, p)) => (s.to_ascii_lowercase(), p.to_string()),
            None if looks_like_phone(input) => ("tel".to_string(), input.to_string()),
            None => return Err(UrnError::NoScheme(input.to_string())),
        };
        if path.trim().is_empty() {
            return Err(UrnError::EmptyPath(input.to_string()));
        }
        if scheme == "tel" {
            let e164 = normalize_phone(&path, default_country)?;
            return Ok(Urn { scheme, path: e164 });
        }
        Ok(Urn { scheme, path })
    }

    /// A URN as the store wrote it (from a parsed `Urn`, so already
    /// normalised): split, not validated again. Parsing a phone number
    /// costs tens of microseconds, which the outbox would otherwise pay for
    /// every message it claims.
    pub fn from_stored(stored: &str) -> Result<Urn, UrnError> {
        match stored.split_once(':') {
            Some((scheme, path)) if !scheme.is_empty() && !path.is_empty() => Ok(Urn {
                scheme: scheme.to_string(),
                path: path.to_string(),
            }),
            Some(_) => Err(UrnError::EmptyPath(stored.to_string())),
            None => Err(UrnError::NoScheme(stored.to_string())),
        }
    }

    /// Build a `tel:` URN from a number already in E.164 form.
    pub fn tel(e164: &str) -> Result<Urn, UrnError> {
        Urn::parse(&format!("tel:{e164}"), None)
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The path: for `tel:` the E.164 number with its `+`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

fn looks_like_phone(s: &str) -> bool {
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    digits >= 3
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
}

/// Normalise a phone number to E.164. Numbers with a leading `+` (or `00`)
/// are international; others are read in `default_country`. Short codes
/// (shorter than 7 digits, as carriers use for keywords) are kept as digits.
pub fn normalize_phone(raw: &str, default_country: Option<&str>) -> Result<String, UrnError> {
    let cleaned: String = raw.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    let cleaned = match cleaned.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => cleaned,
    };
    let digits = cleaned.trim_start_matches('+');
    if digits.is_empty() || digits.contains('+') {
        return Err(UrnError::BadPhone(raw.to_string()));
    }
    if !cleaned.starts_with('+') && digits.len() < 7 {
        return Ok(digits.to_string());
    }
    if !cleaned.starts_with('+') && default_country.is_none() {
        return Err(UrnError::LocalNumber(raw.trim().to_string()));
    }
    let country = match default_country {
        Some(c) if !cleaned.starts_with('+') => Some(
            CountryId::from_str(&c.to_ascii_uppercase()).map_err(|_| UrnError::BadCountry(c.to_string()))?,
        ),
        _ => None,
    };
    let number = phonenumber::parse(country, &cleaned).map_err(|_| UrnError::BadPhone(raw.to_string()))?;
    if !phonenumber::is_viable(&cleaned) && !number.is_valid() {
        return Err(UrnError::BadPhone(raw.to_string()));
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.path)
    }
}

impl serde::Serialize for Urn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_urn_reads_back_as_it_was_parsed() {
        for raw in ["tel:+255 712 345 678", "tel:15555", "whatsapp:255712345678"] {
            let u = Urn::parse(raw, None).unwrap();
            assert_eq!(Urn::from_stored(&u.to_string()).unwrap(), u);
        }
        assert!(matches!(Urn::from_stored("tel:"), Err(UrnError::EmptyPath(_))));
        assert!(matches!(
            Urn::from_stored("255712345678"),
            Err(UrnError::NoScheme(_))
        ));
    }

    #[test]
    fn local_numbers_take_the_default_country() {
        let u = Urn::parse("tel:0712 345 678", Some("TZ")).unwrap();
        assert_eq!(u.to_string(), "tel:+255712345678");
        let u = Urn::parse("0712345678", Some("tz")).unwrap();
        assert_eq!(u.path(), "+255712345678");
    }

    #[test]
    fn international_forms_agree() {
        let a = Urn::parse("tel:+255 712 345 678", Some("KE")).unwrap();
        let b = Urn::parse("tel:00255712345678", None).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(matches!(Urn::parse("", None), Err(UrnError::NoScheme(_))));
        assert!(matches!(Urn::parse("tel:", None), Err(UrnError::EmptyPath(_))));
        assert!(matches!(Urn::parse("tel:abc", None), Err(UrnError::BadPhone(_))));
        assert!(matches!(
            Urn::parse("tel:0712345678", Some("XX")),
            Err(UrnError::BadCountry(_))
        ));
    }

    #[test]
    fn a_local_number_without_a_default_country_names_the_setting() {
        let e = Urn::parse("0712345678", None).unwrap_err();
        assert_eq!(e, UrnError::LocalNumber("0712345678".into()));
        let text = e.to_string();
        assert!(text.contains("0712345678 is a local number"), "{text}");
        assert!(text.contains("[contacts] default_country"), "{text}");
        // International forms need no default country; short codes stay digits.
        assert!(Urn::parse("tel:00255712345678", None).is_ok());
        assert_eq!(Urn::parse("15050", None).unwrap().path(), "15050");
    }

    #[test]
    fn short_codes_survive() {
        assert_eq!(Urn::parse("tel:15050", Some("TZ")).unwrap().path(), "15050");
    }

    #[test]
    fn round_trip_through_display() {
        let u = Urn::parse("tel:+256772123456", None).unwrap();
        assert_eq!(Urn::parse(&u.to_string(), None).unwrap(), u);
    }
}
