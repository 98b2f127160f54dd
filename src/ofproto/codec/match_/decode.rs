//! OXM/NXM TLVs → [`Match`], with the checks of OVS's strict `nx_pull_raw`
//! (`lib/nx-match.c`), in the same order per TLV:
//! header known with its length (else kept as unknown), 1-bits outside the mask (`OFPBMC_BAD_WILDCARDS`), mask allowed
//! (`OFPBMC_BAD_MASK`), value valid (`mf_is_value_valid`, `OFPBMC_BAD_VALUE`), prerequisites
//! satisfied by the TLVs *before* this one (`OFPBMC_BAD_PREREQ`), storage not already matched
//! (`OFPBMC_DUP_FIELD`), then `mf_set`.
//!
//! One deliberate difference: a TLV with a header this codec does not know is kept as a
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

    /// Decodes a bare list of OXM/NXM TLVs filling `r` (strict, as OVS decodes flow-mods).
    pub fn decode_oxms(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
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
            if !m.prereq_ok(info.prereq) {
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
            m.set_bits(field, value, mask, true);
            if field == Field::PacketType || info.prereq != Prereq::None {
                packet_type_set = true;
            }
        }
        Ok(m)
    }
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
