//! A pod: a namespace with `eth0` (a veth whose peer is a port of its node's br-int), a /24 from
//! the node's pod CIDR, MTU 1400, a default route via the virtual gateway .1, offload off.
//!
//! Attaching mirrors a CNI ADD: `ovs-vsctl add-port br-int <port> -- set interface <port>
//! external_ids:pod-name=... pod-namespace=... ip-address=<ip/24> attached-mac=<mac>
//! antrea-type=container ofport_request=<10+k>` (Antrea's keys, see antrea-egress.md).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::sandbox::{run, wait_for, Sandbox};

use super::netns::{exec_in, ip_in, netns_add, offload_off, sysctl_in, veth};
use super::node::{NO_IPV6, WAIT};
use super::ping::{new_marker, parse_summary, ping_args};
use super::probe::parse_peer_line;
use super::spec::{pod_letter, Mac, PodSpec, TopologySpec, FIRST_POD_OFPORT, INT_BRIDGE, POD_MTU};
use super::state::{Record, StateWriter};
use super::{PingStats, TestbedError};

/// One pod of the topology.
#[derive(Debug, Clone)]
pub struct Pod {
    name: String,
    namespace: String,
    node: usize,
    netns: String,
    node_netns: String,
    port: String,
    ip: Ipv4Addr,
    ofport: u16,
    probe: PathBuf,
}

impl Pod {
    /// Creates the pod's namespace and veth (not yet attached to OVS). `slot` is the pod's
    /// position on its node (0-based): it picks the port name `p<node><letter>`, the address
    /// `.2+slot` and the ofport `10+slot`.
    pub(crate) fn create(
        spec: &TopologySpec,
        pod: &PodSpec,
        slot: usize,
        probe: &Path,
        state: &mut StateWriter,
    ) -> Result<Pod, TestbedError> {
        let port = format!("p{}{}", pod.node, pod_letter(slot));
        let netns = format!("{}-{port}", spec.prefix);
        let node_netns = spec.node_netns(pod.node);
        let host = u8::try_from(slot + 2)
            .map_err(|_| TestbedError::InvalidSpec("too many pods".into()))?;
        let ip = spec.pod_host(pod.node, host);
        let gateway = spec.pod_host(pod.node, 1);
        let mtu = POD_MTU.to_string();
        state.record(&Record::Netns(netns.clone()))?;
        netns_add(&netns)?;
        sysctl_in(&netns, &NO_IPV6)?;
        veth(&netns, "eth0", &node_netns, &port)?;
        let mac = Mac::for_ip(ip).to_string();
        ip_in(
            &netns,
            &["link", "set", "eth0", "address", &mac, "mtu", &mtu, "up"],
        )?;
        ip_in(&netns, &["addr", "add", &format!("{ip}/24"), "dev", "eth0"])?;
        ip_in(
            &netns,
            &["route", "add", "default", "via", &gateway.to_string()],
        )?;
        offload_off(&netns, "eth0")?;
        ip_in(&node_netns, &["link", "set", &port, "mtu", &mtu, "up"])?;
        Ok(Pod {
            name: pod.name.clone(),
            namespace: pod.namespace.clone(),
            node: pod.node,
            netns,
            node_netns,
            port,
            ip,
            ofport: FIRST_POD_OFPORT + u16::try_from(slot).unwrap_or(0),
            probe: probe.to_path_buf(),
        })
    }

    /// Attaches the pod to its node's br-int as a CNI would and waits for its ofport.
    /// Idempotent.
    pub(crate) fn attach(&self, ovs: &Sandbox) -> Result<(), TestbedError> {
        let p = &self.port;
        let ids = [
            format!("external_ids:pod-name={}", self.name),
            format!("external_ids:pod-namespace={}", self.namespace),
            format!("external_ids:ip-address={}/24", self.ip),
            format!("external_ids:attached-mac={}", self.mac()),
            "external_ids:antrea-type=container".to_owned(),
            format!("external_ids:container-id={}", self.netns),
            format!("ofport_request={}", self.ofport),
        ];
        let mut args = vec![
            "--may-exist",
            "add-port",
            INT_BRIDGE,
            p,
            "--",
            "set",
            "interface",
            p,
        ];
        args.extend(ids.iter().map(String::as_str));
        ovs.vsctl(&args)?;
        let want = self.ofport.to_string();
        wait_for(WAIT, &format!("ofport of {p}"), || {
            ovs.vsctl_no_wait(&["get", "interface", p, "ofport"])
                .is_ok_and(|o| o.trim() == want)
        })?;
        Ok(())
    }

    /// Removes the pod's port from br-int (a CNI DEL); the namespace stays.
    pub(crate) fn detach(&self, ovs: &Sandbox) -> Result<(), TestbedError> {
        ovs.vsctl(&["--if-exists", "del-port", INT_BRIDGE, &self.port])?;
        Ok(())
    }

    /// `pod-name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `pod-namespace` (the Kubernetes namespace).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// 1-based index of the node the pod runs on.
    pub fn node(&self) -> usize {
        self.node
    }

    /// The pod's network namespace.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The node namespace that holds the pod's OVS port.
    pub fn node_netns(&self) -> &str {
        &self.node_netns
    }

    /// The OVS port (node-side veth) name, `p<node><letter>`.
    pub fn port(&self) -> &str {
        &self.port
    }

    /// The ofport the pod's port requests (and gets once attached).
    pub fn ofport(&self) -> u16 {
        self.ofport
    }

    /// The pod's IP (prefix length 24).
    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    /// The pod's MAC (`02:00:<IP in hex>`).
    pub fn mac(&self) -> Mac {
        Mac::for_ip(self.ip)
    }

    /// A command that runs `program` inside the pod.
    pub fn command(&self, program: &str) -> Command {
        exec_in(&self.netns, program)
    }

    /// Runs `argv` inside the pod and returns its stdout (an error if it exits non-zero).
    pub fn exec(&self, argv: &[&str]) -> Result<String, TestbedError> {
        let Some((program, args)) = argv.split_first() else {
            return Err(TestbedError::InvalidSpec("exec of an empty command".into()));
        };
        Ok(run(self.command(program).args(args))?)
    }

    /// Pings `dst` `count` times every `interval`; returns how many replies came back. Each
    /// request carries a payload marker so [`super::ExternalHost::icmp_sources`] can find them.
    pub fn ping(
        &self,
        dst: Ipv4Addr,
        count: u32,
        interval: Duration,
    ) -> Result<PingStats, TestbedError> {
        let marker = new_marker();
        let out = self
            .command("ping")
            .args(ping_args(dst, count, interval, &marker))
            .output()
            .map_err(|source| crate::sandbox::SandboxError::Spawn {
                program: "ping".into(),
                source,
            })?;
        // Exit status 1 means "some replies missing": still a valid measurement.
        let text = String::from_utf8_lossy(&out.stdout);
        parse_summary(&text, marker).map_err(|e| match out.status.code() {
            Some(0) | Some(1) => e,
            _ => TestbedError::UnexpectedOutput {
                what: format!("ping in {}", self.netns),
                output: format!("{text}{}", String::from_utf8_lossy(&out.stderr)),
            },
        })
    }

    /// Opens a TCP connection to the external host's recorder at `dst:port` and returns the
    /// source IP it saw (after any SNAT). Fails if the connection does not complete within
    /// 10 s (the first SYN may be lost to an unresolved tunnel neighbour, pitfall 7, and is
    /// retransmitted after 1 s).
    pub fn tcp_connect(&self, dst: Ipv4Addr, port: u16) -> Result<Ipv4Addr, TestbedError> {
        let addr = SocketAddr::from(SocketAddrV4::new(dst, port));
        let probe = self.probe.to_string_lossy().into_owned();
        let answer =
            run(self
                .command(&probe)
                .args(["connect", &addr.to_string(), "--timeout", "10"]))?;
        parse_peer_line(&answer)
            .map(|a| *a.ip())
            .ok_or(TestbedError::UnexpectedOutput {
                what: format!("testbed-probe connect in {}", self.netns),
                output: answer,
            })
    }
}
