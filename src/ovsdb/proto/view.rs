//! A local replica of monitored tables, kept by applying table updates (sans-IO).
//!
//! Mirrors `lib/ovsdb-cs.c` / `lib/ovsdb-idl.c` (`ovsdb_idl_modify_row_by_diff`,
//! `ovsdb_datum_apply_diff_in_place` in `lib/ovsdb-data.c`). Invariants:
//! - after [`DbView::resync`] the view equals the server's snapshot, whatever it held before,
//!   and the events returned describe exactly the difference (so changes made while the client
//!   was disconnected surface as ordinary add/change/remove events);
//! - a `modify` diff on a column with `max > 1` toggles set elements and, for maps, removes a key
//!   whose value matches, replaces a key whose value differs and adds a missing key; any other
//!   column takes the sent value as is.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::data::{Datum, Row};
use super::schema::{ColumnType, DatabaseSchema};
use super::update::{RowUpdate, TableUpdates};

/// A change to one row of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowEvent {
    /// A row appeared.
    Added {
        /// Table.
        table: String,
        /// Row id.
        uuid: Uuid,
        /// The row (monitored columns).
        row: Row,
    },
    /// A row changed.
    Changed {
        /// Table.
        table: String,
        /// Row id.
        uuid: Uuid,
        /// Before.
        old: Row,
        /// After.
        new: Row,
    },
    /// A row disappeared.
    Removed {
        /// Table.
        table: String,
        /// Row id.
        uuid: Uuid,
        /// The last known row.
        row: Row,
    },
}

/// The updates do not fit the view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// A modify or delete names a row the view does not hold.
    #[error("update for unknown row {table} {uuid}")]
    UnknownRow {
        /// Table.
        table: String,
        /// Row id.
        uuid: Uuid,
    },
}

/// Applies an update2 diff to one column value (`ovsdb_datum_apply_diff_in_place`).
pub fn apply_diff(current: &mut Datum, diff: Datum, ty: Option<&ColumnType>) {
    if !ty.is_some_and(ColumnType::is_composite) {
        *current = diff;
        return;
    }
    match (current, diff) {
        (Datum::Set(cur), Datum::Set(d)) => {
            for atom in d {
                if !cur.remove(&atom) {
                    cur.insert(atom);
                }
            }
        }
        (Datum::Map(cur), Datum::Map(d)) => {
            for (k, v) in d {
                if cur.get(&k) == Some(&v) {
                    cur.remove(&k);
                } else {
                    cur.insert(k, v);
                }
            }
        }
        // An empty set standing for an empty map (or the reverse): the diff is the value.
        (cur, d) if cur.is_empty() => *cur = d,
        (cur, d) => *cur = d,
    }
}

/// Table name → row id → row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbView {
    tables: BTreeMap<String, BTreeMap<Uuid, Row>>,
}

impl DbView {
    /// An empty view.
    pub fn new() -> DbView {
        DbView::default()
    }

    /// The rows of `table` (empty if none).
    pub fn table(&self, table: &str) -> impl Iterator<Item = (&Uuid, &Row)> {
        self.tables.get(table).into_iter().flatten()
    }

    /// One row.
    pub fn row(&self, table: &str, uuid: &Uuid) -> Option<&Row> {
        self.tables.get(table)?.get(uuid)
    }

    /// Applies incremental updates and returns what changed.
    pub fn apply(
        &mut self,
        schema: &DatabaseSchema,
        updates: TableUpdates,
    ) -> Result<Vec<RowEvent>, ViewError> {
        let mut events = Vec::new();
        for (table, rows) in updates {
            let tschema = schema.tables.get(&table);
            let t = self.tables.entry(table.clone()).or_default();
            for (uuid, upd) in rows {
                let unknown = || ViewError::UnknownRow {
                    table: table.clone(),
                    uuid,
                };
                match upd {
                    RowUpdate::Initial(row) | RowUpdate::Insert(row) => {
                        match t.insert(uuid, row.clone()) {
                            Some(old) if old != row => events.push(RowEvent::Changed {
                                table: table.clone(),
                                uuid,
                                old,
                                new: row,
                            }),
                            Some(_) => {}
                            None => events.push(RowEvent::Added {
                                table: table.clone(),
                                uuid,
                                row,
                            }),
                        }
                    }
                    RowUpdate::Modify(diff) => {
                        let cur = t.get_mut(&uuid).ok_or_else(unknown)?;
                        let old = cur.clone();
                        for (col, d) in diff {
                            let ty = tschema.and_then(|s| s.columns.get(&col));
                            apply_diff(cur.entry(col).or_default(), d, ty);
                        }
                        if *cur != old {
                            events.push(RowEvent::Changed {
                                table: table.clone(),
                                uuid,
                                old,
                                new: cur.clone(),
                            });
                        }
                    }
                    RowUpdate::Replace(row) => {
                        let cur = t.get_mut(&uuid).ok_or_else(unknown)?;
                        if *cur != row {
                            let old = std::mem::replace(cur, row.clone());
                            events.push(RowEvent::Changed {
                                table: table.clone(),
                                uuid,
                                old,
                                new: row,
                            });
                        }
                    }
                    RowUpdate::Delete => {
                        let row = t.remove(&uuid).ok_or_else(unknown)?;
                        events.push(RowEvent::Removed {
                            table: table.clone(),
                            uuid,
                            row,
                        });
                    }
                }
            }
        }
        Ok(events)
    }

    /// Replaces the whole view with a fresh snapshot (the initial reply of a re-established
    /// monitor) and returns the difference to what the view held.
    pub fn resync(&mut self, snapshot: TableUpdates) -> Vec<RowEvent> {
        let mut fresh: BTreeMap<String, BTreeMap<Uuid, Row>> = BTreeMap::new();
        for (table, rows) in snapshot {
            let t = fresh.entry(table).or_default();
            for (uuid, upd) in rows {
                match upd {
                    RowUpdate::Initial(r) | RowUpdate::Insert(r) | RowUpdate::Replace(r) => {
                        t.insert(uuid, r);
                    }
                    RowUpdate::Modify(_) | RowUpdate::Delete => {}
                }
            }
        }
        let mut events = Vec::new();
        let old_tables = std::mem::take(&mut self.tables);
        for (table, old_rows) in &old_tables {
            let empty = BTreeMap::new();
            let new_rows = fresh.get(table).unwrap_or(&empty);
            for (uuid, old) in old_rows {
                match new_rows.get(uuid) {
                    None => events.push(RowEvent::Removed {
                        table: table.clone(),
                        uuid: *uuid,
                        row: old.clone(),
                    }),
                    Some(new) if new != old => events.push(RowEvent::Changed {
                        table: table.clone(),
                        uuid: *uuid,
                        old: old.clone(),
                        new: new.clone(),
                    }),
                    Some(_) => {}
                }
            }
        }
        for (table, new_rows) in &fresh {
            let old_rows = old_tables.get(table);
            for (uuid, row) in new_rows {
                if old_rows.is_none_or(|o| !o.contains_key(uuid)) {
                    events.push(RowEvent::Added {
                        table: table.clone(),
                        uuid: *uuid,
                        row: row.clone(),
                    });
                }
            }
        }
        self.tables = fresh;
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::proto::update::parse_table_updates2;
    use serde_json::json;

    const U: &str = "550e8400-e29b-41d4-a716-446655440000";

    fn schema() -> DatabaseSchema {
        DatabaseSchema::from_json(&json!({"name": "db", "version": "1", "tables": {"I": {
            "columns": {
                "name": {"type": "string"},
                "ofport": {"type": {"key": "integer", "min": 0, "max": 1}},
                "tags": {"type": {"key": "integer", "min": 0, "max": "unlimited"}},
                "ids": {"type": {"key": "string", "value": "string", "min": 0,
                                 "max": "unlimited"}}}}}}))
        .unwrap()
    }

    fn upd(j: serde_json::Value) -> TableUpdates {
        parse_table_updates2(&json!({ "I": { U: j } })).unwrap()
    }

    #[test]
    fn modify_applies_diffs_by_column_type() {
        let s = schema();
        let mut v = DbView::new();
        let ev = v
            .apply(
                &s,
                upd(json!({"initial": {"name": "p", "ofport": ["set", []],
                "tags": ["set", [1, 2]], "ids": ["map", [["a", "1"], ["b", "2"]]]}})),
            )
            .unwrap();
        assert!(matches!(ev[0], RowEvent::Added { .. }));
        let ev = v
            .apply(
                &s,
                upd(json!({"modify": {"ofport": 7, "tags": ["set", [2, 3]],
                "ids": ["map", [["a", "1"], ["b", "9"], ["c", "3"]]]}})),
            )
            .unwrap();
        let RowEvent::Changed { new, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(new["ofport"].as_i64(), Some(7));
        assert_eq!(new["tags"], Datum::set([1i64, 3]));
        assert_eq!(new["ids"], Datum::string_map([("b", "9"), ("c", "3")]));
        let ev = v.apply(&s, upd(json!({"delete": null}))).unwrap();
        assert!(matches!(ev[0], RowEvent::Removed { .. }));
        assert!(v.apply(&s, upd(json!({"delete": null}))).is_err());
    }

    #[test]
    fn resync_reports_the_difference() {
        let s = schema();
        let mut v = DbView::new();
        v.apply(&s, upd(json!({"initial": {"name": "p"}}))).unwrap();
        let other = "650e8400-e29b-41d4-a716-446655440000";
        let snap = parse_table_updates2(&json!({"I": {other: {"initial": {"name": "q"}}}}));
        let ev = v.resync(snap.unwrap());
        assert_eq!(ev.len(), 2);
        assert!(
            matches!(&ev[0], RowEvent::Removed { row, .. } if row["name"].as_str() == Some("p"))
        );
        assert!(matches!(&ev[1], RowEvent::Added { row, .. } if row["name"].as_str() == Some("q")));
        assert_eq!(v.table("I").count(), 1);
    }
}
