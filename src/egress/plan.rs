//! The IP plan: for every Egress its effective IP (pool allocation), the owner node (election)
//! and the egress id; for every pool its usage. Depends on Egresses, ExternalIPPools, Nodes and
//! the alive set — never on pods or namespaces, so pod churn never recomputes it.
//!
//! Order: Egresses are processed by (creationTimestamp, name), as Antrea's scheduler does, for
//! allocation, capped election and egress-id collision resolution alike.
//!
//! Static Egresses (an `egressIP` without a pool): Antrea leaves such an IP wherever the
//! administrator configured it. Here the owner is an alive node that lists the IP among its
//! `status.addresses` (smallest name if several); if none does, the IP is elected like a pool
//! IP over the ring of all alive nodes (our data path needs no kernel address, so a static IP
//! can float; this is an extension over Antrea).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::egress::conditions::EgressCondition;
use crate::egress::egress_id::{assign_ids, EgressId};
use crate::egress::election::{node_points, ElectionConfig, HashRing, Scheduler};
use crate::egress::model::{Egress, EgressStatus, ExternalIPPool, IpPoolUsage, Node};
use crate::egress::pool::allocate;

/// What the domain decided for one Egress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressOutcome {
    /// Effective SNAT IP (allocated or static), if any.
    pub ip: Option<IpAddr>,
    /// Pool the IP comes from (`None` for static Egresses).
    pub pool: Option<String>,
    /// Node that owns the IP, if any node is eligible.
    pub owner: Option<String>,
    /// Tunnel key of the IP.
    pub egress_id: Option<EgressId>,
    /// `IPAllocated` (pool Egresses) and `IPAssigned` conditions.
    pub conditions: Vec<EgressCondition>,
}

impl EgressOutcome {
    /// The `Egress.status` an agent would write: `egressNode` / `egressIP` only when a node owns
    /// the IP (Antrea leaves both empty otherwise), and the conditions (the writer adds
    /// `lastTransitionTime`, keeping the old one when a condition did not change).
    pub fn status(&self) -> EgressStatus {
        let owned = self.owner.is_some();
        EgressStatus {
            egress_node: self.owner.clone().unwrap_or_default(),
            egress_ip: if owned { self.ip } else { None },
            conditions: self.conditions.iter().map(|c| c.to_status()).collect(),
        }
    }
}

/// What the domain decided for one egress IP (shared by all Egresses using it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpOutcome {
    /// Owner node, if any.
    pub owner: Option<String>,
    /// Cluster-wide egress id (tunnel key); `None` only beyond 2^24-1 distinct IPs.
    pub egress_id: Option<EgressId>,
    /// Egresses using the IP, oldest first.
    pub egresses: Vec<String>,
}

/// The plan for all Egresses and IPs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpPlan {
    /// Per Egress name.
    pub egresses: BTreeMap<String, EgressOutcome>,
    /// Per effective egress IP.
    pub ips: BTreeMap<IpAddr, IpOutcome>,
    /// Per pool name.
    pub pools: BTreeMap<String, IpPoolUsage>,
}

/// Egresses sorted by (creationTimestamp, name): the order every pass uses.
pub fn egress_order(egresses: &BTreeMap<String, Egress>) -> Vec<&Egress> {
    let mut order: Vec<&Egress> = egresses.values().collect();
    order.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    order
}

/// Computes the plan. Pure; the result does not depend on map insertion order.
pub fn plan_ips(
    egresses: &BTreeMap<String, Egress>,
    pools: &BTreeMap<String, ExternalIPPool>,
    nodes: &BTreeMap<String, Node>,
    alive: &BTreeSet<String>,
    config: ElectionConfig,
) -> IpPlan {
    let order = egress_order(egresses);
    let allocation = allocate(&order, pools);

    let eligible: Vec<&Node> = nodes
        .values()
        .filter(|n| alive.contains(n.name()))
        .collect();
    let points: Vec<(&str, Vec<u32>)> = eligible
        .iter()
        .map(|n| (n.name(), node_points(n.name())))
        .collect();
    let ring_of = |filter: &dyn Fn(&Node) -> bool| {
        HashRing::from_points(
            eligible
                .iter()
                .zip(&points)
                .filter(|(n, _)| filter(n))
                .map(|(_, (name, p))| (*name, p.as_slice())),
        )
    };
    let all_ring = ring_of(&|_| true);
    let mut pool_rings: BTreeMap<&str, HashRing> = BTreeMap::new();
    let caps: BTreeMap<String, u32> = nodes
        .values()
        .filter_map(|n| Some((n.name().to_string(), n.max_egress_ips_annotation()?)))
        .collect();
    // IP → alive node listing it as an address (static Egresses).
    let mut address_owner: BTreeMap<IpAddr, &str> = BTreeMap::new();
    for n in &eligible {
        for a in &n.status.addresses {
            address_owner.entry(a.address).or_insert(n.name());
        }
    }

    let mut sched = Scheduler::new(&caps, config);
    let mut plan = IpPlan {
        pools: allocation.usage.clone(),
        ..IpPlan::default()
    };
    let mut ip_ages: Vec<(IpAddr, usize)> = Vec::new();
    for (rank, e) in order.iter().enumerate() {
        let pool = e.spec.external_ip_pool.clone();
        let mut outcome = EgressOutcome {
            ip: None,
            pool: pool.clone(),
            owner: None,
            egress_id: None,
            conditions: Vec::new(),
        };
        let result = allocation
            .results
            .get(e.name())
            .cloned()
            .unwrap_or(Err(crate::egress::pool::AllocationError::NoIpOrPool));
        match result {
            Err(err) => outcome
                .conditions
                .push(EgressCondition::AllocationFailed(err)),
            Ok(ip) => {
                if pool.is_some() {
                    outcome.conditions.push(EgressCondition::Allocated);
                }
                outcome.ip = Some(ip);
                ip_ages.push((ip, rank));
                let placed = match (e.spec.external_ip_pool.as_deref(), address_owner.get(&ip)) {
                    (None, Some(node)) if sched.owner(ip).is_none() => {
                        sched.assign(ip, node);
                        Ok(node.to_string())
                    }
                    (None, _) => sched.place(ip, &all_ring),
                    (Some(pool_name), _) => {
                        let ring = pool_rings.entry(pool_name).or_insert_with(|| {
                            match pools.get(pool_name) {
                                Some(p) => ring_of(&|n: &Node| {
                                    p.spec.node_selector.matches(&n.metadata.labels)
                                }),
                                None => HashRing::default(),
                            }
                        });
                        sched.place(ip, ring)
                    }
                };
                match placed {
                    Ok(node) => {
                        outcome.owner = Some(node);
                        outcome.conditions.push(EgressCondition::Assigned);
                    }
                    Err(err) => outcome
                        .conditions
                        .push(EgressCondition::AssignmentFailed(err)),
                }
                let ip_outcome = plan.ips.entry(ip).or_insert_with(|| IpOutcome {
                    owner: outcome.owner.clone(),
                    egress_id: None,
                    egresses: Vec::new(),
                });
                ip_outcome.egresses.push(e.name().to_string());
            }
        }
        plan.egresses.insert(e.name().to_string(), outcome);
    }
    let ids = assign_ids(ip_ages);
    for (ip, outcome) in plan.ips.iter_mut() {
        outcome.egress_id = ids.get(ip).copied();
    }
    for outcome in plan.egresses.values_mut() {
        outcome.egress_id = outcome.ip.and_then(|ip| ids.get(&ip).copied());
    }
    plan
}
