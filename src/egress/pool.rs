//! Deterministic egress IP allocation from `ExternalIPPool.spec.ipRanges`.
//!
//! Rules (Antrea `docs/egress.md`, `pkg/controller/externalippool`):
//! - a `cidr` range excludes its network address, and for IPv4 also its broadcast address
//!   (an IPv4 /32 or /31 therefore yields no address at all, an IPv6 /128 none, /127 one);
//!   host bits in the CIDR are masked off as Go's `net.ParseCIDR` does;
//! - a `start`–`end` range is inclusive (so `start: X, end: X` is a one-address pool);
//! - ranges are used in spec order, each from its lowest address (Antrea's allocator hands out
//!   the lowest free address); ranges must not overlap (Antrea's webhook rejects that).
//!
//! [`allocate`] processes Egresses in a given order (the caller passes creationTimestamp then
//! name): static Egresses (no pool) first, then Egresses that already name their IP in
//! `spec.egressIP` (validated against the pool, first claim wins), then the others, each taking
//! the lowest free address. Memory is proportional to the number of Egresses, never to the size
//! of a range: free space is found by walking a cursor past the (sorted) used set; the lowest
//! free address only moves forward as addresses are taken, so a pass is O(n log n).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::IpNetwork;

use crate::egress::model::{Egress, ExternalIPPool, IpPoolUsage, IpRange};

/// A malformed pool (a range that cannot be used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// `start` and `end` of different families.
    #[error("start {start} and end {end} are not the same IP family")]
    FamilyMismatch {
        /// Index in `spec.ipRanges`.
        index: usize,
        /// Start as written.
        start: IpAddr,
        /// End as written.
        end: IpAddr,
    },
    /// `start` after `end`.
    #[error("start {start} is after end {end}")]
    StartAfterEnd {
        /// Index in `spec.ipRanges`.
        index: usize,
        /// Start as written.
        start: IpAddr,
        /// End as written.
        end: IpAddr,
    },
    /// Two ranges share addresses.
    #[error("overlaps spec.ipRanges[{other}]")]
    Overlap {
        /// Index of the later range.
        index: usize,
        /// Index of the earlier range it overlaps.
        other: usize,
    },
}

impl PoolError {
    /// Field path of the offending range, e.g. `spec.ipRanges[1]`.
    pub fn path(&self) -> String {
        let index = match self {
            PoolError::FamilyMismatch { index, .. }
            | PoolError::StartAfterEnd { index, .. }
            | PoolError::Overlap { index, .. } => index,
        };
        format!("spec.ipRanges[{index}]")
    }
}

/// An inclusive span of addresses of one family, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u128,
    end: u128,
    v4: bool,
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(v: u128, v4: bool) -> IpAddr {
    if v4 {
        // Spans of IPv4 ranges never exceed u32::MAX.
        IpAddr::V4(Ipv4Addr::from(u32::try_from(v).unwrap_or(u32::MAX)))
    } else {
        IpAddr::V6(Ipv6Addr::from(v))
    }
}

/// The allocatable addresses of a pool, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRanges {
    /// Non-empty spans in spec order.
    spans: Vec<Span>,
    total: u128,
}

impl PoolRanges {
    /// Validates ranges (family, order, no overlap) and applies the CIDR exclusions.
    pub fn new(ranges: &[IpRange]) -> Result<Self, PoolError> {
        let mut spans: Vec<(usize, Span)> = Vec::new();
        for (index, range) in ranges.iter().enumerate() {
            let span = match *range {
                IpRange::Cidr(net) => cidr_span(net),
                IpRange::StartEnd { start, end } => {
                    if start.is_ipv4() != end.is_ipv4() {
                        return Err(PoolError::FamilyMismatch { index, start, end });
                    }
                    if start > end {
                        return Err(PoolError::StartAfterEnd { index, start, end });
                    }
                    Some(Span {
                        start: to_u128(start),
                        end: to_u128(end),
                        v4: start.is_ipv4(),
                    })
                }
            };
            // Overlap is judged on the full range, so /32 duplicates still count as overlap.
            let full = full_span(range);
            for (other, earlier) in ranges.iter().enumerate().take(index) {
                let o = full_span(earlier);
                if o.v4 == full.v4 && o.start <= full.end && full.start <= o.end {
                    return Err(PoolError::Overlap { index, other });
                }
            }
            if let Some(span) = span {
                spans.push((index, span));
            }
        }
        let total = spans
            .iter()
            .map(|(_, s)| s.end - s.start + 1)
            .fold(0u128, u128::saturating_add);
        Ok(PoolRanges {
            spans: spans.into_iter().map(|(_, s)| s).collect(),
            total,
        })
    }

    /// Number of allocatable addresses.
    pub fn total(&self) -> u128 {
        self.total
    }

    /// Whether `ip` is allocatable from this pool.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let v = to_u128(ip);
        self.spans
            .iter()
            .any(|s| s.v4 == ip.is_ipv4() && s.start <= v && v <= s.end)
    }
}

fn full_span(range: &IpRange) -> Span {
    match *range {
        IpRange::Cidr(net) => {
            let (start, end) = cidr_bounds(net);
            Span {
                start,
                end,
                v4: net.is_ipv4(),
            }
        }
        IpRange::StartEnd { start, end } => Span {
            start: to_u128(start),
            end: to_u128(end),
            v4: start.is_ipv4(),
        },
    }
}

fn cidr_bounds(net: IpNetwork) -> (u128, u128) {
    let bits: u32 = if net.is_ipv4() { 32 } else { 128 };
    let host_bits = bits - u32::from(net.prefix());
    let size_minus_one: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let start = to_u128(net.ip()) & !size_minus_one;
    (start, start | size_minus_one)
}

/// First address excluded; for IPv4 also the last.
fn cidr_span(net: IpNetwork) -> Option<Span> {
    let (first, last) = cidr_bounds(net);
    let start = first.checked_add(1)?;
    let end = if net.is_ipv4() {
        last.checked_sub(1)?
    } else {
        last
    };
    (start <= end).then_some(Span {
        start,
        end,
        v4: net.is_ipv4(),
    })
}

/// Free-address finder over one pool: used set plus a forward-only cursor.
#[derive(Debug, Clone)]
pub struct PoolAllocator<'a> {
    ranges: &'a PoolRanges,
    used: BTreeSet<IpAddr>,
    span: usize,
    next: u128,
}

impl<'a> PoolAllocator<'a> {
    /// An allocator with nothing allocated yet.
    pub fn new(ranges: &'a PoolRanges) -> Self {
        PoolAllocator {
            ranges,
            used: BTreeSet::new(),
            span: 0,
            next: ranges.spans.first().map_or(0, |s| s.start),
        }
    }

    /// Marks `ip` as used. Returns `false` if it was already used.
    pub fn claim(&mut self, ip: IpAddr) -> bool {
        self.used.insert(ip)
    }

    /// Whether `ip` is already used.
    pub fn is_used(&self, ip: IpAddr) -> bool {
        self.used.contains(&ip)
    }

    /// Takes the lowest free address not in `reserved`, or `None` when the pool is exhausted.
    pub fn allocate(&mut self, reserved: &BTreeSet<IpAddr>) -> Option<IpAddr> {
        while let Some(span) = self.ranges.spans.get(self.span) {
            if self.next > span.end {
                self.span += 1;
                self.next = self.ranges.spans.get(self.span).map_or(0, |s| s.start);
                continue;
            }
            let ip = from_u128(self.next, span.v4);
            if self.used.contains(&ip) || reserved.contains(&ip) {
                // Jump over the run of used addresses cheaply: each step consumes one entry of
                // `used` or `reserved`, both bounded by the number of Egresses.
                self.next = match self.next.checked_add(1) {
                    Some(n) => n,
                    None => {
                        self.span += 1;
                        self.next = self.ranges.spans.get(self.span).map_or(0, |s| s.start);
                        continue;
                    }
                };
                continue;
            }
            self.used.insert(ip);
            return Some(ip);
        }
        None
    }

    /// Number of used addresses.
    pub fn used(&self) -> usize {
        self.used.len()
    }
}

/// Why an Egress has no IP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// `spec.externalIPPool` names no existing pool.
    #[error("ExternalIPPool {0} not found")]
    PoolNotFound(String),
    /// The pool's ranges are malformed.
    #[error("ExternalIPPool {pool} is invalid: {path}: {error}", path = error.path())]
    PoolInvalid {
        /// Pool name.
        pool: String,
        /// What is wrong with it.
        error: PoolError,
    },
    /// `spec.egressIP` is not an address of the pool.
    #[error("IP {ip} is not within the IP range of ExternalIPPool {pool}")]
    OutsidePool {
        /// Requested IP.
        ip: IpAddr,
        /// Pool name.
        pool: String,
    },
    /// Every address of the pool is taken.
    #[error("no available IP in ExternalIPPool {0}")]
    Exhausted(String),
    /// Another (older) Egress already holds the requested IP of this pool.
    #[error("IP {ip} of ExternalIPPool {pool} is already allocated to Egress {holder}")]
    AlreadyAllocated {
        /// Requested IP.
        ip: IpAddr,
        /// Pool name.
        pool: String,
        /// Egress that holds it.
        holder: String,
    },
    /// Neither `egressIP` nor `externalIPPool`.
    #[error("neither spec.egressIP nor spec.externalIPPool is set")]
    NoIpOrPool,
    /// `egressIPs` / `externalIPPools` (Antrea's webhook rejects them too).
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Result of one allocation pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allocation {
    /// Per Egress name: its effective IP or why it has none.
    pub results: BTreeMap<String, Result<IpAddr, AllocationError>>,
    /// Per pool name: `{total, used}`.
    pub usage: BTreeMap<String, IpPoolUsage>,
}

/// Allocates IPs for `egresses`, which must be in processing order (creationTimestamp, name).
pub fn allocate(egresses: &[&Egress], pools: &BTreeMap<String, ExternalIPPool>) -> Allocation {
    let mut out = Allocation::default();
    let ranges: BTreeMap<&str, Result<PoolRanges, PoolError>> = pools
        .iter()
        .map(|(name, p)| (name.as_str(), PoolRanges::new(&p.spec.ip_ranges)))
        .collect();
    let mut allocators: BTreeMap<&str, PoolAllocator<'_>> = ranges
        .iter()
        .filter_map(|(name, r)| r.as_ref().ok().map(|r| (*name, PoolAllocator::new(r))))
        .collect();
    // Which Egress holds each claimed (pool, IP), for AlreadyAllocated messages.
    let mut holders: BTreeMap<(&str, IpAddr), &str> = BTreeMap::new();
    // Static Egress IPs are never handed out by a pool.
    let mut reserved = BTreeSet::new();
    let mut pending = Vec::new();

    for e in egresses {
        let name = e.name().to_string();
        if let Some(why) = e.spec.unsupported() {
            out.results
                .insert(name, Err(AllocationError::Unsupported(why)));
            continue;
        }
        let Some(pool) = e.spec.external_ip_pool.as_deref() else {
            let r = e.spec.egress_ip.ok_or(AllocationError::NoIpOrPool);
            if let Ok(ip) = r {
                reserved.insert(ip);
            }
            out.results.insert(name, r);
            continue;
        };
        let alloc = match ranges.get(pool) {
            None => Err(AllocationError::PoolNotFound(pool.to_string())),
            Some(Err(error)) => Err(AllocationError::PoolInvalid {
                pool: pool.to_string(),
                error: error.clone(),
            }),
            Some(Ok(_)) => Ok(()),
        };
        if let Err(err) = alloc {
            out.results.insert(name, Err(err));
            continue;
        }
        match e.spec.egress_ip {
            Some(ip) => {
                let r = claim(&mut allocators, &ranges, &mut holders, pool, ip, e.name());
                out.results.insert(name, r);
            }
            None => pending.push((e.name(), pool)),
        }
    }
    for (name, pool) in pending {
        let r = match allocators.get_mut(pool) {
            Some(a) => a
                .allocate(&reserved)
                .ok_or_else(|| AllocationError::Exhausted(pool.to_string())),
            None => Err(AllocationError::PoolNotFound(pool.to_string())),
        };
        out.results.insert(name.to_string(), r);
    }
    for (name, r) in &ranges {
        let usage = match r {
            Ok(r) => IpPoolUsage {
                total: u64::try_from(r.total()).unwrap_or(u64::MAX),
                used: allocators.get(name).map_or(0, |a| a.used() as u64),
            },
            Err(_) => IpPoolUsage::default(),
        };
        out.usage.insert(name.to_string(), usage);
    }
    out
}

fn claim<'a>(
    allocators: &mut BTreeMap<&'a str, PoolAllocator<'_>>,
    ranges: &BTreeMap<&str, Result<PoolRanges, PoolError>>,
    holders: &mut BTreeMap<(&'a str, IpAddr), &'a str>,
    pool: &'a str,
    ip: IpAddr,
    egress: &'a str,
) -> Result<IpAddr, AllocationError> {
    let inside = matches!(ranges.get(pool), Some(Ok(r)) if r.contains(ip));
    if !inside {
        return Err(AllocationError::OutsidePool {
            ip,
            pool: pool.to_string(),
        });
    }
    let Some(a) = allocators.get_mut(pool) else {
        return Err(AllocationError::PoolNotFound(pool.to_string()));
    };
    if !a.claim(ip) {
        let holder = holders.get(&(pool, ip)).copied().unwrap_or("?");
        return Err(AllocationError::AlreadyAllocated {
            ip,
            pool: pool.to_string(),
            holder: holder.to_string(),
        });
    }
    holders.insert((pool, ip), egress);
    Ok(ip)
}
