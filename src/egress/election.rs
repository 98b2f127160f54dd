//! Deterministic choice of the node that owns each egress IP, computed identically by every
//! agent from the same inputs (no leader, no coordination).
//!
//! Mirrors Antrea (`pkg/agent/consistenthash/consistenthash.go`,
//! `pkg/agent/controller/egress/ip_scheduler.go`), so mixed clusters agree:
//! - one consistent-hash ring per pool over the *eligible* nodes (alive ∩ pool nodeSelector);
//!   each node has [`REPLICAS`] points `crc32_ieee("<i><nodeName>")`, i = 0..50;
//! - the lookup key is `crc32_ieee(<IP as text>)`; walk clockwise from the first point ≥ key,
//!   skipping nodes that fail the filter, each node tried once;
//! - the filter is the per-node cap: `node.antrea.io/max-egress-ips` annotation, else
//!   `maxEgressIPsPerNode`; IPs are placed in the caller's order (creationTimestamp, name), an
//!   IP already placed on a node does not count twice.
//!
//! The IP text is Rust's canonical form (dotted quad; RFC 5952 for IPv6), which is what
//! Antrea's controller writes into `spec.egressIP` when it allocates; an IPv6 address typed in a
//! non-canonical spelling hashes as its canonical form here (Antrea hashes the raw string).
//! Determinism detail Antrea leaves open: when two points have the same hash (a crc32
//! collision), the node with the smaller name keeps the point.
//! Without caps, removing a node moves only the IPs it owned, and adding one moves only IPs to
//! it (about 1/n of them); caps can cascade (an IP displaced by a full node can displace
//! another), exactly as in Antrea.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Virtual points per node (Antrea: `defaultVirtualNodeReplicas = 50`).
pub const REPLICAS: u32 = 50;

/// Antrea's default and maximum `maxEgressIPsPerNode`.
pub const DEFAULT_MAX_EGRESS_IPS_PER_NODE: u32 = 255;

/// Election settings shared by all agents (must be equal cluster-wide for agreement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElectionConfig {
    /// Cap on IPs per node unless the node's annotation says otherwise.
    pub max_egress_ips_per_node: u32,
}

impl Default for ElectionConfig {
    fn default() -> Self {
        ElectionConfig {
            max_egress_ips_per_node: DEFAULT_MAX_EGRESS_IPS_PER_NODE,
        }
    }
}

/// A consistent-hash ring over node names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashRing {
    /// `(hash, node index)`, sorted by hash, one entry per distinct hash.
    points: Vec<(u32, u32)>,
    /// Node names, sorted.
    nodes: Vec<String>,
}

/// The ring hash of one virtual point (`strconv.Itoa(i) + nodeName`).
pub fn replica_hash(i: u32, node: &str) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(i.to_string().as_bytes());
    h.update(node.as_bytes());
    h.finalize()
}

/// The ring key of an IP.
pub fn ip_hash(ip: IpAddr) -> u32 {
    crc32fast::hash(ip.to_string().as_bytes())
}

impl HashRing {
    /// Builds a ring; the input order does not matter, duplicates are ignored.
    pub fn new<'a>(nodes: impl IntoIterator<Item = &'a str>) -> Self {
        let names: BTreeSet<&str> = nodes.into_iter().collect();
        let nodes: Vec<String> = names.into_iter().map(str::to_string).collect();
        let mut points = Vec::with_capacity(nodes.len() * REPLICAS as usize);
        for (idx, node) in nodes.iter().enumerate() {
            let idx = u32::try_from(idx).unwrap_or(u32::MAX);
            for i in 0..REPLICAS {
                points.push((replica_hash(i, node), idx));
            }
        }
        // Sorted by hash then node index (= name order): dedup keeps the smaller name.
        points.sort_unstable();
        points.dedup_by_key(|p| p.0);
        HashRing { points, nodes }
    }

    /// Builds a ring from precomputed points of sorted, distinct node names (see
    /// [`node_points`]); avoids rehashing when many pools share nodes.
    pub fn from_points<'a>(nodes: impl IntoIterator<Item = (&'a str, &'a [u32])>) -> Self {
        let mut names = Vec::new();
        let mut points = Vec::new();
        for (idx, (name, hashes)) in nodes.into_iter().enumerate() {
            let idx = u32::try_from(idx).unwrap_or(u32::MAX);
            names.push(name.to_string());
            points.extend(hashes.iter().map(|h| (*h, idx)));
        }
        points.sort_unstable();
        points.dedup_by_key(|p| p.0);
        HashRing {
            points,
            nodes: names,
        }
    }

    /// Whether the ring has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes on the ring, sorted.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// The first node clockwise from `crc32(ip)` that passes `accept`, each node tried once.
    pub fn select(&self, ip: IpAddr, mut accept: impl FnMut(&str) -> bool) -> Option<&str> {
        if self.points.is_empty() {
            return None;
        }
        let key = ip_hash(ip);
        let start = self.points.partition_point(|p| p.0 < key);
        let mut tried = vec![false; self.nodes.len()];
        let mut remaining = self.nodes.len();
        let n = self.points.len();
        for step in 0..n {
            let Some(&(_, idx)) = self.points.get((start + step) % n) else {
                continue;
            };
            let idx = idx as usize;
            let Some(seen) = tried.get_mut(idx) else {
                continue;
            };
            if *seen {
                continue;
            }
            *seen = true;
            let node = self.nodes.get(idx)?;
            if accept(node) {
                return Some(node);
            }
            remaining -= 1;
            if remaining == 0 {
                break;
            }
        }
        None
    }
}

/// The 50 ring points of one node.
pub fn node_points(node: &str) -> Vec<u32> {
    (0..REPLICAS).map(|i| replica_hash(i, node)).collect()
}

/// Why an IP has no owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElectionError {
    /// No alive node matches the pool's nodeSelector, or all of them are at their cap.
    #[error("no Node available")]
    NoNodeAvailable,
}

/// One scheduling pass: places IPs one after the other, tracking per-node counts.
#[derive(Debug, Clone)]
pub struct Scheduler<'a> {
    caps: &'a BTreeMap<String, u32>,
    default_cap: u32,
    placed: BTreeMap<IpAddr, String>,
    ips_on_node: BTreeMap<String, BTreeSet<IpAddr>>,
}

impl<'a> Scheduler<'a> {
    /// A pass with per-node caps (from annotations) and the default cap.
    pub fn new(caps: &'a BTreeMap<String, u32>, config: ElectionConfig) -> Self {
        Scheduler {
            caps,
            default_cap: config.max_egress_ips_per_node,
            placed: BTreeMap::new(),
            ips_on_node: BTreeMap::new(),
        }
    }

    /// Places `ip` on `ring`. An IP already placed in this pass keeps its node (one owner per
    /// IP even when two Egresses share it).
    pub fn place(&mut self, ip: IpAddr, ring: &HashRing) -> Result<String, ElectionError> {
        if let Some(node) = self.placed.get(&ip) {
            return Ok(node.clone());
        }
        let caps = self.caps;
        let default_cap = self.default_cap;
        let ips_on_node = &self.ips_on_node;
        let node = ring
            .select(ip, |node| {
                let count = ips_on_node.get(node).map_or(0, BTreeSet::len);
                let cap = caps.get(node).copied().unwrap_or(default_cap);
                (count as u64) < u64::from(cap)
            })
            .ok_or(ElectionError::NoNodeAvailable)?
            .to_string();
        self.assign(ip, &node);
        Ok(node)
    }

    /// Records that `ip` is on `node` (also used for IPs pinned to a node by other means).
    pub fn assign(&mut self, ip: IpAddr, node: &str) {
        self.placed.insert(ip, node.to_string());
        self.ips_on_node
            .entry(node.to_string())
            .or_default()
            .insert(ip);
    }

    /// The node an IP was placed on in this pass.
    pub fn owner(&self, ip: IpAddr) -> Option<&str> {
        self.placed.get(&ip).map(String::as_str)
    }
}
