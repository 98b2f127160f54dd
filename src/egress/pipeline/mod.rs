//! The desired OpenFlow pipeline of one node, as codec types: pure, no I/O, no clock.
//!
//! Inputs ([`inputs`]): the node's configuration, its local pods, the other nodes, and the egress
//! domain's [`crate::egress::state::NodeView`] (which pods use which Egress IP, who owns it,
//! which IPs this node owns), plus egress IPs being drained after a move. Output: flows for
//! `br-int` ([`br_int`]) and `br-phy` ([`br_phy`]) with Antrea-like table names ([`tables`]),
//! register marks ([`regs`]) and cookies ([`cookie`]), held in [`DesiredFlows`] keyed by owning
//! object so that [`NodePipeline`] recomputes only what a change affects.
//!
//! The data path is the one verified in `shared/reference/testbed-notes.md` §3 (SNAT in OVS
//! conntrack, egress id as tunnel key, un-NAT on br-phy); `docs/pipeline.md` documents it table
//! by table. Encodings are OpenFlow 1.5 (`set_field`, `copy_field`), so desired flows compare
//! equal to what OVS reports on an OpenFlow 1.5 connection.
//!
//! Policy decisions (see the modules): a selected pod whose Egress IP is unusable is dropped
//! ([`choice`], fail closed); tunnelled traffic for an IP not owned here is dropped, never
//! re-tunnelled ([`br_int`]); exceptCIDRs and node IPs use the node IP ([`br_int`]).

pub mod br_int;
pub mod br_phy;
pub mod build;
pub mod choice;
pub mod cookie;
pub mod desired;
pub mod dump;
pub mod flow;
pub mod inputs;
pub mod node;
pub mod regs;
pub mod tables;

pub use choice::{BlockReason, EgressChoice};
pub use cookie::{Category, Cookie};
pub use desired::{DesiredFlows, FlowChange, Owner};
pub use flow::{Flow, FlowEntry, FlowKey};
pub use inputs::{InputError, LocalPod, Mac, NodeConfig, PeerNode, Ports, TunnelType};
pub use node::NodePipeline;
pub use tables::{Bridge, Table};
