//! Membership (issue 7): which nodes are alive, learnt by SWIM gossip between the agents
//! (the `foca` crate) over UDP on their transport IPs, authenticated with a shared key, tuned to
//! detect a dead node in well under a second on a LAN; plus the ownership claims that let two
//! nodes hand an egress IP over make-before-break.
//!
//! - [`keys`], [`auth`]: the shared key file and HMAC-SHA256 datagram authentication with replay
//!   protection;
//! - [`wire`]: the gossip identity ([`wire::NodeId`]) and foca's codec;
//! - [`claims`]: ownership claims and departure, as foca custom broadcasts;
//! - [`params`]: timings, their defaults and the detection bound they imply;
//! - [`core`]: the sans-IO core (foca + peers + rejoin + claims + the isolation rule);
//! - [`handover`]: make-before-break between nodes (what this node serves, where pods send);
//! - [`report`]: what the controller receives;
//! - [`driver`]: the UDP socket and timers on a thread of their own; [`metrics`]: what it counts.
//!
//! The semantics (timelines, split brain, Kubernetes liveness) are in `docs/failover.md`.

pub mod auth;
pub mod claims;
pub mod core;
pub mod driver;
pub mod handover;
pub mod keys;
pub mod metrics;
pub mod params;
pub mod report;
pub mod wire;

pub use self::core::Membership;
pub use params::GossipParams;
pub use report::{MemberState, MembershipReport};
