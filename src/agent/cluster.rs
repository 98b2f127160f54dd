//! The cluster as this node sees it: every [`Input`] from every source merged into one egress
//! [`Engine`], plus the node's own pod ports and the problems sources reported.
//!
//! Merging rules (documented because every agent must apply the same ones):
//! - **Pods.** A pod's labels come from the cluster source (manifest / API); where it runs and
//!   its addresses come from OVSDB when it has a port on this node (the CNI is the truth for
//!   local pods: the data path uses exactly those addresses). A local port without a Pod object
//!   is a pod without labels (default SNAT). Other nodes' pods matter only for status.
//! - **Nodes.** From the source; this node is synthesised from the configuration when the source
//!   does not list it, and gets the configured transport IP / pod CIDR when the source omits
//!   them, so an agent always knows itself.
//! - **Liveness.** Until a membership layer reports ([`Input::Alive`], [`Input::Membership`]), a
//!   node is alive unless its `Ready` condition says otherwise; this node is always alive (it is
//!   running). Once membership reports, its set is used as is (plus this node, unless it
//!   announced its departure: then the others take its IPs over). Nodes Kubernetes declares
//!   failed ([`Input::KubeDown`]) are taken out of either set (never this node).
//!
//! Sans-IO: no clock, no sockets; the runtime feeds inputs and reads views.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::egress::engine::{Change, Engine};
use crate::egress::model::{Node, NodeAddress, Object, ObjectMeta, Pod, PodIp, PodKey};
use crate::egress::state::{ClusterState, NodeView};

use super::config::AgentConfig;
use super::membership::MembershipReport;
use super::source::{Input, Kind, ObjectRef, PodPort, SourceError};

/// What one input changed, for the runtime to act on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Local pod ports added, changed or removed (pod keys).
    pub ports: BTreeSet<PodKey>,
    /// Nodes (other than this one) added, changed or removed.
    pub peers: BTreeSet<String>,
    /// The egress domain's derived state changed (bindings or the IP plan).
    pub egress: bool,
    /// Something reported in the status changed (outcomes, source errors, liveness).
    pub status: bool,
}

impl Effects {
    fn merge(&mut self, other: Effects) {
        self.ports.extend(other.ports);
        self.peers.extend(other.peers);
        self.egress |= other.egress;
        self.status |= other.status;
    }

    fn from_change(change: &Change) -> Effects {
        Effects {
            egress: !change.is_empty(),
            status: !change.egresses.is_empty(),
            ..Effects::default()
        }
    }
}

/// The merged view.
#[derive(Debug)]
pub struct ClusterView {
    node: String,
    config_node: Node,
    engine: Engine,
    source_pods: BTreeMap<PodKey, Pod>,
    source_nodes: BTreeMap<String, Node>,
    ports: BTreeMap<String, PodPort>,
    port_of_pod: BTreeMap<PodKey, String>,
    membership: Option<BTreeSet<String>>,
    gossip: Option<MembershipReport>,
    kube_down: BTreeSet<String>,
    errors: BTreeMap<&'static str, Vec<SourceError>>,
    synced: BTreeSet<&'static str>,
}

impl ClusterView {
    /// An empty view for the node `cfg` describes (which is alive and known from the start).
    pub fn new(cfg: &AgentConfig) -> ClusterView {
        let mut config_node = Node {
            metadata: ObjectMeta::named(&cfg.node_name),
            ..Node::default()
        };
        config_node.spec.pod_cidr = Some(cfg.pod_cidr);
        config_node.status.addresses.push(NodeAddress {
            type_: "InternalIP".into(),
            address: IpAddr::V4(cfg.transport_ip.ip()),
        });
        let mut view = ClusterView {
            node: cfg.node_name.clone(),
            config_node,
            engine: Engine::new(ClusterState::new(cfg.election)),
            source_pods: BTreeMap::new(),
            source_nodes: BTreeMap::new(),
            ports: BTreeMap::new(),
            port_of_pod: BTreeMap::new(),
            membership: None,
            gossip: None,
            kube_down: BTreeSet::new(),
            errors: BTreeMap::new(),
            synced: BTreeSet::new(),
        };
        view.refresh_node(&cfg.node_name.clone());
        view
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The egress engine (state and derived state).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// What this node must program.
    pub fn node_view(&self) -> NodeView {
        self.engine.node_view(&self.node)
    }

    /// The local pod ports, by interface name.
    pub fn ports(&self) -> &BTreeMap<String, PodPort> {
        &self.ports
    }

    /// The port of a local pod.
    pub fn port_of(&self, pod: &PodKey) -> Option<&PodPort> {
        self.port_of_pod.get(pod).and_then(|i| self.ports.get(i))
    }

    /// The other nodes, as merged (by name).
    pub fn peers(&self) -> impl Iterator<Item = &Node> {
        self.engine
            .state()
            .nodes
            .values()
            .filter(move |n| n.name() != self.node)
    }

    /// The nodes considered alive.
    pub fn alive(&self) -> &BTreeSet<String> {
        &self.engine.state().alive
    }

    /// Every problem the sources currently report, sorted.
    pub fn source_errors(&self) -> Vec<&SourceError> {
        let mut all: Vec<&SourceError> = self.errors.values().flatten().collect();
        all.sort();
        all
    }

    /// The latest gossip membership snapshot, when membership runs.
    pub fn gossip(&self) -> Option<&MembershipReport> {
        self.gossip.as_ref()
    }

    /// Whether the source `name` has delivered its first full snapshot.
    pub fn is_synced(&self, name: &str) -> bool {
        self.synced.contains(name)
    }

    /// Applies one input.
    pub fn apply(&mut self, input: Input) -> Effects {
        match input {
            Input::Upsert(object) => self.upsert(*object),
            Input::Delete(r) => self.delete(&r),
            Input::SourceErrors { source, errors } => {
                let changed = self.errors.get(source) != Some(&errors);
                self.errors.insert(source, errors);
                Effects {
                    status: changed,
                    ..Effects::default()
                }
            }
            Input::SourceSynced(source) => {
                self.synced.insert(source);
                Effects::default()
            }
            Input::PortUp(port) => self.port_up(port),
            Input::PortDown(iface) => self.port_down(&iface),
            Input::Alive(set) => {
                self.membership = Some(set);
                let mut e = self.refresh_alive();
                e.status = true;
                e
            }
            Input::KubeDown(set) => {
                if set == self.kube_down {
                    return Effects::default();
                }
                self.kube_down = set;
                let mut e = self.refresh_alive();
                e.status = true;
                e
            }
            Input::Membership(report) => {
                self.membership = Some(report.alive.clone());
                self.gossip = Some(*report);
                self.synced.insert(super::source::MEMBERSHIP);
                let mut e = self.refresh_alive();
                // Claims and isolation matter to the handover even when the alive set stays.
                e.egress = true;
                e.status = true;
                e
            }
        }
    }

    fn upsert(&mut self, object: Object) -> Effects {
        match object {
            Object::Pod(p) => {
                let key = p.key();
                self.source_pods.insert(key.clone(), p);
                self.refresh_pod(&key)
            }
            Object::Node(n) => {
                let name = n.name().to_string();
                self.source_nodes.insert(name.clone(), n);
                self.refresh_node(&name)
            }
            other => Effects::from_change(&self.engine.apply(other)),
        }
    }

    fn delete(&mut self, r: &ObjectRef) -> Effects {
        let change = match r.kind {
            Kind::Pod => {
                let key = PodKey::new(&r.namespace, &r.name);
                self.source_pods.remove(&key);
                return self.refresh_pod(&key);
            }
            Kind::Node => {
                self.source_nodes.remove(&r.name);
                return self.refresh_node(&r.name);
            }
            Kind::Namespace => self.engine.remove_namespace(&r.name),
            Kind::Egress => self.engine.remove_egress(&r.name),
            Kind::ExternalIPPool => self.engine.remove_pool(&r.name),
        };
        Effects::from_change(&change)
    }

    fn port_up(&mut self, port: PodPort) -> Effects {
        let mut effects = Effects::default();
        if self.ports.get(&port.interface) == Some(&port) {
            return effects;
        }
        // A port renamed to another pod: the old pod loses its port.
        if let Some(old) = self.ports.get(&port.interface) {
            if old.pod != port.pod {
                let old_key = old.pod.clone();
                self.port_of_pod.remove(&old_key);
                effects.ports.insert(old_key.clone());
                self.ports.remove(&port.interface);
                effects.merge(self.refresh_pod(&old_key));
            }
        }
        let key = port.pod.clone();
        self.port_of_pod.insert(key.clone(), port.interface.clone());
        self.ports.insert(port.interface.clone(), port);
        effects.ports.insert(key.clone());
        effects.merge(self.refresh_pod(&key));
        effects
    }

    fn port_down(&mut self, iface: &str) -> Effects {
        let Some(port) = self.ports.remove(iface) else {
            return Effects::default();
        };
        if self.port_of_pod.get(&port.pod).map(String::as_str) == Some(iface) {
            self.port_of_pod.remove(&port.pod);
        }
        let mut effects = self.refresh_pod(&port.pod);
        effects.ports.insert(port.pod);
        effects
    }

    /// The pod the engine should see for `key` (see the module docs), if any.
    fn effective_pod(&self, key: &PodKey) -> Option<Pod> {
        let source = self.source_pods.get(key);
        let Some(port) = self.port_of(key) else {
            return source.cloned();
        };
        let mut pod = source.cloned().unwrap_or_else(|| Pod {
            metadata: ObjectMeta {
                namespace: Some(key.namespace.clone()),
                ..ObjectMeta::named(&key.name)
            },
            ..Pod::default()
        });
        pod.spec.node_name = Some(self.node.clone());
        if !port.ips.is_empty() {
            pod.status.pod_ip = port.ips.first().copied();
            pod.status.pod_ips = port.ips.iter().map(|ip| PodIp { ip: *ip }).collect();
        }
        Some(pod)
    }

    fn refresh_pod(&mut self, key: &PodKey) -> Effects {
        let change = match self.effective_pod(key) {
            Some(pod) => self.engine.upsert_pod(pod),
            None => self.engine.remove_pod(key),
        };
        Effects::from_change(&change)
    }

    /// The node the engine should see for `name`, if any.
    fn effective_node(&self, name: &str) -> Option<Node> {
        let source = self.source_nodes.get(name);
        if name != self.node {
            return source.cloned();
        }
        let mut node = source.cloned().unwrap_or_else(|| self.config_node.clone());
        if node.internal_ip().is_none() {
            node.status
                .addresses
                .extend(self.config_node.status.addresses.iter().cloned());
        }
        if node.pod_cidrs().is_empty() {
            node.spec.pod_cidr = self.config_node.spec.pod_cidr;
        }
        Some(node)
    }

    fn refresh_node(&mut self, name: &str) -> Effects {
        let change = match self.effective_node(name) {
            Some(node) => self.engine.upsert_node(node),
            None => self.engine.remove_node(name),
        };
        let mut effects = Effects::from_change(&change);
        if name != self.node {
            effects.peers.insert(name.to_string());
        }
        effects.merge(self.refresh_alive());
        effects
    }

    fn refresh_alive(&mut self) -> Effects {
        let mut alive: BTreeSet<String> = match &self.membership {
            Some(set) => set.clone(),
            None => self
                .engine
                .state()
                .nodes
                .values()
                .filter(|n| !reported_not_ready(n))
                .map(|n| n.name().to_string())
                .collect(),
        };
        // Kubernetes vetoes nodes it declares failed (k8s::liveness::combine's rule): a node
        // must answer gossip *and* not be failed for Kubernetes.
        alive.retain(|n| !self.kube_down.contains(n));
        // This node is alive (it runs), unless it announced its departure.
        if !self.gossip.as_ref().is_some_and(|g| g.departing) {
            alive.insert(self.node.clone());
        }
        let change = self.engine.set_alive(alive);
        Effects::from_change(&change)
    }
}

/// A node whose `Ready` condition exists and is not `True`.
fn reported_not_ready(n: &Node) -> bool {
    n.status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status != "True")
}

#[cfg(test)]
mod tests;
