//! Shared set-up of the agent end-to-end tests: a namespace testbed whose bridges the agents
//! own, the demo's cluster manifests, one real `ovs-egress` per node.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use ovs_egress::agent::harness::{find_agent_binary, gossip_settings, write_manifest, Agents};
use ovs_egress::agent::status::NodeReport;
use ovs_egress::testbed::{netns_pids, BridgeSetup, PingStats, PodSpec, Topology, TopologySpec};

/// Generous bound for anything on a loaded 2-core machine.
pub const WAIT: Duration = Duration::from_secs(60);

pub const CLUSTER: &str = include_str!("../../testbed/manifests/demo/00-cluster.yaml");
pub const PODS: &str = include_str!("../../testbed/manifests/demo/10-pods.yaml");
pub const USE_CASE_1: &str = include_str!("../../testbed/manifests/demo/use-case-1.yaml");
pub const USE_CASE_2: &str = include_str!("../../testbed/manifests/demo/use-case-2.yaml");

pub const NODE1: Ipv4Addr = Ipv4Addr::new(10, 105, 18, 31);
pub const NODE2: Ipv4Addr = Ipv4Addr::new(10, 105, 18, 32);
pub const EIP1: Ipv4Addr = Ipv4Addr::new(10, 105, 18, 100);
pub const EIP2: Ipv4Addr = Ipv4Addr::new(10, 105, 18, 101);

/// The demo's pods: (node, name, namespace).
pub const DEMO_PODS: [(usize, &str, &str); 7] = [
    (1, "antrea-test-1", "default"),
    (1, "web-1", "default"),
    (1, "stage-1", "staging"),
    (2, "antrea-test-2", "default"),
    (2, "web-2", "default"),
    (2, "stage-2", "staging"),
    (2, "stage-impostor", "default"),
];

/// A running testbed with agents. Field order matters: agents stop before the topology goes.
pub struct Cluster {
    pub agents: Agents,
    pub topo: Topology,
    pub manifests: PathBuf,
}

fn agent_binary() -> PathBuf {
    find_agent_binary(Some(Path::new(env!("CARGO_BIN_EXE_ovs-egress")))).unwrap()
}

/// Builds the demo topology (or `pods`), writes `manifests` (name, text), starts the agents,
/// attaches the pods once the agents made br-int, and waits until every agent knows its pods.
pub fn start(pods: &[(usize, &str, &str)], manifests: &[(&str, &str)]) -> Cluster {
    start_nodes(2, pods, manifests, false)
}

/// Like [`start`] with `nodes` nodes, and gossip membership on when `gossip` (issue 7).
pub fn start_nodes(
    nodes: usize,
    pods: &[(usize, &str, &str)],
    manifests: &[(&str, &str)],
    gossip: bool,
) -> Cluster {
    let mut spec = TopologySpec::new(nodes);
    spec.probe = Some(PathBuf::from(env!("CARGO_BIN_EXE_testbed-probe")));
    spec.bridges = BridgeSetup::Agent;
    spec.pods = pods
        .iter()
        .map(|(n, name, ns)| PodSpec::new(*n, name, ns))
        .collect();
    let topo = Topology::build(spec).unwrap();
    let dir = topo.run_dir().join("manifests");
    for (name, text) in manifests {
        write_manifest(&dir, name, text).unwrap();
    }
    let extra = if gossip {
        gossip_settings(&topo).unwrap()
    } else {
        String::new()
    };
    let agents = Agents::start_with(&topo, &dir, &agent_binary(), &extra).unwrap();
    agents.wait_all("convergence", WAIT, |_| true).unwrap();
    topo.attach_pods().unwrap();
    for n in 1..=nodes {
        let want = pods.iter().filter(|p| p.0 == n).count();
        agents
            .wait_status(n, "all pods learnt", WAIT, |r| r.pods.len() == want)
            .unwrap();
    }
    Cluster {
        agents,
        topo,
        manifests: dir,
    }
}

impl Cluster {
    /// Writes (atomically) a manifest file into the shared directory.
    pub fn write(&self, name: &str, text: &str) {
        write_manifest(&self.manifests, name, text).unwrap();
    }

    /// Removes a manifest file.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.manifests.join(name)).unwrap();
    }

    /// Waits until every agent's status satisfies `pred`.
    pub fn wait_all(&self, what: &str, pred: impl Fn(&NodeReport) -> bool) -> Vec<NodeReport> {
        self.agents
            .wait_all(what, WAIT, pred)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The source addresses the external host saw for a 3-request ping from `pod`, and the
    /// peer address of a TCP connection from it.
    pub fn seen(&self, pod: &str) -> (BTreeSet<Ipv4Addr>, Ipv4Addr) {
        let ext = self.topo.ext();
        let p = self.topo.pod(pod).unwrap();
        let ping = p.ping(ext.ip(), 3, Duration::from_millis(100)).unwrap();
        assert!(ping.received > 0, "{pod}: no ping reply at all: {ping:?}");
        let icmp = ext.icmp_sources(&ping).unwrap();
        let tcp = p.tcp_connect(ext.ip(), ext.tcp_port()).unwrap();
        (icmp, tcp)
    }

    /// Asserts that `pod`'s ICMP and TCP traffic reaches the external host from `want`.
    pub fn assert_source(&self, pod: &str, want: Ipv4Addr) {
        let (icmp, tcp) = self.seen(pod);
        assert_eq!(icmp, BTreeSet::from([want]), "{pod}: ICMP sources");
        assert_eq!(tcp, want, "{pod}: TCP source");
    }
}

/// The pod entry of `pod` (`namespace/name`) in a node report.
pub fn pod_path<'a>(r: &'a NodeReport, pod: &str) -> Option<&'a str> {
    r.pods
        .iter()
        .find(|p| p.pod == pod)
        .map(|p| p.path.as_str())
}

/// Whether the status of some pod on this node names `egress` (or, with `None`, that no pod
/// uses any Egress).
pub fn pod_uses(r: &NodeReport, pod: &str, egress: Option<&str>) -> bool {
    r.pods
        .iter()
        .find(|p| p.pod == pod)
        .is_some_and(|p| p.egress.as_deref() == egress)
}

/// Starts `count` pings from `pod` to the external host every `interval` on a thread and
/// returns once the ping process runs in the pod's namespace, so the caller's next step
/// (a move, a kill) happens under traffic.
pub fn ping_in_background(
    topo: &Topology,
    pod: &str,
    count: u32,
    interval: Duration,
) -> thread::JoinHandle<PingStats> {
    let p = topo.pod(pod).unwrap().clone();
    let ext = topo.ext().ip();
    let netns = p.netns().to_string();
    let h = thread::spawn(move || p.ping(ext, count, interval).unwrap());
    let deadline = Instant::now() + WAIT;
    while netns_pids(&netns).is_empty() {
        assert!(Instant::now() < deadline, "ping in {netns} did not start");
        thread::sleep(Duration::from_millis(5));
    }
    h
}
