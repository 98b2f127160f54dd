//! The RFC 7047 §5.2 transact operations, their conditions and mutations.
//!
//! Mirrors `ovsdb/execution.c` (the server's parser) for member names. Every operation is built
//! as plain data and encoded with [`Operation::to_json`]; the wire form is exactly what
//! ovsdb-server parses (`"where"`, `"uuid-name"`, `"until"`, `"timeout"` in ms).

use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::data::{row_to_json, Datum, Row};

/// Comparison function of a condition (RFC 7047 §5.1 `<function>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `includes` (set/map contains all of value)
    Includes,
    /// `excludes` (set/map contains none of value)
    Excludes,
}

impl Function {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Lt => "<",
            Function::Le => "<=",
            Function::Eq => "==",
            Function::Ne => "!=",
            Function::Ge => ">=",
            Function::Gt => ">",
            Function::Includes => "includes",
            Function::Excludes => "excludes",
        }
    }
}

/// `[column, function, value]`: selects rows for select/update/mutate/delete/wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Column name (may be `_uuid`).
    pub column: String,
    /// Comparison.
    pub function: Function,
    /// Right-hand side.
    pub value: Datum,
}

impl Condition {
    /// `column function value`.
    pub fn new(column: &str, function: Function, value: impl Into<Datum>) -> Condition {
        Condition {
            column: column.to_owned(),
            function,
            value: value.into(),
        }
    }

    /// `column == value`.
    pub fn eq(column: &str, value: impl Into<Datum>) -> Condition {
        Condition::new(column, Function::Eq, value)
    }

    /// `_uuid == uuid`: the one row with that id.
    pub fn uuid(uuid: Uuid) -> Condition {
        Condition::eq("_uuid", uuid)
    }

    /// The wire form.
    pub fn to_json(&self) -> Json {
        json!([self.column, self.function.as_str(), self.value.to_json()])
    }
}

/// Mutator of a mutation (RFC 7047 §5.1 `<mutator>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutator {
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `*=`
    Mul,
    /// `/=`
    Div,
    /// `%=`
    Mod,
    /// `insert` into a set or map (existing map keys keep their value)
    Insert,
    /// `delete` from a set or map (a set of keys deletes map entries by key)
    Delete,
}

impl Mutator {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutator::Add => "+=",
            Mutator::Sub => "-=",
            Mutator::Mul => "*=",
            Mutator::Div => "/=",
            Mutator::Mod => "%=",
            Mutator::Insert => "insert",
            Mutator::Delete => "delete",
        }
    }
}

/// `[column, mutator, value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    /// Column name.
    pub column: String,
    /// What to do.
    pub mutator: Mutator,
    /// Operand.
    pub value: Datum,
}

impl Mutation {
    /// `column mutator value`.
    pub fn new(column: &str, mutator: Mutator, value: impl Into<Datum>) -> Mutation {
        Mutation {
            column: column.to_owned(),
            mutator,
            value: value.into(),
        }
    }

    /// The wire form.
    pub fn to_json(&self) -> Json {
        json!([self.column, self.mutator.as_str(), self.value.to_json()])
    }
}

/// The `until` of a wait operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Wait until the selected rows equal `rows`.
    Eq,
    /// Wait until they differ from `rows`.
    Ne,
}

/// One transact operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Insert a row; `uuid_name` lets later operations refer to it as `["named-uuid", name]`.
    Insert {
        /// Table.
        table: String,
        /// Column values (others get defaults).
        row: Row,
        /// Transaction-local name of the new row.
        uuid_name: Option<String>,
    },
    /// Read rows.
    Select {
        /// Table.
        table: String,
        /// Conditions, all of which must hold.
        conditions: Vec<Condition>,
        /// Columns to return (`None`: all).
        columns: Option<Vec<String>>,
    },
    /// Overwrite columns of matching rows.
    Update {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
        /// New column values.
        row: Row,
    },
    /// Mutate columns of matching rows in place.
    Mutate {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
        /// Mutations, applied in order.
        mutations: Vec<Mutation>,
    },
    /// Delete matching rows.
    Delete {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
    },
    /// Block (up to `timeout_ms`) until the matching rows projected on `columns` are (or are not)
    /// `rows`; with timeout 0 it is an optimistic-concurrency assertion.
    Wait {
        /// Table.
        table: String,
        /// Conditions.
        conditions: Vec<Condition>,
        /// Columns compared.
        columns: Vec<String>,
        /// `==` or `!=`.
        until: Until,
        /// Expected rows.
        rows: Vec<Row>,
        /// Milliseconds; `None` waits forever.
        timeout_ms: Option<u64>,
    },
    /// Commit; `durable` asks for fsync before the reply.
    Commit {
        /// Wait for stable storage.
        durable: bool,
    },
    /// Abort the transaction (always fails with `aborted`).
    Abort,
    /// A comment recorded in the database log.
    Comment {
        /// Text.
        comment: String,
    },
    /// Assert that this client holds `lock`.
    Assert {
        /// Lock name.
        lock: String,
    },
}

fn conditions_json(conditions: &[Condition]) -> Json {
    Json::Array(conditions.iter().map(Condition::to_json).collect())
}

impl Operation {
    /// The `op` name, used in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Insert { .. } => "insert",
            Operation::Select { .. } => "select",
            Operation::Update { .. } => "update",
            Operation::Mutate { .. } => "mutate",
            Operation::Delete { .. } => "delete",
            Operation::Wait { .. } => "wait",
            Operation::Commit { .. } => "commit",
            Operation::Abort => "abort",
            Operation::Comment { .. } => "comment",
            Operation::Assert { .. } => "assert",
        }
    }

    /// The table the operation works on, if any.
    pub fn table(&self) -> Option<&str> {
        match self {
            Operation::Insert { table, .. }
            | Operation::Select { table, .. }
            | Operation::Update { table, .. }
            | Operation::Mutate { table, .. }
            | Operation::Delete { table, .. }
            | Operation::Wait { table, .. } => Some(table),
            _ => None,
        }
    }

    /// The wire form.
    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        o.insert("op".into(), json!(self.name()));
        if let Some(t) = self.table() {
            o.insert("table".into(), json!(t));
        }
        match self {
            Operation::Insert { row, uuid_name, .. } => {
                o.insert("row".into(), row_to_json(row));
                if let Some(n) = uuid_name {
                    o.insert("uuid-name".into(), json!(n));
                }
            }
            Operation::Select {
                conditions,
                columns,
                ..
            } => {
                o.insert("where".into(), conditions_json(conditions));
                if let Some(c) = columns {
                    o.insert("columns".into(), json!(c));
                }
            }
            Operation::Update {
                conditions, row, ..
            } => {
                o.insert("where".into(), conditions_json(conditions));
                o.insert("row".into(), row_to_json(row));
            }
            Operation::Mutate {
                conditions,
                mutations,
                ..
            } => {
                o.insert("where".into(), conditions_json(conditions));
                let m: Vec<Json> = mutations.iter().map(Mutation::to_json).collect();
                o.insert("mutations".into(), Json::Array(m));
            }
            Operation::Delete { conditions, .. } => {
                o.insert("where".into(), conditions_json(conditions));
            }
            Operation::Wait {
                conditions,
                columns,
                until,
                rows,
                timeout_ms,
                ..
            } => {
                o.insert("where".into(), conditions_json(conditions));
                o.insert("columns".into(), json!(columns));
                let until = match until {
                    Until::Eq => "==",
                    Until::Ne => "!=",
                };
                o.insert("until".into(), json!(until));
                o.insert("rows".into(), rows.iter().map(row_to_json).collect());
                if let Some(t) = timeout_ms {
                    o.insert("timeout".into(), json!(t));
                }
            }
            Operation::Commit { durable } => {
                o.insert("durable".into(), json!(durable));
            }
            Operation::Abort => {}
            Operation::Comment { comment } => {
                o.insert("comment".into(), json!(comment));
            }
            Operation::Assert { lock } => {
                o.insert("lock".into(), json!(lock));
            }
        }
        Json::Object(o)
    }
}

/// The `params` of a `transact` request: `[db, op...]`.
pub fn transact_params(db: &str, ops: &[Operation]) -> Json {
    let mut params = Vec::with_capacity(ops.len() + 1);
    params.push(json!(db));
    params.extend(ops.iter().map(Operation::to_json));
    Json::Array(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms() {
        let ins = Operation::Insert {
            table: "Port".into(),
            row: Row::from([("name".to_owned(), Datum::from("p1"))]),
            uuid_name: Some("port".into()),
        };
        assert_eq!(
            ins.to_json(),
            json!({"op": "insert", "table": "Port", "row": {"name": "p1"}, "uuid-name": "port"})
        );
        let wait = Operation::Wait {
            table: "Bridge".into(),
            conditions: vec![Condition::eq("name", "br0")],
            columns: vec!["name".into()],
            until: Until::Ne,
            rows: vec![],
            timeout_ms: Some(0),
        };
        assert_eq!(
            wait.to_json(),
            json!({"op": "wait", "table": "Bridge", "where": [["name", "==", "br0"]],
                   "columns": ["name"], "until": "!=", "rows": [], "timeout": 0})
        );
        let m = Operation::Mutate {
            table: "Open_vSwitch".into(),
            conditions: vec![],
            mutations: vec![Mutation::new("next_cfg", Mutator::Add, 1i64)],
        };
        assert_eq!(
            m.to_json(),
            json!({"op": "mutate", "table": "Open_vSwitch", "where": [],
                   "mutations": [["next_cfg", "+=", 1]]})
        );
        assert_eq!(Operation::Abort.to_json(), json!({"op": "abort"}));
        assert_eq!(
            Operation::Commit { durable: false }.to_json(),
            json!({"op": "commit", "durable": false})
        );
    }
}
