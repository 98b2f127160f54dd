//! OpenFlow and Nicira actions: one variant per distinct wire form, lossless.
//!
//! (Skeleton: the full action set is being written; see the issue. Unknown actions are kept as
//! [`RawAction`] and re-encoded byte for byte.)

use super::buf::{patch_u16, Reader};
use super::port::PortNo;
use super::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// An action we do not model, kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawAction {
    /// `ofp_action_header.type`.
    pub action_type: u16,
    /// Everything after `type` and `len` (padding included).
    pub body: Bytes,
}

/// One action.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Action {
    /// `OFPAT_OUTPUT`: send to a port (`max_len` bytes to the controller).
    Output {
        /// Destination.
        port: PortNo,
        /// Bytes to send to the controller when `port` is CONTROLLER.
        max_len: u16,
    },
    /// An action this codec does not model.
    Raw(RawAction),
}

/// Decodes the actions filling `r`.
pub fn decode_actions(r: &mut Reader<'_>, version: Version) -> Result<Vec<Action>, DecodeError> {
    let _ = version;
    let mut out = Vec::new();
    while !r.is_empty() {
        let action_type = r.peek_u16(0, "action type")?;
        let len = r.peek_u16(2, "action length")? as usize;
        if len < 8 || len % 8 != 0 {
            return Err(DecodeError::BadLength {
                what: "action",
                len,
            });
        }
        let mut a = r.sub(len, "action")?;
        a.skip(4, "action header")?;
        out.push(match action_type {
            0 => {
                let port = a.u32("output port")?;
                let port = PortNo::from_ofp11(port).ok_or(DecodeError::BadValue {
                    what: "output port",
                    value: port as u64,
                })?;
                let max_len = a.u16("output max_len")?;
                a.skip(6, "output padding")?;
                Action::Output { port, max_len }
            }
            _ => Action::Raw(RawAction {
                action_type,
                body: Bytes::copy_from_slice(a.take_rest()),
            }),
        });
    }
    Ok(out)
}

/// Encodes `actions` for `version`.
pub fn encode_actions(
    actions: &[Action],
    out: &mut BytesMut,
    version: Version,
) -> Result<(), EncodeError> {
    let _ = version;
    for a in actions {
        let start = out.len();
        match a {
            Action::Output { port, max_len } => {
                out.put_u16(0);
                out.put_u16(16);
                out.put_u32(port.to_ofp11());
                out.put_u16(*max_len);
                out.put_bytes(0, 6);
            }
            Action::Raw(raw) => {
                out.put_u16(raw.action_type);
                out.put_u16(0);
                out.put_slice(&raw.body);
                let len = out.len() - start;
                if len > u16::MAX as usize {
                    return Err(EncodeError::TooLong {
                        what: "action",
                        len,
                    });
                }
                patch_u16(out, start + 2, len as u16);
            }
        }
    }
    Ok(())
}
