//! The ovs-egress agent runtime (feature `agent`): sources → controller → switch.
//!
//! ```text
//!  manifest dir (notify + rescan) ─┐
//!  Kubernetes API (issue 8) ·······┤  Input   ┌────────────┐  flow changes  ┌──────────────┐
//!  OVSDB Interface watch (ports) ──┼────────► │ controller │ ─────────────► │ switch (br-  │
//!  membership (issue 7) ···········┤          │ ClusterView│  GARP, status  │ int, br-phy) │
//!  netlink (next-hop MAC) ─────────┘          └────────────┘                └──────────────┘
//! ```
//!
//! - [`config`]: YAML file + flags.
//! - [`source`]: the one input type every source speaks ([`source::Input`]).
//! - [`manifest`]: the manifest directory source; [`ports`]: local pods from OVSDB;
//!   [`cluster_source`]: the configured one of manifest directory and Kubernetes API ([`k8s`]).
//! - [`cluster`]: the merged, sans-IO view (egress engine + local ports + liveness).
//! - [`controller`]: the cluster view plus the node's pipeline; [`installer`]: bundles, dumps,
//!   replays and GARPs on the two switch connections; [`run`](mod@run): the main loop.
//! - [`bridges`]: creates/repairs the bridges and ports, keeps the cookie round;
//!   [`ovs_watch`]: the OVSDB task.
//! - [`uplink`]: the uplink bridge's address, route and next-hop MAC (rtnetlink).
//! - [`status`], [`metrics`], [`http`]: what the agent reports.
//! - [`harness`]: runs real agents on the namespace testbed (demo, end-to-end tests).
//!
//! Invariants: every source is a task that only sends [`source::Input`]s; the controller is
//! the only writer of flows; nothing blocks the controller on I/O other than the switch.

pub mod bridges;
pub mod cluster;
pub mod cluster_source;
pub mod config;
pub mod controller;
pub mod failover;
pub mod garp;
pub mod harness;
pub mod http;
pub mod installer;
#[cfg(feature = "kube")]
pub mod k8s;
pub mod manifest;
pub mod membership;
pub mod metrics;
pub mod ovs_watch;
pub mod ports;
pub mod run;
pub mod source;
pub mod status;
pub mod uplink;

pub use config::{AgentConfig, Settings};
pub use run::{run, AgentError};
