//! The hand-written flows of testbed notes §3, generated for any topology: they make default
//! SNAT and egress SNAT work on the testbed without an agent. They are the baseline the
//! self-test proves the testbed with, and a reference to compare the agent's pipeline against;
//! they are *not* the agent's pipeline.
//!
//! Limits (as in the notes): SNATed traffic is sent to the external host's MAC, so only the
//! external host is reachable from pods outside the cluster; one conntrack zone
//! ([`SNAT_ZONE`]) holds all SNAT entries; the egress id doubles as `reg1` value and tunnel
//! key (VNI).
//!
//! Tables: br-int 0 classifier (+ per-pod ARP responder for the virtual gateway), 10 L3 for pod
//! traffic, 20 from tunnel, 30 from br-phy after un-NAT, 40 egress choice, 45 egress SNAT,
//! 50 default SNAT, 70 local delivery. br-phy 0 wire with explicit flows, 1 after un-NAT.

use std::fmt::Write;
use std::net::Ipv4Addr;

use super::spec::{GATEWAY_MAC, PATCH_OFPORT, SNAT_ZONE, TUNNEL_OFPORT, UPLINK_OFPORT};
use super::{Mac, Pod, TestbedError, Topology};

/// Static br-int flows of node `index` (1-based): classifier and gateway ARP responder per
/// pod, routing to other nodes' pod CIDRs through the tunnel (VNI 0), default SNAT to the node
/// IP, local delivery.
pub fn br_int_static(topo: &Topology, index: usize) -> Result<String, TestbedError> {
    let node = topo.node(index)?;
    let (ip, mac, ext_mac) = (node.transport_ip(), node.transport_mac(), topo.ext().mac());
    let own = node.pod_cidr();
    let (t, p) = (TUNNEL_OFPORT, PATCH_OFPORT);
    let pods: Vec<&Pod> = topo.pods().iter().filter(|p| p.node() == index).collect();
    let mut f = String::new();
    let mut line = |s: String| {
        f.push_str(&s);
        f.push('\n');
    };
    let gw = GATEWAY_MAC;
    for pod in &pods {
        let port = pod.ofport();
        line(format!(
            "table=0,priority=300,in_port={port},arp,arp_op=1,actions=\
             move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:{gw}->eth_src,\
             set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],\
             set_field:{gw}->arp_sha,push:NXM_OF_ARP_TPA[],\
             move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],pop:NXM_OF_ARP_SPA[],IN_PORT"
        ));
        line(format!(
            "table=0,priority=200,in_port={port},ip,nw_src={},actions=goto_table:10",
            pod.ip()
        ));
    }
    line(format!(
        "table=0,priority=100,in_port={t},ip,actions=goto_table:20"
    ));
    line(format!(
        "table=0,priority=100,in_port={p},ip,actions=goto_table:30"
    ));
    line("table=0,priority=0,actions=drop".into());
    line(format!(
        "table=10,priority=200,ip,nw_dst={own}/24,actions=goto_table:70"
    ));
    for peer in topo.nodes().iter().filter(|n| n.index() != index) {
        line(format!(
            "table=10,priority=190,ip,nw_dst={}/24,actions=set_field:{}->tun_dst,\
             set_field:0->tun_id,output:{t}",
            peer.pod_cidr(),
            peer.transport_ip()
        ));
        line(format!(
            "table=30,priority=90,ip,nw_dst={}/24,actions=set_field:{}->tun_dst,\
             set_field:0->tun_id,output:{t}",
            peer.pod_cidr(),
            peer.transport_ip()
        ));
    }
    line("table=10,priority=50,ip,actions=goto_table:50".into());
    line(format!(
        "table=20,priority=210,ip,nw_dst={own}/24,actions=goto_table:70"
    ));
    line("table=20,priority=0,actions=drop".into());
    line(format!(
        "table=30,priority=100,ip,nw_dst={own}/24,actions=goto_table:70"
    ));
    line("table=30,priority=0,actions=drop".into());
    line("table=40,priority=0,actions=drop".into());
    line("table=45,priority=0,actions=drop".into());
    line(format!(
        "table=50,priority=100,ip,actions=ct(commit,zone={SNAT_ZONE},nat(src={ip})),\
         set_field:{mac}->eth_src,set_field:{ext_mac}->eth_dst,output:{p}"
    ));
    for pod in &pods {
        line(format!(
            "table=70,priority=100,ip,nw_dst={},actions=set_field:{gw}->eth_src,\
             set_field:{}->eth_dst,output:{}",
            pod.ip(),
            pod.mac(),
            pod.ofport()
        ));
    }
    line("table=70,priority=0,actions=drop".into());
    Ok(f)
}

/// Static br-phy flows of node `index`: a wire between the uplink and LOCAL with explicit
/// flows (no NORMAL, pitfall 9), tunnel packets to LOCAL (where OVS decapsulates them), replies
/// to the node IP un-NATed and handed to br-int.
pub fn br_phy_static(topo: &Topology, index: usize) -> Result<String, TestbedError> {
    let node = topo.node(index)?;
    let ip = node.transport_ip();
    let udp = topo.spec().tunnel.udp_port();
    let (u, p) = (UPLINK_OFPORT, PATCH_OFPORT);
    Ok(format!(
        "table=0,priority=250,in_port={u},udp,nw_dst={ip},tp_dst={udp},actions=LOCAL\n\
         table=0,priority=200,in_port={u},ip,nw_dst={ip},actions=ct(table=1,zone={SNAT_ZONE},nat)\n\
         table=0,priority=100,in_port={u},actions=LOCAL\n\
         table=0,priority=100,in_port=LOCAL,actions=output:{u}\n\
         table=0,priority=100,in_port={p},actions=output:{u}\n\
         table=0,priority=0,actions=drop\n\
         table=1,priority=100,ct_state=+trk+est,ip,actions=output:{p}\n\
         table=1,priority=100,ct_state=+trk+rel,ip,actions=output:{p}\n\
         table=1,priority=0,actions=LOCAL\n"
    ))
}

/// The br-int flow that puts a pod into egress `id` (table 10: `reg1=id`, go to table 40);
/// installed on the pod's node.
pub fn egress_member(pod: &Pod, id: u32) -> String {
    format!(
        "table=10,priority=100,ip,nw_src={},actions=set_field:{id}->reg1,goto_table:40\n",
        pod.ip()
    )
}

/// The owner's flows for egress IP `eip` with id `id` on node `index`: br-int (SNAT table
/// first, then the tunnel entry, then the local choice; install in one bundle, pitfall 13) and
/// br-phy (ARP responder for the EIP, un-NAT of its replies). Returns (br-int, br-phy).
pub fn egress_owner(
    topo: &Topology,
    index: usize,
    eip: Ipv4Addr,
    id: u32,
) -> Result<(String, String), TestbedError> {
    let node = topo.node(index)?;
    let mac: Mac = node.transport_mac();
    let ext_mac = topo.ext().mac();
    let (u, p) = (UPLINK_OFPORT, PATCH_OFPORT);
    let mut int = String::new();
    let _ = writeln!(
        int,
        "table=45,priority=100,ip,reg1={id},actions=ct(commit,zone={SNAT_ZONE},nat(src={eip})),\
         set_field:{mac}->eth_src,set_field:{ext_mac}->eth_dst,output:{p}"
    );
    let _ = writeln!(
        int,
        "table=20,priority=200,ip,tun_id={id},actions=set_field:{id}->reg1,goto_table:45"
    );
    let _ = writeln!(
        int,
        "table=40,priority=100,ip,reg1={id},actions=goto_table:45"
    );
    let phy = format!(
        "table=0,priority=300,in_port={u},arp,arp_op=1,arp_tpa={eip},actions=\
         move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:{mac}->eth_src,set_field:2->arp_op,\
         move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:{mac}->arp_sha,\
         move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:{eip}->arp_spa,IN_PORT\n\
         table=0,priority=200,in_port={u},ip,nw_dst={eip},actions=ct(table=1,zone={SNAT_ZONE},nat)\n"
    );
    Ok((int, phy))
}

/// A non-owner's br-int flow for egress `id`: tunnel the member pods' traffic to the owner
/// node `owner` with the egress id as VNI.
pub fn egress_non_owner(topo: &Topology, owner: usize, id: u32) -> Result<String, TestbedError> {
    let owner_ip = topo.node(owner)?.transport_ip();
    Ok(format!(
        "table=40,priority=100,ip,reg1={id},actions=set_field:{owner_ip}->tun_dst,\
         set_field:{id}->tun_id,output:{TUNNEL_OFPORT}\n"
    ))
}

/// Installs the static flows on every node (br-phy, then br-int; each one atomic bundle).
pub fn install_static(topo: &Topology) -> Result<(), TestbedError> {
    for node in topo.nodes() {
        node.add_flows(super::PHY_BRIDGE, &br_phy_static(topo, node.index())?)?;
        node.add_flows(super::INT_BRIDGE, &br_int_static(topo, node.index())?)?;
    }
    Ok(())
}

/// Installs egress `id` with IP `eip` owned by node `owner` for `members` (pod names): the
/// membership flows on each member's node, the owner flows on the owner, the tunnel flow on
/// every other node.
pub fn install_egress(
    topo: &Topology,
    owner: usize,
    eip: Ipv4Addr,
    id: u32,
    members: &[&str],
) -> Result<(), TestbedError> {
    for node in topo.nodes() {
        let mut int = String::new();
        if node.index() == owner {
            let (owner_int, owner_phy) = egress_owner(topo, owner, eip, id)?;
            node.add_flows(super::PHY_BRIDGE, &owner_phy)?;
            int.push_str(&owner_int);
        } else {
            int.push_str(&egress_non_owner(topo, owner, id)?);
        }
        for name in members {
            let pod = topo.pod(name)?;
            if pod.node() == node.index() {
                int.push_str(&egress_member(pod, id));
            }
        }
        node.add_flows(super::INT_BRIDGE, &int)?;
    }
    Ok(())
}
