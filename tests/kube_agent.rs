//! The `ovs-egress` binary with `source: kubernetes` (the DaemonSet's configuration), end to
//! end: two real agent processes, each in its own Open vSwitch sandbox (own network namespace,
//! own ovsdb-server + ovs-vswitchd), reading the in-process API server (tests/kube_support) over
//! a kubeconfig, with the demo's manifests applied through the API. Needs root.
//!
//! Checked:
//! - the agents take their transport IP and pod CIDR from their Node objects (no `transportIP`
//!   / `podCIDR` / `manifestDir` in the configuration; node1 with `transportPrefixLength`, node2
//!   with the prefix of the InternalIP found on a local interface);
//! - the flows `ovs-ofctl dump-flows` reads back from br-int and br-phy are exactly those the
//!   same node computes from the manifest directory (same pods, same round);
//! - the Egress status in the API (egressNode, egressIP, IPAssigned/IPAllocated conditions),
//!   the pinned `spec.egressIP` and the pools' `status.usage` are what the egress domain computes.
#![cfg(feature = "kube")]

mod kube_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ovs_egress::agent::bridges::InfraPorts;
use ovs_egress::agent::config::{MacAddr, Settings};
use ovs_egress::agent::controller::Controller;
use ovs_egress::agent::manifest::{self, ManifestDir};
use ovs_egress::agent::source::{Input, PodPort};
use ovs_egress::agent::status::{read_report, NodeReport};
use ovs_egress::egress::model::PodKey;
use ovs_egress::egress::pipeline::dump::{dump_lines, Names};
use ovs_egress::egress::pipeline::Bridge;
use ovs_egress::sandbox::{run, wait_for, Sandbox};
use serde_json::Value;

use kube_support::netns::{bind_loopback_in, kubeconfig};
use kube_support::status::{api_status, expected_status, sorted, EGRESS_API};
use kube_support::FakeApiServer;

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testbed/manifests/demo");
const WAIT: Duration = Duration::from_secs(90);
/// The next hop (the testbed's external host) by MAC, so no resolution is needed.
const NEXT_HOP_MAC: &str = "02:00:0a:69:12:23";
/// What the agent's bridges module requests for the infrastructure ports.
const PORTS: InfraPorts = InfraPorts {
    int_tunnel: 1,
    int_patch: 2,
    phy_uplink: 1,
    phy_patch: 2,
};

/// The demo's pods on `node`, with the ports a CNI would give them: ofports 10, 11, … and
/// addresses .2, .3, … of the node's pod CIDR, in pod-key order.
fn pod_ports(node: &str, k: u8) -> Vec<PodPort> {
    let mut pods: Vec<PodKey> = Vec::new();
    let text = std::fs::read_to_string(Path::new(DEMO_DIR).join("10-pods.yaml")).unwrap();
    for o in ovs_egress::egress::model::load_yaml(&text).objects {
        if let ovs_egress::egress::model::Object::Pod(p) = o {
            if p.spec.node_name.as_deref() == Some(node) {
                pods.push(p.key());
            }
        }
    }
    pods.sort();
    pods.into_iter()
        .enumerate()
        .map(|(i, pod)| {
            let host = 2 + i as u8;
            PodPort {
                pod,
                interface: format!("n{k}p{i}"),
                ofport: 10 + i as u32,
                mac: MacAddr([2, 0, 192, 168, 99 + k, host]),
                ips: vec![format!("192.168.{}.{host}", 99 + k).parse().unwrap()],
            }
        })
        .collect()
}

/// Attaches a pod port as the CNI does (an OVS internal port with Antrea's external_ids).
fn attach(sb: &Sandbox, p: &PodPort) {
    let iface = p.interface.as_str();
    sb.vsctl(&[
        "add-port",
        "br-int",
        iface,
        "--",
        "set",
        "interface",
        iface,
        "type=internal",
        &format!("ofport_request={}", p.ofport),
        &format!("external_ids:pod-name={}", p.pod.name),
        &format!("external_ids:pod-namespace={}", p.pod.namespace),
        &format!("external_ids:ip-address={}/24", p.ips[0]),
        &format!("external_ids:attached-mac={}", p.mac),
        "external_ids:antrea-type=container",
    ])
    .unwrap();
}

/// One node: its OVS sandbox (own namespace) and its agent process. Field order: the agent
/// stops before the sandbox goes.
struct TestNode {
    name: String,
    k: u8,
    agent: AgentProcess,
    sb: Sandbox,
    status_dir: PathBuf,
}

/// A running `ovs-egress`, stopped by pid (SIGTERM, then SIGKILL) on drop.
struct AgentProcess {
    child: Child,
    log: PathBuf,
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = ovs_egress::sandbox::stop_pid(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AgentProcess {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// A node about to start: where its files go and what its configuration adds.
struct NodePlan {
    name: String,
    k: u8,
    dir: PathBuf,
    extra: String,
}

/// Prepares node `name` (index `k` of the testbed's address plan): a sandbox whose namespace
/// has loopback up and an uplink `eth0` (with the InternalIP on it if `uplink_address`, as on a
/// real node before the agent's first start), and a listener of the API server on that
/// namespace's loopback.
fn prepare(
    name: &str,
    k: u8,
    work: &Path,
    extra: &str,
    uplink_address: bool,
) -> (Sandbox, std::net::TcpListener, NodePlan) {
    let sb = Sandbox::start().unwrap();
    let ns = sb.netns().unwrap().to_string();
    let ip = |args: &[&str]| {
        let mut c = Command::new("ip");
        c.args(["-n", &ns]).args(args);
        run(&mut c).unwrap();
    };
    ip(&["link", "set", "lo", "up"]);
    ip(&[
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        "eth0-peer",
    ]);
    ip(&["link", "set", "eth0", "up"]);
    ip(&["link", "set", "eth0-peer", "up"]);
    if uplink_address {
        ip(&[
            "addr",
            "add",
            &format!("10.105.18.{}/24", 30 + k),
            "dev",
            "eth0",
        ]);
    }
    let listener = bind_loopback_in(&ns);
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let plan = NodePlan {
        name: name.to_string(),
        k,
        dir,
        extra: extra.to_string(),
    };
    (sb, listener, plan)
}

/// Starts the agent binary of `plan` in `sb`'s namespace, configured for the Kubernetes source
/// only (no transportIP, podCIDR or manifestDir), with a kubeconfig for the API server's
/// listener on `port` of that namespace's loopback.
fn launch(plan: NodePlan, sb: Sandbox, port: u16) -> TestNode {
    let NodePlan {
        name,
        k,
        dir,
        extra,
    } = plan;
    let ns = sb.netns().unwrap().to_string();
    let status_dir = dir.join("status");
    let kcfg = dir.join("kubeconfig");
    std::fs::write(&kcfg, kubeconfig(([127, 0, 0, 1], port).into())).unwrap();
    let cfg = dir.join("agent.yaml");
    std::fs::write(
        &cfg,
        format!(
            "nodeName: {name}\nsource: kubernetes\novsRunDir: {}\nuplinkInterface: eth0\n\
             nextHopMAC: {NEXT_HOP_MAC}\nstatusDir: {}\nlisten: 'off'\n{extra}",
            sb.dir().display(),
            status_dir.display()
        ),
    )
    .unwrap();
    let log = dir.join("agent.log");
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(env!("CARGO_BIN_EXE_ovs-egress"))
        .arg("--config")
        .arg(&cfg)
        .env("KUBECONFIG", &kcfg)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    TestNode {
        name,
        k,
        agent: AgentProcess { child, log },
        sb,
        status_dir,
    }
}

/// The flows `node` computes from the manifest directory with `ports`, in cookie round
/// `round`, as `ovs-ofctl --no-stats --no-names dump-flows` prints them.
fn reference(
    node: &str,
    k: u8,
    round: u16,
    ports: &[PodPort],
) -> (Controller, [BTreeSet<String>; 2]) {
    let cfg = Settings {
        node_name: Some(node.into()),
        uplink_interface: Some("eth0".into()),
        transport_ip: Some(format!("10.105.18.{}/24", 30 + k).parse().unwrap()),
        pod_cidr: Some(format!("192.168.{}.0/24", 99 + k).parse().unwrap()),
        next_hop_mac: Some(NEXT_HOP_MAC.parse().unwrap()),
        manifest_dir: Some(DEMO_DIR.into()),
        ..Settings::default()
    }
    .resolve()
    .unwrap();
    let mac = NEXT_HOP_MAC.parse().unwrap();
    let mut ctl = Controller::new(cfg, round, PORTS, Some(mac)).unwrap();
    let mut dir = ManifestDir::new(Path::new(DEMO_DIR), &[]);
    for c in dir.rescan().changes {
        ctl.apply(c);
    }
    ctl.apply(dir.errors_input());
    ctl.apply(Input::SourceSynced(manifest::SOURCE));
    for p in ports {
        ctl.apply(Input::PortUp(p.clone()));
    }
    ctl.sync(Instant::now());
    let lines = |b: Bridge| -> BTreeSet<String> {
        dump_lines(ctl.pipeline().desired(), b, Names::default())
            .into_iter()
            .map(|l| l.trim().to_string())
            .collect()
    };
    let flows = [lines(Bridge::Int), lines(Bridge::Phy)];
    (ctl, flows)
}

fn installed(sb: &Sandbox, b: Bridge) -> BTreeSet<String> {
    sb.ofctl(&[
        "-O",
        "OpenFlow15",
        "--no-stats",
        "--no-names",
        "dump-flows",
        b.default_name(),
    ])
    .unwrap_or_default()
    .lines()
    .map(|l| l.trim().to_string())
    .filter(|l| !l.is_empty())
    .collect()
}

fn report(n: &TestNode) -> Result<NodeReport, String> {
    read_report(&n.status_dir, &n.name)
}

fn usage(server: &FakeApiServer, pool: &str) -> Value {
    server
        .get(EGRESS_API, "ExternalIPPool", "", pool)
        .and_then(|p| p.pointer("/status/usage").cloned())
        .unwrap_or(Value::Null)
}

#[test]
fn agent_binary_with_the_kubernetes_source_installs_the_demo_flows_and_writes_egress_status() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let (sb1, l1, plan1) = prepare(
        "node1",
        1,
        work.path(),
        "transportPrefixLength: 24\n",
        false,
    );
    let (sb2, l2, plan2) = prepare("node2", 2, work.path(), "", true);
    let (p1, p2) = (
        l1.local_addr().unwrap().port(),
        l2.local_addr().unwrap().port(),
    );
    let server = rt.block_on(FakeApiServer::start_on(
        Duration::from_secs(1),
        vec![l1, l2],
    ));
    let mut files: Vec<PathBuf> = std::fs::read_dir(DEMO_DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        server.apply_yaml(&std::fs::read_to_string(f).unwrap());
    }
    let nodes = vec![launch(plan1, sb1, p1), launch(plan2, sb2, p2)];

    // The agents create their bridges; pods are attached as the CNI would.
    for n in &nodes {
        wait_for(WAIT, &format!("{}: br-int", n.name), || {
            n.sb.vsctl(&["br-exists", "br-int"]).is_ok()
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", n.agent.log_tail()));
        for p in pod_ports(&n.name, n.k) {
            attach(&n.sb, &p);
        }
    }

    // Converged with every pod: the status file says so.
    for n in &nodes {
        let want = pod_ports(&n.name, n.k).len();
        wait_for(
            WAIT,
            &format!("{}: converged with its pods", n.name),
            || report(n).is_ok_and(|r| r.converged && r.pods.len() == want),
        )
        .unwrap_or_else(|e| panic!("{e}\n{:?}\n{}", report(n), n.agent.log_tail()));
    }

    // The transport address came from the Node's InternalIP (node1: configured prefix; node2:
    // the prefix found on eth0) and is on the uplink bridge.
    for n in &nodes {
        let want = format!("10.105.18.{}/24", 30 + n.k);
        let ns = n.sb.netns().unwrap().to_string();
        wait_for(WAIT, &format!("{}: {want} on br-phy", n.name), || {
            run(Command::new("ip").args(["-n", &ns, "-4", "addr", "show", "dev", "br-phy"]))
                .is_ok_and(|out| out.contains(&want))
        })
        .unwrap();
    }

    // Flows: exactly what the same node computes from the manifest directory.
    let mut reference_view = None;
    let mut owners = Vec::new();
    for n in &nodes {
        let round = report(n).unwrap().round;
        let ports = pod_ports(&n.name, n.k);
        let (ctl, want) = reference(&n.name, n.k, round, &ports);
        for (i, b) in [Bridge::Int, Bridge::Phy].into_iter().enumerate() {
            let ok = wait_for(WAIT, &format!("{}: {b:?} flows", n.name), || {
                installed(&n.sb, b) == want[i]
            });
            if ok.is_err() {
                let got = installed(&n.sb, b);
                let missing: Vec<_> = want[i].difference(&got).collect();
                let extra: Vec<_> = got.difference(&want[i]).collect();
                panic!(
                    "{}: {b:?} flows differ from the manifest directory's\nmissing: {missing:#?}\nextra: {extra:#?}\n{}",
                    n.name,
                    n.agent.log_tail()
                );
            }
            assert!(!want[i].is_empty());
        }
        // The node holding an egress IP answers ARP for it on br-phy and SNATs to it on
        // br-int; the other does neither. node1 (the only snat-origin node) holds .100.
        let phy = installed(&n.sb, Bridge::Phy)
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n");
        let int = installed(&n.sb, Bridge::Int)
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n");
        let owned: Vec<String> = ctl.owned_ips().map(|i| i.to_string()).collect();
        for eip in ["10.105.18.100", "10.105.18.101"] {
            let owner = owned.iter().any(|o| o == eip);
            if owner {
                owners.push(eip);
            }
            assert_eq!(
                phy.contains(&format!("arp_tpa={eip},")),
                owner,
                "{}: ARP for {eip}\n{phy}",
                n.name
            );
            assert_eq!(
                int.contains(&format!("nat(src={eip})")),
                owner,
                "{}: SNAT to {eip}\n{int}",
                n.name
            );
        }
        assert_eq!(
            n.name == "node1",
            owned.iter().any(|o| o == "10.105.18.100")
        );
        if n.name == "node1" {
            reference_view = Some(ctl);
        }
    }

    owners.sort();
    assert_eq!(
        owners,
        ["10.105.18.100", "10.105.18.101"],
        "each egress IP has one holder"
    );

    // Status in the API: what the domain computes, written by the agents.
    let reference = reference_view.unwrap();
    for e in ["egress-antrea-test", "egress-staging"] {
        let want = expected_status(reference.view(), e);
        wait_for(WAIT, &format!("{e}: status in the API"), || {
            sorted(api_status(&server, e)) == want
        })
        .unwrap_or_else(|err| {
            panic!(
                "{err}: {:?} != {want:?}\n{}\n{}",
                api_status(&server, e),
                nodes[0].agent.log_tail(),
                nodes[1].agent.log_tail()
            )
        });
    }
    let (node, ip, conds) = api_status(&server, "egress-antrea-test");
    assert_eq!(node, "node1");
    assert_eq!(ip.as_deref(), Some("10.105.18.100"));
    for t in ["IPAllocated", "IPAssigned"] {
        assert!(
            conds.iter().any(|c| c.0 == t && c.1 == "True"),
            "{t}: {conds:?}"
        );
    }
    let (_, ip, _) = api_status(&server, "egress-staging");
    assert_eq!(ip.as_deref(), Some("10.105.18.101"));
    // Pool allocations are pinned in spec.egressIP, and pool usage is written.
    for (e, want) in [
        ("egress-antrea-test", "10.105.18.100"),
        ("egress-staging", "10.105.18.101"),
    ] {
        wait_for(WAIT, &format!("{e}: spec.egressIP pinned"), || {
            server
                .get(EGRESS_API, "Egress", "", e)
                .and_then(|o| o.pointer("/spec/egressIP").cloned())
                == Some(Value::String(want.into()))
        })
        .unwrap();
    }
    for pool in ["snat-origin-pool", "staging-pool"] {
        wait_for(WAIT, &format!("{pool}: status.usage"), || {
            let u = usage(&server, pool);
            u.get("total") == Some(&Value::from(1)) && u.get("used") == Some(&Value::from(1))
        })
        .unwrap_or_else(|e| panic!("{e}: {}", usage(&server, pool)));
    }

    // A change through the API reaches the switch: removing use case 1 removes its SNAT.
    server.delete(EGRESS_API, "Egress", "", "egress-antrea-test");
    wait_for(WAIT, "node1: SNAT to 10.105.18.100 removed", || {
        !installed(&nodes[0].sb, Bridge::Int)
            .iter()
            .any(|l| l.contains("nat(src=10.105.18.100)"))
    })
    .unwrap();
    drop(nodes);
    drop(server);
}
