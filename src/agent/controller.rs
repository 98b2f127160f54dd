//! The controller: the merged [`ClusterView`] plus this node's [`NodePipeline`], kept in step.
//! Sans-IO — the runtime feeds inputs and the time, and takes flow changes to install.
//!
//! Per batch of inputs: cluster inputs go to the view; the ports and peers they touched go to the
//! pipeline one by one; if the egress state changed, the node's view is applied to the pipeline
//! (which recomputes only what differs). The owned-IP set before and after tells the runtime
//! which IPs were gained (announce with a gratuitous ARP once installed) and lost.
//!
//! Handover (make-before-break, testbed notes §5, as far as one node can order it): an IP this
//! node gains gets its SNAT, tunnel ingress, un-NAT and ARP-responder flows in the same bundle
//! that switches local pods to it, and the GARP goes out only after that bundle is committed; an
//! IP this node loses keeps un-NATing replies ("draining") for [`AgentConfig::drain`], so
//! connections SNATed here before the move finish, while new traffic already goes to the new
//! owner.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::egress::egress_id::EgressId;
use crate::egress::model::PodKey;
use crate::egress::pipeline::flow::FlowEntry;
use crate::egress::pipeline::{Bridge, FlowKey};
use crate::egress::pipeline::{
    FlowChange, InputError, LocalPod, Mac, NodeConfig, NodePipeline, PeerNode, Ports, TunnelType,
};
use crate::egress::state::NodeView;
use crate::ofproto::codec::PortNo;

use super::bridges::InfraPorts;
use super::cluster::{ClusterView, Effects};
use super::config::{AgentConfig, MacAddr, TunnelKind};
use super::membership::handover::{Announce, Handover};
use super::source::Input;

/// The pipeline configuration for this node.
pub fn node_config(cfg: &AgentConfig, ports: InfraPorts, next_hop: MacAddr) -> NodeConfig {
    let ip = cfg.transport_ip.ip();
    let mut nc = NodeConfig::new(
        cfg.node_name.clone(),
        IpAddr::V4(ip),
        Mac(cfg.bridge_mac.0),
        Mac(next_hop.0),
        vec![cfg.pod_cidr],
    );
    nc.gateway_mac = Mac(cfg.gateway_mac.0);
    nc.except_cidrs = cfg.except_cidrs.clone();
    nc.ct_zone = cfg.ct_zone;
    nc.tunnel = match cfg.tunnel {
        TunnelKind::Geneve => TunnelType::Geneve,
        TunnelKind::Vxlan => TunnelType::Vxlan,
    };
    let port = |p: u32| PortNo(u16::try_from(p).unwrap_or(0));
    nc.ports = Ports {
        int_tunnel: port(ports.int_tunnel),
        int_patch: port(ports.int_patch),
        phy_uplink: port(ports.phy_uplink),
        phy_patch: port(ports.phy_patch),
    };
    nc
}

/// Egress IPs gained and lost by one [`Controller::sync`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transitions {
    /// IPs this node holds now and did not before.
    pub gained: Vec<IpAddr>,
    /// IPs this node held before and does not now.
    pub lost: Vec<IpAddr>,
}

/// The controller.
#[derive(Debug)]
pub struct Controller {
    cfg: AgentConfig,
    view: ClusterView,
    pipeline: NodePipeline,
    ports: InfraPorts,
    next_hop: Option<MacAddr>,
    owned: BTreeMap<IpAddr, Option<EgressId>>,
    draining: BTreeMap<IpAddr, (Option<EgressId>, Instant)>,
    egress_dirty: bool,
    status_dirty: bool,
    pending: Vec<FlowChange>,
    /// Until the first [`Controller::sync`], inputs only update the view; the first sync builds
    /// the pipeline in one go ([`NodePipeline::build`]) — the start-up path.
    building: bool,
    /// Make-before-break between nodes (issue 7): the view actually programmed.
    handover: Handover,
}

/// The placeholder next-hop MAC used until the real one is known: the flows are complete and
/// correct except that traffic leaving the node is addressed to nobody.
pub const UNKNOWN_MAC: MacAddr = MacAddr([0; 6]);

impl Controller {
    /// A controller for cookie round `round`. Inputs applied before the first
    /// [`Controller::sync`] only update the view; that sync builds the whole pipeline.
    pub fn new(
        cfg: AgentConfig,
        round: u16,
        ports: InfraPorts,
        next_hop: Option<MacAddr>,
    ) -> Result<Controller, InputError> {
        let nc = node_config(&cfg, ports, next_hop.unwrap_or(UNKNOWN_MAC));
        let pipeline = NodePipeline::new(nc, round)?;
        let view = ClusterView::new(&cfg);
        let handover = Handover::new(
            &cfg.node_name,
            cfg.gossip
                .as_ref()
                .map_or(Duration::ZERO, |g| g.params.handover_timeout),
            cfg.gossip.is_some(),
        )
        .with_settle(
            cfg.gossip
                .as_ref()
                .map_or(Duration::ZERO, |g| g.params.probe_period),
        );
        let c = Controller {
            cfg,
            view,
            pipeline,
            ports,
            next_hop,
            owned: BTreeMap::new(),
            draining: BTreeMap::new(),
            egress_dirty: true,
            status_dirty: true,
            pending: Vec::new(),
            building: true,
            handover,
        };
        Ok(c)
    }

    /// The merged cluster view.
    pub fn view(&self) -> &ClusterView {
        &self.view
    }

    /// The pipeline (desired flows).
    pub fn pipeline(&self) -> &NodePipeline {
        &self.pipeline
    }

    /// The cookie round.
    pub fn round(&self) -> u16 {
        self.pipeline.round()
    }

    /// The next-hop MAC in use, if known.
    pub fn next_hop(&self) -> Option<MacAddr> {
        self.next_hop
    }

    /// Egress IPs held now.
    pub fn owned_ips(&self) -> impl Iterator<Item = &IpAddr> {
        self.owned.keys()
    }

    /// Whether the status changed since the last [`Controller::take_status_dirty`].
    pub fn take_status_dirty(&mut self) -> bool {
        std::mem::take(&mut self.status_dirty)
    }

    /// Applies one input (the egress part is deferred to [`Controller::sync`]).
    pub fn apply(&mut self, input: Input) {
        let effects = self.view.apply(input);
        self.absorb(effects);
    }

    fn absorb(&mut self, e: Effects) {
        // A port that appears or goes can change which pods are local (the node view) without
        // changing any binding, so it also calls for a sync.
        self.egress_dirty |= e.egress || !e.ports.is_empty();
        self.status_dirty |= e.status || e.egress || !e.ports.is_empty();
        if self.building {
            return;
        }
        for key in &e.ports {
            self.refresh_pod(key);
        }
        for name in &e.peers {
            self.refresh_peer(name);
        }
    }

    fn local_pod(&self, key: &PodKey) -> Option<LocalPod> {
        let port = self.view.port_of(key)?;
        Some(LocalPod {
            key: key.clone(),
            ofport: PortNo(u16::try_from(port.ofport).unwrap_or(0)),
            mac: Mac(port.mac.0),
            ips: port.ips.clone(),
        })
    }

    /// The view to program: the election's, through the handover (which IPs this node serves
    /// during a move, where pods send meanwhile).
    fn effective_view(&mut self, now: Instant) -> NodeView {
        let elected = self.view.node_view();
        let gossip = self.view.gossip();
        if let Some(r) = gossip {
            self.handover.observe(r);
        }
        let engine = self.view.engine();
        self.handover
            .effective(elected, engine.plan(), &engine.state().nodes, gossip, now)
    }

    /// Builds the pipeline from the whole view at once (start-up), replacing the one so far.
    fn build(&mut self, now: Instant) -> Result<NodeView, InputError> {
        let nc = node_config(&self.cfg, self.ports, self.next_hop.unwrap_or(UNKNOWN_MAC));
        let peers: Vec<PeerNode> = self.view.peers().filter_map(PeerNode::from_node).collect();
        let pods: Vec<LocalPod> = self
            .view
            .ports()
            .values()
            .filter_map(|p| self.local_pod(&p.pod))
            .collect();
        let view = self.effective_view(now);
        let (pipeline, errors) =
            NodePipeline::build(nc, self.pipeline.round(), peers, pods, &view)?;
        for e in errors {
            tracing::warn!("pod port not programmed: {e}");
        }
        self.pipeline = pipeline;
        self.pending.clear();
        self.building = false;
        Ok(view)
    }

    fn refresh_pod(&mut self, key: &PodKey) {
        let Some(pod) = self.local_pod(key) else {
            let c = self.pipeline.remove_pod(key);
            self.pending.extend(c);
            return;
        };
        match self.pipeline.upsert_pod(pod) {
            Ok(c) => self.pending.extend(c),
            Err(e) => {
                tracing::warn!(pod = %key, "pod port not programmed: {e}");
                let c = self.pipeline.remove_pod(key);
                self.pending.extend(c);
            }
        }
    }

    fn refresh_peer(&mut self, name: &str) {
        let peer = self
            .view
            .engine()
            .state()
            .nodes
            .get(name)
            .and_then(PeerNode::from_node);
        let c = match peer {
            Some(p) => self.pipeline.upsert_peer(p),
            None => self.pipeline.remove_peer(name),
        };
        self.pending.extend(c);
    }

    /// Brings the pipeline up to date with the egress state; returns the IPs gained and lost.
    /// `now` stamps the drain deadline of lost IPs.
    pub fn sync(&mut self, now: Instant) -> Transitions {
        let view = if self.building {
            // The first sync: everything at once. The caller installs with a full sync.
            self.egress_dirty = false;
            match self.build(now) {
                Ok(view) => view,
                Err(e) => {
                    tracing::error!("pipeline build failed: {e}");
                    self.effective_view(now)
                }
            }
        } else {
            if !std::mem::take(&mut self.egress_dirty) {
                return Transitions::default();
            }
            let view = self.effective_view(now);
            let changes = self.pipeline.apply_view(&view);
            self.pending.extend(changes);
            view
        };
        let owned: BTreeMap<IpAddr, Option<EgressId>> =
            view.owned_ips.iter().map(|o| (o.ip, o.egress_id)).collect();
        let mut t = Transitions::default();
        for ip in owned.keys() {
            if !self.owned.contains_key(ip) {
                t.gained.push(*ip);
            }
        }
        for (ip, id) in &self.owned {
            if !owned.contains_key(ip) {
                t.lost.push(*ip);
                self.draining.insert(*ip, (*id, now + self.cfg.drain));
            }
        }
        // An IP that comes back stops draining (its owned flows take over).
        let mut drain_changed = !t.lost.is_empty();
        for ip in owned.keys() {
            drain_changed |= self.draining.remove(ip).is_some();
        }
        self.owned = owned;
        if drain_changed {
            self.push_draining();
        }
        t
    }

    fn push_draining(&mut self) {
        let set: Vec<(IpAddr, Option<EgressId>)> = self
            .draining
            .iter()
            .map(|(ip, (id, _))| (*ip, *id))
            .collect();
        let c = self.pipeline.set_draining(set);
        self.pending.extend(c);
    }

    /// Ends the drain of every IP whose deadline has passed; true if any did.
    pub fn expire_draining(&mut self, now: Instant) -> bool {
        let before = self.draining.len();
        self.draining.retain(|_, (_, deadline)| *deadline > now);
        let expired = self.draining.len() != before;
        if expired {
            self.push_draining();
        }
        expired
    }

    /// The earliest drain or handover deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        let drain = self.draining.values().map(|(_, d)| *d).min();
        let handover = self.handover.next_deadline(self.view.gossip());
        drain.into_iter().chain(handover).min()
    }

    /// Acts on the deadlines that passed: ends drains, and re-evaluates handovers whose wait
    /// timed out.
    pub fn tick(&mut self, now: Instant) {
        self.expire_draining(now);
        if self
            .handover
            .next_deadline(self.view.gossip())
            .is_some_and(|d| d <= now)
        {
            self.egress_dirty = true;
        }
    }

    /// The egress IPs this node serves (owner flows desired), for its claims once installed.
    pub fn serving(&self) -> BTreeSet<IpAddr> {
        self.handover.serving().clone()
    }

    /// The served IPs to announce now (gratuitous ARP), after the flows are installed.
    pub fn announce_due(&mut self, now: Instant) -> Vec<Announce> {
        self.handover.announce_due(self.view.gossip(), now)
    }

    /// Forgets what was announced, so every served IP is announced again (after a switch
    /// restart: the ARP responders were gone for a while).
    pub fn reannounce(&mut self) {
        self.handover.reannounce();
    }

    /// Whether a departing node has handed every IP it can over.
    pub fn handed_over(&self) -> bool {
        self.handover.handed_over(self.view.engine().plan())
    }

    /// Handover waits that ended by timeout.
    pub fn handover_timeouts(&self) -> u64 {
        self.handover.timeouts()
    }

    /// Sets the next-hop MAC (recomputes every flow if it changed).
    pub fn set_next_hop(&mut self, mac: MacAddr) -> Result<bool, InputError> {
        if self.next_hop == Some(mac) {
            return Ok(false);
        }
        self.next_hop = Some(mac);
        self.reconfigure()?;
        Ok(true)
    }

    /// Sets the infrastructure port numbers (recomputes every flow if they changed).
    pub fn set_ports(&mut self, ports: InfraPorts) -> Result<bool, InputError> {
        if self.ports == ports {
            return Ok(false);
        }
        self.ports = ports;
        self.reconfigure()?;
        Ok(true)
    }

    fn reconfigure(&mut self) -> Result<(), InputError> {
        let nc = node_config(&self.cfg, self.ports, self.next_hop.unwrap_or(UNKNOWN_MAC));
        let c = self.pipeline.set_config(nc)?;
        self.pending.extend(c);
        Ok(())
    }

    /// The flow changes accumulated since the last call, coalesced per flow (several changes of
    /// one flow in a batch become one, and a change back to the start disappears).
    pub fn take_changes(&mut self) -> Vec<FlowChange> {
        coalesce(std::mem::take(&mut self.pending))
    }

    /// How long IPs that moved away keep draining.
    pub fn drain_time(&self) -> Duration {
        self.cfg.drain
    }

    /// Local egress IPs currently draining.
    pub fn draining(&self) -> BTreeSet<IpAddr> {
        self.draining.keys().copied().collect()
    }
}

/// Merges changes of the same flow: the first `old` and the last `new` survive; a flow whose
/// final state equals its initial state is dropped.
pub fn coalesce(changes: Vec<FlowChange>) -> Vec<FlowChange> {
    type Slot = (Option<FlowEntry>, Option<FlowEntry>);
    let mut order: Vec<(Bridge, FlowKey)> = Vec::new();
    let mut merged: HashMap<(Bridge, FlowKey), Slot> = HashMap::new();
    for c in changes {
        let id = (c.bridge, c.key);
        match merged.get_mut(&id) {
            Some(slot) => slot.1 = c.new,
            None => {
                order.push(id.clone());
                merged.insert(id, (c.old, c.new));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| {
            let (old, new) = merged.remove(&id)?;
            (old != new).then(|| FlowChange {
                bridge: id.0,
                key: id.1,
                old,
                new,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
