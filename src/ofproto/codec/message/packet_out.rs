//! `OFPT_PACKET_OUT`: OpenFlow 1.3 carries the input port in a fixed field
//! (`ofp11_packet_out`), OpenFlow 1.5 carries a match of pipeline fields (`ofp15_packet_out`,
//! in_port as `OXM_OF_IN_PORT`). Mirrors OVS `lib/ofp-packet.c`.

use crate::ofproto::codec::action::{decode_actions, encode_actions, Action};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::match_::Match;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::Value;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// `OFPP_CONTROLLER` in 32-bit form: the OpenFlow 1.3 `in_port` for "no input port", and the
/// value [`PacketOut::in_port`] holds after decoding an OpenFlow 1.5 packet-out.
pub const IN_PORT_CONTROLLER: u32 = 0xffff_fffd;

/// Send a packet through actions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PacketOut {
    /// Buffer to send (`u32::MAX` = the packet is in `data`).
    pub buffer_id: u32,
    /// OpenFlow 1.3 only: input port (32-bit form). Must stay [`IN_PORT_CONTROLLER`] for 1.5,
    /// where the input port goes into `match_`.
    pub in_port: u32,
    /// OpenFlow 1.5 only: pipeline fields (in_port, metadata, tunnel, registers...).
    pub match_: Match,
    /// Actions to apply.
    pub actions: Vec<Action>,
    /// The frame (when not buffered).
    pub data: Bytes,
}

impl PacketOut {
    /// A packet-out of `data` through `actions`, entering from `in_port`, encoded as `version`
    /// expects (fixed field in 1.3, `in_port` match field in 1.5).
    pub fn new(version: Version, in_port: PortNo, actions: Vec<Action>, data: Bytes) -> Self {
        let mut po = PacketOut {
            buffer_id: u32::MAX,
            in_port: IN_PORT_CONTROLLER,
            match_: Match::new(),
            actions,
            data,
        };
        match version {
            Version::Of13 => po.in_port = in_port.to_ofp11(),
            Version::Of15 => {
                po.match_.set(
                    Field::InPortOxm,
                    Value::from_u64(4, in_port.to_ofp11() as u64),
                );
            }
        }
        po
    }

    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<PacketOut, DecodeError> {
        let buffer_id = r.u32("ofp_packet_out")?;
        let (in_port, actions_len, match_) = match version {
            Version::Of13 => {
                let in_port = r.u32("ofp11_packet_out")?;
                let len = r.u16("ofp11_packet_out")?;
                r.zeros(6, "ofp11_packet_out padding")?;
                (in_port, len, Match::new())
            }
            Version::Of15 => {
                let len = r.u16("ofp15_packet_out")?;
                r.zeros(2, "ofp15_packet_out padding")?;
                (IN_PORT_CONTROLLER, len, Match::decode_pipeline(r, version)?)
            }
        };
        let mut a = r.sub(actions_len as usize, "packet_out actions")?;
        let actions = decode_actions(&mut a, version)?;
        Ok(PacketOut {
            buffer_id,
            in_port,
            match_,
            actions,
            data: Bytes::copy_from_slice(r.take_rest()),
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u32(self.buffer_id);
        let len_at = match version {
            Version::Of13 => {
                if !self.match_.is_empty() {
                    return Err(EncodeError::NotInVersion {
                        what: "packet-out match",
                        version,
                    });
                }
                out.put_u32(self.in_port);
                let at = out.len();
                out.put_u16(0);
                out.put_bytes(0, 6);
                at
            }
            Version::Of15 => {
                if self.in_port != IN_PORT_CONTROLLER {
                    return Err(EncodeError::BadValue {
                        what: "packet-out in_port",
                        problem: "OpenFlow 1.5 carries in_port in the match".into(),
                    });
                }
                if !self.match_.is_pipeline_only() {
                    return Err(EncodeError::BadValue {
                        what: "packet-out match",
                        problem: "only pipeline fields (tunnel, metadata, in_port, registers) \
                                  are allowed (OVS answers OFPBRC_PIPELINE_FIELDS_ONLY)"
                            .into(),
                    });
                }
                let at = out.len();
                out.put_u16(0);
                out.put_u16(0);
                self.match_.encode(out, version)?;
                at
            }
        };
        let start = out.len();
        encode_actions(&self.actions, out, version)?;
        super::prop::patch_len(out, start, len_at, "packet-out actions")?;
        out.put_slice(&self.data);
        Ok(())
    }
}

impl PacketOut {
    /// The packet's pipeline fields as OVS reports them (`flow_metadata`): the 1.5 match, or
    /// for 1.3 the fixed `in_port` as an `in_port` match field.
    pub fn match_with_in_port(&self) -> Match {
        let mut m = self.match_.clone();
        if self.match_.is_empty() {
            if let Some(p) = PortNo::from_ofp11(self.in_port) {
                m.set(Field::InPort, Value::from_u64(2, p.0 as u64));
            }
        }
        m
    }
}
