//! The forms pattern every console page follows (see `docs/CONSOLE.md`):
//!
//! 1. a typed struct of the form's fields, parsed from the
//!    `application/x-www-form-urlencoded` body by [`Form`] (the `_csrf`
//!    field is checked before, by the session middleware, and the struct
//!    leaves it unnamed);
//! 2. validation by the same store or dispatch function the API handler
//!    calls, whose [`StoreError::Invalid`] names the bad field;
//! 3. on error, the same page rendered again with the values kept and the
//!    message beside the field ([`FieldErrors`], with `aria-invalid` and
//!    `aria-describedby` in the `field` macro of `console/templates/form.html`),
//!    status 422, nothing written;
//! 4. on success, POST-redirect-GET with a flash message
//!    ([`super::page::redirect_with`]).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::i18n::Lang;
use crate::store::StoreError;

/// A form body as `T`.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response())?;
        // `_csrf` (checked before by the session middleware) is one more
        // field the struct does not name, and serde skips it.
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize(de)
            .map(Form)
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("bad form field {}", e.path())).into_response())
    }
}

/// Messages beside fields, by field name, translated.
#[derive(Debug, Default)]
pub struct FieldErrors {
    errors: BTreeMap<String, String>,
    /// A problem that belongs to no one field.
    pub general: Option<String>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.general.is_none()
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.errors.entry(field.to_string()).or_insert(message);
    }

    /// The message for `field`, empty when it has none.
    pub fn get(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    pub fn has(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    /// Every (field, message), by field name.
    pub fn each(&self) -> impl Iterator<Item = (&str, &str)> {
        self.errors.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A store refusal, translated: a field's problem beside it, anything
    /// else (not found, conflict) above the form. Other errors are not a
    /// form's to show: `Err` hands them back for a 500 page.
    pub fn from_store(lang: Lang, e: StoreError) -> Result<FieldErrors, StoreError> {
        let mut out = FieldErrors::default();
        match e {
            StoreError::Invalid { field, message } => out.add(&field, translate(lang, &field, &message)),
            StoreError::Refused { problems, .. } => {
                for p in problems {
                    out.add(&p.field, translate(lang, &p.field, &p.message));
                }
            }
            StoreError::NotFound(_) => out.general = Some(lang.t("error-not-found")),
            StoreError::Conflict(m) => out.general = Some(translate_conflict(lang, m)),
            other => return Err(other),
        }
        Ok(out)
    }
}

/// Store messages (English, as the API answers them) and the Fluent keys
/// that say them in the console's languages, matched by the message's
/// start. A page area adds the messages of its services here; one not
/// listed is shown in English after a translated "check this field".
const MESSAGES: &[(&str, &str)] = &[
    ("must be at least 10 characters", "password-too-short"),
    ("must be at most 200 characters", "password-too-long"),
    ("must not be the user name", "password-is-username"),
    ("is one of the most common passwords", "password-common"),
    ("is not this account's password", "password-current-wrong"),
    ("must differ from the current password", "password-same"),
    ("must be 1 to 64 characters", "username-length"),
    ("may hold only lower-case letters", "username-characters"),
    ("may hold only letters, digits", "token-name-characters"),
    ("must be 1 to 100 characters", "display-name-length"),
    ("this is the last admin account", "last-admin"),
    ("must be eng, fra, swa, por", "language-unknown"),
    // The directory's imports and groups.
    ("URN ", "phone-invalid"),
    ("must be 1-64 characters", "group-name-length"),
    ("unknown time zone", "timezone-unknown"),
    // Sends
    ("must not be empty", "text-empty"),
];

/// Conflicts (the state forbids the change) and the Fluent keys that say
/// them, matched by the message's start; one not listed is shown as it is.
const CONFLICTS: &[(&str, &str)] = &[("contact is ", "reply-not-sent")];

fn translate_conflict(lang: Lang, message: String) -> String {
    match CONFLICTS.iter().find(|(english, _)| message.starts_with(english)) {
        Some((_, key)) => lang.t(key),
        None => message,
    }
}

fn translate(lang: Lang, field: &str, message: &str) -> String {
    if message.ends_with("is taken; choose another user name") {
        return lang.t("username-taken");
    }
    if message.starts_with("a token named") {
        return lang.t("token-name-taken");
    }
    if message.ends_with("is not a valid phone number") {
        return lang.t("phone-invalid");
    }
    match MESSAGES.iter().find(|(english, _)| message.starts_with(english)) {
        Some((_, key)) => lang.t(key),
        None => {
            tracing::debug!(field, message, "a store message without a console translation");
            format!("{} ({message})", lang.t("error-check-field"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::password::{check, WeakPassword};

    #[test]
    fn every_password_refusal_is_translated() {
        for w in [
            WeakPassword::TooShort,
            WeakPassword::TooLong,
            WeakPassword::IsUsername,
            WeakPassword::Common,
        ] {
            let key = MESSAGES
                .iter()
                .find(|(english, _)| w.to_string().starts_with(english))
                .map(|(_, k)| *k);
            assert_eq!(key, Some(w.key()), "{w}");
        }
        assert!(check("a", "short").is_err());
    }

    #[test]
    fn store_refusals_land_beside_their_field() {
        let e = FieldErrors::from_store(
            Lang::Fr,
            StoreError::invalid("password", "must be at least 10 characters"),
        )
        .unwrap();
        assert!(e.has("password"));
        assert_eq!(e.get("password"), Lang::Fr.t("password-too-short"));
        assert!(FieldErrors::from_store(Lang::En, StoreError::Closed("x")).is_err());
    }
}
