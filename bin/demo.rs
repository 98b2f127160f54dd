//! `ovs-egress-demo`: the seed's demo on the namespace testbed, end to end with real agents.
//!
//! Builds two nodes (each with its own Open vSwitch, userspace datapath), an external host and
//! seven pods; starts one `ovs-egress` per node on a shared manifest directory; then replays:
//! 1. default SNAT (no Egress): every pod leaves with its node's IP;
//! 2. use case 1: `app=antrea-test` pods on both nodes leave with 10.105.18.100, held by the
//!    node labelled `network-role=snat-origin`;
//! 3. use case 2: `app=staging` pods in `role=staging` namespaces leave with 10.105.18.101.
//!
//! After each step it prints, per pod, the source address the external host saw for a ping and
//! for a TCP connection, and the egress node the agents report. Then it tears everything down.
//! The manifests are the files in `testbed/manifests/demo/`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use ovs_egress::agent::harness::{find_agent_binary, write_manifest, Agents};
use ovs_egress::agent::status::NodeReport;
use ovs_egress::testbed::{BridgeSetup, PodSpec, Topology, TopologySpec};

const CLUSTER: &str = include_str!("../testbed/manifests/demo/00-cluster.yaml");
const PODS: &str = include_str!("../testbed/manifests/demo/10-pods.yaml");
const USE_CASE_1: &str = include_str!("../testbed/manifests/demo/use-case-1.yaml");
const USE_CASE_2: &str = include_str!("../testbed/manifests/demo/use-case-2.yaml");

/// How long any step may take on a loaded machine.
const WAIT: Duration = Duration::from_secs(60);

#[derive(Parser)]
#[command(about = "The ovs-egress demo: default SNAT and the seed's two Egress use cases")]
struct Cli {
    /// Prefix of the namespaces and the run directory.
    #[arg(long, default_value = "demo")]
    prefix: String,
    /// The ovs-egress binary (default: next to this program).
    #[arg(long)]
    agent: Option<PathBuf>,
    /// Leave the testbed running at the end (tear it down with `testbed down --prefix P`).
    #[arg(long)]
    keep: bool,
}

/// The pods: (node, name, namespace, labels as written in 10-pods.yaml).
const POD_LIST: [(usize, &str, &str, &str); 7] = [
    (1, "antrea-test-1", "default", "app=antrea-test"),
    (1, "web-1", "default", "app=web"),
    (1, "stage-1", "staging", "app=staging"),
    (2, "antrea-test-2", "default", "app=antrea-test"),
    (2, "web-2", "default", "app=web"),
    (2, "stage-2", "staging", "app=staging"),
    (2, "stage-impostor", "default", "app=staging"),
];

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn run(cli: Cli) -> Res<()> {
    let bin = find_agent_binary(cli.agent.as_deref())?;
    let mut spec = TopologySpec::new(2);
    spec.prefix = cli.prefix.clone();
    spec.bridges = BridgeSetup::Agent;
    spec.pods = POD_LIST
        .iter()
        .map(|(node, name, ns, _)| PodSpec::new(*node, name, ns))
        .collect();
    println!("== building the testbed: 2 nodes, 7 pods, an external host (10.105.18.35)");
    let topo = Topology::build(spec)?;
    println!(
        "   built in {:.2?}; run directory {}",
        topo.build_time(),
        topo.run_dir().display()
    );

    let manifests = topo.run_dir().join("manifests");
    write_manifest(&manifests, "00-cluster.yaml", CLUSTER)?;
    write_manifest(&manifests, "10-pods.yaml", PODS)?;
    println!(
        "== starting one ovs-egress agent per node (manifests: {})",
        manifests.display()
    );
    let start = Instant::now();
    let agents = Agents::start(&topo, &manifests, &bin)?;
    agents.wait_all("convergence", WAIT, |_| true)?;
    println!(
        "   agents converged in {:.2?} (bridges, ports, flows)",
        start.elapsed()
    );
    topo.attach_pods()?;
    let per_node = |n: usize| POD_LIST.iter().filter(|p| p.0 == n).count();
    for n in 1..=2 {
        agents.wait_status(n, "pods learnt", WAIT, |r| r.pods.len() == per_node(n))?;
    }
    println!("   pods attached (as a CNI would) and learnt from OVSDB");

    step(
        &topo,
        &agents,
        "1. default SNAT: no Egress, every pod leaves with its node's IP",
        |_| true,
    )?;

    write_manifest(&manifests, "use-case-1.yaml", USE_CASE_1)?;
    step(
        &topo,
        &agents,
        "2. use case 1: app=antrea-test pods -> 10.105.18.100, held by a network-role=snat-origin node",
        |r| uses(r, "egress-antrea-test"),
    )?;

    write_manifest(&manifests, "use-case-2.yaml", USE_CASE_2)?;
    step(
        &topo,
        &agents,
        "3. use case 2: app=staging pods in role=staging namespaces -> 10.105.18.101",
        |r| uses(r, "egress-staging"),
    )?;

    for n in 1..=2 {
        if let Some(rss) = agents.rss_kib(n) {
            println!("   agent node{n}: RSS {:.1} MiB", rss as f64 / 1024.0);
        }
    }
    if cli.keep {
        drop(agents);
        let dir = topo.release();
        println!(
            "== left running: {} (tear down with `testbed down --prefix {}`)",
            dir.display(),
            cli.prefix
        );
        return Ok(());
    }
    println!("== tearing down");
    drop(agents);
    let report = topo.teardown()?;
    println!(
        "   stopped {} processes, deleted {} namespaces in {:.2?}",
        report.stopped_pids.len(),
        report.deleted_netns.len(),
        report.elapsed
    );
    Ok(())
}

/// Whether the node's status shows `egress` applied to at least one of its pods (use case 2's
/// IP may be held by either node, and both nodes have a selected pod).
fn uses(r: &NodeReport, egress: &str) -> bool {
    r.pods
        .iter()
        .any(|p| p.egress.as_deref() == Some(egress) && p.path != "blocked")
}

fn step(
    topo: &Topology,
    agents: &Agents,
    title: &str,
    applied: impl Fn(&NodeReport) -> bool,
) -> Res<()> {
    println!();
    println!("== {title}");
    let start = Instant::now();
    let reports = agents.wait_all("the manifests applied", WAIT, &applied)?;
    println!("   applied by both agents in {:.2?}", start.elapsed());
    for r in &reports {
        for e in r.egresses.iter().filter(|e| e.owned_here) {
            println!(
                "   {} holds {} for Egress {}",
                r.node,
                e.egress_ip.as_deref().unwrap_or("-"),
                e.name
            );
        }
    }
    let mut by_pod: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in &reports {
        for p in &r.pods {
            let how = match (p.egress.as_deref(), p.path.as_str()) {
                (None, _) => "node IP".to_string(),
                (Some(e), path) => format!("{e} ({path})"),
            };
            by_pod.insert(
                p.pod.clone(),
                (p.egress_node.clone().unwrap_or_default(), how),
            );
        }
    }
    println!(
        "   {:<24} {:<6} {:<16} {:<15} {:<15} {:<12} via",
        "POD", "NODE", "LABELS", "PING SOURCE", "TCP SOURCE", "EGRESS NODE"
    );
    let ext = topo.ext();
    for (node, name, ns, labels) in POD_LIST {
        let pod = topo.pod(name)?;
        let ping = pod.ping(ext.ip(), 3, Duration::from_millis(200))?;
        let icmp: Vec<Ipv4Addr> = ext.icmp_sources(&ping)?.into_iter().collect();
        let tcp = pod.tcp_connect(ext.ip(), ext.tcp_port())?;
        let key = format!("{ns}/{name}");
        let (egress_node, how) = by_pod.get(&key).cloned().unwrap_or_default();
        let icmp_text = match icmp.as_slice() {
            [one] => one.to_string(),
            [] => format!("none ({}/{} replies)", ping.received, ping.transmitted),
            many => format!("{many:?}"),
        };
        println!(
            "   {:<24} node{:<2} {:<16} {:<15} {:<15} {:<12} {}",
            key,
            node,
            labels,
            icmp_text,
            tcp.to_string(),
            egress_node,
            how
        );
    }
    Ok(())
}
