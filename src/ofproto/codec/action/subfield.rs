//! Field references inside actions: [`Subfield`] (`NXM_NX_REG0[0..15]`) and the OXM/NXM headers
//! that name a field on the wire.
//!
//! Mirrors `lib/nx-match.c` (`nx_pull_header`, `nx_put_mff_header`, `mf_check_src/dst`) and the
//! `ofs_nbits` packing of `lib/ofp-actions.c`:
//! - A header names a field only if its class, field number (and experimenter id for class
//!   0xffff) and its length match an assignment of that field; a masked header names the field
//!   of the same header with half the payload length.
//! - A header of a field this codec does not model is *unknown*, not an error: the action that
//!   carries it is kept verbatim (see [`super::RawAction`]). A known header with the wrong length
//!   is an error, as in OVS.

use super::super::buf::Reader;
use super::super::field::{Field, HeaderAssign, OxmHeader};
use super::super::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};
use std::sync::OnceLock;

/// A bit range of a field: `field[ofs..ofs + n_bits]` (bit 0 is the least significant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subfield {
    /// The field.
    pub field: Field,
    /// First bit.
    pub ofs: u16,
    /// Number of bits (at least 1).
    pub n_bits: u16,
}

impl Subfield {
    /// The whole field.
    pub fn full(field: Field) -> Subfield {
        Subfield {
            field,
            ofs: 0,
            n_bits: field.info().n_bits,
        }
    }

    /// True when the range covers the whole field (printed as `[]`).
    pub fn is_full(&self) -> bool {
        self.ofs == 0 && self.n_bits == self.field.info().n_bits
    }

    /// Checks the range against the field's width, as `mf_check__` does.
    pub fn check(&self) -> Result<(), &'static str> {
        let width = self.field.info().n_bits;
        if self.n_bits == 0 {
            Err("zero-bit subfield")
        } else if self.ofs >= width {
            Err("bit offset exceeds field width")
        } else if self.ofs as u32 + self.n_bits as u32 > width as u32 {
            Err("bit range exceeds field width")
        } else {
            Ok(())
        }
    }

    /// Checks the range and that the field may be written (`mf_check_dst`).
    pub fn check_dst(&self) -> Result<(), &'static str> {
        self.check()?;
        if !self.field.info().writable {
            return Err("destination field is not writable");
        }
        Ok(())
    }

    /// The NXM `ofs_nbits` encoding: `ofs << 6 | (n_bits - 1)`, which holds 1 to 64 bits at
    /// offsets below 1024.
    pub(crate) fn ofs_nbits(&self) -> Result<u16, EncodeError> {
        if self.n_bits == 0 || self.n_bits > 64 || self.ofs >= 1024 {
            return Err(EncodeError::BadValue {
                what: "subfield",
                problem: format!(
                    "{}[{}+{}] does not fit ofs_nbits (1 to 64 bits)",
                    self.field.name(),
                    self.ofs,
                    self.n_bits
                ),
            });
        }
        Ok(self.ofs << 6 | (self.n_bits - 1))
    }

    /// Splits an `ofs_nbits` value.
    pub(crate) fn from_ofs_nbits(field: Field, v: u16) -> Subfield {
        Subfield {
            field,
            ofs: v >> 6,
            n_bits: (v & 0x3f) + 1,
        }
    }
}

/// What a wire header names.
pub(crate) enum HeaderLookup {
    /// A modelled field, and whether the header had its mask bit set.
    Known(Field, bool),
    /// A header of no field this codec models (kept verbatim by the caller).
    Unknown,
}

/// Why an action could not be decoded into a typed action.
pub(crate) enum ActErr {
    /// It names a field this codec does not model: keep the action as raw bytes.
    Unknown,
    /// It is malformed.
    Bad(DecodeError),
}

impl From<DecodeError> for ActErr {
    fn from(e: DecodeError) -> Self {
        ActErr::Bad(e)
    }
}

/// Shorthand for "this field holds a value OVS rejects".
pub(crate) fn bad(what: &'static str, value: u64) -> ActErr {
    ActErr::Bad(DecodeError::BadValue { what, value })
}

/// A header assignment known to the field table: the field and its unmasked `oxm_length`.
type Known = (Field, u8);

/// Constant-time lookup of wire headers (the field table is a few hundred entries; a linear
/// scan per header dominated decoding).
struct HeaderIndex {
    /// Classes 0x0000, 0x0001, 0x8000, 0x8001 indexed by field number.
    common: [[Option<Known>; 128]; 4],
    /// Other classes (experimenter, ERICOXM): `(class, field, experimenter)`.
    other: Vec<(u16, u8, u32, Known)>,
}

fn common_slot(class: u16) -> Option<usize> {
    match class {
        0x0000 => Some(0),
        0x0001 => Some(1),
        0x8000 => Some(2),
        0x8001 => Some(3),
        _ => None,
    }
}

fn header_index() -> &'static HeaderIndex {
    static INDEX: OnceLock<HeaderIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut idx = HeaderIndex {
            common: [[None; 128]; 4],
            other: Vec::new(),
        };
        for field in Field::all() {
            for h in field.info().headers {
                let known = (field, h.header(false).length());
                match common_slot(h.class) {
                    Some(c) => {
                        let slot = &mut idx.common[c][(h.field & 0x7f) as usize];
                        if slot.is_none() {
                            *slot = Some(known);
                        }
                    }
                    None => idx.other.push((h.class, h.field, h.experimenter, known)),
                }
            }
        }
        idx
    })
}

/// Looks up `header` (and `experimenter` for class 0xffff), requiring the length to match the
/// assignment as `nxm_field_by_header` does.
pub(crate) fn lookup(header: OxmHeader, experimenter: u32) -> Result<HeaderLookup, DecodeError> {
    let idx = header_index();
    let (class, field) = (header.class(), header.field());
    let known = match common_slot(class) {
        Some(c) => idx.common[c][field as usize],
        None => idx
            .other
            .iter()
            .find(|(cl, f, e, _)| {
                *cl == class && *f == field && (class != 0xffff || *e == experimenter)
            })
            .map(|(_, _, _, k)| *k),
    };
    let Some((field, length)) = known else {
        return Ok(HeaderLookup::Unknown);
    };
    let masked = header.has_mask();
    let want = if !masked {
        length
    } else if header.is_experimenter() {
        4 + (length - 4) * 2
    } else {
        length * 2
    };
    if want != header.length() {
        return Err(DecodeError::BadValue {
            what: "field header length",
            value: header.0 as u64,
        });
    }
    Ok(HeaderLookup::Known(field, masked))
}

/// Reads a 4- or 8-byte OXM/NXM header (`nx_pull_header`): the field, and whether it was masked.
pub(crate) fn pull_header(r: &mut Reader<'_>) -> Result<(Field, bool), ActErr> {
    let header = OxmHeader(r.u32("field header")?);
    let experimenter = if header.is_experimenter() {
        let e = r.u32("field header experimenter")?;
        if header.length() < 4 {
            return Err(bad("experimenter field header length", header.0 as u64));
        }
        e
    } else {
        0
    };
    match lookup(header, experimenter)? {
        HeaderLookup::Known(f, masked) => Ok((f, masked)),
        HeaderLookup::Unknown => Err(ActErr::Unknown),
    }
}

/// Reads an unmasked 4- or 8-byte header (masked headers are rejected, as with a NULL `masked`
/// argument to `nx_pull_header`).
pub(crate) fn pull_exact_header(r: &mut Reader<'_>) -> Result<Field, ActErr> {
    match pull_header(r)? {
        (f, false) => Ok(f),
        (_, true) => Err(bad("masked field header", 1)),
    }
}

/// Interprets a 32-bit header field of a fixed-size NX action (`reg_load` destination,
/// `output_reg` source, learn specs, ct zone source): the mask bit is ignored as in
/// `mf_from_nxm_header`.
pub(crate) fn field_from_nxm32(header: u32) -> Result<Field, ActErr> {
    let h = OxmHeader(header);
    if h.is_experimenter() {
        return Err(ActErr::Unknown);
    }
    let exact = if h.has_mask() {
        OxmHeader::new(h.class(), h.field(), false, h.length() / 2)
    } else {
        h
    };
    match lookup(exact, 0)? {
        HeaderLookup::Known(f, _) => Ok(f),
        HeaderLookup::Unknown => Err(ActErr::Unknown),
    }
}

/// Writes the 4- or 8-byte header of `assign`.
pub(crate) fn put_assign(out: &mut BytesMut, assign: &HeaderAssign, masked: bool) {
    out.put_u32(assign.header(masked).0);
    if assign.class == 0xffff {
        out.put_u32(assign.experimenter);
    }
}

/// The header assignment used in Nicira extension actions (`nx_put_mff_header(.., 0, ..)`).
pub(crate) fn nxm_assign(field: Field) -> Result<&'static HeaderAssign, EncodeError> {
    field.nxm_header().ok_or_else(|| EncodeError::BadValue {
        what: "field",
        problem: format!("{} has no OXM/NXM header", field.name()),
    })
}

/// The header assignment used by standard actions in `version`.
pub(crate) fn oxm_assign(
    field: Field,
    version: Version,
) -> Result<&'static HeaderAssign, EncodeError> {
    field
        .header_for(version)
        .ok_or_else(|| EncodeError::BadValue {
            what: "field",
            problem: format!("{} has no OXM/NXM header", field.name()),
        })
}

/// The 32-bit NXM header of `field` (`nxm_header_from_mff`), for actions that cannot carry a
/// 64-bit experimenter header.
pub(crate) fn nxm32(field: Field) -> Result<u32, EncodeError> {
    let a = nxm_assign(field)?;
    if a.class == 0xffff {
        return Err(EncodeError::BadValue {
            what: "field",
            problem: format!("{} needs a 64-bit experimenter header", field.name()),
        });
    }
    Ok(a.header(false).0)
}

/// True when `field` can be named by a 32-bit NXM header (`mf_nxm_header(id) != 0`).
pub fn has_nxm32(field: Field) -> bool {
    field.nxm_header().is_some_and(|a| a.class != 0xffff)
}

/// Writes a subfield reference as `header(32) ofs(16)` (learn specs).
pub(crate) fn put_nxm32_ofs(out: &mut BytesMut, sf: &Subfield) -> Result<(), EncodeError> {
    out.put_u32(nxm32(sf.field)?);
    out.put_u16(sf.ofs);
    Ok(())
}

/// Checks a subfield, mapping a failure to a decode error.
pub(crate) fn checked(sf: Subfield, dst: bool) -> Result<Subfield, ActErr> {
    let r = if dst { sf.check_dst() } else { sf.check() };
    r.map(|_| sf)
        .map_err(|what| bad(what, (sf.ofs as u64) << 16 | sf.n_bits as u64))
}

/// Checks a subfield before encoding.
pub(crate) fn check_encode(sf: &Subfield, dst: bool) -> Result<(), EncodeError> {
    let r = if dst { sf.check_dst() } else { sf.check() };
    r.map_err(|problem| EncodeError::BadValue {
        what: "subfield",
        problem: format!("{}[{}+{}]: {problem}", sf.field.name(), sf.ofs, sf.n_bits),
    })
}
