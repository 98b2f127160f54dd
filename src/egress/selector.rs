//! Kubernetes label selectors (`metav1.LabelSelector`) with Kubernetes semantics.
//!
//! Mirrors `k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go: LabelSelectorAsSelector` and
//! `pkg/labels/selector.go`:
//! - an empty selector `{}` selects everything;
//! - an absent (`null`) selector selects nothing — callers model that as `Option<LabelSelector>`
//!   and [`matches_optional`] returns `false` for `None`;
//! - `matchLabels` and every `matchExpressions` requirement are ANDed;
//! - `In` / `NotIn` need at least one value, `Exists` / `DoesNotExist` take none;
//!   `NotIn` and `DoesNotExist` also match objects that lack the key.
//!
//! Invariant: a [`LabelSelector`] value is always valid (keys, values, operators checked on
//! construction and on deserialization), so matching cannot fail.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Labels of an object (`metadata.labels`), sorted so iteration is deterministic.
pub type Labels = BTreeMap<String, String>;

/// Why a label selector is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The operator is not one of `In`, `NotIn`, `Exists`, `DoesNotExist`.
    #[error("unknown operator {0:?} (expected In, NotIn, Exists or DoesNotExist)")]
    UnknownOperator(String),
    /// `In` / `NotIn` without values.
    #[error("operator {0} requires at least one value")]
    ValuesRequired(Operator),
    /// `Exists` / `DoesNotExist` with values.
    #[error("operator {0} takes no values")]
    ValuesForbidden(Operator),
    /// A label key that Kubernetes would reject.
    #[error("{key:?} is not a valid label key: {reason}")]
    InvalidKey {
        /// The key as written.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A label value that Kubernetes would reject.
    #[error("{value:?} is not a valid label value: {reason}")]
    InvalidValue {
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A `matchExpressions` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// The label is present and its value is one of the values.
    In,
    /// The label is absent or its value is none of the values.
    NotIn,
    /// The label is present (any value).
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl Operator {
    /// The spelling used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Operator {
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "In" => Ok(Operator::In),
            "NotIn" => Ok(Operator::NotIn),
            "Exists" => Ok(Operator::Exists),
            "DoesNotExist" => Ok(Operator::DoesNotExist),
            other => Err(SelectorError::UnknownOperator(other.to_string())),
        }
    }
}

impl Serialize for Operator {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Operator {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A validated label key (`[prefix/]name`), see [`validate_key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LabelKey(String);

impl LabelKey {
    /// Validates `key` as a Kubernetes label key.
    pub fn new(key: impl Into<String>) -> Result<Self, SelectorError> {
        let key = key.into();
        validate_key(&key)?;
        Ok(LabelKey(key))
    }
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LabelKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LabelKey::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A validated label value (empty allowed), see [`validate_value`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LabelValue(String);

impl LabelValue {
    /// Validates `value` as a Kubernetes label value.
    pub fn new(value: impl Into<String>) -> Result<Self, SelectorError> {
        let value = value.into();
        validate_value(&value)?;
        Ok(LabelValue(value))
    }
    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for LabelValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LabelValue::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// One `matchExpressions` entry, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    key: LabelKey,
    operator: Operator,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values: Vec<LabelValue>,
}

impl Requirement {
    /// Checks the operator/values combination the way Kubernetes does.
    pub fn new(
        key: LabelKey,
        operator: Operator,
        values: Vec<LabelValue>,
    ) -> Result<Self, SelectorError> {
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                Err(SelectorError::ValuesRequired(operator))
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                Err(SelectorError::ValuesForbidden(operator))
            }
            _ => Ok(Requirement {
                key,
                operator,
                values,
            }),
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        self.key.as_str()
    }
    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }
    /// The values (empty for `Exists` / `DoesNotExist`).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(LabelValue::as_str)
    }

    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        let found = labels.get(self.key.as_str());
        let in_values = |v: &String| self.values.iter().any(|x| x.as_str() == v);
        match self.operator {
            Operator::In => found.is_some_and(in_values),
            Operator::NotIn => !found.is_some_and(in_values),
            Operator::Exists => found.is_some(),
            Operator::DoesNotExist => found.is_none(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRequirement {
    key: LabelKey,
    operator: Operator,
    #[serde(default, deserialize_with = "null_as_default")]
    values: Vec<LabelValue>,
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawRequirement::deserialize(d)?;
        Requirement::new(raw.key, raw.operator, raw.values).map_err(serde::de::Error::custom)
    }
}

/// A validated Kubernetes label selector. `{}` (the default) selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Labels that must be present with exactly these values.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub(crate) match_labels: BTreeMap<LabelKey, LabelValue>,
    /// Further requirements, all of which must hold.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// A selector that selects everything (`{}`).
    pub fn everything() -> Self {
        Self::default()
    }

    /// Builds a selector from `matchLabels` pairs and requirements, validating keys and values.
    pub fn new<'a>(
        match_labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        match_expressions: Vec<Requirement>,
    ) -> Result<Self, SelectorError> {
        let mut labels = BTreeMap::new();
        for (k, v) in match_labels {
            labels.insert(LabelKey::new(k)?, LabelValue::new(v)?);
        }
        Ok(LabelSelector {
            match_labels: labels,
            match_expressions,
        })
    }

    /// A selector with only `matchLabels` (the common case in manifests and tests).
    pub fn from_labels<'a>(
        match_labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SelectorError> {
        Self::new(match_labels, Vec::new())
    }

    /// `true` for `{}`: selects every object.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// The `matchLabels` pairs, sorted by key.
    pub fn match_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.match_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `matchExpressions` requirements.
    pub fn match_expressions(&self) -> &[Requirement] {
        &self.match_expressions
    }

    /// Whether `labels` satisfy every part of the selector.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k.as_str()).is_some_and(|x| x == v.as_str()))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

/// Kubernetes' rule for optional selectors: `None` (absent / null) selects nothing.
pub fn matches_optional(selector: Option<&LabelSelector>, labels: &Labels) -> bool {
    selector.is_some_and(|s| s.matches(labels))
}

/// Deserializes `null` as the type's default (Go's nil slice / map / struct behaviour).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Checks a label key: optional DNS-1123 subdomain prefix (≤ 253) and `/`, then a name of
/// 1–63 characters `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
/// (`apimachinery/pkg/util/validation: IsQualifiedName`).
pub fn validate_key(key: &str) -> Result<(), SelectorError> {
    let bad = |reason| SelectorError::InvalidKey {
        key: key.to_string(),
        reason,
    };
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 {
            return Err(bad("prefix must be 1-253 characters"));
        }
        let subdomain_ok = prefix.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
        if !subdomain_ok {
            return Err(bad("prefix must be a lowercase DNS subdomain"));
        }
    }
    if name.is_empty() {
        return Err(bad("name part must not be empty"));
    }
    check_name_syntax(name).map_err(bad)
}

/// Checks a label value: empty, or 1–63 characters `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub fn validate_value(value: &str) -> Result<(), SelectorError> {
    if value.is_empty() {
        return Ok(());
    }
    check_name_syntax(value).map_err(|reason| SelectorError::InvalidValue {
        value: value.to_string(),
        reason,
    })
}

fn check_name_syntax(s: &str) -> Result<(), &'static str> {
    if s.len() > 63 {
        return Err("must be at most 63 characters");
    }
    let bytes = s.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return Err("must begin and end with an alphanumeric character");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err("may contain only alphanumerics, '-', '_' and '.'");
    }
    Ok(())
}
