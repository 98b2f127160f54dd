//! The parts of core/v1 `Pod`, `Namespace` and `Node` the egress domain needs.
//!
//! These objects are large and evolve with Kubernetes, so unknown fields are ignored (a
//! `kubectl get -o yaml` dump loads as is); the fields we do read are type-checked
//! (addresses must parse, labels must be strings).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use super::net::{
    de_cidr_list, de_ip, de_opt_cidr, de_opt_ip, ser_display, ser_display_list, ser_opt_display,
};
use crate::egress::selector::{null_as_default, Labels};

/// Annotation that overrides `maxEgressIPsPerNode` for one node (Antrea v1.11+).
pub const MAX_EGRESS_IPS_ANNOTATION: &str = "node.antrea.io/max-egress-ips";

/// A pod: who it is, where it runs, its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    /// Name, namespace (defaults to `default`), labels.
    pub metadata: ObjectMeta,
    /// Node and host-network flag.
    #[serde(default)]
    pub spec: PodSpec,
    /// Addresses.
    #[serde(default)]
    pub status: PodStatus,
}

impl Pod {
    /// The pod's namespace (`default` when unset, as the API server does).
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("default")
    }

    /// `(namespace, name)`, the pod's identity.
    pub fn key(&self) -> PodKey {
        PodKey::new(self.namespace(), &self.metadata.name)
    }

    /// All pod IPs: `status.podIPs` if set, else `status.podIP`.
    pub fn ips(&self) -> Vec<IpAddr> {
        if !self.status.pod_ips.is_empty() {
            self.status.pod_ips.iter().map(|p| p.ip).collect()
        } else {
            self.status.pod_ip.into_iter().collect()
        }
    }
}

/// A pod's identity: namespace then name (sorted that way).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PodKey {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl PodKey {
    /// Builds a key.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        PodKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for PodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `Pod.spec` (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// Node the pod is scheduled on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// Host-network pods use the node's stack and are never subject to Egress.
    #[serde(default)]
    pub host_network: bool,
}

/// `Pod.status` (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// Primary IP.
    #[serde(
        default,
        rename = "podIP",
        deserialize_with = "de_opt_ip",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    pub pod_ip: Option<IpAddr>,
    /// All IPs (dual-stack).
    #[serde(
        default,
        rename = "podIPs",
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pod_ips: Vec<PodIp>,
}

/// One `status.podIPs` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodIp {
    /// The address.
    #[serde(deserialize_with = "de_ip", serialize_with = "ser_display")]
    pub ip: IpAddr,
}

/// A namespace: only its labels matter (namespaceSelector).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    /// Name and labels.
    pub metadata: ObjectMeta,
}

impl Namespace {
    /// Labels of the namespace.
    pub fn labels(&self) -> &Labels {
        &self.metadata.labels
    }
}

/// A node: labels (pool nodeSelector), annotations (IP cap), addresses, pod CIDRs, readiness.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Name, labels, annotations.
    pub metadata: ObjectMeta,
    /// Pod CIDRs.
    #[serde(default)]
    pub spec: NodeSpec,
    /// Addresses and conditions.
    #[serde(default)]
    pub status: NodeStatus,
}

impl Node {
    /// The name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The transport address: the first `InternalIP`, IPv4 preferred (Antrea joins memberlist
    /// and builds tunnels with the node's InternalIP, IPv4 first).
    pub fn internal_ip(&self) -> Option<IpAddr> {
        let internal = || {
            self.status
                .addresses
                .iter()
                .filter(|a| a.type_ == "InternalIP")
        };
        internal()
            .find(|a| a.address.is_ipv4())
            .or_else(|| internal().next())
            .map(|a| a.address)
    }

    /// Pod CIDRs: `spec.podCIDRs` if set, else `spec.podCIDR`.
    pub fn pod_cidrs(&self) -> Vec<IpNetwork> {
        if !self.spec.pod_cidrs.is_empty() {
            self.spec.pod_cidrs.clone()
        } else {
            self.spec.pod_cidr.into_iter().collect()
        }
    }

    /// Whether the `Ready` condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    }

    /// The per-node cap from the `node.antrea.io/max-egress-ips` annotation, if present and
    /// valid (an integer 0..=255, as Antrea's `getMaxEgressIPsFromAnnotation`). An invalid
    /// value is ignored (Antrea logs it and uses the default).
    pub fn max_egress_ips_annotation(&self) -> Option<u32> {
        self.metadata
            .annotations
            .get(MAX_EGRESS_IPS_ANNOTATION)
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| *v <= 255)
    }
}

/// `Node.spec` (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpec {
    /// Primary pod CIDR.
    #[serde(
        default,
        rename = "podCIDR",
        deserialize_with = "de_opt_cidr",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    pub pod_cidr: Option<IpNetwork>,
    /// All pod CIDRs (dual-stack).
    #[serde(
        default,
        rename = "podCIDRs",
        deserialize_with = "de_cidr_list",
        serialize_with = "ser_display_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pod_cidrs: Vec<IpNetwork>,
}

/// `Node.status` (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    /// Addresses (`InternalIP`, `ExternalIP`, `Hostname`…); only IP-typed ones are kept.
    #[serde(
        default,
        deserialize_with = "de_node_addresses",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub addresses: Vec<NodeAddress>,
    /// Conditions (`Ready`…).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<NodeCondition>,
}

/// One IP address of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddress {
    /// `InternalIP` or `ExternalIP`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The address.
    #[serde(deserialize_with = "de_ip", serialize_with = "ser_display")]
    pub address: IpAddr,
}

/// Hostname / DNS entries carry names, not IPs: keep only the IP-typed ones, and require those
/// to parse.
fn de_node_addresses<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<NodeAddress>, D::Error> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "type")]
        type_: String,
        address: String,
    }
    let raw = Option::<Vec<Raw>>::deserialize(d)?.unwrap_or_default();
    raw.into_iter()
        .filter(|a| a.type_ == "InternalIP" || a.type_ == "ExternalIP")
        .map(|a| {
            super::net::parse_ip(&a.address)
                .map(|address| NodeAddress {
                    type_: a.type_,
                    address,
                })
                .map_err(serde::de::Error::custom)
        })
        .collect()
}

/// One node condition (only `type` and `status` are read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCondition {
    /// e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False`, `Unknown`.
    pub status: String,
}

/// Labels of all namespaces by name (what the selector code needs from Namespaces).
pub type NamespaceLabels = BTreeMap<String, Labels>;
