//! Serde helpers for IP addresses and CIDRs as written in manifests, with error messages that
//! quote the offending text (`"10.0.0.300" is not an IP address`).

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses an IP address, with the message used in load errors.
pub fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|_| format!("{s:?} is not an IP address"))
}

/// Parses `address/prefix` (a `/` is required, as in the CRD's `format: cidr`).
pub fn parse_cidr(s: &str) -> Result<IpNetwork, String> {
    if !s.contains('/') {
        return Err(format!("{s:?} is not a CIDR (expected address/prefix)"));
    }
    s.parse().map_err(|_| format!("{s:?} is not a CIDR"))
}

/// A required IP address field.
pub fn de_ip<'de, D: Deserializer<'de>>(d: D) -> Result<IpAddr, D::Error> {
    let s = String::deserialize(d)?;
    parse_ip(&s).map_err(serde::de::Error::custom)
}

/// An optional IP address field; absent, `null` and `""` (Go's zero value) all mean `None`.
pub fn de_opt_ip<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpAddr>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => parse_ip(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Serializes an optional value as its text (callers skip `None`).
pub fn ser_opt_display<T: std::fmt::Display, S: Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// A list of optional IPs (`status.podIPs[].ip`, `egressIPs`), each possibly empty.
pub fn de_ip_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    let list = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
    list.iter()
        .filter(|s| !s.is_empty())
        .map(|s| parse_ip(s).map_err(serde::de::Error::custom))
        .collect()
}

/// A CIDR field.
pub fn de_cidr<'de, D: Deserializer<'de>>(d: D) -> Result<IpNetwork, D::Error> {
    let s = String::deserialize(d)?;
    parse_cidr(&s).map_err(serde::de::Error::custom)
}

/// An optional CIDR field; absent, `null` and `""` mean `None`.
pub fn de_opt_cidr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpNetwork>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => parse_cidr(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A list of CIDRs (`spec.podCIDRs`).
pub fn de_cidr_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNetwork>, D::Error> {
    let list = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
    list.iter()
        .map(|s| parse_cidr(s).map_err(serde::de::Error::custom))
        .collect()
}

/// Serializes any `Display` value as a string.
pub fn ser_display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Serializes a list of `Display` values as strings.
pub fn ser_display_list<T: std::fmt::Display, S: Serializer>(
    v: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|x| x.to_string()))
}
