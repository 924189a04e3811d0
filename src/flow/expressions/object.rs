//! Excellent objects: an ordered map of properties with an optional default
//! value (`__default__`), shared cheaply between clones. Lookups are
//! case-insensitive, as in goflow.

use std::sync::Arc;

use super::value::Value;

/// Key whose value is used when an object itself is rendered or converted.
pub const DEFAULT_KEY: &str = "__default__";

/// An ordered map of properties with an optional default value (`__default__`).
/// Lookups are case-insensitive, as in goflow.
#[derive(Debug, Clone, Default)]
pub struct Object(Arc<ObjectData>);

#[derive(Debug, Clone, Default)]
struct ObjectData {
    default: Option<Value>,
    props: Vec<(String, Value)>,
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    /// An object whose rendering is `default` and whose properties are `props`.
    pub fn with_default(default: Value, props: Vec<(String, Value)>) -> Object {
        Object(Arc::new(ObjectData {
            default: Some(default),
            props,
        }))
    }

    /// An object from properties with distinct names, kept in their order.
    pub(crate) fn from_ordered(props: Vec<(String, Value)>) -> Object {
        Object(Arc::new(ObjectData { default: None, props }))
    }

    pub fn from_props(props: Vec<(String, Value)>) -> Object {
        let mut obj = Object::new();
        for (k, v) in props {
            obj.insert(k, v);
        }
        obj
    }

    /// Sets a property (replacing one of the same name, case-insensitively).
    /// The key `__default__` sets the default instead.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        let data = Arc::make_mut(&mut self.0);
        if key == DEFAULT_KEY {
            data.default = Some(value);
            return;
        }
        match data.props.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            Some(slot) => slot.1 = value,
            None => data.props.push((key, value)),
        }
    }

    pub fn set_default(&mut self, value: Option<Value>) {
        Arc::make_mut(&mut self.0).default = value;
    }

    /// Case-insensitive property lookup (exact match preferred).
    pub fn get(&self, key: &str) -> Option<&Value> {
        let props = &self.0.props;
        props
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| props.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v)
    }

    pub fn default_value(&self) -> Option<&Value> {
        self.0.default.as_ref()
    }

    pub fn len(&self) -> usize {
        self.0.props.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.props.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.props.iter().map(|(k, _)| k.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.props.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Properties sorted by key, the order goflow uses when rendering.
    pub fn sorted(&self) -> Vec<(&str, &Value)> {
        let mut v: Vec<_> = self.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }
}
