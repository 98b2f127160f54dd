//! Client errors, one variant family per layer: transport, protocol, server, operation, commit.

use serde_json::Value as Json;

use crate::ovsdb::proto::framing::FramingError;
use crate::ovsdb::proto::results::{OvsdbError, TransactError};
use crate::ovsdb::proto::session::SessionError;
use crate::ovsdb::proto::view::ViewError;
use crate::ovsdb::proto::DataError;

/// The server sent something that breaks the protocol; the connection is dropped and re-made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Bytes that are not JSON-RPC.
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// A reply or notification that fits no request.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A value that is not RFC 7047 data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// An update that does not fit the local view.
    #[error(transparent)]
    View(#[from] ViewError),
    /// A result of the wrong shape.
    #[error("malformed {0}")]
    Malformed(String),
}

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The target string is neither `unix:PATH` nor `tcp:HOST:PORT`.
    #[error("invalid OVSDB target {0:?} (expected unix:PATH or tcp:HOST:PORT)")]
    BadTarget(String),
    /// Connecting, reading or writing failed.
    #[error("transport {target}: {source}")]
    Transport {
        /// The target.
        target: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server broke the protocol.
    #[error("protocol: {0}")]
    Protocol(#[from] ProtocolError),
    /// The server answered the request with a JSON-RPC error (e.g. unknown database).
    #[error("server rejected {method}: {error}")]
    Rpc {
        /// The method called.
        method: String,
        /// The error value sent.
        error: Json,
    },
    /// Operation `index` of a transaction failed; nothing was committed.
    #[error("operation {index} ({op}) failed: {error}")]
    Operation {
        /// Position in the transaction (0-based).
        index: usize,
        /// The operation's name (`insert`, `wait`, ...).
        op: &'static str,
        /// The server's error.
        error: OvsdbError,
    },
    /// Every operation succeeded but the commit did not; nothing was committed.
    #[error("commit failed: {0}")]
    Commit(OvsdbError),
    /// The connection was lost after the request was sent; whether it took effect is unknown.
    #[error("connection lost while waiting for the reply to {0}")]
    Disconnected(String),
    /// The client (its driver task) is gone.
    #[error("client closed")]
    Closed,
}

impl ClientError {
    /// The server's error kind for operation and commit failures (`constraint violation`,
    /// `timed out`, ...).
    pub fn ovsdb_error(&self) -> Option<&OvsdbError> {
        match self {
            ClientError::Operation { error, .. } | ClientError::Commit(error) => Some(error),
            _ => None,
        }
    }
}

impl From<TransactError> for ClientError {
    fn from(e: TransactError) -> ClientError {
        match e {
            TransactError::Operation { index, op, error } => {
                ClientError::Operation { index, op, error }
            }
            TransactError::Commit(error) => ClientError::Commit(error),
            TransactError::Malformed(m) => ClientError::Protocol(ProtocolError::Malformed(m)),
        }
    }
}

impl From<DataError> for ClientError {
    fn from(e: DataError) -> ClientError {
        ClientError::Protocol(ProtocolError::Data(e))
    }
}
