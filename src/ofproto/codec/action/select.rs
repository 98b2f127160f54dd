//! Link selection: `NXAST_MULTIPATH` (`multipath(...)`) and `NXAST_BUNDLE` /
//! `NXAST_BUNDLE_LOAD` (`bundle(...)`, `bundle_load(...)`).
//!
//! Mirrors `decode_NXAST_RAW_MULTIPATH`, `decode_bundle`, `encode_MULTIPATH`, `encode_BUNDLE`
//! and the checks of `multipath_check` / `bundle_check` in OVS: known hash fields and
//! algorithms, a destination wide enough for the link number, `ofport` members that are valid
//! output ports (not the controller), reserved bytes zero.

use super::standard::check_output_port;
use super::subfield::{bad, check_encode, checked, field_from_nxm32, nxm32, ActErr, Subfield};
use super::{fixed_len, min_len, put_nx_header, Action};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, BytesMut};

const MULTIPATH: u16 = 10;
const BUNDLE: u16 = 12;
const BUNDLE_LOAD: u16 = 13;

/// `NXM_OF_IN_PORT`, the only bundle member type.
const MEMBER_TYPE_OFPORT: u32 = 0x0000_0002;
/// `BUNDLE_MAX_MEMBERS`.
const MAX_MEMBERS: usize = 2048;

/// `multipath(fields,basis,algorithm,n_links,arg,dst)`: hash the flow, choose a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Multipath {
    /// `NX_HASH_FIELDS_*` (0 eth_src ... 6 symmetric_l3).
    pub fields: u16,
    /// Universal hash parameter.
    pub basis: u16,
    /// `NX_MP_ALG_*` (0 modulo_n, 1 hash_threshold, 2 hrw, 3 iter_hash).
    pub algorithm: u16,
    /// Number of links minus one.
    pub max_link: u16,
    /// Algorithm argument.
    pub arg: u32,
    /// Where the chosen link number is stored.
    pub dst: Subfield,
}

/// `bundle(...)` (no `dst`) or `bundle_load(...)`: choose a live member port.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bundle {
    /// `NX_BD_ALG_*` (0 active_backup, 1 hrw).
    pub algorithm: u16,
    /// `NX_HASH_FIELDS_*`.
    pub fields: u16,
    /// Universal hash parameter.
    pub basis: u16,
    /// Where `bundle_load` stores the chosen port (`None` for `bundle`, which outputs to it).
    pub dst: Option<Subfield>,
    /// Member ports.
    pub members: Vec<PortNo>,
}

/// Names of `enum nx_hash_fields` (`flow_hash_fields_to_str`).
pub fn hash_fields_name(fields: u16) -> Option<&'static str> {
    Some(match fields {
        0 => "eth_src",
        1 => "symmetric_l4",
        2 => "symmetric_l3l4",
        3 => "symmetric_l3l4+udp",
        4 => "nw_src",
        5 => "nw_dst",
        6 => "symmetric_l3",
        _ => return None,
    })
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Decodes `NXAST_MULTIPATH`.
pub(crate) fn decode_multipath(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 32, "NXAST_MULTIPATH")?;
    let field = field_from_nxm32(be32(bytes, 28))?;
    let mp = Multipath {
        fields: be16(bytes, 10),
        basis: be16(bytes, 12),
        algorithm: be16(bytes, 16),
        max_link: be16(bytes, 18),
        arg: be32(bytes, 20),
        dst: Subfield::from_ofs_nbits(field, be16(bytes, 26)),
    };
    let n_links = mp.max_link as u32 + 1;
    let min_bits = 32 - (n_links - 1).leading_zeros();
    if hash_fields_name(mp.fields).is_none() {
        return Err(bad("multipath fields", mp.fields as u64));
    } else if mp.algorithm > 3 {
        return Err(bad("multipath algorithm", mp.algorithm as u64));
    } else if (mp.dst.n_bits as u32) < min_bits {
        return Err(bad("multipath destination width", mp.dst.n_bits as u64));
    }
    checked(mp.dst, true)?;
    Ok(Action::Multipath(mp))
}

/// Decodes `NXAST_BUNDLE` (`load` false) or `NXAST_BUNDLE_LOAD`.
pub(crate) fn decode_bundle(bytes: &[u8], load: bool) -> Result<Action, ActErr> {
    min_len(bytes, 32, "NXAST_BUNDLE")?;
    let algorithm = be16(bytes, 10);
    let fields = be16(bytes, 12);
    let n_members = be16(bytes, 20) as usize;
    if hash_fields_name(fields).is_none()
        || n_members > MAX_MEMBERS
        || algorithm > 1
        || be32(bytes, 16) != MEMBER_TYPE_OFPORT
        || bytes[28..32].iter().any(|&b| b != 0)
    {
        return Err(bad("bundle arguments", algorithm as u64));
    }
    let ofs_nbits = be16(bytes, 22);
    let dst_header = be32(bytes, 24);
    let dst = if load {
        let sf = Subfield::from_ofs_nbits(field_from_nxm32(dst_header)?, ofs_nbits);
        if sf.n_bits < 16 {
            return Err(bad("bundle_load destination width", sf.n_bits as u64));
        }
        Some(checked(sf, true)?)
    } else {
        if ofs_nbits != 0 || dst_header != 0 {
            return Err(bad("bundle reserved fields", dst_header as u64));
        }
        None
    };
    if bytes.len() - 32 < n_members * 2 {
        return Err(ActErr::Bad(DecodeError::BadLength {
            what: "bundle members",
            len: bytes.len(),
        }));
    }
    let members: Vec<PortNo> = (0..n_members)
        .map(|i| PortNo(be16(bytes, 32 + 2 * i)))
        .collect();
    for &m in &members {
        if m == PortNo::CONTROLLER {
            return Err(bad("bundle controller member", m.0 as u64));
        }
        if m != PortNo::ANY {
            check_output_port(m)?;
        }
    }
    Ok(Action::Bundle(Box::new(Bundle {
        algorithm,
        fields,
        basis: be16(bytes, 14),
        dst,
        members,
    })))
}

/// Encodes `NXAST_MULTIPATH` (the caller pads and writes the length).
pub(crate) fn encode_multipath(mp: &Multipath, out: &mut BytesMut) -> Result<(), EncodeError> {
    check_encode(&mp.dst, true)?;
    put_nx_header(out, MULTIPATH);
    out.put_u16(mp.fields);
    out.put_u16(mp.basis);
    out.put_u16(0);
    out.put_u16(mp.algorithm);
    out.put_u16(mp.max_link);
    out.put_u32(mp.arg);
    out.put_u16(0);
    out.put_u16(mp.dst.ofs_nbits()?);
    out.put_u32(nxm32(mp.dst.field)?);
    Ok(())
}

/// Encodes `NXAST_BUNDLE` or `NXAST_BUNDLE_LOAD` (the caller pads and writes the length).
pub(crate) fn encode_bundle(b: &Bundle, out: &mut BytesMut) -> Result<(), EncodeError> {
    let n = u16::try_from(b.members.len()).map_err(|_| EncodeError::TooLong {
        what: "bundle members",
        len: b.members.len(),
    })?;
    put_nx_header(out, if b.dst.is_some() { BUNDLE_LOAD } else { BUNDLE });
    out.put_u16(b.algorithm);
    out.put_u16(b.fields);
    out.put_u16(b.basis);
    out.put_u32(MEMBER_TYPE_OFPORT);
    out.put_u16(n);
    match &b.dst {
        Some(dst) => {
            check_encode(dst, true)?;
            out.put_u16(dst.ofs_nbits()?);
            out.put_u32(nxm32(dst.field)?);
        }
        None => {
            out.put_u16(0);
            out.put_u32(0);
        }
    }
    out.put_u32(0);
    for m in &b.members {
        out.put_u16(m.0);
    }
    Ok(())
}
