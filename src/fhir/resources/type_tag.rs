//! The `resourceType` field as a zero-sized marker: it writes the type's wire
//! name and refuses to read any other, so a `Patient` never parses as a
//! `Practitioner` by accident.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::Resource;

pub struct TypeTag<R>(PhantomData<fn() -> R>);

impl<R> Default for TypeTag<R> {
    fn default() -> Self {
        TypeTag(PhantomData)
    }
}

impl<R> Clone for TypeTag<R> {
    fn clone(&self) -> Self {
        TypeTag(PhantomData)
    }
}

impl<R> PartialEq for TypeTag<R> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<R: Resource> fmt::Debug for TypeTag<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(R::TYPE)
    }
}

impl<R: Resource> Serialize for TypeTag<R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(R::TYPE)
    }
}

impl<'de, R: Resource> Deserialize<'de> for TypeTag<R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Expect<R>(PhantomData<fn() -> R>);
        impl<R: Resource> Visitor<'_> for Expect<R> {
            type Value = TypeTag<R>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "resourceType \"{}\"", R::TYPE)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeTag<R>, E> {
                if v == R::TYPE {
                    Ok(TypeTag::default())
                } else {
                    Err(E::custom(format_args!(
                        "expected resourceType {:?}, found {v:?}",
                        R::TYPE
                    )))
                }
            }
        }
        d.deserialize_str(Expect(PhantomData))
    }
}
