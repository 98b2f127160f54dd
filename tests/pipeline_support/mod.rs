//! Shared by the pipeline tests: manifests → egress engine → per-node pipeline inputs.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::IpAddr;

use ovs_egress::egress::engine::Engine;
use ovs_egress::egress::model::{load_yaml, Object, PodKey};
use ovs_egress::egress::pipeline::dump::{dump_lines, Names};
use ovs_egress::egress::pipeline::{Bridge, LocalPod, Mac, NodeConfig, NodePipeline, PeerNode};
use ovs_egress::egress::state::ClusterState;
use ovs_egress::ofproto::codec::PortNo;

/// Loads YAML documents into a cluster state whose alive set is the Ready nodes.
pub fn state_from(texts: &[&str]) -> ClusterState {
    let mut objects: Vec<Object> = Vec::new();
    for t in texts {
        let loaded = load_yaml(t);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        objects.extend(loaded.objects);
    }
    let mut state = ClusterState::from_objects(objects, Default::default());
    state.alive = state.ready_nodes();
    state
}

/// The testbed's deterministic MAC for an IP: `02:00` + the IPv4 address in hex.
pub fn mac_for(ip: IpAddr) -> Mac {
    match ip {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            Mac([2, 0, a, b, c, d])
        }
        IpAddr::V6(a) => {
            let o = a.octets();
            Mac([2, 0, o[12], o[13], o[14], o[15]])
        }
    }
}

/// Local pods of `node` from the state: ofports 10, 11, ... in pod-key order, MAC from the
/// first IP.
pub fn local_pods(state: &ClusterState, node: &str) -> Vec<LocalPod> {
    state
        .pods
        .iter()
        .filter(|(_, p)| p.spec.node_name.as_deref() == Some(node))
        .enumerate()
        .map(|(i, (key, pod))| {
            let ips = pod.ips();
            LocalPod {
                key: key.clone(),
                ofport: PortNo(10 + i as u16),
                mac: mac_for(ips[0]),
                ips,
            }
        })
        .collect()
}

/// The peers of `node` from the state's Node objects.
pub fn peers(state: &ClusterState, node: &str) -> Vec<PeerNode> {
    state
        .nodes
        .values()
        .filter(|n| n.name() != node)
        .filter_map(PeerNode::from_node)
        .collect()
}

/// A node configuration from the state's Node object: transport IP = InternalIP, MACs as the
/// testbed makes them, next hop `02:00:0a:69:12:23` (the testbed's external host).
pub fn config(state: &ClusterState, node: &str) -> NodeConfig {
    let n = &state.nodes[node];
    let ip = n.internal_ip().expect("InternalIP");
    NodeConfig::new(
        node,
        ip,
        mac_for(ip),
        "02:00:0a:69:12:23".parse().unwrap(),
        n.pod_cidrs(),
    )
}

/// The whole pipeline of `node` for `state`, computed the way the agent does it: engine view,
/// then peers, pods and the view applied to a fresh pipeline.
pub fn pipeline_for(state: &ClusterState, cfg: NodeConfig, round: u16) -> NodePipeline {
    let node = cfg.name.clone();
    let engine = Engine::new(state.clone());
    let mut p = NodePipeline::new(cfg, round).unwrap();
    for peer in peers(state, &node) {
        p.upsert_peer(peer);
    }
    let view = engine.node_view(&node);
    p.apply_view(&view);
    for pod in local_pods(state, &node) {
        p.upsert_pod(pod).unwrap();
    }
    // The one-shot build (agent start) gives the same flows as the incremental path.
    let (built, errors) = NodePipeline::build(
        p.config().clone(),
        round,
        peers(state, &node),
        local_pods(state, &node),
        &view,
    )
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    for bridge in [Bridge::Int, Bridge::Phy] {
        assert_eq!(
            lines(&built, bridge),
            lines(&p, bridge),
            "build vs incremental"
        );
    }
    p
}

/// Dump lines of `bridge` (with table names), without the leading space OVS prints.
pub fn lines(p: &NodePipeline, bridge: Bridge) -> Vec<String> {
    dump_lines(
        p.desired(),
        bridge,
        Names {
            tables: true,
            ports: None,
        },
    )
    .into_iter()
    .map(|l| l.trim_start().to_string())
    .collect()
}

/// Dump lines of one br-int/br-phy table (by name).
pub fn table_lines(p: &NodePipeline, bridge: Bridge, table: &str) -> Vec<String> {
    let tag = format!("table={table},");
    lines(p, bridge)
        .into_iter()
        .filter(|l| l.contains(&tag))
        .collect()
}

/// Pod key helper.
pub fn pod(ns: &str, name: &str) -> PodKey {
    PodKey::new(ns, name)
}

/// Set of trimmed lines.
pub fn set(lines: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    lines.into_iter().map(|l| l.trim().to_string()).collect()
}
