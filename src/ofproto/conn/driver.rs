//! The tokio driver: one task per [`super::Switch`] that owns the socket and the
//! [`Session`], reconnects with backoff, and turns session events into answers for callers.
//!
//! Everything the switch sends is read by this one task, in order, so an error for an earlier
//! xid is seen before the barrier or commit reply that follows it. Reading and writing are
//! interleaved in one `select!` loop (never a blocking `write_all`): ovs-vswitchd stops reading
//! a connection whose replies pile up (`OFCONN_REPLY_MAX` in `ofproto/connmgr.c`), so a writer
//! that stopped reading could deadlock against it. Commands are not taken while more than
//! [`HIGH_WATER`] bytes wait to be written, which bounds memory and pushes back on callers.

use super::error::{ConnError, ProtocolError};
use super::framer::{FrameError, OfFramer};
use super::session::{Event, MultipartMode, OpId, Reply, Session, SessionConfig};
use super::switch::{AsyncMessage, ConnState, SwitchOptions};
use super::target::{connect, BoxRead, BoxWrite, Target};
use crate::ofproto::codec::message::multipart::TableFeatures;
use crate::ofproto::codec::message::multipart::{table_features_command, MORE};
use crate::ofproto::codec::message::{
    FixedStr, Message, MpReply, MpRequest, MultipartReply, MultipartRequest, SwitchConfig,
};
use crate::ofproto::codec::Version;
use crate::ofproto::text::TableNames;
use bytes::{Buf, BytesMut};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::codec::FramedRead;

/// Bytes waiting to be written above which no new commands are taken.
pub const HIGH_WATER: usize = 4 << 20;

/// Answers to a command.
pub(crate) type Answer<T> = oneshot::Sender<Result<T, ConnError>>;

/// What a [`super::Switch`] asks its driver to do.
pub(crate) enum Command {
    /// A request with one reply (or a multipart reply, collected or streamed into `parts`).
    Request {
        msg: Message,
        mode: MultipartMode,
        parts: Option<mpsc::UnboundedSender<(u32, MultipartReply)>>,
        reply: Answer<Reply>,
    },
    /// Messages followed by a barrier.
    Batch {
        msgs: Vec<Message>,
        reply: Answer<Reply>,
    },
    /// Opens a bundle; answers with a key for the adds and the commit.
    BundleOpen { flags: u16, reply: Answer<u64> },
    /// Adds messages to an open bundle.
    BundleAdd { key: u64, msgs: Vec<Message> },
    /// Commits (or discards) an open bundle.
    BundleEnd {
        key: u64,
        commit: bool,
        reply: Answer<Reply>,
    },
    /// Turns on asynchronous messages (`SET_CONFIG` with `miss_send_len`), now and after
    /// every reconnect.
    EnableAsync { reply: Answer<()> },
    /// Names tables (TABLE_FEATURES), now and after every reconnect.
    SetTableNames {
        names: TableNames,
        reply: Answer<()>,
    },
}

/// What the driver must remember about an operation until it is done.
enum Pending {
    /// A caller waits for the reply.
    Caller {
        reply: Answer<Reply>,
        parts: Option<mpsc::UnboundedSender<(u32, MultipartReply)>>,
        msgs: Vec<Message>,
    },
    /// An open bundle: its messages (to name the one that fails), and the caller once it
    /// asked to commit.
    Bundle {
        key: u64,
        msgs: Vec<Message>,
        add_error: Option<ConnError>,
        reply: Option<Answer<Reply>>,
    },
    /// A caller waits for a configuration change (success or the first error).
    Config { reply: Answer<()> },
    /// The driver itself waits (connection setup).
    Internal,
}

/// State that survives reconnects.
struct Persistent {
    async_enabled: bool,
    table_names: Option<TableNames>,
    next_bundle_key: u64,
}

/// Runs until every [`super::Switch`] handle is gone.
pub(crate) async fn run(
    target: Target,
    opts: SwitchOptions,
    mut commands: mpsc::Receiver<Command>,
    state: watch::Sender<ConnState>,
    events: broadcast::Sender<AsyncMessage>,
) {
    let mut persistent = Persistent {
        async_enabled: false,
        table_names: None,
        next_bundle_key: 1,
    };
    let mut generation = 0u64;
    let mut backoff = opts.backoff_min;
    loop {
        state.send_replace(ConnState::Connecting { generation });
        let attempt = tokio::select! {
            r = connect(&target) => r,
            () = refuse_commands(&mut commands) => return,
        };
        let error = match attempt {
            Ok((r, w, endpoint)) => {
                let mut live = Live::new(r, w, &opts, &events);
                let end = live
                    .run(
                        &mut commands,
                        &state,
                        &mut persistent,
                        generation + 1,
                        &endpoint,
                    )
                    .await;
                match end {
                    End::Shutdown => return,
                    End::Lost {
                        error,
                        was_connected,
                    } => {
                        if was_connected {
                            generation += 1;
                            backoff = opts.backoff_min;
                        }
                        error
                    }
                }
            }
            Err(e) => e,
        };
        tracing::debug!(%target, %error, "switch connection down");
        state.send_replace(ConnState::Disconnected {
            generation,
            error: error.clone(),
        });
        if !opts.reconnect {
            // Stay down; answer commands until the handles are dropped.
            refuse_commands(&mut commands).await;
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = refuse_commands(&mut commands) => return,
        }
        backoff = (backoff * 2).min(opts.backoff_max);
    }
}

/// Answers every command with `Disconnected` until the channel closes.
async fn refuse_commands(commands: &mut mpsc::Receiver<Command>) {
    while let Some(cmd) = commands.recv().await {
        refuse(cmd);
    }
}

fn refuse(cmd: Command) {
    match cmd {
        Command::Request { reply, .. }
        | Command::Batch { reply, .. }
        | Command::BundleEnd { reply, .. } => {
            let _ = reply.send(Err(ConnError::Disconnected));
        }
        Command::BundleOpen { reply, .. } => {
            let _ = reply.send(Err(ConnError::Disconnected));
        }
        Command::EnableAsync { reply } | Command::SetTableNames { reply, .. } => {
            let _ = reply.send(Err(ConnError::Disconnected));
        }
        Command::BundleAdd { .. } => {}
    }
}

enum End {
    Shutdown,
    Lost {
        error: ConnError,
        was_connected: bool,
    },
}

/// One live connection.
struct Live<'a> {
    session: Session,
    reader: FramedRead<BoxRead, OfFramer>,
    writer: BoxWrite,
    wbuf: BytesMut,
    pending: HashMap<OpId, Pending>,
    bundles: HashMap<u64, OpId>,
    internal: HashMap<OpId, Result<Reply, ConnError>>,
    events: &'a broadcast::Sender<AsyncMessage>,
    closed: Option<ConnError>,
    request_timeout: Duration,
}

impl<'a> Live<'a> {
    fn new(
        r: BoxRead,
        w: BoxWrite,
        opts: &SwitchOptions,
        events: &'a broadcast::Sender<AsyncMessage>,
    ) -> Live<'a> {
        let config = SessionConfig {
            versions: opts.versions.clone(),
            probe_interval: opts.probe_interval,
            hello_timeout: opts.request_timeout,
            first_xid: opts.first_xid,
        };
        Live {
            session: Session::new(config, Instant::now().into_std()),
            reader: FramedRead::with_capacity(r, OfFramer, 256 * 1024),
            writer: w,
            wbuf: BytesMut::new(),
            pending: HashMap::new(),
            bundles: HashMap::new(),
            internal: HashMap::new(),
            events,
            closed: None,
            request_timeout: opts.request_timeout,
        }
    }

    async fn run(
        &mut self,
        commands: &mut mpsc::Receiver<Command>,
        state: &watch::Sender<ConnState>,
        persistent: &mut Persistent,
        generation: u64,
        endpoint: &str,
    ) -> End {
        // Handshake, then replay what callers configured, then tell everybody.
        let version = loop {
            if let Some(v) = self.session.version() {
                break v;
            }
            if let Some(error) = self.closed.take() {
                return End::Lost {
                    error,
                    was_connected: false,
                };
            }
            if let Turn::Shutdown = self.turn(None).await {
                return End::Shutdown;
            }
        };
        if let Err(error) = self.setup(persistent).await {
            self.shutdown().await;
            return End::Lost {
                error,
                was_connected: false,
            };
        }
        tracing::debug!(endpoint, ?version, generation, "connected to switch");
        state.send_replace(ConnState::Connected {
            version,
            generation,
            endpoint: endpoint.to_owned(),
        });
        loop {
            if let Some(error) = self.closed.take() {
                return End::Lost {
                    error,
                    was_connected: true,
                };
            }
            match self.turn(Some((&mut *commands, &mut *persistent))).await {
                Turn::Continue => {}
                Turn::Shutdown => {
                    self.shutdown().await;
                    return End::Shutdown;
                }
                Turn::Rename(names, reply) => {
                    let r = self.push_table_names(&names).await;
                    if r.is_ok() {
                        persistent.table_names = Some(names);
                    }
                    let _ = reply.send(r);
                }
            }
        }
    }

    /// Replays connection-scoped configuration after (re)connecting.
    async fn setup(&mut self, persistent: &Persistent) -> Result<(), ConnError> {
        if persistent.async_enabled {
            let op = async_config(&mut self.session);
            match self.call(op).await? {
                Reply::Barrier { errors } if !errors.is_empty() => {
                    return Err(first_error(errors));
                }
                _ => {}
            }
        }
        if let Some(names) = &persistent.table_names {
            self.push_table_names(names).await?;
        }
        Ok(())
    }

    /// Sends an internal request and runs the connection until it is answered.
    async fn call(&mut self, op: Result<OpId, ConnError>) -> Result<Reply, ConnError> {
        let op = op?;
        self.pending.insert(op, Pending::Internal);
        let deadline = Instant::now() + self.request_timeout;
        loop {
            if let Some(r) = self.internal.remove(&op) {
                return r;
            }
            if let Some(e) = &self.closed {
                return Err(e.clone());
            }
            let turned = tokio::time::timeout_at(deadline, self.turn(None)).await;
            match turned {
                Ok(Turn::Continue | Turn::Rename(..)) => {}
                Ok(Turn::Shutdown) => return Err(ConnError::Disconnected),
                Err(_) => {
                    self.session.abandon(op);
                    self.pending.remove(&op);
                    return Err(ConnError::Timeout {
                        what: "connection setup",
                        after: self.request_timeout,
                    });
                }
            }
        }
    }

    /// Names tables the way `ovs-ofctl mod-table ... name:` does (`change_table_name`): in
    /// OpenFlow 1.5 one `OFPTFC15_MODIFY` entry per named table, without properties; in 1.3
    /// (no MODIFY) every table is written back with its properties, as read, and the new names,
    /// split over as many request parts as needed. OVS refuses to change the number of tables.
    async fn push_table_names(&mut self, names: &TableNames) -> Result<(), ConnError> {
        let query = Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: MpRequest::TableFeatures(Vec::new()),
        });
        let op = self.session.request(&query);
        let tables = match self.call(op).await? {
            Reply::Multipart(MultipartReply {
                body: MpReply::TableFeatures(t),
                ..
            }) => t,
            other => {
                return Err(ProtocolError::UnexpectedReply {
                    request: "table features",
                    got: format!("{other:?}").chars().take(200).collect(),
                }
                .into())
            }
        };
        let modify = self.session.version() == Some(Version::Of15);
        let set: Vec<TableFeatures> = tables
            .into_iter()
            .filter(|t| !modify || names.name(t.table_id).is_some())
            .map(|mut t| {
                if let Some(n) = names.name(t.table_id) {
                    t.name = FixedStr::new(n);
                }
                if modify {
                    t.command = table_features_command::MODIFY;
                    t.props.clear();
                } else {
                    t.command = 0;
                }
                t
            })
            .collect();
        let parts = split_table_features(set)?;
        let op = self.session.request_parts(&parts, MultipartMode::Collect);
        self.call(op).await.map(|_| ())
    }

    /// One round of the event loop: reads, writes, one command (if `commands` is given and the
    /// write queue is short), timers.
    async fn turn(
        &mut self,
        commands: Option<(&mut mpsc::Receiver<Command>, &mut Persistent)>,
    ) -> Turn {
        if self.wbuf.is_empty() {
            if let Some(b) = self.session.poll_transmit() {
                self.wbuf = b;
            }
        }
        let deadline = self.session.poll_timeout().map(Instant::from_std);
        let queued = self.wbuf.len() + self.session.transmit_len();
        let take_commands = commands.is_some() && queued < HIGH_WATER;
        let (commands, persistent) = match commands {
            Some((c, p)) => (Some(c), Some(p)),
            None => (None, None),
        };
        let mut outcome = Turn::Continue;
        tokio::select! {
            frame = self.reader.next() => {
                let now = Instant::now().into_std();
                match frame {
                    Some(Ok(f)) => self.session.handle_frame(now, &f),
                    Some(Err(FrameError::BadLength(n))) => {
                        self.session.connection_lost(ProtocolError::Framing(n).into())
                    }
                    Some(Err(FrameError::Io(e))) => {
                        self.session.connection_lost(ConnError::Transport(Arc::new(e)))
                    }
                    None => self.session.connection_lost(ConnError::Disconnected),
                }
            }
            n = self.writer.write(&self.wbuf), if !self.wbuf.is_empty() => match n {
                Ok(0) => self.session.connection_lost(ConnError::Disconnected),
                Ok(n) => self.wbuf.advance(n),
                Err(e) => self.session.connection_lost(ConnError::Transport(Arc::new(e))),
            },
            cmd = recv(commands), if take_commands => match (cmd, persistent) {
                (Some(Command::SetTableNames { names, reply }), _) => {
                    outcome = Turn::Rename(names, reply);
                }
                (Some(cmd), Some(persistent)) => self.command(cmd, persistent),
                (Some(cmd), None) => refuse(cmd),
                (None, _) => outcome = Turn::Shutdown,
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                self.session.handle_timeout(Instant::now().into_std());
            }
        }
        self.dispatch();
        outcome
    }

    /// Hands session events to whoever waits for them.
    fn dispatch(&mut self) {
        while let Some(ev) = self.session.poll_event() {
            match ev {
                Event::Connected(_) => {}
                Event::Done { op, result } => self.done(op, result),
                Event::Part { op, xid, part } => {
                    if let Some(Pending::Caller {
                        parts: Some(tx), ..
                    }) = self.pending.get(&op)
                    {
                        let _ = tx.send((xid, part));
                    }
                }
                Event::Async { header, message } => {
                    let _ = self
                        .events
                        .send(AsyncMessage::from_message(header, message));
                }
                Event::Error(e) => {
                    let _ = self.events.send(AsyncMessage::Error(Box::new(e)));
                }
                Event::Undecodable { header, error } => {
                    tracing::warn!(?header, %error, "undecodable message from the switch");
                    let _ = self
                        .events
                        .send(AsyncMessage::Undecodable { header, error });
                }
                Event::Closed(reason) => self.closed = Some(reason),
            }
        }
    }

    fn done(&mut self, op: OpId, result: Result<Reply, ConnError>) {
        match self.pending.remove(&op) {
            Some(Pending::Caller { reply, msgs, .. }) => {
                let _ = reply.send(attach_requests(result, &msgs));
            }
            Some(Pending::Bundle {
                key,
                msgs,
                add_error,
                reply,
            }) => {
                self.bundles.remove(&key);
                let result = match add_error {
                    Some(e) => Err(e),
                    None => attach_requests(result, &msgs),
                };
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            Some(Pending::Config { reply }) => {
                let r = match result {
                    Ok(Reply::Barrier { errors }) if !errors.is_empty() => Err(first_error(errors)),
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                };
                let _ = reply.send(r);
            }
            Some(Pending::Internal) => {
                self.internal.insert(op, result);
            }
            None => {}
        }
    }

    fn command(&mut self, cmd: Command, persistent: &mut Persistent) {
        match cmd {
            Command::Request {
                msg,
                mode,
                parts,
                reply,
            } => match self.session.request_with(&msg, mode) {
                Ok(op) => {
                    self.pending.insert(
                        op,
                        Pending::Caller {
                            reply,
                            parts,
                            msgs: Vec::new(),
                        },
                    );
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::Batch { msgs, reply } => match self.session.batch(&msgs) {
                Ok(op) => {
                    self.pending.insert(
                        op,
                        Pending::Caller {
                            reply,
                            parts: None,
                            msgs,
                        },
                    );
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::BundleOpen { flags, reply } => match self.session.open_bundle(flags) {
                Ok(op) => {
                    let key = persistent.next_bundle_key;
                    persistent.next_bundle_key += 1;
                    self.bundles.insert(key, op);
                    self.pending.insert(
                        op,
                        Pending::Bundle {
                            key,
                            msgs: Vec::new(),
                            add_error: None,
                            reply: None,
                        },
                    );
                    let _ = reply.send(Ok(key));
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::BundleAdd { key, msgs } => {
                let Some(&op) = self.bundles.get(&key) else {
                    return;
                };
                let Some(Pending::Bundle {
                    msgs: kept,
                    add_error,
                    ..
                }) = self.pending.get_mut(&op)
                else {
                    return;
                };
                if add_error.is_some() {
                    return;
                }
                for m in msgs {
                    if let Err(e) = self.session.bundle_add(op, &m) {
                        *add_error = Some(at_index(e, kept.len()));
                        return;
                    }
                    kept.push(m);
                }
            }
            Command::BundleEnd { key, commit, reply } => {
                let Some(&op) = self.bundles.get(&key) else {
                    let _ = reply.send(Err(ConnError::Disconnected));
                    return;
                };
                let Some(Pending::Bundle {
                    add_error,
                    reply: slot,
                    ..
                }) = self.pending.get_mut(&op)
                else {
                    return;
                };
                *slot = Some(reply);
                let failed = add_error.is_some();
                let r = if commit && !failed {
                    self.session.commit_bundle(op)
                } else {
                    self.session.discard_bundle(op)
                };
                if let Err(e) = r {
                    if let Some(Pending::Bundle {
                        reply: Some(reply), ..
                    }) = self.pending.remove(&op)
                    {
                        let _ = reply.send(Err(e));
                    }
                    self.bundles.remove(&key);
                    self.session.abandon(op);
                }
            }
            Command::EnableAsync { reply } => {
                persistent.async_enabled = true;
                match async_config(&mut self.session) {
                    Ok(op) => {
                        self.pending.insert(op, Pending::Config { reply });
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            // Taken by `turn` before it gets here (the exchange needs the event loop).
            Command::SetTableNames { reply, .. } => {
                let _ = reply.send(Err(ProtocolError::UnknownOperation.into()));
            }
        }
    }

    /// Writes what is queued (bounded by the request timeout) before the socket is dropped.
    async fn shutdown(&mut self) {
        let flush = async {
            loop {
                if self.wbuf.is_empty() {
                    match self.session.poll_transmit() {
                        Some(b) => self.wbuf = b,
                        None => break,
                    }
                }
                if self.writer.write_all_buf(&mut self.wbuf).await.is_err() {
                    break;
                }
            }
            let _ = self.writer.shutdown().await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
    }
}

/// Splits a table-features request into messages below the 64 KiB OpenFlow limit, with
/// `OFPMPF_REQ_MORE` on all but the last.
fn split_table_features(tables: Vec<TableFeatures>) -> Result<Vec<Message>, ConnError> {
    const ROOM: usize = 60_000;
    let mut parts: Vec<Vec<TableFeatures>> = vec![Vec::new()];
    let mut used = 0;
    for t in tables {
        let mut b = BytesMut::new();
        t.encode(&mut b)?;
        if used + b.len() > ROOM && parts.last().is_some_and(|p| !p.is_empty()) {
            parts.push(Vec::new());
            used = 0;
        }
        used += b.len();
        if let Some(p) = parts.last_mut() {
            p.push(t);
        }
    }
    let n = parts.len();
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            Message::MultipartRequest(MultipartRequest {
                flags: if i + 1 < n { MORE } else { 0 },
                body: MpRequest::TableFeatures(p),
            })
        })
        .collect())
}

/// `SET_CONFIG` asking for whole packets (`miss_send_len = OFPCML_NO_BUFFER`), then a
/// barrier. A service connection gets no asynchronous messages at all until it sets a non-zero
/// `miss_send_len` (`ofproto/connmgr.c`).
fn async_config(session: &mut Session) -> Result<OpId, ConnError> {
    session.batch(&[Message::SetConfig(SwitchConfig {
        flags: SwitchConfig::FRAG_NORMAL,
        miss_send_len: 0xffff,
    })])
}

fn first_error(errors: Vec<super::SwitchError>) -> ConnError {
    errors
        .into_iter()
        .next()
        .map(ConnError::from)
        .unwrap_or(ConnError::Disconnected)
}

/// What one round of the loop asks of its caller.
enum Turn {
    Continue,
    Shutdown,
    Rename(TableNames, Answer<()>),
}

async fn recv(commands: Option<&mut mpsc::Receiver<Command>>) -> Option<Command> {
    match commands {
        Some(c) => c.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Fills in the caller's messages for errors that name a batch or bundle index.
fn attach_requests(result: Result<Reply, ConnError>, msgs: &[Message]) -> Result<Reply, ConnError> {
    let attach = |e: &mut super::SwitchError| {
        if let Some(m) = e.index.and_then(|i| msgs.get(i)) {
            e.request = Some(Box::new(m.clone()));
        }
    };
    match result {
        Err(ConnError::Switch(mut e)) => {
            attach(&mut e);
            Err(ConnError::Switch(e))
        }
        Ok(Reply::Barrier { mut errors }) => {
            errors.iter_mut().for_each(attach);
            Ok(Reply::Barrier { errors })
        }
        other => other,
    }
}

/// An encode error for the bundle message at `index`.
fn at_index(e: ConnError, index: usize) -> ConnError {
    match e {
        ConnError::Encode(error) => ConnError::BadMessage { index, error },
        other => other,
    }
}
