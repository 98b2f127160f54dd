//! The parts of an RFC 7047 §3.2 database schema a client needs: tables, column types, roots.
//!
//! Mirrors `lib/ovsdb-types.c` (`ovsdb_type_from_json`). The column type decides how an
//! update2 "modify" diff applies (`ovsdb_type_is_composite`: `max > 1` → diff, else the new
//! value), so a monitor view keeps the schema of the tables it watches.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::data::DataError;

/// The atomic type of a set element, map key or map value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomicType {
    /// `integer`
    Integer,
    /// `real`
    Real,
    /// `boolean`
    Boolean,
    /// `string`
    String,
    /// `uuid`
    Uuid,
}

impl AtomicType {
    fn parse(name: &str, json: &Json) -> Result<AtomicType, DataError> {
        Ok(match name {
            "integer" => AtomicType::Integer,
            "real" => AtomicType::Real,
            "boolean" => AtomicType::Boolean,
            "string" => AtomicType::String,
            "uuid" => AtomicType::Uuid,
            _ => return Err(DataError::new("atomic type", json)),
        })
    }
}

/// A base type: an atomic type plus the table a uuid refers to (constraints are the server's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseType {
    /// The atomic type.
    pub atomic: AtomicType,
    /// For `uuid`: the referenced table.
    pub ref_table: Option<String>,
}

impl BaseType {
    fn from_json(json: &Json) -> Result<BaseType, DataError> {
        match json {
            Json::String(s) => Ok(BaseType {
                atomic: AtomicType::parse(s, json)?,
                ref_table: None,
            }),
            Json::Object(o) => {
                let name = o
                    .get("type")
                    .and_then(Json::as_str)
                    .ok_or_else(|| DataError::new("base type", json))?;
                Ok(BaseType {
                    atomic: AtomicType::parse(name, json)?,
                    ref_table: o.get("refTable").and_then(Json::as_str).map(str::to_owned),
                })
            }
            _ => Err(DataError::new("base type", json)),
        }
    }
}

/// A column type: key (and value for maps) with size bounds `min..=max` (`None` = unlimited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnType {
    /// Key (or element) type.
    pub key: BaseType,
    /// Value type; present for maps.
    pub value: Option<BaseType>,
    /// Minimum number of elements (0 or 1).
    pub min: u64,
    /// Maximum number of elements; `None` for "unlimited".
    pub max: Option<u64>,
}

impl ColumnType {
    /// Parses the `type` member of a column schema.
    pub fn from_json(json: &Json) -> Result<ColumnType, DataError> {
        if let Json::String(_) = json {
            return Ok(ColumnType {
                key: BaseType::from_json(json)?,
                value: None,
                min: 1,
                max: Some(1),
            });
        }
        let o = json
            .as_object()
            .ok_or_else(|| DataError::new("column type", json))?;
        let key = BaseType::from_json(o.get("key").unwrap_or(&Json::Null))?;
        let value = o.get("value").map(BaseType::from_json).transpose()?;
        let min = match o.get("min") {
            None => 1,
            Some(m) => m
                .as_u64()
                .ok_or_else(|| DataError::new("column min", json))?,
        };
        let max = match o.get("max") {
            None => Some(1),
            Some(Json::String(s)) if s == "unlimited" => None,
            Some(m) => Some(
                m.as_u64()
                    .ok_or_else(|| DataError::new("column max", json))?,
            ),
        };
        Ok(ColumnType {
            key,
            value,
            min,
            max,
        })
    }

    /// A map column.
    pub fn is_map(&self) -> bool {
        self.value.is_some()
    }

    /// More than one element allowed: update2 sends diffs for such columns
    /// (`ovsdb_type_is_composite`).
    pub fn is_composite(&self) -> bool {
        self.max.is_none_or(|m| m > 1)
    }
}

/// One table's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// Column name → type (without the implicit `_uuid` and `_version`).
    pub columns: BTreeMap<String, ColumnType>,
    /// Root tables keep unreferenced rows; others are garbage-collected at commit.
    pub is_root: bool,
}

/// A database schema (the result of `get_schema`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSchema {
    /// Database name, e.g. `Open_vSwitch`.
    pub name: String,
    /// Schema version, e.g. `8.3.1`.
    pub version: String,
    /// Table name → table schema.
    pub tables: BTreeMap<String, TableSchema>,
}

impl DatabaseSchema {
    /// Parses a schema object.
    pub fn from_json(json: &Json) -> Result<DatabaseSchema, DataError> {
        let bad = || DataError::new("schema", json);
        let name = json.get("name").and_then(Json::as_str).ok_or_else(bad)?;
        let version = json
            .get("version")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let tables_json = json
            .get("tables")
            .and_then(Json::as_object)
            .ok_or_else(bad)?;
        let mut tables = BTreeMap::new();
        for (tname, t) in tables_json {
            let cols = t
                .get("columns")
                .and_then(Json::as_object)
                .ok_or_else(|| DataError::new("table schema", t))?;
            let mut columns = BTreeMap::new();
            for (cname, c) in cols {
                let ty = c
                    .get("type")
                    .ok_or_else(|| DataError::new("column schema", c))?;
                columns.insert(cname.clone(), ColumnType::from_json(ty)?);
            }
            let is_root = t.get("isRoot").and_then(Json::as_bool).unwrap_or(false);
            tables.insert(tname.clone(), TableSchema { columns, is_root });
        }
        Ok(DatabaseSchema {
            name: name.to_owned(),
            version: version.to_owned(),
            tables,
        })
    }

    /// The type of `table.column`, if both exist.
    pub fn column(&self, table: &str, column: &str) -> Option<&ColumnType> {
        self.tables.get(table)?.columns.get(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn column_types() {
        let scalar = ColumnType::from_json(&json!("string")).unwrap();
        assert!(!scalar.is_composite() && !scalar.is_map());
        let opt = ColumnType::from_json(&json!({"key": "integer", "min": 0, "max": 1})).unwrap();
        assert!(!opt.is_composite());
        let map = ColumnType::from_json(
            &json!({"key": "string", "value": "string", "min": 0, "max": "unlimited"}),
        )
        .unwrap();
        assert!(map.is_composite() && map.is_map());
        let refs = ColumnType::from_json(
            &json!({"key": {"type": "uuid", "refTable": "Port"}, "min": 0, "max": "unlimited"}),
        )
        .unwrap();
        assert_eq!(refs.key.ref_table.as_deref(), Some("Port"));
        assert!(ColumnType::from_json(&json!({"key": "blob"})).is_err());
    }
}
