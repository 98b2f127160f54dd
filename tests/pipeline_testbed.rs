//! The computed pipeline on real Open vSwitch (userspace datapath) in the namespace testbed:
//! two nodes, six pods, an external host. Manifests (the seed's two use cases) go through the
//! egress engine; each node's pipeline is computed, diffed by the reconciler against the
//! switch's (empty) flow dump, and installed as one atomic OpenFlow 1.5 bundle per bridge —
//! encoded by our codec and sent over our connection, table names pushed with TABLE_FEATURES.
//! Then:
//! - `ovs-ofctl dump-flows` shows exactly the computed flows (as sets of `--no-stats` lines,
//!   with and without names), and our decoded flow-stats dump reconciles to an empty change set;
//! - `ofproto/trace` sends a selected pod to the tunnel with the egress id and the owner as
//!   destination (non-owner), to conntrack SNAT with the egress IP and the patch port (owner),
//!   tunnelled traffic with an owned id to SNAT, and a default pod to SNAT with its node IP;
//! - end to end, ICMP and TCP: selected pods leave with their Egress IP (locally SNATed and
//!   via the tunnel), others with their node IP, pods reach each other across nodes;
//! - a planned move of the egress IP (label change) applied as incremental change sets,
//!   make-before-break with a gratuitous ARP, keeps egress working from the new owner;
//! - with no eligible node left, selected pods are cut off (fail closed) and others are not.
//!
//! Needs root (network namespaces), as CI has.
#![cfg(feature = "agent")]

mod pipeline_support;

use std::collections::BTreeSet;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use ovs_egress::egress::engine::Engine;
use ovs_egress::egress::pipeline::dump::{dump_lines, Names};
use ovs_egress::egress::pipeline::{
    Bridge, FlowChange, LocalPod, Mac, NodeConfig, NodePipeline, PeerNode,
};
use ovs_egress::egress::reconcile::{self, ChangeSet, Stale};
use ovs_egress::egress::state::ClusterState;
use ovs_egress::ofproto::codec::message::multipart::FlowStatsRequest;
use ovs_egress::ofproto::codec::message::Message;
use ovs_egress::ofproto::codec::{FlowModCommand, FlowStats, PortNames, PortNo, Version};
use ovs_egress::ofproto::conn::{Switch, SwitchOptions, Target};
use ovs_egress::testbed::{PodSpec, Topology, TopologySpec};
use pipeline_support::{set, state_from};
use tokio::runtime::Runtime;

const EIP_ORIGIN: u8 = 100;
const EIP_STAGING: u8 = 101;

fn spec() -> TopologySpec {
    let mut spec = TopologySpec::new(2);
    spec.probe = Some(PathBuf::from(env!("CARGO_BIN_EXE_testbed-probe")));
    spec.pods = Vec::new();
    for n in 1..=2 {
        spec.pods
            .push(PodSpec::new(n, &format!("p{n}a"), "default"));
        spec.pods
            .push(PodSpec::new(n, &format!("p{n}b"), "default"));
        spec.pods
            .push(PodSpec::new(n, &format!("p{n}c"), "staging"));
    }
    spec
}

/// Cluster manifests for the topology: nodes (with `origin_labels` on node1/node2), the two
/// namespaces, the pods with labels (`a`: app=antrea-test, `b`: none, `c`: app=staging), and the
/// seed's two pools and Egresses.
fn manifests(topo: &Topology, origin_nodes: &[usize]) -> String {
    let mut y = String::new();
    for node in topo.nodes() {
        let labels = if origin_nodes.contains(&node.index()) {
            "{network-role: snat-origin}"
        } else {
            "{}"
        };
        let _ = write!(
            y,
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {}, labels: {labels}}}\n\
             spec: {{podCIDR: {}/24}}\nstatus:\n  addresses: [{{type: InternalIP, address: {}}}]\n\
             \x20 conditions: [{{type: Ready, status: \"True\"}}]\n---\n",
            node.name(),
            node.pod_cidr(),
            node.transport_ip()
        );
    }
    y.push_str("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n");
    y.push_str(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: staging, labels: {role: staging}}\n---\n",
    );
    for pod in topo.pods() {
        let labels = match pod.name().chars().last() {
            Some('a') => "{app: antrea-test}",
            Some('c') => "{app: staging}",
            _ => "{}",
        };
        let node = topo.node(pod.node()).unwrap().name().to_string();
        let _ = write!(
            y,
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {}, namespace: {}, labels: {labels}}}\n\
             spec: {{nodeName: {node}}}\nstatus: {{podIP: {}}}\n---\n",
            pod.name(),
            pod.namespace(),
            pod.ip()
        );
    }
    let (origin, staging) = (
        topo.spec().underlay_host(EIP_ORIGIN),
        topo.spec().underlay_host(EIP_STAGING),
    );
    let _ = write!(
        y,
        r#"apiVersion: crd.antrea.io/v1alpha2
kind: ExternalIPPool
metadata: {{name: snat-origin-pool}}
spec:
  ipRanges: [{{start: {origin}, end: {origin}}}]
  nodeSelector: {{matchLabels: {{network-role: snat-origin}}}}
---
apiVersion: crd.antrea.io/v1alpha2
kind: Egress
metadata: {{name: egress-antrea-test, creationTimestamp: "2021-08-01T10:00:00Z"}}
spec:
  appliedTo: {{podSelector: {{matchLabels: {{app: antrea-test}}}}}}
  externalIPPool: snat-origin-pool
---
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {{name: staging-pool}}
spec:
  ipRanges: [{{start: {staging}, end: {staging}}}]
  nodeSelector: {{}}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {{name: egress-staging, creationTimestamp: "2021-08-01T10:05:00Z"}}
spec:
  appliedTo:
    podSelector: {{matchLabels: {{app: staging}}}}
    namespaceSelector: {{matchLabels: {{role: staging}}}}
  externalIPPool: staging-pool
"#
    );
    y
}

fn mac(m: ovs_egress::testbed::Mac) -> Mac {
    Mac(m.0)
}

fn node_config(topo: &Topology, index: usize) -> NodeConfig {
    let node = topo.node(index).unwrap();
    NodeConfig::new(
        node.name(),
        IpAddr::V4(node.transport_ip()),
        mac(node.transport_mac()),
        mac(topo.ext().mac()),
        vec![format!("{}/24", node.pod_cidr()).parse().unwrap()],
    )
}

fn port_names(topo: &Topology, index: usize, bridge: Bridge) -> PortNames {
    let mut names = PortNames::new();
    match bridge {
        Bridge::Int => {
            names.insert(PortNo(1), "tun0");
            names.insert(PortNo(2), "patch-phy");
            for pod in topo.pods().iter().filter(|p| p.node() == index) {
                names.insert(PortNo(pod.ofport()), pod.port());
            }
        }
        Bridge::Phy => {
            names.insert(PortNo(1), "eth0");
            names.insert(PortNo(2), "patch-int");
        }
    }
    names
}

/// One node's agent, reduced to what this test needs: the pipeline, what it owns, and an
/// OpenFlow 1.5 connection to each bridge (our codec and connection, no ovs-ofctl).
struct Agent {
    index: usize,
    pipeline: NodePipeline,
    owned: BTreeSet<IpAddr>,
    int: Switch,
    phy: Switch,
}

impl Agent {
    fn new(rt: &Runtime, topo: &Topology, index: usize, state: &ClusterState) -> Agent {
        let name = topo.node(index).unwrap().name().to_string();
        let sb = topo.node(index).unwrap().sandbox();
        let connect = |bridge: Bridge| {
            let opts = SwitchOptions {
                versions: vec![Version::Of15],
                ..SwitchOptions::default()
            };
            let target = Target::Unix(sb.mgmt_sock(bridge.default_name()));
            rt.block_on(Switch::connect(target, opts)).unwrap()
        };
        let (int, phy) = (connect(Bridge::Int), connect(Bridge::Phy));
        let mut pipeline = NodePipeline::new(node_config(topo, index), 1).unwrap();
        for peer in topo.nodes().iter().filter(|n| n.index() != index) {
            pipeline.upsert_peer(PeerNode {
                name: peer.name().to_string(),
                transport_ip: IpAddr::V4(peer.transport_ip()),
                pod_cidrs: vec![format!("{}/24", peer.pod_cidr()).parse().unwrap()],
            });
        }
        for pod in topo.pods().iter().filter(|p| p.node() == index) {
            pipeline
                .upsert_pod(LocalPod {
                    key: pipeline_support::pod(pod.namespace(), pod.name()),
                    ofport: PortNo(pod.ofport()),
                    mac: mac(pod.mac()),
                    ips: vec![IpAddr::V4(pod.ip())],
                })
                .unwrap();
        }
        let view = Engine::new(state.clone()).node_view(&name);
        pipeline.apply_view(&view);
        let owned = view.owned_ips.iter().map(|o| o.ip).collect();
        Agent {
            index,
            pipeline,
            owned,
            int,
            phy,
        }
    }

    fn switch(&self, bridge: Bridge) -> &Switch {
        match bridge {
            Bridge::Int => &self.int,
            Bridge::Phy => &self.phy,
        }
    }

    /// Sends a change set: one atomic OpenFlow 1.5 bundle per phase (br-phy additions, br-int,
    /// br-phy deletions), encoded by our codec.
    fn apply(&self, rt: &Runtime, set: &ChangeSet) {
        for (bridge, mods) in set.phases() {
            let msgs = mods.into_iter().map(Message::FlowMod).collect();
            rt.block_on(self.switch(bridge).bundle(msgs))
                .unwrap_or_else(|e| panic!("node{} {bridge:?}: bundle failed: {e}", self.index));
        }
    }

    /// The installed flows as the reconciler sees them: a flow-stats dump decoded by our codec.
    fn installed(&self, rt: &Runtime, bridge: Bridge) -> Vec<FlowStats> {
        rt.block_on(self.switch(bridge).dump_flows(FlowStatsRequest::default()))
            .unwrap()
    }

    /// Pushes the table names with a TABLE_FEATURES request, so `--names` shows them.
    fn name_tables(&self, rt: &Runtime) {
        for bridge in Bridge::ALL {
            rt.block_on(self.switch(bridge).set_table_names(bridge.table_names()))
                .unwrap();
        }
    }

    /// Applies a new cluster state; IPs this node no longer owns are drained.
    fn update(&mut self, topo: &Topology, state: &ClusterState) -> Vec<FlowChange> {
        let name = topo.node(self.index).unwrap().name().to_string();
        let view = Engine::new(state.clone()).node_view(&name);
        let mut changes = self.pipeline.apply_view(&view);
        let owned: BTreeSet<IpAddr> = view.owned_ips.iter().map(|o| o.ip).collect();
        let drained = self.owned.difference(&owned).map(|ip| (*ip, None));
        changes.extend(self.pipeline.set_draining(drained));
        self.owned = owned;
        changes
    }
}

fn ofctl(topo: &Topology, index: usize, args: &[&str]) -> String {
    topo.node(index).unwrap().sandbox().ofctl(args).unwrap()
}

fn dump(topo: &Topology, index: usize, bridge: Bridge, names: bool) -> BTreeSet<String> {
    let mut args = vec!["-O", "OpenFlow15", "--no-stats"];
    args.push(if names { "--names" } else { "--no-names" });
    args.extend(["dump-flows", bridge.default_name()]);
    set(ofctl(topo, index, &args).lines().map(str::to_string))
}

/// The switch holds exactly the computed flows: ovs-ofctl's dump text (with and without names)
/// equals our printing of them, and our decoded dump reconciles to an empty change set.
fn expect_exact(rt: &Runtime, topo: &Topology, agent: &Agent) {
    let i = agent.index;
    for bridge in Bridge::ALL {
        let ours = set(dump_lines(
            agent.pipeline.desired(),
            bridge,
            Names::default(),
        ));
        let theirs = dump(topo, i, bridge, false);
        assert_eq!(
            ours.symmetric_difference(&theirs).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "node{i} {bridge:?}: computed vs dumped flows differ"
        );
        let ports = port_names(topo, i, bridge);
        let names = Names {
            tables: true,
            ports: Some(&ports),
        };
        let ours = set(dump_lines(agent.pipeline.desired(), bridge, names));
        let theirs = dump(topo, i, bridge, true);
        assert_eq!(
            ours.symmetric_difference(&theirs).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "node{i} {bridge:?}: computed vs dumped flows differ (--names)"
        );
    }
    let again = reconcile::diff_all(
        agent.pipeline.desired(),
        &agent.installed(rt, Bridge::Int),
        &agent.installed(rt, Bridge::Phy),
        Stale::Delete,
    );
    assert!(
        again.is_empty(),
        "node{i}: dump does not reconcile: {again:?}"
    );
}

fn trace(topo: &Topology, index: usize, flow: &str) -> String {
    let sb = topo.node(index).unwrap().sandbox();
    sb.appctl(&["ofproto/trace", "br-int", flow]).unwrap()
}

fn pod_flow(topo: &Topology, pod: &str, dst: Ipv4Addr) -> String {
    let p = topo.pod(pod).unwrap();
    format!(
        "in_port={},icmp,dl_src={},dl_dst=aa:bb:cc:dd:ee:ff,nw_src={},nw_dst={dst},nw_ttl=64",
        p.ofport(),
        p.mac(),
        p.ip()
    )
}

/// ICMP and TCP sources the external host saw from `pod`.
fn sources(topo: &Topology, pod: &str) -> (BTreeSet<Ipv4Addr>, Ipv4Addr) {
    let ext = topo.ext();
    let p = topo.pod(pod).unwrap();
    let ping = p.ping(ext.ip(), 3, Duration::from_millis(100)).unwrap();
    assert_eq!(ping.lost(), 0, "{pod} lost pings: {ping:?}");
    let icmp = ext.icmp_sources(&ping).unwrap();
    let tcp = p.tcp_connect(ext.ip(), ext.tcp_port()).unwrap();
    (icmp, tcp)
}

fn expect_source(topo: &Topology, pod: &str, want: Ipv4Addr) {
    let (icmp, tcp) = sources(topo, pod);
    assert_eq!(icmp, BTreeSet::from([want]), "ICMP source of {pod}");
    assert_eq!(tcp, want, "TCP source of {pod}");
}

/// Gratuitous ARP for `ip` from node `index`'s br-phy, as an OpenFlow packet-out (notes §5).
fn garp(topo: &Topology, index: usize, ip: Ipv4Addr) {
    let node = topo.node(index).unwrap();
    let m = node.transport_mac().0;
    let mut pkt = String::from("ffffffffffff");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    pkt += &hex(&m);
    pkt += "08060001080006040001";
    pkt += &hex(&m);
    pkt += &hex(&ip.octets());
    pkt += "000000000000";
    pkt += &hex(&ip.octets());
    let arg = format!("in_port=LOCAL packet={pkt} actions=output:1");
    node.sandbox()
        .ofctl(&["-O", "OpenFlow13", "packet-out", "br-phy", &arg])
        .unwrap();
}

#[test]
fn computed_pipeline_on_real_ovs() {
    let topo = Topology::build(spec()).unwrap();
    let (n1, n2) = (topo.node(1).unwrap(), topo.node(2).unwrap());
    let (ip1, ip2) = (n1.transport_ip(), n2.transport_ip());
    let origin = topo.spec().underlay_host(EIP_ORIGIN);
    let staging = topo.spec().underlay_host(EIP_STAGING);

    let state = state_from(&[&manifests(&topo, &[1])]);
    let engine = Engine::new(state.clone());
    let owner_of = |eip: Ipv4Addr| -> usize {
        let o = engine.plan().ips[&IpAddr::V4(eip)].owner.clone().unwrap();
        if o == n1.name() {
            1
        } else {
            2
        }
    };
    assert_eq!(owner_of(origin), 1, "only node1 is snat-origin");
    eprintln!("{staging} is owned by node{}", owner_of(staging));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut agents: Vec<Agent> = (1..=2).map(|i| Agent::new(&rt, &topo, i, &state)).collect();
    for agent in &agents {
        agent.name_tables(&rt);
        // First install: the switch is empty, so the diff is every flow, all additions.
        let installed_int = agent.installed(&rt, Bridge::Int);
        let installed_phy = agent.installed(&rt, Bridge::Phy);
        assert!(installed_int.is_empty() && installed_phy.is_empty());
        let set = reconcile::diff_all(
            agent.pipeline.desired(),
            &installed_int,
            &installed_phy,
            Stale::Delete,
        );
        assert!(set
            .int
            .iter()
            .chain(&set.phy)
            .all(|m| m.command == FlowModCommand::Add));
        agent.apply(&rt, &set);
        expect_exact(&rt, &topo, agent);
    }
    topo.warm_tunnel_neighbours().unwrap();

    // Traces. Non-owner (node2): the selected pod is tunnelled to node1 with VNI = egress id.
    let id = |ip: Ipv4Addr| u32::from(ip) & 0xff_ffff;
    let ext = topo.ext().ip();
    let t = trace(&topo, 2, &pod_flow(&topo, "p2a", ext));
    assert!(t.contains(&format!("set_field:{ip1}->tun_dst")), "{t}");
    assert!(
        t.contains(&format!("set_field:{:#x}->tun_id", id(origin))),
        "{t}"
    );
    let dp = t
        .lines()
        .find(|l| l.starts_with("Datapath actions:"))
        .unwrap();
    assert!(
        dp.contains("tnl_push") && dp.contains(&format!("vni={:#x}", id(origin))),
        "{dp}"
    );
    assert!(dp.contains(&format!("dst={ip1}")), "{dp}");
    // Owner (node1): conntrack SNAT to the egress IP and out through the patch port.
    let t = trace(&topo, 1, &pod_flow(&topo, "p1a", ext));
    assert!(
        t.contains(&format!("ct(commit,zone=65520,nat(src={origin}))")),
        "{t}"
    );
    assert!(t.contains("output:2"), "{t}");
    let dp = t
        .lines()
        .find(|l| l.starts_with("Datapath actions:"))
        .unwrap();
    assert!(dp.contains(&format!("nat(src={origin})")), "{dp}");
    // Tunnelled traffic with an id the node owns is SNATed there.
    let t = trace(
        &topo,
        1,
        &format!(
            "in_port=1,tun_id={:#x},tun_src={ip2},tun_dst={ip1},icmp,dl_src={},\
             dl_dst=aa:bb:cc:dd:ee:ff,nw_src={},nw_dst={ext},nw_ttl=64",
            id(origin),
            topo.pod("p2a").unwrap().mac(),
            topo.pod("p2a").unwrap().ip()
        ),
    );
    assert!(
        t.lines().any(
            |l| l.starts_with("Datapath actions:") && l.contains(&format!("nat(src={origin})"))
        ),
        "{t}"
    );
    // Default pods: SNAT to their node IP.
    for (node, pod, ip) in [(1, "p1b", ip1), (2, "p2b", ip2)] {
        let t = trace(&topo, node, &pod_flow(&topo, pod, ext));
        let dp = t
            .lines()
            .find(|l| l.starts_with("Datapath actions:"))
            .unwrap();
        assert!(dp.contains(&format!("nat(src={ip})")), "{pod}: {dp}");
    }

    // End to end, ICMP and TCP.
    for (pod, want) in [
        ("p1a", origin),
        ("p2a", origin),
        ("p1b", ip1),
        ("p2b", ip2),
        ("p1c", staging),
        ("p2c", staging),
    ] {
        expect_source(&topo, pod, want);
    }
    // Pod to pod across nodes (VNI 0 both ways) and on one node.
    for (from, to) in [("p1b", "p2b"), ("p2a", "p1c"), ("p1a", "p1b")] {
        let dst = topo.pod(to).unwrap().ip();
        let ping = topo
            .pod(from)
            .unwrap()
            .ping(dst, 2, Duration::from_millis(100))
            .unwrap();
        assert_eq!(ping.lost(), 0, "{from} -> {to}: {ping:?}");
    }
    let seen = topo.ext().seen_sources().unwrap();
    assert_eq!(seen, BTreeSet::from([ip1, ip2, origin, staging]));

    // Planned move of the origin IP: node2 becomes snat-origin, node1 does not. Incremental:
    // new owner first (its reply path and SNAT), then the old owner (tunnel to the new one,
    // drain), then the gratuitous ARP (notes §5 make-before-break).
    let moved = state_from(&[&manifests(&topo, &[2])]);
    let c2 = agents[1].update(&topo, &moved);
    let c1 = agents[0].update(&topo, &moved);
    assert!(!c2.is_empty() && !c1.is_empty());
    agents[1].apply(&rt, &reconcile::from_changes(&c2));
    agents[0].apply(&rt, &reconcile::from_changes(&c1));
    garp(&topo, 2, origin);
    for agent in &agents {
        expect_exact(&rt, &topo, agent);
    }
    let t = trace(&topo, 1, &pod_flow(&topo, "p1a", ext));
    assert!(t.contains(&format!("set_field:{ip2}->tun_dst")), "{t}");
    expect_source(&topo, "p2a", origin);
    expect_source(&topo, "p1a", origin);
    expect_source(&topo, "p1b", ip1);

    // No eligible node at all: the selected pods are cut off, the others are not.
    let nobody = state_from(&[&manifests(&topo, &[])]);
    for i in [1, 0] {
        let changes = agents[i].update(&topo, &nobody);
        agents[i].apply(&rt, &reconcile::from_changes(&changes));
    }
    for agent in &agents {
        expect_exact(&rt, &topo, agent);
    }
    for pod in ["p1a", "p2a"] {
        let ping = topo
            .pod(pod)
            .unwrap()
            .ping(ext, 3, Duration::from_millis(100))
            .unwrap();
        assert_eq!(ping.received, 0, "{pod} must be cut off: {ping:?}");
        let icmp = topo.ext().icmp_sources(&ping).unwrap();
        assert!(icmp.is_empty(), "{pod} leaked as {icmp:?}");
    }
    expect_source(&topo, "p2b", ip2);
    expect_source(&topo, "p1c", staging);

    topo.teardown().unwrap();
}
