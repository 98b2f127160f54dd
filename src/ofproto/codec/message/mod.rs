//! OpenFlow messages: the [`Message`] enum, [`decode`] / [`encode`], and cheap framing
//! ([`frame_len`]).
//!
//! Invariants (on top of the codec's):
//! - `decode` accepts exactly one whole message and never panics; HELLO, ERROR and ECHO decode
//!   whatever the header version (version negotiation happens through them), everything else
//!   needs OpenFlow 1.3 (0x04) or 1.5 (0x06).
//! - Lossless: unknown message types, experimenter messages, NXT subtypes, multipart types and
//!   properties are kept as bytes, padding must be zero, and bodies whose encoding a typed
//!   value cannot reproduce are kept raw, so `encode(decode(b)) == b` for every message whose
//!   match and actions the match/action codecs reproduce exactly.
//! - `encode` takes the version and writes its layout: bundle messages as the ONF EXT-230
//!   experimenter messages in 1.3 and natively in 1.5, flow-mod importance, OXS statistics,
//!   packet-out match, group/port/table-mod properties only in 1.5. Lengths are back-patched
//!   into the caller's buffer; nothing is allocated per field.
//!
//! Layouts and names mirror OVS `include/openvswitch/ofp-msgs.h` and `lib/ofp-*.c`.

pub mod bundle;
mod config;
pub mod error;
mod error_table;
mod experimenter;
mod features;
pub(crate) mod flow_mod;
pub mod group_mod;
mod header;
pub mod hello;
pub mod meter_mod;
pub mod multipart;
pub mod nicira;
pub mod oxs;
mod packet_in;
pub mod packet_out;
mod port_mod;
pub mod port_status;
pub mod print;
pub mod prop;
mod role;
mod table_mod;

pub use bundle::{BundleAdd, BundleControl};
pub use config::SwitchConfig;
pub use error::{ErrorCode, ErrorMsg};
pub use experimenter::Experimenter;
pub use features::FeaturesReply;
pub use flow_mod::{decode_flow_mod, encode_flow_mod};
pub use group_mod::{Bucket, GroupDesc, GroupMod};
pub use header::{frame_len, Header, HEADER_LEN};
pub use hello::Hello;
pub use meter_mod::{MeterBand, MeterMod};
pub use multipart::{MpReply, MpRequest, MultipartReply, MultipartRequest};
pub use nicira::{NxMessage, PacketIn2, PacketInFormat};
pub use packet_in::PacketIn;
pub use packet_out::PacketOut;
pub use port_mod::PortMod;
pub use port_status::{Port, PortEthernet, PortStatus};
pub use prop::{FixedStr, Prop};
pub use role::Role;
pub use table_mod::TableMod;

use super::buf::Reader;
use super::flow::FlowMod;
use super::{DecodeError, EncodeError, Version};
use crate::ofproto::codec::message::error::{NX_VENDOR_ID, ONF_VENDOR_ID};
use crate::ofproto::codec::message::flow_removed::FlowRemoved as FlowRemovedMsg;
use bytes::{BufMut, Bytes, BytesMut};

mod flow_removed;
pub use flow_removed::FlowRemoved;

/// `OFPT_*` message type numbers (OpenFlow 1.3 / 1.5).
pub mod msg_type {
    /// Hello.
    pub const HELLO: u8 = 0;
    /// Error.
    pub const ERROR: u8 = 1;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 2;
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 3;
    /// Experimenter (Nicira, ONF...).
    pub const EXPERIMENTER: u8 = 4;
    /// Features request.
    pub const FEATURES_REQUEST: u8 = 5;
    /// Features reply.
    pub const FEATURES_REPLY: u8 = 6;
    /// Get-config request.
    pub const GET_CONFIG_REQUEST: u8 = 7;
    /// Get-config reply.
    pub const GET_CONFIG_REPLY: u8 = 8;
    /// Set-config.
    pub const SET_CONFIG: u8 = 9;
    /// Packet-in.
    pub const PACKET_IN: u8 = 10;
    /// Flow-removed.
    pub const FLOW_REMOVED: u8 = 11;
    /// Port-status.
    pub const PORT_STATUS: u8 = 12;
    /// Packet-out.
    pub const PACKET_OUT: u8 = 13;
    /// Flow-mod.
    pub const FLOW_MOD: u8 = 14;
    /// Group-mod.
    pub const GROUP_MOD: u8 = 15;
    /// Port-mod.
    pub const PORT_MOD: u8 = 16;
    /// Table-mod.
    pub const TABLE_MOD: u8 = 17;
    /// Multipart request.
    pub const MULTIPART_REQUEST: u8 = 18;
    /// Multipart reply.
    pub const MULTIPART_REPLY: u8 = 19;
    /// Barrier request.
    pub const BARRIER_REQUEST: u8 = 20;
    /// Barrier reply.
    pub const BARRIER_REPLY: u8 = 21;
    /// Role request.
    pub const ROLE_REQUEST: u8 = 24;
    /// Role reply.
    pub const ROLE_REPLY: u8 = 25;
    /// Meter-mod.
    pub const METER_MOD: u8 = 29;
    /// Bundle control (OpenFlow 1.4+).
    pub const BUNDLE_CONTROL: u8 = 33;
    /// Bundle add (OpenFlow 1.4+).
    pub const BUNDLE_ADD_MESSAGE: u8 = 34;
}

/// An OpenFlow message body, version-independent where the protocol allows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// `OFPT_HELLO`.
    Hello(Hello),
    /// `OFPT_ERROR`.
    Error(ErrorMsg),
    /// `OFPT_ECHO_REQUEST` with its payload.
    EchoRequest(Bytes),
    /// `OFPT_ECHO_REPLY` with the request's payload.
    EchoReply(Bytes),
    /// An experimenter message this codec does not model.
    Experimenter(Experimenter),
    /// A Nicira extension message.
    Nicira(NxMessage),
    /// `OFPT_FEATURES_REQUEST`.
    FeaturesRequest,
    /// `OFPT_FEATURES_REPLY`.
    FeaturesReply(FeaturesReply),
    /// `OFPT_GET_CONFIG_REQUEST`.
    GetConfigRequest,
    /// `OFPT_GET_CONFIG_REPLY`.
    GetConfigReply(SwitchConfig),
    /// `OFPT_SET_CONFIG`.
    SetConfig(SwitchConfig),
    /// `OFPT_PACKET_IN`.
    PacketIn(PacketIn),
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved(FlowRemovedMsg),
    /// `OFPT_PORT_STATUS`.
    PortStatus(PortStatus),
    /// `OFPT_PACKET_OUT`.
    PacketOut(PacketOut),
    /// `OFPT_FLOW_MOD`.
    FlowMod(FlowMod),
    /// `OFPT_GROUP_MOD`.
    GroupMod(GroupMod),
    /// `OFPT_PORT_MOD`.
    PortMod(PortMod),
    /// `OFPT_TABLE_MOD`.
    TableMod(TableMod),
    /// `OFPT_MULTIPART_REQUEST`.
    MultipartRequest(MultipartRequest),
    /// `OFPT_MULTIPART_REPLY`.
    MultipartReply(MultipartReply),
    /// `OFPT_BARRIER_REQUEST`.
    BarrierRequest,
    /// `OFPT_BARRIER_REPLY`.
    BarrierReply,
    /// `OFPT_ROLE_REQUEST`.
    RoleRequest(Role),
    /// `OFPT_ROLE_REPLY`.
    RoleReply(Role),
    /// `OFPT_METER_MOD`.
    MeterMod(MeterMod),
    /// Bundle control (native in 1.5, ONF experimenter 2300 in 1.3).
    BundleControl(BundleControl),
    /// Bundle add (native in 1.5, ONF experimenter 2301 in 1.3).
    BundleAdd(BundleAdd),
    /// A message type this codec does not model, body verbatim.
    Raw {
        /// `ofp_header.type`.
        msg_type: u8,
        /// Everything after the header.
        body: Bytes,
    },
}

/// Decodes one whole message (`bytes` must be exactly `ofp_header.length` long).
pub fn decode(bytes: &[u8]) -> Result<(Header, Message), DecodeError> {
    let header = Header::decode(bytes)?;
    let len = header.length as usize;
    if len < HEADER_LEN {
        return Err(DecodeError::BadLength {
            what: "ofp_header.length",
            len,
        });
    }
    if bytes.len() < len {
        return Err(DecodeError::Truncated {
            what: "OpenFlow message",
            need: len,
            have: bytes.len(),
        });
    }
    if bytes.len() > len {
        return Err(DecodeError::Trailing {
            what: "OpenFlow message",
            extra: bytes.len() - len,
        });
    }
    let body = bytes.get(HEADER_LEN..).unwrap_or_default();
    let msg = decode_body(&header, body)?;
    Ok((header, msg))
}

fn decode_body(h: &Header, body: &[u8]) -> Result<Message, DecodeError> {
    use msg_type::*;
    match h.msg_type {
        HELLO => return Ok(Message::Hello(Hello::decode(body))),
        ERROR => return ErrorMsg::decode(body).map(Message::Error),
        ECHO_REQUEST => return Ok(Message::EchoRequest(Bytes::copy_from_slice(body))),
        ECHO_REPLY => return Ok(Message::EchoReply(Bytes::copy_from_slice(body))),
        _ => {}
    }
    let version =
        Version::from_wire(h.version).ok_or(DecodeError::UnsupportedVersion(h.version))?;
    let mut r = Reader::new(body);
    let r = &mut r;
    let msg = match h.msg_type {
        EXPERIMENTER => decode_experimenter(h, version, r)?,
        FEATURES_REQUEST => Message::FeaturesRequest,
        FEATURES_REPLY => Message::FeaturesReply(FeaturesReply::decode(r)?),
        GET_CONFIG_REQUEST => Message::GetConfigRequest,
        GET_CONFIG_REPLY => Message::GetConfigReply(SwitchConfig::decode(r)?),
        SET_CONFIG => Message::SetConfig(SwitchConfig::decode(r)?),
        PACKET_IN => Message::PacketIn(PacketIn::decode(r, version)?),
        FLOW_REMOVED => Message::FlowRemoved(FlowRemovedMsg::decode(r, version)?),
        PORT_STATUS => Message::PortStatus(PortStatus::decode(r, version)?),
        PACKET_OUT => Message::PacketOut(PacketOut::decode(r, version)?),
        FLOW_MOD => Message::FlowMod(decode_flow_mod(r, version)?),
        GROUP_MOD => Message::GroupMod(GroupMod::decode(r, version)?),
        PORT_MOD => Message::PortMod(PortMod::decode(r, version)?),
        TABLE_MOD => Message::TableMod(TableMod::decode(r, version)?),
        MULTIPART_REQUEST => Message::MultipartRequest(MultipartRequest::decode(r, version)?),
        MULTIPART_REPLY => Message::MultipartReply(MultipartReply::decode(r, version)?),
        BARRIER_REQUEST => Message::BarrierRequest,
        BARRIER_REPLY => Message::BarrierReply,
        ROLE_REQUEST => Message::RoleRequest(Role::decode(r)?),
        ROLE_REPLY => Message::RoleReply(Role::decode(r)?),
        METER_MOD => Message::MeterMod(MeterMod::decode(r)?),
        BUNDLE_CONTROL if version == Version::Of15 => {
            Message::BundleControl(decode_bundle_control(r)?)
        }
        BUNDLE_ADD_MESSAGE if version == Version::Of15 => {
            Message::BundleAdd(decode_bundle_add(h, r)?)
        }
        t => Message::Raw {
            msg_type: t,
            body: Bytes::copy_from_slice(r.take_rest()),
        },
    };
    r.finish("OpenFlow message body")?;
    Ok(msg)
}

fn decode_experimenter(
    h: &Header,
    version: Version,
    r: &mut Reader<'_>,
) -> Result<Message, DecodeError> {
    let experimenter = r.peek_u32(0, "ofp_experimenter_header")?;
    let exp_type = r.peek_u32(4, "ofp_experimenter_header")?;
    match (experimenter, exp_type) {
        (NX_VENDOR_ID, subtype) => {
            r.skip(8, "nicira_header")?;
            Ok(Message::Nicira(NxMessage::decode(subtype, r.take_rest())?))
        }
        (ONF_VENDOR_ID, bundle::ONFT_BUNDLE_CONTROL) if version == Version::Of13 => {
            r.skip(8, "onf_experimenter_header")?;
            Ok(Message::BundleControl(decode_bundle_control(r)?))
        }
        (ONF_VENDOR_ID, bundle::ONFT_BUNDLE_ADD_MESSAGE) if version == Version::Of13 => {
            r.skip(8, "onf_experimenter_header")?;
            Ok(Message::BundleAdd(decode_bundle_add(h, r)?))
        }
        _ => Ok(Message::Experimenter(Experimenter::decode(r.take_rest())?)),
    }
}

fn decode_bundle_control(r: &mut Reader<'_>) -> Result<BundleControl, DecodeError> {
    Ok(BundleControl {
        bundle_id: r.u32("ofp14_bundle_ctrl_msg")?,
        ctrl_type: r.u16("ofp14_bundle_ctrl_msg")?,
        flags: r.u16("ofp14_bundle_ctrl_msg")?,
        props: Bytes::copy_from_slice(r.take_rest()),
    })
}

fn decode_bundle_add(h: &Header, r: &mut Reader<'_>) -> Result<BundleAdd, DecodeError> {
    let bundle_id = r.u32("ofp14_bundle_ctrl_msg")?;
    r.zeros(2, "bundle add padding")?;
    let flags = r.u16("ofp14_bundle_ctrl_msg")?;
    let inner_len = header::frame_len(r.rest()).ok_or(DecodeError::Truncated {
        what: "bundle add inner message",
        need: HEADER_LEN,
        have: r.remaining(),
    })?;
    let inner = r.bytes(inner_len, "bundle add inner message")?;
    // OVS only bundles flow/group/port-mods and packet-outs; refusing nested bundle messages
    // also bounds the decoder's recursion.
    if let Some(&t) = inner.get(1) {
        let onf = inner.get(8..12) == Some(&ONF_VENDOR_ID.to_be_bytes()[..]);
        if t == msg_type::BUNDLE_CONTROL
            || t == msg_type::BUNDLE_ADD_MESSAGE
            || (t == msg_type::EXPERIMENTER && onf)
        {
            return Err(DecodeError::BadValue {
                what: "bundle add inner message type",
                value: t as u64,
            });
        }
    }
    let (ih, message) = decode(inner)?;
    if ih.version != h.version {
        return Err(DecodeError::BadValue {
            what: "bundle add inner version",
            value: ih.version as u64,
        });
    }
    if ih.xid != h.xid {
        return Err(DecodeError::BadValue {
            what: "bundle add inner xid",
            value: ih.xid as u64,
        });
    }
    Ok(BundleAdd {
        bundle_id,
        flags,
        message: Box::new(message),
        props: Bytes::copy_from_slice(r.take_rest()),
    })
}

/// Appends `msg` as a `version` message with transaction id `xid` to `out`.
pub fn encode(
    version: Version,
    xid: u32,
    msg: &Message,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    encode_as(version.wire(), Some(version), xid, msg, out)
}

/// Appends `msg` with an arbitrary header version byte. Only HELLO, ERROR, ECHO and raw
/// messages can be encoded for versions other than 1.3 and 1.5 (e.g. a hello or an error sent
/// to a peer that speaks only OpenFlow 1.0).
pub fn encode_wire_version(
    wire_version: u8,
    xid: u32,
    msg: &Message,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    encode_as(
        wire_version,
        Version::from_wire(wire_version),
        xid,
        msg,
        out,
    )
}

fn encode_as(
    wire: u8,
    version: Option<Version>,
    xid: u32,
    msg: &Message,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    use msg_type::*;
    let start = out.len();
    out.put_u8(wire);
    out.put_u8(0);
    out.put_u16(0);
    out.put_u32(xid);
    let need = || {
        version.ok_or_else(|| EncodeError::BadValue {
            what: "message",
            problem: format!("cannot encode for OpenFlow wire version {wire:#04x}"),
        })
    };
    let ty = match msg {
        Message::Hello(h) => {
            h.encode(out)?;
            HELLO
        }
        Message::Error(e) => {
            e.encode(out);
            ERROR
        }
        Message::EchoRequest(p) => {
            out.put_slice(p);
            ECHO_REQUEST
        }
        Message::EchoReply(p) => {
            out.put_slice(p);
            ECHO_REPLY
        }
        Message::Raw { msg_type, body } => {
            out.put_slice(body);
            *msg_type
        }
        Message::Experimenter(e) => {
            need()?;
            e.encode(out);
            EXPERIMENTER
        }
        Message::Nicira(n) => {
            need()?;
            out.put_u32(NX_VENDOR_ID);
            out.put_u32(n.subtype());
            n.encode(out)?;
            EXPERIMENTER
        }
        Message::FeaturesRequest => {
            need()?;
            FEATURES_REQUEST
        }
        Message::FeaturesReply(f) => {
            need()?;
            f.encode(out);
            FEATURES_REPLY
        }
        Message::GetConfigRequest => {
            need()?;
            GET_CONFIG_REQUEST
        }
        Message::GetConfigReply(c) => {
            need()?;
            c.encode(out);
            GET_CONFIG_REPLY
        }
        Message::SetConfig(c) => {
            need()?;
            c.encode(out);
            SET_CONFIG
        }
        Message::PacketIn(p) => {
            p.encode(out, need()?)?;
            PACKET_IN
        }
        Message::FlowRemoved(f) => {
            f.encode(out, need()?)?;
            FLOW_REMOVED
        }
        Message::PortStatus(p) => {
            p.encode(out, need()?)?;
            PORT_STATUS
        }
        Message::PacketOut(p) => {
            p.encode(out, need()?)?;
            PACKET_OUT
        }
        Message::FlowMod(f) => {
            encode_flow_mod(f, out, need()?)?;
            FLOW_MOD
        }
        Message::GroupMod(g) => {
            g.encode(out, need()?)?;
            GROUP_MOD
        }
        Message::PortMod(p) => {
            p.encode(out, need()?)?;
            PORT_MOD
        }
        Message::TableMod(t) => {
            t.encode(out, need()?)?;
            TABLE_MOD
        }
        Message::MultipartRequest(m) => {
            m.encode(out, need()?)?;
            MULTIPART_REQUEST
        }
        Message::MultipartReply(m) => {
            m.encode(out, need()?)?;
            MULTIPART_REPLY
        }
        Message::BarrierRequest => {
            need()?;
            BARRIER_REQUEST
        }
        Message::BarrierReply => {
            need()?;
            BARRIER_REPLY
        }
        Message::RoleRequest(r) => {
            need()?;
            r.encode(out);
            ROLE_REQUEST
        }
        Message::RoleReply(r) => {
            need()?;
            r.encode(out);
            ROLE_REPLY
        }
        Message::MeterMod(m) => {
            need()?;
            m.encode(out)?;
            METER_MOD
        }
        Message::BundleControl(b) => {
            let v = need()?;
            let ty = bundle_prefix(v, bundle::ONFT_BUNDLE_CONTROL, BUNDLE_CONTROL, out);
            out.put_u32(b.bundle_id);
            out.put_u16(b.ctrl_type);
            out.put_u16(b.flags);
            out.put_slice(&b.props);
            ty
        }
        Message::BundleAdd(b) => {
            let v = need()?;
            if matches!(
                *b.message,
                Message::BundleAdd(_) | Message::BundleControl(_)
            ) {
                return Err(EncodeError::BadValue {
                    what: "bundle add",
                    problem: "a bundle message cannot be bundled".into(),
                });
            }
            let ty = bundle_prefix(v, bundle::ONFT_BUNDLE_ADD_MESSAGE, BUNDLE_ADD_MESSAGE, out);
            out.put_u32(b.bundle_id);
            out.put_u16(0);
            out.put_u16(b.flags);
            encode_as(wire, version, xid, &b.message, out)?;
            out.put_slice(&b.props);
            ty
        }
    };
    if let Some(slot) = out.get_mut(start + 1) {
        *slot = ty;
    }
    prop::patch_len(out, start, start + 2, "OpenFlow message")
}

/// Writes the ONF experimenter prefix for OpenFlow 1.3 bundles and returns the `ofp_header`
/// type to use.
fn bundle_prefix(v: Version, onf_type: u32, native: u8, out: &mut BytesMut) -> u8 {
    match v {
        Version::Of13 => {
            out.put_u32(ONF_VENDOR_ID);
            out.put_u32(onf_type);
            msg_type::EXPERIMENTER
        }
        Version::Of15 => native,
    }
}

impl Message {
    /// A `BundleAdd` of `message` to bundle `bundle_id`.
    pub fn bundle_add(bundle_id: u32, flags: u16, message: Message) -> Message {
        Message::BundleAdd(BundleAdd {
            bundle_id,
            flags,
            message: Box::new(message),
            props: Bytes::new(),
        })
    }

    /// A bundle control message.
    pub fn bundle_control(bundle_id: u32, ctrl_type: u16, flags: u16) -> Message {
        Message::BundleControl(BundleControl {
            bundle_id,
            ctrl_type,
            flags,
            props: Bytes::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(version: Version, msg: Message) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode(version, 7, &msg, &mut b).unwrap();
        let (h, back) = decode(&b).unwrap();
        assert_eq!(h.xid, 7);
        assert_eq!(h.length as usize, b.len());
        assert_eq!(back, msg);
        b.to_vec()
    }

    #[test]
    fn simple_messages() {
        assert_eq!(
            round_trip(Version::Of13, Message::BarrierRequest),
            [4, 20, 0, 8, 0, 0, 0, 7]
        );
        round_trip(
            Version::Of15,
            Message::EchoRequest(Bytes::from_static(b"hi")),
        );
        round_trip(
            Version::Of13,
            Message::Nicira(NxMessage::SetControllerId(3)),
        );
    }

    #[test]
    fn bundle_forms() {
        let open = Message::bundle_control(1, bundle::ctrl_type::OPEN_REQUEST, 1);
        let b13 = round_trip(Version::Of13, open.clone());
        assert_eq!(b13[1], msg_type::EXPERIMENTER);
        assert_eq!(&b13[8..16], &[0x4f, 0x4e, 0x46, 0, 0, 0, 0x08, 0xfc]);
        let b15 = round_trip(Version::Of15, open);
        assert_eq!(b15[1], msg_type::BUNDLE_CONTROL);
        let add = Message::bundle_add(1, 1, Message::BarrierRequest);
        let b = round_trip(Version::Of15, add);
        assert_eq!(&b[16..24], &[6, 20, 0, 8, 0, 0, 0, 7]);
        // An inner xid different from the outer one is refused.
        let mut bad = b.clone();
        bad[23] = 8;
        assert!(decode(&bad).is_err());
        // Bundles do not nest (this also bounds decoding recursion).
        let nested = Message::bundle_add(1, 1, Message::bundle_add(1, 1, Message::BarrierRequest));
        assert!(encode(Version::Of15, 7, &nested, &mut BytesMut::new()).is_err());
        let mut outer = b[..16].to_vec();
        outer.extend_from_slice(&b);
        let len = outer.len() as u16;
        outer[2..4].copy_from_slice(&len.to_be_bytes());
        assert!(decode(&outer).is_err());
    }

    #[test]
    fn rejects_bad_frames() {
        assert!(decode(&[4, 20, 0, 4, 0, 0, 0, 1]).is_err());
        assert!(decode(&[4, 20, 0, 9, 0, 0, 0, 1]).is_err());
        assert!(decode(&[4, 20, 0, 8, 0, 0, 0, 1, 0]).is_err());
        assert!(decode(&[2, 20, 0, 8, 0, 0, 0, 1]).is_err());
        let (_, m) = decode(&[1, 0, 0, 8, 0, 0, 0, 1]).unwrap();
        assert_eq!(m, Message::Hello(Hello::default()));
    }
}
