//! Runs real `ovs-egress` agents on a [`Topology`] (one per node, inside the node's namespace,
//! as a DaemonSet pod with host networking would run): writes each node's config, starts,
//! signals and restarts the processes, and waits on their status files. Used by the demo and
//! the end-to-end tests; every wait polls a condition with a generous timeout.
//!
//! Processes are stopped by pid on drop (SIGTERM, then SIGKILL); the testbed's teardown also
//! stops any `ovs-egress` it finds in a node namespace.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sandbox::{pid_alive, wait_for, SandboxError};
use crate::testbed::{Node, Topology, Tunnel};

use super::status::{read_report, NodeReport};

/// Environment variable naming the `ovs-egress` binary.
pub const AGENT_BIN_ENV: &str = "OVS_EGRESS_BIN";

/// Why the harness failed.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The agent binary was not found.
    #[error("cannot find the ovs-egress binary (looked at {0}); build it or set OVS_EGRESS_BIN")]
    NoBinary(String),
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Starting or signalling a process failed, or a wait timed out.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// No agent for that node.
    #[error("no agent on node {0}")]
    NoAgent(usize),
    /// A wait on a node's status did not succeed; the last status (or why there is none) and
    /// the tail of the agent's log are included.
    #[error("node{node}: {what} not reached within {timeout:?}; last status: {last}\n--- agent log tail ---\n{log}")]
    StatusTimeout {
        /// The node.
        node: usize,
        /// What was awaited.
        what: String,
        /// How long.
        timeout: Duration,
        /// The last status seen.
        last: String,
        /// The end of the agent's log.
        log: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Finds `ovs-egress`: the explicit path, `$OVS_EGRESS_BIN`, or next to the current executable
/// (or its parent directory, where cargo puts binaries when running tests from `deps/`).
pub fn find_agent_binary(explicit: Option<&Path>) -> Result<PathBuf, HarnessError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        candidates.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(AGENT_BIN_ENV) {
        candidates.push(PathBuf::from(p));
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(2) {
            candidates.push(dir.join("ovs-egress"));
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            HarnessError::NoBinary(
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

/// One node's agent configuration for the testbed (YAML).
pub fn node_config(topo: &Topology, node: &Node, manifest_dir: &Path, status_dir: &Path) -> String {
    let spec = topo.spec();
    let tunnel = match spec.tunnel {
        Tunnel::Geneve => "geneve",
        Tunnel::Vxlan => "vxlan",
    };
    format!(
        "# ovs-egress agent of {name} (written by the testbed harness)\n\
         nodeName: {name}\n\
         ovsRunDir: {rundir}\n\
         uplinkInterface: {uplink}\n\
         transportIP: {ip}/24\n\
         podCIDR: {cidr}/24\n\
         tunnelType: {tunnel}\n\
         nextHop: {ext}\n\
         manifestDir: {manifests}\n\
         statusDir: {status}\n\
         listen: 127.0.0.1:9469\n\
         drainMillis: 2000\n",
        name = node.name(),
        rundir = node.run_dir().display(),
        uplink = crate::testbed::UPLINK,
        ip = node.transport_ip(),
        cidr = node.pod_cidr(),
        ext = spec.ext_ip(),
        manifests = manifest_dir.display(),
        status = status_dir.display(),
    )
}

/// Writes a fresh gossip key file into `<run dir>/agents/` and returns the configuration lines
/// that turn membership on with it (issue 7; `extra` of [`Agents::start_with`]).
pub fn gossip_settings(topo: &Topology) -> Result<String, HarnessError> {
    use rand::RngExt;
    let dir = topo.run_dir().join("agents");
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let path = dir.join("gossip.keys");
    let mut rng: rand::rngs::SmallRng = rand::make_rng();
    let secret: String = (0..32)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect();
    fs::write(
        &path,
        format!("# test key (written by the harness)\n1 {secret}\n"),
    )
    .map_err(io(&path))?;
    Ok(format!("gossipKeyFile: {}\n", path.display()))
}

/// A running agent.
#[derive(Debug)]
struct AgentProcess {
    child: Child,
    log: PathBuf,
}

/// The agents of a topology.
#[derive(Debug)]
pub struct Agents {
    bin: PathBuf,
    dir: PathBuf,
    manifest_dir: PathBuf,
    status_dir: PathBuf,
    netns: Vec<String>,
    names: Vec<String>,
    configs: Vec<PathBuf>,
    procs: Vec<Option<AgentProcess>>,
    starts: Vec<u32>,
}

impl Agents {
    /// Writes every node's config into `<run dir>/agents/` and starts one agent per node.
    /// `manifest_dir` is shared by all agents; status files go to `<manifest_dir>/status`.
    pub fn start(topo: &Topology, manifest_dir: &Path, bin: &Path) -> Result<Agents, HarnessError> {
        Agents::start_with(topo, manifest_dir, bin, "")
    }

    /// Like [`Agents::start`], with `extra` YAML appended to every node's configuration (e.g.
    /// [`gossip_settings`]).
    pub fn start_with(
        topo: &Topology,
        manifest_dir: &Path,
        bin: &Path,
        extra: &str,
    ) -> Result<Agents, HarnessError> {
        let dir = topo.run_dir().join("agents");
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let status_dir = manifest_dir.join("status");
        let mut agents = Agents {
            bin: bin.to_path_buf(),
            dir: dir.clone(),
            manifest_dir: manifest_dir.to_path_buf(),
            status_dir: status_dir.clone(),
            netns: Vec::new(),
            names: Vec::new(),
            configs: Vec::new(),
            procs: Vec::new(),
            starts: Vec::new(),
        };
        for node in topo.nodes() {
            let cfg = dir.join(format!("{}.yaml", node.name()));
            let text = node_config(topo, node, manifest_dir, &status_dir) + extra;
            fs::write(&cfg, text).map_err(io(&cfg))?;
            agents.netns.push(node.netns().to_string());
            agents.names.push(node.name().to_string());
            agents.configs.push(cfg);
            agents.procs.push(None);
            agents.starts.push(0);
        }
        for i in 1..=agents.names.len() {
            agents.start_node(i)?;
        }
        Ok(agents)
    }

    /// The shared manifest directory.
    pub fn manifest_dir(&self) -> &Path {
        &self.manifest_dir
    }

    /// The status directory.
    pub fn status_dir(&self) -> &Path {
        &self.status_dir
    }

    fn slot(&self, node: usize) -> Result<usize, HarnessError> {
        node.checked_sub(1)
            .filter(|i| *i < self.names.len())
            .ok_or(HarnessError::NoAgent(node))
    }

    /// Starts node `node`'s agent (1-based) if it is not running. Its log is
    /// `<run dir>/agents/node<k>.<n>.log` for the n-th start.
    pub fn start_node(&mut self, node: usize) -> Result<u32, HarnessError> {
        let i = self.slot(node)?;
        if let Some(p) = &self.procs[i] {
            if pid_alive(p.child.id()) {
                return Ok(p.child.id());
            }
        }
        self.starts[i] += 1;
        let log = self
            .dir
            .join(format!("{}.{}.log", self.names[i], self.starts[i]));
        let out = File::create(&log).map_err(io(&log))?;
        let err = out.try_clone().map_err(io(&log))?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.netns[i]])
            .arg(&self.bin)
            .arg("--config")
            .arg(&self.configs[i])
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| SandboxError::Spawn {
                program: self.bin.display().to_string(),
                source,
            })?;
        let pid = child.id();
        self.procs[i] = Some(AgentProcess { child, log });
        Ok(pid)
    }

    /// The pid of node `node`'s agent, if it runs.
    pub fn pid(&self, node: usize) -> Option<u32> {
        let i = self.slot(node).ok()?;
        self.procs[i].as_ref().map(|p| p.child.id())
    }

    /// Kills node `node`'s agent with SIGKILL (no chance to clean up) and reaps it.
    pub fn kill(&mut self, node: usize) -> Result<(), HarnessError> {
        let i = self.slot(node)?;
        if let Some(mut p) = self.procs[i].take() {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
        Ok(())
    }

    /// Stops node `node`'s agent with SIGTERM and waits for it to exit (SIGKILL after 10 s).
    pub fn stop(&mut self, node: usize) -> Result<(), HarnessError> {
        let i = self.slot(node)?;
        if let Some(mut p) = self.procs[i].take() {
            let pid = p.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = p.child.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = p.child.kill();
                    let _ = p.child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// The log of node `node`'s current (or last) agent.
    pub fn log(&self, node: usize) -> String {
        let Ok(i) = self.slot(node) else {
            return String::new();
        };
        let path = match &self.procs[i] {
            Some(p) => p.log.clone(),
            None => self
                .dir
                .join(format!("{}.{}.log", self.names[i], self.starts[i])),
        };
        fs::read_to_string(path).unwrap_or_default()
    }

    /// The node's status file, if it exists and parses.
    pub fn status(&self, node: usize) -> Result<NodeReport, String> {
        let i = self.slot(node).map_err(|e| e.to_string())?;
        read_report(&self.status_dir, &self.names[i])
    }

    /// Waits until node `node`'s status file says converged and satisfies `pred`.
    pub fn wait_status(
        &self,
        node: usize,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&NodeReport) -> bool,
    ) -> Result<NodeReport, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.status(node);
            if let Ok(r) = &status {
                if r.converged && pred(r) {
                    return Ok(r.clone());
                }
            }
            if Instant::now() > deadline {
                let last = match status {
                    Ok(r) => serde_norway::to_string(&r).unwrap_or_default(),
                    Err(e) => e,
                };
                let log = self.log(node);
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                return Err(HarnessError::StatusTimeout {
                    node,
                    what: what.to_string(),
                    timeout,
                    last,
                    log: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until every agent's status says converged and satisfies `pred`.
    pub fn wait_all(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&NodeReport) -> bool,
    ) -> Result<Vec<NodeReport>, HarnessError> {
        (1..=self.names.len())
            .map(|n| self.wait_status(n, what, timeout, &pred))
            .collect()
    }

    /// The resident set size of node `node`'s agent, in KiB (from `/proc/PID/status`).
    pub fn rss_kib(&self, node: usize) -> Option<u64> {
        let pid = self.pid(node)?;
        let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Waits until node `node`'s agent process has exited (after a signal).
    pub fn wait_exit(&mut self, node: usize, timeout: Duration) -> Result<(), HarnessError> {
        let i = self.slot(node)?;
        let Some(p) = self.procs[i].as_mut() else {
            return Ok(());
        };
        let mut exited = false;
        wait_for(timeout, &format!("agent of node {node} to exit"), || {
            exited = matches!(p.child.try_wait(), Ok(Some(_)));
            exited
        })?;
        self.procs[i] = None;
        Ok(())
    }
}

impl Drop for Agents {
    fn drop(&mut self) {
        for node in 1..=self.names.len() {
            let _ = self.stop(node);
        }
    }
}

/// Writes `text` to `dir/name` atomically (temporary file, then rename), as manifests should
/// be written to a directory agents watch.
pub fn write_manifest(dir: &Path, name: &str, text: &str) -> Result<(), HarnessError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, text).map_err(io(&tmp))?;
    let path = dir.join(name);
    fs::rename(&tmp, &path).map_err(io(&path))
}
