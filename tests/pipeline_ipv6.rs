//! IPv6 through the computed pipeline on real OVS (userspace datapath) with real kernels on
//! both sides: one node (its own namespace, ovs-vswitchd inside), two pods and an external host
//! in namespaces, IPv6 only. Proves the two-step neighbor-discovery responders (the pods resolve
//! their virtual gateway, the external host resolves the owned IPv6 egress IP — the kernels
//! accept our advertisements, checksums and all), and that a selected pod's ping leaves with the
//! IPv6 egress IP and a default pod's with the node's IPv6, replies un-NATed on br-phy and
//! delivered back. Needs root; everything lives in namespaces this test creates.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ovs_egress::egress::egress_id::EgressId;
use ovs_egress::egress::model::PodKey;
use ovs_egress::egress::pipeline::dump::{bundle_text, dump_lines, Names};
use ovs_egress::egress::pipeline::{Bridge, LocalPod, Mac, NodeConfig, NodePipeline};
use ovs_egress::egress::reconcile::{self, Stale};
use ovs_egress::egress::state::{OwnedIp, PodEgress};
use ovs_egress::ofproto::codec::PortNo;
use ovs_egress::sandbox::Sandbox;

const PHY_MAC: &str = "02:00:00:00:00:01";
const EXT_MAC: &str = "02:00:00:00:00:35";
const NODE_IP: &str = "fd00:105:18::31";
const EXT_IP: &str = "fd00:105:18::35";
const EIP: &str = "fd00:105:18::100";
const GW: &str = "fd00:244::1";

fn sh(args: &[&str]) -> String {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sh_in(ns: &str, args: &[&str]) -> String {
    let mut full = vec!["ip", "netns", "exec", ns];
    full.extend_from_slice(args);
    sh(&full)
}

/// Deletes the namespaces and the run directory this test created, by name, even when the test
/// fails (declared before the sandbox, so the daemons are stopped first).
struct Cleanup {
    namespaces: Vec<String>,
    dir: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A pod namespace with `eth0` (IPv6 `ip`/64, default route via the virtual gateway) whose peer
/// `port` sits in the node namespace.
fn make_pod(node_ns: &str, ns: &str, port: &str, mac: &str, ip: &str) {
    sh(&[
        "ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns",
        node_ns,
    ]);
    sh_in(ns, &["ip", "link", "set", "eth0", "address", mac]);
    sh_in(
        ns,
        &[
            "ip",
            "-6",
            "addr",
            "add",
            &format!("{ip}/64"),
            "dev",
            "eth0",
            "nodad",
        ],
    );
    sh_in(ns, &["ip", "link", "set", "eth0", "up"]);
    sh_in(
        ns,
        &[
            "ip", "-6", "route", "add", "default", "via", GW, "dev", "eth0",
        ],
    );
    sh_in(
        node_ns,
        &[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.{port}.disable_ipv6=1"),
        ],
    );
    sh_in(node_ns, &["ip", "link", "set", port, "up"]);
}

fn pod_egress(key: &PodKey, id: EgressId) -> PodEgress {
    PodEgress {
        pod: key.clone(),
        pod_ips: Vec::new(),
        egress: "egress-v6".into(),
        egress_ip: Some(EIP.parse().unwrap()),
        egress_id: Some(id),
        owner: Some("node1".into()),
        owner_ip: Some("10.105.18.31".parse().unwrap()),
        owned_here: true,
    }
}

#[test]
fn ipv6_neighbor_discovery_and_snat_with_real_kernels() {
    let p = format!("pv6{}", std::process::id());
    let (node_ns, pod_a, pod_b, ext) = (
        format!("{p}-n"),
        format!("{p}-pa"),
        format!("{p}-pb"),
        format!("{p}-ext"),
    );
    let cleanup = Cleanup {
        namespaces: vec![node_ns.clone(), pod_a.clone(), pod_b.clone(), ext.clone()],
        dir: std::env::temp_dir().join(&p),
    };
    for ns in &cleanup.namespaces {
        sh(&["ip", "netns", "add", ns]);
        sh_in(ns, &["ip", "link", "set", "lo", "up"]);
    }
    let sb = Sandbox::start_in(&cleanup.dir, Some(&node_ns)).unwrap();

    // The external host on the uplink.
    sh(&[
        "ip", "link", "add", "eth0", "netns", &ext, "type", "veth", "peer", "name", "up0", "netns",
        &node_ns,
    ]);
    sh_in(&ext, &["ip", "link", "set", "eth0", "address", EXT_MAC]);
    sh_in(
        &ext,
        &[
            "ip",
            "-6",
            "addr",
            "add",
            &format!("{EXT_IP}/64"),
            "dev",
            "eth0",
            "nodad",
        ],
    );
    sh_in(&ext, &["ip", "link", "set", "eth0", "up"]);
    sh_in(
        &node_ns,
        &["sysctl", "-q", "-w", "net.ipv6.conf.up0.disable_ipv6=1"],
    );
    sh_in(&node_ns, &["ip", "link", "set", "up0", "up"]);
    make_pod(&node_ns, &pod_a, "pa", "02:00:00:00:00:05", "fd00:244::5");
    make_pod(&node_ns, &pod_b, "pb", "02:00:00:00:00:06", "fd00:244::6");

    for br in ["br-int", "br-phy"] {
        sb.add_bridge(br).unwrap();
    }
    sb.vsctl(&[
        "set",
        "bridge",
        "br-phy",
        &format!("other_config:hwaddr={PHY_MAC}"),
        "--",
        "add-port",
        "br-phy",
        "up0",
        "--",
        "set",
        "interface",
        "up0",
        "ofport_request=1",
        "--",
        "add-port",
        "br-phy",
        "patch-int",
        "--",
        "set",
        "interface",
        "patch-int",
        "type=patch",
        "options:peer=patch-phy",
        "ofport_request=2",
        "--",
        "add-port",
        "br-int",
        "patch-phy",
        "--",
        "set",
        "interface",
        "patch-phy",
        "type=patch",
        "options:peer=patch-int",
        "ofport_request=2",
        "--",
        "add-port",
        "br-int",
        "tun0",
        "--",
        "set",
        "interface",
        "tun0",
        "type=geneve",
        "options:remote_ip=flow",
        "options:key=flow",
        "ofport_request=1",
        "--",
        "add-port",
        "br-int",
        "pa",
        "--",
        "set",
        "interface",
        "pa",
        "ofport_request=10",
        "--",
        "add-port",
        "br-int",
        "pb",
        "--",
        "set",
        "interface",
        "pb",
        "ofport_request=11",
    ])
    .unwrap();
    wait_until("br-phy tap", || {
        Command::new("ip")
            .args(["-n", &node_ns, "link", "show", "br-phy"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    sh_in(
        &node_ns,
        &[
            "ip",
            "-6",
            "addr",
            "add",
            &format!("{NODE_IP}/64"),
            "dev",
            "br-phy",
            "nodad",
        ],
    );
    sh_in(&node_ns, &["ip", "link", "set", "br-phy", "up"]);

    // The pipeline: node1 owns the IPv6 egress IP; pod a is selected, pod b is not.
    let mut cfg = NodeConfig::new(
        "node1",
        "10.105.18.31".parse().unwrap(),
        PHY_MAC.parse().unwrap(),
        EXT_MAC.parse().unwrap(),
        vec!["fd00:244::/64".parse().unwrap()],
    );
    cfg.node_ipv6 = Some(NODE_IP.parse().unwrap());
    let mut pipeline = NodePipeline::new(cfg, 1).unwrap();
    let id = EgressId::new(0x7100).unwrap();
    let (ka, kb) = (PodKey::new("default", "pa"), PodKey::new("default", "pb"));
    for (key, port, mac, ip) in [
        (&ka, 10, "02:00:00:00:00:05", "fd00:244::5"),
        (&kb, 11, "02:00:00:00:00:06", "fd00:244::6"),
    ] {
        pipeline
            .upsert_pod(LocalPod {
                key: key.clone(),
                ofport: PortNo(port),
                mac: mac.parse::<Mac>().unwrap(),
                ips: vec![ip.parse::<IpAddr>().unwrap()],
            })
            .unwrap();
    }
    pipeline.set_pod_egress(&ka, Some(&pod_egress(&ka, id)));
    pipeline.set_owned_ips(&[OwnedIp {
        ip: EIP.parse().unwrap(),
        egress_id: Some(id),
        egresses: vec!["egress-v6".into()],
    }]);
    let set = reconcile::diff_all(pipeline.desired(), &[], &[], Stale::Delete);
    for (bridge, mods) in set.phases() {
        let text = bundle_text(bridge, &mods);
        sb.ofctl_input(
            &["-O", "OpenFlow15", "bundle", bridge.default_name(), "-"],
            &text,
        )
        .unwrap_or_else(|e| panic!("{bridge:?}: {e}\n{text}"));
    }
    // OVS accepted every flow, and reports exactly what we computed.
    for bridge in Bridge::ALL {
        let mut ours: Vec<String> = dump_lines(pipeline.desired(), bridge, Names::default())
            .into_iter()
            .map(|l| l.trim().to_string())
            .collect();
        let dump = sb
            .ofctl(&[
                "-O",
                "OpenFlow15",
                "--no-stats",
                "--no-names",
                "dump-flows",
                bridge.default_name(),
            ])
            .unwrap();
        let mut theirs: Vec<String> = dump.lines().map(|l| l.trim().to_string()).collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{bridge:?}");
    }

    // Pod a → external host: NS for the gateway answered by br-int, SNAT to the egress IP,
    // the external host's NS for the egress IP answered by br-phy, the reply un-NATed back.
    let ping = |ns: &str| {
        Command::new("ip")
            .args([
                "netns", "exec", ns, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", EXT_IP,
            ])
            .output()
            .unwrap()
    };
    let out = ping(&pod_a);
    assert!(
        out.status.success(),
        "pod a ping: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let neigh = sh_in(&pod_a, &["ip", "-6", "neigh", "show", GW]);
    assert!(
        neigh.contains("lladdr aa:bb:cc:dd:ee:ff"),
        "pod a's gateway entry: {neigh}"
    );
    let neigh = sh_in(&ext, &["ip", "-6", "neigh", "show", EIP]);
    assert!(
        neigh.contains(&format!("lladdr {PHY_MAC}")),
        "ext's egress IP entry: {neigh}"
    );
    let ct = sb.appctl(&["dpctl/dump-conntrack"]).unwrap();
    assert!(
        ct.lines()
            .any(|l| l.contains("src=fd00:244::5") && l.contains(&format!("dst={EIP}"))),
        "no SNAT entry for pod a to the egress IP:\n{ct}"
    );

    // Pod b (no Egress) leaves with the node's IPv6 (the node kernel answers NS for it).
    let out = ping(&pod_b);
    assert!(
        out.status.success(),
        "pod b ping: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ct = sb.appctl(&["dpctl/dump-conntrack"]).unwrap();
    assert!(
        ct.lines()
            .any(|l| l.contains("src=fd00:244::6") && l.contains(&format!("dst={NODE_IP}"))),
        "no SNAT entry for pod b to the node IP:\n{ct}"
    );
    assert!(
        !ct.lines()
            .any(|l| l.contains("src=fd00:244::6") && l.contains(EIP)),
        "pod b must not use the egress IP:\n{ct}"
    );
}
