//! Flow matches: a canonical set of field constraints, and its OXM/NXM wire form.
//!
//! [`Match`] is version-independent, like OVS's `struct match`: one [`MatchEntry`] per field,
//! kept sorted by [`Field`] and normalised (value bits outside the mask cleared, an all-ones mask
//! stored as exact), so two matches that mean the same compare equal whatever order their wire
//! TLVs came in. That is what the reconciler needs to diff desired flows against a dump.
//!
//! Wire form (`ofp_match` of OpenFlow 1.2+): `type=1 (OXM) | length | TLVs | zero pad to 8`,
//! TLVs `class(16) field(7) hasmask(1) length(8)` + value [+ mask], experimenter TLVs carrying a
//! 4-byte experimenter id counted in `length`. Fields we do not know are kept as raw TLVs.

use super::buf::{pad_to, patch_u16, Reader};
use super::field::{Field, OxmHeader};
use super::value::Value;
use super::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// One constraint: `field` equals `value` in the bits set in `mask` (`None` = every bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatchEntry {
    /// The field.
    pub field: Field,
    /// The value, with bits outside the mask cleared.
    pub value: Value,
    /// The mask, or `None` for an exact match.
    pub mask: Option<Value>,
}

/// An OXM/NXM TLV whose header we do not model (e.g. `tun_metadata`), kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawOxm {
    /// The TLV header.
    pub header: OxmHeader,
    /// Everything after the header (`length` bytes, experimenter id included).
    pub payload: Bytes,
}

/// A flow match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Match {
    entries: Vec<MatchEntry>,
    unknown: Vec<RawOxm>,
}

impl Match {
    /// The match-everything match.
    pub fn new() -> Self {
        Self::default()
    }

    /// Constrains `field` to exactly `value`, replacing any earlier constraint on it.
    pub fn set(&mut self, field: Field, value: Value) -> &mut Self {
        self.set_masked(field, value, None)
    }

    /// Constrains `field` to `value` under `mask`. An all-ones mask becomes exact, an all-zero
    /// mask removes the constraint, and value bits outside the mask are cleared.
    pub fn set_masked(&mut self, field: Field, value: Value, mask: Option<Value>) -> &mut Self {
        let (value, mask) = match mask {
            Some(m) if m.is_zero() => {
                self.remove(field);
                return self;
            }
            Some(m) if m.is_all_ones() => (value, None),
            Some(m) => (value.and(&m), Some(m)),
            None => (value, None),
        };
        let entry = MatchEntry { field, value, mask };
        match self.entries.binary_search_by(|e| e.field.cmp(&field)) {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
        self
    }

    /// Removes any constraint on `field`.
    pub fn remove(&mut self, field: Field) -> Option<MatchEntry> {
        let i = self
            .entries
            .binary_search_by(|e| e.field.cmp(&field))
            .ok()?;
        Some(self.entries.remove(i))
    }

    /// The constraint on `field`, if any.
    pub fn get(&self, field: Field) -> Option<&MatchEntry> {
        self.entries
            .binary_search_by(|e| e.field.cmp(&field))
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    /// All known-field constraints, sorted by field.
    pub fn entries(&self) -> &[MatchEntry] {
        &self.entries
    }

    /// TLVs of fields this codec does not model, in wire order.
    pub fn unknown(&self) -> &[RawOxm] {
        &self.unknown
    }

    /// Adds an unmodelled TLV.
    pub fn push_unknown(&mut self, raw: RawOxm) {
        self.unknown.push(raw);
    }

    /// True when the match constrains nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.unknown.is_empty()
    }

    /// Decodes an OpenFlow 1.2+ `ofp_match` (type, length, TLVs, padding) from `r`.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Match, DecodeError> {
        let _ = version;
        let ty = r.u16("ofp_match.type")?;
        if ty != 1 {
            return Err(DecodeError::BadValue {
                what: "ofp_match.type",
                value: ty as u64,
            });
        }
        let len = r.u16("ofp_match.length")? as usize;
        if len < 4 {
            return Err(DecodeError::BadLength {
                what: "ofp_match",
                len,
            });
        }
        let mut tlvs = r.sub(len - 4, "ofp_match fields")?;
        r.skip(len.div_ceil(8) * 8 - len, "ofp_match padding")?;
        Match::decode_oxms(&mut tlvs)
    }

    /// Decodes a bare list of OXM/NXM TLVs filling `r`.
    pub fn decode_oxms(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        let mut m = Match::new();
        while !r.is_empty() {
            let header = OxmHeader(r.u32("oxm header")?);
            let payload = r.bytes(header.length() as usize, "oxm payload")?;
            let mut p = Reader::new(payload);
            let experimenter = if header.is_experimenter() {
                p.u32("oxm experimenter")?
            } else {
                0
            };
            let Some(field) = Field::from_header(header, experimenter) else {
                m.unknown.push(RawOxm {
                    header,
                    payload: Bytes::copy_from_slice(payload),
                });
                continue;
            };
            let n = field.n_bytes();
            let bad = |problem| DecodeError::BadMatch {
                field: field.name().to_owned(),
                problem,
            };
            let want = if header.has_mask() { 2 * n } else { n };
            if p.remaining() != want {
                return Err(bad("bad length"));
            }
            if header.has_mask() && !field.info().maskable {
                return Err(bad("mask not allowed"));
            }
            if m.get(field).is_some() {
                return Err(bad("duplicate field"));
            }
            let value =
                Value::from_slice(p.bytes(n, "oxm value")?).ok_or_else(|| bad("too wide"))?;
            let mask = if header.has_mask() {
                let mask =
                    Value::from_slice(p.bytes(n, "oxm mask")?).ok_or_else(|| bad("too wide"))?;
                if value.and(&mask.not()) != Value::zero(n) {
                    return Err(bad("value bits outside mask"));
                }
                Some(mask)
            } else {
                None
            };
            m.set_masked(field, value, mask);
        }
        Ok(m)
    }

    /// Encodes as an OpenFlow 1.2+ `ofp_match`, padded to 8 bytes.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(1);
        out.put_u16(0);
        self.encode_oxms(out, version)?;
        let len = out.len() - start;
        patch_u16(out, start + 2, len as u16);
        pad_to(out, start, 8);
        Ok(())
    }

    /// Encodes the TLVs only (no `ofp_match` header), with the headers OVS uses for `version`.
    pub fn encode_oxms(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        for e in &self.entries {
            let assign = e
                .field
                .header_for(version)
                .ok_or(EncodeError::NotInVersion {
                    what: "match field without OXM/NXM header",
                    version,
                })?;
            out.put_u32(assign.header(e.mask.is_some()).0);
            if assign.class == 0xffff {
                out.put_u32(assign.experimenter);
            }
            out.put_slice(e.value.as_bytes());
            if let Some(m) = &e.mask {
                out.put_slice(m.as_bytes());
            }
        }
        for raw in &self.unknown {
            out.put_u32(raw.header.0);
            out.put_slice(&raw.payload);
        }
        Ok(())
    }
}
