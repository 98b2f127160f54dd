//! Local pods, learnt live from OVSDB `Interface` rows written by the CNI (Antrea's keys:
//! `pod-name`, `pod-namespace`, `ip-address`, `attached-mac`, `antrea-type=container`) plus the
//! row's `ofport`.
//!
//! `ip-address` is accepted as Antrea writes it (bare addresses, comma separated when dual
//! stack: `10.10.0.5,fd00::5`) and as the testbed writes it (`192.168.100.2/24`). A row that
//! names a pod but is unusable (no ofport yet, a bad MAC or address) is not a pod port; if it
//! was one before, the pod loses its port until the row is fixed.

use std::net::IpAddr;

use crate::egress::model::PodKey;
use crate::ovsdb::vswitch::{InterfaceEvent, InterfaceInfo};

use super::config::MacAddr;
use super::source::{Input, PodPort};

/// The source name used in [`Input::SourceSynced`].
pub const SOURCE: &str = "ovsdb-ports";

/// Why an interface that names a pod is not usable as a pod port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// ovs-vswitchd has not assigned an ofport yet, or could not set the port up.
    #[error("interface {0}: no usable ofport yet")]
    NoOfport(String),
    /// `attached-mac` is missing or malformed.
    #[error("interface {iface}: attached-mac {value:?} is not a MAC address")]
    BadMac {
        /// Interface.
        iface: String,
        /// The value.
        value: String,
    },
    /// An `ip-address` entry is malformed.
    #[error("interface {iface}: ip-address {value:?} is not an address list")]
    BadAddress {
        /// Interface.
        iface: String,
        /// The value.
        value: String,
    },
}

/// Parses `ip-address`: comma-separated entries, each a bare address or `address/prefix`.
pub fn parse_ip_addresses(value: &str) -> Option<Vec<IpAddr>> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let addr = entry.split_once('/').map_or(entry, |(a, len)| {
                // The prefix must be a number; its value does not matter to us.
                if len.parse::<u8>().is_ok() {
                    a
                } else {
                    ""
                }
            });
            addr.parse().ok()
        })
        .collect()
}

/// The pod port an interface row describes: `None` if the row is not a pod's (no
/// `pod-name`/`pod-namespace`, or `antrea-type` other than `container`), `Some(Err)` if it is
/// a pod's but unusable.
pub fn pod_port(info: &InterfaceInfo) -> Option<Result<PodPort, PortError>> {
    let pod = info.pod()?;
    if info.antrea_type().is_some_and(|t| t != "container") {
        return None;
    }
    let iface = info.name.clone();
    Some((|| {
        let ofport = info
            .valid_ofport()
            .ok_or_else(|| PortError::NoOfport(iface.clone()))?;
        let mac_text = info.attached_mac().unwrap_or_default();
        let mac: MacAddr = mac_text.parse().map_err(|_| PortError::BadMac {
            iface: iface.clone(),
            value: mac_text.to_string(),
        })?;
        let ip_text = info
            .external_ids
            .get("ip-address")
            .map(String::as_str)
            .unwrap_or_default();
        let ips = parse_ip_addresses(ip_text).ok_or_else(|| PortError::BadAddress {
            iface: iface.clone(),
            value: ip_text.to_string(),
        })?;
        Ok(PodPort {
            pod: PodKey::new(pod.namespace, pod.name),
            interface: iface.clone(),
            ofport,
            mac,
            ips,
        })
    })())
}

/// Turns one interface event into controller inputs (possibly none). Unusable pod rows are
/// logged once per event.
pub fn inputs_for(event: &InterfaceEvent) -> Vec<Input> {
    match event {
        InterfaceEvent::Removed(info) => match info.pod() {
            Some(_) => vec![Input::PortDown(info.name.clone())],
            None => Vec::new(),
        },
        InterfaceEvent::Added(info) | InterfaceEvent::Changed { new: info, .. } => {
            match pod_port(info) {
                None => match event {
                    // A row that stopped naming a pod.
                    InterfaceEvent::Changed { old, .. } if old.pod().is_some() => {
                        vec![Input::PortDown(info.name.clone())]
                    }
                    _ => Vec::new(),
                },
                Some(Ok(port)) => vec![Input::PortUp(port)],
                Some(Err(e)) => {
                    if !matches!(e, PortError::NoOfport(_)) {
                        tracing::warn!("pod port ignored: {e}");
                    }
                    vec![Input::PortDown(info.name.clone())]
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn row(name: &str, ids: &[(&str, &str)], ofport: Option<i64>) -> InterfaceInfo {
        InterfaceInfo {
            uuid: uuid::Uuid::nil(),
            name: name.into(),
            kind: String::new(),
            ofport,
            external_ids: ids
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            error: None,
        }
    }

    const POD: [(&str, &str); 5] = [
        ("pod-name", "p1a"),
        ("pod-namespace", "default"),
        ("ip-address", "192.168.100.2/24"),
        ("attached-mac", "02:00:c0:a8:64:02"),
        ("antrea-type", "container"),
    ];

    #[test]
    fn address_forms() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(parse_ip_addresses("10.10.0.5"), Some(vec![ip("10.10.0.5")]));
        assert_eq!(
            parse_ip_addresses("10.10.0.5,fd00::5"),
            Some(vec![ip("10.10.0.5"), ip("fd00::5")])
        );
        assert_eq!(
            parse_ip_addresses("192.168.100.2/24, fd00::2/64"),
            Some(vec![ip("192.168.100.2"), ip("fd00::2")])
        );
        assert_eq!(parse_ip_addresses(""), Some(vec![]));
        assert_eq!(parse_ip_addresses("10.0.0.300"), None);
        assert_eq!(parse_ip_addresses("10.0.0.3/x"), None);
    }

    #[test]
    fn pod_rows() {
        let p = pod_port(&row("p1a", &POD, Some(10))).unwrap().unwrap();
        assert_eq!(p.pod, PodKey::new("default", "p1a"));
        assert_eq!(p.ofport, 10);
        assert_eq!(p.mac.to_string(), "02:00:c0:a8:64:02");
        assert_eq!(p.ips, vec!["192.168.100.2".parse::<IpAddr>().unwrap()]);
        // Not a pod: no ids, or another antrea-type.
        assert!(pod_port(&row("tun0", &[], Some(1))).is_none());
        let mut gw = POD.to_vec();
        gw[4] = ("antrea-type", "gateway");
        assert!(pod_port(&row("gw0", &gw, Some(2))).is_none());
        // A pod row without antrea-type is accepted (other CNIs).
        assert!(pod_port(&row("x", &POD[..4], Some(12))).unwrap().is_ok());
        // Unusable pod rows.
        assert_eq!(
            pod_port(&row("p1a", &POD, Some(-1))).unwrap(),
            Err(PortError::NoOfport("p1a".into()))
        );
        assert!(pod_port(&row("p1a", &POD, None)).unwrap().is_err());
        let mut bad = POD.to_vec();
        bad[3] = ("attached-mac", "nope");
        assert!(matches!(
            pod_port(&row("p1a", &bad, Some(10))).unwrap(),
            Err(PortError::BadMac { .. })
        ));
    }

    #[test]
    fn events() {
        let up = row("p1a", &POD, Some(10));
        let pending = row("p1a", &POD, None);
        assert!(matches!(
            inputs_for(&InterfaceEvent::Added(pending.clone()))[..],
            [Input::PortDown(_)]
        ));
        assert!(matches!(
            inputs_for(&InterfaceEvent::Changed {
                old: pending,
                new: up.clone()
            })[..],
            [Input::PortUp(_)]
        ));
        assert!(matches!(
            inputs_for(&InterfaceEvent::Removed(up.clone()))[..],
            [Input::PortDown(_)]
        ));
        let plain = row("p1a", &[], Some(10));
        assert!(matches!(
            inputs_for(&InterfaceEvent::Changed {
                old: up,
                new: plain.clone()
            })[..],
            [Input::PortDown(_)]
        ));
        assert!(inputs_for(&InterfaceEvent::Added(plain)).is_empty());
    }
}
