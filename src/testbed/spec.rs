//! What a topology looks like: the spec a test fills in, and the deterministic address and name
//! plan derived from it (testbed notes §2: underlay 10.105.18.0/24, node k at .30+k, the external
//! host at .35, node k's pods in 192.168.(99+k).0/24, MACs `02:00:<IP in hex>`).

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::TestbedError;

/// The pipeline bridge that pods attach to.
pub const INT_BRIDGE: &str = "br-int";
/// The uplink bridge: holds the uplink port and, on LOCAL, the node's transport IP.
pub const PHY_BRIDGE: &str = "br-phy";
/// The node's uplink veth (inside the node namespace), a port of br-phy.
pub const UPLINK: &str = "eth0";
/// The tunnel port on br-int (`remote_ip=flow`, `key=flow`).
pub const TUNNEL_PORT: &str = "tun0";
/// br-int's end of the patch pair.
pub const PATCH_PHY: &str = "patch-phy";
/// br-phy's end of the patch pair.
pub const PATCH_INT: &str = "patch-int";
/// ofport of the uplink on br-phy and of the tunnel port on br-int (notes §2).
pub const UPLINK_OFPORT: u16 = 1;
/// ofport of the tunnel port on br-int.
pub const TUNNEL_OFPORT: u16 = 1;
/// ofport of the patch port on both bridges.
pub const PATCH_OFPORT: u16 = 2;
/// ofport of a node's first pod; the k-th pod gets `FIRST_POD_OFPORT + k`.
pub const FIRST_POD_OFPORT: u16 = 10;
/// Pod MTU: a Geneve-encapsulated 1400-byte frame still fits the 1500-byte underlay (pitfall 3).
pub const POD_MTU: u16 = 1400;
/// Host part of the external host's underlay address (10.105.18.35 by default).
pub const EXT_HOST: u8 = 35;
/// Host part of node 1's transport IP; node k gets the k-th free host from here on (skipping
/// [`EXT_HOST`]).
pub const FIRST_NODE_HOST: u8 = 31;
/// The conntrack zone of the hand-written flows (notes §3).
pub const SNAT_ZONE: u16 = 65520;
/// The MAC of every pod's virtual gateway (answered by an OVS ARP responder, notes §2).
pub const GATEWAY_MAC: Mac = Mac([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
/// Most nodes a topology may have (keeps node IPs in .31–.47, clear of egress IPs at .100+).
pub const MAX_NODES: usize = 16;
/// Most pods per node (pods are lettered a–z).
pub const MAX_PODS_PER_NODE: usize = 26;

/// Who creates br-int and br-phy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeSetup {
    /// The testbed creates both bridges with ovs-vsctl exactly as in the notes, puts the
    /// transport IP on br-phy and attaches pods at once (self-tests, manual experiments).
    Testbed,
    /// The agent creates/repairs the bridges through OVSDB and sets the transport IP; the testbed
    /// only starts the daemons, and pods are attached by [`super::Topology::attach_pods`] once
    /// br-int exists (as a CNI runs after the agent is ready).
    Agent,
}

/// Tunnel type of the testbed-created tunnel port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tunnel {
    /// Geneve, UDP 6081 (the default, as in the notes).
    Geneve,
    /// VXLAN, UDP 4789.
    Vxlan,
}

impl Tunnel {
    /// The OVS interface type.
    pub fn ovs_type(self) -> &'static str {
        match self {
            Tunnel::Geneve => "geneve",
            Tunnel::Vxlan => "vxlan",
        }
    }

    /// The UDP destination port of the encapsulation.
    pub fn udp_port(self) -> u16 {
        match self {
            Tunnel::Geneve => 6081,
            Tunnel::Vxlan => 4789,
        }
    }
}

/// A MAC address, printed the way OVS and iproute2 print it (`02:00:0a:69:12:1f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The testbed's deterministic MAC for an IPv4 address: `02:00` followed by the address in
    /// hex, so captures are easy to read.
    pub fn for_ip(ip: Ipv4Addr) -> Mac {
        let [a, b, c, d] = ip.octets();
        Mac([0x02, 0x00, a, b, c, d])
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// One pod to create: which node it runs on and its Kubernetes identity (written to the
/// Interface external_ids as a CNI would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSpec {
    /// 1-based index of the node.
    pub node: usize,
    /// `pod-name`.
    pub name: String,
    /// `pod-namespace`.
    pub namespace: String,
}

impl PodSpec {
    /// A pod `name` in Kubernetes namespace `namespace` on node `node` (1-based).
    pub fn new(node: usize, name: &str, namespace: &str) -> PodSpec {
        PodSpec {
            node,
            name: name.to_owned(),
            namespace: namespace.to_owned(),
        }
    }
}

/// Everything that varies between topologies. Fill in with [`TopologySpec::new`] and adjust
/// the public fields.
#[derive(Debug, Clone)]
pub struct TopologySpec {
    /// Prefix of every namespace name and of the run directory. Must be unique per concurrently
    /// running topology; [`TopologySpec::new`] includes the pid and a counter.
    pub prefix: String,
    /// Number of nodes (1..=16).
    pub nodes: usize,
    /// The pods, in creation order. [`TopologySpec::new`] gives each node two pods, `p<k>a` and
    /// `p<k>b` in namespace `default`, as in the notes.
    pub pods: Vec<PodSpec>,
    /// The underlay /24 (the last octet must be 0).
    pub underlay: Ipv4Addr,
    /// Node 1's pod /24 (last octet 0); node k gets the /24 whose third octet is k-1 higher.
    pub pod_base: Ipv4Addr,
    /// Who creates the bridges.
    pub bridges: BridgeSetup,
    /// Tunnel type when the testbed creates the bridges.
    pub tunnel: Tunnel,
    /// Parent of the run directory (`<run_root>/<prefix>`).
    pub run_root: PathBuf,
    /// The `testbed-probe` binary; `None` looks next to the current executable (and its parent
    /// directory, where cargo puts binaries when a test runs from `deps/`) and at
    /// `$OVS_EGRESS_TESTBED_PROBE`.
    pub probe: Option<PathBuf>,
    /// TCP port of the external host's recorder.
    pub ext_tcp_port: u16,
}

static NEXT_TOPOLOGY: AtomicU32 = AtomicU32::new(0);

impl TopologySpec {
    /// `nodes` nodes with two pods each, the notes' addresses, bridges made by the testbed, and a
    /// prefix unique to this process (`tb<pid>-<counter>`).
    pub fn new(nodes: usize) -> TopologySpec {
        let counter = NEXT_TOPOLOGY.fetch_add(1, Ordering::Relaxed);
        let pods = (1..=nodes)
            .flat_map(|n| {
                ["a", "b"]
                    .into_iter()
                    .map(move |l| PodSpec::new(n, &format!("p{n}{l}"), "default"))
            })
            .collect();
        TopologySpec {
            prefix: format!("tb{}-{}", std::process::id(), counter),
            nodes,
            pods,
            underlay: Ipv4Addr::new(10, 105, 18, 0),
            pod_base: Ipv4Addr::new(192, 168, 100, 0),
            bridges: BridgeSetup::Testbed,
            tunnel: Tunnel::Geneve,
            run_root: default_run_root(),
            probe: None,
            ext_tcp_port: 8080,
        }
    }

    /// Checks the spec against the address and name plan.
    pub fn validate(&self) -> Result<(), TestbedError> {
        let bad = |m: String| Err(TestbedError::InvalidSpec(m));
        if self.prefix.is_empty()
            || self.prefix.len() > 40
            || !self
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad(format!(
                "prefix {:?} must be 1-40 characters of [A-Za-z0-9_-]",
                self.prefix
            ));
        }
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return bad(format!("{} nodes: must be 1..={MAX_NODES}", self.nodes));
        }
        if self.underlay.octets()[3] != 0 {
            return bad(format!("underlay {} is not a /24 network", self.underlay));
        }
        let [_, _, c, d] = self.pod_base.octets();
        if d != 0 || usize::from(c) + self.nodes > 256 {
            return bad(format!(
                "pod base {} must end in .0 and leave room for {} /24s",
                self.pod_base, self.nodes
            ));
        }
        let mut names: Vec<&str> = Vec::new();
        for n in 1..=self.nodes {
            let count = self.pods.iter().filter(|p| p.node == n).count();
            if count > MAX_PODS_PER_NODE {
                return bad(format!(
                    "node {n} has {count} pods (at most {MAX_PODS_PER_NODE})"
                ));
            }
        }
        for p in &self.pods {
            if p.node == 0 || p.node > self.nodes {
                return bad(format!(
                    "pod {} is on node {}, which does not exist",
                    p.name, p.node
                ));
            }
            if p.name.is_empty() || p.namespace.is_empty() {
                return bad("pod name and namespace must not be empty".into());
            }
            if names.contains(&p.name.as_str()) {
                return bad(format!("pod name {} used twice", p.name));
            }
            names.push(&p.name);
        }
        Ok(())
    }

    /// Host `host` of the underlay (e.g. `underlay_host(100)` for an egress IP).
    pub fn underlay_host(&self, host: u8) -> Ipv4Addr {
        let [a, b, c, _] = self.underlay.octets();
        Ipv4Addr::new(a, b, c, host)
    }

    /// Transport IP of node `node` (1-based): .31, .32, .33, .34, .36, ...
    pub fn node_ip(&self, node: usize) -> Ipv4Addr {
        let mut host = usize::from(FIRST_NODE_HOST) + node.saturating_sub(1);
        if host >= usize::from(EXT_HOST) {
            host += 1;
        }
        self.underlay_host(u8::try_from(host).unwrap_or(u8::MAX))
    }

    /// The external host's underlay IP.
    pub fn ext_ip(&self) -> Ipv4Addr {
        self.underlay_host(EXT_HOST)
    }

    /// Network address of node `node`'s pod /24.
    pub fn pod_cidr(&self, node: usize) -> Ipv4Addr {
        let [a, b, c, _] = self.pod_base.octets();
        let third = usize::from(c) + node.saturating_sub(1);
        Ipv4Addr::new(a, b, u8::try_from(third).unwrap_or(u8::MAX), 0)
    }

    /// Address `host` inside node `node`'s pod /24 (.1 is the virtual gateway).
    pub fn pod_host(&self, node: usize, host: u8) -> Ipv4Addr {
        let [a, b, c, _] = self.pod_cidr(node).octets();
        Ipv4Addr::new(a, b, c, host)
    }

    /// Name of the underlay namespace.
    pub fn underlay_netns(&self) -> String {
        format!("{}-ul", self.prefix)
    }

    /// Name of node `node`'s namespace.
    pub fn node_netns(&self, node: usize) -> String {
        format!("{}-n{node}", self.prefix)
    }

    /// Name of the external host's namespace.
    pub fn ext_netns(&self) -> String {
        format!("{}-ext", self.prefix)
    }

    /// The run directory of this topology.
    pub fn run_dir(&self) -> PathBuf {
        self.run_root.join(&self.prefix)
    }
}

/// `$TMPDIR/ovs-egress-testbed`: where run directories go unless a spec says otherwise.
pub fn default_run_root() -> PathBuf {
    std::env::temp_dir().join("ovs-egress-testbed")
}

/// The short per-node pod label: pod k (0-based) of a node is `a`, `b`, ...
pub(crate) fn pod_letter(k: usize) -> char {
    char::from(b'a' + u8::try_from(k % 26).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_plan_matches_the_notes() {
        let s = TopologySpec::new(2);
        assert_eq!(s.node_ip(1), Ipv4Addr::new(10, 105, 18, 31));
        assert_eq!(s.node_ip(2), Ipv4Addr::new(10, 105, 18, 32));
        assert_eq!(s.ext_ip(), Ipv4Addr::new(10, 105, 18, 35));
        assert_eq!(s.pod_cidr(2), Ipv4Addr::new(192, 168, 101, 0));
        assert_eq!(s.pod_host(1, 2), Ipv4Addr::new(192, 168, 100, 2));
        assert_eq!(Mac::for_ip(s.node_ip(1)).to_string(), "02:00:0a:69:12:1f");
        assert_eq!(s.pods.len(), 4);
        assert_eq!(s.pods[3], PodSpec::new(2, "p2b", "default"));
        s.validate().unwrap();
    }

    #[test]
    fn node_ips_skip_the_external_host() {
        let s = TopologySpec::new(6);
        let ips: Vec<u8> = (1..=6).map(|n| s.node_ip(n).octets()[3]).collect();
        assert_eq!(ips, [31, 32, 33, 34, 36, 37]);
    }

    #[test]
    fn prefixes_are_unique_per_spec() {
        assert_ne!(TopologySpec::new(1).prefix, TopologySpec::new(1).prefix);
    }

    #[test]
    fn bad_specs_are_rejected() {
        let mut s = TopologySpec::new(2);
        s.prefix = "a b".into();
        assert!(matches!(s.validate(), Err(TestbedError::InvalidSpec(_))));
        let mut s = TopologySpec::new(2);
        s.pods.push(PodSpec::new(3, "x", "default"));
        assert!(s.validate().is_err());
        let mut s = TopologySpec::new(2);
        s.pods.push(PodSpec::new(1, "p1a", "default"));
        assert!(s.validate().is_err());
        let mut s = TopologySpec::new(2);
        s.pod_base = Ipv4Addr::new(192, 168, 255, 0);
        assert!(s.validate().is_err());
        assert!(TopologySpec::new(0).validate().is_err());
        assert!(TopologySpec::new(MAX_NODES + 1).validate().is_err());
    }
}
