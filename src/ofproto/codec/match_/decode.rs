//! OXM/NXM TLVs → [`Match`], with the checks of OVS's strict `nx_pull_raw`
//! (`lib/nx-match.c`), in the same order per TLV:
//! header known with its length (else kept as unknown), 1-bits outside the mask (`OFPBMC_BAD_WILDCARDS`), mask allowed
//! (`OFPBMC_BAD_MASK`), value valid (`mf_is_value_valid`, `OFPBMC_BAD_VALUE`), prerequisites
//! satisfied by the TLVs *before* this one (`OFPBMC_BAD_PREREQ`), storage not already matched
//! (`OFPBMC_DUP_FIELD`), then `mf_set`.
//!
//! Packet metadata (packet-in, NXT_PACKET_IN2, OpenFlow 1.5 packet-out) is read *loosely*, as
//! OVS's `oxm_pull_match_loose`/`nx_pull_match_loose` do: prerequisites are not checked, because
//! OVS writes the packet's metadata without the `dl_type`/`vlan_vid` that would satisfy them
//! (e.g. `ct_nw_src` of a tracked connection, or a `vlan_pcp` after a `vlan_vid` without
//! `OFPVID_PRESENT`). Every other check stays.
//!
//! One deliberate difference: a TLV with a header this codec does not know (once its value and
//! mask are found consistent, as OVS checks first) is kept as a
//! [`RawOxm`] (OVS answers `OFPBMC_BAD_FIELD` for fields it does not know, but we must not drop
//! what a newer switch reports). A known header with a length its field does not have counts as
//! unknown too, as in OVS's `nxm_field_by_header`.

use super::{Match, MatchProblem, RawOxm};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::field::{Field, OxmHeader, Prereq};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{DecodeError, Version};
use bytes::Bytes;

fn bad(field: Field, problem: MatchProblem) -> DecodeError {
    DecodeError::BadMatch {
        field: field.name().to_owned(),
        problem,
    }
}

impl Match {
    /// Decodes an OpenFlow 1.2+ `ofp_match` (type, length, TLVs, padding) from `r`.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Match, DecodeError> {
        let _ = version;
        let mut tlvs = ofp_match_tlvs(r)?;
        Match::decode_tlvs(&mut tlvs, Strictness::Strict)
    }

    /// Decodes an `ofp_match` of packet metadata (packet-in, OpenFlow 1.5 packet-out) like
    /// [`Match::decode`] but without the prerequisite checks (OVS's `oxm_pull_match_loose`).
    pub fn decode_loose(r: &mut Reader<'_>, version: Version) -> Result<Match, DecodeError> {
        let _ = version;
        let mut tlvs = ofp_match_tlvs(r)?;
        Match::decode_tlvs(&mut tlvs, Strictness::Loose)
    }

    /// Decodes the `ofp_match` of an OpenFlow 1.5 packet-out: loose like [`Match::decode_loose`],
    /// and only pipeline fields (tunnel, metadata, in_port, registers, packet_type) are allowed
    /// (OVS's `oxm_pull_match_loose` with `pipeline_fields_only`).
    pub fn decode_pipeline(r: &mut Reader<'_>, version: Version) -> Result<Match, DecodeError> {
        let _ = version;
        let mut tlvs = ofp_match_tlvs(r)?;
        Match::decode_tlvs(&mut tlvs, Strictness::PipelineOnly)
    }

    /// True when every constrained field is pipeline metadata (tunnel, metadata, in_port,
    /// registers, packet_type): what an OpenFlow 1.5 packet-out's match may hold.
    pub fn is_pipeline_only(&self) -> bool {
        self.entries.iter().all(|e| is_pipeline_field(e.field))
    }

    /// Decodes a bare list of OXM/NXM TLVs filling `r` (strict, as OVS decodes flow-mods).
    pub fn decode_oxms(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        Match::decode_tlvs(r, Strictness::Strict)
    }

    /// Decodes a bare list of packet-metadata TLVs filling `r` (no prerequisite checks, as
    /// OVS's `oxm_decode_match` with `loose`, used for NXT_PACKET_IN2 metadata).
    pub fn decode_oxms_loose(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        Match::decode_tlvs(r, Strictness::Loose)
    }

    fn decode_tlvs(r: &mut Reader<'_>, strictness: Strictness) -> Result<Match, DecodeError> {
        let mut m = Match {
            entries: Vec::with_capacity(entry_capacity(r.rest())),
            unknown: Vec::new(),
            present: Default::default(),
        };
        // OVS sets packet_type=eth as soon as a field with a prerequisite is matched
        // (`match_add_ethernet_prereq`), after which a packet_type TLV is a duplicate.
        let mut packet_type_set = false;
        while !r.is_empty() {
            let header = OxmHeader(r.u32("oxm header")?);
            let exp_len = if header.is_experimenter() { 4 } else { 0 };
            if (header.length() as usize) < exp_len {
                return Err(DecodeError::BadLength {
                    what: "experimenter oxm",
                    len: header.length() as usize,
                });
            }
            let payload = r.bytes(header.length() as usize, "oxm payload")?;
            let mut p = Reader::new(payload);
            let experimenter = if header.is_experimenter() {
                p.u32("oxm experimenter")?
            } else {
                0
            };
            let masked = header.has_mask();
            // Like `nxm_field_by_header`, a header only names a field with that field's length
            // (NXM_NX_COOKIE shares class and number with NXM_NX_MPLS_TTL).
            let field = Field::from_header(header, experimenter)
                .filter(|f| p.remaining() == if masked { 2 * f.n_bytes() } else { f.n_bytes() });
            let Some(field) = field else {
                // OVS checks a masked TLV's value against its mask before it looks the field
                // up (`nx_pull_entry__`), so even an unknown one can be OFPBMC_BAD_WILDCARDS.
                if masked && !mask_consistent(p.rest()) {
                    return Err(DecodeError::BadMatch {
                        field: format!("{:#010x}", header.0),
                        problem: MatchProblem::BadWildcards,
                    });
                }
                m.push_unknown(RawOxm {
                    header,
                    payload: Bytes::copy_from_slice(payload),
                });
                continue;
            };
            let n = field.n_bytes();
            let value = be_uint(p.bytes(n, "oxm value")?);
            let mask = if masked {
                be_uint(p.bytes(n, "oxm mask")?)
            } else {
                super::width_ones(n)
            };
            if value & !mask != 0 {
                return Err(bad(field, MatchProblem::BadWildcards));
            }
            let info = field.info();
            if !info.maskable && mask != 0 && mask != super::width_ones(n) {
                return Err(bad(field, MatchProblem::BadMask));
            }
            if !value_valid(field, value) {
                return Err(bad(field, MatchProblem::BadValue));
            }
            if strictness == Strictness::Strict && !m.prereq_ok(info.prereq) {
                return Err(bad(field, MatchProblem::BadPrereq));
            }
            let dup = if field == Field::PacketType {
                packet_type_set
            } else {
                !m.is_all_wild(field)
            };
            if dup {
                return Err(bad(field, MatchProblem::DupField));
            }
            if strictness == Strictness::PipelineOnly && !is_pipeline_field(field) {
                return Err(bad(field, MatchProblem::PipelineFieldsOnly));
            }
            m.set_bits(field, value, mask, true);
            if field == Field::PacketType || info.prereq != Prereq::None {
                packet_type_set = true;
            }
        }
        Ok(m)
    }
}

/// Whether prerequisites are checked (OVS's `strict` argument of `nx_pull_raw`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strictness {
    /// Flow-mods, flow stats, flow-removed: a field needs its prerequisites earlier.
    Strict,
    /// Packet metadata: no prerequisite checks.
    Loose,
    /// Packet-out metadata: loose, and only pipeline fields.
    PipelineOnly,
}

/// OVS's `mf_is_pipeline_field`: what a packet-out may set before the pipeline runs.
pub(crate) fn is_pipeline_field(field: Field) -> bool {
    use Field::*;
    matches!(
        field,
        TunId
            | TunSrc
            | TunDst
            | TunIpv6Src
            | TunIpv6Dst
            | TunFlags
            | TunGbpId
            | TunGbpFlags
            | TunErspanVer
            | TunErspanIdx
            | TunErspanDir
            | TunErspanHwid
            | TunGtpuFlags
            | TunGtpuMsgtype
            | Metadata
            | InPort
            | InPortOxm
            | PacketType
            | Reg0
            | Reg1
            | Reg2
            | Reg3
            | Reg4
            | Reg5
            | Reg6
            | Reg7
            | Reg8
            | Reg9
            | Reg10
            | Reg11
            | Reg12
            | Reg13
            | Reg14
            | Reg15
            | Xreg0
            | Xreg1
            | Xreg2
            | Xreg3
            | Xreg4
            | Xreg5
            | Xreg6
            | Xreg7
            | Xxreg0
            | Xxreg1
            | Xxreg2
            | Xxreg3
    )
}

/// Reads an `ofp_match` header and padding from `r`, returning a reader over its TLVs.
fn ofp_match_tlvs<'a>(r: &mut Reader<'a>) -> Result<Reader<'a>, DecodeError> {
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
    let tlvs = r.sub(len - 4, "ofp_match fields")?;
    r.skip(len.div_ceil(8) * 8 - len, "ofp_match padding")?;
    Ok(tlvs)
}

/// How many entries the TLVs in `tlvs` will most likely need: one per TLV, two for a 64-bit
/// `xreg` (it becomes two registers). A quick walk over the headers, so that decoding
/// allocates the entry vector once.
fn entry_capacity(tlvs: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = tlvs;
    while let [c0, c1, _, len, tail @ ..] = rest {
        n += if [*c0, *c1] == [0x80, 0x01] { 2 } else { 1 };
        rest = tail.get(*len as usize..).unwrap_or_default();
    }
    n
}

/// OVS's `is_mask_consistent` on a masked TLV's payload (experimenter id removed): value in
/// the first half, mask in the second; no 1-bit of the value outside the mask.
fn mask_consistent(payload: &[u8]) -> bool {
    let width = payload.len() / 2;
    let (value, rest) = payload.split_at(width);
    value.iter().zip(rest).all(|(v, m)| v & !m == 0)
}

/// A big-endian integer of at most 16 bytes.
fn be_uint(b: &[u8]) -> u128 {
    match *b {
        [a] => a as u128,
        [a, b] => u16::from_be_bytes([a, b]) as u128,
        [a, b, c, d] => u32::from_be_bytes([a, b, c, d]) as u128,
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]) as u128,
        _ => b.iter().fold(0u128, |acc, &x| acc << 8 | x as u128),
    }
}

/// OVS's `mf_is_value_valid`: values a field can never hold.
fn value_valid(field: Field, v: u128) -> bool {
    match field {
        Field::InPortOxm | Field::ActsetOutput => PortNo::from_ofp11(v as u32).is_some(),
        Field::IpDscp => v & !0xfc == 0,
        Field::IpDscpShifted => v & !0x3f == 0,
        Field::IpEcn | Field::IpFrag => v & !0x03 == 0,
        Field::TcpFlags => v & !0x0fff == 0,
        Field::ArpOp => v & 0xff00 == 0,
        Field::DlVlan => v & 0xf000 == 0,
        Field::VlanVid => v & 0xe000 == 0,
        Field::DlVlanPcp | Field::VlanPcp | Field::MplsTc => v & !0x07 == 0,
        Field::Ipv6Label | Field::MplsLabel => v & !0x000f_ffff == 0,
        Field::MplsBos => v & !0x01 == 0,
        Field::TunFlags => v & !0x01 == 0,
        Field::CtState => v & !0xff == 0,
        Field::NshTtl => v <= 63,
        Field::NshMdtype => v == 1 || v == 2,
        Field::NshSpi => v & 0xff00_0000 == 0,
        _ => true,
    }
}
