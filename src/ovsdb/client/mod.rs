//! Async OVSDB client over tokio: `list_dbs`, `get_schema`, `transact`, `monitor`,
//! `monitor_cond` (update2), `monitor_cancel`, echo answers, reconnect with backoff.
//!
//! [`Client`] is a cheap, cloneable handle; one driver task (`driver`) owns the socket. The
//! protocol itself lives in [`crate::ovsdb::proto`]; this module only moves messages.
//! Errors are typed per layer ([`ClientError`]): transport, protocol, server (JSON-RPC error),
//! per operation (index and op name), commit.

mod driver;
mod error;
mod transport;
mod watch;

use serde_json::{json, Value as Json};
use tokio::sync::{mpsc, oneshot, watch as tokio_watch};

pub use driver::{ClientOptions, ConnectionState, MonitorMessage};
pub use error::{ClientError, ProtocolError};
pub use transport::Target;
pub use watch::MonitorView;

use crate::ovsdb::proto::ops::transact_params;
use crate::ovsdb::proto::results::parse_transact_result;
use crate::ovsdb::proto::update::TableMonitor;
use crate::ovsdb::proto::{DatabaseSchema, MonitorVersion, Operation, OperationResult};
use driver::{Command, Driver};

/// A connection to one ovsdb-server, shared by clones.
#[derive(Clone)]
pub struct Client {
    cmds: mpsc::UnboundedSender<Command>,
    state: tokio_watch::Receiver<ConnectionState>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &*self.state.borrow())
            .finish()
    }
}

impl Client {
    /// Connects to `unix:PATH` or `tcp:HOST:PORT` with default options (reconnect on).
    /// Must be called inside a tokio runtime; the first connection attempt is made here so a
    /// wrong target fails at once.
    pub async fn connect(target: &str) -> Result<Client, ClientError> {
        Client::connect_with(target, ClientOptions::default()).await
    }

    /// Connects with explicit options.
    pub async fn connect_with(target: &str, opts: ClientOptions) -> Result<Client, ClientError> {
        let target = Target::parse(target)?;
        let conn = transport::connect(&target).await?;
        let (cmds, rx) = mpsc::unbounded_channel();
        let (state_tx, state) = tokio_watch::channel(ConnectionState::default());
        tokio::spawn(Driver::new(target, opts, rx, state_tx).run(conn));
        Ok(Client { cmds, state })
    }

    /// Connection counters (connected, reconnects, echoes answered), updated live.
    pub fn state(&self) -> tokio_watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Sends any request and returns its `result`.
    pub async fn call(&self, method: &str, params: Json) -> Result<Json, ClientError> {
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(Command::Call {
                method: method.to_owned(),
                params,
                reply,
            })
            .map_err(|_| ClientError::Closed)?;
        rx.await.map_err(|_| ClientError::Closed)?
    }

    /// `list_dbs`: the databases the server holds.
    pub async fn list_dbs(&self) -> Result<Vec<String>, ClientError> {
        let r = self.call("list_dbs", json!([])).await?;
        serde_json::from_value(r.clone())
            .map_err(|_| ProtocolError::Malformed(format!("list_dbs result {r}")).into())
    }

    /// `get_schema`: the schema of `db`.
    pub async fn get_schema(&self, db: &str) -> Result<DatabaseSchema, ClientError> {
        let r = self.call("get_schema", json!([db])).await?;
        Ok(DatabaseSchema::from_json(&r)?)
    }

    /// `echo`: a round trip through the server.
    pub async fn echo(&self, params: Json) -> Result<Json, ClientError> {
        self.call("echo", params).await
    }

    /// `transact`: runs `ops` atomically. Returns one result per operation, or the first failing
    /// operation (index and name) or the commit error; on error nothing was committed.
    pub async fn transact(
        &self,
        db: &str,
        ops: &[Operation],
    ) -> Result<Vec<OperationResult>, ClientError> {
        let r = self.call("transact", transact_params(db, ops)).await?;
        Ok(parse_transact_result(ops, &r)?)
    }

    /// Starts a monitor (`monitor` for V1, `monitor_cond` for V2). The returned [`Monitor`]
    /// first yields the initial contents, then updates in server order; it is re-established
    /// on reconnect.
    pub async fn monitor(
        &self,
        db: &str,
        version: MonitorVersion,
        tables: Vec<TableMonitor>,
    ) -> Result<Monitor, ClientError> {
        let (events, rx) = mpsc::unbounded_channel();
        let (reply, first) = oneshot::channel();
        self.cmds
            .send(Command::Monitor {
                version,
                db: db.to_owned(),
                tables,
                events,
                reply,
            })
            .map_err(|_| ClientError::Closed)?;
        let key = first.await.map_err(|_| ClientError::Closed)??;
        Ok(Monitor {
            key,
            rx,
            cmds: self.cmds.clone(),
            cancelled: false,
        })
    }
}

/// A live monitor; dropping it sends `monitor_cancel`.
#[derive(Debug)]
pub struct Monitor {
    key: u64,
    rx: mpsc::UnboundedReceiver<MonitorMessage>,
    cmds: mpsc::UnboundedSender<Command>,
    cancelled: bool,
}

impl Monitor {
    /// The next message; `None` once the monitor is gone (client closed or server refused it
    /// after a reconnect).
    pub async fn next(&mut self) -> Option<MonitorMessage> {
        self.rx.recv().await
    }

    /// Sends `monitor_cancel` and waits for the server to confirm. (Dropping the monitor also
    /// cancels it, without waiting.)
    pub async fn cancel(mut self) -> Result<(), ClientError> {
        self.cancelled = true;
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(Command::CancelMonitor {
                key: self.key,
                reply: Some(reply),
            })
            .map_err(|_| ClientError::Closed)?;
        rx.await.map_err(|_| ClientError::Closed)?.map(|_| ())
    }

    /// A message if one is already waiting.
    pub fn try_next(&mut self) -> Option<MonitorMessage> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if !self.cancelled {
            let _ = self.cmds.send(Command::CancelMonitor {
                key: self.key,
                reply: None,
            });
        }
    }
}
