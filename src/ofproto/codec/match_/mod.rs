//! Flow matches: a canonical set of field constraints, and its OXM/NXM wire form.
//!
//! [`Match`] is version-independent, like OVS's `struct match`: one [`MatchEntry`] per field,
//! kept sorted by [`Field`] and normalised, so that two matches that mean the same compare equal
//! whatever wire form or text they came from. That is what the reconciler needs to diff desired
//! flows against a dump, and what lets `decode(OVS bytes) == parse(text)`.
//!
//! Invariants (see [`canon`] for the full mapping, which mirrors OVS's `mf_set` in
//! `lib/meta-flow.c` and the `match_set_*` functions of `lib/match.c`):
//! - value bits outside the mask are zero; an all-ones mask is stored as exact (`None`); an
//!   all-zero mask removes the constraint;
//! - only canonical fields are stored: `in_port_oxm` becomes `in_port`, `vlan_vid`/`vlan_pcp`/
//!   `dl_vlan`/`dl_vlan_pcp` become `vlan_tci`, `ip_dscp` becomes `nw_tos`, `xreg`/`xxreg`
//!   become the `reg`s they overlay;
//! - `ct_state` keeps OVS's 8-bit mask (an exact `ct_state` has mask `0xff`), `ip_frag` keeps
//!   only the two fragment bits;
//! - `packet_type=eth` is stored only when no field with a prerequisite implies it.
//!
//! Wire form ([`encode`], [`decode`]): `ofp_match` of OpenFlow 1.2+ (`type=1 | length | TLVs |
//! zero pad to 8`); TLVs are written in the order of OVS's `nx_put_raw` (`lib/nx-match.c`) with
//! the header OVS chooses per version, and read with the checks of OVS's strict `nx_pull_raw`.
//! TLVs of fields we do not model (tunnel metadata, ...) are kept verbatim as [`RawOxm`].

mod canon;
mod decode;
mod encode;
mod prereq;

use super::field::{Field, OxmHeader};
use super::value::Value;
use bytes::Bytes;

pub use canon::is_canonical;
pub use encode::Headers;
pub use prereq::{prereq_text, PrereqError};

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

impl MatchEntry {
    /// The mask as bits (all ones of the field width when exact).
    pub fn mask_bits(&self) -> u128 {
        match &self.mask {
            Some(m) => m.as_u128(),
            None => width_ones(self.field.n_bytes()),
        }
    }
}

/// An OXM/NXM TLV whose header we do not model (e.g. `tun_metadata`), kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawOxm {
    /// The TLV header.
    pub header: OxmHeader,
    /// Everything after the header (`length` bytes, experimenter id included).
    pub payload: Bytes,
}

/// What is wrong with a match TLV, mirroring the `OFPBMC_*` errors OVS answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MatchProblem {
    /// `OFPBMC_BAD_MASK`: a mask on a field that cannot be masked.
    #[error("field cannot be masked (OFPBMC_BAD_MASK)")]
    BadMask,
    /// `OFPBMC_BAD_WILDCARDS`: 1-bits in the value where the mask is 0.
    #[error("value has 1-bits outside the mask (OFPBMC_BAD_WILDCARDS)")]
    BadWildcards,
    /// `OFPBMC_BAD_VALUE`: a value the field cannot hold (e.g. `ip_dscp` > 63).
    #[error("invalid value (OFPBMC_BAD_VALUE)")]
    BadValue,
    /// `OFPBMC_BAD_PREREQ`: the field's prerequisites are not matched by earlier TLVs.
    #[error("prerequisites not met by earlier fields (OFPBMC_BAD_PREREQ)")]
    BadPrereq,
    /// `OFPBMC_DUP_FIELD`: the field (or one sharing its storage) appears twice.
    #[error("duplicate field (OFPBMC_DUP_FIELD)")]
    DupField,
}

/// A flow match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Match {
    entries: Vec<MatchEntry>,
    unknown: Vec<RawOxm>,
}

/// A set of fields as a bitmap (encoding asks "is this field present?" for every field OVS
/// knows, so this must be cheaper than a search).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FieldSet([u64; 4]);

impl FieldSet {
    /// The set of `fields` (usable in constants).
    pub(crate) const fn of(fields: &[Field]) -> FieldSet {
        let mut words = [0u64; 4];
        let mut i = 0;
        while i < fields.len() {
            let n = fields[i] as usize;
            if n < 256 {
                words[n / 64] |= 1 << (n % 64);
            }
            i += 1;
        }
        FieldSet(words)
    }

    /// True when the sets share a field.
    pub(crate) fn intersects(&self, other: &FieldSet) -> bool {
        self.0.iter().zip(other.0.iter()).any(|(a, b)| a & b != 0)
    }

    pub(crate) fn insert(&mut self, f: Field) {
        let i = f as usize;
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// Membership; fields beyond the bitmap's capacity answer `true` (then callers search).
    pub(crate) fn contains(&self, f: Field) -> bool {
        let i = f as usize;
        self.0.get(i / 64).is_none_or(|w| w & (1 << (i % 64)) != 0)
    }
}

/// All-ones over `n` bytes.
pub(crate) fn width_ones(n: usize) -> u128 {
    if n >= 16 {
        u128::MAX
    } else {
        (1u128 << (n * 8)) - 1
    }
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

    /// Constrains `field` to `value` under `mask` (`None` = exact), as OVS's `mf_set` does:
    /// an all-zero mask removes the constraint, value bits outside the mask are cleared, and
    /// non-canonical fields are folded into the canonical ones (see the module docs).
    pub fn set_masked(&mut self, field: Field, value: Value, mask: Option<Value>) -> &mut Self {
        let n = field.n_bytes();
        let v = value.as_u128() & width_ones(n);
        let m = mask.map_or(width_ones(n), |m| m.as_u128() & width_ones(n));
        self.set_bits(field, v, m, true);
        self
    }

    /// Removes any constraint on `field` (for a non-canonical field, on the bits it covers).
    pub fn remove(&mut self, field: Field) -> Option<MatchEntry> {
        let old = self.get(field).copied();
        self.set_bits(field, 0, 0, false);
        old
    }

    /// The constraint on canonical `field`, if any.
    pub fn get(&self, field: Field) -> Option<&MatchEntry> {
        self.entries
            .binary_search_by(|e| e.field.cmp(&field))
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    /// `(value, mask)` of canonical `field` as integers; `(0, 0)` when unconstrained.
    pub fn bits(&self, field: Field) -> (u128, u128) {
        match self.get(field) {
            Some(e) => (e.value.as_u128(), e.mask_bits()),
            None => (0, 0),
        }
    }

    /// The value the matched packets have in canonical `field` (0 when unconstrained), like
    /// reading OVS's `match->flow`.
    pub fn value_of(&self, field: Field) -> u128 {
        self.bits(field).0
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

    /// Stores canonical `field` = `value`/`mask` (integers already within the field width),
    /// normalising as described in the module docs.
    fn put(&mut self, field: Field, value: u128, mask: u128) {
        let n = field.n_bytes();
        let pos = self.entries.binary_search_by(|e| e.field.cmp(&field));
        if mask == 0 {
            if let Ok(i) = pos {
                self.entries.remove(i);
            }
            return;
        }
        let exact = mask == width_ones(n);
        let entry = MatchEntry {
            field,
            value: Value::from_u128(n, value & mask),
            mask: (!exact).then(|| Value::from_u128(n, mask)),
        };
        match pos {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
    }
}

#[cfg(test)]
mod tests;
