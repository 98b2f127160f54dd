//! What the match tells the action parser: OVS's `ofpacts_check` and the `check_*` functions
//! of `lib/ofp-actions.c`, as far as they decide what `ovs-ofctl` sends in OpenFlow 1.1+.
//!
//! OVS walks the actions over a copy of the match's flow values (`packet_type`, `dl_type`,
//! `nw_proto`, the VLAN headers), updating them as actions change the packet (push/pop VLAN,
//! push/pop MPLS, a `set_field` of `vlan_tci`), and
//! - annotates actions whose OpenFlow 1.2+ form depends on the match: `mod_vlan_vid` /
//!   `mod_vlan_pcp` push an 802.1Q header first when the packet has none; `mod_tp_src` /
//!   `mod_tp_dst` become a `set_field` of `tcp_*`, `udp_*` or `sctp_*` by `nw_proto`
//!   (the OpenFlow 1.1 `OFPAT_SET_TP_*` action otherwise);
//! - calls an action that does not fit the match (`mod_nw_ttl` without `ip`/`ipv6`,
//!   `set_mpls_*` without `mpls`, ...) "inconsistent", which only OpenFlow 1.0 tolerates, so
//!   `ovs-ofctl -O OpenFlow13|OpenFlow15` refuses the flow ("no usable protocol"). Inside
//!   `write_actions` inconsistencies are tolerated (OVS cannot check an action set).
//!
//! Nested lists (`clone`, `ct(exec)`, `write_actions`) see the state at their position and
//! their changes are dropped afterwards, as OVS restores the flow after checking them.
//!
//! Without a match (`parse_instructions`), the state is the empty match's and inconsistencies
//! are not reported, since the caller did not say what the flow matches.

use crate::ofproto::codec::field::{Field, Prereq};
use crate::ofproto::codec::Match;
use crate::ofproto::text::{ParseError, ParseErrorKind};

/// `VLAN_CFI`: the "a VLAN header is present" bit of a TCI value.
const VLAN_CFI: u16 = 0x1000;
const ETH_TYPE_IP: u16 = 0x0800;
const ETH_TYPE_IPV6: u16 = 0x86dd;

/// The flow values OVS's action checks read and update.
#[derive(Clone, Debug, Default)]
pub(crate) struct FlowFacts {
    /// `flow->packet_type` (0 = Ethernet).
    packet_type: u32,
    /// `flow->dl_type`.
    dl_type: u16,
    /// `flow->nw_proto`.
    nw_proto: u8,
    /// The match requires a later fragment (`nw_frag=later`).
    later_fragment: bool,
    /// `flow->vlans[].tci`, outermost first (OVS tracks two headers).
    vlans: [u16; 2],
    /// Match-only prerequisites OVS also checks (`ct_state` tracked, ND type and code).
    ct_ok: bool,
    nd: [bool; 3],
    /// A match was given: field prerequisites are checked (`OFPBAC_MATCH_INCONSISTENT`).
    known: bool,
    /// Report inconsistencies (a match was given and we are not in an action set).
    strict: bool,
}

impl FlowFacts {
    /// The state for actions of a flow with match `m`.
    pub(crate) fn of_match(m: &Match) -> FlowFacts {
        FlowFacts {
            packet_type: m.value_of(Field::PacketType) as u32,
            dl_type: m.value_of(Field::EthType) as u16,
            nw_proto: m.nw_proto() as u8,
            later_fragment: m.value_of(Field::IpFrag) & 2 != 0,
            vlans: [m.value_of(Field::VlanTci) as u16, 0],
            ct_ok: m.prereq_ok(Prereq::Ct),
            nd: [
                m.prereq_ok(Prereq::Nd),
                m.prereq_ok(Prereq::NdSolicit),
                m.prereq_ok(Prereq::NdAdvert),
            ],
            known: true,
            strict: true,
        }
    }

    /// The state for a bare action list: the empty match, inconsistencies not reported.
    pub(crate) fn unknown() -> FlowFacts {
        FlowFacts::default()
    }

    /// The state inside `write_actions(...)`: the same values, inconsistencies tolerated.
    pub(crate) fn for_action_set(&self) -> FlowFacts {
        FlowFacts {
            strict: false,
            ..self.clone()
        }
    }

    /// `get_dl_type`: the Ethertype of an Ethernet packet or of a `(1,type)` packet type.
    fn dl_type(&self) -> u16 {
        if self.packet_type == 0 {
            self.dl_type
        } else if self.packet_type >> 16 == 1 {
            self.packet_type as u16
        } else {
            0
        }
    }

    /// `is_ip_any`.
    pub(crate) fn is_ip_any(&self) -> bool {
        matches!(self.dl_type(), ETH_TYPE_IP | ETH_TYPE_IPV6)
    }

    /// The packet is IPv4.
    pub(crate) fn is_ipv4(&self) -> bool {
        self.dl_type() == ETH_TYPE_IP
    }

    /// The packet is MPLS.
    pub(crate) fn is_mpls(&self) -> bool {
        matches!(self.dl_type(), 0x8847 | 0x8848)
    }

    /// The packet has a VLAN header.
    pub(crate) fn has_vlan(&self) -> bool {
        self.vlans[0] & VLAN_CFI != 0
    }

    /// `check_set_l4_port`: an IP packet whose transport is TCP, UDP or SCTP, not a later
    /// fragment.
    pub(crate) fn l4_consistent(&self) -> bool {
        self.is_ip_any() && !self.later_fragment && matches!(self.nw_proto, 6 | 17 | 132)
    }

    /// `flow->nw_proto` (for `mod_tp_*`'s field choice).
    pub(crate) fn nw_proto(&self) -> u8 {
        self.nw_proto
    }

    /// `is_l4` of the prerequisite check.
    fn is_l4(&self, proto: u8) -> bool {
        self.is_ip_any() && self.nw_proto == proto && !self.later_fragment
    }

    /// `mf_are_prereqs_ok` on the current flow.
    fn prereq_ok(&self, p: Prereq) -> bool {
        let dl_type = self.dl_type();
        let icmpv6 = dl_type == ETH_TYPE_IPV6 && self.nw_proto == 58;
        match p {
            Prereq::None => true,
            Prereq::Ethernet => self.packet_type == 0,
            Prereq::Arp => matches!(dl_type, 0x0806 | 0x8035),
            Prereq::Ipv4 => dl_type == ETH_TYPE_IP,
            Prereq::Ipv6 => dl_type == ETH_TYPE_IPV6,
            Prereq::VlanVid => self.packet_type == 0 && self.has_vlan(),
            Prereq::Mpls => self.is_mpls(),
            Prereq::IpAny => self.is_ip_any(),
            Prereq::Nsh => dl_type == 0x894f,
            Prereq::Ct => self.ct_ok,
            Prereq::Tcp => self.is_l4(6),
            Prereq::Udp => self.is_l4(17),
            Prereq::Sctp => self.is_l4(132),
            Prereq::Icmpv4 => dl_type == ETH_TYPE_IP && self.nw_proto == 1,
            Prereq::Icmpv6 => icmpv6,
            Prereq::Nd => icmpv6 && self.nd[0],
            Prereq::NdSolicit => icmpv6 && self.nd[1],
            Prereq::NdAdvert => icmpv6 && self.nd[2],
        }
    }

    /// `check_SET_FIELD` / `mf_check_src` / `mf_check_dst`: a field read or written by an
    /// action must have its prerequisites in the flow (and `vlan_vid` a VLAN header);
    /// otherwise OVS refuses the flow with `OFPBAC_MATCH_INCONSISTENT`, in any version.
    pub(crate) fn check_field(&self, field: Field, action: &str) -> Result<(), ParseError> {
        if !self.known {
            return Ok(());
        }
        let ok =
            self.prereq_ok(field.info().prereq) && (field != Field::VlanVid || self.has_vlan());
        if ok {
            Ok(())
        } else {
            Err(ParseError::new(
                action,
                ParseErrorKind::FieldPrerequisite(field.name()),
            ))
        }
    }

    /// `inconsistent_match`: an error for `action` unless inconsistencies are tolerated here.
    pub(crate) fn require(&self, consistent: bool, action: &str) -> Result<(), ParseError> {
        if consistent || !self.strict {
            Ok(())
        } else {
            Err(ParseError::new(
                action,
                ParseErrorKind::InconsistentWithMatch,
            ))
        }
    }

    /// `check_PUSH_VLAN`: a third VLAN header is `OFPBAC_BAD_TAG`.
    pub(crate) fn push_vlan(&mut self, action: &str) -> Result<(), ParseError> {
        if self.vlans[1] & VLAN_CFI != 0 {
            return Err(ParseError::new(
                action,
                ParseErrorKind::Syntax("at most two VLAN headers (OFPBAC_BAD_TAG)".to_owned()),
            ));
        }
        self.vlans = [VLAN_CFI, self.vlans[0]];
        Ok(())
    }

    /// `check_SET_VLAN_VID` / `check_SET_VLAN_PCP` after the encoding decision: the packet
    /// has a VLAN header from here on.
    pub(crate) fn mark_vlan(&mut self) {
        self.vlans[0] |= VLAN_CFI;
    }

    /// `check_STRIP_VLAN`.
    pub(crate) fn pop_vlan(&mut self, action: &str) -> Result<(), ParseError> {
        self.require(self.has_vlan(), action)?;
        self.vlans = [self.vlans[1], 0];
        Ok(())
    }

    /// A `set_field` of `vlan_tci` may add or remove the header (`check_SET_FIELD`).
    pub(crate) fn set_vlan_tci(&mut self, tci: u16) {
        self.vlans[0] = tci;
    }

    /// `check_PUSH_MPLS`: the packet is MPLS with an opaque payload.
    pub(crate) fn push_mpls(&mut self, ethertype: u16, action: &str) -> Result<(), ParseError> {
        self.require(self.packet_type == 0, action)?;
        self.dl_type = ethertype;
        self.nw_proto = 0;
        Ok(())
    }

    /// `check_POP_MPLS`: the packet has `ethertype` after the pop.
    pub(crate) fn pop_mpls(&mut self, ethertype: u16, action: &str) -> Result<(), ParseError> {
        self.require(self.packet_type == 0 && self.is_mpls(), action)?;
        self.dl_type = ethertype;
        Ok(())
    }
}
