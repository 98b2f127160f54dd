//! What membership tells the controller: the alive set the election uses, whether this node is
//! cut off from every peer, each known node's gossip state, and the egress IPs other live nodes
//! have installed (their claims).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A node's state as gossip sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MemberState {
    /// Answers probes.
    Alive,
    /// Missed a probe; still counted alive until the suspicion times out.
    Suspect,
    /// Declared down, left, or never heard of.
    Down,
}

/// One membership snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipReport {
    /// The nodes the election may use: live members, not departing, plus this node unless it
    /// departs. While [`MembershipReport::frozen`], the last set seen before isolation.
    pub alive: BTreeSet<String>,
    /// Gossip state of every known node (peers from the Node objects and members heard of).
    pub members: BTreeMap<String, MemberState>,
    /// This node lost contact with every peer (it keeps what it owns; see docs/failover.md).
    pub isolated: bool,
    /// The alive set is frozen at its value before the isolation (clusters of 3+ nodes).
    pub frozen: bool,
    /// This node announced its departure (graceful stop in progress).
    pub departing: bool,
    /// Egress IPs other live nodes hold installed, by node.
    pub claims: BTreeMap<String, BTreeSet<IpAddr>>,
}

impl MembershipReport {
    /// The live nodes other than `me` that claim `ip`.
    pub fn claimers(&self, ip: IpAddr) -> impl Iterator<Item = &str> {
        self.claims
            .iter()
            .filter(move |(_, ips)| ips.contains(&ip))
            .map(|(n, _)| n.as_str())
    }
}
