//! `testbed`: builds, inspects and tears down a multi-node topology for manual experiments.
//!
//! ```text
//! testbed up     --nodes 2 --prefix tb [--flows [--egress-ip 10.105.18.100 --egress-pods p1a,p2a]]
//! testbed status --prefix tb
//! testbed down   --prefix tb
//! ```
//! `up` leaves everything running (namespaces `tb-ul`, `tb-ext`, `tb-n1`..., `tb-p1a`...) and
//! records it in `<run-root>/<prefix>/testbed.state`; `down` stops it by pid and by name.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use ovs_egress::testbed::{
    reference_flows, status_run_dir, teardown_prefix, BridgeSetup, Topology, TopologySpec, Tunnel,
};

#[derive(Parser)]
#[command(about = "Multi-node OVS egress testbed in network namespaces")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Number of nodes.
    #[arg(long, global = true, default_value_t = 2)]
    nodes: usize,
    /// Prefix of every namespace name and of the run directory.
    #[arg(long, global = true, default_value = "tb")]
    prefix: String,
    /// Parent of the run directory.
    #[arg(long, global = true, default_value_os_t = default_run_root())]
    run_root: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum Bridges {
    Testbed,
    Agent,
}

#[derive(Clone, Copy, ValueEnum)]
enum TunnelArg {
    Geneve,
    Vxlan,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the topology and leave it running.
    Up {
        /// Pods per node (`p<k>a`, `p<k>b`, ...).
        #[arg(long, default_value_t = 2)]
        pods_per_node: usize,
        /// Underlay /24 network.
        #[arg(long, default_value = "10.105.18.0")]
        underlay: Ipv4Addr,
        /// Node 1's pod /24; node k gets the next ones.
        #[arg(long, default_value = "192.168.100.0")]
        pod_base: Ipv4Addr,
        /// Who creates br-int/br-phy.
        #[arg(long, value_enum, default_value_t = Bridges::Testbed)]
        bridges: Bridges,
        /// Tunnel type of the testbed-created tunnel port.
        #[arg(long, value_enum, default_value_t = TunnelArg::Geneve)]
        tunnel: TunnelArg,
        /// Install the hand-written flows of testbed-notes §3 (default SNAT to each node's IP).
        #[arg(long)]
        flows: bool,
        /// With --flows: an egress IP (owned by --egress-owner) for --egress-pods.
        #[arg(long, requires = "flows")]
        egress_ip: Option<Ipv4Addr>,
        /// Node owning the egress IP.
        #[arg(long, default_value_t = 1)]
        egress_owner: usize,
        /// Pods selected by the egress (comma-separated pod names).
        #[arg(long, value_delimiter = ',')]
        egress_pods: Vec<String>,
        /// The testbed-probe binary (default: next to this program).
        #[arg(long)]
        probe: Option<PathBuf>,
    },
    /// Show what runs.
    Status,
    /// Stop everything by pid and delete the namespaces by name.
    Down,
}

fn default_run_root() -> PathBuf {
    std::env::temp_dir().join("ovs-egress-testbed")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("testbed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Cmd::Up {
            pods_per_node,
            underlay,
            pod_base,
            bridges,
            tunnel,
            flows,
            egress_ip,
            egress_owner,
            egress_pods,
            probe,
        } => {
            let mut spec = TopologySpec::new(cli.nodes);
            spec.prefix = cli.prefix;
            spec.run_root = cli.run_root;
            spec.underlay = underlay;
            spec.pod_base = pod_base;
            spec.probe = probe;
            spec.bridges = match bridges {
                Bridges::Testbed => BridgeSetup::Testbed,
                Bridges::Agent => BridgeSetup::Agent,
            };
            spec.tunnel = match tunnel {
                TunnelArg::Geneve => Tunnel::Geneve,
                TunnelArg::Vxlan => Tunnel::Vxlan,
            };
            spec.pods = (1..=cli.nodes)
                .flat_map(|n| {
                    (0..pods_per_node).map(move |k| {
                        let letter = char::from(b'a' + (k % 26) as u8);
                        ovs_egress::testbed::PodSpec::new(n, &format!("p{n}{letter}"), "default")
                    })
                })
                .collect();
            let topo = Topology::build(spec)?;
            if flows {
                reference_flows::install_static(&topo)?;
                topo.warm_tunnel_neighbours()?;
                if let Some(eip) = egress_ip {
                    let members: Vec<&str> = egress_pods.iter().map(String::as_str).collect();
                    reference_flows::install_egress(&topo, egress_owner, eip, 100, &members)?;
                }
            }
            print_summary(&topo);
            let dir = topo.release();
            println!("state: {}", dir.join("testbed.state").display());
            Ok(())
        }
        Cmd::Status => {
            print!("{}", status_run_dir(&cli.run_root.join(&cli.prefix))?);
            Ok(())
        }
        Cmd::Down => {
            let start = Instant::now();
            let report = teardown_prefix(&cli.run_root, &cli.prefix)?;
            println!(
                "stopped {} processes, deleted {} namespaces in {:.2?}",
                report.stopped_pids.len(),
                report.deleted_netns.len(),
                start.elapsed()
            );
            Ok(())
        }
    }
}

fn print_summary(topo: &Topology) {
    println!("built in {:.2?}", topo.build_time());
    println!("underlay  netns {}  bridge br0", topo.underlay_netns());
    let ext = topo.ext();
    println!(
        "ext       netns {}  {} {}  tcp recorder :{}  capture {}",
        ext.netns(),
        ext.ip(),
        ext.mac(),
        ext.tcp_port(),
        ext.pcap_path().display()
    );
    for n in topo.nodes() {
        println!(
            "{:<9} netns {}  {} {}  pods {}/24  OVS_RUNDIR={}",
            n.name(),
            n.netns(),
            n.transport_ip(),
            n.transport_mac(),
            n.pod_cidr(),
            n.run_dir().display()
        );
    }
    for p in topo.pods() {
        println!(
            "pod {:<5} netns {}  {} {}  node{} port {} ofport {}",
            p.name(),
            p.netns(),
            p.ip(),
            p.mac(),
            p.node(),
            p.port(),
            p.ofport()
        );
    }
}
