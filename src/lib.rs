//! ovs-egress: static egress (SNAT) IPs for Kubernetes pods on Open vSwitch.
//!
//! Layers (arrows point down only):
//! - [`ofproto`]: OpenFlow 1.3/1.5 codec with Nicira extensions, the ovs-ofctl flow text, and the
//!   connection to `ovs-vswitchd`.
//! - [`ovsdb`]: RFC 7047 OVSDB client and typed `Open_vSwitch` helpers.
//! - [`egress`]: the pure egress domain (model, selectors, pools, election, pipeline, reconcile).
//! - [`agent`]: the runtime that wires sources, the controller and the switch together.
//! - [`sandbox`]: starts private ovsdb-server/ovs-vswitchd instances for tests and the testbed.
//! - [`testbed`]: multi-node topologies from network namespaces (nodes, pods, an external host).
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "agent")]
pub mod agent;
pub mod egress;
pub mod ofproto;
pub mod ovsdb;
pub mod sandbox;
pub mod testbed;
