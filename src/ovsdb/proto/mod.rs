//! The OVSDB wire protocol as plain data, without I/O (sans-IO).
//!
//! - [`framing`]: bytes ⇄ JSON-RPC messages (no framing on the wire; streaming JSON parsing);
//! - [`jsonrpc`]: JSON-RPC 1.0 messages in ovsdb-server's dialect;
//! - [`session`]: request ids, reply correlation, echo answers;
//! - [`data`], [`schema`]: the RFC 7047 data model and the schema parts a client needs;
//! - [`ops`], [`results`]: transact operations and their per-operation results and errors;
//! - [`update`], [`view`]: monitor requests, table updates (v1 and update2) and a local replica.
//!
//! Everything here is deterministic and unit-tested without a server; the tokio driver in
//! [`super::client`] only moves bytes and calls into these types.

pub mod data;
pub mod framing;
pub mod jsonrpc;
pub mod ops;
pub mod results;
pub mod schema;
pub mod session;
pub mod update;
pub mod view;

pub use data::{Atom, DataError, Datum, Row};
pub use framing::{Decoder, FramingError};
pub use jsonrpc::Message;
pub use ops::{Condition, Function, Mutation, Mutator, Operation, Until};
pub use results::{OperationResult, OvsdbError, TransactError};
pub use schema::{ColumnType, DatabaseSchema};
pub use update::{MonitorVersion, RowUpdate, TableMonitor, TableUpdates};
pub use view::{DbView, RowEvent};
