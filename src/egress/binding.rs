//! Which Egress applies to a pod.
//!
//! Selection (Antrea `docs/egress.md`): `appliedTo.podSelector` alone = matching pods in all
//! namespaces; `namespaceSelector` alone = all pods of matching namespaces; both = pods
//! matching both; neither = nothing. Host-network pods are never selected (they use the node's
//! own stack). A pod whose Namespace object is unknown matches no namespaceSelector.
//! Egresses with an unsupported spec (`egressIPs` / `externalIPPools`) select nothing, as if
//! the webhook had rejected them.
//!
//! One effective Egress per pod (Antrea's rule); when several select a pod, the **oldest**
//! wins: smallest (creationTimestamp, name). Antrea keeps "whichever its agent processed first",
//! which differs between agents and restarts; the oldest-first rule gives every node the same
//! answer and does not flip when a newer Egress appears. The choice ignores whether the winner
//! currently has an IP: a pod never silently switches to another Egress's IP because its own
//! Egress's pool is exhausted (its external traffic is dropped until the IP exists: fail closed,
//! see `pipeline::choice`).
//!
//! [`BindingIndex`] makes a pod lookup cost proportional to the Egresses that could match it:
//! Egresses are indexed by one `matchLabels` pair of their podSelector; only Egresses without
//! such a pair are scanned for every pod.

use std::collections::{BTreeMap, HashMap};

use crate::egress::model::{AppliedTo, Egress, Pod};
use crate::egress::plan::egress_order;
use crate::egress::selector::Labels;

/// Whether `applied_to` selects `pod` (in a namespace with `namespace_labels`, if known).
pub fn applied_to_selects(
    applied_to: &AppliedTo,
    pod: &Pod,
    namespace_labels: Option<&Labels>,
) -> bool {
    if pod.spec.host_network {
        return false;
    }
    let ns_ok = |sel: &crate::egress::selector::LabelSelector| {
        namespace_labels.is_some_and(|l| sel.matches(l))
    };
    match (&applied_to.pod_selector, &applied_to.namespace_selector) {
        (None, None) => false,
        (Some(p), None) => p.matches(&pod.metadata.labels),
        (None, Some(n)) => ns_ok(n),
        (Some(p), Some(n)) => p.matches(&pod.metadata.labels) && ns_ok(n),
    }
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    applied_to: AppliedTo,
}

/// Egresses in rank order (oldest first) with a label index for fast pod lookups.
#[derive(Debug, Clone, Default)]
pub struct BindingIndex {
    entries: Vec<Entry>,
    /// podSelector matchLabels key → value → ranks.
    by_label: HashMap<String, HashMap<String, Vec<u32>>>,
    /// Ranks that must be checked for every pod.
    scan: Vec<u32>,
}

impl BindingIndex {
    /// Indexes the selectable Egresses.
    pub fn new(egresses: &BTreeMap<String, Egress>) -> Self {
        let mut index = BindingIndex::default();
        for e in egress_order(egresses) {
            let at = &e.spec.applied_to;
            if e.spec.unsupported().is_some()
                || (at.pod_selector.is_none() && at.namespace_selector.is_none())
            {
                continue;
            }
            let rank = u32::try_from(index.entries.len()).unwrap_or(u32::MAX);
            match at
                .pod_selector
                .as_ref()
                .and_then(|p| p.match_labels().next())
            {
                Some((k, v)) => index
                    .by_label
                    .entry(k.to_string())
                    .or_default()
                    .entry(v.to_string())
                    .or_default()
                    .push(rank),
                None => index.scan.push(rank),
            }
            index.entries.push(Entry {
                name: e.name().to_string(),
                applied_to: at.clone(),
            });
        }
        index
    }

    /// The effective Egress of `pod`: the oldest selecting Egress, if any.
    pub fn effective(&self, pod: &Pod, namespace_labels: Option<&Labels>) -> Option<&str> {
        if pod.spec.host_network {
            return None;
        }
        let mut candidates: Vec<u32> = self.scan.clone();
        for (k, v) in &pod.metadata.labels {
            if let Some(ranks) = self.by_label.get(k).and_then(|m| m.get(v)) {
                candidates.extend_from_slice(ranks);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find_map(|rank| {
            let entry = self.entries.get(rank as usize)?;
            applied_to_selects(&entry.applied_to, pod, namespace_labels)
                .then_some(entry.name.as_str())
        })
    }
}
