//! Operator passwords: the rules a new one must meet, and argon2id hashing.
//! Pure: the store calls these (on a blocking thread: a hash takes tens of
//! milliseconds on purpose) and the API, the console and the CLI all reach
//! them through the store, so one rule holds everywhere.
//!
//! A password never leaves this module except as a PHC hash string; the
//! errors say what is wrong without repeating it.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;

/// Shortest password accepted: long enough that guessing from a throttled
/// login page is hopeless, short enough to type on a district office's
/// shared keyboard.
pub const MIN_LEN: usize = 10;

/// Longest accepted: argon2 hashes anything, but a megabyte "password" is a
/// way to make the server work, not a password.
pub const MAX_LEN: usize = 200;

/// Characters in a generated password, without the ones easily misread when
/// copied from a terminal or read over the phone (0/O, 1/l/I).
const GENERATED_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// Groups of four characters in a generated password: 16 characters of a
/// 32-letter alphabet, 80 bits.
const GENERATED_GROUPS: usize = 4;

/// The passwords people choose first, at least [`MIN_LEN`] long (shorter
/// ones are refused by length already), lower-cased.
const COMMON: &str = include_str!("common_passwords.txt");

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("must be at least {MIN_LEN} characters")]
    TooShort,
    #[error("must be at most {MAX_LEN} characters")]
    TooLong,
    #[error("must not be the user name")]
    IsUsername,
    #[error("is one of the most common passwords; choose another")]
    Common,
}

impl WeakPassword {
    /// A stable key for translations of this refusal.
    pub fn key(self) -> &'static str {
        match self {
            WeakPassword::TooShort => "password-too-short",
            WeakPassword::TooLong => "password-too-long",
            WeakPassword::IsUsername => "password-is-username",
            WeakPassword::Common => "password-common",
        }
    }
}

/// Whether `password` may be `username`'s new password.
pub fn check(username: &str, password: &str) -> Result<(), WeakPassword> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(WeakPassword::TooShort);
    }
    if len > MAX_LEN {
        return Err(WeakPassword::TooLong);
    }
    let lower = password.to_lowercase();
    if lower == username.to_lowercase() {
        return Err(WeakPassword::IsUsername);
    }
    if COMMON.lines().map(str::trim).any(|c| c == lower) {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

/// The argon2id hash of `password` with a fresh salt, as a PHC string.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the stored `phc` hash; a hash that does not
/// parse matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash no password matches, verified against when a user name is unknown
/// so that a login takes as long whether or not the name exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&generate()).unwrap_or_default())
}

/// A random password for a first run or an admin's reset, shown once:
/// `abcd-efgh-jkmn-pqrs`.
pub fn generate() -> String {
    let mut rng = rand::rng();
    (0..GENERATED_GROUPS)
        .map(|_| {
            (0..4)
                .map(|_| GENERATED_ALPHABET[rng.random_range(0..GENERATED_ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_for_what_is_wrong() {
        assert_eq!(check("amina", "short"), Err(WeakPassword::TooShort));
        assert_eq!(
            check("amina", &"x".repeat(MAX_LEN + 1)),
            Err(WeakPassword::TooLong)
        );
        assert_eq!(
            check("district-officer", "District-Officer"),
            Err(WeakPassword::IsUsername)
        );
        assert_eq!(check("amina", "Password123"), Err(WeakPassword::Common));
        assert_eq!(check("amina", "1234567890"), Err(WeakPassword::Common));
        assert_eq!(check("amina", "kilosa midwives 2026"), Ok(()));
    }

    #[test]
    fn the_common_list_holds_only_passwords_length_alone_would_let_through() {
        for p in COMMON.lines().map(str::trim).filter(|l| !l.is_empty()) {
            assert!(p.chars().count() >= MIN_LEN, "{p:?} is refused by length already");
            assert_eq!(p, p.to_lowercase(), "{p:?} must be lower case");
        }
    }

    #[test]
    fn hashes_verify_their_password_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse battery!", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("anything", decoy_hash()));
    }

    #[test]
    fn generated_passwords_pass_the_rules() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), GENERATED_GROUPS * 5 - 1);
        assert_eq!(check("admin", &a), Ok(()));
    }
}
