//! The external host: a namespace on the underlay that records the source address of every
//! packet (a `tcpdump -U --immediate-mode -w` capture, pitfall 5) and of every TCP connection
//! (the `testbed-probe serve` recorder) it receives.
//!
//! Both recorders are started with `ip netns exec`, which execs them, so the child pid is the
//! recorder's pid (pitfall 4); they are stopped by that pid with SIGTERM and reaped.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::sandbox::{stop_pid, wait_for, SandboxError};

use super::netns::{exec_in, ip_in, netns_add, offload_off, sysctl_in, veth};
use super::node::{NO_IPV6, WAIT};
use super::pcap::{self, Packet};
use super::probe::parse_peer_line;
use super::spec::{Mac, TopologySpec};
use super::state::{Record, StateWriter};
use super::{PingStats, TestbedError};

/// The external host and its recorders.
#[derive(Debug)]
pub struct ExternalHost {
    netns: String,
    ip: Ipv4Addr,
    tcp_port: u16,
    pcap: PathBuf,
    tcp_log: PathBuf,
    capture: Option<Child>,
    server: Option<Child>,
}

impl ExternalHost {
    /// Creates the namespace, plugs it into the underlay bridge and starts both recorders,
    /// waiting until each is ready.
    pub(crate) fn create(
        spec: &TopologySpec,
        probe: &Path,
        state: &mut StateWriter,
    ) -> Result<ExternalHost, TestbedError> {
        let ns = spec.ext_netns();
        let ul = spec.underlay_netns();
        let ip = spec.ext_ip();
        state.record(&Record::Netns(ns.clone()))?;
        netns_add(&ns)?;
        sysctl_in(&ns, &NO_IPV6)?;
        veth(&ul, "ext", &ns, "eth0")?;
        ip_in(&ul, &["link", "set", "ext", "master", "br0", "up"])?;
        let mac = Mac::for_ip(ip).to_string();
        ip_in(&ns, &["link", "set", "eth0", "address", &mac, "up"])?;
        ip_in(&ns, &["addr", "add", &format!("{ip}/24"), "dev", "eth0"])?;
        offload_off(&ns, "eth0")?;
        let dir = spec.run_dir().join("ext");
        fs::create_dir_all(&dir).map_err(|e| TestbedError::io(&dir, e))?;
        let mut ext = ExternalHost {
            netns: ns,
            ip,
            tcp_port: spec.ext_tcp_port,
            pcap: dir.join("ext.pcap"),
            tcp_log: dir.join("tcp-peers.log"),
            capture: None,
            server: None,
        };
        ext.start_capture(&dir, state)?;
        ext.start_server(&dir, probe, state)?;
        Ok(ext)
    }

    fn spawn(
        &self,
        mut cmd: Command,
        dir: &Path,
        name: &str,
        comm: &str,
        state: &mut StateWriter,
    ) -> Result<Child, TestbedError> {
        let out = dir.join(format!("{name}.out"));
        let err = dir.join(format!("{name}.err"));
        let stdout = File::create(&out).map_err(|e| TestbedError::io(&out, e))?;
        let stderr = File::create(&err).map_err(|e| TestbedError::io(&err, e))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|source| SandboxError::Spawn {
                program: comm.into(),
                source,
            })?;
        state.record(&Record::Pid {
            pid: child.id(),
            comm: comm.into(),
        })?;
        Ok(child)
    }

    fn start_capture(&mut self, dir: &Path, state: &mut StateWriter) -> Result<(), TestbedError> {
        let mut cmd = exec_in(&self.netns, "tcpdump");
        // -Z root: Debian's tcpdump otherwise drops to user `tcpdump` before opening the output
        // file, which it may not write in our run directory.
        cmd.args([
            "-i",
            "eth0",
            "-U",
            "--immediate-mode",
            "-Z",
            "root",
            "-s",
            "512",
            "-w",
        ])
        .arg(&self.pcap);
        let child = self.spawn(cmd, dir, "tcpdump", "tcpdump", state)?;
        self.capture = Some(child);
        let err = dir.join("tcpdump.err");
        wait_ready(&err, "tcpdump", &mut self.capture, |e| {
            e.contains("listening on")
        })
    }

    fn start_server(
        &mut self,
        dir: &Path,
        probe: &Path,
        state: &mut StateWriter,
    ) -> Result<(), TestbedError> {
        let ready = dir.join("tcp-recorder.ready");
        let _ = fs::remove_file(&ready);
        let mut cmd = exec_in(&self.netns, &probe.to_string_lossy());
        cmd.args(["serve", "--port", &self.tcp_port.to_string(), "--log"])
            .arg(&self.tcp_log)
            .arg("--ready")
            .arg(&ready);
        let child = self.spawn(cmd, dir, "tcp-recorder", "testbed-probe", state)?;
        self.server = Some(child);
        wait_ready(
            &dir.join("tcp-recorder.err"),
            "testbed-probe serve",
            &mut self.server,
            |_| ready.exists(),
        )
    }

    /// Stops both recorders (SIGTERM, then SIGKILL) and reaps them. Idempotent.
    pub(crate) fn stop(&mut self) {
        for child in [self.server.take(), self.capture.take()]
            .into_iter()
            .flatten()
        {
            stop_child(child);
        }
    }

    /// Forgets the recorders without stopping them (they outlive `testbed up`).
    pub(crate) fn release(&mut self) {
        self.server = None;
        self.capture = None;
    }

    /// The external host's namespace.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// Its underlay IP.
    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    /// Its MAC (`02:00:<IP in hex>`).
    pub fn mac(&self) -> Mac {
        Mac::for_ip(self.ip)
    }

    /// The TCP port of the recorder.
    pub fn tcp_port(&self) -> u16 {
        self.tcp_port
    }

    /// The capture file (pcap, readable with `tcpdump -nn -e -r`).
    pub fn pcap_path(&self) -> &Path {
        &self.pcap
    }

    /// Pids of the recorders (tcpdump, testbed-probe) while they run.
    pub fn pids(&self) -> Vec<u32> {
        [&self.capture, &self.server]
            .into_iter()
            .flatten()
            .map(Child::id)
            .collect()
    }

    /// A command that runs `program` inside the external host.
    pub fn command(&self, program: &str) -> Command {
        exec_in(&self.netns, program)
    }

    /// Every frame captured on the external host's interface so far, both directions.
    pub fn packets(&self) -> Result<Vec<Packet>, TestbedError> {
        let bytes = match fs::read(&self.pcap) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(TestbedError::io(&self.pcap, e)),
        };
        pcap::parse(&bytes).map_err(|source| TestbedError::Capture {
            path: self.pcap.clone(),
            source,
        })
    }

    /// Every source IP of an IPv4 packet addressed to the external host, and of every TCP
    /// connection its recorder accepted.
    pub fn seen_sources(&self) -> Result<BTreeSet<Ipv4Addr>, TestbedError> {
        let mut seen: BTreeSet<Ipv4Addr> = self
            .packets()?
            .iter()
            .filter_map(Packet::ipv4)
            .filter(|(_, dst)| *dst == self.ip)
            .map(|(src, _)| src)
            .collect();
        seen.extend(self.tcp_peers()?.iter().map(|a| *a.ip()));
        Ok(seen)
    }

    /// The peers (source IP and port as the external host saw them) of every TCP connection the
    /// recorder accepted, in order.
    pub fn tcp_peers(&self) -> Result<Vec<SocketAddrV4>, TestbedError> {
        match fs::read_to_string(&self.tcp_log) {
            Ok(text) => Ok(text.lines().filter_map(parse_peer_line).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(TestbedError::io(&self.tcp_log, e)),
        }
    }

    /// The source IPs of the echo requests of one [`super::Pod::ping`] that reached the external
    /// host. Waits (up to 10 s) until the capture holds at least as many of them as the ping got
    /// replies, since tcpdump writes a packet shortly after the kernel answered it.
    pub fn icmp_sources(&self, ping: &PingStats) -> Result<BTreeSet<Ipv4Addr>, TestbedError> {
        let matching = |packets: &[Packet]| -> Vec<Ipv4Addr> {
            packets
                .iter()
                .filter(|p| p.is_echo_request_with(&ping.marker))
                .filter_map(Packet::ipv4)
                .filter(|(_, dst)| *dst == self.ip)
                .map(|(src, _)| src)
                .collect()
        };
        let want = usize::try_from(ping.received).unwrap_or(usize::MAX);
        let mut last = Vec::new();
        let waited = wait_for(
            Duration::from_secs(10),
            "echo requests in the capture",
            || match self.packets() {
                Ok(p) => {
                    last = matching(&p);
                    last.len() >= want
                }
                Err(_) => false,
            },
        );
        if waited.is_err() {
            // Report what arrived; the caller's assertion says what was expected.
            last = matching(&self.packets()?);
        }
        Ok(last.into_iter().collect())
    }
}

impl Drop for ExternalHost {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `ready` holds for the recorder's stderr text, failing early if it exits.
fn wait_ready(
    err: &Path,
    what: &str,
    child: &mut Option<Child>,
    ready: impl Fn(&str) -> bool,
) -> Result<(), TestbedError> {
    let mut exited = None;
    wait_for(WAIT, &format!("{what} to start"), || {
        let text = fs::read_to_string(err).unwrap_or_default();
        if let Some(c) = child.as_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                exited = Some(format!("{status}: {text}"));
                return true;
            }
        }
        ready(&text)
    })?;
    match exited {
        Some(output) => {
            child.take();
            Err(TestbedError::UnexpectedOutput {
                what: format!("{what} exited at start"),
                output,
            })
        }
        None => Ok(()),
    }
}

fn stop_child(mut child: Child) {
    let _ = stop_pid(child.id());
    let _ = child.wait();
}
