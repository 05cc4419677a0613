//! Capabilities: what an actor system offers, as a map of names to simple values.
//!
//! Each system has capabilities set when it is built and changeable at run time. An actor type may
//! refuse to run on a system whose capabilities do not suit it (see
//! [`Actor::capability_check`](crate::Actor::capability_check)); the convention of networked systems
//! places actors by them.

use std::collections::BTreeMap;
use std::fmt;

#[cfg(feature = "remote")]
use serde::{Deserialize, Serialize};

/// One capability value: the simple, serializable values a capability can hold.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "remote", derive(Serialize, Deserialize))]
pub enum CapabilityValue {
    /// A flag.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// Text.
    Text(String),
}

impl fmt::Display for CapabilityValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapabilityValue::Bool(v) => write!(f, "{v}"),
            CapabilityValue::Int(v) => write!(f, "{v}"),
            CapabilityValue::Float(v) => write!(f, "{v}"),
            CapabilityValue::Text(v) => write!(f, "{v:?}"),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident as $as:ty),* $(,)?) => {$(
        impl From<$t> for CapabilityValue {
            fn from(v: $t) -> Self {
                CapabilityValue::$variant(v as $as)
            }
        }
    )*};
}
value_from!(bool => Bool as bool, i64 => Int as i64, i32 => Int as i64, u32 => Int as i64,
    f64 => Float as f64, f32 => Float as f64);

impl From<&str> for CapabilityValue {
    fn from(v: &str) -> Self {
        CapabilityValue::Text(v.to_owned())
    }
}

impl From<String> for CapabilityValue {
    fn from(v: String) -> Self {
        CapabilityValue::Text(v)
    }
}

/// A set of capabilities (or of creation requirements): names mapped to [`CapabilityValue`]s,
/// kept in name order so that two equal sets print and serialize alike.
///
/// ```
/// use thespian::Capabilities;
/// let caps = Capabilities::new().with("Hello World", true).with("cores", 8);
/// assert!(caps.is_true("Hello World"));
/// assert_eq!(caps.get("cores"), Some(&8i64.into()));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "remote", derive(Serialize, Deserialize))]
pub struct Capabilities(BTreeMap<String, CapabilityValue>);

impl Capabilities {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the set with `name` set to `value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<CapabilityValue>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets `name` to `value`, returning the previous value.
    pub fn set(
        &mut self,
        name: impl Into<String>,
        value: impl Into<CapabilityValue>,
    ) -> Option<CapabilityValue> {
        self.0.insert(name.into(), value.into())
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<CapabilityValue> {
        self.0.remove(name)
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&CapabilityValue> {
        self.0.get(name)
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Whether `name` is present and is the flag `true` (Thespian's usual capability test).
    pub fn is_true(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(CapabilityValue::Bool(true)))
    }

    /// The capabilities, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CapabilityValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of capabilities.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<CapabilityValue>> FromIterator<(K, V)> for Capabilities {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Capabilities(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
