//! Incremental upkeep of [`Computed`]: each change touches only what can depend on it.
//!
//! Dependencies:
//! - the IP plan (allocation, election, ids) depends on Egresses, pools, nodes and liveness;
//!   a change to any of them recomputes the plan (cheap: O(E log E), like Antrea's scheduler
//!   which also reschedules everything on any change);
//! - a pod's binding depends on that pod, its namespace's labels and the Egresses' appliedTo:
//!   a pod change rebinds one pod, a namespace change rebinds that namespace's pods, an Egress
//!   change rebinds the pods bound to it or selected by it.
//!
//! Invariant (tested): after any sequence of changes, `engine.computed() == compute(engine.state())`.

use std::collections::{BTreeMap, BTreeSet};

use crate::egress::binding::{applied_to_selects, BindingIndex};
use crate::egress::model::{Egress, ExternalIPPool, Namespace, Node, Object, Pod, PodKey};
use crate::egress::plan::{plan_ips, IpPlan};
use crate::egress::state::{compute, node_view, ClusterState, Computed, NodeView};

/// What a change did to the derived state (for the pipeline / reconciler to act on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Pods whose effective Egress changed (added, removed or switched).
    pub pods: BTreeSet<PodKey>,
    /// Egresses whose outcome (IP, owner, id, conditions) changed or that disappeared.
    pub egresses: BTreeSet<String>,
}

impl Change {
    /// Whether nothing derived changed.
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty() && self.egresses.is_empty()
    }
}

/// The cluster state plus its derived state, kept in step.
#[derive(Debug, Clone)]
pub struct Engine {
    state: ClusterState,
    computed: Computed,
    index: BindingIndex,
    pods_by_node: BTreeMap<String, BTreeSet<PodKey>>,
}

impl Engine {
    /// Computes everything once.
    pub fn new(state: ClusterState) -> Self {
        let computed = compute(&state);
        let index = BindingIndex::new(&state.egresses);
        let mut pods_by_node: BTreeMap<String, BTreeSet<PodKey>> = BTreeMap::new();
        for (key, pod) in &state.pods {
            if let Some(node) = &pod.spec.node_name {
                pods_by_node
                    .entry(node.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        Engine {
            state,
            computed,
            index,
            pods_by_node,
        }
    }

    /// The inputs.
    pub fn state(&self) -> &ClusterState {
        &self.state
    }

    /// The derived state.
    pub fn computed(&self) -> &Computed {
        &self.computed
    }

    /// The IP plan.
    pub fn plan(&self) -> &IpPlan {
        &self.computed.plan
    }

    /// What `node` must program (cost proportional to its pods and the IPs).
    pub fn node_view(&self, node: &str) -> NodeView {
        let empty = BTreeSet::new();
        let local = self.pods_by_node.get(node).unwrap_or(&empty);
        node_view(
            &self.state,
            &self.computed.plan,
            &self.computed.pod_egress,
            node,
            local.iter(),
        )
    }

    /// Inserts or replaces any object.
    pub fn apply(&mut self, object: Object) -> Change {
        match object {
            Object::Pod(p) => self.upsert_pod(p),
            Object::Namespace(n) => self.upsert_namespace(n),
            Object::Node(n) => self.upsert_node(n),
            Object::Egress(e) => self.upsert_egress(e),
            Object::ExternalIPPool(p) => self.upsert_pool(p),
        }
    }

    /// Adds or updates a pod: rebinds that pod only.
    pub fn upsert_pod(&mut self, pod: Pod) -> Change {
        let key = pod.key();
        if let Some(old) = self.state.pods.get(&key) {
            if old == &pod {
                return Change::default();
            }
            self.unindex_node(&key, old.spec.node_name.clone());
        }
        if let Some(node) = &pod.spec.node_name {
            self.pods_by_node
                .entry(node.clone())
                .or_default()
                .insert(key.clone());
        }
        self.state.pods.insert(key.clone(), pod);
        let mut change = Change::default();
        self.rebind(&key, &mut change);
        change
    }

    /// Removes a pod.
    pub fn remove_pod(&mut self, key: &PodKey) -> Change {
        let mut change = Change::default();
        if let Some(old) = self.state.pods.remove(key) {
            self.unindex_node(key, old.spec.node_name);
            if self.computed.pod_egress.remove(key).is_some() {
                change.pods.insert(key.clone());
            }
        }
        change
    }

    /// Adds or updates a namespace: rebinds the pods in it.
    pub fn upsert_namespace(&mut self, ns: Namespace) -> Change {
        let name = ns.metadata.name.clone();
        if self.state.namespaces.get(&name) == Some(&ns) {
            return Change::default();
        }
        self.state.namespaces.insert(name.clone(), ns);
        self.rebind_namespace(&name)
    }

    /// Removes a namespace.
    pub fn remove_namespace(&mut self, name: &str) -> Change {
        if self.state.namespaces.remove(name).is_none() {
            return Change::default();
        }
        self.rebind_namespace(name)
    }

    /// Adds or updates a node: replans only if something the plan reads changed.
    pub fn upsert_node(&mut self, node: Node) -> Change {
        let name = node.metadata.name.clone();
        let relevant = |n: &Node| {
            (
                n.metadata.labels.clone(),
                n.max_egress_ips_annotation(),
                n.status.addresses.clone(),
            )
        };
        let replan = self
            .state
            .nodes
            .get(&name)
            .is_none_or(|old| relevant(old) != relevant(&node));
        self.state.nodes.insert(name, node);
        if replan {
            self.replan()
        } else {
            Change::default()
        }
    }

    /// Removes a node.
    pub fn remove_node(&mut self, name: &str) -> Change {
        if self.state.nodes.remove(name).is_none() {
            return Change::default();
        }
        self.replan()
    }

    /// Adds or updates an Egress: replans and rebinds the pods it selected or selects.
    pub fn upsert_egress(&mut self, egress: Egress) -> Change {
        let name = egress.metadata.name.clone();
        if self.state.egresses.get(&name) == Some(&egress) {
            return Change::default();
        }
        self.state.egresses.insert(name.clone(), egress);
        self.egress_changed(&name)
    }

    /// Removes an Egress.
    pub fn remove_egress(&mut self, name: &str) -> Change {
        if self.state.egresses.remove(name).is_none() {
            return Change::default();
        }
        self.egress_changed(name)
    }

    /// Adds or updates a pool: replans.
    pub fn upsert_pool(&mut self, pool: ExternalIPPool) -> Change {
        let name = pool.metadata.name.clone();
        if self.state.pools.get(&name) == Some(&pool) {
            return Change::default();
        }
        self.state.pools.insert(name, pool);
        self.replan()
    }

    /// Removes a pool.
    pub fn remove_pool(&mut self, name: &str) -> Change {
        if self.state.pools.remove(name).is_none() {
            return Change::default();
        }
        self.replan()
    }

    /// Replaces the alive set (from the membership layer): replans if it changed.
    pub fn set_alive(&mut self, alive: BTreeSet<String>) -> Change {
        if self.state.alive == alive {
            return Change::default();
        }
        self.state.alive = alive;
        self.replan()
    }

    fn unindex_node(&mut self, key: &PodKey, node: Option<String>) {
        if let Some(node) = node {
            if let Some(set) = self.pods_by_node.get_mut(&node) {
                set.remove(key);
                if set.is_empty() {
                    self.pods_by_node.remove(&node);
                }
            }
        }
    }

    fn rebind(&mut self, key: &PodKey, change: &mut Change) {
        let new = self.state.pods.get(key).and_then(|pod| {
            let ns = self.state.namespace_labels(&key.namespace);
            self.index.effective(pod, ns).map(str::to_string)
        });
        if self.computed.pod_egress.get(key) == new.as_ref() {
            return;
        }
        match new {
            Some(n) => self.computed.pod_egress.insert(key.clone(), n),
            None => self.computed.pod_egress.remove(key),
        };
        change.pods.insert(key.clone());
    }

    fn rebind_namespace(&mut self, namespace: &str) -> Change {
        let start = PodKey::new(namespace, "");
        let keys: Vec<PodKey> = self
            .state
            .pods
            .range(start..)
            .take_while(|(k, _)| k.namespace == namespace)
            .map(|(k, _)| k.clone())
            .collect();
        let mut change = Change::default();
        for key in keys {
            self.rebind(&key, &mut change);
        }
        change
    }

    fn replan(&mut self) -> Change {
        let plan = plan_ips(
            &self.state.egresses,
            &self.state.pools,
            &self.state.nodes,
            &self.state.alive,
            self.state.config,
        );
        let old = std::mem::replace(&mut self.computed.plan, plan);
        let new = &self.computed.plan;
        let mut change = Change::default();
        for (name, outcome) in &new.egresses {
            if old.egresses.get(name) != Some(outcome) {
                change.egresses.insert(name.clone());
            }
        }
        for name in old.egresses.keys() {
            if !new.egresses.contains_key(name) {
                change.egresses.insert(name.clone());
            }
        }
        change
    }

    /// Only pods bound to the Egress before, or selected by it now, can change binding: for
    /// any other pod the set of selecting Egresses differs at most by this Egress, which was not
    /// its winner, and the relative order of the other Egresses is unchanged.
    fn egress_changed(&mut self, name: &str) -> Change {
        let mut change = self.replan();
        self.index = BindingIndex::new(&self.state.egresses);
        let mut affected: BTreeSet<PodKey> = self
            .computed
            .pod_egress
            .iter()
            .filter(|(_, e)| e.as_str() == name)
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(egress) = self.state.egresses.get(name) {
            if egress.spec.unsupported().is_none() {
                let at = &egress.spec.applied_to;
                for (key, pod) in &self.state.pods {
                    let ns = self.state.namespace_labels(&key.namespace);
                    if applied_to_selects(at, pod, ns) {
                        affected.insert(key.clone());
                    }
                }
            }
        }
        for key in affected {
            self.rebind(&key, &mut change);
        }
        change
    }
}
