//! Folding every way of naming a field into one canonical entry, as OVS's `mf_set`,
//! `mf_set_wild` and `mf_is_all_wild` (`lib/meta-flow.c`) do on `struct match`.
//!
//! OVS keeps one storage slot per packet property; several fields are views of the same slot:
//! - `in_port` (16-bit) and `in_port_oxm` (32-bit OpenFlow 1.1 numbering) → [`Field::InPort`];
//! - `vlan_tci`, `vlan_vid`, `vlan_pcp`, `dl_vlan`, `dl_vlan_pcp` → [`Field::VlanTci`]
//!   (`match_set_vlan_vid_masked`, `match_set_dl_vlan`, `match_set_dl_vlan_pcp`);
//! - `nw_tos` (DSCP bits in place) and `ip_dscp` (shifted) → [`Field::IpDscp`];
//! - `xreg<i>` = `reg<2i>`:`reg<2i+1>`, `xxreg<i>` = `reg<4i>`..`reg<4i+3>` → the `reg`s;
//! - `ct_state` keeps an 8-bit mask, `ip_frag` its two bits.
//!
//! Fields that share a slot but are told apart by prerequisites (`ip_src`/`arp_spa`,
//! `tcp_src`/`udp_src`/`icmp_type`, `arp_sha`/`nd_sll`, `tcp_flags`/`nd_options_type`) keep
//! their own names here; the text parser picks the right one from `dl_type`/`nw_proto` as OVS's
//! printer does, and the strict decoder cannot see two of them together.

use super::Match;
use crate::ofproto::codec::field::{Field, Prereq, WITH_PREREQ};
use crate::ofproto::codec::port::PortNo;

/// `VLAN_CFI`: a VLAN header is present.
pub(crate) const VLAN_CFI: u128 = 0x1000;
/// `VLAN_VID_MASK`.
pub(crate) const VLAN_VID_MASK: u128 = 0x0fff;
/// `VLAN_PCP_MASK`.
pub(crate) const VLAN_PCP_MASK: u128 = 0xe000;
/// `IP_DSCP_MASK` within `nw_tos`.
pub(crate) const IP_DSCP_MASK: u128 = 0xfc;

/// The sixteen 32-bit registers, in order.
pub(crate) const REGS: [Field; 16] = [
    Field::Reg0,
    Field::Reg1,
    Field::Reg2,
    Field::Reg3,
    Field::Reg4,
    Field::Reg5,
    Field::Reg6,
    Field::Reg7,
    Field::Reg8,
    Field::Reg9,
    Field::Reg10,
    Field::Reg11,
    Field::Reg12,
    Field::Reg13,
    Field::Reg14,
    Field::Reg15,
];

/// The eight 64-bit `xreg`s.
pub(crate) const XREGS: [Field; 8] = [
    Field::Xreg0,
    Field::Xreg1,
    Field::Xreg2,
    Field::Xreg3,
    Field::Xreg4,
    Field::Xreg5,
    Field::Xreg6,
    Field::Xreg7,
];

/// True for fields that [`Match`] stores as themselves (the others are folded into these).
pub fn is_canonical(f: Field) -> bool {
    !matches!(
        f,
        Field::InPortOxm
            | Field::VlanVid
            | Field::VlanPcp
            | Field::DlVlan
            | Field::DlVlanPcp
            | Field::IpDscpShifted
    ) && xreg_index(f).is_none()
        && xxreg_index(f).is_none()
}

impl Match {
    /// `mf_set` of `field` with integer value and mask (already within the field width).
    /// With `add_ethernet_prereq`, also does OVS's `match_add_ethernet_prereq`: a field with a
    /// prerequisite, even wildcarded, makes the match Ethernet-only.
    pub(super) fn set_bits(&mut self, field: Field, v: u128, m: u128, add_ethernet_prereq: bool) {
        match field {
            Field::InPortOxm => {
                let port = PortNo::from_ofp11(v as u32).unwrap_or(PortNo::ANY);
                let m = if m == 0 { 0 } else { 0xffff };
                self.put(Field::InPort, port.0 as u128, m);
            }
            Field::VlanTci => self.put(Field::VlanTci, v, m),
            Field::VlanVid | Field::DlVlan | Field::DlVlanPcp | Field::VlanPcp if m == 0 => {
                self.vlan_any(field)
            }
            Field::VlanVid => {
                let (tci, tmask) = self.bits(Field::VlanTci);
                let vid_mask = m & (VLAN_VID_MASK | VLAN_CFI);
                let tci = (tci & !(VLAN_VID_MASK | VLAN_CFI)) | (v & vid_mask);
                self.put(Field::VlanTci, tci, vid_mask | (tmask & VLAN_PCP_MASK));
            }
            Field::DlVlan => {
                if v == 0xffff {
                    self.put(Field::VlanTci, 0, 0xffff);
                } else {
                    let (tci, tmask) = self.bits(Field::VlanTci);
                    let tci = (tci & !VLAN_VID_MASK) | VLAN_CFI | (v & VLAN_VID_MASK);
                    self.put(Field::VlanTci, tci, tmask | VLAN_VID_MASK | VLAN_CFI);
                }
            }
            Field::DlVlanPcp | Field::VlanPcp => {
                let (tci, tmask) = self.bits(Field::VlanTci);
                let tci = (tci & !VLAN_PCP_MASK) | ((v & 7) << 13) | VLAN_CFI;
                self.put(Field::VlanTci, tci, tmask | VLAN_CFI | VLAN_PCP_MASK);
            }
            Field::IpDscp => {
                let m = if m == 0 { 0 } else { 0xff };
                self.put(Field::IpDscp, v & IP_DSCP_MASK, m);
            }
            Field::IpDscpShifted => {
                let m = if m == 0 { 0 } else { 0xff };
                self.put(Field::IpDscp, (v << 2) & IP_DSCP_MASK, m);
            }
            Field::CtState => self.put(Field::CtState, v, m & 0xff),
            // The setters keep only the bits the packet field has (`match_set_nw_ecn`,
            // `flow_set_mpls_*`): `nw_ecn=4` matches ECN 0.
            Field::IpEcn => self.put(field, v & 0x03, m),
            Field::MplsLabel => self.put(field, v & 0x000f_ffff, m),
            Field::MplsTc => self.put(field, v & 0x07, m),
            Field::MplsBos => self.put(field, v & 0x01, m),
            // `match_set_tun_erspan_{ver,dir,hwid}_masked` store the value as the mask (an OVS
            // quirk visible on the wire: `NXOXM_ET_ERSPAN_VER(01)` comes back as `_W(01/01)`).
            Field::TunErspanVer | Field::TunErspanDir | Field::TunErspanHwid if m != 0 => {
                self.put(field, v & m, v)
            }
            Field::TunFlags => self.put(Field::TunFlags, v, m & 1),
            // A mask covering the 20 label bits is exact (`mf_set`, MFF_IPV6_LABEL).
            Field::Ipv6Label if m & 0x000f_ffff == 0x000f_ffff => self.put(field, v, 0xffff_ffff),
            Field::IpFrag => {
                let m = if m & 3 == 3 { 0xff } else { m & 3 };
                self.put(Field::IpFrag, v & 3, m);
            }
            f if xreg_index(f).is_some() => {
                let i = xreg_index(f).unwrap_or(0);
                for half in 0..2 {
                    let shift = 32 * (1 - half);
                    let reg = REGS[2 * i + half];
                    self.put(reg, (v >> shift) & 0xffff_ffff, (m >> shift) & 0xffff_ffff);
                }
            }
            f if xxreg_index(f).is_some() => {
                let i = xxreg_index(f).unwrap_or(0);
                for quarter in 0..4 {
                    let shift = 32 * (3 - quarter);
                    let reg = REGS[4 * i + quarter];
                    self.put(reg, (v >> shift) & 0xffff_ffff, (m >> shift) & 0xffff_ffff);
                }
            }
            f => self.put(f, v, m),
        }
        if field.info().prereq != Prereq::None {
            let implied = self.implies_ethernet();
            if add_ethernet_prereq && !implied && self.bits(Field::PacketType).1 == 0 {
                self.put(Field::PacketType, 0, 0xffff_ffff);
            } else {
                self.drop_implied_packet_type();
            }
        }
        if field == Field::PacketType {
            self.drop_implied_packet_type();
        }
    }

    /// `match_set_any_vid` / `match_set_any_pcp` / clearing `vlan_tci`.
    fn vlan_any(&mut self, field: Field) {
        let (tci, tmask) = self.bits(Field::VlanTci);
        let (other, this) = match field {
            Field::VlanVid | Field::DlVlan => (VLAN_PCP_MASK, VLAN_VID_MASK),
            _ => (VLAN_VID_MASK, VLAN_PCP_MASK),
        };
        if tmask & other != 0 {
            self.put(Field::VlanTci, tci & !this, tmask & !this);
        } else {
            self.put(Field::VlanTci, 0, 0);
        }
    }

    /// Removes a `packet_type=eth` entry when another entry implies Ethernet (OVS's
    /// `match_add_ethernet_prereq` sets the same packet type implicitly).
    fn drop_implied_packet_type(&mut self) {
        if self.bits(Field::PacketType) != (0, 0xffff_ffff) {
            return;
        }
        if self.implies_ethernet() {
            self.put(Field::PacketType, 0, 0);
        }
    }

    /// True when an entry's field has a prerequisite, which makes the match Ethernet-only.
    pub(crate) fn implies_ethernet(&self) -> bool {
        self.present().0 & WITH_PREREQ != 0
    }

    /// OVS's `mf_is_all_wild`: true when no bit of the storage `field` writes is constrained.
    pub(crate) fn is_all_wild(&self, field: Field) -> bool {
        let mask = |f: Field| self.bits(f).1;
        match field {
            Field::InPort | Field::InPortOxm => mask(Field::InPort) == 0,
            Field::VlanTci => mask(Field::VlanTci) == 0,
            Field::DlVlan => mask(Field::VlanTci) & VLAN_VID_MASK == 0,
            Field::VlanVid => mask(Field::VlanTci) & (VLAN_VID_MASK | VLAN_CFI) == 0,
            Field::DlVlanPcp | Field::VlanPcp => mask(Field::VlanTci) & VLAN_PCP_MASK == 0,
            Field::IpDscp | Field::IpDscpShifted => mask(Field::IpDscp) == 0,
            f if xreg_index(f).is_some() => {
                let i = xreg_index(f).unwrap_or(0);
                mask(REGS[2 * i]) == 0 && mask(REGS[2 * i + 1]) == 0
            }
            f if xxreg_index(f).is_some() => {
                let i = xxreg_index(f).unwrap_or(0);
                (0..4).all(|q| mask(REGS[4 * i + q]) == 0)
            }
            f => match slot_fields(f) {
                Some(slot) => slot.iter().all(|&g| mask(g) == 0),
                None => mask(f) == 0,
            },
        }
    }
}

/// The fields sharing OVS's storage slot with `f` (including `f`), for fields that share one.
pub(crate) fn slot_fields(f: Field) -> Option<&'static [Field]> {
    use Field::*;
    const NW_SRC: &[Field] = &[Ipv4Src, ArpSpa];
    const NW_DST: &[Field] = &[Ipv4Dst, ArpTpa];
    const NW_PROTO: &[Field] = &[IpProto, ArpOp];
    const TP_SRC: &[Field] = &[TcpSrc, UdpSrc, SctpSrc, Icmpv4Type, Icmpv6Type];
    const TP_DST: &[Field] = &[TcpDst, UdpDst, SctpDst, Icmpv4Code, Icmpv6Code];
    const SHA: &[Field] = &[ArpSha, NdSll];
    const THA: &[Field] = &[ArpTha, NdTll];
    const TCP_FLAGS: &[Field] = &[TcpFlags, NdOptionsType];
    Some(match f {
        Ipv4Src | ArpSpa => NW_SRC,
        Ipv4Dst | ArpTpa => NW_DST,
        IpProto | ArpOp => NW_PROTO,
        TcpSrc | UdpSrc | SctpSrc | Icmpv4Type | Icmpv6Type => TP_SRC,
        TcpDst | UdpDst | SctpDst | Icmpv4Code | Icmpv6Code => TP_DST,
        ArpSha | NdSll => SHA,
        ArpTha | NdTll => THA,
        TcpFlags | NdOptionsType => TCP_FLAGS,
        _ => return None,
    })
}

/// The index of an `xreg` field.
pub(crate) fn xreg_index(f: Field) -> Option<usize> {
    use Field::*;
    Some(match f {
        Xreg0 => 0,
        Xreg1 => 1,
        Xreg2 => 2,
        Xreg3 => 3,
        Xreg4 => 4,
        Xreg5 => 5,
        Xreg6 => 6,
        Xreg7 => 7,
        _ => return None,
    })
}

/// The index of an `xxreg` field.
pub(crate) fn xxreg_index(f: Field) -> Option<usize> {
    use Field::*;
    Some(match f {
        Xxreg0 => 0,
        Xxreg1 => 1,
        Xxreg2 => 2,
        Xxreg3 => 3,
        _ => return None,
    })
}
