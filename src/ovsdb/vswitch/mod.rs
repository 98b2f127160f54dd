//! Typed, idempotent helpers for the `Open_vSwitch` database (`vswitchd/vswitch.ovsschema`).
//!
//! Every `ensure_*` reads the current rows and then changes only what differs from the spec,
//! so calling it again is harmless. New rows follow the schema's garbage-collection rule
//! (Bridge, Port and Interface are not root tables): an Interface is inserted with the Port that
//! references it, and the Port is added to `Bridge.ports` with a `mutate … insert` in the same
//! transaction (no lost update against concurrent writers, unlike a full-column rewrite).
//! `external_ids` / `other_config` keys given in a spec are set; other keys are left alone
//! (another agent may own them). Like `ovs-vsctl`, [`Vswitch::sync`] bumps `next_cfg` and
//! waits until ovs-vswitchd reports it in `cur_cfg`, which is when the change is applied and an
//! Interface's `ofport` is known (`utilities/ovs-vsctl.c`, `vswitchd/bridge.c`).

mod bridge;
mod cfg;
mod interfaces;
mod port;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

pub use bridge::{BridgeSpec, FailMode};
pub use interfaces::{InterfaceEvent, InterfaceInfo, InterfaceWatch, PodRef};
pub use port::{PortKind, PortSpec, TunnelKind};

use crate::ovsdb::client::{Client, ClientError};
use crate::ovsdb::proto::{DatabaseSchema, Datum, Mutation, Mutator, Operation, OperationResult};

/// The database name.
pub const DB: &str = "Open_vSwitch";

/// Why a vswitch helper failed.
#[derive(Debug, thiserror::Error)]
pub enum VswitchError {
    /// The OVSDB client failed (transport, protocol, operation or commit).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// No bridge of that name.
    #[error("no bridge named {0:?}")]
    BridgeNotFound(String),
    /// The port exists but belongs to another bridge.
    #[error("port {port:?} exists but is not on bridge {bridge:?}")]
    PortOnOtherBridge {
        /// Port name.
        port: String,
        /// The bridge asked for.
        bridge: String,
    },
    /// The database has no `Open_vSwitch` row (`ovs-vsctl init` was never run).
    #[error("the Open_vSwitch table has no row")]
    NotInitialized,
    /// ovs-vswitchd could not set up an interface (`ofport` is -1).
    #[error("interface {name:?} failed: {error}")]
    Interface {
        /// Interface name.
        name: String,
        /// `Interface.error` as set by ovs-vswitchd.
        error: String,
    },
    /// A wait did not finish in time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    /// A reply that does not fit the schema.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
}

/// Typed access to the `Open_vSwitch` database over one [`Client`].
#[derive(Debug, Clone)]
pub struct Vswitch {
    client: Client,
    schema: Arc<OnceCell<Arc<DatabaseSchema>>>,
}

impl Vswitch {
    /// Wraps a connected client.
    pub fn new(client: Client) -> Vswitch {
        Vswitch {
            client,
            schema: Arc::new(OnceCell::new()),
        }
    }

    /// The `Open_vSwitch` schema, fetched once and shared by clones.
    pub async fn schema(&self) -> Result<Arc<DatabaseSchema>, VswitchError> {
        let s = self
            .schema
            .get_or_try_init(|| async { self.client.get_schema(DB).await.map(Arc::new) })
            .await?;
        Ok(s.clone())
    }

    /// Connects to `unix:PATH` / `tcp:HOST:PORT`.
    pub async fn connect(target: &str) -> Result<Vswitch, VswitchError> {
        Ok(Vswitch::new(Client::connect(target).await?))
    }

    /// The underlying client, for raw transactions and monitors.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a transaction on `Open_vSwitch`.
    pub async fn transact(&self, ops: &[Operation]) -> Result<Vec<OperationResult>, VswitchError> {
        Ok(self.client.transact(DB, ops).await?)
    }
}

/// Mutations that set the given keys of a string map column and leave other keys alone.
pub(crate) fn merge_keys(column: &str, entries: &BTreeMap<String, String>) -> Vec<Mutation> {
    if entries.is_empty() {
        return Vec::new();
    }
    vec![
        Mutation::new(column, Mutator::Delete, Datum::set(entries.keys().cloned())),
        Mutation::new(column, Mutator::Insert, Datum::string_map(entries.clone())),
    ]
}

/// The count of an update/mutate result, or an error naming the operation.
pub(crate) fn count(results: &[OperationResult], index: usize) -> Result<u64, VswitchError> {
    results
        .get(index)
        .and_then(OperationResult::count)
        .ok_or_else(|| VswitchError::Unexpected(format!("no count for operation {index}")))
}
