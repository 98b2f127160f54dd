//! Flow cookies: `round(16) | category(8) | reserved(8) | object(32)`, as Antrea lays them out
//! (`pkg/agent/openflow/cookie`), so a cookie says which agent run installed a flow, what feature
//! it belongs to and which object owns it.
//!
//! - `round` changes on every agent start (kept in `Bridge.external_ids`): flows of older rounds
//!   are stale once the new run has converged and can be deleted by cookie mask
//!   ([`Cookie::round_mask`]) without touching anything the new round installed.
//! - `category` groups flows by feature ([`Category`]).
//! - `object` identifies the owning object: a pod's ofport, an egress IP's egress id, a peer
//!   node's name hash; 0 for the node's static flows. It is informational (flows are identified
//!   by table, priority and match), so a rare hash collision is harmless.

use std::fmt;

/// What feature a flow belongs to (Antrea's cookie categories, same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Category {
    /// Table-miss flows and plumbing that belongs to no feature.
    Default = 0,
    /// Pod connectivity: classification, spoof guard, ARP, routing, delivery, the uplink wire.
    PodConnectivity = 1,
    /// Egress: egress choice, SNAT (egress and default), un-NAT, egress-IP ARP responders.
    Egress = 4,
}

/// A decoded cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cookie {
    /// The agent run that installed the flow.
    pub round: u16,
    /// The feature.
    pub category: u8,
    /// Reserved, always 0 in flows we install.
    pub reserved: u8,
    /// The owning object.
    pub object: u32,
}

impl Cookie {
    /// A cookie of `round` for a flow of `category` owned by `object`.
    pub const fn new(round: u16, category: Category, object: u32) -> Cookie {
        Cookie {
            round,
            category: category as u8,
            reserved: 0,
            object,
        }
    }

    /// The 64-bit wire value.
    pub const fn to_u64(self) -> u64 {
        (self.round as u64) << 48
            | (self.category as u64) << 40
            | (self.reserved as u64) << 32
            | self.object as u64
    }

    /// Splits a wire value.
    pub const fn from_u64(v: u64) -> Cookie {
        Cookie {
            round: (v >> 48) as u16,
            category: (v >> 40) as u8,
            reserved: (v >> 32) as u8,
            object: v as u32,
        }
    }

    /// The cookie mask that selects every flow of one round (`cookie=R<<48/0xffff<<48`).
    pub const fn round_mask() -> u64 {
        0xffff << 48
    }

    /// The cookie value that, with [`Cookie::round_mask`], selects every flow of `round`.
    pub const fn round_value(round: u16) -> u64 {
        (round as u64) << 48
    }
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.to_u64())
    }
}

/// A 32-bit object id for a name (CRC32): peer nodes have no natural number.
pub fn name_object(name: &str) -> u32 {
    crc32fast::hash(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_antrea() {
        // Antrea's egress flows in round 1: cookie=0x1040000000000.
        assert_eq!(
            Cookie::new(1, Category::Egress, 0).to_u64(),
            0x1040000000000
        );
        let c = Cookie::new(0xbeef, Category::PodConnectivity, 0x691264);
        assert_eq!(c.to_u64(), 0xbeef_0100_0069_1264);
        assert_eq!(Cookie::from_u64(c.to_u64()), c);
        assert_eq!(
            c.to_u64() & Cookie::round_mask(),
            Cookie::round_value(0xbeef)
        );
    }
}
