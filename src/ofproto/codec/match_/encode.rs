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
//! - Unmodelled TLVs: tunnel metadata among the tunnel fields (as `tun_metadata_to_nx_match`),
//!   every other one after all modelled fields, each group in [`Match::unknown`] order.
//!
//! A constraint that `nx_put_raw` would silently skip (its prerequisites are not matched, or it
//! has no wire header) makes encoding fail instead of producing a different flow. The exception
//! is `vlan_tci` in OXM, written exactly as OVS writes it (see [`Match::has_exact_oxm_form`]).
//!
//! Speed: the encoder visits only the fields the match has. [`ORDER`] lists the canonical fields
//! in `nx_put_raw` order; the match's presence bitmap is mapped to a bitmap of positions in that
//! list and walked once, lowest position first. Headers come from a per-version table built
//! once ([`wire_headers`]).

use super::canon::{IP_DSCP_MASK, REGS, VLAN_CFI, VLAN_PCP_MASK, VLAN_VID_MASK, XREGS};
use super::prereq::eth_type;
use super::{is_tun_metadata, width_ones, FieldSet, Match};
use crate::ofproto::codec::buf::{pad_to, patch_u16};
use crate::ofproto::codec::field::{Field, Prereq, FIELD_COUNT};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{EncodeError, Version};
use bytes::{BufMut, BytesMut};
use std::sync::OnceLock;

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

    fn table_index(self) -> usize {
        match self {
            Headers::Nxm => 0,
            Headers::Oxm(Version::Of13) => 1,
            Headers::Oxm(Version::Of15) => 2,
        }
    }
}

/// The wire header OVS writes for one field in one header family, precomputed.
#[derive(Clone, Copy, Debug)]
struct WireHeader {
    /// Unmasked header.
    exact: u32,
    /// Masked header (`hasmask` set, doubled value length).
    masked: u32,
    /// Experimenter id for class 0xffff.
    experimenter: Option<u32>,
    /// Whether writing the field implies Ethernet (`prereqs != MFP_NONE`).
    implies_ethernet: bool,
}

/// Headers of every field for NXM, OpenFlow 1.3 and OpenFlow 1.5 (`None`: no header).
type HeaderTable = [[Option<WireHeader>; FIELD_COUNT]; 3];

fn wire_headers(headers: Headers) -> &'static [Option<WireHeader>; FIELD_COUNT] {
    static TABLE: OnceLock<Box<HeaderTable>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = Box::new([[None; FIELD_COUNT]; 3]);
        for f in Field::all() {
            for (i, h) in [
                f.nxm_header(),
                f.header_for(Version::Of13),
                f.header_for(Version::Of15),
            ]
            .into_iter()
            .enumerate()
            {
                t[i][f as usize] = h.map(|a| WireHeader {
                    exact: a.header(false).0,
                    masked: a.header(true).0,
                    experimenter: (a.class == 0xffff).then_some(a.experimenter),
                    implies_ethernet: f.info().prereq != Prereq::None,
                });
            }
        }
        t
    });
    &table[headers.table_index()]
}

/// The canonical fields in the order `nx_put_raw` writes them. Fields that are mutually
/// exclusive by prerequisite (IPv4/IPv6/ARP, the transport protocols) sit where their branch
/// of `nx_put_raw` writes them. Unmodelled tunnel metadata goes just before [`TUN_EXTRA_POS`].
const ORDER: [Field; 98] = {
    use Field::*;
    [
        PacketType,
        DpHash,
        RecircId,
        ConjId,
        InPort,
        ActsetOutput,
        EthSrc,
        EthDst,
        EthType,
        VlanTci,
        MplsTc,
        MplsBos,
        MplsTtl,
        MplsLabel,
        // nxm_put_ip
        Ipv4Src,
        Ipv4Dst,
        Ipv6Src,
        Ipv6Dst,
        IpFrag,
        IpDscp,
        IpEcn,
        IpTtl,
        Ipv6Label,
        IpProto,
        TcpSrc,
        TcpDst,
        TcpFlags,
        UdpSrc,
        UdpDst,
        SctpSrc,
        SctpDst,
        Icmpv4Type,
        Icmpv4Code,
        Icmpv6Type,
        Icmpv6Code,
        NdReserved,
        NdTarget,
        NdOptionsType,
        NdSll,
        NdTll,
        // ARP
        ArpOp,
        ArpSpa,
        ArpTpa,
        ArpSha,
        ArpTha,
        // Tunnel
        TunId,
        TunFlags,
        TunSrc,
        TunDst,
        TunIpv6Src,
        TunIpv6Dst,
        TunGbpId,
        TunGbpFlags,
        // (tunnel metadata)
        TunErspanIdx,
        TunErspanVer,
        TunErspanDir,
        TunErspanHwid,
        TunGtpuFlags,
        TunGtpuMsgtype,
        NshFlags,
        NshTtl,
        NshMdtype,
        NshNp,
        NshSpi,
        NshSi,
        NshC1,
        NshC2,
        NshC3,
        NshC4,
        Reg0,
        Reg1,
        Reg2,
        Reg3,
        Reg4,
        Reg5,
        Reg6,
        Reg7,
        Reg8,
        Reg9,
        Reg10,
        Reg11,
        Reg12,
        Reg13,
        Reg14,
        Reg15,
        PktMark,
        CtState,
        CtZone,
        CtMark,
        CtLabel,
        CtNwSrc,
        CtIpv6Src,
        CtNwDst,
        CtIpv6Dst,
        CtNwProto,
        CtTpSrc,
        CtTpDst,
        Metadata,
    ]
};

/// Position of `TunErspanIdx` in [`ORDER`]: tunnel metadata TLVs are written just before it.
const TUN_EXTRA_POS: u32 = 53;

/// Not in [`ORDER`] (no wire header, or folded into another field).
const NOT_WRITTEN: u8 = u8::MAX;

/// For each field, its position in [`ORDER`] or [`NOT_WRITTEN`].
const POSITION: [u8; FIELD_COUNT] = {
    let mut pos = [NOT_WRITTEN; FIELD_COUNT];
    let mut i = 0;
    while i < ORDER.len() {
        pos[ORDER[i] as usize] = i as u8;
        i += 1;
    }
    pos
};

const _: () = assert!(ORDER[TUN_EXTRA_POS as usize] as u8 == Field::TunErspanIdx as u8);
const _: () = assert!(ORDER.len() <= 128, "positions are a 128-bit set");

/// What the whole match says about the packet, computed once (OVS reads it from `flow`).
struct Shape {
    dl_type: u128,
    ip: bool,
    arp: bool,
    mpls: bool,
    /// `nw_proto` when IP and matched, else `None` (no transport fields written).
    proto: Option<u128>,
    /// ICMPv6 neighbour discovery type (135 or 136) when the match is ND.
    nd_type: Option<u128>,
}

struct Put<'a> {
    m: &'a Match,
    out: &'a mut BytesMut,
    headers: Headers,
    table: &'static [Option<WireHeader>; FIELD_COUNT],
    implied_ethernet: bool,
    /// Present fields nx_put_raw would not write.
    declined: FieldSet,
}

impl Put<'_> {
    /// `nxm_put__`: writes `wire` = `value` (with `mask` unless `None`).
    fn raw(&mut self, wire: Field, value: u128, mask: Option<u128>) -> Result<(), EncodeError> {
        let Some(h) = self.table.get(wire as usize).copied().flatten() else {
            return Err(EncodeError::BadValue {
                what: "match",
                problem: format!("{} has no OXM/NXM header", wire.name()),
            });
        };
        let n = wire.n_bytes();
        self.out
            .put_u32(if mask.is_some() { h.masked } else { h.exact });
        if let Some(e) = h.experimenter {
            self.out.put_u32(e);
        }
        put_uint(self.out, value, n);
        if let Some(mask) = mask {
            put_uint(self.out, mask, n);
        }
        self.implied_ethernet |= h.implies_ethernet;
        Ok(())
    }

    /// `nxm_put_<n>m`: writes `wire` unless `mask` is zero, masked unless all-ones.
    fn masked(&mut self, wire: Field, value: u128, mask: u128) -> Result<(), EncodeError> {
        if mask == 0 {
            return Ok(());
        }
        let full = width_ones(wire.n_bytes());
        self.raw(wire, value, (mask != full).then_some(mask))
    }

    /// Writes canonical field `f` from the match, masked as stored.
    fn field(&mut self, f: Field) -> Result<(), EncodeError> {
        let (v, m) = self.m.bits(f);
        self.masked(f, v, m)
    }

    /// Writes canonical field `f` exactly (it is constrained).
    fn field_exact(&mut self, f: Field) -> Result<(), EncodeError> {
        let v = self.m.value_of(f);
        self.raw(f, v, None)
    }

    /// Writes `f` as `write` does when `allowed`, else records that it cannot be written.
    fn field_if(
        &mut self,
        f: Field,
        allowed: bool,
        write: fn(&mut Self, Field) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        if allowed {
            write(self, f)
        } else {
            self.declined.insert(f);
            Ok(())
        }
    }

    fn unknowns(&mut self, tun_metadata: bool) {
        for raw in self.m.unknown.iter() {
            if is_tun_metadata(raw.header) == tun_metadata {
                self.out.put_u32(raw.header.0);
                self.out.put_slice(&raw.payload);
            }
        }
    }
}

/// Appends the low `n` bytes of `v`, big-endian.
fn put_uint(out: &mut BytesMut, v: u128, n: usize) {
    match n {
        1 => out.put_u8(v as u8),
        2 => out.put_u16(v as u16),
        4 => out.put_u32(v as u32),
        8 => out.put_u64(v as u64),
        16 => out.put_u128(v),
        _ => out.put_slice(v.to_be_bytes().get(16 - n.min(16)..).unwrap_or_default()),
    }
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

    /// False when the OXM form of this match (OpenFlow 1.2+) reads back, in OVS as here, as a
    /// different match: OXM has no `vlan_tci`, only `vlan_vid` (with the CFI bit as
    /// `OFPVID_PRESENT`) and an exact `vlan_pcp` that is written only next to a VID and that
    /// sets the CFI bit. A PCP without a VID, a partial PCP mask, or a VID without CFI next to a
    /// PCP (which OVS's strict decoder then refuses) cannot be said. Such matches come only from
    /// NXM (`NXM_OF_VLAN_TCI`); the encoder writes them as OVS's `nx_put_raw` does, byte for
    /// byte, so this is the one exception to `decode(encode(m)) == m` (see the module docs).
    pub fn has_exact_oxm_form(&self) -> bool {
        let (tci, mask) = self.bits(Field::VlanTci);
        let vid_cfi = VLAN_VID_MASK | VLAN_CFI;
        let (vid, vid_mask) = (tci & vid_cfi, mask & vid_cfi);
        let (mut back, mut back_mask) = (vid, vid_mask);
        if vid != 0 && mask & VLAN_PCP_MASK != 0 {
            back |= tci & VLAN_PCP_MASK | VLAN_CFI;
            back_mask |= VLAN_PCP_MASK | VLAN_CFI;
        }
        (back, back_mask) == (tci, mask)
    }

    /// What `nx_put_raw` reads from `flow` to decide which branches to take.
    fn shape(&self) -> Shape {
        let dl_type = self.dl_type();
        let ip = matches!(dl_type, eth_type::IP | eth_type::IPV6);
        let proto =
            (ip && self.present.contains(Field::IpProto)).then(|| self.value_of(Field::IpProto));
        let icmpv6 = proto == Some(58) && dl_type == eth_type::IPV6;
        let ty = self.value_of(Field::Icmpv6Type);
        let nd = icmpv6 && self.value_of(Field::Icmpv6Code) == 0 && matches!(ty, 135 | 136);
        Shape {
            dl_type,
            ip,
            arp: matches!(dl_type, eth_type::ARP | eth_type::RARP),
            mpls: matches!(dl_type, eth_type::MPLS | eth_type::MPLS_MCAST),
            proto,
            nd_type: nd.then_some(ty),
        }
    }

    /// `nx_put_raw` without the cookie.
    pub fn encode_tlvs(&self, out: &mut BytesMut, headers: Headers) -> Result<(), EncodeError> {
        let start = out.len();
        // Every TLV is at most an 8-byte header and a 16-byte value and mask.
        let unknown_len: usize = self.unknown.iter().map(|r| 4 + r.payload.len()).sum();
        out.reserve(8 + self.entries.len() * 40 + unknown_len);

        // The positions in ORDER of the fields present.
        let mut todo = 0u128;
        let mut declined = FieldSet::default();
        let mut bits = self.present.0;
        while bits != 0 {
            let f = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            match POSITION.get(f) {
                Some(&p) if p != NOT_WRITTEN => todo |= 1 << p,
                _ => declined.0 |= 1 << f,
            }
        }
        let has_tun_metadata = self.unknown.iter().any(|r| is_tun_metadata(r.header));

        let shape = self.shape();
        let mut p = Put {
            m: self,
            out,
            headers,
            table: wire_headers(headers),
            implied_ethernet: false,
            declined,
        };
        let (pt, pt_mask) = self.bits(Field::PacketType);
        let mut tun_metadata_done = !has_tun_metadata;
        while todo != 0 {
            let pos = todo.trailing_zeros();
            todo &= todo - 1;
            if !tun_metadata_done && pos >= TUN_EXTRA_POS {
                p.unknowns(true);
                tun_metadata_done = true;
            }
            let f = ORDER[pos as usize];
            put_field(&mut p, f, &shape, (pt, pt_mask))?;
        }
        if !tun_metadata_done {
            p.unknowns(true);
        }

        // OVS's match has packet_type=eth when set explicitly or implied by a field with a
        // prerequisite (`match_add_ethernet_prereq`); we store only the explicit one.
        let implied = pt_mask == 0 && self.implies_ethernet();
        let default_pt = (pt == 0 && pt_mask == 0xffff_ffff) || implied;
        if default_pt && !p.implied_ethernet {
            // `ofpbuf_insert` at the start of the match: rare (nothing else implies Ethernet).
            let mut pt_tlv = BytesMut::with_capacity(8);
            let mut q = Put {
                m: self,
                out: &mut pt_tlv,
                headers,
                table: p.table,
                implied_ethernet: false,
                declined: FieldSet::default(),
            };
            q.raw(Field::PacketType, 0, None)?;
            let tail = p.out.split_off(start);
            p.out.extend_from_slice(&pt_tlv);
            p.out.extend_from_slice(&tail);
        }
        p.unknowns(false);

        let declined = p.declined;
        if let Some(e) = self.entries.iter().find(|e| declined.contains(e.field)) {
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

/// Writes present canonical field `f` as `nx_put_raw` does at its place, or records that it
/// would be skipped.
fn put_field(
    p: &mut Put<'_>,
    f: Field,
    s: &Shape,
    (pt, pt_mask): (u128, u128),
) -> Result<(), EncodeError> {
    use Field::*;
    let l4 = |proto: u128| s.proto == Some(proto);
    match f {
        PacketType => {
            if !(pt == 0 && pt_mask == 0xffff_ffff) {
                p.masked(PacketType, pt, pt_mask)?;
            }
            Ok(())
        }
        RecircId | ConjId | ActsetOutput => p.field_exact(f),
        InPort => {
            let port = p.m.value_of(InPort);
            if p.headers.is_oxm() {
                p.raw(InPortOxm, PortNo(port as u16).to_ofp11() as u128, None)
            } else {
                p.raw(InPort, port, None)
            }
        }
        VlanTci => put_vlan(p),
        MplsTc | MplsBos | MplsTtl | MplsLabel => p.field_if(f, s.mpls, Put::field_exact),
        Ipv4Src | Ipv4Dst => p.field_if(f, s.ip && s.dl_type == eth_type::IP, Put::field),
        Ipv6Src | Ipv6Dst => p.field_if(f, s.ip && s.dl_type != eth_type::IP, Put::field),
        IpFrag if s.ip => {
            let (frag, mask) = p.m.bits(IpFrag);
            let mask = if mask & 3 == 3 { 0xff } else { mask & 3 };
            if mask == 0 {
                p.declined.insert(f);
                return Ok(());
            }
            p.masked(IpFrag, frag, mask)
        }
        IpDscp if s.ip => {
            let (tos, mask) = p.m.bits(IpDscp);
            if mask & IP_DSCP_MASK == 0 {
                p.declined.insert(f);
                Ok(())
            } else if p.headers.is_oxm() {
                p.raw(IpDscpShifted, tos >> 2, None)
            } else {
                p.raw(IpDscp, tos & IP_DSCP_MASK, None)
            }
        }
        IpEcn | IpTtl | IpProto => p.field_if(f, s.ip, Put::field_exact),
        Ipv6Label => p.field_if(f, s.ip, Put::field),
        TcpSrc | TcpDst | TcpFlags => p.field_if(f, l4(6), Put::field),
        UdpSrc | UdpDst => p.field_if(f, l4(17), Put::field),
        SctpSrc | SctpDst => p.field_if(f, l4(132), Put::field),
        Icmpv4Type | Icmpv4Code => {
            p.field_if(f, l4(1) && s.dl_type == eth_type::IP, Put::field_exact)
        }
        Icmpv6Type | Icmpv6Code => {
            p.field_if(f, l4(58) && s.dl_type == eth_type::IPV6, Put::field_exact)
        }
        NdReserved | NdOptionsType => p.field_if(f, s.nd_type.is_some(), Put::field_exact),
        NdTarget => p.field_if(f, s.nd_type.is_some(), Put::field),
        NdSll => p.field_if(f, s.nd_type == Some(135), Put::field),
        NdTll => p.field_if(f, s.nd_type == Some(136), Put::field),
        ArpOp => p.field_if(f, s.arp, Put::field_exact),
        ArpSpa | ArpTpa | ArpSha | ArpTha => p.field_if(f, s.arp, Put::field),
        CtNwProto | CtTpSrc | CtTpDst => {
            let allowed = p.m.value_of(CtNwProto) != 0;
            p.field_if(f, allowed, Put::field)
        }
        Reg0 | Reg1 | Reg2 | Reg3 | Reg4 | Reg5 | Reg6 | Reg7 | Reg8 | Reg9 | Reg10 | Reg11
        | Reg12 | Reg13 | Reg14 | Reg15
            if p.headers == Headers::Oxm(Version::Of15) =>
        {
            let i = f as usize - Reg0 as usize;
            let pair = i / 2;
            if i % 2 == 1 && p.m.present.contains(REGS[2 * pair]) {
                // Written with the even register of its pair.
                return Ok(());
            }
            let (hi, hi_m) = p.m.bits(REGS[2 * pair]);
            let (lo, lo_m) = p.m.bits(REGS[2 * pair + 1]);
            p.masked(XREGS[pair], hi << 32 | lo, hi_m << 32 | lo_m)
        }
        IpFrag | IpDscp => {
            p.declined.insert(f);
            Ok(())
        }
        // Ethernet, tunnel, NSH, registers (NXM and OpenFlow 1.3), conntrack, metadata,
        // dp_hash: written masked as stored, unconditionally.
        _ => p.field(f),
    }
}

/// The 802.1Q part of `nx_put_raw`.
fn put_vlan(p: &mut Put<'_>) -> Result<(), EncodeError> {
    let (tci, mask) = p.m.bits(Field::VlanTci);
    if !p.headers.is_oxm() {
        return p.masked(Field::VlanTci, tci, mask);
    }
    // OXM cannot say everything `vlan_tci` can (see [`Match::has_exact_oxm_form`]); OVS
    // writes what it can and drops the rest, and so do we, to stay byte-identical.
    let vid_cfi = VLAN_VID_MASK | VLAN_CFI;
    let vid = tci & vid_cfi;
    let vid_mask = mask & vid_cfi;
    let with_pcp = vid != 0 && mask & VLAN_PCP_MASK != 0;
    if vid_mask == vid_cfi {
        p.raw(Field::VlanVid, vid, None)?;
    } else if vid_mask != 0 {
        p.raw(Field::VlanVid, vid, Some(vid_mask))?;
    }
    if with_pcp {
        p.raw(Field::VlanPcp, (tci & VLAN_PCP_MASK) >> 13, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod order_tests {
    use super::*;
    use crate::ofproto::codec::match_::canon::is_canonical;

    /// Every canonical field with a wire header has a place in nx_put_raw's order.
    #[test]
    fn every_writable_canonical_field_has_a_position() {
        for f in Field::all() {
            let writable = is_canonical(f) && f.nxm_header().is_some();
            assert_eq!(
                POSITION[f as usize] != NOT_WRITTEN,
                writable,
                "{}",
                f.name()
            );
        }
    }
}
