//! br-int flows, per owning object. See `docs/pipeline.md` for the table-by-table walk.
//!
//! Packet walks (reg0 source mark in parentheses):
//! - pod → Classifier (`FromPod`) → SpoofGuard → L3Forwarding: local pod → L2ForwardingCalc →
//!   pod port; other node's pod → tunnel (VNI 0); outside → EgressMark: bypass (exceptCIDRs,
//!   node IPs) or no Egress → SNAT with `reg1=0` (node IP); egress IP here → `reg1=id` → SNAT;
//!   egress IP elsewhere → tunnel to the owner with VNI = id; IP unusable → drop.
//! - ARP from a pod → Classifier → SpoofGuard → ARPResponder → answered with the gateway MAC.
//! - tunnel → Classifier (`FromTunnel`) → L3Forwarding: local pod → delivery; anything else →
//!   EgressMark: VNI = id of an IP owned here → SNAT; otherwise drop (never re-tunnel: two
//!   nodes that disagree about an owner would bounce packets forever).
//! - br-phy (replies, already un-NATed there) → Classifier (`FromUplink`) → L3Forwarding: local
//!   pod → delivery; other node's pod → tunnel (VNI 0); anything else → drop.

use std::net::IpAddr;

use crate::egress::egress_id::EgressId;
use crate::ofproto::codec::{Action, Field, Value};

use super::build::{
    arp_reply, ct_snat, flow, nd_advert_finish, nd_advert_start, output, set_mac, set_tunnel_dst,
    set_tunnel_id, ETH_ARP, ND_ADVERT, ND_FLAG_OVERRIDE, ND_FLAG_ROUTER, ND_FLAG_SOLICITED,
    ND_SOLICIT,
};
use super::choice::EgressChoice;
use super::cookie::{name_object, Category, Cookie};
use super::flow::Flow;
use super::inputs::{LocalPod, NodeConfig, PeerNode};
use super::regs::{match_egress_id, set_egress_id, FROM_POD, FROM_TUNNEL, FROM_UPLINK};
use super::tables::{
    ARP_RESPONDER, CLASSIFIER, EGRESS_MARK, L2_FORWARDING_CALC, L3_FORWARDING, ND_RESPONDER, SNAT,
    SPOOF_GUARD,
};

/// Priorities (Antrea's `priorityHigh/Normal/Low` where the role matches).
pub mod prio {
    /// SpoofGuard: duplicate-address-detection probes (from `::`) are never answered.
    pub const DAD: u16 = 220;
    /// Exceptions that must win (EgressMark bypass); SpoofGuard: a pod's neighbor
    /// solicitations (from any of its addresses, link-local included).
    pub const HIGH: u16 = 210;
    /// The normal per-object flows.
    pub const NORMAL: u16 = 200;
    /// L3Forwarding: tunnel traffic not for a local pod goes to EgressMark before any route.
    pub const TUNNEL_TO_EGRESS: u16 = 195;
    /// Routes to other nodes' pod CIDRs; EgressMark: unowned tunnel traffic (drop);
    /// SNAT: default SNAT to the node IP.
    pub const LOW: u16 = 190;
    /// L3Forwarding: pod traffic to outside the cluster.
    pub const POD_TO_EGRESS: u16 = 180;
    /// Table-miss.
    pub const MISS: u16 = 0;
}

fn cookie(round: u16, category: Category, object: u32) -> Cookie {
    Cookie::new(round, category, object)
}

/// The SNAT actions: commit with source `ip`, rewrite the MACs for the next hop, out to br-phy.
fn snat_actions(cfg: &NodeConfig, ip: IpAddr) -> Vec<Action> {
    vec![
        ct_snat(cfg.ct_zone, ip),
        set_mac(Field::EthSrc, cfg.phy_mac),
        set_mac(Field::EthDst, cfg.next_hop_mac),
        output(cfg.ports.int_patch),
    ]
}

/// The node's own br-int flows: infrastructure ports, table-miss flows, the gateway ARP
/// responder, routing of the local pod CIDRs, egress bypass for exceptCIDRs and node IPs,
/// default SNAT.
pub fn node_flows(cfg: &NodeConfig, round: u16, out: &mut Vec<Flow>) {
    use prio::*;
    let pc = cookie(round, Category::PodConnectivity, 0);
    let eg = cookie(round, Category::Egress, 0);
    let miss = cookie(round, Category::Default, 0);
    let ports = cfg.ports;

    out.push(
        flow(CLASSIFIER, NORMAL, pc)
            .in_port(ports.int_tunnel)
            .apply_goto(vec![FROM_TUNNEL.set()], L3_FORWARDING),
    );
    out.push(
        flow(CLASSIFIER, NORMAL, pc)
            .in_port(ports.int_patch)
            .apply_goto(vec![FROM_UPLINK.set()], L3_FORWARDING),
    );

    out.push(
        flow(ARP_RESPONDER, NORMAL, pc)
            .eth_type(ETH_ARP)
            .field(Field::ArpOp, Value::from_u64(2, 1))
            .apply(arp_reply(cfg.gateway_mac, None)),
    );

    if cfg.pod_cidrs.iter().any(|c| c.is_ipv6()) {
        // IPv6 neighbor discovery: the gateway answers every solicitation from a pod (as the
        // ARP responder does), in two steps (see `ND_RESPONDER`); DAD probes go unanswered.
        let unspecified = Value::from_ipv6(std::net::Ipv6Addr::UNSPECIFIED);
        out.push(
            flow(SPOOF_GUARD, DAD, pc)
                .icmp6(ND_SOLICIT)
                .field(Field::Ipv6Src, unspecified)
                .drop(),
        );
        out.push(
            flow(ARP_RESPONDER, NORMAL, pc)
                .icmp6(ND_SOLICIT)
                .apply_goto(nd_advert_start(cfg.gateway_mac, None), ND_RESPONDER),
        );
        let flags = ND_FLAG_ROUTER | ND_FLAG_SOLICITED | ND_FLAG_OVERRIDE;
        out.push(
            flow(ND_RESPONDER, NORMAL, pc)
                .icmp6(ND_ADVERT)
                .apply(nd_advert_finish(cfg.gateway_mac, flags)),
        );
        out.push(flow(ND_RESPONDER, MISS, miss).drop());
    }

    for cidr in &cfg.pod_cidrs {
        out.push(
            flow(L3_FORWARDING, NORMAL, pc)
                .net_dst(*cidr)
                .goto(L2_FORWARDING_CALC),
        );
    }
    out.push(
        flow(L3_FORWARDING, TUNNEL_TO_EGRESS, eg)
            .reg(FROM_TUNNEL)
            .goto(EGRESS_MARK),
    );
    out.push(
        flow(L3_FORWARDING, POD_TO_EGRESS, eg)
            .reg(FROM_POD)
            .goto(EGRESS_MARK),
    );

    for cidr in &cfg.except_cidrs {
        out.push(
            flow(EGRESS_MARK, HIGH, eg)
                .reg(FROM_POD)
                .net_dst(*cidr)
                .goto(SNAT),
        );
    }
    for ip in cfg.node_ips() {
        out.push(
            flow(EGRESS_MARK, HIGH, eg)
                .reg(FROM_POD)
                .ip_dst(ip)
                .goto(SNAT),
        );
    }
    out.push(flow(EGRESS_MARK, LOW, eg).reg(FROM_TUNNEL).drop());
    out.push(flow(EGRESS_MARK, MISS, eg).goto(SNAT));

    let node_ips = [cfg.node_ipv4.map(IpAddr::V4), cfg.node_ipv6.map(IpAddr::V6)];
    for ip in node_ips.into_iter().flatten() {
        out.push(
            flow(SNAT, LOW, eg)
                .family_of(ip)
                .with(|m| match_egress_id(m, 0))
                .apply(snat_actions(cfg, ip)),
        );
    }

    for table in [
        CLASSIFIER,
        SPOOF_GUARD,
        ARP_RESPONDER,
        L3_FORWARDING,
        SNAT,
        L2_FORWARDING_CALC,
    ] {
        out.push(flow(table, MISS, miss).drop());
    }
}

/// A local pod's flows: classification, spoof guard (IP and ARP), delivery, and its egress
/// choice (nothing for [`EgressChoice::Default`]: the EgressMark table-miss sends it to the
/// node-IP SNAT).
pub fn pod_flows(
    cfg: &NodeConfig,
    round: u16,
    pod: &LocalPod,
    choice: EgressChoice,
    out: &mut Vec<Flow>,
) {
    use prio::*;
    let object = pod.ofport.0 as u32;
    let pc = cookie(round, Category::PodConnectivity, object);
    let eg = cookie(round, Category::Egress, object);
    let port = pod.ofport;

    out.push(
        flow(CLASSIFIER, NORMAL, pc)
            .in_port(port)
            .apply_goto(vec![FROM_POD.set()], SPOOF_GUARD),
    );
    for ip in &pod.ips {
        out.push(
            flow(SPOOF_GUARD, NORMAL, pc)
                .in_port(port)
                .eth_src(pod.mac)
                .ip_src(*ip)
                .goto(L3_FORWARDING),
        );
        if let IpAddr::V4(a) = ip {
            out.push(
                flow(SPOOF_GUARD, NORMAL, pc)
                    .in_port(port)
                    .eth_src(pod.mac)
                    .eth_type(ETH_ARP)
                    .field(Field::ArpSpa, Value::from_ipv4(*a))
                    .field(Field::ArpSha, Value::from_mac(pod.mac.0))
                    .goto(ARP_RESPONDER),
            );
        }
        out.push(flow(L2_FORWARDING_CALC, NORMAL, pc).ip_dst(*ip).apply(vec![
            set_mac(Field::EthSrc, cfg.gateway_mac),
            set_mac(Field::EthDst, pod.mac),
            output(port),
        ]));
    }

    if pod.ips.iter().any(IpAddr::is_ipv6) {
        out.push(
            flow(SPOOF_GUARD, HIGH, pc)
                .in_port(port)
                .eth_src(pod.mac)
                .icmp6(ND_SOLICIT)
                .goto(ARP_RESPONDER),
        );
    }

    let egress = |fam: IpAddr| flow(EGRESS_MARK, NORMAL, eg).family_of(fam).in_port(port);
    match choice {
        EgressChoice::Default => {}
        EgressChoice::Local { ip, id } => {
            out.push(egress(ip).apply_goto(vec![set_egress_id(id.get())], SNAT))
        }
        EgressChoice::Remote { ip, id, owner_ip } => out.push(egress(ip).apply(vec![
            set_tunnel_dst(owner_ip),
            set_tunnel_id(id.get()),
            output(cfg.ports.int_tunnel),
        ])),
        EgressChoice::Blocked(_, Some(ip)) => out.push(egress(ip).drop()),
        EgressChoice::Blocked(_, None) => {
            let mut families: Vec<IpAddr> = Vec::new();
            for ip in &pod.ips {
                if !families.iter().any(|f| f.is_ipv4() == ip.is_ipv4()) {
                    families.push(*ip);
                }
            }
            for fam in families {
                out.push(egress(fam).drop());
            }
        }
    }
}

/// Another node's flows: its pod CIDRs through the tunnel (VNI 0), and its transport IP
/// bypassing egress.
pub fn peer_flows(cfg: &NodeConfig, round: u16, peer: &PeerNode, out: &mut Vec<Flow>) {
    use prio::*;
    let object = name_object(&peer.name);
    let pc = cookie(round, Category::PodConnectivity, object);
    let eg = cookie(round, Category::Egress, object);
    for cidr in &peer.pod_cidrs {
        out.push(flow(L3_FORWARDING, LOW, pc).net_dst(*cidr).apply(vec![
            set_tunnel_dst(peer.transport_ip),
            set_tunnel_id(0),
            output(cfg.ports.int_tunnel),
        ]));
    }
    out.push(
        flow(EGRESS_MARK, HIGH, eg)
            .reg(FROM_POD)
            .ip_dst(peer.transport_ip)
            .goto(SNAT),
    );
}

/// An egress IP this node owns: tunnelled traffic with its id is SNATed here, and the SNAT
/// flow itself.
pub fn owned_ip_flows(cfg: &NodeConfig, round: u16, ip: IpAddr, id: EgressId, out: &mut Vec<Flow>) {
    use prio::*;
    let eg = cookie(round, Category::Egress, id.get());
    out.push(
        flow(EGRESS_MARK, NORMAL, eg)
            .family_of(ip)
            .reg(FROM_TUNNEL)
            .field(Field::TunId, Value::from_u64(8, id.get() as u64))
            .apply_goto(vec![set_egress_id(id.get())], SNAT),
    );
    out.push(
        flow(SNAT, NORMAL, eg)
            .family_of(ip)
            .with(|m| match_egress_id(m, id.get()))
            .apply(snat_actions(cfg, ip)),
    );
}
