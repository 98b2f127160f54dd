//! The testbed proves itself end to end before any agent exists: two nodes with their own
//! ovsdb-server + ovs-vswitchd (userspace datapath), pods attached as a CNI would, the
//! hand-written flows of testbed-notes §3, and an external host that records what it receives.
//! Checks default SNAT (each node's IP) and egress SNAT (the egress IP, for a pod on the owner
//! and for a pod tunnelled from the other node via Geneve), with ICMP and TCP, then that teardown
//! leaves no namespace and no process behind. Needs root (network namespaces), as CI has.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ovs_egress::sandbox::pid_alive;
use ovs_egress::testbed::{
    netns_exists, reference_flows, teardown_prefix, teardown_run_dir, BridgeSetup, PodSpec,
    Topology, TopologySpec, INT_BRIDGE,
};

const EGRESS_ID: u32 = 100;

fn spec(nodes: usize) -> TopologySpec {
    let mut spec = TopologySpec::new(nodes);
    spec.probe = Some(PathBuf::from(env!("CARGO_BIN_EXE_testbed-probe")));
    spec
}

fn assert_all_gone(netns: &[String], pids: &[u32]) {
    assert!(!netns.is_empty() && !pids.is_empty());
    for ns in netns {
        assert!(!netns_exists(ns), "namespace {ns} left behind");
    }
    for pid in pids {
        assert!(!pid_alive(*pid), "process {pid} left behind");
    }
}

/// What the external host saw for one pod: ICMP sources of its ping and the TCP peer address.
fn seen_from(topo: &Topology, pod: &str) -> (BTreeSet<Ipv4Addr>, Ipv4Addr) {
    let ext = topo.ext();
    let pod = topo.pod(pod).unwrap();
    let ping = pod.ping(ext.ip(), 3, Duration::from_millis(100)).unwrap();
    assert_eq!(ping.lost(), 0, "{} lost pings: {ping:?}", pod.name());
    let icmp = ext.icmp_sources(&ping).unwrap();
    let tcp = pod.tcp_connect(ext.ip(), ext.tcp_port()).unwrap();
    (icmp, tcp)
}

#[test]
fn two_nodes_default_and_egress_snat_end_to_end() {
    let start = Instant::now();
    let topo = Topology::build(spec(2)).unwrap();
    eprintln!("2-node topology built in {:?}", topo.build_time());
    let (n1, n2) = (topo.node(1).unwrap(), topo.node(2).unwrap());
    let eip = topo.spec().underlay_host(100);

    // CNI-style attachment: the Interface rows carry the pod's identity.
    let ids = n1
        .sandbox()
        .vsctl(&["get", "interface", "p1a", "external_ids"])
        .unwrap();
    for want in [
        "pod-name=p1a",
        "pod-namespace=default",
        "\"192.168.100.2/24\"",
        "\"02:00:c0:a8:64:02\"",
        "antrea-type=container",
    ] {
        assert!(ids.contains(want), "{want} missing in {ids}");
    }

    reference_flows::install_static(&topo).unwrap();
    // The flows read back from OVS: one per line we installed.
    let int_flows = reference_flows::br_int_static(&topo, 1).unwrap();
    let dumped = n1.dump_flows(INT_BRIDGE).unwrap();
    assert_eq!(
        dumped.lines().count(),
        int_flows.lines().count(),
        "{dumped}"
    );
    topo.warm_tunnel_neighbours().unwrap();

    // Default SNAT: each node's transport IP, for ICMP and TCP.
    for (pod, node_ip) in [("p1b", n1.transport_ip()), ("p2b", n2.transport_ip())] {
        let (icmp, tcp) = seen_from(&topo, pod);
        assert_eq!(icmp, BTreeSet::from([node_ip]), "ICMP source of {pod}");
        assert_eq!(tcp, node_ip, "TCP source of {pod}");
    }

    // Egress: p1a (on the owner, node1) and p2a (tunnelled from node2) leave with the EIP.
    reference_flows::install_egress(&topo, 1, eip, EGRESS_ID, &["p1a", "p2a"]).unwrap();
    for pod in ["p1a", "p2a"] {
        let (icmp, tcp) = seen_from(&topo, pod);
        assert_eq!(icmp, BTreeSet::from([eip]), "ICMP source of {pod}");
        assert_eq!(tcp, eip, "TCP source of {pod}");
    }
    // A pod not selected still leaves with its node's IP.
    let (icmp, tcp) = seen_from(&topo, "p2b");
    assert_eq!(
        (icmp, tcp),
        (BTreeSet::from([n2.transport_ip()]), n2.transport_ip())
    );

    // Everything the external host received came from a node IP or the EIP.
    let seen = topo.ext().seen_sources().unwrap();
    assert_eq!(
        seen,
        BTreeSet::from([n1.transport_ip(), n2.transport_ip(), eip])
    );
    // The egress traffic of p2a really crossed the underlay in Geneve with VNI 100: node1's
    // datapath decapsulated tunnel packets with that key.
    let dp = n1.sandbox().appctl(&["dpctl/dump-flows"]).unwrap();
    assert!(
        dp.contains("tun_id=0x64"),
        "no VNI 100 flow on node1:\n{dp}"
    );

    let (netns, pids) = (topo.netns_names(), topo.pids());
    assert_eq!(netns.len(), 8, "{netns:?}");
    assert_eq!(pids.len(), 6, "{pids:?}");
    let report = topo.teardown().unwrap();
    eprintln!(
        "2-node topology torn down in {:?} ({} processes, {} namespaces); test took {:?}",
        report.elapsed,
        report.stopped_pids.len(),
        report.deleted_netns.len(),
        start.elapsed()
    );
    assert_all_gone(&netns, &pids);
}

#[test]
fn agent_mode_leaves_bridges_to_the_agent() {
    let mut s = spec(1);
    s.bridges = BridgeSetup::Agent;
    s.pods = vec![PodSpec::new(1, "web-0", "staging")];
    let topo = Topology::build(s).unwrap();
    let node = topo.node(1).unwrap();
    assert_eq!(node.sandbox().vsctl(&["list-br"]).unwrap(), "");
    let pod = topo.pod("web-0").unwrap();
    assert_eq!(node.ofport(pod.port()), None);

    // Stand in for the agent: create the bridges, then attach as the CNI would.
    node.create_bridges().unwrap();
    topo.attach_pods().unwrap();
    assert_eq!(node.ofport(pod.port()), Some(pod.ofport()));
    let ids = node
        .sandbox()
        .vsctl(&["get", "interface", pod.port(), "external_ids:pod-namespace"])
        .unwrap();
    assert_eq!(ids.trim(), "staging");
    let (netns, pids) = (topo.netns_names(), topo.pids());
    topo.teardown().unwrap();
    assert_all_gone(&netns, &pids);
}

#[test]
fn teardown_by_state_file_and_by_name_after_a_crash() {
    // A process that built a topology and died (here: released it) leaves it running...
    let s = spec(1);
    let (run_root, prefix) = (s.run_root.clone(), s.prefix.clone());
    let topo = Topology::build(s.clone()).unwrap();
    let (netns, pids) = (topo.netns_names(), topo.pids());
    let run_dir = topo.release();
    assert!(pids.iter().all(|p| pid_alive(*p)));
    // ...building the same prefix again first clears the leftovers (idempotent build)...
    let topo = Topology::build(s.clone()).unwrap();
    assert!(pids.iter().all(|p| !pid_alive(*p)));
    let (netns2, pids2) = (topo.netns_names(), topo.pids());
    assert_eq!(netns2, netns);
    topo.release();
    // ...the state file tears it down by pid and by name...
    let report = teardown_run_dir(&run_dir).unwrap();
    assert_eq!(report.deleted_netns.len(), netns.len());
    assert_all_gone(&netns, &pids2);
    assert!(!run_dir.exists());

    // ...and without the state file, the namespace names alone are enough.
    let topo = Topology::build(s).unwrap();
    let (netns3, pids3) = (topo.netns_names(), topo.pids());
    let run_dir = topo.release();
    std::fs::remove_dir_all(&run_dir).unwrap();
    let report = teardown_prefix(&run_root, &prefix).unwrap();
    assert_eq!(report.deleted_netns.len(), netns3.len());
    assert_all_gone(&netns3, &pids3);
}

#[test]
fn a_failed_build_and_a_panicking_test_leave_nothing_behind() {
    // The recorder cannot start (the "probe" exits at once): build fails at the external host,
    // after the underlay and ext namespaces exist, and its drop guard removes them.
    let mut s = spec(1);
    s.probe = Some(PathBuf::from("/bin/false"));
    let (run_root, prefix) = (s.run_root.clone(), s.prefix.clone());
    let err = Topology::build(s).unwrap_err();
    assert!(err.to_string().contains("exited at start"), "{err}");
    let ours = |p: &str| {
        ovs_egress::testbed::list_netns()
            .into_iter()
            .filter(|n| n.starts_with(&format!("{p}-")))
            .collect::<Vec<_>>()
    };
    assert_eq!(ours(&prefix), Vec::<String>::new());
    std::fs::remove_dir_all(run_root.join(&prefix)).unwrap();

    // A test that panics with a topology in scope: unwinding drops it, which tears it down.
    let s = spec(1);
    let prefix = s.prefix.clone();
    let seen = std::sync::Mutex::new((Vec::new(), Vec::new()));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let topo = Topology::build(s).unwrap();
        *seen.lock().unwrap() = (topo.netns_names(), topo.pids());
        panic!("a failing test");
    }));
    assert!(result.is_err());
    let (netns, pids) = seen.into_inner().unwrap();
    assert_all_gone(&netns, &pids);
    assert_eq!(ours(&prefix), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(spec_run_dir(&prefix));
}

fn spec_run_dir(prefix: &str) -> PathBuf {
    TopologySpec::new(1).run_root.join(prefix)
}
