//! Reading and writing the console's cookies: always `HttpOnly` (no script
//! needs them) and `SameSite=Strict` (no other site's page can make the
//! browser send them), `Secure` when the request came over TLS.

use axum::http::HeaderMap;

use crate::config::{ConsoleConfig, SecureCookies};

/// The value of cookie `name` in the request.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value; `max_age` None: until the browser closes.
pub fn set(name: &str, value: &str, path: &str, max_age: Option<u32>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear(name: &str, path: &str) -> String {
    format!("{name}=; Path={path}; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Whether this request's cookies get `Secure`: as configured, or with
/// `auto` when a trusted proxy says the request came over HTTPS (the
/// gateway itself serves plain HTTP).
pub fn secure(config: &ConsoleConfig, headers: &HeaderMap) -> bool {
    match config.secure_cookies {
        SecureCookies::Always(b) => b,
        SecureCookies::Auto(_) => {
            config.trust_forwarded
                && headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AutoWord;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            "a=1; mhero_session=abc; mhero_session_x=no".parse().unwrap(),
        );
        assert_eq!(get(&h, "mhero_session").as_deref(), Some("abc"));
        assert_eq!(get(&h, "b"), None);
    }

    #[test]
    fn secure_follows_a_trusted_proxy_only() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let mut c = ConsoleConfig::default();
        assert!(!secure(&c, &h), "an untrusted header is ignored");
        c.trust_forwarded = true;
        assert!(secure(&c, &h));
        assert!(!secure(&c, &HeaderMap::new()));
        c.secure_cookies = SecureCookies::Always(true);
        assert!(secure(&c, &HeaderMap::new()));
        c.secure_cookies = SecureCookies::Auto(AutoWord::Auto);
        assert!(secure(&c, &h));
        assert!(set("s", "v", "/", None, true).ends_with("; Secure"));
    }
}
