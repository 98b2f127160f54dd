//! Nicira (`NXT_*`) experimenter messages: set-packet-in-format, set-controller-id and
//! NXT_PACKET_IN2 are modelled; every other subtype is kept verbatim.
//!
//! Wire form (OVS `include/openflow/nicira-ext.h`, `lib/ofp-msgs.h` `NXT 1.0+ (n)`):
//! `ofp_header` (type `OFPT_EXPERIMENTER`) + `vendor = 0x00002320` + `subtype` (both u32) +
//! body. NXT_PACKET_IN2 (`lib/ofp-packet.c`) is a list of properties (`NXPINT_*`), padded to 8.

use super::prop::Prop;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::match_::Match;
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, Bytes, BytesMut};

/// `NXT_SET_PACKET_IN_FORMAT`.
pub const NXT_SET_PACKET_IN_FORMAT: u32 = 16;
/// `NXT_SET_CONTROLLER_ID`.
pub const NXT_SET_CONTROLLER_ID: u32 = 20;
/// `NXT_RESUME`.
pub const NXT_RESUME: u32 = 28;
/// `NXT_PACKET_IN2`.
pub const NXT_PACKET_IN2: u32 = 30;

/// `NXPINT_*` property types of NXT_PACKET_IN2.
pub mod nxpint {
    /// Raw packet data.
    pub const PACKET: u16 = 0;
    /// u32: full packet length, if truncated.
    pub const FULL_LEN: u16 = 1;
    /// u32: buffer id, if buffered.
    pub const BUFFER_ID: u16 = 2;
    /// u8: table id.
    pub const TABLE_ID: u16 = 3;
    /// u64 (after 4 pad bytes): flow cookie.
    pub const COOKIE: u16 = 4;
    /// u8: reason (`OFPR_*`).
    pub const REASON: u16 = 5;
    /// OXM/NXM TLVs of the packet's metadata fields.
    pub const METADATA: u16 = 6;
    /// `controller2(userdata=...)` bytes.
    pub const USERDATA: u16 = 7;
    /// Opaque continuation (pause/resume).
    pub const CONTINUATION: u16 = 8;
}

/// The packet-in formats NXT_SET_PACKET_IN_FORMAT selects (`enum ofputil_packet_in_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketInFormat(pub u32);

impl PacketInFormat {
    /// `OFPT_PACKET_IN` of the connection's version.
    pub const STANDARD: PacketInFormat = PacketInFormat(0);
    /// `NXT_PACKET_IN`.
    pub const NXT_PACKET_IN: PacketInFormat = PacketInFormat(1);
    /// `NXT_PACKET_IN2`.
    pub const NXT_PACKET_IN2: PacketInFormat = PacketInFormat(2);

    /// OVS's name (`standard`, `nxt_packet_in`, `nxt_packet_in2`).
    pub fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("standard"),
            1 => Some("nxt_packet_in"),
            2 => Some("nxt_packet_in2"),
            _ => None,
        }
    }
}

/// NXT_PACKET_IN2: a packet-in as a property list, kept whole (every property, in order) with
/// typed accessors for the ones a controller reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PacketIn2 {
    /// The properties, in wire order.
    pub props: Vec<Prop>,
}

impl PacketIn2 {
    fn find(&self, ty: u16) -> Option<&Prop> {
        self.props.iter().find(|p| p.prop_type == ty)
    }

    /// The packet bytes.
    pub fn packet(&self) -> Option<&[u8]> {
        self.find(nxpint::PACKET).map(|p| &p.data[..])
    }

    /// The full packet length when the packet was truncated.
    pub fn full_len(&self) -> Option<u32> {
        self.find(nxpint::FULL_LEN).and_then(Prop::as_u32)
    }

    /// The buffer id, when buffered.
    pub fn buffer_id(&self) -> Option<u32> {
        self.find(nxpint::BUFFER_ID).and_then(Prop::as_u32)
    }

    /// The table that sent the packet.
    pub fn table_id(&self) -> Option<u8> {
        self.find(nxpint::TABLE_ID)
            .and_then(|p| (p.data.len() == 1).then(|| p.data[0]))
    }

    /// The cookie of the flow that sent the packet.
    pub fn cookie(&self) -> Option<u64> {
        self.find(nxpint::COOKIE).and_then(|p| {
            let b: [u8; 8] = p.data.get(4..12)?.try_into().ok()?;
            (p.data.len() == 12).then(|| u64::from_be_bytes(b))
        })
    }

    /// The packet-in reason (`OFPR_*`).
    pub fn reason(&self) -> Option<u8> {
        self.find(nxpint::REASON)
            .and_then(|p| (p.data.len() == 1).then(|| p.data[0]))
    }

    /// The `userdata` of the `controller2` action.
    pub fn userdata(&self) -> Option<&[u8]> {
        self.find(nxpint::USERDATA).map(|p| &p.data[..])
    }

    /// The packet's metadata fields (in_port, registers, tunnel, conntrack...) as a match.
    pub fn metadata(&self) -> Option<Result<Match, DecodeError>> {
        self.find(nxpint::METADATA)
            .map(|p| Match::decode_oxms_loose(&mut Reader::new(&p.data)))
    }
}

/// A Nicira extension message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NxMessage {
    /// `NXT_SET_PACKET_IN_FORMAT`: choose the packet-in message the switch sends.
    SetPacketInFormat(PacketInFormat),
    /// `NXT_SET_CONTROLLER_ID`: the id `controller(id=N)` actions address.
    SetControllerId(u16),
    /// `NXT_PACKET_IN2`.
    PacketIn2(PacketIn2),
    /// Any other subtype, body kept verbatim.
    Raw {
        /// The NXT subtype.
        subtype: u32,
        /// Everything after the subtype.
        body: Bytes,
    },
}

impl NxMessage {
    /// The NXT subtype.
    pub fn subtype(&self) -> u32 {
        match self {
            NxMessage::SetPacketInFormat(_) => NXT_SET_PACKET_IN_FORMAT,
            NxMessage::SetControllerId(_) => NXT_SET_CONTROLLER_ID,
            NxMessage::PacketIn2(_) => NXT_PACKET_IN2,
            NxMessage::Raw { subtype, .. } => *subtype,
        }
    }

    /// Decodes the body after `vendor` and `subtype`.
    pub fn decode(subtype: u32, body: &[u8]) -> Result<NxMessage, DecodeError> {
        let mut r = Reader::new(body);
        let msg = match subtype {
            NXT_SET_PACKET_IN_FORMAT => {
                NxMessage::SetPacketInFormat(PacketInFormat(r.u32("nx_set_packet_in_format")?))
            }
            NXT_SET_CONTROLLER_ID => {
                r.zeros(6, "nx_controller_id")?;
                NxMessage::SetControllerId(r.u16("nx_controller_id")?)
            }
            NXT_PACKET_IN2 => NxMessage::PacketIn2(PacketIn2 {
                props: Prop::decode_all(&mut r, "NXT_PACKET_IN2 property")?,
            }),
            _ => NxMessage::Raw {
                subtype,
                body: Bytes::copy_from_slice(r.take_rest()),
            },
        };
        r.finish("NXT message")?;
        Ok(msg)
    }

    /// Appends the body after `vendor` and `subtype`.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            NxMessage::SetPacketInFormat(f) => out.put_u32(f.0),
            NxMessage::SetControllerId(id) => {
                out.put_bytes(0, 6);
                out.put_u16(*id);
            }
            NxMessage::PacketIn2(p) => Prop::encode_all(&p.props, out)?,
            NxMessage::Raw { body, .. } => out.put_slice(body),
        }
        Ok(())
    }
}
