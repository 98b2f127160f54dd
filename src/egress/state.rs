//! The whole cluster as plain data ([`ClusterState`]) and the pure function [`compute`] that
//! derives, for every Egress, its effective IP, owner, egress id and conditions, and for every
//! pod its effective Egress; plus the per-node view ([`NodeView`]) the pipeline consumes.
//!
//! Invariant: [`compute`] depends only on the contents of the state (maps are sorted, every
//! pass has an explicit order), so every agent with the same inputs gets the same answer.
//! [`crate::egress::engine::Engine`] keeps the same result up to date incrementally; tests check
//! that both agree.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::egress::binding::BindingIndex;
use crate::egress::egress_id::EgressId;
use crate::egress::election::ElectionConfig;
use crate::egress::model::{Egress, ExternalIPPool, Namespace, Node, Object, Pod, PodKey};
use crate::egress::plan::{plan_ips, IpPlan};

/// Every object the egress domain looks at, keyed by name, plus the membership view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterState {
    /// Namespaces by name.
    pub namespaces: BTreeMap<String, Namespace>,
    /// Pods by (namespace, name).
    pub pods: BTreeMap<PodKey, Pod>,
    /// Nodes by name.
    pub nodes: BTreeMap<String, Node>,
    /// Egresses by name.
    pub egresses: BTreeMap<String, Egress>,
    /// ExternalIPPools by name.
    pub pools: BTreeMap<String, ExternalIPPool>,
    /// Nodes the membership layer considers alive (only these can own IPs).
    pub alive: BTreeSet<String>,
    /// Cluster-wide election settings.
    pub config: ElectionConfig,
}

impl ClusterState {
    /// An empty state with the given election settings.
    pub fn new(config: ElectionConfig) -> Self {
        ClusterState {
            config,
            ..Self::default()
        }
    }

    /// Builds a state from loaded objects (later objects replace earlier ones with the same key).
    pub fn from_objects(objects: impl IntoIterator<Item = Object>, config: ElectionConfig) -> Self {
        let mut state = Self::new(config);
        for o in objects {
            state.insert(o);
        }
        state
    }

    /// Inserts or replaces an object.
    pub fn insert(&mut self, object: Object) {
        match object {
            Object::Pod(p) => {
                self.pods.insert(p.key(), p);
            }
            Object::Namespace(n) => {
                self.namespaces.insert(n.metadata.name.clone(), n);
            }
            Object::Node(n) => {
                self.nodes.insert(n.metadata.name.clone(), n);
            }
            Object::Egress(e) => {
                self.egresses.insert(e.metadata.name.clone(), e);
            }
            Object::ExternalIPPool(p) => {
                self.pools.insert(p.metadata.name.clone(), p);
            }
        }
    }

    /// Liveness from the nodes' `Ready` condition (for setups without a membership layer).
    pub fn ready_nodes(&self) -> BTreeSet<String> {
        self.nodes
            .values()
            .filter(|n| n.is_ready())
            .map(|n| n.name().to_string())
            .collect()
    }

    /// Labels of a pod's namespace, if the Namespace is known.
    pub fn namespace_labels(&self, namespace: &str) -> Option<&crate::egress::model::Labels> {
        self.namespaces.get(namespace).map(|n| n.labels())
    }
}

/// Everything derived from a [`ClusterState`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Computed {
    /// Per Egress / IP / pool decisions.
    pub plan: IpPlan,
    /// Effective Egress name of every selected pod.
    pub pod_egress: BTreeMap<PodKey, String>,
}

/// Computes everything from scratch.
pub fn compute(state: &ClusterState) -> Computed {
    let plan = plan_ips(
        &state.egresses,
        &state.pools,
        &state.nodes,
        &state.alive,
        state.config,
    );
    let index = BindingIndex::new(&state.egresses);
    let pod_egress = state
        .pods
        .iter()
        .filter_map(|(key, pod)| {
            let ns = state.namespace_labels(&key.namespace);
            Some((key.clone(), index.effective(pod, ns)?.to_string()))
        })
        .collect();
    Computed { plan, pod_egress }
}

/// How one local pod's traffic leaves the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEgress {
    /// The pod.
    pub pod: PodKey,
    /// Its IPs.
    pub pod_ips: Vec<IpAddr>,
    /// Its effective Egress.
    pub egress: String,
    /// The Egress's IP (`None`: not allocated → the pipeline drops the pod's external traffic,
    /// fail closed, see `pipeline::choice`).
    pub egress_ip: Option<IpAddr>,
    /// Tunnel key of the IP.
    pub egress_id: Option<EgressId>,
    /// Node that owns the IP (`None`: nobody → dropped, fail closed, see `pipeline::choice`).
    pub owner: Option<String>,
    /// The owner's transport (InternalIP) address: the tunnel destination.
    pub owner_ip: Option<IpAddr>,
    /// Whether this node is the owner (SNAT here instead of tunnelling).
    pub owned_here: bool,
}

/// An egress IP this node owns: it SNATs for it and answers ARP for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedIp {
    /// The egress IP.
    pub ip: IpAddr,
    /// Its tunnel key.
    pub egress_id: Option<EgressId>,
    /// Egresses using it.
    pub egresses: Vec<String>,
}

/// What one node needs to program: its selected pods and the IPs it owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeView {
    /// Local pods that have an effective Egress, sorted by pod key.
    pub pods: Vec<PodEgress>,
    /// Egress IPs owned by this node, sorted by IP.
    pub owned_ips: Vec<OwnedIp>,
}

/// Builds the view of `node` from the state, the plan, the bindings and the node's pods.
pub fn node_view<'a>(
    state: &ClusterState,
    plan: &IpPlan,
    pod_egress: &BTreeMap<PodKey, String>,
    node: &str,
    local_pods: impl Iterator<Item = &'a PodKey>,
) -> NodeView {
    let pods = local_pods
        .filter_map(|key| {
            let egress = pod_egress.get(key)?;
            let pod = state.pods.get(key)?;
            let outcome = plan.egresses.get(egress);
            let owner = outcome.and_then(|o| o.owner.clone());
            let owner_ip = owner
                .as_deref()
                .and_then(|o| state.nodes.get(o))
                .and_then(Node::internal_ip);
            Some(PodEgress {
                pod: key.clone(),
                pod_ips: pod.ips(),
                egress: egress.clone(),
                egress_ip: outcome.and_then(|o| o.ip),
                egress_id: outcome.and_then(|o| o.egress_id),
                owned_here: owner.as_deref() == Some(node),
                owner,
                owner_ip,
            })
        })
        .collect();
    let owned_ips = plan
        .ips
        .iter()
        .filter(|(_, o)| o.owner.as_deref() == Some(node))
        .map(|(ip, o)| OwnedIp {
            ip: *ip,
            egress_id: o.egress_id,
            egresses: o.egresses.clone(),
        })
        .collect();
    NodeView { pods, owned_ips }
}

impl Computed {
    /// The view of one node (scans all pods; the engine keeps a per-node index instead).
    pub fn node_view(&self, state: &ClusterState, node: &str) -> NodeView {
        let local = state
            .pods
            .iter()
            .filter(|(_, p)| p.spec.node_name.as_deref() == Some(node))
            .map(|(k, _)| k);
        node_view(state, &self.plan, &self.pod_egress, node, local)
    }
}
