//! A fake OpenFlow switch on a unix socket: answers the handshake and requests with our codec
//! and records every message a client (usually `ovs-ofctl`) sends, so tests see OVS's real
//! encodings (`ovs-ofctl -O OpenFlow13 add-flow unix:SOCK "FLOW"`).
//!
//! Default answers: HELLO (announcing OpenFlow 1.3 and 1.5), FEATURES_REPLY, ECHO_REPLY,
//! BARRIER_REPLY, GET_CONFIG_REPLY, ROLE_REPLY, bundle control replies, and an empty multipart
//! reply of the requested type. A test can add its own answers with
//! [`FakeSwitch::start_with`]. One connection is served at a time (ovs-ofctl opens one per
//! command); the listener thread stops when the `FakeSwitch` is dropped.

use bytes::{Bytes, BytesMut};
use ovs_egress::ofproto::codec::message::bundle::ctrl_type;
use ovs_egress::ofproto::codec::message::multipart::TableFeatures;
use ovs_egress::ofproto::codec::message::{
    decode, encode, encode_wire_version, frame_len, FeaturesReply, Header, Hello, Message, MpReply,
    MpRequest, MultipartReply, Prop, Role, SwitchConfig,
};
use ovs_egress::ofproto::codec::{DecodeError, Version};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One message received from the client.
#[derive(Clone, Debug)]
pub struct Captured {
    /// Which connection (0, 1, ...) it arrived on.
    pub connection: usize,
    /// The exact bytes.
    pub bytes: Bytes,
    /// Our decoding of them.
    pub decoded: Result<(Header, Message), DecodeError>,
}

/// A test-specific answer: given a received message, the messages to send back (with the
/// request's xid), or `None` to use the default answer.
pub type Responder = dyn Fn(&Header, &Message) -> Option<Vec<Message>> + Send + Sync;

/// A fake switch listening on a unix socket in a temporary directory.
pub struct FakeSwitch {
    dir: tempfile::TempDir,
    path: PathBuf,
    captured: Arc<Mutex<Vec<Captured>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSwitch {
    /// Starts a fake switch with the default answers.
    pub fn start() -> FakeSwitch {
        FakeSwitch::start_with(Box::new(|_, _| None))
    }

    /// Starts a fake switch that asks `responder` first.
    pub fn start_with(responder: Box<Responder>) -> FakeSwitch {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("switch.sock");
        let listener = UnixListener::bind(&path).expect("bind fake switch socket");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (captured.clone(), stop.clone());
        let thread = std::thread::spawn(move || serve(listener, c, s, responder));
        FakeSwitch {
            dir,
            path,
            captured,
            stop,
            thread: Some(thread),
        }
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `unix:PATH`, the target to give ovs-ofctl.
    pub fn target(&self) -> String {
        format!("unix:{}", self.path.display())
    }

    /// The directory holding the socket (tests may put input files there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Takes everything captured so far.
    pub fn take(&self) -> Vec<Captured> {
        std::mem::take(&mut *self.captured.lock().unwrap())
    }
}

impl Drop for FakeSwitch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    listener: UnixListener,
    captured: Arc<Mutex<Vec<Captured>>>,
    stop: Arc<AtomicBool>,
    responder: Box<Responder>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = serve_connection(stream, n, &captured, &stop, &*responder);
                n += 1;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => return,
        }
    }
}

fn serve_connection(
    mut stream: UnixStream,
    connection: usize,
    captured: &Mutex<Vec<Captured>>,
    stop: &AtomicBool,
    responder: &Responder,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut buf = BytesMut::new();
    let mut chunk = [0u8; 65536];
    let mut version = Version::Of15;
    let mut sent_hello = false;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if !sent_hello {
            // Like ovs-vswitchd, greet first: highest version in the header plus a bitmap.
            let mut out = BytesMut::new();
            let hello = Message::Hello(Hello::with_versions(&[Version::Of13, Version::Of15]));
            encode(Version::Of15, 1, &hello, &mut out).expect("encode hello");
            stream.write_all(&out)?;
            sent_hello = true;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e),
        }
        while let Some(len) = frame_len(&buf) {
            if len < 8 {
                return Ok(());
            }
            if buf.len() < len {
                break;
            }
            let bytes = buf.split_to(len).freeze();
            let decoded = decode(&bytes);
            captured.lock().unwrap().push(Captured {
                connection,
                bytes: bytes.clone(),
                decoded: decoded.clone(),
            });
            let Ok((h, msg)) = decoded else { continue };
            if let Message::Hello(hello) = &msg {
                let ours = (1 << 4) | (1 << 6);
                if let Some(v) = hello
                    .negotiate(h.version, ours)
                    .and_then(Version::from_wire)
                {
                    version = v;
                }
                continue;
            }
            let replies = responder(&h, &msg).unwrap_or_else(|| default_reply(&msg));
            let mut out = BytesMut::new();
            for r in replies {
                match r {
                    Message::Error(_) => encode_wire_version(h.version, h.xid, &r, &mut out),
                    _ => encode(version, h.xid, &r, &mut out),
                }
                .expect("encode reply");
            }
            stream.write_all(&out)?;
        }
    }
}

/// The answers a switch must give for the client to go on.
pub fn default_reply(msg: &Message) -> Vec<Message> {
    match msg {
        Message::FeaturesRequest => vec![Message::FeaturesReply(FeaturesReply {
            datapath_id: 0x0000_0000_0000_00aa,
            n_buffers: 0,
            n_tables: 254,
            auxiliary_id: 0,
            capabilities: 0x4f,
            reserved: 0,
        })],
        Message::EchoRequest(p) => vec![Message::EchoReply(p.clone())],
        Message::BarrierRequest => vec![Message::BarrierReply],
        Message::GetConfigRequest => vec![Message::GetConfigReply(SwitchConfig::default())],
        Message::RoleRequest(r) => vec![Message::RoleReply(Role {
            role: if r.role == Role::NOCHANGE {
                Role::EQUAL
            } else {
                r.role
            },
            generation_id: r.generation_id,
        })],
        Message::BundleControl(b)
            if b.ctrl_type % 2 == 0 && b.ctrl_type <= ctrl_type::DISCARD_REQUEST =>
        {
            let mut reply = b.clone();
            reply.ctrl_type += 1;
            vec![Message::BundleControl(reply)]
        }
        Message::MultipartRequest(m) => {
            let body = match &m.body {
                MpRequest::Flow(_) => MpReply::Flow(Vec::new()),
                MpRequest::Table => MpReply::Table(Vec::new()),
                MpRequest::PortDesc { .. } => MpReply::PortDesc(Vec::new()),
                MpRequest::GroupDesc { .. } => MpReply::GroupDesc(Vec::new()),
                MpRequest::TableFeatures(_) => MpReply::TableFeatures(vec![table0_features()]),
                MpRequest::Meter { .. } => MpReply::Meter(Vec::new()),
                MpRequest::MeterConfig { .. } => MpReply::MeterConfig(Vec::new()),
                other => MpReply::Raw {
                    mp_type: MultipartReplyType::of(other),
                    body: Bytes::new(),
                },
            };
            vec![Message::MultipartReply(MultipartReply { flags: 0, body })]
        }
        _ => Vec::new(),
    }
}

/// Features of one table, with the (empty) properties OpenFlow 1.3 requires: ovs-ofctl asks
/// for table features to learn table names and refuses an empty or property-less reply.
pub fn table0_features() -> TableFeatures {
    let mut t = TableFeatures::name_only(0, "", 1_000_000);
    t.command = 0;
    t.props = [0u16, 2, 4, 6, 8, 10, 12, 14]
        .iter()
        .map(|&ty| Prop::new(ty, Bytes::new()))
        .collect();
    t
}

/// The multipart type of a request (for empty raw replies).
struct MultipartReplyType;

impl MultipartReplyType {
    fn of(req: &MpRequest) -> u16 {
        ovs_egress::ofproto::codec::message::MultipartRequest {
            flags: 0,
            body: req.clone(),
        }
        .mp_type()
    }
}
