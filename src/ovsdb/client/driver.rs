//! The one task that owns the connection: reads, writes, answers echo, reconnects.
//!
//! Mirrors the reconnect behaviour of `lib/ovsdb-cs.c` (monitors are re-sent on every new
//! connection and their initial reply replaces the client's view). Invariants:
//! - exactly one task reads the socket, so replies and notifications are handled in the order
//!   the server sent them; a monitor's initial contents reach its channel before any update;
//! - a request written to a connection that then drops fails with
//!   [`ClientError::Disconnected`] (it may or may not have been executed); requests made while
//!   disconnected wait and are sent on the next connection;
//! - registered monitors survive reconnects: each new connection re-sends them, and their
//!   consumers get [`MonitorMessage::Disconnected`] then `Initial { reconnected: true }`;
//! - the task ends when every [`super::Client`] and [`super::Monitor`] handle is dropped.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::error::{ClientError, ProtocolError};
use super::transport::{connect, Reader, Target, Writer};
use crate::ovsdb::proto::framing::{encode, Decoder};
use crate::ovsdb::proto::session::{Incoming, Session};
use crate::ovsdb::proto::update::{monitor_params, parse_updates, MonitorVersion, TableMonitor};
use crate::ovsdb::proto::{Message, TableUpdates};

/// How the client behaves when the connection drops.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Reconnect after a lost connection (otherwise the client closes).
    pub reconnect: bool,
    /// First reconnect delay; doubled after each failed attempt.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Inactivity probe, as OVS's `jsonrpc_session`: after this long without a message from
    /// the server the client sends an echo request, and after as long again it drops the
    /// connection and reconnects (catches a peer that vanished without closing). `None`: off.
    pub probe_interval: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            reconnect: true,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(4),
            probe_interval: Some(Duration::from_secs(5)),
        }
    }
}

/// Connection counters, observable through [`super::Client::state`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionState {
    /// A connection is up.
    pub connected: bool,
    /// Connections made so far (1 after the first connect).
    pub connects: u64,
    /// Echo requests from the server answered so far.
    pub echoes_answered: u64,
    /// Connections dropped because the server stopped answering our inactivity probes.
    pub probe_timeouts: u64,
}

/// What a monitor's channel delivers, in server order.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorMessage {
    /// The monitored rows as of (re)connection; with `reconnected`, replaces the whole view.
    Initial {
        /// The snapshot (all rows are `RowUpdate::Initial`).
        updates: TableUpdates,
        /// False for the first snapshot, true after a reconnect.
        reconnected: bool,
    },
    /// An incremental update.
    Update(TableUpdates),
    /// The connection dropped; a fresh `Initial` follows once it is back.
    Disconnected,
}

pub(crate) enum Command {
    Call {
        method: String,
        params: Json,
        reply: oneshot::Sender<Result<Json, ClientError>>,
    },
    Monitor {
        version: MonitorVersion,
        db: String,
        tables: Vec<TableMonitor>,
        events: mpsc::UnboundedSender<MonitorMessage>,
        reply: oneshot::Sender<Result<u64, ClientError>>,
    },
    CancelMonitor {
        key: u64,
        /// Set by an explicit `Monitor::cancel`, which waits for the server's answer.
        reply: Option<oneshot::Sender<Result<Json, ClientError>>>,
    },
}

enum Pending {
    Call {
        method: String,
        reply: oneshot::Sender<Result<Json, ClientError>>,
    },
    Monitor {
        key: u64,
    },
    Ignore,
}

struct MonitorReg {
    version: MonitorVersion,
    db: String,
    tables: Vec<TableMonitor>,
    events: mpsc::UnboundedSender<MonitorMessage>,
    /// The caller of `monitor()` waiting for the first reply.
    first: Option<oneshot::Sender<Result<u64, ClientError>>>,
}

fn monitor_id(key: u64) -> Json {
    json!(format!("m{key}"))
}

fn monitor_key(id: &Json) -> Option<u64> {
    id.as_str()?.strip_prefix('m')?.parse().ok()
}

enum End {
    /// Connection lost; reconnect if allowed.
    Lost,
    /// All handles dropped.
    Exit,
}

/// One live connection's protocol state.
struct Conn {
    session: Session<Pending>,
    out: Vec<u8>,
}

impl Conn {
    fn send(&mut self, msg: &Message) {
        encode(msg, &mut self.out);
    }
}

pub(crate) struct Driver {
    target: Target,
    opts: ClientOptions,
    cmds: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnectionState>,
    monitors: BTreeMap<u64, MonitorReg>,
    next_key: u64,
    queued: VecDeque<Command>,
}

impl Driver {
    pub(crate) fn new(
        target: Target,
        opts: ClientOptions,
        cmds: mpsc::UnboundedReceiver<Command>,
        state: watch::Sender<ConnectionState>,
    ) -> Driver {
        Driver {
            target,
            opts,
            cmds,
            state,
            monitors: BTreeMap::new(),
            next_key: 1,
            queued: VecDeque::new(),
        }
    }

    /// Runs until every handle is dropped (or the connection drops with reconnect off).
    pub(crate) async fn run(mut self, first: (Reader, Writer)) {
        let mut conn = Some(first);
        let mut backoff = self.opts.backoff_min;
        loop {
            if let Some((r, w)) = conn.take() {
                backoff = self.opts.backoff_min;
                self.state.send_modify(|s| {
                    s.connected = true;
                    s.connects += 1;
                });
                let end = self.serve(r, w).await;
                self.state.send_modify(|s| s.connected = false);
                if let End::Exit = end {
                    return;
                }
            }
            if !self.opts.reconnect {
                self.close();
                return;
            }
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    cmd = self.cmds.recv() => match cmd {
                        Some(c) => self.offline(c),
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(self.opts.backoff_max);
            match connect(&self.target).await {
                Ok(c) => conn = Some(c),
                Err(e) => tracing::debug!("ovsdb reconnect to {} failed: {e}", self.target),
            }
        }
    }

    /// Fails everything waiting; used when the client will not reconnect.
    fn close(&mut self) {
        for cmd in self.queued.drain(..) {
            if let Command::Call { reply, .. } = cmd {
                let _ = reply.send(Err(ClientError::Closed));
            }
        }
        for (_, reg) in std::mem::take(&mut self.monitors) {
            if let Some(first) = reg.first {
                let _ = first.send(Err(ClientError::Closed));
            }
        }
    }

    /// Handles a command while no connection is up.
    fn offline(&mut self, cmd: Command) {
        match cmd {
            Command::Monitor { .. } => {
                self.register(cmd);
            }
            Command::CancelMonitor { key, reply } => {
                // Nothing to cancel on the server: the monitor is not re-sent.
                self.monitors.remove(&key);
                if let Some(reply) = reply {
                    let _ = reply.send(Ok(json!({})));
                }
            }
            Command::Call { .. } => self.queued.push_back(cmd),
        }
    }

    fn register(&mut self, cmd: Command) -> Option<u64> {
        let Command::Monitor {
            version,
            db,
            tables,
            events,
            reply,
        } = cmd
        else {
            return None;
        };
        let key = self.next_key;
        self.next_key += 1;
        self.monitors.insert(
            key,
            MonitorReg {
                version,
                db,
                tables,
                events,
                first: Some(reply),
            },
        );
        Some(key)
    }

    fn send_monitor(&self, conn: &mut Conn, key: u64) {
        if let Some(reg) = self.monitors.get(&key) {
            let params = monitor_params(reg.version, &reg.db, &monitor_id(key), &reg.tables);
            let msg = conn
                .session
                .request(reg.version.method(), params, Pending::Monitor { key });
            conn.send(&msg);
        }
    }

    fn online(&mut self, conn: &mut Conn, cmd: Command) {
        match cmd {
            Command::Call {
                method,
                params,
                reply,
            } => {
                let msg = conn.session.request(
                    &method,
                    params,
                    Pending::Call {
                        method: method.clone(),
                        reply,
                    },
                );
                conn.send(&msg);
            }
            Command::Monitor { .. } => {
                if let Some(key) = self.register(cmd) {
                    self.send_monitor(conn, key);
                }
            }
            Command::CancelMonitor { key, reply } => {
                let method = "monitor_cancel".to_owned();
                if self.monitors.remove(&key).is_some() {
                    let tag = match reply {
                        Some(reply) => Pending::Call {
                            method: method.clone(),
                            reply,
                        },
                        None => Pending::Ignore,
                    };
                    let msg = conn.session.request(&method, json!([monitor_id(key)]), tag);
                    conn.send(&msg);
                } else if let Some(reply) = reply {
                    let _ = reply.send(Ok(json!({})));
                }
            }
        }
    }

    async fn serve(&mut self, mut r: Reader, mut w: Writer) -> End {
        let mut conn = Conn {
            session: Session::new(),
            out: Vec::new(),
        };
        let keys: Vec<u64> = self.monitors.keys().copied().collect();
        for key in keys {
            self.send_monitor(&mut conn, key);
        }
        while let Some(cmd) = self.queued.pop_front() {
            self.online(&mut conn, cmd);
        }
        let mut decoder = Decoder::new();
        let mut buf = vec![0u8; 64 * 1024];
        // Inactivity probe: `probe_at` moves forward whenever the server sends anything.
        let interval = self.opts.probe_interval;
        let far = Duration::from_secs(86400 * 365);
        let mut probe_at = Instant::now() + interval.unwrap_or(far);
        let mut probe_sent = false;
        let end = loop {
            if !conn.out.is_empty() {
                if let Err(e) = w.write_all(&conn.out).await {
                    tracing::debug!("ovsdb write to {} failed: {e}", self.target);
                    break End::Lost;
                }
                conn.out.clear();
            }
            tokio::select! {
                read = r.read(&mut buf) => {
                    let n = match read {
                        Ok(0) => break End::Lost,
                        Ok(n) => n,
                        Err(e) => {
                            tracing::debug!("ovsdb read from {} failed: {e}", self.target);
                            break End::Lost;
                        }
                    };
                    decoder.feed(buf.get(..n).unwrap_or_default());
                    probe_at = Instant::now() + interval.unwrap_or(far);
                    probe_sent = false;
                    if let Err(e) = self.drain(&mut decoder, &mut conn) {
                        tracing::warn!("ovsdb protocol error from {}: {e}", self.target);
                        break End::Lost;
                    }
                }
                cmd = self.cmds.recv() => match cmd {
                    Some(c) => self.online(&mut conn, c),
                    None => break End::Exit,
                },
                _ = tokio::time::sleep_until(probe_at) => {
                    if probe_sent {
                        tracing::warn!("ovsdb {}: no reply to inactivity probe", self.target);
                        self.state.send_modify(|s| s.probe_timeouts += 1);
                        break End::Lost;
                    }
                    let msg = conn.session.request("echo", json!([]), Pending::Ignore);
                    conn.send(&msg);
                    probe_sent = true;
                    probe_at = Instant::now() + interval.unwrap_or(far);
                }
            }
        };
        self.lost(&mut conn);
        end
    }

    fn drain(&mut self, decoder: &mut Decoder, conn: &mut Conn) -> Result<(), ProtocolError> {
        while let Some(msg) = decoder.next_message()? {
            let incoming = match conn.session.handle(msg) {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!("ovsdb: ignoring message: {e}");
                    continue;
                }
            };
            match incoming {
                Incoming::Echo { reply } => {
                    conn.send(&reply);
                    self.state.send_modify(|s| s.echoes_answered += 1);
                }
                Incoming::Reply { tag, outcome } => self.reply(conn, tag, outcome)?,
                Incoming::Update { method, params } => self.update(&method, &params)?,
                Incoming::Ignored { .. } => {}
            }
        }
        Ok(())
    }

    fn reply(
        &mut self,
        conn: &mut Conn,
        tag: Pending,
        outcome: Result<Json, Json>,
    ) -> Result<(), ProtocolError> {
        match tag {
            Pending::Call { method, reply } => {
                let _ = reply.send(outcome.map_err(|error| ClientError::Rpc { method, error }));
            }
            Pending::Ignore => {}
            Pending::Monitor { key } => {
                let Some(reg) = self.monitors.get_mut(&key) else {
                    // Cancelled while the request was in flight: cancel on the server too.
                    let msg = conn.session.request(
                        "monitor_cancel",
                        json!([monitor_id(key)]),
                        Pending::Ignore,
                    );
                    conn.send(&msg);
                    return Ok(());
                };
                match outcome {
                    Ok(result) => {
                        let updates = parse_updates(reg.version, &result, true)?;
                        let reconnected = match reg.first.take() {
                            Some(first) => {
                                let _ = first.send(Ok(key));
                                false
                            }
                            None => true,
                        };
                        let _ = reg.events.send(MonitorMessage::Initial {
                            updates,
                            reconnected,
                        });
                    }
                    Err(error) => {
                        tracing::warn!("ovsdb monitor {key} rejected: {error}");
                        if let Some(reg) = self.monitors.remove(&key) {
                            if let Some(first) = reg.first {
                                let method = reg.version.method().to_owned();
                                let _ = first.send(Err(ClientError::Rpc { method, error }));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn update(&mut self, method: &str, params: &Json) -> Result<(), ProtocolError> {
        let Some(key) = params.get(0).and_then(monitor_key) else {
            return Ok(());
        };
        let Some(reg) = self.monitors.get(&key) else {
            return Ok(()); // cancelled; the server may still send a few
        };
        if method != reg.version.notification() {
            return Err(ProtocolError::Malformed(format!(
                "{method} for a {} monitor",
                reg.version.method()
            )));
        }
        let body = params
            .get(1)
            .ok_or_else(|| ProtocolError::Malformed(format!("{method} without updates")))?;
        let updates = parse_updates(reg.version, body, false)?;
        if reg.events.send(MonitorMessage::Update(updates)).is_err() {
            // Consumer gone without cancelling; its Drop will send CancelMonitor.
        }
        Ok(())
    }

    /// The connection is gone: fail in-flight calls, tell monitors.
    fn lost(&mut self, conn: &mut Conn) {
        for tag in conn.session.take_pending() {
            if let Pending::Call { method, reply } = tag {
                let _ = reply.send(Err(ClientError::Disconnected(method)));
            }
        }
        for reg in self.monitors.values() {
            if reg.first.is_none() {
                let _ = reg.events.send(MonitorMessage::Disconnected);
            }
        }
    }
}
