//! The OpenFlow session as plain data (quinn-proto style): whole frames and a clock value go
//! in, bytes to send, events and the next deadline come out. No I/O, no clock reads, no tasks —
//! the tokio driver (`driver`) and the unit tests push the same inputs.
//!
//! What it does, mirroring OVS `lib/vconn.c` and `lib/rconn.c`:
//! - Handshake: sends `OFPT_HELLO` with a version bitmap (header version = our highest), picks
//!   the highest version both sides allow, answers an incompatible peer with
//!   `OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE` and closes.
//! - Transaction ids: allocated here, never 0, never one still awaiting an answer; every reply
//!   and error is routed back to the operation that owns its xid.
//! - Multipart replies (`OFPMPF_REPLY_MORE`) are glued together or streamed part by part.
//! - Echo requests are answered; after `probe_interval` without input an echo request is sent,
//!   and after another `probe_interval` without input the session closes (rconn's probe).
//! - Batches (messages + barrier) and bundles (open, adds, close, barrier, then commit — or
//!   discard if any add failed — as `vconn_bundle_transact` does) report every error with the
//!   index of the message it refers to.
//!
//! Invariants: events come out in the order their causes came in (an error for an earlier xid
//! is reported before the barrier or commit reply that follows it); every operation ends with
//! exactly one [`Event::Done`] unless abandoned; nothing here panics on peer input.

mod ops;
#[cfg(test)]
mod tests;

pub use ops::{MultipartMode, OpId};

use self::ops::{BundleOp, BundlePhase, Op, OpKind, Role, XidRuns};
use super::error::{ConnError, ProtocolError, Stage, SwitchError};
use super::framer::OfFramer;
use super::wire::encode_bundle_add;
use crate::ofproto::codec::message::{
    self, bundle::ctrl_type, ErrorCode, ErrorMsg, Header, Hello, Message, MultipartReply,
};
use crate::ofproto::codec::{DecodeError, Version};
use bytes::{Bytes, BytesMut};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How a session behaves.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The versions we speak (the highest common one is used).
    pub versions: Vec<Version>,
    /// Idle time before an echo request is sent, and time to wait for any input after it.
    /// `None` disables keepalive.
    pub probe_interval: Option<Duration>,
    /// How long to wait for the peer's hello.
    pub hello_timeout: Duration,
    /// The first transaction id (the hello's). Normally 1; a tool that mirrors another
    /// client's numbering (ovs-ofctl counts xids across all its connections) can start later.
    pub first_xid: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            versions: vec![Version::Of13, Version::Of15],
            probe_interval: Some(Duration::from_secs(5)),
            hello_timeout: Duration::from_secs(10),
            first_xid: 1,
        }
    }
}

/// How an operation succeeded.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// The reply to a request.
    Message(Message),
    /// A whole multipart reply (parts glued together, `MORE` cleared).
    Multipart(MultipartReply),
    /// The last part of a streamed multipart reply has been delivered.
    MultipartDone,
    /// The barrier after a batch arrived; `errors` are the errors for the batch's messages
    /// (each with its index), empty if all were accepted.
    Barrier {
        /// Errors, in arrival order.
        errors: Vec<SwitchError>,
    },
    /// The bundle was committed: all its messages are applied.
    Committed,
    /// The bundle was discarded as the caller asked.
    Discarded,
}

/// What the session reports.
#[derive(Clone, Debug)]
pub enum Event {
    /// The handshake finished with this version.
    Connected(Version),
    /// An operation finished.
    Done {
        /// Which.
        op: OpId,
        /// Its outcome.
        result: Result<Reply, ConnError>,
    },
    /// One part of a streamed multipart reply.
    Part {
        /// The operation.
        op: OpId,
        /// The request's xid (every part carries it).
        xid: u32,
        /// The part.
        part: MultipartReply,
    },
    /// A message that answers none of our requests: packet-in, port-status, flow-removed...
    Async {
        /// Its header.
        header: Header,
        /// The message.
        message: Message,
    },
    /// An error for a message sent with [`Session::send`].
    Error(SwitchError),
    /// A message that answers none of our requests and could not be decoded.
    Undecodable {
        /// Its header.
        header: Header,
        /// Why.
        error: DecodeError,
    },
    /// The session ended; every unfinished operation was reported failed just before.
    Closed(ConnError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Hello,
    Ready(Version),
    Closed,
}

/// One OpenFlow connection's protocol state.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    our_bitmap: u32,
    phase: Phase,
    started: Instant,
    last_rx: Instant,
    probe_sent: Option<Instant>,
    out: BytesMut,
    inbuf: BytesMut,
    next_xid: u32,
    next_bundle_id: u32,
    next_op: u64,
    xids: HashMap<u32, (OpId, Role)>,
    ops: BTreeMap<OpId, Op>,
    events: VecDeque<Event>,
}

impl Session {
    /// A new session; its hello is queued for sending at once.
    pub fn new(config: SessionConfig, now: Instant) -> Session {
        let our_bitmap = config
            .versions
            .iter()
            .fold(0u32, |acc, v| acc | 1 << v.wire());
        let next_xid = config.first_xid.max(1);
        let mut s = Session {
            config,
            our_bitmap,
            phase: Phase::Hello,
            started: now,
            last_rx: now,
            probe_sent: None,
            out: BytesMut::with_capacity(64 * 1024),
            inbuf: BytesMut::new(),
            next_xid,
            next_bundle_id: 1,
            next_op: 0,
            xids: HashMap::new(),
            ops: BTreeMap::new(),
            events: VecDeque::new(),
        };
        let hello = Message::Hello(Hello::with_versions(&s.config.versions));
        let top = s.config.versions.iter().max().map_or(0x04, |v| v.wire());
        let xid = s.alloc_xid();
        if message::encode_wire_version(top, xid, &hello, &mut s.out).is_err() {
            s.close(ProtocolError::NotConnected.into());
        }
        s
    }

    /// The negotiated version, once connected.
    pub fn version(&self) -> Option<Version> {
        match self.phase {
            Phase::Ready(v) => Some(v),
            _ => None,
        }
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Number of operations not finished yet.
    pub fn ops_in_flight(&self) -> usize {
        self.ops.len()
    }

    /// Takes the bytes to send, if any.
    pub fn poll_transmit(&mut self) -> Option<BytesMut> {
        (!self.out.is_empty()).then(|| self.out.split())
    }

    /// Bytes queued for sending.
    pub fn transmit_len(&self) -> usize {
        self.out.len()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Hello => Some(self.started + self.config.hello_timeout),
            Phase::Ready(_) => {
                let p = self.config.probe_interval?;
                Some(self.probe_sent.unwrap_or(self.last_rx) + p)
            }
            Phase::Closed => None,
        }
    }

    /// Runs the timers: hello timeout, keepalive probe and its timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Hello if now >= self.started + self.config.hello_timeout => {
                let t = self.config.hello_timeout;
                self.close(ProtocolError::HelloTimeout(t).into());
            }
            Phase::Ready(v) => {
                let Some(p) = self.config.probe_interval else {
                    return;
                };
                match self.probe_sent {
                    Some(sent) if now >= sent + p => {
                        self.close(ProtocolError::EchoTimeout(p).into());
                    }
                    None if now >= self.last_rx + p => {
                        let xid = self.alloc_xid();
                        // An echo request always encodes.
                        let _ = self.encode(v, xid, &Message::EchoRequest(Bytes::new()));
                        self.probe_sent = Some(now);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Feeds received bytes: whole frames are cut off `data` and handled, a partial frame
    /// stays buffered. A bad frame length closes the session.
    pub fn handle_bytes(&mut self, now: Instant, data: &[u8]) {
        self.inbuf.extend_from_slice(data);
        loop {
            match OfFramer::next_frame(&mut self.inbuf) {
                Ok(Some(frame)) => self.handle_frame(now, &frame),
                Ok(None) => break,
                Err(_) => {
                    let len = message::frame_len(&self.inbuf).unwrap_or(0);
                    self.close(ProtocolError::Framing(len).into());
                    break;
                }
            }
            if self.is_closed() {
                break;
            }
        }
    }

    /// Handles one whole message (exactly `ofp_header.length` bytes).
    pub fn handle_frame(&mut self, now: Instant, frame: &[u8]) {
        if self.is_closed() {
            return;
        }
        self.last_rx = now;
        self.probe_sent = None;
        let header = match Header::decode(frame) {
            Ok(h) if h.length as usize == frame.len() && frame.len() >= message::HEADER_LEN => h,
            _ => {
                self.close(ProtocolError::Framing(frame.len()).into());
                return;
            }
        };
        match self.phase {
            Phase::Hello => self.handle_hello(header, frame),
            Phase::Ready(v) => self.handle_message(v, header, frame),
            Phase::Closed => {}
        }
    }

    /// The transport failed or reached end of file: closes the session with `error`.
    pub fn connection_lost(&mut self, error: ConnError) {
        self.close(error);
    }

    /// Sends `msg` without waiting for anything; an error the switch sends for it comes out as
    /// [`Event::Error`]. Returns its xid.
    pub fn send(&mut self, msg: &Message) -> Result<u32, ConnError> {
        let v = self.ready()?;
        let xid = self.alloc_xid();
        self.encode(v, xid, msg)?;
        Ok(xid)
    }

    /// Sends a request that expects one reply (a multipart reply is collected whole).
    pub fn request(&mut self, msg: &Message) -> Result<OpId, ConnError> {
        self.request_with(msg, MultipartMode::Collect)
    }

    /// Sends a request; a multipart reply is handled as `mode` says.
    pub fn request_with(&mut self, msg: &Message, mode: MultipartMode) -> Result<OpId, ConnError> {
        self.request_parts(std::slice::from_ref(msg), mode)
    }

    /// Sends a request made of several messages with one xid (a multipart request split with
    /// `OFPMPF_REQ_MORE`, which the caller sets on all parts but the last). Nothing is sent if
    /// a part cannot be encoded.
    pub fn request_parts(
        &mut self,
        parts: &[Message],
        mode: MultipartMode,
    ) -> Result<OpId, ConnError> {
        let v = self.ready()?;
        let xid = self.alloc_xid();
        let start = self.out.len();
        for part in parts {
            if let Err(e) = self.encode(v, xid, part) {
                self.out.truncate(start);
                return Err(e);
            }
        }
        let what = parts.first().map_or("request", request_name);
        Ok(self.add_op(
            OpKind::Request {
                mode,
                collected: None,
                what,
            },
            &[(xid, Role::Request)],
        ))
    }

    /// Sends `msgs` followed by a barrier; finishes with [`Reply::Barrier`] listing the errors
    /// the switch sent for them. Nothing is sent if one of them cannot be encoded.
    pub fn batch<'a>(
        &mut self,
        msgs: impl IntoIterator<Item = &'a Message>,
    ) -> Result<OpId, ConnError> {
        let v = self.ready()?;
        let start = self.out.len();
        let mut runs = XidRuns::default();
        for (i, m) in msgs.into_iter().enumerate() {
            let xid = self.alloc_xid();
            if let Err(e) = self.encode(v, xid, m) {
                self.out.truncate(start);
                return Err(e);
            }
            runs.push(xid, i);
        }
        let bx = self.alloc_xid();
        self.encode(v, bx, &Message::BarrierRequest)?;
        Ok(self.add_op(OpKind::Batch { msgs: runs }, &[(bx, Role::BatchBarrier)]))
    }

    /// Sends a barrier alone.
    pub fn barrier(&mut self) -> Result<OpId, ConnError> {
        self.batch(std::iter::empty())
    }

    /// Opens a bundle with `flags` (`BUNDLE_ATOMIC`, `BUNDLE_ORDERED`). Add messages with
    /// [`Session::bundle_add`], then [`Session::commit_bundle`] or [`Session::discard_bundle`].
    pub fn open_bundle(&mut self, flags: u16) -> Result<OpId, ConnError> {
        let v = self.ready()?;
        let id = self.next_bundle_id;
        self.next_bundle_id = self.next_bundle_id.wrapping_add(1);
        let xid = self.alloc_xid();
        self.encode(
            v,
            xid,
            &Message::bundle_control(id, ctrl_type::OPEN_REQUEST, flags),
        )?;
        let b = BundleOp {
            id,
            flags,
            adds: XidRuns::default(),
            n_added: 0,
            phase: BundlePhase::Adding,
            open_failed: false,
        };
        Ok(self.add_op(OpKind::Bundle(b), &[(xid, Role::BundleOpen)]))
    }

    /// Adds `msg` to an open bundle; returns its index in the bundle.
    pub fn bundle_add(&mut self, op: OpId, msg: &Message) -> Result<usize, ConnError> {
        let v = self.ready()?;
        let (id, flags) = {
            let b = self.adding_bundle(op)?;
            (b.id, b.flags)
        };
        let xid = self.alloc_xid();
        encode_bundle_add(v, xid, id, flags, msg, &mut self.out)?;
        let b = self.adding_bundle(op)?;
        let index = b.n_added;
        b.adds.push(xid, index);
        b.n_added += 1;
        Ok(index)
    }

    /// Closes the bundle and asks for a barrier; when the barrier reply shows that every add
    /// was accepted the bundle is committed, otherwise discarded. Finishes with
    /// [`Reply::Committed`] or the first error (the failing message's index in it).
    pub fn commit_bundle(&mut self, op: OpId) -> Result<(), ConnError> {
        let v = self.ready()?;
        let (id, flags) = {
            let b = self.adding_bundle(op)?;
            (b.id, b.flags)
        };
        let cx = self.alloc_xid();
        self.encode(
            v,
            cx,
            &Message::bundle_control(id, ctrl_type::CLOSE_REQUEST, flags),
        )?;
        let bx = self.alloc_xid();
        self.encode(v, bx, &Message::BarrierRequest)?;
        self.adding_bundle(op)?.phase = BundlePhase::Closing;
        self.own(op, cx, Role::BundleClose);
        self.own(op, bx, Role::BundleBarrier);
        Ok(())
    }

    /// Discards an open bundle; finishes with [`Reply::Discarded`].
    pub fn discard_bundle(&mut self, op: OpId) -> Result<(), ConnError> {
        self.ready()?;
        self.adding_bundle(op)?;
        self.send_discard(op, true)
    }

    /// Forgets an operation: no more events for it. An open bundle is discarded.
    pub fn abandon(&mut self, op: OpId) {
        let open = match self.ops.get_mut(&op) {
            Some(o) => {
                o.silent = true;
                matches!(&o.kind, OpKind::Bundle(b) if b.phase == BundlePhase::Adding && !b.open_failed)
            }
            None => return,
        };
        if open && self.ready().is_ok() {
            let _ = self.send_discard(op, true);
        }
    }

    // ---- internals ----

    fn ready(&self) -> Result<Version, ConnError> {
        self.version()
            .ok_or(ConnError::Protocol(ProtocolError::NotConnected))
    }

    fn alloc_xid(&mut self) -> u32 {
        loop {
            let x = self.next_xid;
            self.next_xid = self.next_xid.wrapping_add(1);
            if x != 0 && !self.xids.contains_key(&x) {
                return x;
            }
        }
    }

    fn encode(&mut self, v: Version, xid: u32, msg: &Message) -> Result<(), ConnError> {
        let start = self.out.len();
        message::encode(v, xid, msg, &mut self.out).map_err(|e| {
            self.out.truncate(start);
            ConnError::Encode(e)
        })
    }

    fn add_op(&mut self, kind: OpKind, xids: &[(u32, Role)]) -> OpId {
        let id = OpId(self.next_op);
        self.next_op += 1;
        self.ops.insert(id, Op::new(kind));
        for &(xid, role) in xids {
            self.own(id, xid, role);
        }
        id
    }

    fn own(&mut self, op: OpId, xid: u32, role: Role) {
        self.xids.insert(xid, (op, role));
        if let Some(o) = self.ops.get_mut(&op) {
            o.xids.push(xid);
        }
    }

    fn adding_bundle(&mut self, op: OpId) -> Result<&mut BundleOp, ConnError> {
        match self.ops.get_mut(&op).map(|o| &mut o.kind) {
            Some(OpKind::Bundle(b)) if b.phase == BundlePhase::Adding => Ok(b),
            _ => Err(ProtocolError::UnknownOperation.into()),
        }
    }

    fn send_discard(&mut self, op: OpId, requested: bool) -> Result<(), ConnError> {
        let v = self.ready()?;
        let Some(OpKind::Bundle(b)) = self.ops.get_mut(&op).map(|o| &mut o.kind) else {
            return Err(ProtocolError::UnknownOperation.into());
        };
        b.phase = BundlePhase::Discarding { requested };
        let (id, flags) = (b.id, b.flags);
        let xid = self.alloc_xid();
        self.encode(
            v,
            xid,
            &Message::bundle_control(id, ctrl_type::DISCARD_REQUEST, flags),
        )?;
        self.own(op, xid, Role::BundleDiscard);
        Ok(())
    }

    fn finish(&mut self, op: OpId, result: Result<Reply, ConnError>) {
        let Some(o) = self.ops.remove(&op) else {
            return;
        };
        for xid in &o.xids {
            self.xids.remove(xid);
        }
        if !o.silent {
            self.events.push_back(Event::Done { op, result });
        }
    }

    fn close(&mut self, reason: ConnError) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.xids.clear();
        for (op, o) in std::mem::take(&mut self.ops) {
            if !o.silent {
                self.events.push_back(Event::Done {
                    op,
                    result: Err(ConnError::Disconnected),
                });
            }
        }
        self.events.push_back(Event::Closed(reason));
    }

    fn handle_hello(&mut self, header: Header, frame: &[u8]) {
        match message::decode(frame) {
            Ok((_, Message::Hello(hello))) => {
                match hello
                    .negotiate(header.version, self.our_bitmap)
                    .and_then(Version::from_wire)
                {
                    Some(v) => {
                        self.phase = Phase::Ready(v);
                        self.events.push_back(Event::Connected(v));
                    }
                    None => {
                        let theirs = hello.allowed_versions(header.version).0;
                        let text = format!(
                            "We support versions bitmap {:#x}, you support {theirs:#x}, no common versions.",
                            self.our_bitmap
                        );
                        let err = Message::Error(ErrorMsg {
                            code: ErrorCode::Standard {
                                err_type: 0,
                                code: 0,
                            },
                            data: Bytes::from(text.into_bytes()),
                        });
                        let _ = message::encode_wire_version(
                            header.version,
                            header.xid,
                            &err,
                            &mut self.out,
                        );
                        self.close(
                            ProtocolError::NoCommonVersion {
                                ours: self.our_bitmap,
                                theirs,
                            }
                            .into(),
                        );
                    }
                }
            }
            Ok((_, Message::Error(e))) => {
                let text = String::from_utf8_lossy(&e.data).trim().to_owned();
                self.close(ProtocolError::HelloFailed(text).into());
            }
            _ => self.close(ProtocolError::NotHello(header.msg_type).into()),
        }
    }

    fn handle_message(&mut self, v: Version, header: Header, frame: &[u8]) {
        let msg = match message::decode(frame) {
            Ok((_, m)) => m,
            Err(error) => {
                self.undecodable(header, error);
                return;
            }
        };
        match msg {
            Message::EchoRequest(payload) => {
                let _ = self.encode(v, header.xid, &Message::EchoReply(payload));
            }
            Message::Error(e) => self.route_error(v, header.xid, e),
            Message::Hello(_) => {}
            other => self.route_reply(header, other),
        }
    }

    fn undecodable(&mut self, header: Header, error: DecodeError) {
        match self.xids.get(&header.xid) {
            Some(&(op, _)) => {
                let e = ProtocolError::Decode {
                    msg_type: header.msg_type,
                    xid: header.xid,
                    error,
                };
                self.fail_op(op, e.into());
            }
            None => self.events.push_back(Event::Undecodable { header, error }),
        }
    }

    /// Ends an operation with a protocol failure; an open bundle is discarded on the way.
    fn fail_op(&mut self, op: OpId, error: ConnError) {
        let open = match self.ops.get(&op).map(|o| &o.kind) {
            Some(OpKind::Bundle(b))
                if !b.open_failed
                    && matches!(b.phase, BundlePhase::Adding | BundlePhase::Closing) =>
            {
                Some((b.id, b.flags))
            }
            _ => None,
        };
        if let (Some((id, flags)), Ok(v)) = (open, self.ready()) {
            let m = Message::bundle_control(id, ctrl_type::DISCARD_REQUEST, flags);
            let xid = self.alloc_xid();
            let _ = self.encode(v, xid, &m);
        }
        self.finish(op, Err(error));
    }

    fn route_error(&mut self, v: Version, xid: u32, e: ErrorMsg) {
        let make = |stage, index| SwitchError {
            version: v,
            code: e.code,
            xid,
            stage,
            index,
            data: e.data.clone(),
            request: None,
        };
        if let Some(&(op, role)) = self.xids.get(&xid) {
            let stage = match role {
                Role::Request => Stage::Request,
                Role::BatchBarrier => Stage::Batch,
                Role::BundleOpen => Stage::BundleOpen,
                Role::BundleClose => Stage::BundleClose,
                Role::BundleBarrier => Stage::BundleClose,
                Role::BundleCommit => Stage::BundleCommit,
                Role::BundleDiscard => Stage::BundleDiscard,
            };
            let err = make(stage, None);
            match role {
                Role::Request | Role::BatchBarrier => self.finish(op, Err(err.into())),
                Role::BundleOpen | Role::BundleClose => {
                    if let Some(o) = self.ops.get_mut(&op) {
                        if let (Role::BundleOpen, OpKind::Bundle(b)) = (role, &mut o.kind) {
                            b.open_failed = true;
                        }
                        o.errors.push(err);
                    }
                }
                Role::BundleBarrier | Role::BundleCommit | Role::BundleDiscard => {
                    if let Some(o) = self.ops.get_mut(&op) {
                        o.errors.push(err);
                        let errors = std::mem::take(&mut o.errors);
                        self.finish(op, Err(bundle_failure(errors)));
                    }
                }
            }
            return;
        }
        for o in self.ops.values_mut() {
            if let Some((stage, index)) = o.index_of(xid) {
                o.errors.push(make(stage, Some(index)));
                return;
            }
        }
        self.events
            .push_back(Event::Error(make(Stage::Request, None)));
    }

    fn route_reply(&mut self, header: Header, msg: Message) {
        let Some(&(op, role)) = self.xids.get(&header.xid) else {
            if !matches!(msg, Message::EchoReply(_)) {
                self.events.push_back(Event::Async {
                    header,
                    message: msg,
                });
            }
            return;
        };
        match role {
            Role::Request => self.request_reply(op, header.xid, msg),
            Role::BatchBarrier => match msg {
                Message::BarrierReply => {
                    let errors = self
                        .ops
                        .get_mut(&op)
                        .map(|o| std::mem::take(&mut o.errors))
                        .unwrap_or_default();
                    self.finish(op, Ok(Reply::Barrier { errors }));
                }
                other => self.unexpected(op, "barrier", &other),
            },
            Role::BundleOpen | Role::BundleClose | Role::BundleCommit | Role::BundleDiscard => {
                self.bundle_control_reply(op, role, msg)
            }
            Role::BundleBarrier => match msg {
                Message::BarrierReply => self.bundle_decide(op),
                other => self.unexpected(op, "barrier", &other),
            },
        }
    }

    fn unexpected(&mut self, op: OpId, request: &'static str, got: &Message) {
        let got = format!("{got:?}").chars().take(200).collect();
        self.fail_op(op, ProtocolError::UnexpectedReply { request, got }.into());
    }

    fn request_reply(&mut self, op: OpId, xid: u32, msg: Message) {
        let Some(o) = self.ops.get_mut(&op) else {
            return;
        };
        let silent = o.silent;
        let OpKind::Request {
            mode,
            collected,
            what,
        } = &mut o.kind
        else {
            return;
        };
        let what = *what;
        let part = match msg {
            Message::MultipartReply(part) => part,
            other => {
                self.finish(op, Ok(Reply::Message(other)));
                return;
            }
        };
        let more = part.more();
        match mode {
            MultipartMode::Stream => {
                if !silent {
                    self.events.push_back(Event::Part { op, xid, part });
                }
                if !more {
                    self.finish(op, Ok(Reply::MultipartDone));
                }
            }
            MultipartMode::Collect => {
                let flags = part.flags;
                match collected {
                    None => *collected = Some(part),
                    Some(acc) => {
                        if let Err(body) = acc.body.append(part.body) {
                            let got = format!("multipart reply part of type {}", body.mp_type());
                            self.fail_op(
                                op,
                                ProtocolError::UnexpectedReply { request: what, got }.into(),
                            );
                            return;
                        }
                        acc.flags = flags;
                    }
                }
                if !more {
                    let whole = collected.take();
                    match whole {
                        Some(mut whole) => {
                            whole.flags &= !message::multipart::MORE;
                            self.finish(op, Ok(Reply::Multipart(whole)));
                        }
                        None => self.finish(op, Ok(Reply::MultipartDone)),
                    }
                }
            }
        }
    }

    fn bundle_control_reply(&mut self, op: OpId, role: Role, msg: Message) {
        let (want, request) = match role {
            Role::BundleOpen => (ctrl_type::OPEN_REPLY, "bundle open"),
            Role::BundleClose => (ctrl_type::CLOSE_REPLY, "bundle close"),
            Role::BundleCommit => (ctrl_type::COMMIT_REPLY, "bundle commit"),
            _ => (ctrl_type::DISCARD_REPLY, "bundle discard"),
        };
        let Some(Op {
            kind: OpKind::Bundle(b),
            errors,
            ..
        }) = self.ops.get_mut(&op)
        else {
            return;
        };
        match &msg {
            Message::BundleControl(c) if c.ctrl_type == want && c.bundle_id == b.id => {}
            other => {
                self.unexpected(op, request, other);
                return;
            }
        }
        match role {
            Role::BundleCommit => self.finish(op, Ok(Reply::Committed)),
            Role::BundleDiscard => {
                let result = match b.phase {
                    BundlePhase::Discarding { requested: true } => Ok(Reply::Discarded),
                    _ => Err(bundle_failure(std::mem::take(errors))),
                };
                self.finish(op, result);
            }
            _ => {}
        }
    }

    /// The barrier after the adds arrived: commit if the switch accepted everything, discard
    /// otherwise (a refused add is simply left out of the bundle, so committing would apply a
    /// partial set).
    fn bundle_decide(&mut self, op: OpId) {
        let Some(Op {
            kind: OpKind::Bundle(b),
            errors,
            ..
        }) = self.ops.get_mut(&op)
        else {
            return;
        };
        if b.open_failed {
            let errors = std::mem::take(errors);
            self.finish(op, Err(bundle_failure(errors)));
            return;
        }
        if !errors.is_empty() {
            if let Err(e) = self.send_discard(op, false) {
                self.finish(op, Err(e));
            }
            return;
        }
        b.phase = BundlePhase::Committing;
        let (id, flags) = (b.id, b.flags);
        let commit = Message::bundle_control(id, ctrl_type::COMMIT_REQUEST, flags);
        let result = self.ready().and_then(|v| {
            let xid = self.alloc_xid();
            self.encode(v, xid, &commit).map(|_| xid)
        });
        match result {
            Ok(xid) => self.own(op, xid, Role::BundleCommit),
            Err(e) => self.finish(op, Err(e)),
        }
    }
}

/// The error a failed bundle reports: the first one naming a message of the bundle (the
/// message that failed), else the first one.
fn bundle_failure(errors: Vec<SwitchError>) -> ConnError {
    let pick = errors.iter().position(|e| e.index.is_some()).unwrap_or(0);
    match errors.into_iter().nth(pick) {
        Some(e) => e.into(),
        None => ProtocolError::UnexpectedReply {
            request: "bundle",
            got: "a discard without an error".into(),
        }
        .into(),
    }
}

fn request_name(msg: &Message) -> &'static str {
    match msg {
        Message::MultipartRequest(_) => "multipart request",
        Message::EchoRequest(_) => "echo request",
        Message::FeaturesRequest => "features request",
        Message::GetConfigRequest => "get-config request",
        Message::BarrierRequest => "barrier",
        Message::RoleRequest(_) => "role request",
        Message::BundleControl(_) => "bundle control",
        _ => "request",
    }
}
