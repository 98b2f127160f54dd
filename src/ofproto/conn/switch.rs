//! [`Switch`]: the handle library users hold on one bridge of ovs-vswitchd.
//!
//! Cheap to clone; every clone talks to the same driver task (one connection, one reader). The
//! driver reconnects with exponential backoff; [`Switch::state`] is a `tokio::sync::watch` of
//! the connection state whose `generation` grows on every successful connection, so a caller
//! can replay its flows after ovs-vswitchd restarts. What the handle configured on the
//! connection itself (asynchronous messages, table names) is replayed by the driver before the
//! new generation is announced.

use super::driver::{self, Command};
use super::error::{ConnError, ProtocolError, SwitchError};
use super::session::{MultipartMode, Reply};
use super::target::Target;
use crate::ofproto::codec::message::bundle::{BUNDLE_ATOMIC, BUNDLE_ORDERED};
use crate::ofproto::codec::message::multipart::FlowStatsRequest;
use crate::ofproto::codec::message::multipart::TableFeatures;
use crate::ofproto::codec::message::{
    FlowRemoved, Header, Message, MpReply, MpRequest, MultipartReply, MultipartRequest, NxMessage,
    PacketIn, PacketIn2, PacketOut, Port, PortStatus,
};
use crate::ofproto::codec::{DecodeError, FlowMod, FlowStats, Version};
use crate::ofproto::text::TableNames;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// How a [`Switch`] connects and behaves.
#[derive(Clone, Debug)]
pub struct SwitchOptions {
    /// OpenFlow versions to offer (the highest common one is used).
    pub versions: Vec<Version>,
    /// Keepalive: echo after this much silence, give up after as much again. `None`: off.
    pub probe_interval: Option<Duration>,
    /// How long any single request (and the handshake) may take.
    pub request_timeout: Duration,
    /// Reconnect after the connection is lost.
    pub reconnect: bool,
    /// First reconnect delay (doubled after every failed attempt).
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// The first transaction id of each connection (see [`SessionConfig::first_xid`]).
    ///
    /// [`SessionConfig::first_xid`]: super::session::SessionConfig::first_xid
    pub first_xid: u32,
}

impl Default for SwitchOptions {
    fn default() -> Self {
        SwitchOptions {
            versions: vec![Version::Of13, Version::Of15],
            probe_interval: Some(Duration::from_secs(5)),
            request_timeout: Duration::from_secs(60),
            reconnect: true,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            first_xid: 1,
        }
    }
}

/// The connection state, as published on [`Switch::state`].
#[derive(Clone, Debug)]
pub enum ConnState {
    /// Trying to connect; `generation` connections have succeeded so far.
    Connecting {
        /// Successful connections so far.
        generation: u64,
    },
    /// Connected and configured. `generation` counts successful connections: when it changes,
    /// the switch may have lost every flow (ovs-vswitchd restarted) and the caller should replay.
    Connected {
        /// The negotiated version.
        version: Version,
        /// Successful connections so far, this one included.
        generation: u64,
        /// The socket actually used (`unix:/var/run/openvswitch/br-int.mgmt`).
        endpoint: String,
    },
    /// The last attempt or connection failed; a reconnect is scheduled if enabled.
    Disconnected {
        /// Successful connections so far.
        generation: u64,
        /// Why.
        error: ConnError,
    },
}

impl ConnState {
    /// The negotiated version while connected.
    pub fn version(&self) -> Option<Version> {
        match self {
            ConnState::Connected { version, .. } => Some(*version),
            _ => None,
        }
    }

    /// Successful connections so far.
    pub fn generation(&self) -> u64 {
        match self {
            ConnState::Connecting { generation }
            | ConnState::Connected { generation, .. }
            | ConnState::Disconnected { generation, .. } => *generation,
        }
    }
}

/// A message the switch sent on its own: packet-ins, port changes, flow expiries, and errors
/// for messages sent without waiting ([`Switch::send_all`]).
#[derive(Clone, Debug)]
pub enum AsyncMessage {
    /// `OFPT_PACKET_IN`.
    PacketIn(Box<PacketIn>),
    /// `NXT_PACKET_IN2`.
    PacketIn2(Box<PacketIn2>),
    /// `OFPT_PORT_STATUS`.
    PortStatus(Box<PortStatus>),
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved(Box<FlowRemoved>),
    /// An error for a message nobody waits for.
    Error(Box<SwitchError>),
    /// A message that could not be decoded.
    Undecodable {
        /// Its header.
        header: Header,
        /// Why.
        error: DecodeError,
    },
    /// Anything else.
    Other {
        /// Its header.
        header: Header,
        /// The message.
        message: Box<Message>,
    },
}

impl AsyncMessage {
    pub(crate) fn from_message(header: Header, message: Message) -> AsyncMessage {
        match message {
            Message::PacketIn(p) => AsyncMessage::PacketIn(Box::new(p)),
            Message::Nicira(NxMessage::PacketIn2(p)) => AsyncMessage::PacketIn2(Box::new(p)),
            Message::PortStatus(p) => AsyncMessage::PortStatus(Box::new(p)),
            Message::FlowRemoved(f) => AsyncMessage::FlowRemoved(Box::new(f)),
            message => AsyncMessage::Other {
                header,
                message: Box::new(message),
            },
        }
    }
}

/// A handle on one switch connection.
#[derive(Clone, Debug)]
pub struct Switch {
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<ConnState>,
    events: broadcast::Sender<AsyncMessage>,
    opts: SwitchOptions,
}

/// How many messages a bundle writer sends to the driver at once.
const ADD_CHUNK: usize = 512;

impl Switch {
    /// Connects to `target` and waits for the handshake. The first attempt must succeed (the
    /// error names the socket tried); later losses are repaired in the background if
    /// `opts.reconnect`.
    pub async fn connect(target: Target, opts: SwitchOptions) -> Result<Switch, ConnError> {
        let timeout = opts.request_timeout;
        let switch = Switch::start(target, opts);
        let mut state = switch.state.clone();
        let wait = async {
            loop {
                match &*state.borrow_and_update() {
                    ConnState::Connected { .. } => return Ok(()),
                    ConnState::Disconnected {
                        generation: 0,
                        error,
                    } => return Err(error.clone()),
                    _ => {}
                }
                if state.changed().await.is_err() {
                    return Err(ConnError::Disconnected);
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(())) => Ok(switch),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ConnError::Timeout {
                what: "connection",
                after: timeout,
            }),
        }
    }

    /// Starts connecting to `target` in the background and returns at once; watch
    /// [`Switch::state`] to see when it is up.
    pub fn start(target: Target, opts: SwitchOptions) -> Switch {
        let (commands, rx) = mpsc::channel(64);
        let (state_tx, state) = watch::channel(ConnState::Connecting { generation: 0 });
        let (events, _) = broadcast::channel(4096);
        tokio::spawn(driver::run(
            target,
            opts.clone(),
            rx,
            state_tx,
            events.clone(),
        ));
        Switch {
            commands,
            state,
            events,
            opts,
        }
    }

    /// The connection state; `changed()` on it wakes on every transition.
    pub fn state(&self) -> watch::Receiver<ConnState> {
        self.state.clone()
    }

    /// The negotiated version, while connected.
    pub fn version(&self) -> Option<Version> {
        self.state.borrow().version()
    }

    /// Waits until connected (a new generation after `after_generation`, if given).
    pub async fn wait_connected(
        &self,
        after_generation: Option<u64>,
        timeout: Duration,
    ) -> Result<Version, ConnError> {
        let mut state = self.state.clone();
        let wait = async {
            loop {
                if let ConnState::Connected {
                    version,
                    generation,
                    ..
                } = &*state.borrow_and_update()
                {
                    if after_generation.is_none_or(|g| *generation > g) {
                        return Ok(*version);
                    }
                }
                if state.changed().await.is_err() {
                    return Err(ConnError::Disconnected);
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or(Err(ConnError::Timeout {
                what: "reconnection",
                after: timeout,
            }))
    }

    async fn ask<T>(
        &self,
        what: &'static str,
        make: impl FnOnce(oneshot::Sender<Result<T, ConnError>>) -> Command,
    ) -> Result<T, ConnError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| ConnError::Disconnected)?;
        let after = self.opts.request_timeout;
        match tokio::time::timeout(after, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(ConnError::Disconnected),
            Err(_) => Err(ConnError::Timeout { what, after }),
        }
    }

    /// Sends a request and waits for its reply (multipart replies collected whole).
    pub async fn request(&self, msg: Message) -> Result<Reply, ConnError> {
        self.ask("reply", |reply| Command::Request {
            msg,
            mode: MultipartMode::Collect,
            parts: None,
            reply,
        })
        .await
    }

    /// Sends `msgs` and a barrier; returns the errors the switch sent for them, each with its
    /// index and the message. The messages are applied one by one (not atomically).
    pub async fn batch(&self, msgs: Vec<Message>) -> Result<Vec<SwitchError>, ConnError> {
        match self
            .ask("barrier reply", |reply| Command::Batch { msgs, reply })
            .await?
        {
            Reply::Barrier { errors } => Ok(errors),
            other => Err(unexpected("barrier", &other)),
        }
    }

    /// Sends `msgs` and a barrier; fails with the first error.
    pub async fn send_all(&self, msgs: Vec<Message>) -> Result<(), ConnError> {
        match self.batch(msgs).await?.into_iter().next() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Sends one flow-mod and waits until the switch processed it (barrier).
    pub async fn flow_mod(&self, fm: FlowMod) -> Result<(), ConnError> {
        self.send_all(vec![Message::FlowMod(fm)]).await
    }

    /// Waits until the switch has processed everything sent before.
    pub async fn barrier(&self) -> Result<(), ConnError> {
        self.send_all(Vec::new()).await
    }

    /// Sends a packet-out and waits until the switch processed it.
    pub async fn packet_out(&self, po: PacketOut) -> Result<(), ConnError> {
        self.send_all(vec![Message::PacketOut(po)]).await
    }

    /// Applies `msgs` as one atomic, ordered bundle (like `ovs-ofctl --bundle`): all or
    /// nothing. The error names the message that failed (index and message) and OVS's error.
    pub async fn bundle(&self, msgs: Vec<Message>) -> Result<(), ConnError> {
        let mut b = self.open_bundle(BUNDLE_ATOMIC | BUNDLE_ORDERED).await?;
        b.add_all(msgs).await?;
        b.commit().await
    }

    /// Opens a bundle to fill incrementally (messages are sent while the caller produces them).
    pub async fn open_bundle(&self, flags: u16) -> Result<Bundle, ConnError> {
        let key = self
            .ask("bundle open", |reply| Command::BundleOpen { flags, reply })
            .await?;
        Ok(Bundle {
            switch: self.clone(),
            key,
            buf: Vec::with_capacity(ADD_CHUNK),
            sent: 0,
            ended: false,
        })
    }

    /// Sends a multipart request and returns the whole reply.
    pub async fn multipart(&self, body: MpRequest) -> Result<MpReply, ConnError> {
        let msg = Message::MultipartRequest(MultipartRequest { flags: 0, body });
        match self.request(msg).await? {
            Reply::Multipart(m) => Ok(m.body),
            other => Err(unexpected("multipart request", &other)),
        }
    }

    /// Every flow matching `req` (table, cookie/mask, match, out_port filters).
    pub async fn dump_flows(&self, req: FlowStatsRequest) -> Result<Vec<FlowStats>, ConnError> {
        match self.multipart(MpRequest::Flow(req)).await? {
            MpReply::Flow(f) => Ok(f),
            other => Err(unexpected_body("flow stats", &other)),
        }
    }

    /// The flows matching `req`, handed out reply by reply as they arrive (for large tables).
    pub async fn dump_flows_stream(&self, req: FlowStatsRequest) -> Result<FlowStream, ConnError> {
        let (parts_tx, parts) = mpsc::unbounded_channel();
        let (reply, done) = oneshot::channel();
        let msg = Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: MpRequest::Flow(req),
        });
        self.commands
            .send(Command::Request {
                msg,
                mode: MultipartMode::Stream,
                parts: Some(parts_tx),
                reply,
            })
            .await
            .map_err(|_| ConnError::Disconnected)?;
        Ok(FlowStream {
            parts,
            done: Some(done),
            timeout: self.opts.request_timeout,
        })
    }

    /// The switch's ports (`OFPMP_PORT_DESC`).
    pub async fn port_desc(&self) -> Result<Vec<Port>, ConnError> {
        let port_no = crate::ofproto::codec::message::multipart::PORT_ANY;
        match self.multipart(MpRequest::PortDesc { port_no }).await? {
            MpReply::PortDesc(p) => Ok(p),
            other => Err(unexpected_body("port description", &other)),
        }
    }

    /// The switch's table features (one entry per visible table).
    pub async fn table_features(&self) -> Result<Vec<TableFeatures>, ConnError> {
        match self.multipart(MpRequest::TableFeatures(Vec::new())).await? {
            MpReply::TableFeatures(t) => Ok(t),
            other => Err(unexpected_body("table features", &other)),
        }
    }

    /// The table names the switch knows (tables without a name are left out), as ovs-ofctl's
    /// `--names` reads them.
    pub async fn table_names(&self) -> Result<TableNames, ConnError> {
        let mut names = TableNames::new();
        for t in self.table_features().await? {
            let name = t.name.to_string_lossy();
            if !name.is_empty() {
                names.insert(t.table_id, &name);
            }
        }
        Ok(names)
    }

    /// Names tables on the switch (TABLE_FEATURES request), so `ovs-ofctl --names` and
    /// `flow-dump --names` print them. Tables not in `names` keep their name. Replayed after
    /// every reconnect.
    pub async fn set_table_names(&self, names: TableNames) -> Result<(), ConnError> {
        self.ask("table features reply", |reply| Command::SetTableNames {
            names,
            reply,
        })
        .await
    }

    /// Starts receiving asynchronous messages (packet-ins, port-status, flow-removed). Sets
    /// `miss_send_len` on the connection (a service connection gets none otherwise) and keeps
    /// doing so after reconnects.
    pub async fn subscribe(&self) -> Result<Subscription, ConnError> {
        let rx = self.events.subscribe();
        self.ask("set-config", |reply| Command::EnableAsync { reply })
            .await?;
        Ok(Subscription { rx })
    }
}

/// An open bundle being filled. Messages are passed to the driver in chunks as they are added
/// (the adds go out while the caller is still producing); nothing is applied before
/// [`Bundle::commit`]. Dropping it without committing discards it.
#[derive(Debug)]
pub struct Bundle {
    switch: Switch,
    key: u64,
    buf: Vec<Message>,
    sent: usize,
    ended: bool,
}

impl Bundle {
    /// Adds one message (flow-mod, group-mod, port-mod or packet-out).
    pub async fn add(&mut self, msg: Message) -> Result<(), ConnError> {
        self.buf.push(msg);
        if self.buf.len() >= ADD_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Adds many messages.
    pub async fn add_all(
        &mut self,
        msgs: impl IntoIterator<Item = Message>,
    ) -> Result<(), ConnError> {
        for m in msgs {
            self.add(m).await?;
        }
        Ok(())
    }

    /// Messages added so far.
    pub fn len(&self) -> usize {
        self.sent + self.buf.len()
    }

    /// True if nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    async fn flush(&mut self) -> Result<(), ConnError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let msgs = std::mem::replace(&mut self.buf, Vec::with_capacity(ADD_CHUNK));
        self.sent += msgs.len();
        self.switch
            .commands
            .send(Command::BundleAdd {
                key: self.key,
                msgs,
            })
            .await
            .map_err(|_| ConnError::Disconnected)
    }

    /// Closes and commits the bundle: every message is applied, or (on any error) none is and
    /// the error names the failing message.
    pub async fn commit(mut self) -> Result<(), ConnError> {
        self.flush().await?;
        self.ended = true;
        let key = self.key;
        match self
            .switch
            .ask("bundle commit", |reply| Command::BundleEnd {
                key,
                commit: true,
                reply,
            })
            .await?
        {
            Reply::Committed => Ok(()),
            other => Err(unexpected("bundle commit", &other)),
        }
    }

    /// Discards the bundle.
    pub async fn discard(mut self) -> Result<(), ConnError> {
        self.ended = true;
        let key = self.key;
        self.switch
            .ask("bundle discard", |reply| Command::BundleEnd {
                key,
                commit: false,
                reply,
            })
            .await
            .map(|_| ())
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        if !self.ended {
            // Best effort: if the driver's queue is full the bundle is discarded when the
            // connection closes instead.
            let (reply, _) = oneshot::channel();
            let _ = self.switch.commands.try_send(Command::BundleEnd {
                key: self.key,
                commit: false,
                reply,
            });
        }
    }
}

/// One flow-stats reply message of a dump.
#[derive(Clone, Debug)]
pub struct FlowPart {
    /// The request's xid (ovs-ofctl prints it in the reply header).
    pub xid: u32,
    /// `OFPMPF_REPLY_MORE`: more parts follow.
    pub more: bool,
    /// The flows in this message.
    pub flows: Vec<FlowStats>,
}

/// Flow-stats replies as they arrive.
#[derive(Debug)]
pub struct FlowStream {
    parts: mpsc::UnboundedReceiver<(u32, MultipartReply)>,
    done: Option<oneshot::Receiver<Result<Reply, ConnError>>>,
    timeout: Duration,
}

impl FlowStream {
    /// The flows of the next reply; `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<Vec<FlowStats>, ConnError>> {
        self.next_part().await.map(|r| r.map(|p| p.flows))
    }

    /// The next reply message; `None` after the last one.
    pub async fn next_part(&mut self) -> Option<Result<FlowPart, ConnError>> {
        let next = tokio::time::timeout(self.timeout, self.parts.recv()).await;
        match next {
            Ok(Some((xid, m))) => {
                let more = m.more();
                match m.body {
                    MpReply::Flow(flows) => Some(Ok(FlowPart { xid, more, flows })),
                    other => {
                        self.done = None;
                        Some(Err(unexpected_body("flow stats", &other)))
                    }
                }
            }
            Ok(None) => {
                let done = self.done.take()?;
                match done.await {
                    Ok(Ok(_)) => None,
                    Ok(Err(e)) => Some(Err(e)),
                    Err(_) => Some(Err(ConnError::Disconnected)),
                }
            }
            Err(_) => {
                self.done = None;
                Some(Err(ConnError::Timeout {
                    what: "flow stats reply",
                    after: self.timeout,
                }))
            }
        }
    }
}

/// Asynchronous messages from the switch, in the order it sent them.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<AsyncMessage>,
}

impl Subscription {
    /// The next message. `Err(n)` if the subscriber fell behind and `n` messages were lost.
    pub async fn next(&mut self) -> Result<AsyncMessage, Lagged> {
        loop {
            match self.rx.recv().await {
                Ok(m) => return Ok(m),
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    }

    /// The next packet-in (others are skipped).
    pub async fn next_packet_in(&mut self) -> Result<PacketIn, Lagged> {
        loop {
            if let AsyncMessage::PacketIn(p) = self.next().await? {
                return Ok(*p);
            }
        }
    }

    /// The next port-status (others are skipped).
    pub async fn next_port_status(&mut self) -> Result<PortStatus, Lagged> {
        loop {
            if let AsyncMessage::PortStatus(p) = self.next().await? {
                return Ok(*p);
            }
        }
    }
}

/// A subscriber fell behind by this many messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("lagged behind by {0} messages")]
pub struct Lagged(pub u64);

fn unexpected(request: &'static str, got: &Reply) -> ConnError {
    ProtocolError::UnexpectedReply {
        request,
        got: format!("{got:?}").chars().take(200).collect(),
    }
    .into()
}

fn unexpected_body(request: &'static str, got: &MpReply) -> ConnError {
    ProtocolError::UnexpectedReply {
        request,
        got: format!("multipart reply of type {}", got.mp_type()),
    }
    .into()
}
