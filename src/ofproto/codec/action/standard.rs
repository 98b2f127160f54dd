//! Standard OpenFlow 1.2+ actions (`OFPAT_*`): output, group, set_queue, push/pop VLAN,
//! push/pop MPLS, set/dec MPLS TTL, set/dec IP TTL, set_field, the OpenFlow 1.5 copy_field and
//! meter actions, and the two OpenFlow 1.1 set-transport-port actions `ovs-ofctl` still sends.
//!
//! Mirrors `decode_OFPAT_RAW*` / `encode_*` in `lib/ofp-actions.c`. The fixed 8-byte actions
//! carry their argument at offset 4; the padding after it is ignored, as OVS ignores it. The
//! other deprecated OpenFlow 1.1 set actions (types 1-8, 13, 14) and PBB actions are not
//! modelled and stay raw.

use super::subfield::{bad, oxm_assign, pull_header, put_assign, ActErr};
use super::{fixed_len, min_len, not_in, reg, Action};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::Value;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

pub(crate) const OUTPUT: u16 = 0;
pub(crate) const SET_TP_SRC: u16 = 9;
pub(crate) const SET_TP_DST: u16 = 10;
pub(crate) const SET_MPLS_TTL: u16 = 15;
pub(crate) const DEC_MPLS_TTL: u16 = 16;
pub(crate) const PUSH_VLAN: u16 = 17;
pub(crate) const POP_VLAN: u16 = 18;
pub(crate) const PUSH_MPLS: u16 = 19;
pub(crate) const POP_MPLS: u16 = 20;
pub(crate) const SET_QUEUE: u16 = 21;
pub(crate) const GROUP: u16 = 22;
pub(crate) const SET_NW_TTL: u16 = 23;
pub(crate) const DEC_NW_TTL: u16 = 24;
pub(crate) const SET_FIELD: u16 = 25;
pub(crate) const COPY_FIELD: u16 = 28;
pub(crate) const METER: u16 = 29;

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Decodes standard action `ty` (the whole action is `bytes`).
pub(crate) fn decode(ty: u16, bytes: &[u8], version: Version) -> Result<Action, ActErr> {
    match ty {
        OUTPUT => {
            fixed_len(bytes, 16, "OFPAT_OUTPUT")?;
            let raw = be32(bytes, 4);
            let port = PortNo::from_ofp11(raw).ok_or_else(|| bad("output port", raw as u64))?;
            check_output_port(port)?;
            Ok(Action::Output {
                port,
                max_len: be16(bytes, 8),
            })
        }
        PUSH_VLAN => {
            fixed_len(bytes, 8, "OFPAT_PUSH_VLAN")?;
            let ethertype = be16(bytes, 4);
            if ethertype != 0x8100 && ethertype != 0x88a8 {
                return Err(bad("push_vlan ethertype", ethertype as u64));
            }
            Ok(Action::PushVlan(ethertype))
        }
        POP_VLAN => {
            fixed_len(bytes, 8, "OFPAT_POP_VLAN")?;
            Ok(Action::PopVlan)
        }
        SET_QUEUE => {
            fixed_len(bytes, 8, "OFPAT_SET_QUEUE")?;
            Ok(Action::SetQueue(be32(bytes, 4)))
        }
        GROUP => {
            fixed_len(bytes, 8, "OFPAT_GROUP")?;
            Ok(Action::Group(be32(bytes, 4)))
        }
        DEC_NW_TTL => {
            fixed_len(bytes, 8, "OFPAT_DEC_NW_TTL")?;
            Ok(Action::DecNwTtl)
        }
        SET_NW_TTL => {
            fixed_len(bytes, 8, "OFPAT_SET_NW_TTL")?;
            Ok(Action::SetNwTtl(bytes[4]))
        }
        SET_MPLS_TTL => {
            fixed_len(bytes, 8, "OFPAT_SET_MPLS_TTL")?;
            Ok(Action::SetMplsTtl(bytes[4]))
        }
        DEC_MPLS_TTL => {
            fixed_len(bytes, 8, "OFPAT_DEC_MPLS_TTL")?;
            Ok(Action::DecMplsTtl)
        }
        PUSH_MPLS => {
            fixed_len(bytes, 8, "OFPAT_PUSH_MPLS")?;
            let ethertype = be16(bytes, 4);
            if !is_mpls_ethertype(ethertype) {
                return Err(bad("push_mpls ethertype", ethertype as u64));
            }
            Ok(Action::PushMpls(ethertype))
        }
        POP_MPLS => {
            fixed_len(bytes, 8, "OFPAT_POP_MPLS")?;
            Ok(Action::PopMpls(be16(bytes, 4)))
        }
        SET_TP_SRC => {
            fixed_len(bytes, 8, "OFPAT_SET_TP_SRC")?;
            Ok(Action::SetTpSrc(be16(bytes, 4)))
        }
        SET_TP_DST => {
            fixed_len(bytes, 8, "OFPAT_SET_TP_DST")?;
            Ok(Action::SetTpDst(be16(bytes, 4)))
        }
        SET_FIELD => decode_set_field(bytes, version),
        COPY_FIELD if version >= Version::Of15 => reg::decode_copy_field(bytes, false),
        METER if version >= Version::Of15 => {
            fixed_len(bytes, 8, "OFPAT_METER")?;
            Ok(Action::Meter(be32(bytes, 4)))
        }
        _ => Err(ActErr::Unknown),
    }
}

/// `eth_type_mpls`: the unicast and multicast MPLS ethertypes.
pub fn is_mpls_ethertype(ethertype: u16) -> bool {
    ethertype == 0x8847 || ethertype == 0x8848
}

/// `ofpact_check_output_port` with `OFPP_MAX` ports.
pub(crate) fn check_output_port(port: PortNo) -> Result<(), ActErr> {
    match port {
        PortNo::IN_PORT
        | PortNo::TABLE
        | PortNo::NORMAL
        | PortNo::FLOOD
        | PortNo::ALL
        | PortNo::CONTROLLER
        | PortNo::LOCAL => Ok(()),
        p if p.0 < PortNo::MAX.0 => Ok(()),
        p => Err(bad("output port", p.0 as u64)),
    }
}

/// `decode_ofpat_set_field`: an OXM entry, padding that must be zero, a writable field and a
/// valid value; a mask only in OpenFlow 1.5.
fn decode_set_field(bytes: &[u8], version: Version) -> Result<Action, ActErr> {
    min_len(bytes, 8, "OFPAT_SET_FIELD")?;
    let mut r = Reader::new(&bytes[4..]);
    let (field, masked) = pull_header(&mut r)?;
    if masked && version < Version::Of15 {
        return Err(bad("set_field mask (OpenFlow 1.5+ only)", field as u64));
    }
    let (value, mask) = read_value_mask(&mut r, field, masked)?;
    if r.rest().iter().any(|&b| b != 0) {
        return Err(ActErr::Bad(DecodeError::BadPadding { what: "set_field" }));
    }
    check_set_field(field, &value, mask.as_ref())?;
    Ok(Action::SetField { field, value, mask })
}

/// Reads a field value and, if `masked`, its mask; the value must not have bits outside the
/// mask (`is_mask_consistent`).
pub(crate) fn read_value_mask(
    r: &mut Reader<'_>,
    field: Field,
    masked: bool,
) -> Result<(Value, Option<Value>), ActErr> {
    let n = field.n_bytes();
    let value = Value::from_slice(r.bytes(n, "field value")?)
        .ok_or_else(|| bad("field width", n as u64))?;
    let mask = if masked {
        let m = Value::from_slice(r.bytes(n, "field mask")?)
            .ok_or_else(|| bad("field width", n as u64))?;
        if !value.and(&m.not()).is_zero() {
            return Err(bad("field value bits outside mask", field as u64));
        }
        Some(m)
    } else {
        None
    };
    Ok((value, mask))
}

/// The checks OVS applies to a set_field destination and value.
pub(crate) fn check_set_field(
    field: Field,
    value: &Value,
    mask: Option<&Value>,
) -> Result<(), ActErr> {
    if field == Field::InPortOxm || !field.info().writable {
        return Err(bad("set_field to read-only field", field as u64));
    }
    let vid_present = |v: &Value| v.as_u64() & 0x1000 != 0;
    if !value_is_valid(field, value)
        || (field == Field::VlanVid && (!vid_present(value) || !mask.is_none_or(vid_present)))
    {
        return Err(bad("set_field value", value.as_u64()));
    }
    Ok(())
}

/// OVS's `mf_is_value_valid`: whether `value` is a legal value of `field` (e.g. `ip_dscp` fits
/// in 6 bits, `vlan_vid` has no PCP bits).
pub fn value_is_valid(field: Field, value: &Value) -> bool {
    let v = value.as_u64();
    match field {
        Field::InPortOxm | Field::ActsetOutput => PortNo::from_ofp11(v as u32).is_some(),
        Field::IpDscp => v & !0xfc == 0,
        Field::IpDscpShifted => v & !0x3f == 0,
        Field::IpEcn => v & !0x03 == 0,
        Field::IpFrag => v & !0x03 == 0,
        Field::TcpFlags => v & !0x0fff == 0,
        Field::ArpOp => v & 0xff00 == 0,
        Field::DlVlan => v & 0xf000 == 0,
        Field::VlanVid => v & 0xe000 == 0,
        Field::DlVlanPcp | Field::VlanPcp => v & !7 == 0,
        Field::Ipv6Label => v & !0x000f_ffff == 0,
        Field::MplsLabel => v & !0x000f_ffff == 0,
        Field::MplsTc => v & !7 == 0,
        Field::MplsBos => v & !1 == 0,
        Field::TunFlags => v & !1 == 0,
        Field::CtState => v & !0xff == 0,
        Field::NshTtl => v <= 63,
        Field::NshMdtype => v == 1 || v == 2,
        Field::NshSpi => v & 0xff00_0000 == 0,
        _ => true,
    }
}

/// Encodes a standard action.
pub(crate) fn encode(a: &Action, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
    match a {
        Action::Output { port, max_len } => {
            out.put_u16(OUTPUT);
            out.put_u16(16);
            out.put_u32(port.to_ofp11());
            out.put_u16(*max_len);
            out.put_bytes(0, 6);
        }
        Action::Group(g) => put_u32_action(out, GROUP, *g),
        Action::SetQueue(q) => put_u32_action(out, SET_QUEUE, *q),
        Action::PushVlan(ethertype) => {
            out.put_u16(PUSH_VLAN);
            out.put_u16(8);
            out.put_u16(*ethertype);
            out.put_u16(0);
        }
        Action::PopVlan => put_u32_action(out, POP_VLAN, 0),
        Action::PushMpls(ethertype) => put_u16_action(out, PUSH_MPLS, *ethertype),
        Action::PopMpls(ethertype) => put_u16_action(out, POP_MPLS, *ethertype),
        Action::SetTpSrc(port) => put_u16_action(out, SET_TP_SRC, *port),
        Action::SetTpDst(port) => put_u16_action(out, SET_TP_DST, *port),
        Action::SetNwTtl(ttl) => put_u32_action(out, SET_NW_TTL, (*ttl as u32) << 24),
        Action::SetMplsTtl(ttl) => put_u32_action(out, SET_MPLS_TTL, (*ttl as u32) << 24),
        Action::DecMplsTtl => put_u32_action(out, DEC_MPLS_TTL, 0),
        Action::DecNwTtl => put_u32_action(out, DEC_NW_TTL, 0),
        Action::Meter(m) => {
            if version < Version::Of15 {
                return Err(not_in(version, "meter action"));
            }
            put_u32_action(out, METER, *m);
        }
        Action::SetField { field, value, mask } => {
            // OpenFlow 1.5 keeps the mask as given (even all-ones, for lossless round trips);
            // 1.3 has no masked set_field, so only an all-ones mask is acceptable there.
            let mask = if version >= Version::Of15 {
                *mask
            } else if mask.is_some_and(|m| !m.is_all_ones()) {
                return Err(not_in(version, "masked set_field"));
            } else {
                None
            };
            out.put_u16(SET_FIELD);
            out.put_u16(0);
            put_entry(
                out,
                oxm_assign(*field, version)?,
                *field,
                value,
                mask.as_ref(),
            )?;
        }
        Action::CopyField { src, dst } => {
            if version < Version::Of15 {
                return Err(not_in(version, "copy_field"));
            }
            out.put_u16(COPY_FIELD);
            out.put_u16(0);
            reg::put_copy_field_body(out, src, dst, version)?;
        }
        _ => unreachable_kind(a)?,
    }
    Ok(())
}

fn unreachable_kind(a: &Action) -> Result<(), EncodeError> {
    Err(EncodeError::BadValue {
        what: "action",
        problem: format!("{a:?} is not a standard action"),
    })
}

/// An 8-byte action whose 16-bit argument is followed by two bytes of padding.
fn put_u16_action(out: &mut BytesMut, ty: u16, v: u16) {
    put_u32_action(out, ty, (v as u32) << 16);
}

fn put_u32_action(out: &mut BytesMut, ty: u16, v: u32) {
    out.put_u16(ty);
    out.put_u16(8);
    out.put_u32(v);
}

/// Writes an OXM/NXM entry: header, value, and mask if any. The value (and mask) must have the
/// field's width.
pub(crate) fn put_entry(
    out: &mut BytesMut,
    assign: &crate::ofproto::codec::field::HeaderAssign,
    field: Field,
    value: &Value,
    mask: Option<&Value>,
) -> Result<(), EncodeError> {
    let n = field.n_bytes();
    if value.len() != n || mask.is_some_and(|m| m.len() != n) {
        return Err(EncodeError::BadValue {
            what: "field value",
            problem: format!("{} needs {n}-byte values", field.name()),
        });
    }
    put_assign(out, assign, mask.is_some());
    out.put_slice(value.as_bytes());
    if let Some(m) = mask {
        out.put_slice(m.as_bytes());
    }
    Ok(())
}
