//! Node liveness as Kubernetes reports it, as a second opinion next to the membership layer.
//!
//! Two signals, both kept per node name:
//! - the Node's `Ready` condition (`status` and `lastTransitionTime`; the node lifecycle
//!   controller sets it `Unknown` about 40 s after the kubelet stops renewing);
//! - the kubelet's Lease in `kube-node-lease` (`spec.renewTime` + `spec.leaseDurationSeconds`,
//!   renewed every ~10 s; faster than `Ready`, which lags by the controller's grace period).
//!
//! A node is **down for Kubernetes** when `Ready` has been other than `True` for longer than
//! `grace`, or its Lease expired more than `grace` ago. The grace keeps a kubelet restart or an
//! API-server hiccup from moving egress IPs.
//!
//! How it combines with gossip (issue 7): `alive = gossip_alive − kube_down` (plus this node),
//! i.e. a node must be reachable by gossip **and** not declared dead by Kubernetes. Gossip
//! detects a dead agent in seconds; Kubernetes vetoes a node whose agent still gossips but
//! whose kubelet/node is declared failed (e.g. being drained of its pods after a NotReady). A
//! node Kubernetes says nothing about (no Node object yet, no Lease) is not vetoed. Without a
//! gossip layer, `alive = known nodes − kube_down`.
//!
//! Sans-IO: callers pass `now`; nothing here reads a clock.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::egress::model::Timestamp;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Health {
    /// `Ready` status and since when.
    ready: Option<(String, Option<Timestamp>)>,
    /// Lease expiry (`renewTime + leaseDurationSeconds`).
    lease_expiry: Option<Timestamp>,
}

/// Kubernetes' view of node health.
#[derive(Debug, Clone, Default)]
pub struct KubeLiveness {
    grace_secs: i64,
    nodes: BTreeMap<String, Health>,
}

fn ts(v: Option<&Value>) -> Option<Timestamp> {
    v.and_then(Value::as_str)
        .and_then(|s| Timestamp::parse(s).ok())
}

impl KubeLiveness {
    /// A tracker with the given grace period (seconds).
    pub fn new(grace_secs: i64) -> KubeLiveness {
        KubeLiveness {
            grace_secs,
            nodes: BTreeMap::new(),
        }
    }

    /// Records a Node object (JSON as served by the API).
    pub fn observe_node(&mut self, node: &Value) {
        let Some(name) = node.pointer("/metadata/name").and_then(Value::as_str) else {
            return;
        };
        let ready = node
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
            })
            .map(|c| {
                (
                    c.get("status")
                        .and_then(Value::as_str)
                        .unwrap_or("Unknown")
                        .to_string(),
                    ts(c.get("lastTransitionTime")),
                )
            });
        self.nodes.entry(name.to_string()).or_default().ready = ready;
    }

    /// Records a Lease (`kube-node-lease/<node>`).
    pub fn observe_lease(&mut self, lease: &Value) {
        let Some(name) = lease.pointer("/metadata/name").and_then(Value::as_str) else {
            return;
        };
        let renew = ts(lease.pointer("/spec/renewTime"));
        let duration = lease
            .pointer("/spec/leaseDurationSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(40);
        let expiry = renew.map(|r| Timestamp::from_unix(r.unix_secs().saturating_add(duration)));
        self.nodes.entry(name.to_string()).or_default().lease_expiry = expiry;
    }

    /// Forgets a deleted Node (its Lease, if any, still counts).
    pub fn forget_node(&mut self, name: &str) {
        if let Some(h) = self.nodes.get_mut(name) {
            h.ready = None;
        }
    }

    /// Forgets a deleted Lease.
    pub fn forget_lease(&mut self, name: &str) {
        if let Some(h) = self.nodes.get_mut(name) {
            h.lease_expiry = None;
        }
    }

    /// The nodes Kubernetes declares down at `now`.
    pub fn down(&self, now: Timestamp) -> BTreeSet<String> {
        let now = now.unix_secs();
        self.nodes
            .iter()
            .filter(|(_, h)| {
                let not_ready = match &h.ready {
                    Some((status, since)) if status != "True" => {
                        since.is_none_or(|t| now - t.unix_secs() > self.grace_secs)
                    }
                    _ => false,
                };
                let expired = h
                    .lease_expiry
                    .is_some_and(|e| now - e.unix_secs() > self.grace_secs);
                not_ready || expired
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The next instant (after `now`) at which [`KubeLiveness::down`] can change without a new
    /// observation, for the caller's timer.
    pub fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        let now = now.unix_secs();
        self.nodes
            .values()
            .flat_map(|h| {
                let ready = match &h.ready {
                    Some((status, Some(since))) if status != "True" => {
                        Some(since.unix_secs() + self.grace_secs + 1)
                    }
                    _ => None,
                };
                let lease = h.lease_expiry.map(|e| e.unix_secs() + self.grace_secs + 1);
                [ready, lease]
            })
            .flatten()
            .filter(|t| *t > now)
            .min()
            .map(Timestamp::from_unix)
    }
}

/// The alive set: gossip's (or every known node without gossip) minus the nodes Kubernetes
/// declares down, plus this node (which is running).
pub fn combine<'a>(
    known: impl IntoIterator<Item = &'a str>,
    gossip: Option<&BTreeSet<String>>,
    kube_down: &BTreeSet<String>,
    this_node: &str,
) -> BTreeSet<String> {
    let base: BTreeSet<String> = match gossip {
        Some(g) => g.clone(),
        None => known.into_iter().map(str::to_string).collect(),
    };
    let mut alive: BTreeSet<String> = base.difference(kube_down).cloned().collect();
    alive.insert(this_node.to_string());
    alive
}
