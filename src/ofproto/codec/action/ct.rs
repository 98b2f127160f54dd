//! `NXAST_CT` (`ct(commit,force,table=T,zone=Z,nat(...),exec(...),alg=ftp)`).
//!
//! Mirrors `decode_NXAST_RAW_CT` / `encode_CT` of `lib/ofp-actions.c`: a 24-byte header
//! (`flags(16) zone_src(32) zone_ofs_nbits|zone_imm(16) recirc_table(8) pad(24) alg(16)`)
//! followed by nested actions counted in the action's length. `force` requires `commit`; a
//! zone taken from a field must be exactly 16 bits; without `commit` only argument-less `nat`
//! may be nested; what else may be nested is checked by the list verifier (only `ct_mark` /
//! `ct_label` writes and `nat`).

use super::subfield::{bad, check_encode, checked, field_from_nxm32, nxm32, ActErr, Subfield};
use super::{decode_list, encode_actions, min_len, put_nx_header, Action, Outer};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{EncodeError, Version};
use bytes::{BufMut, BytesMut};

const CT: u16 = 35;

/// The `ct` action.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ct {
    /// `NX_CT_F_*` bits ([`Ct::COMMIT`], [`Ct::FORCE`]).
    pub flags: u16,
    /// The conntrack zone.
    pub zone: CtZone,
    /// Table to recirculate to (`table=`), if any.
    pub recirc_table: Option<u8>,
    /// Application layer gateway port (21 = ftp, 69 = tftp, 0 = none).
    pub alg: u16,
    /// Nested actions (`nat(...)` and `exec(...)`).
    pub actions: Vec<Action>,
}

impl Ct {
    /// Commit the connection.
    pub const COMMIT: u16 = 1 << 0;
    /// Re-commit in the current direction (requires commit).
    pub const FORCE: u16 = 1 << 1;
}

/// Where the conntrack zone comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CtZone {
    /// An immediate zone number (0 = the default zone, not printed).
    Immediate(u16),
    /// A 16-bit subfield (`zone=NXM_NX_REG0[0..15]`).
    Field(Subfield),
}

impl Default for CtZone {
    fn default() -> Self {
        CtZone::Immediate(0)
    }
}

/// Decodes `NXAST_CT` and its nested actions.
pub(crate) fn decode_ct(bytes: &[u8], version: Version, depth: usize) -> Result<Action, ActErr> {
    min_len(bytes, 24, "NXAST_CT")?;
    let mut r = Reader::new(&bytes[10..]);
    let flags = r.u16("ct flags")?;
    if flags & Ct::FORCE != 0 && flags & Ct::COMMIT == 0 {
        return Err(bad("ct force without commit", flags as u64));
    }
    let zone_src = r.u32("ct zone_src")?;
    let zone_arg = r.u16("ct zone")?;
    let zone = if zone_src != 0 {
        let sf = Subfield::from_ofs_nbits(field_from_nxm32(zone_src)?, zone_arg);
        let sf = checked(sf, false)?;
        if sf.n_bits != 16 {
            return Err(bad("ct zone width", sf.n_bits as u64));
        }
        CtZone::Field(sf)
    } else {
        CtZone::Immediate(zone_arg)
    };
    let table = r.u8("ct recirc_table")?;
    r.skip(3, "ct padding")?;
    let alg = r.u16("ct alg")?;
    let actions = decode_list(&mut r, version, Outer::Ct, depth + 1)?;
    if flags & Ct::COMMIT == 0
        && actions
            .iter()
            .any(|a| !matches!(a, Action::Nat(n) if n.flags == 0 && n.range.is_none()))
    {
        return Err(bad("ct actions without commit", flags as u64));
    }
    Ok(Action::Ct(Box::new(Ct {
        flags,
        zone,
        recirc_table: (table != 0xff).then_some(table),
        alg,
        actions,
    })))
}

/// Encodes `NXAST_CT` (the caller pads and writes the length).
pub(crate) fn encode_ct(ct: &Ct, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
    put_nx_header(out, CT);
    out.put_u16(ct.flags);
    match ct.zone {
        CtZone::Immediate(z) => {
            out.put_u32(0);
            out.put_u16(z);
        }
        CtZone::Field(sf) => {
            check_encode(&sf, false)?;
            if sf.n_bits != 16 {
                return Err(EncodeError::BadValue {
                    what: "ct zone",
                    problem: format!("zone subfield is {} bits, not 16", sf.n_bits),
                });
            }
            out.put_u32(nxm32(sf.field)?);
            out.put_u16(sf.ofs_nbits()?);
        }
    }
    match ct.recirc_table {
        Some(0xff) => {
            return Err(EncodeError::BadValue {
                what: "ct table",
                problem: "table 255 means no recirculation".to_owned(),
            })
        }
        Some(t) => out.put_u8(t),
        None => out.put_u8(0xff),
    }
    out.put_bytes(0, 3);
    out.put_u16(ct.alg);
    encode_actions(&ct.actions, out, version)
}
