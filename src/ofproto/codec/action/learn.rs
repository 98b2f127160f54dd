//! `NXAST_LEARN` and `NXAST_LEARN2` (`learn(table=1,idle_timeout=10,NXM_OF_VLAN_TCI[0..11],
//! NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:...,output:...)`).
//!
//! Mirrors `decode_NXAST_RAW_LEARN{,2}`, `decode_LEARN_specs` and `encode_LEARN` of
//! `lib/ofp-actions.c`. Each flow_mod_spec is a 16-bit header `0(2) src(1) dst(2) n_bits(11)`
//! followed by the source (a 32-bit NXM header and bit offset, or `2*ceil(n_bits/16)` bytes of
//! immediate value) and, for match and load, the destination header and offset; a zero header
//! ends the specs and everything after it must be zero. Subfield widths are checked as OVS's
//! `learn_check` does when the flow is installed.

use super::subfield::{
    bad, check_encode, checked, field_from_nxm32, nxm_assign, pull_exact_header, put_assign,
    put_nxm32_ofs, ActErr, Subfield,
};
use super::{min_len, put_nx_header, Action};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::value::Value;
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, BytesMut};

const LEARN: u16 = 16;
const LEARN2: u16 = 45;

const SRC_IMMEDIATE: u16 = 1 << 13;
const DST_MASK: u16 = 3 << 11;
const DST_MATCH: u16 = 0;
const DST_LOAD: u16 = 1 << 11;
const DST_OUTPUT: u16 = 2 << 11;
const N_BITS_MASK: u16 = 0x3ff;

/// The arguments of a learn action (both wire forms).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Learn {
    /// Idle timeout of the learned flow (0 = none).
    pub idle_timeout: u16,
    /// Hard timeout of the learned flow (0 = none).
    pub hard_timeout: u16,
    /// Priority of the learned flow.
    pub priority: u16,
    /// Cookie of the learned flow.
    pub cookie: u64,
    /// [`Learn::SEND_FLOW_REM`] and [`Learn::DELETE_LEARNED`] (the write-result bit is
    /// implied by `result_dst`).
    pub flags: u16,
    /// Table of the learned flow (not 255).
    pub table_id: u8,
    /// Idle timeout after a FIN/RST.
    pub fin_idle_timeout: u16,
    /// Hard timeout after a FIN/RST.
    pub fin_hard_timeout: u16,
    /// Maximum number of learned flows (learn2 only; 0 = unlimited).
    pub limit: u32,
    /// One bit that receives whether learning succeeded (learn2 only).
    pub result_dst: Option<Subfield>,
    /// What the learned flow matches and does.
    pub specs: Vec<LearnSpec>,
}

impl Learn {
    /// Send flow-removed messages for learned flows.
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    /// Delete learned flows when this action is removed.
    pub const DELETE_LEARNED: u16 = 1 << 1;
    /// Write the result to `result_dst` (learn2).
    pub const WRITE_RESULT: u16 = 1 << 2;
}

impl Default for Learn {
    fn default() -> Self {
        Learn {
            idle_timeout: 0,
            hard_timeout: 0,
            priority: 0x8000,
            cookie: 0,
            flags: 0,
            table_id: 1,
            fin_idle_timeout: 0,
            fin_hard_timeout: 0,
            limit: 0,
            result_dst: None,
            specs: Vec::new(),
        }
    }
}

/// One flow_mod_spec. Immediate values are `ceil(n_bits / 8)` bytes wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LearnSpec {
    /// Match `dst` against the current value of `src` (`dst=src`, or `dst` alone when equal).
    MatchField {
        /// Source bits in the current packet.
        src: Subfield,
        /// Field matched by the learned flow.
        dst: Subfield,
    },
    /// Match `dst` against a constant (`dst=value`).
    MatchImmediate {
        /// The constant.
        value: Value,
        /// Field matched by the learned flow.
        dst: Subfield,
    },
    /// The learned flow loads the current value of `src` into `dst` (`load:src->dst`).
    LoadField {
        /// Source bits in the current packet.
        src: Subfield,
        /// Field written by the learned flow.
        dst: Subfield,
    },
    /// The learned flow loads a constant into `dst` (`load:value->dst`).
    LoadImmediate {
        /// The constant.
        value: Value,
        /// Field written by the learned flow.
        dst: Subfield,
    },
    /// The learned flow outputs to the port in `src` (`output:src`).
    Output {
        /// Source bits in the current packet.
        src: Subfield,
    },
}

impl LearnSpec {
    /// Number of bits the spec moves.
    pub fn n_bits(&self) -> u16 {
        match self {
            LearnSpec::MatchField { dst, .. }
            | LearnSpec::MatchImmediate { dst, .. }
            | LearnSpec::LoadField { dst, .. }
            | LearnSpec::LoadImmediate { dst, .. } => dst.n_bits,
            LearnSpec::Output { src } => src.n_bits,
        }
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Decodes `NXAST_LEARN` (`v2` false) or `NXAST_LEARN2`.
pub(crate) fn decode(bytes: &[u8], v2: bool) -> Result<Action, ActErr> {
    min_len(bytes, if v2 { 40 } else { 32 }, "NXAST_LEARN")?;
    if bytes[27] != 0 {
        return Err(bad("learn padding", bytes[27] as u64));
    }
    let mut learn = Learn {
        idle_timeout: be16(bytes, 10),
        hard_timeout: be16(bytes, 12),
        priority: be16(bytes, 14),
        cookie: u64::from_be_bytes(bytes[16..24].try_into().unwrap_or_default()),
        flags: be16(bytes, 24),
        table_id: bytes[26],
        fin_idle_timeout: be16(bytes, 28),
        fin_hard_timeout: be16(bytes, 30),
        limit: 0,
        result_dst: None,
        specs: Vec::new(),
    };
    if learn.table_id == 0xff {
        return Err(bad("learn table", 0xff));
    }
    let mut r = Reader::new(&bytes[32..]);
    if v2 {
        learn.limit = r.u32("learn2 limit")?;
        let result_ofs = r.u16("learn2 result_dst_ofs")?;
        if r.u16("learn2 pad")? != 0 {
            return Err(ActErr::Bad(DecodeError::BadPadding { what: "learn2" }));
        }
        let allowed = Learn::SEND_FLOW_REM | Learn::DELETE_LEARNED | Learn::WRITE_RESULT;
        if learn.flags & !allowed != 0 {
            return Err(bad("learn flags", learn.flags as u64));
        }
        if learn.flags & Learn::WRITE_RESULT != 0 {
            let field = pull_exact_header(&mut r)?;
            let sf = Subfield {
                field,
                ofs: result_ofs,
                n_bits: 1,
            };
            learn.result_dst = Some(checked(sf, true)?);
        } else if result_ofs != 0 {
            return Err(bad("learn2 result_dst_ofs", result_ofs as u64));
        }
        learn.flags &= !Learn::WRITE_RESULT;
    } else if learn.flags & !(Learn::SEND_FLOW_REM | Learn::DELETE_LEARNED) != 0 {
        return Err(bad("learn flags", learn.flags as u64));
    }
    learn.specs = decode_specs(&mut r)?;
    Ok(if v2 {
        Action::Learn2(Box::new(learn))
    } else {
        Action::Learn(Box::new(learn))
    })
}

fn decode_specs(r: &mut Reader<'_>) -> Result<Vec<LearnSpec>, ActErr> {
    let mut specs = Vec::new();
    while r.remaining() >= 2 {
        let header = r.u16("learn spec header")?;
        if header == 0 {
            break;
        }
        let immediate = header & SRC_IMMEDIATE != 0;
        let dst_type = header & DST_MASK;
        let n_bits = header & N_BITS_MASK;
        if dst_type == DST_MASK || (dst_type == DST_OUTPUT && immediate) {
            return Err(bad("learn spec type", header as u64));
        }
        let src_len = if immediate {
            2 * n_bits.div_ceil(16) as usize
        } else {
            6
        };
        let dst_len = if dst_type == DST_OUTPUT { 0 } else { 6 };
        if r.remaining() < src_len + dst_len {
            return Err(ActErr::Bad(DecodeError::BadLength {
                what: "learn spec",
                len: r.remaining(),
            }));
        }
        let src = if immediate {
            let raw = r.bytes(src_len, "learn immediate")?;
            let n_bytes = n_bits.div_ceil(8) as usize;
            let v = Value::from_slice(&raw[raw.len() - n_bytes..])
                .ok_or_else(|| bad("learn immediate width", n_bits as u64))?;
            Err(v)
        } else {
            Ok(read_subfield(r, n_bits)?)
        };
        let spec = match dst_type {
            DST_OUTPUT => match src {
                Ok(src) => LearnSpec::Output {
                    src: checked(src, false)?,
                },
                Err(_) => return Err(bad("learn output from immediate", header as u64)),
            },
            _ => {
                let load = dst_type == DST_LOAD;
                let dst = checked(read_subfield(r, n_bits)?, load)?;
                match (src, load) {
                    (Ok(src), false) => LearnSpec::MatchField {
                        src: checked(src, false)?,
                        dst,
                    },
                    (Ok(src), true) => LearnSpec::LoadField {
                        src: checked(src, false)?,
                        dst,
                    },
                    (Err(value), false) => LearnSpec::MatchImmediate { value, dst },
                    (Err(value), true) => LearnSpec::LoadImmediate { value, dst },
                }
            }
        };
        specs.push(spec);
    }
    if r.rest().iter().any(|&b| b != 0) {
        return Err(ActErr::Bad(DecodeError::BadPadding {
            what: "learn specs",
        }));
    }
    Ok(specs)
}

fn read_subfield(r: &mut Reader<'_>, n_bits: u16) -> Result<Subfield, ActErr> {
    let field = field_from_nxm32(r.u32("learn field")?)?;
    let ofs = r.u16("learn field offset")?;
    Ok(Subfield { field, ofs, n_bits })
}

/// Encodes a learn action as `NXAST_LEARN2` (`v2`) or `NXAST_LEARN` (the caller pads).
pub(crate) fn encode(l: &Learn, v2: bool, out: &mut BytesMut) -> Result<(), EncodeError> {
    if !v2 && (l.limit != 0 || l.result_dst.is_some()) {
        return Err(EncodeError::BadValue {
            what: "learn",
            problem: "limit and result_dst need the learn2 form".to_owned(),
        });
    }
    put_nx_header(out, if v2 { LEARN2 } else { LEARN });
    out.put_u16(l.idle_timeout);
    out.put_u16(l.hard_timeout);
    out.put_u16(l.priority);
    out.put_u64(l.cookie);
    let write_result = if l.result_dst.is_some() {
        Learn::WRITE_RESULT
    } else {
        0
    };
    out.put_u16((l.flags & !Learn::WRITE_RESULT) | write_result);
    out.put_u8(l.table_id);
    out.put_u8(0);
    out.put_u16(l.fin_idle_timeout);
    out.put_u16(l.fin_hard_timeout);
    if v2 {
        out.put_u32(l.limit);
        out.put_u16(l.result_dst.map_or(0, |d| d.ofs));
        out.put_u16(0);
        if let Some(d) = &l.result_dst {
            check_encode(d, true)?;
            put_assign(out, nxm_assign(d.field)?, false);
        }
    }
    for spec in &l.specs {
        encode_spec(spec, out)?;
    }
    Ok(())
}

fn encode_spec(spec: &LearnSpec, out: &mut BytesMut) -> Result<(), EncodeError> {
    let n_bits = spec.n_bits();
    if n_bits == 0 || n_bits > N_BITS_MASK {
        return Err(EncodeError::BadValue {
            what: "learn spec",
            problem: format!("{n_bits} bits"),
        });
    }
    let (src_field, imm, dst, dst_type) = match spec {
        LearnSpec::MatchField { src, dst } => (Some(src), None, Some(dst), DST_MATCH),
        LearnSpec::MatchImmediate { value, dst } => (None, Some(value), Some(dst), DST_MATCH),
        LearnSpec::LoadField { src, dst } => (Some(src), None, Some(dst), DST_LOAD),
        LearnSpec::LoadImmediate { value, dst } => (None, Some(value), Some(dst), DST_LOAD),
        LearnSpec::Output { src } => (Some(src), None, None, DST_OUTPUT),
    };
    let src_type = if imm.is_some() { SRC_IMMEDIATE } else { 0 };
    out.put_u16(n_bits | dst_type | src_type);
    if let Some(src) = src_field {
        if src.n_bits != n_bits {
            return Err(EncodeError::BadValue {
                what: "learn spec",
                problem: format!("source is {} bits, destination {n_bits}", src.n_bits),
            });
        }
        check_encode(src, false)?;
        put_nxm32_ofs(out, src)?;
    }
    if let Some(value) = imm {
        let n_bytes = n_bits.div_ceil(8) as usize;
        if value.len() != n_bytes {
            return Err(EncodeError::BadValue {
                what: "learn immediate",
                problem: format!("{} bytes for {n_bits} bits", value.len()),
            });
        }
        let wire = 2 * n_bits.div_ceil(16) as usize;
        out.put_bytes(0, wire - n_bytes);
        out.put_slice(value.as_bytes());
    }
    if let Some(dst) = dst {
        check_encode(dst, dst_type == DST_LOAD)?;
        put_nxm32_ofs(out, dst)?;
    }
    Ok(())
}
