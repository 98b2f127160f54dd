//! Table-driven pipeline tests: manifests and pods in, flows as `ovs-ofctl` text out.
#![cfg(feature = "agent")]

mod pipeline_support;

use ovs_egress::egress::pipeline::Bridge;
use pipeline_support::*;

const CLUSTER: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {network-role: snat-origin}}
spec: {podCIDR: 10.244.0.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.77.10}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
spec: {podCIDR: 10.244.1.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.77.11}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: staging, labels: {role: staging}}
---
apiVersion: v1
kind: Pod
metadata: {name: test-1, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.5}
---
apiVersion: v1
kind: Pod
metadata: {name: test-2, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node-a}
status: {podIP: 10.244.0.7}
---
apiVersion: v1
kind: Pod
metadata: {name: stage-1, namespace: staging, labels: {app: staging}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.9}
---
apiVersion: v1
kind: Pod
metadata: {name: stage-impostor, namespace: default, labels: {app: staging}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.10}
"#;

const SEED: &str = r#"
apiVersion: crd.antrea.io/v1alpha2
kind: ExternalIPPool
metadata: {name: snat-origin-pool}
spec:
  ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]
  nodeSelector: {matchLabels: {network-role: snat-origin}}
---
apiVersion: crd.antrea.io/v1alpha2
kind: Egress
metadata: {name: egress-antrea-test, creationTimestamp: "2021-08-01T10:00:00Z"}
spec:
  appliedTo: {podSelector: {matchLabels: {app: antrea-test}}}
  externalIPPool: snat-origin-pool
---
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: staging-pool}
spec:
  ipRanges: [{start: 10.105.18.101, end: 10.105.18.101}]
  nodeSelector: {}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-staging, creationTimestamp: "2021-08-01T10:05:00Z"}
spec:
  appliedTo:
    podSelector: {matchLabels: {app: staging}}
    namespaceSelector: {matchLabels: {role: staging}}
  externalIPPool: staging-pool
"#;

const V6: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {network-role: snat-origin}}
spec: {podCIDRs: [10.244.0.0/24, "fd00:244::/64"]}
status:
  addresses: [{type: InternalIP, address: 192.168.77.10}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
spec: {podCIDRs: [10.244.1.0/24, "fd00:244:0:1::/64"]}
status:
  addresses: [{type: InternalIP, address: 192.168.77.11}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Pod
metadata: {name: dual, namespace: default, labels: {app: v6}}
spec: {nodeName: node-b}
status: {podIPs: [{ip: 10.244.1.5}, {ip: "fd00:244:0:1::5"}]}
---
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: v6-pool}
spec:
  ipRanges: [{start: "fd00:105:18::100", end: "fd00:105:18::100"}]
  nodeSelector: {}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-v6}
spec:
  appliedTo: {podSelector: {matchLabels: {app: v6}}}
  externalIPPool: v6-pool
"#;

/// A node that is not Ready (so not alive: it owns nothing).
const NODE_A_DOWN: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {network-role: snat-origin}}
spec: {podCIDR: 10.244.0.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.77.10}]
  conditions: [{type: Ready, status: "False"}]
"#;

/// A younger Egress on the one-address pool that the seed's first Egress already uses.
const LATE: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: late-1, namespace: default, labels: {app: late}}
spec: {nodeName: node-b}
status: {podIPs: [{ip: 10.244.1.20}, {ip: "fd00:244:0:1::20"}]}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-late, creationTimestamp: "2022-01-01T00:00:00Z"}
spec:
  appliedTo: {podSelector: {matchLabels: {app: late}}}
  externalIPPool: snat-origin-pool
"#;

/// Tables whose flows do not depend on Egresses (pod connectivity).
const CONNECTIVITY: [&str; 5] = [
    "Classifier",
    "SpoofGuard",
    "ARPResponder",
    "L3Forwarding",
    "L2ForwardingCalc",
];

fn pipeline(texts: &[&str], node: &str) -> ovs_egress::egress::pipeline::NodePipeline {
    let state = state_from(texts);
    pipeline_for(&state, config(&state, node), 1)
}

fn tables(p: &ovs_egress::egress::pipeline::NodePipeline, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for bridge in Bridge::ALL {
        for l in lines(p, bridge) {
            if names.iter().any(|n| l.contains(&format!("table={n},"))) {
                out.push(l);
            }
        }
    }
    out
}

fn assert_lines(got: Vec<String>, want: &[&str]) {
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    if got != want {
        let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
        let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).collect();
        panic!("flows differ\nmissing: {missing:#?}\nunexpected: {extra:#?}\nall: {got:#?}");
    }
}

/// The default path, written out in full: node-b, no Egress. Every pod leaves with the node
/// IP; pods are classified, spoof-guarded, answered ARP, routed locally or to node-a.
const NODE_B_DEFAULT: &[&str] = &[
    // br-phy: tunnel decap, un-NAT of the node IP's replies, the wire, reply dispatch.
    "cookie=0x1010000000000, table=PhyClassifier, priority=250,udp,in_port=1,nw_dst=192.168.77.11,tp_dst=6081 actions=LOCAL",
    "cookie=0x1040000000000, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=192.168.77.11 actions=ct(table=ConntrackState,zone=65520,nat)",
    "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=1 actions=LOCAL",
    "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=2 actions=output:1",
    "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=LOCAL actions=output:1",
    "cookie=0x1000000000000, table=PhyClassifier, priority=0 actions=drop",
    "cookie=0x1040000000000, table=ConntrackState, priority=100,ct_state=+est+trk actions=output:2",
    "cookie=0x1040000000000, table=ConntrackState, priority=100,ct_state=+rel+trk actions=output:2",
    "cookie=0x1000000000000, table=ConntrackState, priority=0 actions=LOCAL",
    // br-int: source marks; pods stage-impostor (10), test-1 (11), stage-1 (12).
    "cookie=0x1010000000000, table=Classifier, priority=200,in_port=1 actions=set_field:0x1/0xf->reg0,goto_table:L3Forwarding",
    "cookie=0x1010000000000, table=Classifier, priority=200,in_port=2 actions=set_field:0x4/0xf->reg0,goto_table:L3Forwarding",
    "cookie=0x101000000000a, table=Classifier, priority=200,in_port=10 actions=set_field:0x3/0xf->reg0,goto_table:SpoofGuard",
    "cookie=0x101000000000b, table=Classifier, priority=200,in_port=11 actions=set_field:0x3/0xf->reg0,goto_table:SpoofGuard",
    "cookie=0x101000000000c, table=Classifier, priority=200,in_port=12 actions=set_field:0x3/0xf->reg0,goto_table:SpoofGuard",
    "cookie=0x1000000000000, table=Classifier, priority=0 actions=drop",
    "cookie=0x101000000000a, table=SpoofGuard, priority=200,ip,in_port=10,dl_src=02:00:0a:f4:01:0a,nw_src=10.244.1.10 actions=goto_table:L3Forwarding",
    "cookie=0x101000000000a, table=SpoofGuard, priority=200,arp,in_port=10,dl_src=02:00:0a:f4:01:0a,arp_spa=10.244.1.10,arp_sha=02:00:0a:f4:01:0a actions=goto_table:ARPResponder",
    "cookie=0x101000000000b, table=SpoofGuard, priority=200,ip,in_port=11,dl_src=02:00:0a:f4:01:05,nw_src=10.244.1.5 actions=goto_table:L3Forwarding",
    "cookie=0x101000000000b, table=SpoofGuard, priority=200,arp,in_port=11,dl_src=02:00:0a:f4:01:05,arp_spa=10.244.1.5,arp_sha=02:00:0a:f4:01:05 actions=goto_table:ARPResponder",
    "cookie=0x101000000000c, table=SpoofGuard, priority=200,ip,in_port=12,dl_src=02:00:0a:f4:01:09,nw_src=10.244.1.9 actions=goto_table:L3Forwarding",
    "cookie=0x101000000000c, table=SpoofGuard, priority=200,arp,in_port=12,dl_src=02:00:0a:f4:01:09,arp_spa=10.244.1.9,arp_sha=02:00:0a:f4:01:09 actions=goto_table:ARPResponder",
    "cookie=0x1000000000000, table=SpoofGuard, priority=0 actions=drop",
    "cookie=0x1010000000000, table=ARPResponder, priority=200,arp,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:aa:bb:cc:dd:ee:ff->arp_sha,push:NXM_OF_ARP_TPA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],pop:NXM_OF_ARP_SPA[],IN_PORT",
    "cookie=0x1000000000000, table=ARPResponder, priority=0 actions=drop",
    // Routing: local CIDR; tunnel traffic not for a local pod → EgressMark; node-a's CIDR
    // (cookie object = crc32("node-a")); pod traffic leaving the cluster → EgressMark.
    "cookie=0x1010000000000, table=L3Forwarding, priority=200,ip,nw_dst=10.244.1.0/24 actions=goto_table:L2ForwardingCalc",
    "cookie=0x1040000000000, table=L3Forwarding, priority=195,reg0=0x1/0xf actions=goto_table:EgressMark",
    "cookie=0x1010078994dab, table=L3Forwarding, priority=190,ip,nw_dst=10.244.0.0/24 actions=set_field:192.168.77.10->tun_dst,set_field:0->tun_id,output:1",
    "cookie=0x1040000000000, table=L3Forwarding, priority=180,reg0=0x3/0xf actions=goto_table:EgressMark",
    "cookie=0x1000000000000, table=L3Forwarding, priority=0 actions=drop",
    // Node IPs bypass egress; unowned tunnel traffic is dropped; the rest: default SNAT.
    "cookie=0x1040078994dab, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.10 actions=goto_table:SNAT",
    "cookie=0x1040000000000, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.11 actions=goto_table:SNAT",
    "cookie=0x1040000000000, table=EgressMark, priority=190,reg0=0x1/0xf actions=drop",
    "cookie=0x1040000000000, table=EgressMark, priority=0 actions=goto_table:SNAT",
    "cookie=0x1040000000000, table=SNAT, priority=190,ip,reg1=0 actions=ct(commit,zone=65520,nat(src=192.168.77.11)),set_field:02:00:c0:a8:4d:0b->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
    "cookie=0x1000000000000, table=SNAT, priority=0 actions=drop",
    "cookie=0x101000000000b, table=L2ForwardingCalc, priority=200,ip,nw_dst=10.244.1.5 actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:02:00:0a:f4:01:05->eth_dst,output:11",
    "cookie=0x101000000000c, table=L2ForwardingCalc, priority=200,ip,nw_dst=10.244.1.9 actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:02:00:0a:f4:01:09->eth_dst,output:12",
    "cookie=0x101000000000a, table=L2ForwardingCalc, priority=200,ip,nw_dst=10.244.1.10 actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:02:00:0a:f4:01:0a->eth_dst,output:10",
    "cookie=0x1000000000000, table=L2ForwardingCalc, priority=0 actions=drop",
];

const NODE_B_STATIC_PHY: &[&str] = &[
    "cookie=0x1010000000000, table=PhyClassifier, priority=250,udp,in_port=1,nw_dst=192.168.77.11,tp_dst=6081 actions=LOCAL",
    "cookie=0x1040000000000, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=192.168.77.11 actions=ct(table=ConntrackState,zone=65520,nat)",
    "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=1 actions=LOCAL",
    "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=2 actions=output:1",
    "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=LOCAL actions=output:1",
    "cookie=0x1000000000000, table=PhyClassifier, priority=0 actions=drop",
];

#[test]
fn default_path_in_full() {
    assert_lines(
        [Bridge::Phy, Bridge::Int]
            .iter()
            .flat_map(|b| lines(&pipeline(&[CLUSTER], "node-b"), *b))
            .collect(),
        NODE_B_DEFAULT,
    );
}

/// Use cases 1 and 2 on a node that owns neither IP: test-1 (port 11) is tunnelled to node-a
/// with VNI 0x691264 (10.105.18.100), stage-1 (port 12) with 0x691265 (10.105.18.101);
/// stage-impostor (port 10, `app=staging` but not in a `role=staging` namespace) keeps the
/// default path. Pod connectivity is unchanged.
#[test]
fn seed_use_cases_on_a_non_owner() {
    let p = pipeline(&[CLUSTER, SEED], "node-b");
    let default = pipeline(&[CLUSTER], "node-b");
    assert_eq!(tables(&p, &CONNECTIVITY), tables(&default, &CONNECTIVITY));
    let mut want: Vec<&str> = NODE_B_STATIC_PHY.to_vec();
    want.extend([
        "cookie=0x1040078994dab, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.10 actions=goto_table:SNAT",
        "cookie=0x1040000000000, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.11 actions=goto_table:SNAT",
        "cookie=0x104000000000b, table=EgressMark, priority=200,ip,in_port=11 actions=set_field:192.168.77.10->tun_dst,set_field:0x691264->tun_id,output:1",
        "cookie=0x104000000000c, table=EgressMark, priority=200,ip,in_port=12 actions=set_field:192.168.77.10->tun_dst,set_field:0x691265->tun_id,output:1",
        "cookie=0x1040000000000, table=EgressMark, priority=190,reg0=0x1/0xf actions=drop",
        "cookie=0x1040000000000, table=EgressMark, priority=0 actions=goto_table:SNAT",
        "cookie=0x1040000000000, table=SNAT, priority=190,ip,reg1=0 actions=ct(commit,zone=65520,nat(src=192.168.77.11)),set_field:02:00:c0:a8:4d:0b->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
        "cookie=0x1000000000000, table=SNAT, priority=0 actions=drop",
    ]);
    assert_lines(tables(&p, &["PhyClassifier", "EgressMark", "SNAT"]), &want);
}

/// The owner of both IPs (node-a: the only snat-origin node, and the ring's choice for the
/// empty-selector pool): its pod test-2 (port 10) is SNATed here; tunnelled traffic with either
/// id is SNATed; br-phy answers ARP for both IPs and un-NATs their replies.
#[test]
fn seed_use_cases_on_the_owner() {
    let p = pipeline(&[CLUSTER, SEED], "node-a");
    assert_lines(
        tables(&p, &["PhyClassifier", "EgressMark", "SNAT"]),
        &[
            "cookie=0x1040000691264, table=PhyClassifier, priority=300,arp,in_port=1,arp_tpa=10.105.18.100,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:02:00:c0:a8:4d:0a->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:02:00:c0:a8:4d:0a->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:10.105.18.100->arp_spa,IN_PORT",
            "cookie=0x1040000691265, table=PhyClassifier, priority=300,arp,in_port=1,arp_tpa=10.105.18.101,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:02:00:c0:a8:4d:0a->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:02:00:c0:a8:4d:0a->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:10.105.18.101->arp_spa,IN_PORT",
            "cookie=0x1010000000000, table=PhyClassifier, priority=250,udp,in_port=1,nw_dst=192.168.77.10,tp_dst=6081 actions=LOCAL",
            "cookie=0x1040000691264, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=10.105.18.100 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x1040000691265, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=10.105.18.101 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x1040000000000, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=192.168.77.10 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=1 actions=LOCAL",
            "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=2 actions=output:1",
            "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=LOCAL actions=output:1",
            "cookie=0x1000000000000, table=PhyClassifier, priority=0 actions=drop",
            "cookie=0x1040000000000, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.10 actions=goto_table:SNAT",
            "cookie=0x10400e1901c11, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.11 actions=goto_table:SNAT",
            "cookie=0x1040000691264, table=EgressMark, priority=200,ip,reg0=0x1/0xf,tun_id=0x691264 actions=set_field:0x691264->reg1,goto_table:SNAT",
            "cookie=0x1040000691265, table=EgressMark, priority=200,ip,reg0=0x1/0xf,tun_id=0x691265 actions=set_field:0x691265->reg1,goto_table:SNAT",
            "cookie=0x104000000000a, table=EgressMark, priority=200,ip,in_port=10 actions=set_field:0x691264->reg1,goto_table:SNAT",
            "cookie=0x1040000000000, table=EgressMark, priority=190,reg0=0x1/0xf actions=drop",
            "cookie=0x1040000000000, table=EgressMark, priority=0 actions=goto_table:SNAT",
            "cookie=0x1040000691264, table=SNAT, priority=200,ip,reg1=0x691264 actions=ct(commit,zone=65520,nat(src=10.105.18.100)),set_field:02:00:c0:a8:4d:0a->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
            "cookie=0x1040000691265, table=SNAT, priority=200,ip,reg1=0x691265 actions=ct(commit,zone=65520,nat(src=10.105.18.101)),set_field:02:00:c0:a8:4d:0a->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
            "cookie=0x1040000000000, table=SNAT, priority=190,ip,reg1=0 actions=ct(commit,zone=65520,nat(src=192.168.77.10)),set_field:02:00:c0:a8:4d:0a->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
            "cookie=0x1000000000000, table=SNAT, priority=0 actions=drop",
        ],
    );
}

/// node-a is down: the snat-origin IP has no eligible node, so test-1 is cut off (fail
/// closed: dropped, not SNATed to the node IP); the staging IP moves to node-b, the only
/// alive node, which now SNATs stage-1 itself and owns the IP on br-phy.
#[test]
fn no_owner_fails_closed_and_ips_move() {
    let p = pipeline(&[CLUSTER, SEED, NODE_A_DOWN], "node-b");
    assert_lines(
        tables(&p, &["PhyClassifier", "EgressMark", "SNAT"]),
        &[
            "cookie=0x1040000691265, table=PhyClassifier, priority=300,arp,in_port=1,arp_tpa=10.105.18.101,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:02:00:c0:a8:4d:0b->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:02:00:c0:a8:4d:0b->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:10.105.18.101->arp_spa,IN_PORT",
            "cookie=0x1010000000000, table=PhyClassifier, priority=250,udp,in_port=1,nw_dst=192.168.77.11,tp_dst=6081 actions=LOCAL",
            "cookie=0x1040000691265, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=10.105.18.101 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x1040000000000, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=192.168.77.11 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=1 actions=LOCAL",
            "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=2 actions=output:1",
            "cookie=0x1010000000000, table=PhyClassifier, priority=100,in_port=LOCAL actions=output:1",
            "cookie=0x1000000000000, table=PhyClassifier, priority=0 actions=drop",
            "cookie=0x1040078994dab, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.10 actions=goto_table:SNAT",
            "cookie=0x1040000000000, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.11 actions=goto_table:SNAT",
            "cookie=0x1040000691265, table=EgressMark, priority=200,ip,reg0=0x1/0xf,tun_id=0x691265 actions=set_field:0x691265->reg1,goto_table:SNAT",
            "cookie=0x104000000000b, table=EgressMark, priority=200,ip,in_port=11 actions=drop",
            "cookie=0x104000000000c, table=EgressMark, priority=200,ip,in_port=12 actions=set_field:0x691265->reg1,goto_table:SNAT",
            "cookie=0x1040000000000, table=EgressMark, priority=190,reg0=0x1/0xf actions=drop",
            "cookie=0x1040000000000, table=EgressMark, priority=0 actions=goto_table:SNAT",
            "cookie=0x1040000691265, table=SNAT, priority=200,ip,reg1=0x691265 actions=ct(commit,zone=65520,nat(src=10.105.18.101)),set_field:02:00:c0:a8:4d:0b->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
            "cookie=0x1040000000000, table=SNAT, priority=190,ip,reg1=0 actions=ct(commit,zone=65520,nat(src=192.168.77.11)),set_field:02:00:c0:a8:4d:0b->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
            "cookie=0x1000000000000, table=SNAT, priority=0 actions=drop",
        ],
    );
}

/// An Egress whose IP cannot be allocated (its one-address pool is taken by an older Egress):
/// its dual-stack pod (port 10) is cut off in both families, since no IP family is known.
#[test]
fn unallocated_egress_blocks_every_family() {
    let p = pipeline(&[CLUSTER, SEED, LATE], "node-b");
    let egress: Vec<String> = tables(&p, &["EgressMark"])
        .into_iter()
        .filter(|l| l.contains("in_port=10 "))
        .collect();
    assert_lines(
        egress,
        &[
            "cookie=0x104000000000a, table=EgressMark, priority=200,ip,in_port=10 actions=drop",
            "cookie=0x104000000000a, table=EgressMark, priority=200,ipv6,in_port=10 actions=drop",
        ],
    );
}

/// exceptCIDRs bypass egress (default SNAT) for pod traffic, above the per-pod choices.
#[test]
fn except_cidrs_take_the_default_path() {
    let state = state_from(&[CLUSTER, SEED]);
    let mut cfg = config(&state, "node-b");
    cfg.except_cidrs = vec![
        "10.0.0.0/8".parse().unwrap(),
        "2001:db8::/32".parse().unwrap(),
    ];
    let p = pipeline_for(&state, cfg, 1);
    let bypass: Vec<String> = tables(&p, &["EgressMark"])
        .into_iter()
        .filter(|l| l.contains("priority=210"))
        .collect();
    assert_lines(
        bypass,
        &[
            "cookie=0x1040000000000, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=10.0.0.0/8 actions=goto_table:SNAT",
            "cookie=0x1040078994dab, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.10 actions=goto_table:SNAT",
            "cookie=0x1040000000000, table=EgressMark, priority=210,ip,reg0=0x3/0xf,nw_dst=192.168.77.11 actions=goto_table:SNAT",
            "cookie=0x1040000000000, table=EgressMark, priority=210,ipv6,reg0=0x3/0xf,ipv6_dst=2001:db8::/32 actions=goto_table:SNAT",
        ],
    );
}

/// Dual stack: IPv6 pod CIDRs route over the (IPv4) tunnel; the pod's IPv6 is spoof-guarded and
/// delivered; an IPv6 Egress IP owned by node-a applies to the pod's IPv6 traffic only (its IPv4
/// traffic keeps the default path); default SNAT exists per family.
#[test]
fn ipv6_variants() {
    let state = state_from(&[V6]);
    let with_v6 = |node: &str, ip: &str| {
        let mut cfg = config(&state, node);
        cfg.node_ipv6 = Some(ip.parse().unwrap());
        pipeline_for(&state, cfg, 1)
    };
    let b = with_v6("node-b", "fd00:77::11");
    let v6: Vec<String> = [Bridge::Phy, Bridge::Int]
        .iter()
        .flat_map(|br| lines(&b, *br))
        .filter(|l| l.contains("ipv6"))
        .collect();
    assert_lines(
        v6,
        &[
            "cookie=0x1040000000000, table=PhyClassifier, priority=200,ipv6,in_port=1,ipv6_dst=fd00:77::11 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x1010000000000, table=SpoofGuard, priority=220,icmp6,ipv6_src=::,icmp_type=135,icmp_code=0 actions=drop",
            "cookie=0x101000000000a, table=SpoofGuard, priority=200,ipv6,in_port=10,dl_src=02:00:0a:f4:01:05,ipv6_src=fd00:244:0:1::5 actions=goto_table:L3Forwarding",
            "cookie=0x1010000000000, table=L3Forwarding, priority=200,ipv6,ipv6_dst=fd00:244:0:1::/64 actions=goto_table:L2ForwardingCalc",
            "cookie=0x1010078994dab, table=L3Forwarding, priority=190,ipv6,ipv6_dst=fd00:244::/64 actions=set_field:192.168.77.10->tun_dst,set_field:0->tun_id,output:1",
            "cookie=0x1040000000000, table=EgressMark, priority=210,ipv6,reg0=0x3/0xf,ipv6_dst=fd00:77::11 actions=goto_table:SNAT",
            "cookie=0x104000000000a, table=EgressMark, priority=200,ipv6,in_port=10 actions=set_field:192.168.77.10->tun_dst,set_field:0x6411a0->tun_id,output:1",
            "cookie=0x1040000000000, table=SNAT, priority=190,ipv6,reg1=0 actions=ct(commit,zone=65520,nat(src=fd00:77::11)),set_field:02:00:c0:a8:4d:0b->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
            "cookie=0x101000000000a, table=L2ForwardingCalc, priority=200,ipv6,ipv6_dst=fd00:244:0:1::5 actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:02:00:0a:f4:01:05->eth_dst,output:10",
        ],
    );
    let a = with_v6("node-a", "fd00:77::10");
    let owner: Vec<String> = [Bridge::Phy, Bridge::Int]
        .iter()
        .flat_map(|br| lines(&a, *br))
        .filter(|l| l.contains("6411a0") && !l.contains("icmp6") && !l.contains("NDResponder"))
        .collect();
    assert_lines(
        owner,
        &[
            "cookie=0x10400006411a0, table=PhyClassifier, priority=200,ipv6,in_port=1,ipv6_dst=fd00:105:18::100 actions=ct(table=ConntrackState,zone=65520,nat)",
            "cookie=0x10400006411a0, table=EgressMark, priority=200,ipv6,reg0=0x1/0xf,tun_id=0x6411a0 actions=set_field:0x6411a0->reg1,goto_table:SNAT",
            "cookie=0x10400006411a0, table=SNAT, priority=200,ipv6,reg1=0x6411a0 actions=ct(commit,zone=65520,nat(src=fd00:105:18::100)),set_field:02:00:c0:a8:4d:0a->eth_src,set_field:02:00:0a:69:12:23->eth_dst,output:2",
        ],
    );
}

/// IPv6 neighbor discovery, in two tables because OVS only allows writing `nd_tll` in a flow
/// whose match says "advertisement": the pods' virtual gateway answers every solicitation
/// (router flag set) except duplicate-address probes; br-phy answers for an owned IPv6 egress IP.
#[test]
fn ipv6_neighbor_discovery() {
    let state = state_from(&[V6]);
    let nd = |node: &str| -> Vec<String> {
        let p = pipeline_for(&state, config(&state, node), 1);
        [Bridge::Phy, Bridge::Int]
            .iter()
            .flat_map(|br| lines(&p, *br))
            .filter(|l| l.contains("icmp6") || l.contains("NDResponder"))
            .collect()
    };
    assert_lines(
        nd("node-b"),
        &[
            "cookie=0x1010000000000, table=SpoofGuard, priority=220,icmp6,ipv6_src=::,icmp_type=135,icmp_code=0 actions=drop",
            "cookie=0x101000000000a, table=SpoofGuard, priority=210,icmp6,in_port=10,dl_src=02:00:0a:f4:01:05,icmp_type=135,icmp_code=0 actions=goto_table:ARPResponder",
            "cookie=0x1010000000000, table=ARPResponder, priority=200,icmp6,icmp_type=135,icmp_code=0 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:aa:bb:cc:dd:ee:ff->eth_src,move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],move:NXM_NX_ND_TARGET[]->NXM_NX_IPV6_SRC[],set_field:136->icmpv6_type,goto_table:NDResponder",
            "cookie=0x1010000000000, table=NDResponder, priority=200,icmp6,icmp_type=136,icmp_code=0 actions=set_field:3758096384->nd_reserved,set_field:2->nd_options_type,set_field:aa:bb:cc:dd:ee:ff->nd_tll,IN_PORT",
            "cookie=0x1000000000000, table=NDResponder, priority=0 actions=drop",
        ],
    );
    let owner: Vec<String> = nd("node-a")
        .into_iter()
        .filter(|l| l.contains("fd00:105:18::100"))
        .collect();
    assert_lines(
        owner,
        &[
            "cookie=0x10400006411a0, table=PhyClassifier, priority=310,icmp6,in_port=1,ipv6_src=::,icmp_type=135,icmp_code=0,nd_target=fd00:105:18::100 actions=drop",
            "cookie=0x10400006411a0, table=PhyClassifier, priority=300,icmp6,in_port=1,icmp_type=135,icmp_code=0,nd_target=fd00:105:18::100 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:02:00:c0:a8:4d:0a->eth_src,move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],set_field:fd00:105:18::100->ipv6_src,set_field:136->icmpv6_type,goto_table:NDResponder",
            "cookie=0x10400006411a0, table=NDResponder, priority=200,icmp6,icmp_type=136,icmp_code=0,nd_target=fd00:105:18::100 actions=set_field:1610612736->nd_reserved,set_field:2->nd_options_type,set_field:02:00:c0:a8:4d:0a->nd_tll,IN_PORT",
        ],
    );
}

/// After an IP moved away, the old owner keeps only the un-NAT of its replies (drain); no ARP
/// answers, no SNAT, no tunnel ingress for it.
#[test]
fn draining_keeps_only_the_reply_path() {
    let mut p = pipeline(&[CLUSTER, SEED, NODE_A_DOWN], "node-b");
    let ip = "10.105.18.101".parse().unwrap();
    let id = ovs_egress::egress::egress_id::EgressId::new(0x691265);
    p.set_owned_ips(&[]);
    p.set_draining([(ip, id)]);
    let lines: Vec<String> = tables(&p, &["PhyClassifier", "EgressMark", "SNAT"])
        .into_iter()
        .filter(|l| l.contains("10.105.18.101") || l.contains("0x691265"))
        .collect();
    assert_lines(
        lines,
        &[
            "cookie=0x1040000691265, table=PhyClassifier, priority=200,ip,in_port=1,nw_dst=10.105.18.101 actions=ct(table=ConntrackState,zone=65520,nat)",
            // The pod choice still says "SNAT here" until the view changes; its SNAT flow is
            // gone, so SNAT's table-miss drops (never a silent fallback to the node IP).
            "cookie=0x104000000000c, table=EgressMark, priority=200,ip,in_port=12 actions=set_field:0x691265->reg1,goto_table:SNAT",
        ],
    );
}
