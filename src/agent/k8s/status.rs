//! Which status fields this node writes, decided purely from the egress engine (the plan and
//! the observed objects, as the watchers last reported them).
//!
//! Every agent computes the same plan, so any of them could write any status; to keep one writer
//! per field (no ping-pong, few conflicts) the fields are split as Antrea splits them between
//! antrea-controller and the agents, with the writer chosen deterministically:
//!
//! | field(s) | writer |
//! |---|---|
//! | `status.egressNode`, `status.egressIP`, `IPAssigned=True` | the owner of the IP |
//! | same, emptied, `IPAssigned=False` (no eligible node) | first node on the ring of all alive nodes for the IP (Antrea's `SelectNodeForIP(ip, "")`) |
//! | `spec.egressIP` (pin of a pool-allocated IP), `IPAllocated` | first node on the ring of all alive nodes for the IP |
//! | the whole status of an Egress without an IP (allocation failed) | rendezvous choice over alive nodes keyed by the Egress name |
//! | `ExternalIPPool.status.usage` | rendezvous choice over alive nodes keyed by the pool name |
//!
//! (The rendezvous choice is the alive node with the largest `crc32("<key>/<node>")`, ties by
//! name: deterministic, and it moves only the keys of a node that leaves.)
//!
//! A write is planned only when the observed value differs from the desired one (condition
//! `lastTransitionTime`s are not compared; the writer keeps them while a condition's status
//! does not change), so a converged cluster plans nothing, and our own writes, once observed
//! through the watch, stop being planned. Static Egresses (no pool) get the same fields the
//! domain computes for them (it elects a node for a static IP no node lists; an extension over
//! Antrea, which writes nothing for them).

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::egress::conditions::EgressCondition;
use crate::egress::election::HashRing;
use crate::egress::engine::Engine;
use crate::egress::model::{EgressStatus, IpPoolUsage};

/// `IPAssigned`.
pub const IP_ASSIGNED: &str = "IPAssigned";
/// `IPAllocated`.
pub const IP_ALLOCATED: &str = "IPAllocated";

/// A change to the status of one Egress, limited to the fields this node owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressStatusWrite {
    /// The Egress.
    pub egress: String,
    /// New `egressNode` / `egressIP` (`None`: not this writer's fields).
    pub placement: Option<(String, Option<IpAddr>)>,
    /// Conditions to set (replacing the same type); other types are kept.
    pub set: Vec<EgressCondition>,
    /// Condition types to remove.
    pub remove: Vec<&'static str>,
}

/// One write this node should make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Merge-patch `spec.egressIP` of a pool Egress with the IP allocated to it (as
    /// antrea-controller does), so the allocation survives pool and Egress churn.
    PinEgressIp {
        /// The Egress.
        egress: String,
        /// The allocated IP.
        ip: IpAddr,
    },
    /// Update `Egress.status` (subresource, read-modify-write).
    EgressStatus(EgressStatusWrite),
    /// Patch `ExternalIPPool.status.usage`.
    PoolUsage {
        /// The pool.
        pool: String,
        /// Desired usage.
        usage: IpPoolUsage,
    },
}

/// The alive node with the largest `crc32("<key>/<node>")` (ties: smallest name).
pub fn rendezvous<'a>(key: &str, alive: &'a BTreeSet<String>) -> Option<&'a str> {
    let mut best: Option<(u32, &str)> = None;
    for node in alive {
        let score = crc32fast::hash(format!("{key}/{node}").as_bytes());
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, node));
        }
    }
    best.map(|(_, n)| n)
}

/// Whether `observed` already says what `write` would write (ignoring transition times).
pub fn already_written(observed: &EgressStatus, write: &EgressStatusWrite) -> bool {
    if let Some((node, ip)) = &write.placement {
        if observed.egress_node != *node || observed.egress_ip != *ip {
            return false;
        }
    }
    let set_ok = write.set.iter().all(|c| {
        let want = c.to_status();
        observed.conditions.iter().any(|o| {
            o.type_ == want.type_
                && o.status == want.status
                && o.reason == want.reason
                && o.message == want.message
        })
    });
    let removed_ok = write
        .remove
        .iter()
        .all(|t| observed.conditions.iter().all(|o| o.type_ != *t));
    set_ok && removed_ok
}

/// The writes `node` is responsible for that are not yet reflected in the observed objects.
pub fn plan_writes(engine: &Engine, node: &str) -> Vec<Write> {
    let state = engine.state();
    let plan = engine.plan();
    let alive = &state.alive;
    let ring = HashRing::new(alive.iter().map(String::as_str));
    let ring_writer = |ip: IpAddr| ring.select(ip, |_| true).map(str::to_string);
    let mut writes = Vec::new();

    for (name, outcome) in &plan.egresses {
        let Some(egress) = state.egresses.get(name) else {
            continue;
        };
        let mut status = EgressStatusWrite {
            egress: name.clone(),
            placement: None,
            set: Vec::new(),
            remove: Vec::new(),
        };
        match outcome.ip {
            None => {
                if rendezvous(name, alive) == Some(node) {
                    status.placement = Some((String::new(), None));
                    status.set = outcome.conditions.clone();
                    status.remove.push(IP_ASSIGNED);
                }
            }
            Some(ip) => {
                let shared_writer = ring_writer(ip);
                let shared_here = shared_writer.as_deref() == Some(node);
                if outcome.pool.is_some() && shared_here {
                    if egress.spec.egress_ip.is_none() {
                        writes.push(Write::PinEgressIp {
                            egress: name.clone(),
                            ip,
                        });
                    }
                    status.set.extend(
                        outcome
                            .conditions
                            .iter()
                            .filter(|c| c.type_() == IP_ALLOCATED)
                            .cloned(),
                    );
                }
                let assigned = outcome
                    .conditions
                    .iter()
                    .filter(|c| c.type_() == IP_ASSIGNED)
                    .cloned();
                match &outcome.owner {
                    Some(owner) if owner == node => {
                        status.placement = Some((owner.clone(), Some(ip)));
                        status.set.extend(assigned);
                    }
                    Some(_) => {}
                    None if shared_here => {
                        status.placement = Some((String::new(), None));
                        status.set.extend(assigned);
                    }
                    None => {}
                }
            }
        }
        let has_fields =
            status.placement.is_some() || !status.set.is_empty() || !status.remove.is_empty();
        if has_fields && !already_written(&egress.status, &status) {
            writes.push(Write::EgressStatus(status));
        }
    }

    for (pool, usage) in &plan.pools {
        let Some(observed) = state.pools.get(pool) else {
            continue;
        };
        if rendezvous(pool, alive) != Some(node) {
            continue;
        }
        let current = observed.status.as_ref().map(|s| s.usage);
        if current != Some(*usage) {
            writes.push(Write::PoolUsage {
                pool: pool.clone(),
                usage: *usage,
            });
        }
    }
    writes
}
