//! Flow matches: a canonical set of field constraints, and its OXM/NXM wire form.
//!
//! [`Match`] is version-independent, like OVS's `struct match`: one [`MatchEntry`] per field,
//! kept sorted by [`Field`] and normalised, so that two matches that mean the same compare equal
//! whatever wire form or text they came from. That is what the reconciler needs to diff desired
//! flows against a dump, and what lets `decode(OVS bytes) == parse(text)`.
//!
//! Invariants (see `canon` for the full mapping, which mirrors OVS's `mf_set` in
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
//! Wire form (`encode`, `decode`): `ofp_match` of OpenFlow 1.2+ (`type=1 | length | TLVs |
//! zero pad to 8`); TLVs are written in the order of OVS's `nx_put_raw` (`lib/nx-match.c`) with
//! the header OVS chooses per version, and read with the checks of OVS's strict `nx_pull_raw`.
//! TLVs of fields we do not model (tunnel metadata, ...) are kept verbatim as [`RawOxm`].
//!
//! Losslessness, precisely (`tests/codec_fuzz_regressions.rs`, `fuzz/fuzz_targets/message.rs`):
//! - `decode(encode(m)) == m` for every match the encoder accepts. The encoder refuses (typed
//!   error) a match with a field `nx_put_raw` would skip. One exception, inherited from OVS
//!   and required for byte-identity with it: a `vlan_tci` (only NXM can carry one) that OXM
//!   cannot express is written as OVS writes it and reads back differently;
//!   [`Match::has_exact_oxm_form`] tells these apart.
//! - The encoding is canonical: known TLVs in `nx_put_raw` order, tunnel metadata among the
//!   tunnel fields, other unknown TLVs last, each group in [`Match::unknown`] order. So
//!   `encode(decode(b)) == b` for bytes in that order (everything OVS writes), and TLVs sent in
//!   another order come back in canonical order, as from OVS itself.

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
    /// `OFPBRC_PIPELINE_FIELDS_ONLY`: a packet-out's match sets a field that is not pipeline
    /// metadata (only tunnel, metadata, in_port, registers and packet_type are).
    #[error("not a pipeline field (OFPBRC_PIPELINE_FIELDS_ONLY)")]
    PipelineFieldsOnly,
}

impl MatchProblem {
    /// The OVS error name (`OFPBMC_BAD_PREREQ`), as `ovs-ofctl ofp-print` prints it.
    pub fn ofperr_name(&self) -> &'static str {
        match self {
            MatchProblem::BadMask => "OFPBMC_BAD_MASK",
            MatchProblem::BadWildcards => "OFPBMC_BAD_WILDCARDS",
            MatchProblem::BadValue => "OFPBMC_BAD_VALUE",
            MatchProblem::BadPrereq => "OFPBMC_BAD_PREREQ",
            MatchProblem::DupField => "OFPBMC_DUP_FIELD",
            MatchProblem::PipelineFieldsOnly => "OFPBRC_PIPELINE_FIELDS_ONLY",
        }
    }
}

/// A flow match.
///
/// `entries` is sorted by field and `present` is the set of its fields, kept in step by
/// `Match::put`, so asking for a field the match does not have (most questions the codec and
/// the printer ask) is one bit test.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Match {
    entries: Vec<MatchEntry>,
    unknown: Vec<RawOxm>,
    present: FieldSet,
}

/// A set of fields as a bitmap over [`Field`] discriminants (every field fits in 128 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FieldSet(pub(crate) u128);

const _: () = assert!(
    super::field::FIELD_COUNT <= 128,
    "FieldSet holds 128 fields"
);

impl FieldSet {
    /// Adds `f`.
    pub(crate) fn insert(&mut self, f: Field) {
        self.0 |= 1 << (f as u32);
    }

    /// Removes `f`.
    pub(crate) fn remove(&mut self, f: Field) {
        self.0 &= !(1 << (f as u32));
    }

    /// Membership.
    pub(crate) fn contains(&self, f: Field) -> bool {
        self.0 & (1 << (f as u32)) != 0
    }
}

/// True for TLVs of OVS's variable-length tunnel metadata fields (NXM_NX_TUN_METADATA0..63),
/// which `nx_put_raw` writes among the tunnel fields.
pub(crate) fn is_tun_metadata(header: OxmHeader) -> bool {
    header.class() == 0x0001 && (40..=103).contains(&header.field())
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
        if self.present.contains(field) {
            self.index_of(field).ok().and_then(|i| self.entries.get(i))
        } else {
            None
        }
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

    /// TLVs of fields this codec does not model: tunnel metadata first, then the others, each
    /// group in the order added (wire order when decoded). This is the order the encoder
    /// writes them in (see the module docs), so decoding what we encoded gives them back in
    /// the same order.
    pub fn unknown(&self) -> &[RawOxm] {
        &self.unknown
    }

    /// Adds an unmodelled TLV (after the others of its group, see [`Match::unknown`]).
    pub fn push_unknown(&mut self, raw: RawOxm) {
        if is_tun_metadata(raw.header) {
            let at = self
                .unknown
                .iter()
                .position(|r| !is_tun_metadata(r.header))
                .unwrap_or(self.unknown.len());
            self.unknown.insert(at, raw);
        } else {
            self.unknown.push(raw);
        }
    }

    /// True when the match constrains nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.unknown.is_empty()
    }

    /// Stores canonical `field` = `value`/`mask` (integers already within the field width),
    /// normalising as described in the module docs.
    fn put(&mut self, field: Field, value: u128, mask: u128) {
        let n = field.n_bytes();
        let pos = if self.present.contains(field) {
            self.index_of(field)
        } else if self.entries.last().is_none_or(|e| e.field < field) {
            Err(self.entries.len())
        } else {
            self.index_of(field)
        };
        if mask == 0 {
            if let Ok(i) = pos {
                self.entries.remove(i);
                self.present.remove(field);
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
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    *slot = entry;
                }
            }
            Err(i) => {
                self.entries.insert(i, entry);
                self.present.insert(field);
            }
        }
    }

    /// Where `field`'s entry is (`Ok`) or would go (`Err`) in the sorted entries. A binary
    /// search: matches have a handful of entries, and baseline x86-64 has no `popcnt` to rank
    /// the presence bitmap with.
    fn index_of(&self, field: Field) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.field.cmp(&field))
    }

    /// The set of fields with a constraint.
    pub(crate) fn present(&self) -> FieldSet {
        self.present
    }
}

#[cfg(test)]
mod tests;
