//! Building, using and tearing down a whole topology.
//!
//! [`Topology::build`] creates, in order: the underlay namespace with its bridge, the external
//! host with its recorders, the nodes with their OVS daemons (and bridges, if the testbed owns
//! them), then the pods. Every name and pid is written to the state file before it is created,
//! and the half-built topology is already a [`Topology`], so an error at any step tears down
//! what exists (the drop guard) and returns the error.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::sandbox::wait_for;

use super::ext::ExternalHost;
use super::netns::{ip_in, netns_add, netns_delete, sysctl_in};
use super::node::{Node, NO_IPV6, WAIT};
use super::pod::Pod;
use super::spec::{BridgeSetup, PodSpec, TopologySpec, INT_BRIDGE};
use super::state::{read_records, teardown_records, teardown_run_dir, Record, StateWriter};
use super::{TeardownReport, TestbedError};

/// Environment variable naming the `testbed-probe` binary.
pub const PROBE_ENV: &str = "OVS_EGRESS_TESTBED_PROBE";

/// A running topology. Dropping it tears everything down (keeping the run directory with the
/// logs and the capture for a post-mortem); [`Topology::teardown`] does the same, removes the
/// run directory and reports errors.
#[derive(Debug)]
pub struct Topology {
    spec: TopologySpec,
    run_dir: PathBuf,
    probe: PathBuf,
    state: StateWriter,
    nodes: Vec<Node>,
    pods: Vec<Pod>,
    ext: Option<ExternalHost>,
    build_time: Duration,
    finished: bool,
}

impl Topology {
    /// Builds the topology `spec` describes. Leftovers of an earlier topology with the same
    /// prefix (a crashed run, `testbed up` twice) are torn down first, so building is
    /// idempotent.
    pub fn build(spec: TopologySpec) -> Result<Topology, TestbedError> {
        let start = Instant::now();
        spec.validate()?;
        let probe = find_probe(spec.probe.as_deref())?;
        let run_dir = spec.run_dir();
        teardown_run_dir(&run_dir)?;
        fs::create_dir_all(&run_dir).map_err(|e| TestbedError::io(&run_dir, e))?;
        let state = StateWriter::create(&run_dir)?;
        let mut topo = Topology {
            spec,
            run_dir,
            probe,
            state,
            nodes: Vec::new(),
            pods: Vec::new(),
            ext: None,
            build_time: Duration::ZERO,
            finished: false,
        };
        topo.build_underlay()?;
        topo.ext = Some(ExternalHost::create(
            &topo.spec,
            &topo.probe,
            &mut topo.state,
        )?);
        for index in 1..=topo.spec.nodes {
            let node = Node::create(&topo.spec, index, &mut topo.state)?;
            if topo.spec.bridges == BridgeSetup::Testbed {
                node.create_bridges()?;
            }
            topo.nodes.push(node);
        }
        for pod in topo.spec.pods.clone() {
            topo.add_pod(pod)?;
        }
        topo.build_time = start.elapsed();
        Ok(topo)
    }

    fn build_underlay(&mut self) -> Result<(), TestbedError> {
        let ul = self.spec.underlay_netns();
        self.state.record(&Record::Netns(ul.clone()))?;
        netns_add(&ul)?;
        sysctl_in(&ul, &NO_IPV6)?;
        ip_in(
            &ul,
            &["link", "add", "br0", "type", "bridge", "stp_state", "0"],
        )?;
        ip_in(&ul, &["link", "set", "br0", "up"]).map(drop)
    }

    /// Adds a pod (its namespace and veth), and attaches it to br-int unless the agent owns the
    /// bridges and br-int does not exist yet (then [`Topology::attach_pods`] does it later).
    pub fn add_pod(&mut self, spec: PodSpec) -> Result<&Pod, TestbedError> {
        if spec.node == 0 || spec.node > self.nodes.len() {
            return Err(TestbedError::NotFound {
                kind: "node",
                name: spec.node.to_string(),
            });
        }
        if self.pods.iter().any(|p| p.name() == spec.name) {
            return Err(TestbedError::InvalidSpec(format!(
                "pod {} exists",
                spec.name
            )));
        }
        let used: Vec<&str> = self
            .pods
            .iter()
            .filter(|p| p.node() == spec.node)
            .map(Pod::port)
            .collect();
        let slot = (0..super::spec::MAX_PODS_PER_NODE)
            .find(|k| {
                let port = format!("p{}{}", spec.node, super::spec::pod_letter(*k));
                !used.contains(&port.as_str())
            })
            .ok_or_else(|| TestbedError::InvalidSpec(format!("node {} is full", spec.node)))?;
        let pod = Pod::create(&self.spec, &spec, slot, &self.probe, &mut self.state)?;
        let node = &self.nodes[spec.node - 1];
        let attach = self.spec.bridges == BridgeSetup::Testbed || node.bridge_exists(INT_BRIDGE);
        self.pods.push(pod);
        let pod = &self.pods[self.pods.len() - 1];
        if attach {
            pod.attach(node.sandbox())?;
        }
        Ok(pod)
    }

    /// Removes a pod: detaches its port (a CNI DEL) and deletes its namespace.
    pub fn remove_pod(&mut self, name: &str) -> Result<(), TestbedError> {
        let i = self
            .pods
            .iter()
            .position(|p| p.name() == name)
            .ok_or_else(|| not_found("pod", name))?;
        let pod = self.pods.remove(i);
        pod.detach(self.nodes[pod.node() - 1].sandbox())?;
        netns_delete(pod.netns())
    }

    /// Attaches every pod to its node's br-int, waiting (up to 30 s) for the bridge to appear:
    /// with [`BridgeSetup::Agent`] the agent creates it. Idempotent.
    pub fn attach_pods(&self) -> Result<(), TestbedError> {
        for pod in &self.pods {
            let node = &self.nodes[pod.node() - 1];
            wait_for(WAIT, &format!("{INT_BRIDGE} on {}", node.name()), || {
                node.bridge_exists(INT_BRIDGE)
            })?;
            pod.attach(node.sandbox())?;
        }
        Ok(())
    }

    /// Seeds every node's tunnel neighbour cache with every other node's br-phy MAC, so no first
    /// packet is lost to neighbour resolution (pitfall 7). Needs br-phy.
    pub fn warm_tunnel_neighbours(&self) -> Result<(), TestbedError> {
        for node in &self.nodes {
            for peer in self.nodes.iter().filter(|p| p.index() != node.index()) {
                node.set_tunnel_neighbour(peer.transport_ip(), peer.transport_mac())?;
            }
        }
        Ok(())
    }

    /// The spec this topology was built from.
    pub fn spec(&self) -> &TopologySpec {
        &self.spec
    }

    /// The run directory (state file, per-node OVS directories, the external host's capture).
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// How long [`Topology::build`] took.
    pub fn build_time(&self) -> Duration {
        self.build_time
    }

    /// All nodes, in index order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Node `index` (1-based).
    pub fn node(&self, index: usize) -> Result<&Node, TestbedError> {
        index
            .checked_sub(1)
            .and_then(|i| self.nodes.get(i))
            .ok_or_else(|| not_found("node", &index.to_string()))
    }

    /// Node `index` (1-based), mutable (to restart its daemons).
    pub fn node_mut(&mut self, index: usize) -> Result<&mut Node, TestbedError> {
        index
            .checked_sub(1)
            .and_then(|i| self.nodes.get_mut(i))
            .ok_or_else(|| not_found("node", &index.to_string()))
    }

    /// All pods, in creation order.
    pub fn pods(&self) -> &[Pod] {
        &self.pods
    }

    /// The pod named `name`.
    pub fn pod(&self, name: &str) -> Result<&Pod, TestbedError> {
        self.pods
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| not_found("pod", name))
    }

    /// The external host.
    pub fn ext(&self) -> &ExternalHost {
        match &self.ext {
            Some(ext) => ext,
            // build() only returns a Topology whose external host exists.
            None => unreachable!("a built topology has an external host"),
        }
    }

    /// The underlay namespace (holds bridge `br0` and ports `n<k>`, `ext`).
    pub fn underlay_netns(&self) -> String {
        self.spec.underlay_netns()
    }

    /// Every namespace this topology created (as recorded in its state file).
    pub fn netns_names(&self) -> Vec<String> {
        read_records(&self.run_dir)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| match r {
                Record::Netns(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    /// Pids of every daemon and recorder of the topology that is running.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .nodes
            .iter()
            .flat_map(|n| [n.sandbox().ovsdb_pid(), n.sandbox().vswitchd_pid()])
            .flatten()
            .collect();
        pids.extend(self.ext.iter().flat_map(ExternalHost::pids));
        pids
    }

    /// Tears everything down (processes by pid, namespaces by name), checks nothing is left,
    /// and removes the run directory.
    pub fn teardown(mut self) -> Result<TeardownReport, TestbedError> {
        let report = self.finish()?;
        fs::remove_dir_all(&self.run_dir).map_err(|e| TestbedError::io(&self.run_dir, e))?;
        Ok(report)
    }

    /// Leaves the topology running after this process exits (for `testbed up`); returns the run
    /// directory, whose state file [`super::teardown_run_dir`] uses later.
    pub fn release(mut self) -> PathBuf {
        self.finished = true;
        for node in self.nodes.drain(..) {
            let _ = node.sandbox.release();
        }
        if let Some(ext) = self.ext.as_mut() {
            ext.release();
        }
        self.run_dir.clone()
    }

    fn finish(&mut self) -> Result<TeardownReport, TestbedError> {
        let start = Instant::now();
        self.finished = true;
        let mut stopped = self.pids();
        if let Some(mut ext) = self.ext.take() {
            ext.stop();
        }
        // Dropping a sandbox stops its daemons by pid.
        self.nodes.clear();
        self.pods.clear();
        let records = read_records(&self.run_dir)?;
        let mut report = teardown_records(&records)?;
        stopped.append(&mut report.stopped_pids);
        stopped.sort_unstable();
        stopped.dedup();
        report.stopped_pids = stopped;
        report.elapsed = start.elapsed();
        Ok(report)
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if let Err(e) = self.finish() {
            eprintln!(
                "testbed: teardown of {} failed: {e}",
                self.run_dir.display()
            );
        }
        eprintln!(
            "testbed: torn down on drop; logs kept in {}",
            self.run_dir.display()
        );
    }
}

fn not_found(kind: &'static str, name: &str) -> TestbedError {
    TestbedError::NotFound {
        kind,
        name: name.to_owned(),
    }
}

/// Finds the `testbed-probe` binary: the explicit path, `$OVS_EGRESS_TESTBED_PROBE`, or next to
/// the current executable or in its parent directory (cargo puts test executables in `deps/`).
pub(crate) fn find_probe(explicit: Option<&Path>) -> Result<PathBuf, TestbedError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        candidates.push(p.to_path_buf());
    } else {
        if let Some(p) = std::env::var_os(PROBE_ENV) {
            candidates.push(PathBuf::from(p));
        }
        if let Ok(exe) = std::env::current_exe() {
            for dir in exe.ancestors().skip(1).take(2) {
                candidates.push(dir.join("testbed-probe"));
            }
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            TestbedError::ProbeNotFound(
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}
