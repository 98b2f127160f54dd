//! Per-operation transact results and errors (RFC 7047 §4.1.3, §5.2).
//!
//! Mirrors `ovsdb/execution.c::ovsdb_execute`: the result array has one element per operation;
//! the first failing operation gets an error object (`{"error", "details", "syntax"?}`), the
//! rest are `null`; a failure while committing (e.g. a referential-integrity or constraint
//! violation found at commit) is an **extra element after the last operation**. So every element
//! is checked, not only the JSON-RPC `error`.

use serde_json::Value as Json;
use uuid::Uuid;

use super::data::{row_from_json, Atom, DataError, Row};
use super::ops::Operation;

/// An RFC 7047 error object as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OvsdbError {
    /// The error kind, e.g. `constraint violation`, `referential integrity violation`,
    /// `timed out`, `syntax error`, `aborted`.
    pub error: String,
    /// Human-readable details.
    pub details: Option<String>,
}

impl OvsdbError {
    fn from_json(json: &Json) -> Option<OvsdbError> {
        let error = json.get("error")?.as_str()?.to_owned();
        let details = json
            .get("details")
            .and_then(Json::as_str)
            .map(str::to_owned);
        Some(OvsdbError { error, details })
    }
}

impl std::fmt::Display for OvsdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.details {
            Some(d) => write!(f, "{}: {}", self.error, d),
            None => f.write_str(&self.error),
        }
    }
}

/// The result of one successful operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationResult {
    /// `insert`: the new row's UUID.
    Inserted(Uuid),
    /// `select`: the rows (only the asked-for columns).
    Rows(Vec<Row>),
    /// `update`, `mutate`, `delete`: how many rows matched.
    Count(u64),
    /// `wait`, `commit`, `comment`, `assert`: nothing to report.
    Empty,
}

impl OperationResult {
    /// The UUID of an insert.
    pub fn uuid(&self) -> Option<Uuid> {
        match self {
            OperationResult::Inserted(u) => Some(*u),
            _ => None,
        }
    }

    /// The rows of a select (empty otherwise).
    pub fn rows(&self) -> &[Row] {
        match self {
            OperationResult::Rows(r) => r,
            _ => &[],
        }
    }

    /// The count of an update/mutate/delete.
    pub fn count(&self) -> Option<u64> {
        match self {
            OperationResult::Count(c) => Some(*c),
            _ => None,
        }
    }
}

/// Why a transaction did not commit, as told by the result array.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactError {
    /// Operation `index` (0-based, in the order sent) failed; nothing was committed.
    #[error("operation {index} ({op}) failed: {error}")]
    Operation {
        /// Position of the failing operation.
        index: usize,
        /// Its `op` name.
        op: &'static str,
        /// What the server said.
        error: OvsdbError,
    },
    /// All operations succeeded but the commit failed; nothing was committed.
    #[error("commit failed: {0}")]
    Commit(OvsdbError),
    /// The result array does not have the RFC 7047 shape.
    #[error("malformed transact result: {0}")]
    Malformed(String),
}

impl From<DataError> for TransactError {
    fn from(e: DataError) -> TransactError {
        TransactError::Malformed(e.to_string())
    }
}

fn parse_one(op: &Operation, json: &Json) -> Result<OperationResult, TransactError> {
    let malformed = || TransactError::Malformed(format!("{} result {}", op.name(), json));
    match op {
        Operation::Insert { .. } => {
            let uuid = json.get("uuid").ok_or_else(malformed)?;
            match Atom::from_json(uuid)? {
                Atom::Uuid(u) => Ok(OperationResult::Inserted(u)),
                _ => Err(malformed()),
            }
        }
        Operation::Select { .. } => {
            let rows = json
                .get("rows")
                .and_then(Json::as_array)
                .ok_or_else(malformed)?;
            Ok(OperationResult::Rows(
                rows.iter().map(row_from_json).collect::<Result<_, _>>()?,
            ))
        }
        Operation::Update { .. } | Operation::Mutate { .. } | Operation::Delete { .. } => json
            .get("count")
            .and_then(Json::as_u64)
            .map(OperationResult::Count)
            .ok_or_else(malformed),
        _ => Ok(OperationResult::Empty),
    }
}

/// Checks a `transact` result array against the operations sent and returns one result per
/// operation, or the first per-operation error, or the commit error.
pub fn parse_transact_result(
    ops: &[Operation],
    result: &Json,
) -> Result<Vec<OperationResult>, TransactError> {
    let items = result
        .as_array()
        .ok_or_else(|| TransactError::Malformed(format!("not an array: {result}")))?;
    // Errors first: an error anywhere (including the extra commit element) means no commit.
    for (index, item) in items.iter().enumerate() {
        if let Some(error) = item.get("error").and_then(|_| OvsdbError::from_json(item)) {
            return Err(match ops.get(index) {
                Some(op) => TransactError::Operation {
                    index,
                    op: op.name(),
                    error,
                },
                None => TransactError::Commit(error),
            });
        }
    }
    if items.len() < ops.len() {
        return Err(TransactError::Malformed(format!(
            "{} results for {} operations",
            items.len(),
            ops.len()
        )));
    }
    ops.iter()
        .zip(items)
        .map(|(op, j)| parse_one(op, j))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::proto::ops::Condition;
    use serde_json::json;

    fn select() -> Operation {
        Operation::Select {
            table: "Bridge".into(),
            conditions: vec![Condition::eq("name", "br0")],
            columns: None,
        }
    }

    #[test]
    fn per_operation_error_names_the_operation() {
        let ops = [select(), Operation::Abort];
        let r = json!([{"rows": []}, {"error": "aborted"}]);
        match parse_transact_result(&ops, &r) {
            Err(TransactError::Operation { index, op, error }) => {
                assert_eq!((index, op, error.error.as_str()), (1, "abort", "aborted"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn extra_element_is_the_commit_error() {
        let ops = [select()];
        let r = json!([{"rows": []},
            {"error": "referential integrity violation", "details": "x"}]);
        match parse_transact_result(&ops, &r) {
            Err(TransactError::Commit(e)) => assert_eq!(e.details.as_deref(), Some("x")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn success_and_malformed() {
        let u = "550e8400-e29b-41d4-a716-446655440000";
        let ops = [
            Operation::Insert {
                table: "Port".into(),
                row: Row::new(),
                uuid_name: None,
            },
            select(),
            Operation::Delete {
                table: "Port".into(),
                conditions: vec![],
            },
            Operation::Comment {
                comment: "hi".into(),
            },
        ];
        let r = json!([{"uuid": ["uuid", u]}, {"rows": [{"name": "br0"}]}, {"count": 2}, {}]);
        let res = parse_transact_result(&ops, &r).unwrap();
        assert_eq!(res[0].uuid(), Uuid::parse_str(u).ok());
        assert_eq!(res[1].rows()[0]["name"].as_str(), Some("br0"));
        assert_eq!(res[2].count(), Some(2));
        assert!(matches!(
            parse_transact_result(&ops, &json!([{}])),
            Err(TransactError::Malformed(_))
        ));
        assert!(matches!(
            parse_transact_result(&ops[..1], &json!([{"uuid": 3}])),
            Err(TransactError::Malformed(_))
        ));
    }
}
