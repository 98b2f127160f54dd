//! A multi-node Kubernetes-like testbed on one machine, built from network namespaces.
//!
//! Topology (testbed notes §2, `shared/reference/testbed-notes.md`):
//!
//! ```text
//!   netns <p>-ul: Linux bridge br0 = the underlay L2 segment (10.105.18.0/24 by default)
//!     ├─ veth n1 ── netns <p>-n1: node1 = ovsdb-server + ovs-vswitchd (userspace datapath),
//!     │                 uplink eth0 on br-phy, br-phy LOCAL holds 10.105.18.31, br-int for pods
//!     ├─ veth n2 ── netns <p>-n2: node2 (10.105.18.32) ...
//!     └─ veth ext ─ netns <p>-ext: the external host 10.105.18.35, which records the source of
//!                   every packet (tcpdump) and every TCP connection (testbed-probe) it receives
//!   pods: netns <p>-p1a, <p>-p1b, ... attached to their node's br-int as a CNI would
//!         (veth + Interface external_ids), a /24 from the node's pod CIDR, MTU 1400,
//!         default route via the virtual gateway .1
//! ```
//!
//! Invariants:
//! - Nothing is created in the root network namespace: every veth is created with both ends
//!   directly inside namespaces of the topology; only private addresses are used, and only
//!   inside those namespaces. The root namespace's addresses, routes and links are never touched.
//! - Every namespace name starts with the topology's prefix (unique per test run: it includes the
//!   pid), and every name and pid is written to a state file in the run directory *before* the
//!   thing is created, so a topology is torn down by pid and by name even after a crash
//!   ([`teardown_run_dir`], [`teardown_prefix`]). [`Topology`] tears down on drop.
//! - Every wait is a poll on a condition with a generous timeout; there are no fixed sleeps.
//! - The node settings that the userspace datapath needs are applied as the notes verified them:
//!   `arp off` on the uplink plus `arp_ignore=1` (pitfall 1), TX checksum offload off on every
//!   sending veth (pitfall 2), pod MTU 1400 (pitfall 3), deterministic MACs `02:00:<IP in hex>`.
//!
//! Whether the testbed creates `br-int`/`br-phy` itself or leaves them to the agent is
//! [`BridgeSetup`]. [`reference_flows`] holds the hand-written flows of notes §3, which make the
//! data path work without an agent (the self-test and `testbed up --flows` use them).

mod error;
mod ext;
mod netns;
mod node;
pub mod pcap;
mod ping;
mod pod;
pub mod probe;
pub mod reference_flows;
mod spec;
mod state;
mod topology;

pub use error::TestbedError;
pub use ext::ExternalHost;
pub use netns::{list_netns, netns_exists, netns_pids};
pub use node::Node;
pub use ping::PingStats;
pub use pod::Pod;
pub use spec::{
    BridgeSetup, Mac, PodSpec, TopologySpec, Tunnel, EXT_HOST, GATEWAY_MAC, INT_BRIDGE, PATCH_INT,
    PATCH_OFPORT, PATCH_PHY, PHY_BRIDGE, POD_MTU, SNAT_ZONE, TUNNEL_OFPORT, TUNNEL_PORT, UPLINK,
    UPLINK_OFPORT,
};
pub use state::{status_run_dir, teardown_prefix, teardown_run_dir, TeardownReport};
pub use topology::Topology;
