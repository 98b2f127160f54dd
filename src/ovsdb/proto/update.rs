//! Monitor requests and the `<table-updates>` / `<table-updates2>` they produce.
//!
//! Mirrors `Documentation/ref/ovsdb-server.7.rst` §monitor_cond and RFC 7047 §4.1.5/§4.1.6.
//! Both update formats are parsed into one [`TableUpdates`] shape:
//! - update2 (`monitor_cond`): `initial`/`insert` carry the row, `modify` carries a **diff**
//!   (applied with the column type, see [`super::view`]), `delete` carries nothing we need;
//! - update (RFC `monitor`): `new` without `old` is an insert, `old` without `new` a delete, both
//!   a modify whose `new` holds every monitored column ([`RowUpdate::Replace`]).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::data::{row_from_json, DataError, Row};
use super::ops::Condition;

/// Which update format a monitor speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorVersion {
    /// RFC 7047 `monitor` → `update` notifications.
    V1,
    /// `monitor_cond` → `update2` notifications.
    V2,
}

impl MonitorVersion {
    /// The request method.
    pub fn method(self) -> &'static str {
        match self {
            MonitorVersion::V1 => "monitor",
            MonitorVersion::V2 => "monitor_cond",
        }
    }

    /// The notification method that carries updates.
    pub fn notification(self) -> &'static str {
        match self {
            MonitorVersion::V1 => "update",
            MonitorVersion::V2 => "update2",
        }
    }
}

/// What to monitor in one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMonitor {
    /// Table name.
    pub table: String,
    /// Columns to watch (`None`: all).
    pub columns: Option<Vec<String>>,
    /// `monitor_cond` only: rows must match all conditions (`None`: all rows).
    pub conditions: Option<Vec<Condition>>,
}

impl TableMonitor {
    /// All rows of `table`, the given columns.
    pub fn new(table: &str, columns: &[&str]) -> TableMonitor {
        TableMonitor {
            table: table.to_owned(),
            columns: Some(columns.iter().map(|c| (*c).to_owned()).collect()),
            conditions: None,
        }
    }

    /// Restricts the rows (monitor_cond only; plain monitor ignores it).
    pub fn with_conditions(mut self, conditions: Vec<Condition>) -> TableMonitor {
        self.conditions = Some(conditions);
        self
    }
}

/// The `params` of a monitor / monitor_cond request: `[db, monitor-id, {table: [request]}]`.
pub fn monitor_params(
    version: MonitorVersion,
    db: &str,
    monitor_id: &Json,
    tables: &[TableMonitor],
) -> Json {
    let mut reqs = Map::new();
    for t in tables {
        let mut r = Map::new();
        if let Some(c) = &t.columns {
            r.insert("columns".into(), json!(c));
        }
        if let (MonitorVersion::V2, Some(conds)) = (version, &t.conditions) {
            let w: Vec<Json> = conds.iter().map(Condition::to_json).collect();
            r.insert("where".into(), Json::Array(w));
        }
        reqs.insert(t.table.clone(), json!([Json::Object(r)]));
    }
    json!([db, monitor_id, Json::Object(reqs)])
}

/// One row's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowUpdate {
    /// Present when the monitor started (or restarted).
    Initial(Row),
    /// Inserted.
    Insert(Row),
    /// update2 modify: changed columns with their diffs.
    Modify(Row),
    /// update (v1) modify: the complete new row (monitored columns).
    Replace(Row),
    /// Deleted (or no longer matching the condition).
    Delete,
}

/// Table name → row UUID → change.
pub type TableUpdates = BTreeMap<String, BTreeMap<Uuid, RowUpdate>>;

fn parse_uuid(s: &str) -> Result<Uuid, DataError> {
    Uuid::parse_str(s).map_err(|_| DataError::new("row uuid", &json!(s)))
}

/// Parses `<table-updates2>`; `initial` rows stay `Initial`.
pub fn parse_table_updates2(json: &Json) -> Result<TableUpdates, DataError> {
    let tables = json
        .as_object()
        .ok_or_else(|| DataError::new("table-updates2", json))?;
    let mut out = TableUpdates::new();
    for (table, rows) in tables {
        let rows = rows
            .as_object()
            .ok_or_else(|| DataError::new("table-update2", rows))?;
        let t = out.entry(table.clone()).or_default();
        for (uuid, change) in rows {
            let obj = change
                .as_object()
                .filter(|o| o.len() == 1)
                .ok_or_else(|| DataError::new("row-update2", change))?;
            let upd = match obj.iter().next() {
                Some((k, v)) if k == "initial" => RowUpdate::Initial(row_from_json(v)?),
                Some((k, v)) if k == "insert" => RowUpdate::Insert(row_from_json(v)?),
                Some((k, v)) if k == "modify" => RowUpdate::Modify(row_from_json(v)?),
                Some((k, _)) if k == "delete" => RowUpdate::Delete,
                _ => return Err(DataError::new("row-update2", change)),
            };
            t.insert(parse_uuid(uuid)?, upd);
        }
    }
    Ok(out)
}

/// Parses RFC 7047 `<table-updates>`; with `initial` set, inserts are reported as `Initial`.
pub fn parse_table_updates(json: &Json, initial: bool) -> Result<TableUpdates, DataError> {
    let tables = json
        .as_object()
        .ok_or_else(|| DataError::new("table-updates", json))?;
    let mut out = TableUpdates::new();
    for (table, rows) in tables {
        let rows = rows
            .as_object()
            .ok_or_else(|| DataError::new("table-update", rows))?;
        let t = out.entry(table.clone()).or_default();
        for (uuid, change) in rows {
            let old = change.get("old");
            let new = change.get("new").map(row_from_json).transpose()?;
            let upd = match (old, new) {
                (None, Some(n)) if initial => RowUpdate::Initial(n),
                (None, Some(n)) => RowUpdate::Insert(n),
                (Some(_), Some(n)) => RowUpdate::Replace(n),
                (Some(_), None) => RowUpdate::Delete,
                (None, None) => return Err(DataError::new("row-update", change)),
            };
            t.insert(parse_uuid(uuid)?, upd);
        }
    }
    Ok(out)
}

/// Parses the table updates of a monitor reply or notification in the given version.
pub fn parse_updates(
    version: MonitorVersion,
    json: &Json,
    initial: bool,
) -> Result<TableUpdates, DataError> {
    match version {
        MonitorVersion::V1 => parse_table_updates(json, initial),
        MonitorVersion::V2 => parse_table_updates2(json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::proto::data::Datum;

    const U: &str = "550e8400-e29b-41d4-a716-446655440000";

    #[test]
    fn update2_kinds() {
        let j = json!({"Interface": {U: {"modify": {"ofport": 3}}}});
        let u = parse_table_updates2(&j).unwrap();
        let row = Row::from([("ofport".to_owned(), Datum::from(3i64))]);
        assert_eq!(
            u["Interface"][&Uuid::parse_str(U).unwrap()],
            RowUpdate::Modify(row)
        );
        let j = json!({"Interface": {U: {"delete": null}}});
        assert_eq!(
            parse_table_updates2(&j).unwrap()["Interface"]
                .values()
                .next(),
            Some(&RowUpdate::Delete)
        );
        assert!(parse_table_updates2(&json!({"T": {U: {"bogus": {}}}})).is_err());
        assert!(parse_table_updates2(&json!({"T": {"not-a-uuid": {"delete": null}}})).is_err());
    }

    #[test]
    fn update1_kinds() {
        let j = json!({"T": {U: {"old": {"a": 1}, "new": {"a": 2, "b": 3}}}});
        assert!(matches!(
            parse_table_updates(&j, false).unwrap()["T"].values().next(),
            Some(RowUpdate::Replace(r)) if r.len() == 2
        ));
        let j = json!({"T": {U: {"new": {"a": 2}}}});
        assert!(matches!(
            parse_table_updates(&j, true).unwrap()["T"].values().next(),
            Some(RowUpdate::Initial(_))
        ));
    }

    #[test]
    fn monitor_request_shape() {
        let t = TableMonitor::new("Interface", &["name", "ofport"])
            .with_conditions(vec![Condition::eq("name", "p1")]);
        let p = monitor_params(MonitorVersion::V2, "Open_vSwitch", &json!("m1"), &[t]);
        assert_eq!(
            p,
            json!(["Open_vSwitch", "m1", {"Interface": [
                {"columns": ["name", "ofport"], "where": [["name", "==", "p1"]]}]}])
        );
    }
}
