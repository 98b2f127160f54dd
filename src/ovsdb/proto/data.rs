//! The RFC 7047 §5.1 data model: atoms, sets, maps and rows, and their JSON form.
//!
//! Mirrors `lib/ovsdb-data.c` (`ovsdb_atom_from_json`, `ovsdb_datum_from_json`,
//! `ovsdb_datum_to_json`). Invariants:
//! - A [`Datum`] is either a set or a map. A scalar column value is a set of exactly one atom, so
//!   "a one-element set sent bare" and "a scalar" are the same value here. Decoding accepts the
//!   bare atom and `["set", [atom]]` alike; encoding sends a one-element set bare, as OVS does.
//! - Sets and maps are ordered ([`BTreeSet`]/[`BTreeMap`]) with a total order on atoms (reals
//!   compare with `f64::total_cmp`), so equal values compare equal whatever order the server
//!   sent them in, and update2 diffs can be applied by key.
//! - An empty map is sent as `["map", []]`; an empty set as `["set", []]`. Without a schema an
//!   empty `["set", []]` may stand for an empty map column; [`Datum::is_empty`] treats both alike.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};
use uuid::Uuid;

/// A value that does not follow the RFC 7047 JSON encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OVSDB {what}: {json}")]
pub struct DataError {
    /// What was expected (atom, set, map, row, uuid ...).
    pub what: &'static str,
    /// The offending JSON text (truncated to keep errors small).
    pub json: String,
}

impl DataError {
    pub(crate) fn new(what: &'static str, json: &Json) -> DataError {
        let mut text = json.to_string();
        if text.len() > 200 {
            let mut cut = 200;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("...");
        }
        DataError { what, json: text }
    }
}

/// One OVSDB atom: the scalar that sets and maps are built of.
#[derive(Debug, Clone)]
pub enum Atom {
    /// A 64-bit signed integer.
    Integer(i64),
    /// A real (IEEE double).
    Real(f64),
    /// A boolean.
    Boolean(bool),
    /// A UTF-8 string.
    String(String),
    /// A row reference: `["uuid", "..."]`.
    Uuid(Uuid),
    /// A reference to a row inserted earlier in the same transaction: `["named-uuid", "name"]`.
    NamedUuid(String),
}

impl Atom {
    fn rank(&self) -> u8 {
        match self {
            Atom::Integer(_) => 0,
            Atom::Real(_) => 1,
            Atom::Boolean(_) => 2,
            Atom::String(_) => 3,
            Atom::Uuid(_) => 4,
            Atom::NamedUuid(_) => 5,
        }
    }

    /// Decodes an atom from its JSON form.
    pub fn from_json(json: &Json) -> Result<Atom, DataError> {
        match json {
            Json::Bool(b) => Ok(Atom::Boolean(*b)),
            Json::String(s) => Ok(Atom::String(s.clone())),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Atom::Integer(i))
                } else if n.is_f64() {
                    n.as_f64()
                        .map(Atom::Real)
                        .ok_or_else(|| DataError::new("atom", json))
                } else {
                    // An integer outside i64 (e.g. u64::MAX): OVSDB integers are 64-bit signed.
                    Err(DataError::new("integer atom (out of range)", json))
                }
            }
            Json::Array(a) => match (a.first().and_then(Json::as_str), a.get(1), a.len()) {
                (Some("uuid"), Some(Json::String(s)), 2) => Uuid::parse_str(s)
                    .map(Atom::Uuid)
                    .map_err(|_| DataError::new("uuid", json)),
                (Some("named-uuid"), Some(Json::String(s)), 2) => Ok(Atom::NamedUuid(s.clone())),
                _ => Err(DataError::new("atom", json)),
            },
            _ => Err(DataError::new("atom", json)),
        }
    }

    /// Encodes the atom as RFC 7047 JSON.
    pub fn to_json(&self) -> Json {
        match self {
            Atom::Integer(i) => json!(i),
            Atom::Real(r) => json!(r),
            Atom::Boolean(b) => json!(b),
            Atom::String(s) => json!(s),
            Atom::Uuid(u) => json!(["uuid", u.hyphenated().to_string()]),
            Atom::NamedUuid(n) => json!(["named-uuid", n]),
        }
    }

    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Atom::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a real; OVS prints integral reals without a fraction, so integers count.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Atom::Real(r) => Some(*r),
            Atom::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Atom::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Atom::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The row UUID, if this is a (non-named) reference.
    pub fn as_uuid(&self) -> Option<Uuid> {
        match self {
            Atom::Uuid(u) => Some(*u),
            _ => None,
        }
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Atom) -> Ordering {
        match (self, other) {
            (Atom::Integer(a), Atom::Integer(b)) => a.cmp(b),
            (Atom::Real(a), Atom::Real(b)) => a.total_cmp(b),
            (Atom::Boolean(a), Atom::Boolean(b)) => a.cmp(b),
            (Atom::String(a), Atom::String(b)) => a.cmp(b),
            (Atom::Uuid(a), Atom::Uuid(b)) => a.cmp(b),
            (Atom::NamedUuid(a), Atom::NamedUuid(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Atom) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Atom {}

impl From<i64> for Atom {
    fn from(v: i64) -> Atom {
        Atom::Integer(v)
    }
}
impl From<bool> for Atom {
    fn from(v: bool) -> Atom {
        Atom::Boolean(v)
    }
}
impl From<f64> for Atom {
    fn from(v: f64) -> Atom {
        Atom::Real(v)
    }
}
impl From<&str> for Atom {
    fn from(v: &str) -> Atom {
        Atom::String(v.to_owned())
    }
}
impl From<String> for Atom {
    fn from(v: String) -> Atom {
        Atom::String(v)
    }
}
impl From<Uuid> for Atom {
    fn from(v: Uuid) -> Atom {
        Atom::Uuid(v)
    }
}

/// A column value: a set of atoms (a scalar is a set of one) or a map from atoms to atoms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Datum {
    /// A set; `min..=max` in the column type bounds its size.
    Set(BTreeSet<Atom>),
    /// A map with unique keys.
    Map(BTreeMap<Atom, Atom>),
}

impl Default for Datum {
    fn default() -> Datum {
        Datum::Set(BTreeSet::new())
    }
}

impl Datum {
    /// The empty set (`["set", []]`), e.g. an unset optional column.
    pub fn empty_set() -> Datum {
        Datum::Set(BTreeSet::new())
    }

    /// The empty map (`["map", []]`).
    pub fn empty_map() -> Datum {
        Datum::Map(BTreeMap::new())
    }

    /// A scalar: a set holding exactly `atom`.
    pub fn scalar(atom: impl Into<Atom>) -> Datum {
        Datum::Set(BTreeSet::from([atom.into()]))
    }

    /// A set of the given atoms.
    pub fn set<A: Into<Atom>>(atoms: impl IntoIterator<Item = A>) -> Datum {
        Datum::Set(atoms.into_iter().map(Into::into).collect())
    }

    /// A string→string map, the shape of `external_ids`, `other_config` and `options`.
    pub fn string_map<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Datum {
        Datum::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (Atom::String(k.into()), Atom::String(v.into())))
                .collect(),
        )
    }

    /// Decodes a datum: a bare atom, `["set", [...]]` or `["map", [[k, v], ...]]`.
    pub fn from_json(json: &Json) -> Result<Datum, DataError> {
        if let Json::Array(a) = json {
            match (a.first().and_then(Json::as_str), a.get(1), a.len()) {
                (Some("set"), Some(Json::Array(items)), 2) => {
                    let atoms = items
                        .iter()
                        .map(Atom::from_json)
                        .collect::<Result<_, _>>()?;
                    return Ok(Datum::Set(atoms));
                }
                (Some("map"), Some(Json::Array(pairs)), 2) => {
                    let mut map = BTreeMap::new();
                    for pair in pairs {
                        match pair.as_array().map(Vec::as_slice) {
                            Some([k, v]) => {
                                map.insert(Atom::from_json(k)?, Atom::from_json(v)?);
                            }
                            _ => return Err(DataError::new("map pair", pair)),
                        }
                    }
                    return Ok(Datum::Map(map));
                }
                (Some("set" | "map"), _, _) => return Err(DataError::new("set or map", json)),
                _ => {}
            }
        }
        Ok(Datum::scalar(Atom::from_json(json)?))
    }

    /// Encodes the datum; a one-element set goes out bare, like `ovsdb_datum_to_json`.
    pub fn to_json(&self) -> Json {
        match self {
            Datum::Set(s) if s.len() == 1 => s.iter().next().map_or(Json::Null, Atom::to_json),
            Datum::Set(s) => json!(["set", s.iter().map(Atom::to_json).collect::<Vec<_>>()]),
            Datum::Map(m) => json!([
                "map",
                m.iter()
                    .map(|(k, v)| json!([k.to_json(), v.to_json()]))
                    .collect::<Vec<_>>()
            ]),
        }
    }

    /// True for the empty set and the empty map.
    pub fn is_empty(&self) -> bool {
        match self {
            Datum::Set(s) => s.is_empty(),
            Datum::Map(m) => m.is_empty(),
        }
    }

    /// The only atom of a one-element set (a scalar or a present optional value).
    pub fn as_atom(&self) -> Option<&Atom> {
        match self {
            Datum::Set(s) if s.len() == 1 => s.iter().next(),
            _ => None,
        }
    }

    /// The scalar integer, if the datum is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_atom().and_then(Atom::as_i64)
    }

    /// The scalar string, if the datum is one.
    pub fn as_str(&self) -> Option<&str> {
        self.as_atom().and_then(Atom::as_str)
    }

    /// The scalar boolean, if the datum is one.
    pub fn as_bool(&self) -> Option<bool> {
        self.as_atom().and_then(Atom::as_bool)
    }

    /// The scalar UUID, if the datum is one.
    pub fn as_uuid(&self) -> Option<Uuid> {
        self.as_atom().and_then(Atom::as_uuid)
    }

    /// The set's atoms (empty for a map).
    pub fn atoms(&self) -> impl Iterator<Item = &Atom> {
        let set = match self {
            Datum::Set(s) => Some(s.iter()),
            Datum::Map(_) => None,
        };
        set.into_iter().flatten()
    }

    /// The UUIDs in a set of references.
    pub fn uuids(&self) -> Vec<Uuid> {
        self.atoms().filter_map(Atom::as_uuid).collect()
    }

    /// The string→string entries of a map (non-string entries are skipped); an empty set counts
    /// as an empty map.
    pub fn to_string_map(&self) -> BTreeMap<String, String> {
        match self {
            Datum::Map(m) => m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
                .collect(),
            Datum::Set(_) => BTreeMap::new(),
        }
    }
}

impl<A: Into<Atom>> From<A> for Datum {
    fn from(atom: A) -> Datum {
        Datum::scalar(atom)
    }
}

/// A row: column name → value. Rows in results carry only the columns asked for.
pub type Row = BTreeMap<String, Datum>;

/// Decodes a row object (`{"column": datum, ...}`).
pub fn row_from_json(json: &Json) -> Result<Row, DataError> {
    let obj = json
        .as_object()
        .ok_or_else(|| DataError::new("row", json))?;
    obj.iter()
        .map(|(k, v)| Ok((k.clone(), Datum::from_json(v)?)))
        .collect()
}

/// Encodes a row as a JSON object.
pub fn row_to_json(row: &Row) -> Json {
    Json::Object(row.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_element_set_bare_and_wrapped_decode_alike() {
        let bare = Datum::from_json(&json!(5)).unwrap();
        let wrapped = Datum::from_json(&json!(["set", [5]])).unwrap();
        assert_eq!(bare, wrapped);
        assert_eq!(bare.to_json(), json!(5));
        assert_eq!(Datum::empty_set().to_json(), json!(["set", []]));
        assert_eq!(Datum::empty_map().to_json(), json!(["map", []]));
    }

    #[test]
    fn uuid_and_named_uuid() {
        let j = json!(["uuid", "550e8400-e29b-41d4-a716-446655440000"]);
        let d = Datum::from_json(&j).unwrap();
        assert_eq!(d.to_json(), j);
        let n = Datum::from_json(&json!(["named-uuid", "row1"])).unwrap();
        assert_eq!(n.as_atom(), Some(&Atom::NamedUuid("row1".into())));
        assert!(Datum::from_json(&json!(["uuid", "nope"])).is_err());
    }

    #[test]
    fn map_and_bad_shapes() {
        let j = json!(["map", [["a", "1"], ["b", "2"]]]);
        let d = Datum::from_json(&j).unwrap();
        assert_eq!(d.to_json(), j);
        assert_eq!(d.to_string_map()["b"], "2");
        for bad in [
            json!(["map", [["a"]]]),
            json!(["set", 1]),
            json!(null),
            json!({}),
            json!(18446744073709551615u64),
        ] {
            assert!(Datum::from_json(&bad).is_err(), "{bad}");
        }
    }
}
