//! [`NodePipeline`]: the inputs of one node plus its desired flows, kept in step incrementally.
//!
//! Each input change recomputes only the flows of the objects it affects (a pod add computes
//! that pod's handful of flows) and returns the [`FlowChange`]s for the reconciler. Only a
//! change of the node's configuration or of the cookie round recomputes everything.
//!
//! Invariant (tested): after any sequence of changes the desired flows equal those of a fresh
//! pipeline given the final inputs ([`NodePipeline::rebuilt`]).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::egress::egress_id::EgressId;
use crate::egress::model::PodKey;
use crate::egress::state::{NodeView, OwnedIp, PodEgress};

use super::choice::EgressChoice;
use super::desired::{DesiredFlows, FlowChange, Owner};
use super::inputs::{InputError, LocalPod, NodeConfig, PeerNode};
use super::{br_int, br_phy};

/// One node's pipeline.
#[derive(Debug, Clone)]
pub struct NodePipeline {
    cfg: NodeConfig,
    round: u16,
    pods: HashMap<PodKey, LocalPod>,
    choices: HashMap<PodKey, EgressChoice>,
    peers: BTreeMap<String, PeerNode>,
    owned: BTreeMap<IpAddr, EgressId>,
    draining: BTreeMap<IpAddr, Option<EgressId>>,
    desired: DesiredFlows,
}

impl NodePipeline {
    /// A pipeline with only the node's static flows, with cookies of `round`.
    pub fn new(cfg: NodeConfig, round: u16) -> Result<NodePipeline, InputError> {
        cfg.validate()?;
        let mut p = NodePipeline {
            cfg,
            round,
            pods: HashMap::new(),
            choices: HashMap::new(),
            peers: BTreeMap::new(),
            owned: BTreeMap::new(),
            draining: BTreeMap::new(),
            desired: DesiredFlows::new(),
        };
        let mut changes = Vec::new();
        p.recompute(&Owner::Node, &mut changes);
        Ok(p)
    }

    /// A pipeline built in one go from all inputs (agent start, resync), without reporting
    /// per-flow changes: the caller diffs it against the switch
    /// ([`crate::egress::reconcile::diff_all`]). Pods that fail validation are left out and
    /// returned with their errors; a bad configuration fails the whole build.
    pub fn build(
        cfg: NodeConfig,
        round: u16,
        peers: impl IntoIterator<Item = PeerNode>,
        pods: impl IntoIterator<Item = LocalPod>,
        view: &NodeView,
    ) -> Result<(NodePipeline, Vec<InputError>), InputError> {
        let mut p = NodePipeline::new(cfg, round)?;
        for peer in peers {
            if peer.name != p.cfg.name {
                p.peers.insert(peer.name.clone(), peer);
            }
        }
        let mut errors = Vec::new();
        for pod in pods {
            match p.cfg.validate_pod(&pod) {
                Ok(()) => {
                    p.pods.insert(pod.key.clone(), pod);
                }
                Err(e) => errors.push(e),
            }
        }
        for pe in &view.pods {
            let choice = EgressChoice::of(Some(pe));
            if choice != EgressChoice::Default {
                p.choices.insert(pe.pod.clone(), choice);
            }
        }
        p.owned = view
            .owned_ips
            .iter()
            .filter_map(|o| Some((o.ip, o.egress_id?)))
            .collect();
        p.load_all();
        Ok((p, errors))
    }

    /// The node configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// The cookie round of the desired flows.
    pub fn round(&self) -> u16 {
        self.round
    }

    /// The desired flows.
    pub fn desired(&self) -> &DesiredFlows {
        &self.desired
    }

    /// The egress choice of a pod (default when not selected).
    pub fn choice(&self, pod: &PodKey) -> EgressChoice {
        self.choices
            .get(pod)
            .copied()
            .unwrap_or(EgressChoice::Default)
    }

    /// Computes the flows of `owner` from the current inputs.
    fn flows_of(&self, owner: &Owner) -> Vec<super::flow::Flow> {
        let (cfg, round) = (&self.cfg, self.round);
        let mut out = Vec::new();
        match owner {
            Owner::Node => {
                br_int::node_flows(cfg, round, &mut out);
                br_phy::node_flows(cfg, round, &mut out);
            }
            Owner::Peer(name) => {
                if let Some(peer) = self.peers.get(name) {
                    br_int::peer_flows(cfg, round, peer, &mut out);
                }
            }
            Owner::Pod(key) => {
                if let Some(pod) = self.pods.get(key) {
                    br_int::pod_flows(cfg, round, pod, self.choice(key), &mut out);
                }
            }
            Owner::EgressIp(ip) => {
                if let Some(id) = self.owned.get(ip) {
                    br_int::owned_ip_flows(cfg, round, *ip, *id, &mut out);
                    br_phy::owned_ip_flows(cfg, round, *ip, *id, &mut out);
                }
            }
            Owner::Draining(ip) => {
                if let Some(id) = self.draining.get(ip) {
                    br_phy::draining_ip_flows(cfg, round, *ip, *id, &mut out);
                }
            }
        }
        out
    }

    fn recompute(&mut self, owner: &Owner, changes: &mut Vec<FlowChange>) {
        let flows = self.flows_of(owner);
        self.desired.replace_owner(owner.clone(), flows, changes);
    }

    /// Adds or updates a local pod (after its port appeared in OVSDB).
    pub fn upsert_pod(&mut self, pod: LocalPod) -> Result<Vec<FlowChange>, InputError> {
        self.cfg.validate_pod(&pod)?;
        let mut changes = Vec::new();
        let key = pod.key.clone();
        if self.pods.get(&key) != Some(&pod) {
            self.pods.insert(key.clone(), pod);
            self.recompute(&Owner::Pod(key), &mut changes);
        }
        Ok(changes)
    }

    /// Removes a local pod.
    pub fn remove_pod(&mut self, key: &PodKey) -> Vec<FlowChange> {
        let mut changes = Vec::new();
        if self.pods.remove(key).is_some() {
            self.desired
                .remove_owner(&Owner::Pod(key.clone()), &mut changes);
        }
        changes
    }

    /// Sets one pod's egress view (`None`: not selected). Remembered for pods not attached yet.
    pub fn set_pod_egress(&mut self, key: &PodKey, egress: Option<&PodEgress>) -> Vec<FlowChange> {
        let mut changes = Vec::new();
        self.set_choice(key, EgressChoice::of(egress), &mut changes);
        changes
    }

    fn set_choice(&mut self, key: &PodKey, choice: EgressChoice, changes: &mut Vec<FlowChange>) {
        if self.choice(key) == choice {
            return;
        }
        if choice == EgressChoice::Default {
            self.choices.remove(key);
        } else {
            self.choices.insert(key.clone(), choice);
        }
        if self.pods.contains_key(key) {
            self.recompute(&Owner::Pod(key.clone()), changes);
        }
    }

    /// Applies the egress domain's whole view of this node: every pod's choice (pods absent
    /// from the view are not selected) and the owned IPs. Recomputes only what differs.
    pub fn apply_view(&mut self, view: &NodeView) -> Vec<FlowChange> {
        let mut changes = Vec::new();
        let mut seen: HashMap<&PodKey, ()> = HashMap::with_capacity(view.pods.len());
        for pe in &view.pods {
            seen.insert(&pe.pod, ());
            self.set_choice(&pe.pod, EgressChoice::of(Some(pe)), &mut changes);
        }
        let gone: Vec<PodKey> = self
            .choices
            .keys()
            .filter(|k| !seen.contains_key(k))
            .cloned()
            .collect();
        for key in gone {
            self.set_choice(&key, EgressChoice::Default, &mut changes);
        }
        changes.extend(self.set_owned_ips(&view.owned_ips));
        changes
    }

    /// Sets the egress IPs this node owns (IPs without an egress id cannot be SNATed by id and
    /// are skipped: their pods are blocked, see [`EgressChoice`]).
    pub fn set_owned_ips(&mut self, owned: &[OwnedIp]) -> Vec<FlowChange> {
        let new: BTreeMap<IpAddr, EgressId> = owned
            .iter()
            .filter_map(|o| Some((o.ip, o.egress_id?)))
            .collect();
        let mut changes = Vec::new();
        let mut affected: Vec<IpAddr> = Vec::new();
        for (ip, id) in &self.owned {
            if new.get(ip) != Some(id) {
                affected.push(*ip);
            }
        }
        for (ip, id) in &new {
            if self.owned.get(ip) != Some(id) {
                affected.push(*ip);
            }
        }
        self.owned = new;
        affected.sort();
        affected.dedup();
        for ip in affected {
            self.recompute(&Owner::EgressIp(ip), &mut changes);
        }
        changes
    }

    /// Sets the egress IPs being drained after moving away (the agent removes them after the
    /// grace period).
    pub fn set_draining(
        &mut self,
        ips: impl IntoIterator<Item = (IpAddr, Option<EgressId>)>,
    ) -> Vec<FlowChange> {
        let new: BTreeMap<IpAddr, Option<EgressId>> = ips.into_iter().collect();
        let mut affected: Vec<IpAddr> = self
            .draining
            .iter()
            .filter(|(ip, id)| new.get(ip) != Some(id))
            .map(|(ip, _)| *ip)
            .collect();
        affected.extend(
            new.iter()
                .filter(|(ip, id)| self.draining.get(ip) != Some(id))
                .map(|(ip, _)| *ip),
        );
        self.draining = new;
        affected.sort();
        affected.dedup();
        let mut changes = Vec::new();
        for ip in affected {
            self.recompute(&Owner::Draining(ip), &mut changes);
        }
        changes
    }

    /// Adds or updates another node (this node's own name is ignored).
    pub fn upsert_peer(&mut self, peer: PeerNode) -> Vec<FlowChange> {
        let mut changes = Vec::new();
        if peer.name == self.cfg.name || self.peers.get(&peer.name) == Some(&peer) {
            return changes;
        }
        let owner = Owner::Peer(peer.name.clone());
        self.peers.insert(peer.name.clone(), peer);
        self.recompute(&owner, &mut changes);
        changes
    }

    /// Removes another node.
    pub fn remove_peer(&mut self, name: &str) -> Vec<FlowChange> {
        let mut changes = Vec::new();
        if self.peers.remove(name).is_some() {
            self.desired
                .remove_owner(&Owner::Peer(name.to_string()), &mut changes);
        }
        changes
    }

    /// Changes the cookie round (agent start): every flow is recomputed.
    pub fn set_round(&mut self, round: u16) -> Vec<FlowChange> {
        self.round = round;
        self.recompute_all()
    }

    /// Replaces the node configuration: every flow is recomputed.
    pub fn set_config(&mut self, cfg: NodeConfig) -> Result<Vec<FlowChange>, InputError> {
        cfg.validate()?;
        for pod in self.pods.values() {
            cfg.validate_pod(pod)?;
        }
        self.cfg = cfg;
        Ok(self.recompute_all())
    }

    fn owners(&self) -> Vec<Owner> {
        let mut owners = vec![Owner::Node];
        owners.extend(self.peers.keys().cloned().map(Owner::Peer));
        owners.extend(self.pods.keys().cloned().map(Owner::Pod));
        owners.extend(self.owned.keys().copied().map(Owner::EgressIp));
        owners.extend(self.draining.keys().copied().map(Owner::Draining));
        owners
    }

    fn recompute_all(&mut self) -> Vec<FlowChange> {
        let mut changes = Vec::new();
        for owner in self.owners() {
            self.recompute(&owner, &mut changes);
        }
        changes
    }

    /// Computes every owner's flows into an empty desired state, without change reports.
    fn load_all(&mut self) {
        self.desired = DesiredFlows::new();
        for owner in self.owners() {
            let flows = self.flows_of(&owner);
            self.desired.load_owner(owner, flows);
        }
    }

    /// A fresh pipeline from this one's inputs (what incremental updates must agree with).
    pub fn rebuilt(&self) -> NodePipeline {
        let mut fresh = NodePipeline {
            desired: DesiredFlows::new(),
            ..self.clone()
        };
        fresh.load_all();
        fresh
    }
}
