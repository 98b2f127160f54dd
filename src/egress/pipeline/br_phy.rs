//! br-phy flows: the uplink as a "wire" with explicit flows (no NORMAL: SNATed frames carry
//! br-phy's own MAC as source and arrive on the patch port, so MAC learning would move that MAC
//! away from LOCAL — notes pitfall 9), plus the reply path of SNATed connections.
//!
//! - uplink, Geneve/VXLAN to the transport IP → LOCAL, where OVS decapsulates (`tnl_pop` only
//!   happens on output to a port with an IP);
//! - uplink, IP to the node IP or an egress IP owned (or being drained) here →
//!   `ct(table=ConntrackState,zone=Z,nat)`: replies of SNATed connections are un-NATed (a patch
//!   port clears conntrack state, so un-NAT happens here and br-int routes by the rewritten
//!   destination); ConntrackState sends `+est`/`+rel` to br-int and the rest to LOCAL;
//! - uplink ARP requests for an owned egress IP → answered with br-phy's MAC (no kernel address
//!   holds the egress IP);
//! - everything else: uplink → LOCAL, LOCAL → uplink, br-int → uplink.

use std::net::IpAddr;

use crate::egress::egress_id::EgressId;
use crate::ofproto::codec::{Field, PortNo, Value};

use super::build::{
    arp_reply, ct_unnat, flow, nd_advert_finish, nd_advert_start, output, ETH_ARP, ND_ADVERT,
    ND_FLAG_OVERRIDE, ND_FLAG_SOLICITED, ND_SOLICIT, PROTO_UDP,
};
use super::cookie::{Category, Cookie};
use super::flow::Flow;
use super::inputs::NodeConfig;
use super::tables::{CONNTRACK_STATE, PHY_CLASSIFIER, PHY_ND_RESPONDER};

/// Priorities.
pub mod prio {
    /// Duplicate-address-detection probes for an owned IPv6 egress IP: not answered.
    pub const DAD: u16 = 310;
    /// ARP / neighbor-discovery responder for an owned egress IP.
    pub const ARP_RESPONDER: u16 = 300;
    /// Tunnel packets to the transport IP.
    pub const TUNNEL: u16 = 250;
    /// Replies to SNATed addresses → conntrack.
    pub const UNNAT: u16 = 200;
    /// The wire between uplink, LOCAL and br-int; ConntrackState's tracked replies.
    pub const WIRE: u16 = 100;
    /// Table-miss.
    pub const MISS: u16 = 0;
}

/// `ct_state` bits (OVS `CS_*`).
const CS_EST: u64 = 0x02;
const CS_REL: u64 = 0x04;
const CS_TRK: u64 = 0x20;

/// The flow that un-NATs replies to `ip` arriving on the uplink.
fn unnat_flow(cfg: &NodeConfig, cookie: Cookie, ip: IpAddr) -> Flow {
    flow(PHY_CLASSIFIER, prio::UNNAT, cookie)
        .in_port(cfg.ports.phy_uplink)
        .ip_dst(ip)
        .apply(vec![ct_unnat(cfg.ct_zone, CONNTRACK_STATE)])
}

/// The node's own br-phy flows.
pub fn node_flows(cfg: &NodeConfig, round: u16, out: &mut Vec<Flow>) {
    use prio::*;
    let pc = Cookie::new(round, Category::PodConnectivity, 0);
    let eg = Cookie::new(round, Category::Egress, 0);
    let miss = Cookie::new(round, Category::Default, 0);
    let p = cfg.ports;

    out.push(
        flow(PHY_CLASSIFIER, TUNNEL, pc)
            .in_port(p.phy_uplink)
            .ip_dst(cfg.transport_ip)
            .field(Field::IpProto, Value::from_u64(1, PROTO_UDP as u64))
            .field(
                Field::UdpDst,
                Value::from_u64(2, cfg.tunnel.udp_port() as u64),
            )
            .apply(vec![output(PortNo::LOCAL)]),
    );
    let node_ips = [cfg.node_ipv4.map(IpAddr::V4), cfg.node_ipv6.map(IpAddr::V6)];
    for ip in node_ips.into_iter().flatten() {
        out.push(unnat_flow(cfg, eg, ip));
    }
    for (from, to) in [
        (p.phy_uplink, PortNo::LOCAL),
        (PortNo::LOCAL, p.phy_uplink),
        (p.phy_patch, p.phy_uplink),
    ] {
        out.push(
            flow(PHY_CLASSIFIER, WIRE, pc)
                .in_port(from)
                .apply(vec![output(to)]),
        );
    }
    out.push(flow(PHY_CLASSIFIER, MISS, miss).drop());

    for state in [CS_EST, CS_REL] {
        let bits = Value::from_u64(4, state | CS_TRK);
        out.push(
            flow(CONNTRACK_STATE, WIRE, eg)
                .masked(Field::CtState, bits, bits)
                .apply(vec![output(p.phy_patch)]),
        );
    }
    out.push(flow(CONNTRACK_STATE, MISS, miss).apply(vec![output(PortNo::LOCAL)]));
}

/// An egress IP this node owns: ARP responder (IPv4) or neighbor-discovery responder (IPv6),
/// and un-NAT of its replies.
pub fn owned_ip_flows(cfg: &NodeConfig, round: u16, ip: IpAddr, id: EgressId, out: &mut Vec<Flow>) {
    let eg = Cookie::new(round, Category::Egress, id.get());
    let uplink = cfg.ports.phy_uplink;
    match ip {
        IpAddr::V4(a) => out.push(
            flow(PHY_CLASSIFIER, prio::ARP_RESPONDER, eg)
                .in_port(uplink)
                .eth_type(ETH_ARP)
                .field(Field::ArpOp, Value::from_u64(2, 1))
                .field(Field::ArpTpa, Value::from_ipv4(a))
                .apply(arp_reply(cfg.phy_mac, Some(a))),
        ),
        IpAddr::V6(a) => {
            let target = Value::from_ipv6(a);
            out.push(
                flow(PHY_CLASSIFIER, prio::DAD, eg)
                    .in_port(uplink)
                    .icmp6(ND_SOLICIT)
                    .field(
                        Field::Ipv6Src,
                        Value::from_ipv6(std::net::Ipv6Addr::UNSPECIFIED),
                    )
                    .field(Field::NdTarget, target)
                    .drop(),
            );
            out.push(
                flow(PHY_CLASSIFIER, prio::ARP_RESPONDER, eg)
                    .in_port(uplink)
                    .icmp6(ND_SOLICIT)
                    .field(Field::NdTarget, target)
                    .apply_goto(nd_advert_start(cfg.phy_mac, Some(a)), PHY_ND_RESPONDER),
            );
            out.push(
                flow(PHY_ND_RESPONDER, prio::UNNAT, eg)
                    .icmp6(ND_ADVERT)
                    .field(Field::NdTarget, target)
                    .apply(nd_advert_finish(
                        cfg.phy_mac,
                        ND_FLAG_SOLICITED | ND_FLAG_OVERRIDE,
                    )),
            );
        }
    }
    out.push(unnat_flow(cfg, eg, ip));
}

/// An egress IP that moved away from this node: keep un-NATing its replies for a grace period
/// so connections SNATed here drain (notes §5 step 5; the flow forwards only `+est`/`+rel`).
pub fn draining_ip_flows(
    cfg: &NodeConfig,
    round: u16,
    ip: IpAddr,
    id: Option<EgressId>,
    out: &mut Vec<Flow>,
) {
    let eg = Cookie::new(round, Category::Egress, id.map_or(0, EgressId::get));
    out.push(unnat_flow(cfg, eg, ip));
}
