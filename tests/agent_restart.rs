//! Restarts on the namespace testbed with real agents (needs root):
//! - the agent killed with SIGKILL and restarted, then stopped with SIGTERM and restarted, all
//!   while pods ping the external host every 50 ms: not one packet is lost, the flows are
//!   re-installed under a new cookie round and the old round is gone;
//! - ovs-vswitchd restarted: the agent restores the uplink address, replays every flow, and
//!   traffic comes back; the outage is measured (reported, not asserted).

mod agent_support;

use std::collections::BTreeSet;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use agent_support::*;
use ovs_egress::testbed::Topology;

const PODS: [(usize, &str, &str); 3] = [
    (1, "antrea-test-1", "default"),
    (1, "web-1", "default"),
    (2, "antrea-test-2", "default"),
];

const POD_LABELS: &str = "
apiVersion: v1
kind: Pod
metadata: {name: antrea-test-1, namespace: default, labels: {app: antrea-test}}
---
apiVersion: v1
kind: Pod
metadata: {name: antrea-test-2, namespace: default, labels: {app: antrea-test}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
";

fn cluster() -> Cluster {
    let c = start(
        &PODS,
        &[
            ("00-cluster.yaml", CLUSTER),
            ("10-pods.yaml", POD_LABELS),
            ("use-case-1.yaml", USE_CASE_1),
        ],
    );
    c.wait_all("use case 1 applied", |r| {
        r.pods
            .iter()
            .filter(|p| p.pod.contains("antrea-test"))
            .all(|p| p.path == "local" || p.path == "tunnel")
    });
    c
}

/// Rounds of the cookies of every flow on `bridge` of node `node`.
fn cookie_rounds(topo: &Topology, node: usize, bridge: &str) -> BTreeSet<u16> {
    let dump = topo.node(node).unwrap().dump_flows(bridge).unwrap();
    dump.lines()
        .filter(|l| l.contains("actions="))
        .map(|l| {
            let cookie = l
                .split([',', ' '])
                .find_map(|f| f.trim().strip_prefix("cookie=0x"))
                .map(|h| u64::from_str_radix(h, 16).unwrap())
                .unwrap_or(0);
            (cookie >> 48) as u16
        })
        .collect()
}

/// The flows of a bridge without counters, sorted.
fn flows(topo: &Topology, node: usize, bridge: &str) -> Vec<String> {
    let mut v: Vec<String> = topo
        .node(node)
        .unwrap()
        .dump_flows(bridge)
        .unwrap()
        .lines()
        .filter(|l| l.contains("actions="))
        .map(|l| l.trim().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn agent_kill_and_restart_under_traffic_loses_nothing() {
    let mut c = cluster();
    c.assert_source("antrea-test-2", EIP1);
    let round_before = c.agents.status(1).unwrap().round;
    let flows_before = flows(&c.topo, 1, "br-int");

    // 300 pings every 50 ms (15 s) from a pod SNATed on node1, one tunnelled from node2 to
    // node1, and one on node1's default path.
    let interval = Duration::from_millis(50);
    let pings: Vec<_> = ["antrea-test-1", "antrea-test-2", "web-1"]
        .iter()
        .map(|p| (*p, ping_in_background(&c.topo, p, 300, interval)))
        .collect();

    // SIGKILL node1's agent (the egress IP's owner), then start it again.
    let t0 = Instant::now();
    c.agents.kill(1).unwrap();
    c.agents.start_node(1).unwrap();
    let r = c
        .agents
        .wait_status(1, "a new round converged", WAIT, |r| {
            r.round != round_before
        })
        .unwrap();
    eprintln!(
        "agent SIGKILL + restart: converged again after {:?}",
        t0.elapsed()
    );
    assert_eq!(r.round, round_before.wrapping_add(1));
    // Same flows, new round only: older rounds were deleted after the new one was complete.
    for bridge in ["br-int", "br-phy"] {
        assert_eq!(
            cookie_rounds(&c.topo, 1, bridge),
            BTreeSet::from([r.round]),
            "{bridge}"
        );
    }
    let flows_after = flows(&c.topo, 1, "br-int");
    assert_eq!(
        flows_before.len(),
        flows_after.len(),
        "{flows_before:#?}\n{flows_after:#?}"
    );

    // SIGTERM: the agent stops cleanly and leaves the flows; traffic does not notice.
    c.agents.stop(1).unwrap();
    assert_eq!(flows(&c.topo, 1, "br-int").len(), flows_after.len());
    c.agents.start_node(1).unwrap();
    let r2 = c
        .agents
        .wait_status(1, "converged after SIGTERM restart", WAIT, |x| {
            x.round != r.round
        })
        .unwrap();
    assert_eq!(
        cookie_rounds(&c.topo, 1, "br-int"),
        BTreeSet::from([r2.round])
    );

    assert!(
        pings.iter().all(|(_, h)| !h.is_finished()),
        "the pings ended before the restarts were done; the test would prove nothing"
    );
    for (pod, h) in pings {
        let stats = h.join().unwrap();
        eprintln!("{pod}: {}/{} replies", stats.received, stats.transmitted);
        assert_eq!(
            stats.lost(),
            0,
            "{pod} lost packets across agent restarts: {stats:?}"
        );
    }
    if let Some(rss) = c.agents.rss_kib(1) {
        eprintln!("agent RSS after restarts: {rss} KiB");
    }
}

fn metrics(c: &Cluster, node: usize) -> String {
    let ns = c.topo.node(node).unwrap().netns().to_string();
    let script =
        "exec 3<>/dev/tcp/127.0.0.1/9469; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3";
    let out = Command::new("ip")
        .args(["netns", "exec", &ns, "bash", "-c", script])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[test]
fn vswitchd_restart_replays_flows_and_traffic_returns() {
    let mut c = cluster();
    c.assert_source("antrea-test-1", EIP1);
    c.assert_source("web-1", NODE1);
    let flows_int = flows(&c.topo, 1, "br-int");
    let flows_phy = flows(&c.topo, 1, "br-phy");
    let dpid = |c: &Cluster| {
        c.topo
            .node(1)
            .unwrap()
            .sandbox()
            .vsctl(&["get", "bridge", "br-int", "datapath_id"])
            .unwrap()
    };
    let dpid_before = dpid(&c);

    // 20 ms pings through node1 while its ovs-vswitchd restarts: the outage is lost × 20 ms.
    let interval = Duration::from_millis(20);
    let local = ping_in_background(&c.topo, "antrea-test-1", 1000, interval);
    let tunnelled = ping_in_background(&c.topo, "antrea-test-2", 1000, interval);
    let t0 = Instant::now();
    c.topo
        .node_mut(1)
        .unwrap()
        .sandbox_mut()
        .restart_vswitchd()
        .unwrap();
    let restarted = t0.elapsed();
    // Wait until the flows are back, exactly as before.
    let deadline = Instant::now() + WAIT;
    while flows(&c.topo, 1, "br-int") != flows_int || flows(&c.topo, 1, "br-phy") != flows_phy {
        assert!(
            Instant::now() < deadline,
            "flows not replayed:\n{}",
            c.agents.log(1)
        );
        thread::sleep(Duration::from_millis(10));
    }
    let replayed = t0.elapsed();
    let (l, t) = (local.join().unwrap(), tunnelled.join().unwrap());
    eprintln!(
        "ovs-vswitchd restart: daemon back after {restarted:?}, flows replayed after {replayed:?}; \
         lost pings (20 ms apart): local egress {} of {}, tunnelled egress {} of {} \
         (≈ {} ms / {} ms of outage)",
        l.lost(),
        l.transmitted,
        t.lost(),
        t.transmitted,
        l.lost() * 20,
        t.lost() * 20
    );
    assert!(l.received > 0 && t.received > 0);
    // Traffic is back, as before.
    c.assert_source("antrea-test-1", EIP1);
    c.assert_source("antrea-test-2", EIP1);
    c.assert_source("web-1", NODE1);
    // The datapath id is pinned, the uplink address restored.
    assert_eq!(dpid(&c), dpid_before);
    let addr = Command::new("ip")
        .args([
            "-n",
            c.topo.node(1).unwrap().netns(),
            "-4",
            "addr",
            "show",
            "dev",
            "br-phy",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&addr.stdout).contains("10.105.18.31/24"));
    // The agent saw the reconnection and says so in its metrics.
    let m = metrics(&c, 1);
    assert!(
        metric(&m, "ovs_egress_replays_total").unwrap_or(0.0) >= 1.0,
        "{m}"
    );
    assert_eq!(metric(&m, "ovs_egress_owned_ips"), Some(1.0), "{m}");
    assert!(
        metric(&m, "ovs_egress_flows_installed{bridge=\"int\"}").unwrap_or(0.0) > 10.0,
        "{m}"
    );
    // The agent process is the same one (nothing restarted it).
    assert!(c.agents.pid(1).is_some());
}

#[test]
fn deleted_ports_and_the_uplink_address_are_repaired() {
    let c = cluster();
    c.assert_source("antrea-test-2", EIP1);
    let node = c.topo.node(1).unwrap();
    let ns = node.netns().to_string();
    // Someone deletes the tunnel port and the patch port's br-phy end.
    node.sandbox()
        .vsctl(&[
            "del-port",
            "br-int",
            "tun0",
            "--",
            "del-port",
            "br-phy",
            "patch-int",
        ])
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let tun = node.ofport("tun0");
        let patch = node.ofport("patch-int");
        if tun == Some(1) && patch == Some(2) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ports not repaired: {tun:?} {patch:?}\n{}",
            c.agents.log(1)
        );
        thread::sleep(Duration::from_millis(20));
    }
    c.assert_source("antrea-test-1", EIP1);
    c.assert_source("antrea-test-2", EIP1);
    c.assert_source("web-1", NODE1);
    // Someone removes the transport address from br-phy.
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(["-n", ns.as_str()])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(ip(&["addr", "del", "10.105.18.31/24", "dev", "br-phy"])
        .status
        .success());
    let deadline = Instant::now() + WAIT;
    while !String::from_utf8_lossy(&ip(&["-4", "addr", "show", "dev", "br-phy"]).stdout)
        .contains("10.105.18.31/24")
    {
        assert!(
            Instant::now() < deadline,
            "address not restored\n{}",
            c.agents.log(1)
        );
        thread::sleep(Duration::from_millis(20));
    }
    c.assert_source("antrea-test-2", EIP1);
    let m = metrics(&c, 1);
    assert!(
        metric(&m, "ovs_egress_uplink_address_restores_total").unwrap_or(0.0) >= 2.0,
        "{m}"
    );
}

#[test]
fn ovsdb_server_restart_then_pods_are_still_learnt() {
    let mut c = cluster();
    c.topo
        .node_mut(1)
        .unwrap()
        .sandbox_mut()
        .restart_ovsdb()
        .unwrap();
    // A pod attached after the restart is learnt (the agent's OVSDB client reconnected and its
    // monitor resumed) and gets the Egress its labels ask for.
    c.topo
        .add_pod(ovs_egress::testbed::PodSpec::new(1, "late-1", "default"))
        .unwrap();
    c.write(
        "20-late.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: late-1, namespace: default, labels: {app: antrea-test}}\n",
    );
    c.agents
        .wait_status(1, "late-1 learnt and selected", WAIT, |r| {
            r.pods
                .iter()
                .any(|p| p.pod == "default/late-1" && p.path == "local")
        })
        .unwrap();
    c.assert_source("late-1", EIP1);
    c.assert_source("antrea-test-2", EIP1);
}
