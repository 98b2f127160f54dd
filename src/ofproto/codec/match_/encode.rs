//! Match → OXM/NXM TLVs, in exactly the order and with exactly the headers of OVS's
//! `nx_put_raw` (`lib/nx-match.c`), so that our bytes equal `ovs-ofctl`'s.
//!
//! Notable OVS choices reproduced here:
//! - OXM (OpenFlow 1.2+) writes `in_port` as 32-bit `OXM_OF_IN_PORT`, VLANs as `vlan_vid`
//!   (+ `vlan_pcp` when a VID is matched) and DSCP as the shifted `ip_dscp`; NXM writes
//!   `NXM_OF_IN_PORT`, `NXM_OF_VLAN_TCI` and `NXM_OF_IP_TOS`.
//! - OpenFlow 1.5 writes registers as 64-bit `xreg`s (`OXM_OF_PKT_REG<n>`).
//! - Layer 3/4 fields are written only under the `dl_type`/`nw_proto` that allows them;
//!   `ct_nw_proto`/`ct_tp_*` only when `ct_nw_proto` is non-zero.
//! - `packet_type=eth` is written first, and only when no written field implies Ethernet.
//!
//! A constraint that `nx_put_raw` would silently skip (its prerequisites are not matched, or it
//! has no wire header) makes encoding fail instead of producing a different flow.

use super::canon::{IP_DSCP_MASK, REGS, VLAN_CFI, VLAN_PCP_MASK, VLAN_VID_MASK, XREGS};
use super::prereq::eth_type;
use super::{width_ones, FieldSet, Match};
use crate::ofproto::codec::buf::{pad_to, patch_u16};
use crate::ofproto::codec::field::{Field, Prereq};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// Which header family to write: NXM (OpenFlow 1.0 style, also used inside Nicira messages) or
/// OXM for a given version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Headers {
    /// `nx_match` headers (`oxm == 0` in OVS).
    Nxm,
    /// OXM headers for this OpenFlow version.
    Oxm(Version),
}

impl Headers {
    fn is_oxm(self) -> bool {
        matches!(self, Headers::Oxm(_))
    }
}

struct Put<'a> {
    m: &'a Match,
    out: &'a mut BytesMut,
    headers: Headers,
    present: FieldSet,
    emitted: FieldSet,
    implied_ethernet: bool,
}

impl Put<'_> {
    /// Marks the canonical entries `fields` as written.
    fn mark(&mut self, fields: &[Field]) {
        for &f in fields {
            self.emitted.insert(f);
        }
    }

    /// `(value, mask)` of canonical `f`, `(0, 0)` when absent (cheap for absent fields).
    fn bits(&self, f: Field) -> (u128, u128) {
        if self.present.contains(f) {
            self.m.bits(f)
        } else {
            (0, 0)
        }
    }

    /// `nxm_put__`: writes `wire` = `value` (with `mask` unless `None`).
    fn raw(&mut self, wire: Field, value: u128, mask: Option<u128>) -> Result<(), EncodeError> {
        let assign = match self.headers {
            Headers::Nxm => wire.nxm_header(),
            Headers::Oxm(v) => wire.header_for(v),
        };
        let assign = assign.ok_or_else(|| EncodeError::BadValue {
            what: "match",
            problem: format!("{} has no OXM/NXM header", wire.name()),
        })?;
        let n = wire.n_bytes();
        self.out.put_u32(assign.header(mask.is_some()).0);
        if assign.class == 0xffff {
            self.out.put_u32(assign.experimenter);
        }
        let be = value.to_be_bytes();
        self.out.put_slice(&be[16 - n..]);
        if let Some(mask) = mask {
            let be = mask.to_be_bytes();
            self.out.put_slice(&be[16 - n..]);
        }
        if wire.info().prereq != Prereq::None {
            self.implied_ethernet = true;
        }
        Ok(())
    }

    /// `nxm_put_<n>`: always writes `wire` exactly.
    fn exact(&mut self, wire: Field, value: u128, canon: &[Field]) -> Result<(), EncodeError> {
        self.mark(canon);
        self.raw(wire, value, None)
    }

    /// `nxm_put_<n>m`: writes `wire` unless `mask` is zero, masked unless all-ones.
    fn masked(
        &mut self,
        wire: Field,
        value: u128,
        mask: u128,
        canon: &[Field],
    ) -> Result<(), EncodeError> {
        if mask == 0 {
            return Ok(());
        }
        self.mark(canon);
        let full = width_ones(wire.n_bytes());
        let mask = (mask != full).then_some(mask);
        self.raw(wire, value, mask)
    }

    /// Writes canonical field `f` from the match, masked as stored.
    fn field(&mut self, f: Field) -> Result<(), EncodeError> {
        let (v, m) = self.bits(f);
        self.masked(f, v, m, &[f])
    }

    /// Writes canonical field `f` exactly if it is constrained at all.
    fn field_exact(&mut self, f: Field) -> Result<(), EncodeError> {
        let (v, m) = self.bits(f);
        if m != 0 {
            self.exact(f, v, &[f])?;
        }
        Ok(())
    }
}

const TUNNEL_ORDER: [Field; 8] = [
    Field::TunId,
    Field::TunFlags,
    Field::TunSrc,
    Field::TunDst,
    Field::TunIpv6Src,
    Field::TunIpv6Dst,
    Field::TunGbpId,
    Field::TunGbpFlags,
];
const TUNNEL: FieldSet = FieldSet::of(&TUNNEL_ORDER);

const TUNNEL_EXTRA_ORDER: [Field; 16] = [
    Field::TunErspanIdx,
    Field::TunErspanVer,
    Field::TunErspanDir,
    Field::TunErspanHwid,
    Field::TunGtpuFlags,
    Field::TunGtpuMsgtype,
    Field::NshFlags,
    Field::NshTtl,
    Field::NshMdtype,
    Field::NshNp,
    Field::NshSpi,
    Field::NshSi,
    Field::NshC1,
    Field::NshC2,
    Field::NshC3,
    Field::NshC4,
];
const TUNNEL_EXTRA: FieldSet = FieldSet::of(&TUNNEL_EXTRA_ORDER);

const CT_ORDER: [Field; 9] = [
    Field::PktMark,
    Field::CtState,
    Field::CtZone,
    Field::CtMark,
    Field::CtLabel,
    Field::CtNwSrc,
    Field::CtIpv6Src,
    Field::CtNwDst,
    Field::CtIpv6Dst,
];
const CT: FieldSet = FieldSet::of(&CT_ORDER);

const REG_SET: FieldSet = FieldSet::of(&REGS);

/// True for TLVs of OVS's variable-length tunnel metadata fields (NXM_NX_TUN_METADATA0..63),
/// which `nx_put_raw` writes among the tunnel fields.
fn is_tun_metadata(header: crate::ofproto::codec::field::OxmHeader) -> bool {
    header.class() == 0x0001 && (40..=103).contains(&header.field())
}

impl Match {
    /// Encodes as an OpenFlow 1.2+ `ofp_match` (`type=1`, length, TLVs, zero pad to 8).
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(1);
        out.put_u16(0);
        self.encode_oxms(out, version)?;
        let len = out.len() - start;
        if len > u16::MAX as usize {
            return Err(EncodeError::TooLong {
                what: "ofp_match",
                len,
            });
        }
        patch_u16(out, start + 2, len as u16);
        pad_to(out, start, 8);
        Ok(())
    }

    /// Encodes the TLVs only (no `ofp_match` header), with the headers OVS uses for `version`.
    pub fn encode_oxms(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.encode_tlvs(out, Headers::Oxm(version))
    }

    /// Encodes the TLVs in NXM form (`nx_match` of Nicira flow-mods and stats, OpenFlow 1.0).
    pub fn encode_nxm(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.encode_tlvs(out, Headers::Nxm)
    }

    /// `nx_put_raw` without the cookie.
    pub fn encode_tlvs(&self, out: &mut BytesMut, headers: Headers) -> Result<(), EncodeError> {
        let start = out.len();
        let mut present = FieldSet::default();
        for e in &self.entries {
            present.insert(e.field);
        }
        let mut p = Put {
            m: self,
            out,
            headers,
            present,
            emitted: FieldSet::default(),
            implied_ethernet: false,
        };
        let (pt, pt_mask) = self.bits(Field::PacketType);
        // OVS's match has packet_type=eth when set explicitly or implied by a field with a
        // prerequisite (`match_add_ethernet_prereq`); we store only the explicit one.
        let implied = pt_mask == 0
            && self
                .entries
                .iter()
                .any(|e| e.field.info().prereq != Prereq::None);
        let default_pt = (pt == 0 && pt_mask == 0xffff_ffff) || implied;
        if pt_mask != 0 && !(pt == 0 && pt_mask == 0xffff_ffff) {
            p.masked(Field::PacketType, pt, pt_mask, &[Field::PacketType])?;
        }
        p.field(Field::DpHash)?;
        p.field_exact(Field::RecircId)?;
        p.field_exact(Field::ConjId)?;
        let (port, port_mask) = self.bits(Field::InPort);
        if port_mask != 0 {
            if headers.is_oxm() {
                let port = PortNo(port as u16).to_ofp11() as u128;
                p.exact(Field::InPortOxm, port, &[Field::InPort])?;
            } else {
                p.exact(Field::InPort, port, &[Field::InPort])?;
            }
        }
        p.field_exact(Field::ActsetOutput)?;

        p.field(Field::EthSrc)?;
        p.field(Field::EthDst)?;
        p.field(Field::EthType)?;
        put_vlan(&mut p)?;

        let dl_type = self.dl_type();
        if matches!(dl_type, eth_type::MPLS | eth_type::MPLS_MCAST) {
            for f in [
                Field::MplsTc,
                Field::MplsBos,
                Field::MplsTtl,
                Field::MplsLabel,
            ] {
                p.field_exact(f)?;
            }
        }
        if self.is_ip_any() {
            put_ip(&mut p, dl_type)?;
        } else if matches!(dl_type, eth_type::ARP | eth_type::RARP) {
            p.field_exact(Field::ArpOp)?;
            for f in [Field::ArpSpa, Field::ArpTpa, Field::ArpSha, Field::ArpTha] {
                p.field(f)?;
            }
        }

        if present.intersects(&TUNNEL) {
            for f in TUNNEL_ORDER {
                p.field(f)?;
            }
        }
        for raw in self.unknown.iter().filter(|r| is_tun_metadata(r.header)) {
            p.out.put_u32(raw.header.0);
            p.out.put_slice(&raw.payload);
        }
        if present.intersects(&TUNNEL_EXTRA) {
            for f in TUNNEL_EXTRA_ORDER {
                p.field(f)?;
            }
        }

        if !present.intersects(&REG_SET) {
            // No registers: nothing to write.
        } else if headers == Headers::Oxm(Version::Of15) {
            for (i, &xreg) in XREGS.iter().enumerate() {
                let (hi, hi_m) = self.bits(REGS[2 * i]);
                let (lo, lo_m) = self.bits(REGS[2 * i + 1]);
                let pair = [REGS[2 * i], REGS[2 * i + 1]];
                p.masked(xreg, hi << 32 | lo, hi_m << 32 | lo_m, &pair)?;
            }
        } else {
            for reg in REGS {
                p.field(reg)?;
            }
        }

        if present.intersects(&CT) {
            for f in CT_ORDER {
                p.field(f)?;
            }
        }
        if self.value_of(Field::CtNwProto) != 0 {
            for f in [Field::CtNwProto, Field::CtTpSrc, Field::CtTpDst] {
                p.field(f)?;
            }
        }
        p.field(Field::Metadata)?;

        if default_pt && !p.implied_ethernet {
            let mut pt_tlv = BytesMut::new();
            let mut q = Put {
                m: self,
                out: &mut pt_tlv,
                headers,
                present,
                emitted: FieldSet::default(),
                implied_ethernet: false,
            };
            q.raw(Field::PacketType, 0, None)?;
            p.mark(&[Field::PacketType]);
            let tail = p.out.split_off(start);
            p.out.extend_from_slice(&pt_tlv);
            p.out.extend_from_slice(&tail);
        }
        for raw in self.unknown.iter().filter(|r| !is_tun_metadata(r.header)) {
            p.out.put_u32(raw.header.0);
            p.out.put_slice(&raw.payload);
        }

        let emitted = p.emitted;
        if let Some(e) = self.entries.iter().find(|e| !emitted.contains(e.field)) {
            let field = e.field;
            self.check_prereqs().map_err(|e| EncodeError::BadValue {
                what: "match",
                problem: e.to_string(),
            })?;
            return Err(EncodeError::BadValue {
                what: "match",
                problem: format!(
                    "{} cannot be written in this match (OVS would drop it)",
                    field.name()
                ),
            });
        }
        Ok(())
    }
}

/// The 802.1Q part of `nx_put_raw`.
fn put_vlan(p: &mut Put<'_>) -> Result<(), EncodeError> {
    let (tci, mask) = p.bits(Field::VlanTci);
    if !p.headers.is_oxm() {
        return p.masked(Field::VlanTci, tci, mask, &[Field::VlanTci]);
    }
    // OXM cannot say everything `vlan_tci` can (e.g. a PCP without a VID); OVS writes what it
    // can and drops the rest, and so do we, to stay byte-identical.
    p.mark(&[Field::VlanTci]);
    let vid_cfi = VLAN_VID_MASK | VLAN_CFI;
    let vid = tci & vid_cfi;
    let vid_mask = mask & vid_cfi;
    if vid_mask == vid_cfi {
        p.exact(Field::VlanVid, vid, &[Field::VlanTci])?;
    } else if vid_mask != 0 {
        p.masked(Field::VlanVid, vid, vid_mask, &[Field::VlanTci])?;
    }
    if vid != 0 && mask & VLAN_PCP_MASK != 0 {
        p.exact(
            Field::VlanPcp,
            (tci & VLAN_PCP_MASK) >> 13,
            &[Field::VlanTci],
        )?;
    }
    Ok(())
}

/// `nxm_put_ip`: IPv4/IPv6 and the transport fields under them.
fn put_ip(p: &mut Put<'_>, dl_type: u128) -> Result<(), EncodeError> {
    if dl_type == eth_type::IP {
        p.field(Field::Ipv4Src)?;
        p.field(Field::Ipv4Dst)?;
    } else {
        p.field(Field::Ipv6Src)?;
        p.field(Field::Ipv6Dst)?;
    }
    let (frag, frag_mask) = p.bits(Field::IpFrag);
    let frag_mask = if frag_mask & 3 == 3 {
        0xff
    } else {
        frag_mask & 3
    };
    p.masked(Field::IpFrag, frag, frag_mask, &[Field::IpFrag])?;

    let (tos, tos_mask) = p.bits(Field::IpDscp);
    if tos_mask & IP_DSCP_MASK != 0 {
        if p.headers.is_oxm() {
            p.exact(Field::IpDscpShifted, tos >> 2, &[Field::IpDscp])?;
        } else {
            p.exact(Field::IpDscp, tos & IP_DSCP_MASK, &[Field::IpDscp])?;
        }
    }
    p.field_exact(Field::IpEcn)?;
    p.field_exact(Field::IpTtl)?;
    p.field(Field::Ipv6Label)?;

    if p.bits(Field::IpProto).1 == 0 {
        return Ok(());
    }
    p.field_exact(Field::IpProto)?;
    let proto = p.m.value_of(Field::IpProto);
    match proto {
        6 => {
            p.field(Field::TcpSrc)?;
            p.field(Field::TcpDst)?;
            p.field(Field::TcpFlags)?;
        }
        17 => {
            p.field(Field::UdpSrc)?;
            p.field(Field::UdpDst)?;
        }
        132 => {
            p.field(Field::SctpSrc)?;
            p.field(Field::SctpDst)?;
        }
        1 if dl_type == eth_type::IP => {
            p.field_exact(Field::Icmpv4Type)?;
            p.field_exact(Field::Icmpv4Code)?;
        }
        58 if dl_type == eth_type::IPV6 => {
            p.field_exact(Field::Icmpv6Type)?;
            p.field_exact(Field::Icmpv6Code)?;
            let ty = p.m.value_of(Field::Icmpv6Type);
            let is_nd = p.m.value_of(Field::Icmpv6Code) == 0 && matches!(ty, 135 | 136);
            if is_nd {
                p.field_exact(Field::NdReserved)?;
                p.field(Field::NdTarget)?;
                p.field_exact(Field::NdOptionsType)?;
                if ty == 135 {
                    p.field(Field::NdSll)?;
                } else {
                    p.field(Field::NdTll)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
