//! The small R4 datatypes our resources share (Meta, Identifier, Reference,
//! Coding, Extension, ...). Each keeps the fields we read and carries every
//! other field through untouched, so a read-modify-PUT loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields we do not model, kept verbatim for round-tripping.
pub type Extra = Map<String, Value>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Meta {
    /// A `meta` carrying only the given profile.
    pub fn with_profile(profile: &str) -> Meta {
        Meta {
            profile: vec![profile.to_string()],
            ..Meta::default()
        }
    }

    pub fn has_tag(&self, system: &str, code: &str) -> bool {
        self.tag
            .iter()
            .any(|t| t.system.as_deref() == Some(system) && t.code.as_deref() == Some(code))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: Option<&str>) -> Coding {
        Coding {
            system: Some(system.to_string()),
            code: Some(code.to_string()),
            display: display.map(str::to_string),
            extra: Extra::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl CodeableConcept {
    pub fn coded(coding: Coding) -> CodeableConcept {
        CodeableConcept {
            coding: vec![coding],
            ..CodeableConcept::default()
        }
    }

    /// The human label: `text`, else the first coding's display, else its code.
    pub fn label(&self) -> Option<&str> {
        self.text.as_deref().or_else(|| {
            self.coding
                .iter()
                .find_map(|c| c.display.as_deref().or(c.code.as_deref()))
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identifier {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Identifier {
    pub fn new(system: &str, value: &str) -> Identifier {
        Identifier {
            system: Some(system.to_string()),
            value: Some(value.to_string()),
            ..Identifier::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Reference {
    /// A relative literal reference `Type/id`.
    pub fn to(resource_type: &str, id: &str) -> Reference {
        Reference {
            reference: Some(format!("{resource_type}/{id}")),
            ..Reference::default()
        }
    }

    /// The id of a relative reference to `resource_type` (`Location/L1` → `L1`),
    /// ignoring any `_history` suffix. Absolute and contained references give `None`.
    pub fn id_of(&self, resource_type: &str) -> Option<&str> {
        let rest = self
            .reference
            .as_deref()?
            .strip_prefix(resource_type)?
            .strip_prefix('/')?;
        let id = rest.split('/').next()?;
        (!id.is_empty()).then_some(id)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HumanName {
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl HumanName {
    /// `text` if present, else given names then family, space-joined.
    pub fn display(&self) -> Option<String> {
        if let Some(text) = self.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            return Some(text.to_string());
        }
        let parts: Vec<&str> = self
            .given
            .iter()
            .map(String::as_str)
            .chain(self.family.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactPoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ContactPoint {
    pub fn phone(value: &str) -> ContactPoint {
        ContactPoint {
            system: Some("phone".to_string()),
            value: Some(value.to_string()),
            ..ContactPoint::default()
        }
    }
}

/// An extension: `url`, nested `extension`s, and one `value[x]` kept as its
/// JSON key (`valueString`, `valueDateTime`, ...), since R4 has ~50 value types
/// and we read only a handful.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    pub url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(flatten)]
    pub value: Extra,
}

impl Extension {
    pub fn string(url: &str, value: &str) -> Extension {
        Extension::valued(url, "valueString", Value::String(value.to_string()))
    }

    pub fn date_time(url: &str, value: &str) -> Extension {
        Extension::valued(url, "valueDateTime", Value::String(value.to_string()))
    }

    pub fn reference(url: &str, reference: &Reference) -> Extension {
        let value = serde_json::to_value(reference).unwrap_or(Value::Null);
        Extension::valued(url, "valueReference", value)
    }

    pub fn boolean(url: &str, value: bool) -> Extension {
        Extension::valued(url, "valueBoolean", Value::Bool(value))
    }

    pub fn integer(url: &str, value: i64) -> Extension {
        Extension::valued(url, "valueInteger", Value::from(value))
    }

    /// A complex extension holding only sub-extensions.
    pub fn complex(url: &str, extension: Vec<Extension>) -> Extension {
        Extension {
            url: url.to_string(),
            extension,
            value: Extra::new(),
        }
    }

    fn valued(url: &str, key: &str, value: Value) -> Extension {
        let mut map = Extra::new();
        map.insert(key.to_string(), value);
        Extension {
            url: url.to_string(),
            extension: Vec::new(),
            value: map,
        }
    }

    /// The value as text for the string-like value types (string, code, uri,
    /// dateTime, date, instant, id, markdown), or a reference's `reference`.
    pub fn value_text(&self) -> Option<&str> {
        const TEXT_KEYS: [&str; 9] = [
            "valueString",
            "valueCode",
            "valueUri",
            "valueUrl",
            "valueDateTime",
            "valueDate",
            "valueInstant",
            "valueId",
            "valueMarkdown",
        ];
        if let Some(text) = TEXT_KEYS.iter().find_map(|k| self.value.get(*k)?.as_str()) {
            return Some(text);
        }
        self.value.get("valueReference")?.get("reference")?.as_str()
    }

    pub fn value_bool(&self) -> Option<bool> {
        self.value.get("valueBoolean")?.as_bool()
    }

    pub fn value_i64(&self) -> Option<i64> {
        [
            "valueInteger",
            "valueUnsignedInt",
            "valuePositiveInt",
            "valueDecimal",
        ]
        .iter()
        .find_map(|k| self.value.get(*k)?.as_i64())
    }

    /// The first direct sub-extension with this url.
    pub fn sub(&self, url: &str) -> Option<&Extension> {
        self.extension.iter().find(|e| e.url == url)
    }

    /// Set (replace or append) a sub-extension, keeping the others' order.
    pub fn set_sub(&mut self, ext: Extension) {
        match self.extension.iter_mut().find(|e| e.url == ext.url) {
            Some(slot) => *slot = ext,
            None => self.extension.push(ext),
        }
    }
}

/// The first extension with `url` in a list.
pub fn find_extension<'a>(extensions: &'a [Extension], url: &str) -> Option<&'a Extension> {
    extensions.iter().find(|e| e.url == url)
}

/// A `payload` element of Communication and CommunicationRequest: `content[x]`
/// is a string, an Attachment or a Reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_reference: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_attachment: Option<Attachment>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Payload {
    pub fn text(text: &str) -> Payload {
        Payload {
            content_string: Some(text.to_string()),
            ..Payload::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}
