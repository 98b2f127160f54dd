//! `Egress` (`crd.antrea.io/v1beta1`, and `v1alpha2` as used by Antrea v1.2 — same shape).
//!
//! Mirrors `pkg/apis/crd/v1beta1/types.go` and the CRD schema
//! `build/charts/antrea/crds/egress.yaml`. Spec and status reject unknown fields (the CRD
//! schema is structural), so a typo such as `egresIP` is an error naming the field, not a
//! silently ignored line. `egressIPs` / `externalIPPools` are accepted by the parser and
//! reported as unsupported by [`EgressSpec::unsupported`], as Antrea's validating webhook does.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::meta::{ObjectMeta, Timestamp};
use super::net::{de_ip_list, de_opt_ip, ser_opt_display};
use super::quantity::Quantity;
use crate::egress::selector::{null_as_default, LabelSelector};

/// An Egress: the pods it applies to leave the cluster with one SNAT IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Egress {
    /// `crd.antrea.io/v1beta1` or `crd.antrea.io/v1alpha2` (checked by the loader).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// Always `Egress` (checked by the loader).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Name (cluster-scoped), creation timestamp, labels.
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: EgressSpec,
    /// Observed state (written by agents).
    #[serde(default, skip_serializing_if = "EgressStatus::is_empty")]
    pub status: EgressStatus,
}

impl Egress {
    /// The name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The deterministic processing order Antrea's scheduler uses (`EgressesByCreationTimestamp`):
    /// creation timestamp, then name. A missing timestamp sorts first, like Go's zero time.
    pub fn order_key(&self) -> (Option<Timestamp>, &str) {
        (self.metadata.creation_timestamp, &self.metadata.name)
    }
}

/// `Egress.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressSpec {
    /// Which pods the Egress applies to (required).
    pub applied_to: AppliedTo,
    /// The SNAT IP; with a pool, it must be inside it (else it is allocated from the pool).
    #[serde(
        default,
        rename = "egressIP",
        deserialize_with = "de_opt_ip",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    pub egress_ip: Option<IpAddr>,
    /// Multiple SNAT IPs: accepted, reported unsupported (as Antrea's webhook).
    #[serde(
        default,
        rename = "egressIPs",
        deserialize_with = "de_ip_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub egress_ips: Vec<IpAddr>,
    /// The pool the IP is allocated from; its nodeSelector picks the candidate nodes.
    #[serde(
        default,
        rename = "externalIPPool",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_name"
    )]
    pub external_ip_pool: Option<String>,
    /// Multiple pools: accepted, reported unsupported (as Antrea's webhook).
    #[serde(
        default,
        rename = "externalIPPools",
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_ip_pools: Vec<String>,
    /// Optional rate limit (Antrea's EgressTrafficShaping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
}

impl EgressSpec {
    /// Why Antrea's validating webhook would reject this spec, if it would.
    pub fn unsupported(&self) -> Option<&'static str> {
        if !self.egress_ips.is_empty() {
            Some("spec.egressIPs is not supported yet")
        } else if !self.external_ip_pools.is_empty() {
            Some("spec.externalIPPools is not supported yet")
        } else {
            None
        }
    }
}

fn de_opt_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// `spec.appliedTo`: podSelector alone = cluster-wide; namespaceSelector alone = all pods of
/// matching namespaces; both = intersection; neither = nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppliedTo {
    /// Pods by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    /// Namespaces by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
}

/// `spec.bandwidth`: both fields required, Kubernetes quantities in bits (per second).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bandwidth {
    /// Sustained rate, e.g. `800M`.
    pub rate: Quantity,
    /// Burst size, e.g. `2G`.
    pub burst: Quantity,
}

/// `Egress.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressStatus {
    /// Node holding the IP.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub egress_node: String,
    /// The effective IP.
    #[serde(
        default,
        rename = "egressIP",
        deserialize_with = "de_opt_ip",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    pub egress_ip: Option<IpAddr>,
    /// `IPAllocated` / `IPAssigned` conditions.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<StatusCondition>,
}

impl EgressStatus {
    /// `true` when nothing is set (status omitted on output).
    pub fn is_empty(&self) -> bool {
        self.egress_node.is_empty() && self.egress_ip.is_none() && self.conditions.is_empty()
    }
}

/// One entry of `status.conditions` as stored in the API object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusCondition {
    /// `IPAllocated` or `IPAssigned`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// When the status last changed (set by the writer; the pure core never reads a clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Timestamp>,
    /// Machine-readable reason, e.g. `AllocationError`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}
