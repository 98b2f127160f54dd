//! `OFPT_FLOW_MOD` (`ofp11_flow_mod` + `ofp_match` + instructions) for OpenFlow 1.3 and 1.5.
//!
//! The only layout difference is `importance` (OpenFlow 1.4+), which is padding in 1.3: a
//! non-zero importance cannot be encoded in 1.3, and non-zero padding is refused on decode.
//! Mirrors OVS `lib/ofp-flow.c` (`ofputil_decode_flow_mod`, `ofputil_encode_flow_mod`).

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::flow::{FlowMod, FlowModCommand, FlowModFlags};
use crate::ofproto::codec::instruction::{decode_instructions, encode_instructions};
use crate::ofproto::codec::match_::Match;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// Decodes a flow-mod body.
pub fn decode_flow_mod(r: &mut Reader<'_>, version: Version) -> Result<FlowMod, DecodeError> {
    let cookie = r.u64("ofp_flow_mod")?;
    let cookie_mask = r.u64("ofp_flow_mod")?;
    let table_id = r.u8("ofp_flow_mod")?;
    let command = r.u8("ofp_flow_mod")?;
    let command = FlowModCommand::from_wire(command).ok_or(DecodeError::BadValue {
        what: "ofp_flow_mod.command",
        value: command as u64,
    })?;
    let idle_timeout = r.u16("ofp_flow_mod")?;
    let hard_timeout = r.u16("ofp_flow_mod")?;
    let priority = r.u16("ofp_flow_mod")?;
    let buffer_id = r.u32("ofp_flow_mod")?;
    let out_port = decode_port(r.u32("ofp_flow_mod")?, "ofp_flow_mod.out_port")?;
    let out_group = r.u32("ofp_flow_mod")?;
    let flags = FlowModFlags(r.u16("ofp_flow_mod")?);
    let importance = match version {
        Version::Of13 => {
            r.zeros(2, "ofp_flow_mod padding")?;
            0
        }
        Version::Of15 => r.u16("ofp_flow_mod")?,
    };
    let match_ = Match::decode(r, version)?;
    let instructions = decode_instructions(r, version)?;
    Ok(FlowMod {
        cookie,
        cookie_mask,
        table_id,
        command,
        idle_timeout,
        hard_timeout,
        priority,
        buffer_id,
        out_port,
        out_group,
        flags,
        importance,
        match_,
        instructions,
    })
}

/// Appends a flow-mod body.
pub fn encode_flow_mod(
    fm: &FlowMod,
    out: &mut BytesMut,
    version: Version,
) -> Result<(), EncodeError> {
    if version == Version::Of13 && fm.importance != 0 {
        return Err(EncodeError::NotInVersion {
            what: "flow importance",
            version,
        });
    }
    out.reserve(48 + 64 + 64);
    out.put_u64(fm.cookie);
    out.put_u64(fm.cookie_mask);
    out.put_u8(fm.table_id);
    out.put_u8(fm.command.wire());
    out.put_u16(fm.idle_timeout);
    out.put_u16(fm.hard_timeout);
    out.put_u16(fm.priority);
    out.put_u32(fm.buffer_id);
    out.put_u32(fm.out_port.to_ofp11());
    out.put_u32(fm.out_group);
    out.put_u16(fm.flags.0);
    out.put_u16(fm.importance);
    fm.match_.encode(out, version)?;
    encode_instructions(&fm.instructions, out, version)
}

/// Converts a 32-bit wire port to OVS's 16-bit form or reports it.
pub(super) fn decode_port(port: u32, what: &'static str) -> Result<PortNo, DecodeError> {
    PortNo::from_ofp11(port).ok_or(DecodeError::BadValue {
        what,
        value: port as u64,
    })
}
