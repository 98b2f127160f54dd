//! Egress status as this node computes it, in the log and in a status file.
//!
//! File layout: one file per node, `<statusDir>/<node>.yaml` (default statusDir is
//! `<manifestDir>/status`, which the manifest source skips). Several agents sharing a manifest
//! directory therefore never write the same file, and each file is replaced atomically (write a
//! temporary file, then rename), so a reader never sees half of one. Every agent computes the
//! same status for every Egress (the domain is deterministic); `ownedHere` and the node's own
//! sections differ. The fields of each Egress are Antrea's `Egress.status` (`egressNode`,
//! `egressIP`, `conditions` with `IPAllocated` / `IPAssigned`), so the Kubernetes source
//! (issue 8) can write the same thing into the API.
//!
//! A condition's `lastTransitionTime` is kept while its status stays the same.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::egress::conditions::EgressCondition;
use crate::egress::model::{IpPoolUsage, StatusCondition, Timestamp};
use crate::egress::pool::AllocationError;

use super::cluster::ClusterView;
use super::source::{Kind, SourceError};

/// One Egress, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressReport {
    /// The Egress.
    pub name: String,
    /// The effective IP (when a node holds it).
    #[serde(rename = "egressIP", default, skip_serializing_if = "Option::is_none")]
    pub egress_ip: Option<String>,
    /// The node holding the IP.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub egress_node: String,
    /// Whether this node holds it.
    pub owned_here: bool,
    /// `IPAllocated` and `IPAssigned`.
    pub conditions: Vec<StatusCondition>,
}

/// How one local pod's traffic to outside the cluster leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodReport {
    /// `namespace/name`.
    pub pod: String,
    /// Its OVS interface.
    pub interface: String,
    /// Its addresses.
    pub ips: Vec<String>,
    /// The Egress that applies to it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<String>,
    /// The source address its traffic leaves with (the node's own for the default path).
    #[serde(rename = "sourceIP", default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// The node that SNATs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_node: Option<String>,
    /// `default` (node IP), `local` (egress IP held here), `tunnel` (to the holder) or
    /// `blocked` (selected, but the Egress has no usable IP: dropped, see the Egress status).
    pub path: String,
}

/// A manifest (or other source input) that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidInput {
    /// File (or API path).
    pub origin: String,
    /// The object concerned, when known (`Kind name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The whole status file of one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    /// The node writing it.
    pub node: String,
    /// When it was written.
    pub updated: Timestamp,
    /// The agent's cookie round.
    pub round: u16,
    /// Whether the node's flows match the current state.
    pub converged: bool,
    /// The nodes considered alive.
    pub alive_nodes: Vec<String>,
    /// The egress IPs this node holds.
    #[serde(rename = "ownedIPs")]
    pub owned_ips: Vec<String>,
    /// This node's pods (those with a port) and how their traffic leaves the cluster.
    pub pods: Vec<PodReport>,
    /// Every Egress, by name.
    pub egresses: Vec<EgressReport>,
    /// Pool usage, by name.
    pub pools: BTreeMap<String, IpPoolUsage>,
    /// Inputs that were rejected.
    pub invalid: Vec<InvalidInput>,
    /// Every egress IP: its elected node and whether this node serves it (issue 7).
    #[serde(rename = "egressIPs", default, skip_serializing_if = "Vec::is_empty")]
    pub egress_ips: Vec<EgressIpReport>,
    /// The egress IPs this node serves (owner flows installed), including one it keeps while
    /// handing it over; equals `ownedIPs` outside handovers.
    #[serde(rename = "servedIPs", default, skip_serializing_if = "Vec::is_empty")]
    pub served_ips: Vec<String>,
    /// Gossip membership, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<MembershipStatus>,
    /// Node-level conditions (`MembershipIsolated`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<StatusCondition>,
}

/// One egress IP in the node report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressIpReport {
    /// The IP.
    pub ip: String,
    /// The node elected for it (empty: none eligible).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub egress_node: String,
    /// Whether this node serves it (SNAT, ARP responder).
    pub served_here: bool,
}

/// Gossip membership as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipStatus {
    /// Every known peer's gossip state.
    pub members: BTreeMap<String, super::membership::MemberState>,
    /// Lost contact with every peer.
    pub isolated: bool,
    /// The alive set is frozen (isolated in a cluster of three or more).
    pub frozen: bool,
    /// This node announced its departure.
    pub departing: bool,
    /// Egress IPs other live nodes serve, by node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub claims: BTreeMap<String, Vec<String>>,
}

/// The current time as a [`Timestamp`].
pub fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The message of a condition, with the source's own error appended when the cause is an
/// object the source rejected (an Egress whose pool did not load says why the pool did not).
fn explain(cond: &EgressCondition, errors: &[&SourceError]) -> String {
    let mut message = cond.message();
    if let EgressCondition::AllocationFailed(AllocationError::PoolNotFound(pool)) = cond {
        let rejected = errors.iter().find(|e| {
            e.object
                .as_ref()
                .is_some_and(|o| o.kind == Kind::ExternalIPPool && &o.name == pool)
        });
        if let Some(e) = rejected {
            message = format!(
                "{message} (the ExternalIPPool in {} is invalid: {})",
                e.origin, e.message
            );
        }
    }
    message
}

/// Builds reports and remembers condition transition times and what was last logged.
#[derive(Debug, Default)]
pub struct StatusBook {
    transitions: BTreeMap<(String, String), (String, Timestamp)>,
    logged: BTreeMap<String, String>,
}

impl StatusBook {
    /// A book with no history.
    pub fn new() -> StatusBook {
        StatusBook::default()
    }

    /// The report for `view` at time `at`, logging every Egress whose outcome changed since the
    /// last call.
    pub fn report(
        &mut self,
        view: &ClusterView,
        round: u16,
        converged: bool,
        at: Timestamp,
    ) -> NodeReport {
        let node = view.node();
        let errors = view.source_errors();
        let plan = view.engine().plan();
        let mut egresses = Vec::with_capacity(plan.egresses.len());
        let mut seen = Vec::with_capacity(plan.egresses.len());
        for (name, outcome) in &plan.egresses {
            let status = outcome.status();
            let conditions: Vec<StatusCondition> = outcome
                .conditions
                .iter()
                .zip(status.conditions)
                .map(|(typed, mut c)| {
                    c.message = explain(typed, &errors);
                    let key = (name.clone(), c.type_.clone());
                    let time = match self.transitions.get(&key) {
                        Some((s, t)) if *s == c.status => *t,
                        _ => at,
                    };
                    self.transitions.insert(key, (c.status.clone(), time));
                    c.last_transition_time = Some(time);
                    c
                })
                .collect();
            let report = EgressReport {
                name: name.clone(),
                egress_ip: status.egress_ip.map(|ip| ip.to_string()),
                egress_node: status.egress_node,
                owned_here: outcome.owner.as_deref() == Some(node),
                conditions,
            };
            self.log_if_changed(&report);
            seen.push(name.clone());
            egresses.push(report);
        }
        self.transitions.retain(|(name, _), _| seen.contains(name));
        self.logged.retain(|name, _| {
            let keep = seen.contains(name);
            if !keep {
                tracing::info!(egress = %name, "egress removed");
            }
            keep
        });
        let owned_ips: Vec<IpAddr> = plan
            .ips
            .iter()
            .filter(|(_, o)| o.owner.as_deref() == Some(node))
            .map(|(ip, _)| *ip)
            .collect();
        NodeReport {
            node: node.to_string(),
            updated: at,
            round,
            converged,
            alive_nodes: view.alive().iter().cloned().collect(),
            owned_ips: owned_ips.iter().map(ToString::to_string).collect(),
            pods: pod_reports(view),
            egresses,
            pools: plan.pools.clone(),
            invalid: errors
                .iter()
                .map(|e| InvalidInput {
                    origin: e.origin.clone(),
                    object: e.object.as_ref().map(ToString::to_string),
                    message: e.message.clone(),
                })
                .collect(),
            egress_ips: Vec::new(),
            served_ips: Vec::new(),
            membership: None,
            conditions: Vec::new(),
        }
    }

    fn log_if_changed(&mut self, r: &EgressReport) {
        let conditions: Vec<String> = r
            .conditions
            .iter()
            .map(|c| {
                if c.status == "True" {
                    format!("{}=True", c.type_)
                } else {
                    format!("{}={} ({})", c.type_, c.status, c.message)
                }
            })
            .collect();
        let line = format!(
            "ip={} node={} {}",
            r.egress_ip.as_deref().unwrap_or("-"),
            if r.egress_node.is_empty() {
                "-"
            } else {
                &r.egress_node
            },
            conditions.join(" "),
        );
        if self.logged.get(&r.name) != Some(&line) {
            let failed = r.conditions.iter().any(|c| c.status != "True");
            if failed {
                tracing::warn!(egress = %r.name, "egress status: {line}");
            } else {
                tracing::info!(egress = %r.name, "egress status: {line}");
            }
            self.logged.insert(r.name.clone(), line);
        }
    }
}

/// The local pods' paths out of the cluster.
fn pod_reports(view: &ClusterView) -> Vec<PodReport> {
    let node_view = view.node_view();
    let node_ip = view
        .engine()
        .state()
        .nodes
        .get(view.node())
        .and_then(|n| n.internal_ip());
    let mut out: Vec<PodReport> = view
        .ports()
        .values()
        .map(|port| {
            let selected = node_view.pods.iter().find(|p| p.pod == port.pod);
            let (egress, source_ip, egress_node, path) = match selected {
                None => (
                    None,
                    node_ip.map(|ip| ip.to_string()),
                    Some(view.node().to_string()),
                    "default",
                ),
                Some(p) => {
                    let usable =
                        p.egress_ip.is_some() && p.owner.is_some() && p.egress_id.is_some();
                    let path = match (usable, p.owned_here) {
                        (false, _) => "blocked",
                        (true, true) => "local",
                        (true, false) if p.owner_ip.is_some() => "tunnel",
                        (true, false) => "blocked",
                    };
                    (
                        Some(p.egress.clone()),
                        p.egress_ip.map(|ip| ip.to_string()),
                        p.owner.clone(),
                        path,
                    )
                }
            };
            PodReport {
                pod: port.pod.to_string(),
                interface: port.interface.clone(),
                ips: port.ips.iter().map(ToString::to_string).collect(),
                egress,
                source_ip,
                egress_node,
                path: path.to_string(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.pod.cmp(&b.pod));
    out
}

/// Reads a node's status file.
pub fn read_report(dir: &Path, node: &str) -> Result<NodeReport, String> {
    let path = status_path(dir, node);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The status file of `node` in `dir`.
pub fn status_path(dir: &Path, node: &str) -> PathBuf {
    dir.join(format!("{node}.yaml"))
}

/// Writes `report` to `<dir>/<node>.yaml` atomically (temporary file + rename).
pub fn write_report(dir: &Path, report: &NodeReport) -> std::io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let text = serde_norway::to_string(report)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    let path = status_path(dir, &report.node);
    let tmp = dir.join(format!(".{}.yaml.tmp", report.node));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::config::test_config;
    use crate::agent::source::{Input, ObjectRef};
    use crate::egress::model::load_yaml;

    const MANIFESTS: &str = "
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool-a}
spec:
  ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]
  nodeSelector: {}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: good, creationTimestamp: '2024-01-01T00:00:00Z'}
spec:
  appliedTo: {podSelector: {}}
  externalIPPool: pool-a
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: outside, creationTimestamp: '2024-01-01T00:01:00Z'}
spec:
  appliedTo: {podSelector: {}}
  externalIPPool: pool-a
  egressIP: 10.105.18.200
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: exhausted, creationTimestamp: '2024-01-01T00:02:00Z'}
spec:
  appliedTo: {podSelector: {}}
  externalIPPool: pool-a
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: bad-pool-user, creationTimestamp: '2024-01-01T00:03:00Z'}
spec:
  appliedTo: {podSelector: {}}
  externalIPPool: pool-bad
";

    fn view() -> ClusterView {
        let mut v = ClusterView::new(&test_config("node1", 1));
        let loaded = load_yaml(MANIFESTS);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for o in loaded.objects {
            v.apply(Input::Upsert(Box::new(o)));
        }
        v.apply(Input::SourceErrors {
            source: "manifests",
            errors: vec![SourceError {
                origin: "bad.yaml".into(),
                object: Some(ObjectRef {
                    kind: Kind::ExternalIPPool,
                    namespace: String::new(),
                    name: "pool-bad".into(),
                }),
                message:
                    "ExternalIPPool pool-bad: spec.ipRanges[0].cidr: \"10.0.0.0/33\" is not a CIDR"
                        .into(),
            }],
        });
        v
    }

    #[test]
    fn conditions_say_what_is_wrong() {
        let v = view();
        let mut book = StatusBook::new();
        let r = book.report(&v, 3, true, Timestamp::from_unix(1000));
        let by_name: BTreeMap<&str, &EgressReport> =
            r.egresses.iter().map(|e| (e.name.as_str(), e)).collect();
        let good = by_name["good"];
        assert_eq!(good.egress_ip.as_deref(), Some("10.105.18.100"));
        assert_eq!(good.egress_node, "node1");
        assert!(good.owned_here);
        assert!(good.conditions.iter().all(|c| c.status == "True"));
        let msg = |n: &str| by_name[n].conditions[0].message.clone();
        assert!(
            msg("outside").contains("not within the IP range"),
            "{}",
            msg("outside")
        );
        assert!(
            msg("exhausted").contains("no available IP"),
            "{}",
            msg("exhausted")
        );
        assert!(
            msg("bad-pool-user").contains("not found") && msg("bad-pool-user").contains("bad.yaml"),
            "{}",
            msg("bad-pool-user")
        );
        assert_eq!(r.owned_ips, ["10.105.18.100"]);
        assert_eq!(r.invalid.len(), 1);
        assert_eq!(r.pools["pool-a"].used, 1);
    }

    #[test]
    fn transition_times_stick_and_the_file_is_atomic() {
        let v = view();
        let mut book = StatusBook::new();
        book.report(&v, 3, true, Timestamp::from_unix(1000));
        let r = book.report(&v, 3, true, Timestamp::from_unix(2000));
        let good = r.egresses.iter().find(|e| e.name == "good").unwrap();
        assert_eq!(
            good.conditions[0].last_transition_time,
            Some(Timestamp::from_unix(1000))
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write_report(dir.path(), &r).unwrap();
        assert_eq!(read_report(dir.path(), "node1").unwrap(), r);
        assert_eq!(path, dir.path().join("node1.yaml"));
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("egressIP: 10.105.18.100"), "{text}");
        assert!(
            text.contains("lastTransitionTime: 1970-01-01T00:16:40Z"),
            "{text}"
        );
        // Only the report file is left (the temporary file was renamed).
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
