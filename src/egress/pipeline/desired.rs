//! The desired flows of one node, indexed by owning object so that a change to one object
//! recomputes only that object's flows and yields the exact flows that changed.
//!
//! Invariants:
//! - every flow belongs to exactly one [`Owner`]; [`DesiredFlows::replace_owner`] swaps an
//!   owner's whole set and reports, per affected (bridge, table, priority, match), the effective
//!   entry before and after ([`FlowChange`]); unchanged flows are not reported;
//! - if two owners want the same key (e.g. two pods claiming one IP, or an egress IP that is
//!   both owned and draining), the smallest owner ([`Owner`]'s order) wins deterministically and
//!   the other takes over when it leaves; [`DesiredFlows::conflicts`] lists such keys.

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::egress::model::PodKey;

use super::flow::{Flow, FlowEntry, FlowKey};
use super::tables::Bridge;

/// The object a flow is derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// The node's configuration (static flows).
    Node,
    /// Another node (routes to its pod CIDRs, egress bypass for its IP).
    Peer(String),
    /// A local pod (classification, spoof guard, delivery, its egress choice).
    Pod(PodKey),
    /// An egress IP this node owns (SNAT, tunnel ingress, ARP responder, un-NAT).
    EgressIp(IpAddr),
    /// An egress IP that moved away and is being drained (un-NAT only).
    Draining(IpAddr),
}

/// One flow whose effective desired state changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowChange {
    /// The bridge.
    pub bridge: Bridge,
    /// The flow's identity.
    pub key: FlowKey,
    /// What was desired before (`None`: nothing).
    pub old: Option<FlowEntry>,
    /// What is desired now (`None`: nothing — delete).
    pub new: Option<FlowEntry>,
}

/// Claims of one key, sorted by owner; the first is effective.
#[derive(Debug, Clone, Default)]
struct Slot {
    claims: Vec<(Owner, FlowEntry)>,
}

impl Slot {
    fn effective(&self) -> Option<&FlowEntry> {
        self.claims.first().map(|(_, e)| e)
    }
}

/// The desired flows of both bridges.
///
/// Maps use the Fx hash (rustc's): keys come from our own computation, and SipHash was a fifth
/// of a full computation.
#[derive(Debug, Clone, Default)]
pub struct DesiredFlows {
    int: FxHashMap<FlowKey, Slot>,
    phy: FxHashMap<FlowKey, Slot>,
    owners: FxHashMap<Owner, Vec<(Bridge, FlowKey)>>,
}

impl DesiredFlows {
    /// No flows.
    pub fn new() -> Self {
        Self::default()
    }

    fn bridge(&self, bridge: Bridge) -> &FxHashMap<FlowKey, Slot> {
        match bridge {
            Bridge::Int => &self.int,
            Bridge::Phy => &self.phy,
        }
    }

    fn bridge_mut(&mut self, bridge: Bridge) -> &mut FxHashMap<FlowKey, Slot> {
        match bridge {
            Bridge::Int => &mut self.int,
            Bridge::Phy => &mut self.phy,
        }
    }

    /// Replaces every flow of `owner` by `flows`, appending what changed to `changes`.
    pub fn replace_owner(&mut self, owner: Owner, flows: Vec<Flow>, changes: &mut Vec<FlowChange>) {
        let old_keys = self.owners.remove(&owner).unwrap_or_default();
        if old_keys.is_empty() {
            self.add_new_owner(owner, flows, Some(changes));
            return;
        }
        if self.same_as_before(&owner, &old_keys, &flows) {
            self.owners.insert(owner, old_keys);
            return;
        }
        let mut before: FxHashMap<(Bridge, FlowKey), Option<FlowEntry>> = FxHashMap::default();
        for (bridge, key) in old_keys {
            let slots = self.bridge_mut(bridge);
            let Some(slot) = slots.get_mut(&key) else {
                continue;
            };
            let eff = slot.effective().cloned();
            slot.claims.retain(|(o, _)| o != &owner);
            if slot.claims.is_empty() {
                slots.remove(&key);
            }
            before.entry((bridge, key)).or_insert(eff);
        }
        let mut keys = Vec::with_capacity(flows.len());
        for flow in flows {
            let slots = self.bridge_mut(flow.bridge);
            let slot = slots.entry(flow.key.clone()).or_default();
            let eff = slot.effective().cloned();
            match slot.claims.binary_search_by(|(o, _)| o.cmp(&owner)) {
                Ok(i) => slot.claims[i].1 = flow.entry,
                Err(i) => slot.claims.insert(i, (owner.clone(), flow.entry)),
            }
            let id = (flow.bridge, flow.key);
            keys.push(id.clone());
            before.entry(id).or_insert(eff);
        }
        if !keys.is_empty() {
            self.owners.insert(owner, keys);
        }
        let mut touched: Vec<_> = before.into_iter().collect();
        touched.sort_by(|a, b| a.0.cmp(&b.0));
        for ((bridge, key), old) in touched {
            let new = self.bridge(bridge).get(&key).and_then(Slot::effective);
            if old.as_ref() != new {
                let new = new.cloned();
                changes.push(FlowChange {
                    bridge,
                    key,
                    old,
                    new,
                });
            }
        }
    }

    /// Loads the flows of an owner that has none yet without reporting changes: for building a
    /// whole state that is then diffed against the switch. An owner that already has flows is
    /// replaced as by [`DesiredFlows::replace_owner`] (changes discarded).
    pub fn load_owner(&mut self, owner: Owner, flows: Vec<Flow>) {
        if self.owners.contains_key(&owner) {
            self.replace_owner(owner, flows, &mut Vec::new());
        } else {
            self.add_new_owner(owner, flows, None);
        }
    }

    /// The common case of a full computation: an owner with no flows yet. Each flow is
    /// inserted once and reported (when `changes` is given) if it changes the effective entry
    /// of its key.
    fn add_new_owner(
        &mut self,
        owner: Owner,
        flows: Vec<Flow>,
        mut changes: Option<&mut Vec<FlowChange>>,
    ) {
        let mut keys: Vec<(Bridge, FlowKey)> = Vec::with_capacity(flows.len());
        for flow in flows {
            let slot = self
                .bridge_mut(flow.bridge)
                .entry(flow.key.clone())
                .or_default();
            match slot.claims.binary_search_by(|(o, _)| o.cmp(&owner)) {
                Ok(i) => {
                    // The same key twice from this owner: the later flow wins. Rare, so the
                    // change already reported for the key (if any) is looked up and fixed.
                    slot.claims[i].1 = flow.entry;
                    if let (0, Some(changes)) = (i, changes.as_deref_mut()) {
                        let other = slot.claims.get(1).map(|(_, e)| e.clone());
                        let new = Some(slot.claims[0].1.clone());
                        changes.retain(|c| !(c.bridge == flow.bridge && c.key == flow.key));
                        if other != new {
                            changes.push(FlowChange {
                                bridge: flow.bridge,
                                key: flow.key,
                                old: other,
                                new,
                            });
                        }
                    }
                }
                Err(i) => {
                    slot.claims.insert(i, (owner.clone(), flow.entry));
                    if let (0, Some(changes)) = (i, changes.as_deref_mut()) {
                        let old = slot.claims.get(1).map(|(_, e)| e.clone());
                        let new = Some(slot.claims[0].1.clone());
                        if old != new {
                            changes.push(FlowChange {
                                bridge: flow.bridge,
                                key: flow.key.clone(),
                                old,
                                new,
                            });
                        }
                    }
                    keys.push((flow.bridge, flow.key));
                }
            }
        }
        if !keys.is_empty() {
            self.owners.insert(owner, keys);
        }
    }

    /// Whether `flows` are exactly what `owner` already has (the common "nothing changed" case,
    /// checked without touching the index).
    fn same_as_before(
        &self,
        owner: &Owner,
        old_keys: &[(Bridge, FlowKey)],
        flows: &[Flow],
    ) -> bool {
        old_keys.len() == flows.len()
            && old_keys.iter().zip(flows).all(|((b, k), f)| {
                *b == f.bridge
                    && *k == f.key
                    && self.bridge(*b).get(k).is_some_and(|slot| {
                        slot.claims.iter().any(|(o, e)| o == owner && *e == f.entry)
                    })
            })
    }

    /// Removes every flow of `owner`.
    pub fn remove_owner(&mut self, owner: &Owner, changes: &mut Vec<FlowChange>) {
        if self.owners.contains_key(owner) {
            self.replace_owner(owner.clone(), Vec::new(), changes);
        }
    }

    /// The effective desired entry of a flow.
    pub fn get(&self, bridge: Bridge, key: &FlowKey) -> Option<&FlowEntry> {
        self.bridge(bridge).get(key).and_then(Slot::effective)
    }

    /// The effective desired flows of `bridge`, in no particular order.
    pub fn iter(&self, bridge: Bridge) -> impl Iterator<Item = (&FlowKey, &FlowEntry)> {
        self.bridge(bridge)
            .iter()
            .filter_map(|(k, s)| Some((k, s.effective()?)))
    }

    /// Number of distinct flows of `bridge`.
    pub fn len(&self, bridge: Bridge) -> usize {
        self.bridge(bridge).len()
    }

    /// True when no flow is desired on either bridge.
    pub fn is_empty(&self) -> bool {
        self.int.is_empty() && self.phy.is_empty()
    }

    /// The effective flows of `bridge` sorted as `ovs-ofctl dump-flows` lists them: by table,
    /// then priority from high to low, then match (for stable output).
    pub fn sorted(&self, bridge: Bridge) -> Vec<Flow> {
        let mut flows: Vec<Flow> = self
            .iter(bridge)
            .map(|(k, e)| Flow {
                bridge,
                key: k.clone(),
                entry: e.clone(),
            })
            .collect();
        flows.sort_by(|a, b| {
            (
                a.key.table,
                std::cmp::Reverse(a.key.priority),
                &a.key.match_,
            )
                .cmp(&(
                    b.key.table,
                    std::cmp::Reverse(b.key.priority),
                    &b.key.match_,
                ))
        });
        flows
    }

    /// The flows owned by `owner` (bridge and key), as last computed.
    pub fn owned_by(&self, owner: &Owner) -> &[(Bridge, FlowKey)] {
        self.owners.get(owner).map_or(&[], Vec::as_slice)
    }

    /// Keys claimed by more than one owner with different contents, with the claimants (the
    /// first one wins). Empty in a consistent configuration.
    pub fn conflicts(&self) -> Vec<(Bridge, FlowKey, Vec<Owner>)> {
        let mut out = Vec::new();
        for bridge in Bridge::ALL {
            for (key, slot) in self.bridge(bridge) {
                let differs = slot.claims.windows(2).any(|w| w[0].1 != w[1].1);
                if differs {
                    let owners = slot.claims.iter().map(|(o, _)| o.clone()).collect();
                    out.push((bridge, key.clone(), owners));
                }
            }
        }
        out.sort();
        out
    }
}
