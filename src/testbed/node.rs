//! A node: its own namespace with an uplink veth on the underlay, its own ovsdb-server +
//! ovs-vswitchd (a [`Sandbox`] running *inside* the namespace, notes pitfall 8), and, when the
//! testbed owns the bridges, br-int/br-phy made exactly as in notes §2.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::sandbox::{wait_for, Sandbox};

use super::netns::{exec_in, ip_in, netns_add, offload_off, sysctl_in, veth};
use super::spec::{
    Mac, TopologySpec, Tunnel, INT_BRIDGE, PATCH_INT, PATCH_OFPORT, PATCH_PHY, PHY_BRIDGE,
    TUNNEL_OFPORT, TUNNEL_PORT, UPLINK, UPLINK_OFPORT,
};
use super::state::{Record, StateWriter};
use super::TestbedError;

/// How long the testbed waits for a condition (a tap to appear, an ofport to be assigned).
pub(crate) const WAIT: Duration = crate::sandbox::WAIT;

/// One node of the topology.
#[derive(Debug)]
pub struct Node {
    index: usize,
    name: String,
    netns: String,
    transport_ip: Ipv4Addr,
    pod_cidr: Ipv4Addr,
    tunnel: Tunnel,
    pub(crate) sandbox: Sandbox,
}

/// Sysctls every namespace gets: no IPv6 (keeps captures and OVS quiet, the testbed is IPv4).
pub(crate) const NO_IPV6: [&str; 2] = [
    "net.ipv6.conf.all.disable_ipv6=1",
    "net.ipv6.conf.default.disable_ipv6=1",
];

impl Node {
    /// Creates node `index` (1-based): namespace, uplink veth into the underlay bridge (arp off,
    /// arp_ignore=1, offload off), and its OVS daemons. Bridges are made separately.
    pub(crate) fn create(
        spec: &TopologySpec,
        index: usize,
        state: &mut StateWriter,
    ) -> Result<Node, TestbedError> {
        let ns = spec.node_netns(index);
        let ul = spec.underlay_netns();
        let ul_port = format!("n{index}");
        state.record(&Record::Netns(ns.clone()))?;
        netns_add(&ns)?;
        let mut settings = NO_IPV6.to_vec();
        settings.push("net.ipv4.conf.all.arp_ignore=1");
        sysctl_in(&ns, &settings)?;
        veth(&ul, &ul_port, &ns, UPLINK)?;
        ip_in(&ul, &["link", "set", &ul_port, "master", "br0", "up"])?;
        ip_in(&ns, &["link", "set", UPLINK, "arp", "off", "up"])?;
        offload_off(&ns, UPLINK)?;
        let dir = spec.run_dir().join(format!("n{index}"));
        state.record(&Record::Sandbox {
            netns: ns.clone(),
            dir: dir.clone(),
        })?;
        let sandbox = Sandbox::start_in(&dir, Some(&ns))?;
        Ok(Node {
            index,
            name: format!("node{index}"),
            netns: ns,
            transport_ip: spec.node_ip(index),
            pod_cidr: spec.pod_cidr(index),
            tunnel: spec.tunnel,
            sandbox,
        })
    }

    /// 1-based index in the topology.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The Kubernetes node name (`node1`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's network namespace.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The node's OVS instance (its run directory holds `db.sock`, `br-int.mgmt`, logs).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Mutable access to the OVS instance, e.g. to kill or restart ovs-vswitchd.
    pub fn sandbox_mut(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }

    /// The node's OVS run directory.
    pub fn run_dir(&self) -> &Path {
        self.sandbox.dir()
    }

    /// The transport (underlay) IP, held by br-phy's LOCAL port.
    pub fn transport_ip(&self) -> Ipv4Addr {
        self.transport_ip
    }

    /// The MAC of br-phy (`02:00:<transport IP in hex>`).
    pub fn transport_mac(&self) -> Mac {
        Mac::for_ip(self.transport_ip)
    }

    /// The node's pod CIDR: network address (prefix length 24).
    pub fn pod_cidr(&self) -> Ipv4Addr {
        self.pod_cidr
    }

    /// The pods' virtual gateway (.1 of the pod CIDR).
    pub fn gateway_ip(&self) -> Ipv4Addr {
        let [a, b, c, _] = self.pod_cidr.octets();
        Ipv4Addr::new(a, b, c, 1)
    }

    /// A command that runs `program` inside the node's namespace.
    pub fn command(&self, program: &str) -> Command {
        exec_in(&self.netns, program)
    }

    /// Creates br-int and br-phy exactly as notes §2 (netdev, fail_mode=secure, OpenFlow
    /// 1.0/1.3/1.5, br-phy hwaddr pinned, uplink ofport 1, patch ports ofport 2, tunnel port
    /// ofport 1), then puts the transport IP on br-phy. Idempotent.
    pub fn create_bridges(&self) -> Result<(), TestbedError> {
        let hwaddr = format!("other_config:hwaddr={}", self.transport_mac());
        let tun_type = format!("type={}", self.tunnel.ovs_type());
        let (up, pp, tp) = (
            format!("ofport_request={UPLINK_OFPORT}"),
            format!("ofport_request={PATCH_OFPORT}"),
            format!("ofport_request={TUNNEL_OFPORT}"),
        );
        let common = [
            "datapath_type=netdev",
            "fail_mode=secure",
            "protocols=OpenFlow10,OpenFlow13,OpenFlow15",
        ];
        let mut args: Vec<&str> = vec!["--may-exist", "add-br", INT_BRIDGE];
        args.extend(["--", "set", "bridge", INT_BRIDGE]);
        args.extend(common);
        args.extend(["--", "--may-exist", "add-br", PHY_BRIDGE]);
        args.extend(["--", "set", "bridge", PHY_BRIDGE]);
        args.extend(common);
        args.push(&hwaddr);
        args.extend(["--", "--may-exist", "add-port", PHY_BRIDGE, UPLINK]);
        args.extend(["--", "set", "interface", UPLINK, &up]);
        let peer_phy = format!("options:peer={PATCH_PHY}");
        let peer_int = format!("options:peer={PATCH_INT}");
        args.extend(["--", "--may-exist", "add-port", PHY_BRIDGE, PATCH_INT]);
        args.extend([
            "--",
            "set",
            "interface",
            PATCH_INT,
            "type=patch",
            &peer_phy,
            &pp,
        ]);
        args.extend(["--", "--may-exist", "add-port", INT_BRIDGE, PATCH_PHY]);
        args.extend([
            "--",
            "set",
            "interface",
            PATCH_PHY,
            "type=patch",
            &peer_int,
            &pp,
        ]);
        args.extend(["--", "--may-exist", "add-port", INT_BRIDGE, TUNNEL_PORT]);
        args.extend(["--", "set", "interface", TUNNEL_PORT, &tun_type]);
        args.extend(["options:remote_ip=flow", "options:key=flow", &tp]);
        self.sandbox.vsctl(&args)?;
        self.add_transport_ip()?;
        ip_in(&self.netns, &["link", "set", INT_BRIDGE, "up"]).map(drop)
    }

    /// Puts the transport IP on br-phy's tap and brings it up, waiting for the tap first.
    /// Idempotent; needed again after an ovs-vswitchd restart, which recreates the tap without
    /// its address (notes pitfall 12).
    pub fn add_transport_ip(&self) -> Result<(), TestbedError> {
        let ns = &self.netns;
        wait_for(WAIT, &format!("{PHY_BRIDGE} tap in {ns}"), || {
            ip_in(ns, &["link", "show", "dev", PHY_BRIDGE]).is_ok()
        })?;
        let addr = format!("{}/24", self.transport_ip);
        ip_in(ns, &["addr", "replace", &addr, "dev", PHY_BRIDGE])?;
        ip_in(ns, &["link", "set", PHY_BRIDGE, "up"]).map(drop)
    }

    /// Adds `flows` (ovs-ofctl text, one per line) to `bridge` in one atomic OpenFlow 1.3
    /// bundle (notes pitfall 13).
    pub fn add_flows(&self, bridge: &str, flows: &str) -> Result<(), TestbedError> {
        let args = ["-O", "OpenFlow13", "--bundle", "add-flows", bridge, "-"];
        self.sandbox.ofctl_input(&args, flows).map(drop)?;
        Ok(())
    }

    /// Replaces all flows of `bridge` by `flows` in one atomic OpenFlow 1.3 bundle.
    pub fn replace_flows(&self, bridge: &str, flows: &str) -> Result<(), TestbedError> {
        let args = ["-O", "OpenFlow13", "--bundle", "replace-flows", bridge, "-"];
        self.sandbox.ofctl_input(&args, flows).map(drop)?;
        Ok(())
    }

    /// `ovs-ofctl -O OpenFlow13 --no-stats dump-flows BRIDGE`.
    pub fn dump_flows(&self, bridge: &str) -> Result<String, TestbedError> {
        Ok(self
            .sandbox
            .ofctl(&["-O", "OpenFlow13", "--no-stats", "dump-flows", bridge])?)
    }

    /// Seeds OVS's tunnel neighbour cache (`tnl/neigh/set br-phy IP MAC`), so the first packet
    /// tunnelled to `ip` is not dropped while OVS resolves it (notes pitfall 7).
    pub fn set_tunnel_neighbour(&self, ip: Ipv4Addr, mac: Mac) -> Result<(), TestbedError> {
        self.sandbox.appctl(&[
            "tnl/neigh/set",
            PHY_BRIDGE,
            &ip.to_string(),
            &mac.to_string(),
        ])?;
        Ok(())
    }

    /// The ofport OVS assigned to interface `iface`, if any yet.
    pub fn ofport(&self, iface: &str) -> Option<u16> {
        let out = self
            .sandbox
            .vsctl_no_wait(&["--if-exists", "get", "interface", iface, "ofport"])
            .ok()?;
        out.trim()
            .parse::<i64>()
            .ok()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
    }

    /// True once bridge `bridge` exists in this node's OVSDB.
    pub fn bridge_exists(&self, bridge: &str) -> bool {
        self.sandbox.vsctl_no_wait(&["br-exists", bridge]).is_ok()
    }
}
