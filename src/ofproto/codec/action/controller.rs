//! `NXAST_CONTROLLER` and `NXAST_CONTROLLER2` (`controller(...)`).
//!
//! Mirrors `decode_NXAST_RAW_CONTROLLER{,2}` / `encode_CONTROLLER` of `lib/ofp-actions.c`:
//! CONTROLLER2 is a 16-byte extension header (whose 6 pad bytes must be zero) followed by
//! properties (`type(16) len(16) payload`, each padded to 8). Like OVS, the decoded action
//! keeps the *values* of the properties (later duplicates win, unknown types are errors) and
//! re-encodes them in OVS's order, omitting defaults — exactly what the switch stores.

use super::subfield::{bad, ActErr};
use super::{min_len, put_nx_header};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, Bytes, BytesMut};

use super::Action;

const CONTROLLER: u16 = 20;
const CONTROLLER2: u16 = 37;

const PROP_MAX_LEN: u16 = 0;
const PROP_CONTROLLER_ID: u16 = 1;
const PROP_REASON: u16 = 2;
const PROP_USERDATA: u16 = 3;
const PROP_PAUSE: u16 = 4;
const PROP_METER_ID: u16 = 5;

/// `OFPR_ACTION`, the default packet-in reason.
pub const REASON_ACTION: u8 = 1;

/// The settings of a `NXAST_CONTROLLER2` action.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Controller2 {
    /// Bytes of the packet to send (65535 = all, the default).
    pub max_len: u16,
    /// Controller connection id (default 0).
    pub controller_id: u16,
    /// Packet-in reason (`OFPR_*`, default 1 = action).
    pub reason: u8,
    /// Opaque data copied into the packet-in (`userdata=`).
    pub userdata: Bytes,
    /// Pause the pipeline until the controller resumes it.
    pub pause: bool,
    /// Meter applied to the packet-ins (0 = none).
    pub meter_id: u32,
}

impl Default for Controller2 {
    fn default() -> Self {
        Controller2 {
            max_len: u16::MAX,
            controller_id: 0,
            reason: REASON_ACTION,
            userdata: Bytes::new(),
            pause: false,
            meter_id: 0,
        }
    }
}

/// Decodes `NXAST_CONTROLLER` (the trailing zero byte is ignored, as in OVS).
pub(crate) fn decode_controller(bytes: &[u8]) -> Result<Action, ActErr> {
    super::fixed_len(bytes, 16, "NXAST_CONTROLLER")?;
    Ok(Action::Controller {
        max_len: u16::from_be_bytes([bytes[10], bytes[11]]),
        controller_id: u16::from_be_bytes([bytes[12], bytes[13]]),
        reason: bytes[14],
    })
}

/// Decodes `NXAST_CONTROLLER2`.
pub(crate) fn decode_controller2(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_CONTROLLER2")?;
    if bytes[10..16].iter().any(|&b| b != 0) {
        return Err(ActErr::Bad(DecodeError::BadPadding {
            what: "controller2 header",
        }));
    }
    let mut c = Controller2::default();
    let mut r = Reader::new(&bytes[16..]);
    while !r.is_empty() {
        let ty = r.peek_u16(0, "controller2 property type")?;
        let len = r.peek_u16(2, "controller2 property length")? as usize;
        if len < 4 || len.div_ceil(8) * 8 > r.remaining() {
            return Err(ActErr::Bad(DecodeError::BadLength {
                what: "controller2 property",
                len,
            }));
        }
        let prop = r.bytes(len.div_ceil(8) * 8, "controller2 property")?;
        let payload = &prop[4..len];
        let short = |need: usize| {
            ActErr::Bad(DecodeError::BadLength {
                what: "controller2 property payload",
                len: need.min(payload.len()),
            })
        };
        match ty {
            PROP_MAX_LEN | PROP_CONTROLLER_ID => {
                let v = payload.get(..2).ok_or_else(|| short(2))?;
                let v = u16::from_be_bytes([v[0], v[1]]);
                if ty == PROP_MAX_LEN {
                    c.max_len = v;
                } else {
                    c.controller_id = v;
                }
            }
            PROP_REASON => c.reason = *payload.first().ok_or_else(|| short(1))?,
            PROP_USERDATA => c.userdata = Bytes::copy_from_slice(payload),
            PROP_PAUSE => c.pause = true,
            PROP_METER_ID => {
                let v: [u8; 4] = payload.try_into().map_err(|_| short(4))?;
                c.meter_id = u32::from_be_bytes(v);
            }
            other => return Err(bad("controller2 property type", other as u64)),
        }
    }
    Ok(Action::Controller2(Box::new(c)))
}

/// Encodes `NXAST_CONTROLLER` (the caller pads and writes the length).
pub(crate) fn encode_controller(max_len: u16, controller_id: u16, reason: u8, out: &mut BytesMut) {
    put_nx_header(out, CONTROLLER);
    out.put_u16(max_len);
    out.put_u16(controller_id);
    out.put_u8(reason);
    out.put_u8(0);
}

/// Encodes `NXAST_CONTROLLER2` with the non-default properties in OVS's order.
pub(crate) fn encode_controller2(c: &Controller2, out: &mut BytesMut) -> Result<(), EncodeError> {
    put_nx_header(out, CONTROLLER2);
    out.put_bytes(0, 6);
    if c.max_len != u16::MAX {
        put_prop(out, PROP_MAX_LEN, &u16_prop(c.max_len))?;
    }
    if c.controller_id != 0 {
        put_prop(out, PROP_CONTROLLER_ID, &u16_prop(c.controller_id))?;
    }
    if c.reason != REASON_ACTION {
        put_prop(out, PROP_REASON, &[c.reason])?;
    }
    if !c.userdata.is_empty() {
        put_prop(out, PROP_USERDATA, &c.userdata)?;
    }
    if c.pause {
        put_prop(out, PROP_PAUSE, &[])?;
    }
    if c.meter_id != 0 {
        put_prop(out, PROP_METER_ID, &c.meter_id.to_be_bytes())?;
    }
    Ok(())
}

/// A 16-bit property value: OpenFlow gives these a length of 8, so two zero bytes follow
/// (`ofpprop_put_be16`).
fn u16_prop(v: u16) -> [u8; 4] {
    let b = v.to_be_bytes();
    [b[0], b[1], 0, 0]
}

fn put_prop(out: &mut BytesMut, ty: u16, payload: &[u8]) -> Result<(), EncodeError> {
    let len = 4 + payload.len();
    if len > u16::MAX as usize {
        return Err(EncodeError::TooLong {
            what: "controller2 property",
            len,
        });
    }
    out.put_u16(ty);
    out.put_u16(len as u16);
    out.put_slice(payload);
    out.put_bytes(0, len.div_ceil(8) * 8 - len);
    Ok(())
}
