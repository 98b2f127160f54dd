//! Bundles: control messages (open/close/commit/discard and their replies) and bundle-add,
//! in both forms OVS speaks (`lib/ofp-bundle.c`, `include/openvswitch/ofp-msgs.h`):
//! OpenFlow 1.4+ native `OFPT_BUNDLE_CONTROL` (33) / `OFPT_BUNDLE_ADD_MESSAGE` (34), and the
//! OpenFlow 1.3 ONF extension EXT-230 (experimenter `0x4f4e4600`, types 2300 / 2301). The body
//! (`ofp14_bundle_ctrl_msg`) is the same; the version picks the form when encoding.
//!
//! A bundle-add carries a complete inner message whose version and xid must equal the outer
//! message's (OVS rejects others with `OFPBFC_BAD_VERSION` / `OFPBFC_MSG_BAD_XID`): encoding
//! writes the inner header from the outer one, decoding checks it.

use bytes::Bytes;

/// ONF experimenter type of the OpenFlow 1.3 bundle control message.
pub const ONFT_BUNDLE_CONTROL: u32 = 2300;
/// ONF experimenter type of the OpenFlow 1.3 bundle add message.
pub const ONFT_BUNDLE_ADD_MESSAGE: u32 = 2301;

/// `OFPBCT_*` bundle control types.
pub mod ctrl_type {
    /// Open a bundle.
    pub const OPEN_REQUEST: u16 = 0;
    /// Reply to open.
    pub const OPEN_REPLY: u16 = 1;
    /// Close a bundle (no more adds).
    pub const CLOSE_REQUEST: u16 = 2;
    /// Reply to close.
    pub const CLOSE_REPLY: u16 = 3;
    /// Apply the bundle.
    pub const COMMIT_REQUEST: u16 = 4;
    /// Reply to commit.
    pub const COMMIT_REPLY: u16 = 5;
    /// Drop the bundle.
    pub const DISCARD_REQUEST: u16 = 6;
    /// Reply to discard.
    pub const DISCARD_REPLY: u16 = 7;

    /// OVS's name of a control type (`OPEN_REQUEST`...).
    pub fn name(t: u16) -> Option<&'static str> {
        Some(match t {
            OPEN_REQUEST => "OPEN_REQUEST",
            OPEN_REPLY => "OPEN_REPLY",
            CLOSE_REQUEST => "CLOSE_REQUEST",
            CLOSE_REPLY => "CLOSE_REPLY",
            COMMIT_REQUEST => "COMMIT_REQUEST",
            COMMIT_REPLY => "COMMIT_REPLY",
            DISCARD_REQUEST => "DISCARD_REQUEST",
            DISCARD_REPLY => "DISCARD_REPLY",
            _ => return None,
        })
    }
}

/// Bundle flag: apply all or nothing.
pub const BUNDLE_ATOMIC: u16 = 1;
/// Bundle flag: apply in order.
pub const BUNDLE_ORDERED: u16 = 2;

/// A bundle control message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BundleControl {
    /// Bundle id chosen by the controller.
    pub bundle_id: u32,
    /// `OFPBCT_*` (see [`ctrl_type`]).
    pub ctrl_type: u16,
    /// `BUNDLE_ATOMIC` / `BUNDLE_ORDERED`.
    pub flags: u16,
    /// Properties after the fixed part, verbatim (OVS ignores them).
    pub props: Bytes,
}

/// A bundle-add message: one message to apply when the bundle commits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BundleAdd {
    /// Bundle id.
    pub bundle_id: u32,
    /// Flags (should repeat the open's flags).
    pub flags: u16,
    /// The message (flow-mod, group-mod, port-mod or packet-out; OVS refuses others).
    pub message: Box<super::Message>,
    /// Bytes after the inner message (properties), verbatim.
    pub props: Bytes,
}
