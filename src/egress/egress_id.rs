//! The cluster-wide **egress id** of an egress IP: 1..=2^24-1, carried as the tunnel key (VNI)
//! from a pod's node to the IP's owner (ARCHITECTURE.md "Data path" step 1; VNI 0 is plain
//! pod-to-pod traffic).
//!
//! Scheme (every node computes it alone, so it must depend on as little as possible):
//! 1. Each IP has a *preferred* id that depends on the IP only:
//!    - IPv4: the low 24 bits of the address (`10.105.18.100` → `0x691264`), readable in flow
//!      dumps and collision-free for all IPs inside one /8, which covers practically every
//!      cluster's egress addresses;
//!    - IPv6: `crc32(16 address bytes)` folded to 24 bits (`(h >> 24) ^ (h & 0xffffff)`), since
//!      low bits of IPv6 pools collide structurally (`2001:db8:1::2` vs `2001:db8:2::2`).
//! 2. A preferred id of 0 (e.g. `10.0.0.0`) is treated as taken. Collisions are resolved by linear probing (`id+1`, wrapping 2^24-1 → 1), visiting IPs
//!    oldest first: by the order key of the oldest Egress using the IP (creationTimestamp, then
//!    name), then by IP. So a new IP can never take the id of an existing one: existing ids
//!    change only if an IP that collides with them appears with an *older* Egress, or the older
//!    holder of a colliding id goes away (then the survivor moves back to its preferred id).
//!
//! Why not "allocate in IP order": every insertion below an IP would renumber all IPs above it
//! and nodes with slightly different views would disagree about nearly every id. With derived
//! ids, two nodes that disagree on the set of IPs still agree on every IP that has no collision
//! (the overwhelmingly common case), which keeps tunnelled traffic flowing during convergence.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::IpAddr;

/// Largest id (the VNI field is 24 bits, 0 is reserved for pod-to-pod traffic).
pub const MAX_EGRESS_ID: u32 = (1 << 24) - 1;

/// A cluster-wide egress id, always in 1..=2^24-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EgressId(u32);

impl EgressId {
    /// Wraps a value if it is in range.
    pub fn new(v: u32) -> Option<Self> {
        (1..=MAX_EGRESS_ID).contains(&v).then_some(EgressId(v))
    }

    /// The numeric id (the tunnel key).
    pub fn get(self) -> u32 {
        self.0
    }

    fn next(self) -> Self {
        EgressId(if self.0 >= MAX_EGRESS_ID {
            1
        } else {
            self.0 + 1
        })
    }
}

impl fmt::Display for EgressId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// The id an IP gets when nothing older collides with it (0 when the raw value is 0).
pub fn preferred_id(ip: IpAddr) -> u32 {
    match ip {
        IpAddr::V4(a) => u32::from(a) & MAX_EGRESS_ID,
        IpAddr::V6(a) => {
            let h = crc32fast::hash(&a.octets());
            ((h >> 24) ^ h) & MAX_EGRESS_ID
        }
    }
}

/// Assigns ids to `ips`, each given with its age key (smaller = older). The result does not
/// depend on the input order. With more than 2^24-1 IPs the excess get no id.
pub fn assign_ids<K: Ord>(
    ips: impl IntoIterator<Item = (IpAddr, K)>,
) -> BTreeMap<IpAddr, EgressId> {
    let mut order: Vec<(K, IpAddr)> = ips.into_iter().map(|(ip, k)| (k, ip)).collect();
    order.sort();
    let mut taken: HashSet<EgressId> = HashSet::with_capacity(order.len());
    let mut out = BTreeMap::new();
    for (_, ip) in order {
        if out.contains_key(&ip) {
            continue;
        }
        if taken.len() >= MAX_EGRESS_ID as usize {
            break;
        }
        let mut id = EgressId::new(preferred_id(ip)).unwrap_or(EgressId(MAX_EGRESS_ID).next());
        while taken.contains(&id) {
            id = id.next();
        }
        taken.insert(id);
        out.insert(ip, id);
    }
    out
}
