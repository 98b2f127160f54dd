//! Typed errors of the switch connection: what went wrong, and for errors the switch answered
//! with, exactly which request it refused.

use crate::ofproto::codec::message::{ErrorCode, Header, Message};
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::Bytes;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Which step of a request an error belongs to. Bundles have several steps; a plain request or a
/// batch message has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// A single request (flow-mod, multipart, packet-out...).
    Request,
    /// The message at this position of a batch (messages followed by one barrier).
    Batch,
    /// `OFPBCT_OPEN_REQUEST`.
    BundleOpen,
    /// The bundle-add of the message at this position.
    BundleAdd,
    /// `OFPBCT_CLOSE_REQUEST`.
    BundleClose,
    /// `OFPBCT_COMMIT_REQUEST` (OVS answers `OFPBFC_MSG_FAILED` after an error for the message
    /// that failed to apply).
    BundleCommit,
    /// `OFPBCT_DISCARD_REQUEST`.
    BundleDiscard,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Request => "request",
            Stage::Batch => "message",
            Stage::BundleOpen => "bundle open",
            Stage::BundleAdd => "bundle add",
            Stage::BundleClose => "bundle close",
            Stage::BundleCommit => "bundle commit",
            Stage::BundleDiscard => "bundle discard",
        })
    }
}

/// An `OFPT_ERROR` the switch sent in answer to one of our messages.
#[derive(Clone, PartialEq, Eq)]
pub struct SwitchError {
    /// The negotiated version (error numbers differ per version).
    pub version: Version,
    /// Type and code, or experimenter code and id.
    pub code: ErrorCode,
    /// The xid of the refused message.
    pub xid: u32,
    /// Which step it refused.
    pub stage: Stage,
    /// Position of the refused message in the batch or bundle the caller submitted.
    pub index: Option<usize>,
    /// The start of the refused message as the switch echoed it (OVS sends up to 64 bytes).
    pub data: Bytes,
    /// The refused message as the caller gave it, when the caller kept it (the `Switch` handle
    /// does for batches and bundles).
    pub request: Option<Box<Message>>,
}

impl SwitchError {
    /// OVS's name of the error (`OFPBAC_BAD_OUT_PORT`), if OVS knows it.
    pub fn name(&self) -> Option<&'static str> {
        self.code.name(self.version)
    }

    /// The header of the refused message, from the echoed bytes.
    pub fn request_header(&self) -> Option<Header> {
        Header::decode(&self.data).ok()
    }
}

impl fmt::Debug for SwitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The echoed bytes can be long; show their start only.
        let head: Vec<String> = self
            .data
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        f.debug_struct("SwitchError")
            .field("name", &self.name())
            .field("code", &self.code)
            .field("xid", &self.xid)
            .field("stage", &self.stage)
            .field("index", &self.index)
            .field(
                "data",
                &format_args!("{} bytes: {}", self.data.len(), head.join("")),
            )
            .field("request", &self.request)
            .finish()
    }
}

impl fmt::Display for SwitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name)?,
            None => f.write_str("unknown error")?,
        }
        match self.code {
            ErrorCode::Standard { err_type, code } => {
                write!(f, " (type {err_type}, code {code})")?;
            }
            ErrorCode::Experimenter {
                exp_code,
                experimenter,
            } => write!(f, " (experimenter {experimenter:#010x}, code {exp_code})")?,
        }
        write!(f, " for {}", self.stage)?;
        if let Some(i) = self.index {
            write!(f, " #{}", i + 1)?;
        }
        write!(f, " (xid={:#x})", self.xid)
    }
}

/// Why the OpenFlow conversation itself failed (as opposed to the switch refusing a request).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The peer's hello shares no version with ours.
    #[error("no common OpenFlow version (we allow {ours:#x}, the switch allows {theirs:#x}, as version bitmaps)")]
    NoCommonVersion {
        /// Our version bitmap (bit `v` = wire version `v`).
        ours: u32,
        /// The switch's version bitmap.
        theirs: u32,
    },
    /// The peer sent an `OFPT_ERROR` instead of (or in answer to) our hello.
    #[error("the switch refused the hello: {0}")]
    HelloFailed(String),
    /// A message arrived before the hello.
    #[error("expected a hello, got message type {0}")]
    NotHello(u8),
    /// An `ofp_header.length` below 8: the byte stream cannot be framed any more.
    #[error("bad OpenFlow frame length {0}")]
    Framing(usize),
    /// A reply to one of our requests could not be decoded.
    #[error("cannot decode reply (type {msg_type}, xid={xid:#x}): {error}")]
    Decode {
        /// `ofp_header.type`.
        msg_type: u8,
        /// Its xid.
        xid: u32,
        /// What is wrong.
        error: DecodeError,
    },
    /// A reply of the wrong kind arrived for a request.
    #[error("unexpected reply to {request}: {got}")]
    UnexpectedReply {
        /// What we asked.
        request: &'static str,
        /// What came back.
        got: String,
    },
    /// A message was submitted before the handshake finished, or after the session closed.
    #[error("the session is not connected")]
    NotConnected,
    /// The bundle or request named does not exist (finished or never started).
    #[error("no such operation")]
    UnknownOperation,
    /// The switch did not answer an echo request in time.
    #[error("the switch did not answer an echo request within {0:?}")]
    EchoTimeout(Duration),
    /// The switch did not send its hello in time.
    #[error("the switch did not say hello within {0:?}")]
    HelloTimeout(Duration),
}

/// Every way a request to the switch can fail.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ConnError {
    /// The switch could not be reached.
    #[error("{target}: {source}")]
    Connect {
        /// What was tried (`unix:/var/run/openvswitch/br-int.mgmt`).
        target: String,
        /// Why it failed.
        source: Arc<std::io::Error>,
    },
    /// Reading or writing an established connection failed.
    #[error("connection error: {0}")]
    Transport(Arc<std::io::Error>),
    /// The OpenFlow conversation went wrong.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The switch refused a request.
    #[error("switch error: {0}")]
    Switch(Box<SwitchError>),
    /// No answer in time.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What we waited for.
        what: &'static str,
        /// How long.
        after: Duration,
    },
    /// The connection was lost (or the handle shut down) before the answer arrived. For a bundle
    /// commit this means the outcome is unknown; before the commit, the switch discards the
    /// bundle when the connection closes.
    #[error("disconnected from the switch")]
    Disconnected,
    /// A message could not be encoded for the negotiated version.
    #[error("cannot encode message: {0}")]
    Encode(#[from] EncodeError),
    /// The message at `index` of a bundle could not be encoded; the bundle was discarded.
    #[error("message #{} cannot be encoded: {error}", .index + 1)]
    BadMessage {
        /// Position in the bundle.
        index: usize,
        /// Why.
        error: EncodeError,
    },
}

impl From<SwitchError> for ConnError {
    fn from(e: SwitchError) -> Self {
        ConnError::Switch(Box::new(e))
    }
}

impl ConnError {
    /// The switch error, if the switch refused the request.
    pub fn switch_error(&self) -> Option<&SwitchError> {
        match self {
            ConnError::Switch(e) => Some(e),
            _ => None,
        }
    }
}
