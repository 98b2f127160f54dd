//! `ExternalIPPool` (`crd.antrea.io/v1beta1`, and `v1alpha2` as used by Antrea v1.2).
//!
//! Mirrors `pkg/apis/crd/v1beta1/types.go` and `build/charts/antrea/crds/externalippool.yaml`:
//! `spec.ipRanges` (each exactly one of `cidr` or `start`+`end`) and `spec.nodeSelector` are
//! required; `subnetInfo` is optional. Each range is checked on load (syntax, one family,
//! start ≤ end); cross-range checks (overlap) and allocation live in [`crate::egress::pool`].

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::meta::ObjectMeta;
use super::net::{de_ip, de_opt_cidr, de_opt_ip, ser_display, ser_opt_display};
use crate::egress::selector::{null_as_default, LabelSelector};

/// A pool of SNAT IPs and the nodes allowed to hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalIPPool {
    /// `crd.antrea.io/v1beta1` or `crd.antrea.io/v1alpha2` (checked by the loader).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// Always `ExternalIPPool` (checked by the loader).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Name (cluster-scoped).
    pub metadata: ObjectMeta,
    /// Ranges, node selector, subnet.
    pub spec: ExternalIPPoolSpec,
    /// Usage counts (written by the controller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ExternalIPPoolStatus>,
}

impl ExternalIPPool {
    /// The name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// `ExternalIPPool.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalIPPoolSpec {
    /// Allocation order is the order of this list.
    #[serde(rename = "ipRanges", deserialize_with = "null_as_default")]
    pub ip_ranges: Vec<IpRange>,
    /// Nodes that may hold IPs of this pool; `{}` = all nodes (required by the CRD).
    #[serde(deserialize_with = "null_as_default")]
    pub node_selector: LabelSelector,
    /// Optional separate subnet for the IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_info: Option<SubnetInfo>,
}

/// One entry of `spec.ipRanges`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpRange {
    /// `cidr: 10.10.1.0/28` — the network address, and for IPv4 the broadcast address, are
    /// excluded from allocation (so an IPv4 /32 or /31 yields nothing).
    Cidr(IpNetwork),
    /// `start: 10.10.0.2, end: 10.10.0.10` — inclusive.
    StartEnd {
        /// First address.
        start: IpAddr,
        /// Last address (inclusive).
        end: IpAddr,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawIpRange {
    #[serde(
        default,
        deserialize_with = "de_opt_cidr",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    cidr: Option<IpNetwork>,
    #[serde(
        default,
        deserialize_with = "de_opt_ip",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    start: Option<IpAddr>,
    #[serde(
        default,
        deserialize_with = "de_opt_ip",
        serialize_with = "ser_opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    end: Option<IpAddr>,
}

impl IpRange {
    /// Checks the one-of rule, the address family and the order.
    pub fn from_parts(
        cidr: Option<IpNetwork>,
        start: Option<IpAddr>,
        end: Option<IpAddr>,
    ) -> Result<Self, String> {
        match (cidr, start, end) {
            (Some(cidr), None, None) => Ok(IpRange::Cidr(cidr)),
            (None, Some(start), Some(end)) => {
                if start.is_ipv4() != end.is_ipv4() {
                    Err(format!(
                        "start {start} and end {end} are not the same IP family"
                    ))
                } else if start > end {
                    Err(format!("start {start} is after end {end}"))
                } else {
                    Ok(IpRange::StartEnd { start, end })
                }
            }
            (Some(_), _, _) => Err("set either cidr or start and end, not both".into()),
            (None, Some(_), None) => Err("start without end".into()),
            (None, None, Some(_)) => Err("end without start".into()),
            (None, None, None) => Err("needs either cidr or start and end".into()),
        }
    }
}

impl<'de> Deserialize<'de> for IpRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawIpRange::deserialize(d)?;
        IpRange::from_parts(raw.cidr, raw.start, raw.end).map_err(serde::de::Error::custom)
    }
}

impl Serialize for IpRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = match *self {
            IpRange::Cidr(c) => RawIpRange {
                cidr: Some(c),
                start: None,
                end: None,
            },
            IpRange::StartEnd { start, end } => RawIpRange {
                cidr: None,
                start: Some(start),
                end: Some(end),
            },
        };
        raw.serialize(s)
    }
}

/// `spec.subnetInfo`: the subnet the IPs live in (for a separate egress subnet / VLAN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubnetInfo {
    /// Default gateway of the subnet.
    #[serde(deserialize_with = "de_ip", serialize_with = "ser_display")]
    pub gateway: IpAddr,
    /// Prefix length (1..=32 for IPv4, 1..=127 for IPv6).
    #[serde(deserialize_with = "de_prefix_length")]
    pub prefix_length: u8,
    /// VLAN id, 0 (none) ..= 4094.
    #[serde(default, deserialize_with = "de_vlan")]
    pub vlan: u16,
}

fn de_prefix_length<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = i64::deserialize(d)?;
    u8::try_from(v)
        .ok()
        .filter(|p| (1..=127).contains(p))
        .ok_or_else(|| serde::de::Error::custom(format!("{v} is not in 1..=127")))
}

fn de_vlan<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let v = i64::deserialize(d)?;
    u16::try_from(v)
        .ok()
        .filter(|p| *p <= 4094)
        .ok_or_else(|| serde::de::Error::custom(format!("{v} is not in 0..=4094")))
}

/// `ExternalIPPool.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalIPPoolStatus {
    /// Allocation counters.
    #[serde(default)]
    pub usage: IpPoolUsage,
}

/// `status.usage`: how many IPs the pool has and how many are allocated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpPoolUsage {
    /// Allocatable addresses (saturates at 2^64-1 for huge IPv6 ranges).
    #[serde(default)]
    pub total: u64,
    /// Allocated addresses.
    #[serde(default)]
    pub used: u64,
}
