//! New UUIDs for sessions, runs, steps and messages. Version 4 from the
//! thread's seeded generator: one `getrandom` call per UUID cost as much as
//! a tenth of a quiz sprint.

/// A new random (version 4) UUID as text.
pub fn new_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = new_uuid();
        let b = new_uuid();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).expect("parses");
        assert_eq!(parsed.get_version_num(), 4);
    }
}
