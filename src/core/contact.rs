//! Contacts and their typed custom fields.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::msg::str_enum;
use super::Urn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatus {
    Active,
    /// Blocked by an operator: no flows, no messages.
    Blocked,
    /// Opted out by the health worker (STOP): receives nothing until START.
    Stopped,
}
str_enum!(ContactStatus { Active => "active", Blocked => "blocked", Stopped => "stopped" });

/// The type of a custom field, which decides how values compare in queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Datetime,
    /// A location path such as `Tanzania > Morogoro > Kilosa`; compared by
    /// its last level or the whole path.
    Location,
}
str_enum!(FieldType { Text => "text", Number => "number", Datetime => "datetime", Location => "location" });

/// A typed field value, as kept in the contact's `fields` JSON object.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Number(Decimal),
    Datetime(DateTime<Utc>),
    Location(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {key:?} is a {ty} field and {value:?} is not a valid {ty}")]
pub struct FieldError {
    pub key: String,
    pub ty: FieldType,
    pub value: String,
}

impl FieldValue {
    /// Read a value given as JSON (string or number) as a field of type `ty`.
    pub fn coerce(key: &str, ty: FieldType, raw: &serde_json::Value) -> Result<FieldValue, FieldError> {
        let text = match raw {
            serde_json::Value::String(s) => s.trim().to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        let err = || FieldError {
            key: key.to_string(),
            ty,
            value: text.clone(),
        };
        Ok(match ty {
            FieldType::Text => FieldValue::Text(text.clone()),
            FieldType::Location => FieldValue::Location(text.clone()),
            FieldType::Number => FieldValue::Number(parse_decimal(&text).ok_or_else(err)?),
            FieldType::Datetime => FieldValue::Datetime(parse_datetime(&text).ok_or_else(err)?),
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Text(s) | FieldValue::Location(s) => serde_json::Value::String(s.clone()),
            FieldValue::Number(d) => serde_json::Value::String(d.normalize().to_string()),
            FieldValue::Datetime(t) => {
                serde_json::Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            }
        }
    }

    pub fn as_text(&self) -> String {
        match self.to_json() {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }
    }
}

pub fn parse_decimal(s: &str) -> Option<Decimal> {
    s.trim().replace(',', "").parse::<Decimal>().ok()
}

/// Accepts RFC 3339 instants and plain dates (midnight UTC).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
}

/// A contact as the store returns it.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: i64,
    pub uuid: Uuid,
    /// The id another system (an HR roster) knows this contact by; a roster
    /// re-import matches on it.
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub status: ContactStatus,
    pub urns: Vec<Urn>,
    pub fields: BTreeMap<String, serde_json::Value>,
    pub groups: Vec<String>,
    pub created_on: String,
    pub modified_on: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercion_by_type() {
        assert_eq!(
            FieldValue::coerce("age", FieldType::Number, &json!("1,200.50")).unwrap(),
            FieldValue::Number("1200.50".parse().unwrap())
        );
        assert_eq!(
            FieldValue::coerce("age", FieldType::Number, &json!(42))
                .unwrap()
                .to_json(),
            json!("42")
        );
        let d = FieldValue::coerce("t", FieldType::Datetime, &json!("2026-03-01")).unwrap();
        assert_eq!(d.to_json(), json!("2026-03-01T00:00:00Z"));
        let e = FieldValue::coerce("age", FieldType::Number, &json!("old")).unwrap_err();
        assert_eq!(e.key, "age");
        assert!(e.to_string().contains("number"));
    }
}
