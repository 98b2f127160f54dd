//! Field prerequisites, evaluated as OVS's `mf_are_match_prereqs_ok` does
//! (`lib/meta-flow.c::mf_are_prereqs_ok__` with the `is_*` helpers of `lib/flow.h`): on the
//! values the match requires, an unconstrained field reading as zero.

use super::canon::slot_fields;
use super::Match;
use crate::ofproto::codec::field::{Field, Prereq};

/// A field is present without what it requires (`nw_src` without `ip`, `tcp_dst` without
/// `tcp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} requires {needs}", field = field.name(), needs = prereq_text(*needs))]
pub struct PrereqError {
    /// The field whose prerequisite is missing.
    pub field: Field,
    /// What it needs.
    pub needs: Prereq,
}

/// How ovs-ofctl users write a prerequisite.
pub fn prereq_text(p: Prereq) -> &'static str {
    match p {
        Prereq::None => "nothing",
        Prereq::Ethernet => "an Ethernet packet type",
        Prereq::Arp => "arp or rarp",
        Prereq::VlanVid => "a VLAN header (vlan_tci with the CFI bit)",
        Prereq::Ipv4 => "ip",
        Prereq::Ipv6 => "ipv6",
        Prereq::IpAny => "ip or ipv6",
        Prereq::Nsh => "dl_type=0x894f (NSH)",
        Prereq::Ct => "a valid conntrack state (ct_state with +trk and one of new/est/rel/rpl/snat/dnat, or -inv)",
        Prereq::Mpls => "mpls or mplsm",
        Prereq::Tcp => "tcp or tcp6 (and not a later fragment)",
        Prereq::Udp => "udp or udp6 (and not a later fragment)",
        Prereq::Sctp => "sctp or sctp6 (and not a later fragment)",
        Prereq::Icmpv4 => "icmp",
        Prereq::Icmpv6 => "icmp6",
        Prereq::Nd => "icmp6 with icmp_type=135 or 136 and icmp_code=0",
        Prereq::NdSolicit => "icmp6 with icmp_type=135 and icmp_code=0",
        Prereq::NdAdvert => "icmp6 with icmp_type=136 and icmp_code=0",
    }
}

/// `CS_*` conntrack state bits (`lib/packets.h`).
const CS_NEW: u128 = 0x01;
const CS_ESTABLISHED: u128 = 0x02;
const CS_RELATED: u128 = 0x04;
const CS_REPLY_DIR: u128 = 0x08;
const CS_INVALID: u128 = 0x10;
const CS_TRACKED: u128 = 0x20;
const CS_SRC_NAT: u128 = 0x40;
const CS_DST_NAT: u128 = 0x80;

/// Ethertypes the prerequisites test.
pub(crate) mod eth_type {
    pub const IP: u128 = 0x0800;
    pub const ARP: u128 = 0x0806;
    pub const RARP: u128 = 0x8035;
    pub const IPV6: u128 = 0x86dd;
    pub const MPLS: u128 = 0x8847;
    pub const MPLS_MCAST: u128 = 0x8848;
    pub const NSH: u128 = 0x894f;
}

impl Match {
    /// The packet type the match requires (`PT_ETH` = 0 when unconstrained).
    pub(crate) fn packet_type(&self) -> u128 {
        self.value_of(Field::PacketType)
    }

    /// OVS's `get_dl_type`: the Ethertype for Ethernet packets, the packet type's Ethertype for
    /// `(1, type)` packet types, else 0.
    pub(crate) fn dl_type(&self) -> u128 {
        let pt = self.packet_type();
        if pt == 0 {
            self.value_of(Field::EthType)
        } else if pt >> 16 == 1 {
            pt & 0xffff
        } else {
            0
        }
    }

    /// The value of the storage slot `f` belongs to (e.g. `tp_src` for `udp_src`).
    pub(crate) fn slot_value(&self, f: Field) -> u128 {
        match slot_fields(f) {
            Some(slot) => slot.iter().map(|&g| self.value_of(g)).fold(0, |a, b| a | b),
            None => self.value_of(f),
        }
    }

    /// `flow->nw_proto` (shared by `ip_proto` and `arp_op`).
    pub(crate) fn nw_proto(&self) -> u128 {
        self.slot_value(Field::IpProto)
    }

    /// `is_ip_any`.
    pub(crate) fn is_ip_any(&self) -> bool {
        matches!(self.dl_type(), eth_type::IP | eth_type::IPV6)
    }

    fn is_l4(&self, proto: u128) -> bool {
        self.is_ip_any() && self.nw_proto() == proto && self.value_of(Field::IpFrag) & 2 == 0
    }

    fn is_icmpv6(&self) -> bool {
        self.dl_type() == eth_type::IPV6 && self.nw_proto() == 58
    }

    fn is_nd(&self) -> bool {
        self.is_icmpv6()
            && self.slot_value(Field::TcpDst) == 0
            && matches!(self.slot_value(Field::TcpSrc), 135 | 136)
    }

    /// True when the match satisfies `p` (`mf_are_prereqs_ok__` on a match).
    pub fn prereq_ok(&self, p: Prereq) -> bool {
        if p == Prereq::None {
            return true;
        }
        let dl_type = self.dl_type();
        match p {
            Prereq::None => true,
            Prereq::Ethernet => self.packet_type() == 0,
            Prereq::Arp => matches!(dl_type, eth_type::ARP | eth_type::RARP),
            Prereq::Ipv4 => dl_type == eth_type::IP,
            Prereq::Ipv6 => dl_type == eth_type::IPV6,
            Prereq::VlanVid => {
                self.packet_type() == 0 && self.value_of(Field::VlanTci) & 0x1000 != 0
            }
            Prereq::Mpls => matches!(dl_type, eth_type::MPLS | eth_type::MPLS_MCAST),
            Prereq::IpAny => self.is_ip_any(),
            Prereq::Nsh => dl_type == eth_type::NSH,
            Prereq::Ct => {
                let (state, mask) = self.bits(Field::CtState);
                state
                    & (CS_NEW
                        | CS_ESTABLISHED
                        | CS_RELATED
                        | CS_REPLY_DIR
                        | CS_SRC_NAT
                        | CS_DST_NAT)
                    != 0
                    || (state & CS_TRACKED != 0
                        && mask & CS_INVALID != 0
                        && state & CS_INVALID == 0)
            }
            Prereq::Tcp => self.is_l4(6),
            Prereq::Udp => self.is_l4(17),
            Prereq::Sctp => self.is_l4(132),
            Prereq::Icmpv4 => dl_type == eth_type::IP && self.nw_proto() == 1,
            Prereq::Icmpv6 => self.is_icmpv6(),
            Prereq::Nd => self.is_nd(),
            Prereq::NdSolicit => self.is_nd() && self.slot_value(Field::TcpSrc) == 135,
            Prereq::NdAdvert => self.is_nd() && self.slot_value(Field::TcpSrc) == 136,
        }
    }

    /// Checks every constraint's prerequisites against the whole match (order-independent,
    /// as ovs-ofctl's text parser sees it).
    pub fn check_prereqs(&self) -> Result<(), PrereqError> {
        for e in &self.entries {
            let needs = e.field.info().prereq;
            if !self.prereq_ok(needs) {
                return Err(PrereqError {
                    field: e.field,
                    needs,
                });
            }
        }
        Ok(())
    }
}
