//! How we authenticate to the registry. Secrets live in `SecretString`, whose
//! `Debug` prints `[REDACTED]`, so a logged config never leaks a token.

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Default)]
pub enum FhirAuth {
    #[default]
    None,
    /// `Authorization: Bearer <token>` (SMART backend services, Keycloak, ...).
    Bearer(SecretString),
    /// HTTP basic, as emNutt and iHRIS use between themselves.
    Basic { user: String, password: SecretString },
}

impl FhirAuth {
    pub(crate) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            FhirAuth::None => request,
            FhirAuth::Bearer(token) => request.bearer_auth(token.expose_secret()),
            FhirAuth::Basic { user, password } => request.basic_auth(user, Some(password.expose_secret())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_in_debug_output() {
        let bearer = FhirAuth::Bearer(SecretString::from("tok-123-secret"));
        let basic = FhirAuth::Basic {
            user: "emnutt".into(),
            password: SecretString::from("pw-456-secret"),
        };
        let shown = format!("{bearer:?} {basic:?}");
        assert!(!shown.contains("tok-123") && !shown.contains("pw-456"), "{shown}");
        assert!(shown.contains("emnutt"), "the user name is not a secret: {shown}");
    }
}
