//! Register and field actions: `reg_move` / `copy_field` (NX, ONF and OpenFlow 1.5 forms),
//! `reg_load`, `reg_load2`, `output_reg` / `output_reg2`, stack `push` / `pop` and
//! `check_pkt_larger`.
//!
//! Mirrors `decode_NXAST_RAW_REG_*`, `decode_copy_field__`, `decode_stack_action`,
//! `decode_NXAST_RAW_OUTPUT_REG*` and `decode_NXAST_RAW_CHECK_PKT_LARGER` in
//! `lib/ofp-actions.c`: trailing bytes after variable-length headers must be zero
//! (`NXBRC_MUST_BE_ZERO`), subfields must fit their fields (`mf_check_src/dst`).

use super::standard::read_value_mask;
use super::subfield::{
    bad, check_encode, checked, field_from_nxm32, nxm32, nxm_assign, oxm_assign, pull_exact_header,
    pull_header, put_assign, ActErr, Subfield,
};
use super::{fixed_len, min_len, not_in, put_nx_header, Action};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

const REG_MOVE: u16 = 6;
const REG_LOAD: u16 = 7;
const OUTPUT_REG: u16 = 15;
const STACK_PUSH: u16 = 27;
const STACK_POP: u16 = 28;
const OUTPUT_REG2: u16 = 32;
const REG_LOAD2: u16 = 33;
const CHECK_PKT_LARGER: u16 = 49;

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn must_be_zero(r: &Reader<'_>, what: &'static str) -> Result<(), ActErr> {
    if r.rest().iter().any(|&b| b != 0) {
        return Err(ActErr::Bad(DecodeError::BadPadding { what }));
    }
    Ok(())
}

/// Decodes `NXAST_REG_MOVE`.
pub(crate) fn decode_reg_move(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_REG_MOVE")?;
    let (src, dst) = decode_move_fields(bytes, 10, 16)?;
    Ok(Action::RegMove { src, dst })
}

/// Decodes an OpenFlow 1.5 copy_field (`onf` false) or the ONF 3200 extension (`onf` true).
pub(crate) fn decode_copy_field(bytes: &[u8], onf: bool) -> Result<Action, ActErr> {
    let (fixed, headers) = if onf { (12, 20) } else { (4, 12) };
    min_len(bytes, headers + 4, "copy_field")?;
    let (src, dst) = decode_move_fields(bytes, fixed, headers)?;
    Ok(if onf {
        Action::OnfCopyField { src, dst }
    } else {
        Action::CopyField { src, dst }
    })
}

/// `n_bits, src_ofs, dst_ofs` at `fixed`, then the two headers at `headers`, then zeros.
fn decode_move_fields(
    bytes: &[u8],
    fixed: usize,
    headers: usize,
) -> Result<(Subfield, Subfield), ActErr> {
    let n_bits = be16(bytes, fixed);
    let src_ofs = be16(bytes, fixed + 2);
    let dst_ofs = be16(bytes, fixed + 4);
    let mut r = Reader::new(&bytes[headers..]);
    let src_field = pull_exact_header(&mut r)?;
    let dst_field = pull_exact_header(&mut r)?;
    must_be_zero(&r, "move padding")?;
    let src = checked(
        Subfield {
            field: src_field,
            ofs: src_ofs,
            n_bits,
        },
        false,
    )?;
    let dst = checked(
        Subfield {
            field: dst_field,
            ofs: dst_ofs,
            n_bits,
        },
        true,
    )?;
    Ok((src, dst))
}

/// Decodes `NXAST_REG_LOAD`.
pub(crate) fn decode_reg_load(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 24, "NXAST_REG_LOAD")?;
    let mut r = Reader::new(&bytes[10..]);
    let ofs_nbits = r.u16("reg_load ofs_nbits")?;
    let field = field_from_nxm32(r.u32("reg_load dst")?)?;
    let value = r.u64("reg_load value")?;
    let dst = checked(Subfield::from_ofs_nbits(field, ofs_nbits), true)?;
    if dst.n_bits < 64 && value >> dst.n_bits != 0 {
        return Err(bad("reg_load value wider than destination", value));
    }
    Ok(Action::RegLoad { dst, value })
}

/// Decodes `NXAST_REG_LOAD2`.
pub(crate) fn decode_reg_load2(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_REG_LOAD2")?;
    let mut r = Reader::new(&bytes[10..]);
    let (field, masked) = pull_header(&mut r)?;
    let (value, mask) = read_value_mask(&mut r, field, masked)?;
    must_be_zero(&r, "reg_load2 padding")?;
    if !field.info().writable {
        return Err(bad("reg_load2 to read-only field", field as u64));
    }
    Ok(Action::RegLoad2 { field, value, mask })
}

/// Decodes `NXAST_OUTPUT_REG`.
pub(crate) fn decode_output_reg(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 24, "NXAST_OUTPUT_REG")?;
    let mut r = Reader::new(&bytes[10..]);
    let ofs_nbits = r.u16("output_reg ofs_nbits")?;
    let header = r.u32("output_reg src")?;
    let max_len = r.u16("output_reg max_len")?;
    if r.rest().iter().any(|&b| b != 0) {
        return Err(bad("output_reg reserved bytes", 1));
    }
    let src = checked(
        Subfield::from_ofs_nbits(field_from_nxm32(header)?, ofs_nbits),
        false,
    )?;
    Ok(Action::OutputReg { src, max_len })
}

/// Decodes `NXAST_OUTPUT_REG2`.
pub(crate) fn decode_output_reg2(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 24, "NXAST_OUTPUT_REG2")?;
    let mut r = Reader::new(&bytes[10..]);
    let ofs_nbits = r.u16("output_reg2 ofs_nbits")?;
    let max_len = r.u16("output_reg2 max_len")?;
    let field = pull_exact_header(&mut r)?;
    must_be_zero(&r, "output_reg2 padding")?;
    let src = checked(Subfield::from_ofs_nbits(field, ofs_nbits), false)?;
    Ok(Action::OutputReg2 { src, max_len })
}

/// Decodes `NXAST_STACK_PUSH` (`push`) or `NXAST_STACK_POP`.
pub(crate) fn decode_stack(bytes: &[u8], push: bool) -> Result<Action, ActErr> {
    fixed_len(bytes, 24, "NXAST_STACK")?;
    let mut r = Reader::new(&bytes[10..]);
    let ofs = r.u16("stack offset")?;
    let field = pull_exact_header(&mut r)?;
    let n_bits = r.u16("stack n_bits")?;
    must_be_zero(&r, "stack padding")?;
    let sf = checked(Subfield { field, ofs, n_bits }, !push)?;
    Ok(if push {
        Action::StackPush(sf)
    } else {
        Action::StackPop(sf)
    })
}

/// Decodes `NXAST_CHECK_PKT_LARGER`.
pub(crate) fn decode_check_pkt_larger(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 24, "NXAST_CHECK_PKT_LARGER")?;
    let mut r = Reader::new(&bytes[10..]);
    let pkt_len = r.u16("check_pkt_larger pkt_len")?;
    let ofs = r.u16("check_pkt_larger offset")?;
    let field = pull_exact_header(&mut r)?;
    must_be_zero(&r, "check_pkt_larger padding")?;
    let dst = checked(
        Subfield {
            field,
            ofs,
            n_bits: 1,
        },
        true,
    )?;
    Ok(Action::CheckPktLarger { pkt_len, dst })
}

/// Writes `n_bits, src_ofs, dst_ofs, pad(2), src header, dst header` with the headers OVS uses
/// for `version` (copy_field forms).
pub(crate) fn put_copy_field_body(
    out: &mut BytesMut,
    src: &Subfield,
    dst: &Subfield,
    version: Version,
) -> Result<(), EncodeError> {
    check_move(src, dst)?;
    out.put_u16(dst.n_bits);
    out.put_u16(src.ofs);
    out.put_u16(dst.ofs);
    out.put_u16(0);
    put_assign(out, oxm_assign(src.field, version)?, false);
    put_assign(out, oxm_assign(dst.field, version)?, false);
    Ok(())
}

fn check_move(src: &Subfield, dst: &Subfield) -> Result<(), EncodeError> {
    check_encode(src, false)?;
    check_encode(dst, true)?;
    if src.n_bits != dst.n_bits {
        return Err(EncodeError::BadValue {
            what: "move",
            problem: format!("source is {} bits, destination {}", src.n_bits, dst.n_bits),
        });
    }
    Ok(())
}

/// Encodes the actions of this module.
pub(crate) fn encode(a: &Action, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
    match a {
        Action::RegMove { src, dst } => {
            if version >= Version::Of15 {
                return Err(not_in(version, "reg_move"));
            }
            check_move(src, dst)?;
            put_nx_header(out, REG_MOVE);
            out.put_u16(dst.n_bits);
            out.put_u16(src.ofs);
            out.put_u16(dst.ofs);
            put_assign(out, nxm_assign(src.field)?, false);
            put_assign(out, nxm_assign(dst.field)?, false);
        }
        Action::RegLoad { dst, value } => {
            if version >= Version::Of15 {
                return Err(not_in(version, "reg_load"));
            }
            check_encode(dst, true)?;
            if dst.n_bits > 64 || (dst.n_bits < 64 && value >> dst.n_bits != 0) {
                return Err(EncodeError::BadValue {
                    what: "reg_load",
                    problem: format!("{value:#x} does not fit in {} bits", dst.n_bits),
                });
            }
            put_nx_header(out, REG_LOAD);
            out.put_u16(dst.ofs_nbits()?);
            out.put_u32(nxm32(dst.field)?);
            out.put_u64(*value);
        }
        Action::RegLoad2 { field, value, mask } => {
            if version >= Version::Of15 {
                return Err(not_in(version, "reg_load2"));
            }
            put_nx_header(out, REG_LOAD2);
            super::standard::put_entry(out, nxm_assign(*field)?, *field, value, mask.as_ref())?;
        }
        Action::OutputReg { src, max_len } => {
            check_encode(src, false)?;
            put_nx_header(out, OUTPUT_REG);
            out.put_u16(src.ofs_nbits()?);
            out.put_u32(nxm32(src.field)?);
            out.put_u16(*max_len);
            out.put_bytes(0, 6);
        }
        Action::OutputReg2 { src, max_len } => {
            check_encode(src, false)?;
            put_nx_header(out, OUTPUT_REG2);
            out.put_u16(src.ofs_nbits()?);
            out.put_u16(*max_len);
            put_assign(out, nxm_assign(src.field)?, false);
        }
        Action::StackPush(sf) | Action::StackPop(sf) => {
            let push = matches!(a, Action::StackPush(_));
            check_encode(sf, !push)?;
            put_nx_header(out, if push { STACK_PUSH } else { STACK_POP });
            out.put_u16(sf.ofs);
            put_assign(out, nxm_assign(sf.field)?, false);
            out.put_u16(sf.n_bits);
        }
        Action::CheckPktLarger { pkt_len, dst } => {
            check_encode(dst, true)?;
            put_nx_header(out, CHECK_PKT_LARGER);
            out.put_u16(*pkt_len);
            out.put_u16(dst.ofs);
            put_assign(out, nxm_assign(dst.field)?, false);
        }
        other => {
            return Err(EncodeError::BadValue {
                what: "action",
                problem: format!("{other:?} is not a register action"),
            })
        }
    }
    Ok(())
}
