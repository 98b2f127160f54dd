//! Small builders for flows and the actions the pipeline uses, so the per-bridge modules read
//! like the flow listings in `docs/pipeline.md`.
//!
//! Encodings are OpenFlow 1.5's (what OVS reports back on an OpenFlow 1.5 connection, so a
//! desired flow compares equal to its dump): `set_field` (masked for register marks),
//! `copy_field` for `move:`, NX stack push/pop, NX `ct`/`nat`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::IpNetwork;

use crate::ofproto::codec::action::{Ct, CtZone, Nat, NatAddr, NatRange, Subfield};
use crate::ofproto::codec::{Action, Field, Instruction, Match, PortNo, Value};

use super::cookie::Cookie;
use super::flow::{Flow, FlowEntry, FlowKey};
use super::inputs::Mac;
use super::regs::RegMark;
use super::tables::Table;

/// `eth_type` of IPv4.
pub const ETH_IPV4: u16 = 0x0800;
/// `eth_type` of IPv6.
pub const ETH_IPV6: u16 = 0x86dd;
/// `eth_type` of ARP.
pub const ETH_ARP: u16 = 0x0806;
/// `nw_proto` of UDP.
pub const PROTO_UDP: u8 = 17;
/// `nw_proto` of ICMPv6.
pub const PROTO_ICMPV6: u8 = 58;
/// ICMPv6 neighbor solicitation.
pub const ND_SOLICIT: u8 = 135;
/// ICMPv6 neighbor advertisement.
pub const ND_ADVERT: u8 = 136;
/// Neighbor advertisement flags in `nd_reserved`: router, solicited, override.
pub const ND_FLAG_ROUTER: u32 = 0x8000_0000;
/// Solicited flag.
pub const ND_FLAG_SOLICITED: u32 = 0x4000_0000;
/// Override flag.
pub const ND_FLAG_OVERRIDE: u32 = 0x2000_0000;
/// ND option type "target link-layer address".
const ND_OPT_TARGET_LLA: u8 = 2;

/// The `eth_type` of an address family.
pub fn eth_type_of(ip: IpAddr) -> u16 {
    if ip.is_ipv4() {
        ETH_IPV4
    } else {
        ETH_IPV6
    }
}

/// A flow under construction: table, priority, cookie and the match so far.
pub struct FlowBuilder {
    table: Table,
    priority: u16,
    cookie: Cookie,
    m: Match,
}

/// Starts a flow in `table` at `priority`.
pub fn flow(table: Table, priority: u16, cookie: Cookie) -> FlowBuilder {
    FlowBuilder {
        table,
        priority,
        cookie,
        m: Match::new(),
    }
}

impl FlowBuilder {
    /// `field=value`.
    pub fn field(mut self, field: Field, value: Value) -> Self {
        self.m.set(field, value);
        self
    }

    /// `field=value/mask`.
    pub fn masked(mut self, field: Field, value: Value, mask: Value) -> Self {
        self.m.set_masked(field, value, Some(mask));
        self
    }

    /// `dl_type=…`.
    pub fn eth_type(self, t: u16) -> Self {
        self.field(Field::EthType, Value::from_u64(2, t as u64))
    }

    /// `ip` or `ipv6`, for the family of `ip`.
    pub fn family_of(self, ip: IpAddr) -> Self {
        self.eth_type(eth_type_of(ip))
    }

    /// `in_port=…`.
    pub fn in_port(self, port: PortNo) -> Self {
        self.field(Field::InPort, Value::from_u64(2, port.0 as u64))
    }

    /// `icmp6,icmp_type=T,icmp_code=0`.
    pub fn icmp6(self, icmp_type: u8) -> Self {
        self.eth_type(ETH_IPV6)
            .field(Field::IpProto, Value::from_u64(1, PROTO_ICMPV6 as u64))
            .field(Field::Icmpv6Type, Value::from_u64(1, icmp_type as u64))
            .field(Field::Icmpv6Code, Value::from_u64(1, 0))
    }

    /// `dl_src=…`.
    pub fn eth_src(self, mac: Mac) -> Self {
        self.field(Field::EthSrc, Value::from_mac(mac.0))
    }

    /// A register mark.
    pub fn reg(mut self, mark: RegMark) -> Self {
        mark.match_on(&mut self.m);
        self
    }

    /// Arbitrary changes to the match.
    pub fn with(mut self, f: impl FnOnce(&mut Match)) -> Self {
        f(&mut self.m);
        self
    }

    /// `ip,nw_src=…` / `ipv6,ipv6_src=…` for one address.
    pub fn ip_src(self, ip: IpAddr) -> Self {
        let b = self.family_of(ip);
        match ip {
            IpAddr::V4(a) => b.field(Field::Ipv4Src, Value::from_ipv4(a)),
            IpAddr::V6(a) => b.field(Field::Ipv6Src, Value::from_ipv6(a)),
        }
    }

    /// `ip,nw_dst=…` / `ipv6,ipv6_dst=…` for one address.
    pub fn ip_dst(self, ip: IpAddr) -> Self {
        self.net_dst(IpNetwork::from(ip))
    }

    /// `ip,nw_dst=net` / `ipv6,ipv6_dst=net`.
    pub fn net_dst(self, net: IpNetwork) -> Self {
        let b = self.family_of(net.ip());
        match net {
            IpNetwork::V4(n) => b.masked(
                Field::Ipv4Dst,
                Value::from_ipv4(n.network()),
                Value::from_ipv4(n.mask()),
            ),
            IpNetwork::V6(n) => b.masked(
                Field::Ipv6Dst,
                Value::from_ipv6(n.network()),
                Value::from_ipv6(n.mask()),
            ),
        }
    }

    fn finish(self, instructions: Vec<Instruction>) -> Flow {
        Flow {
            bridge: self.table.bridge,
            key: FlowKey {
                table: self.table.id,
                priority: self.priority,
                match_: self.m,
            },
            entry: FlowEntry {
                cookie: self.cookie.to_u64(),
                instructions,
            },
        }
    }

    /// `actions=drop`.
    pub fn drop(self) -> Flow {
        self.finish(Vec::new())
    }

    /// `actions=goto_table:T`.
    pub fn goto(self, table: Table) -> Flow {
        self.finish(vec![Instruction::GotoTable(table.id)])
    }

    /// `actions=A,B,…`.
    pub fn apply(self, actions: Vec<Action>) -> Flow {
        self.finish(apply(actions))
    }

    /// `actions=A,B,…,goto_table:T`.
    pub fn apply_goto(self, actions: Vec<Action>, table: Table) -> Flow {
        let mut ins = apply(actions);
        ins.push(Instruction::GotoTable(table.id));
        self.finish(ins)
    }
}

fn apply(actions: Vec<Action>) -> Vec<Instruction> {
    if actions.is_empty() {
        Vec::new()
    } else {
        vec![Instruction::ApplyActions(actions)]
    }
}

/// `set_field:value->field`.
pub fn set_field(field: Field, value: Value) -> Action {
    Action::SetField {
        field,
        value,
        mask: None,
    }
}

/// `set_field:mac->field`.
pub fn set_mac(field: Field, mac: Mac) -> Action {
    set_field(field, Value::from_mac(mac.0))
}

/// `set_field:ip->field` for an IPv4 field.
pub fn set_ipv4(field: Field, ip: Ipv4Addr) -> Action {
    set_field(field, Value::from_ipv4(ip))
}

/// `set_field:ip->field` for an IPv6 field.
pub fn set_ipv6(field: Field, ip: Ipv6Addr) -> Action {
    set_field(field, Value::from_ipv6(ip))
}

/// `output:port` (also `IN_PORT`, `LOCAL`).
pub fn output(port: PortNo) -> Action {
    Action::Output { port, max_len: 0 }
}

/// `move:src[]->dst[]` (OpenFlow 1.5 `copy_field`).
pub fn move_field(src: Field, dst: Field) -> Action {
    Action::CopyField {
        src: Subfield::full(src),
        dst: Subfield::full(dst),
    }
}

/// `set_field:tun_dst` / `tun_ipv6_dst` for a tunnel destination of either family.
pub fn set_tunnel_dst(ip: IpAddr) -> Action {
    match ip {
        IpAddr::V4(a) => set_ipv4(Field::TunDst, a),
        IpAddr::V6(a) => set_ipv6(Field::TunIpv6Dst, a),
    }
}

/// `set_field:id->tun_id`.
pub fn set_tunnel_id(id: u32) -> Action {
    set_field(Field::TunId, Value::from_u64(8, id as u64))
}

/// `ct(commit,zone=Z,nat(src=IP))`: source NAT committed in zone `zone`.
pub fn ct_snat(zone: u16, ip: IpAddr) -> Action {
    let addr = match ip {
        IpAddr::V4(a) => NatAddr::V4 { min: a, max: None },
        IpAddr::V6(a) => NatAddr::V6 { min: a, max: None },
    };
    Action::Ct(Box::new(Ct {
        flags: Ct::COMMIT,
        zone: CtZone::Immediate(zone),
        recirc_table: None,
        alg: 0,
        actions: vec![Action::Nat(Nat {
            flags: Nat::SRC,
            range: Some(NatRange { addr, ports: None }),
        })],
    }))
}

/// `ct(table=T,zone=Z,nat)`: undo the NAT of a tracked connection, continue in `table`.
pub fn ct_unnat(zone: u16, table: Table) -> Action {
    Action::Ct(Box::new(Ct {
        flags: 0,
        zone: CtZone::Immediate(zone),
        recirc_table: Some(table.id),
        alg: 0,
        actions: vec![Action::Nat(Nat::default())],
    }))
}

/// The actions that turn an ARP request into the reply "`answer_ip` is at `mac`" and send it
/// back. With `answer_ip = None` the requested target address itself is answered (the pods'
/// virtual gateway answers every request, notes §3); with `Some(ip)` the flow must only match
/// requests for `ip`.
pub fn arp_reply(mac: Mac, answer_ip: Option<Ipv4Addr>) -> Vec<Action> {
    let mut a = vec![
        move_field(Field::EthSrc, Field::EthDst),
        set_mac(Field::EthSrc, mac),
        set_field(Field::ArpOp, Value::from_u64(2, 2)),
        move_field(Field::ArpSha, Field::ArpTha),
        set_mac(Field::ArpSha, mac),
    ];
    match answer_ip {
        None => a.extend([
            Action::StackPush(Subfield::full(Field::ArpTpa)),
            move_field(Field::ArpSpa, Field::ArpTpa),
            Action::StackPop(Subfield::full(Field::ArpSpa)),
        ]),
        Some(ip) => a.extend([
            move_field(Field::ArpSpa, Field::ArpTpa),
            set_ipv4(Field::ArpSpa, ip),
        ]),
    }
    a.push(output(PortNo::IN_PORT));
    a
}

/// First half of a neighbor advertisement answering a solicitation: swap the Ethernet and IPv6
/// addresses (source = `answer_ip`, or the solicited target itself when `None`) and turn the
/// message into an advertisement. The flow must continue in a table whose flow matches
/// `icmp_type=136` and calls [`nd_advert_finish`] (OVS checks `nd_tll`'s prerequisite against
/// the match, not against earlier actions).
pub fn nd_advert_start(mac: Mac, answer_ip: Option<Ipv6Addr>) -> Vec<Action> {
    let mut a = vec![
        move_field(Field::EthSrc, Field::EthDst),
        set_mac(Field::EthSrc, mac),
        move_field(Field::Ipv6Src, Field::Ipv6Dst),
    ];
    a.push(match answer_ip {
        Some(ip) => set_ipv6(Field::Ipv6Src, ip),
        None => move_field(Field::NdTarget, Field::Ipv6Src),
    });
    a.push(set_field(
        Field::Icmpv6Type,
        Value::from_u64(1, ND_ADVERT as u64),
    ));
    a
}

/// Second half: flags, the solicitation's link-layer option turned into a target link-layer
/// option carrying `mac`, and back out of the port it came in. The userspace datapath applies
/// the option type before the address and recomputes the ICMPv6 checksum
/// (`commit_set_nw_action`, `packet_set_nd_ext` in OVS).
pub fn nd_advert_finish(mac: Mac, flags: u32) -> Vec<Action> {
    vec![
        set_field(Field::NdReserved, Value::from_u64(4, flags as u64)),
        set_field(
            Field::NdOptionsType,
            Value::from_u64(1, ND_OPT_TARGET_LLA as u64),
        ),
        set_mac(Field::NdTll, mac),
        output(PortNo::IN_PORT),
    ]
}
