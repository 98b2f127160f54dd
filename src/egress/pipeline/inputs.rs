//! What the pipeline is computed from, as plain data: the node's own configuration
//! ([`NodeConfig`]), its local pods ([`LocalPod`], from OVSDB `Interface.external_ids`), the other
//! nodes ([`PeerNode`]), and the egress domain's per-node view
//! ([`crate::egress::state::NodeView`]).
//!
//! Invariant: a [`NodeConfig`] that passed [`NodeConfig::validate`] yields well-formed flows for
//! every input; bad per-object input (a pod on an infrastructure port) is a typed
//! [`InputError`], never a panic.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnetwork::IpNetwork;

use crate::egress::model::{Node, PodKey};
use crate::ofproto::codec::PortNo;

/// A MAC address (`02:00:0a:69:12:1f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The virtual gateway MAC of the testbed notes and Antrea's global virtual MAC.
    pub const VIRTUAL_GATEWAY: Mac = Mac([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// Why a MAC address did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a MAC address (expected six hex bytes separated by ':')")]
pub struct MacParseError(pub String);

impl FromStr for Mac {
    type Err = MacParseError;

    fn from_str(s: &str) -> Result<Mac, MacParseError> {
        let err = || MacParseError(s.to_string());
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in out.iter_mut() {
            let p = parts.next().ok_or_else(err)?;
            if p.is_empty() || p.len() > 2 {
                return Err(err());
            }
            *byte = u8::from_str_radix(p, 16).map_err(|_| err())?;
        }
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(Mac(out))
    }
}

/// The encapsulation of the tunnel port (`remote_ip=flow, key=flow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelType {
    /// Geneve, UDP 6081.
    Geneve,
    /// VXLAN, UDP 4789.
    Vxlan,
}

impl TunnelType {
    /// The UDP destination port: br-phy sends it to LOCAL, where OVS decapsulates (`tnl_pop`).
    pub fn udp_port(self) -> u16 {
        match self {
            TunnelType::Geneve => 6081,
            TunnelType::Vxlan => 4789,
        }
    }
}

/// The OpenFlow port numbers of the infrastructure ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    /// br-int: the tunnel port.
    pub int_tunnel: PortNo,
    /// br-int: the patch port to br-phy.
    pub int_patch: PortNo,
    /// br-phy: the uplink NIC.
    pub phy_uplink: PortNo,
    /// br-phy: the patch port to br-int.
    pub phy_patch: PortNo,
}

impl Default for Ports {
    /// The numbers the testbed notes request (`ofport_request`): tunnel 1, patch 2 on br-int;
    /// uplink 1, patch 2 on br-phy.
    fn default() -> Ports {
        Ports {
            int_tunnel: PortNo(1),
            int_patch: PortNo(2),
            phy_uplink: PortNo(1),
            phy_patch: PortNo(2),
        }
    }
}

/// This node's configuration: everything the static flows depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// The Kubernetes node name (to tell which IPs this node owns).
    pub name: String,
    /// The tunnel endpoint: an address on br-phy's LOCAL port.
    pub transport_ip: IpAddr,
    /// Address IPv4 pod traffic is SNATed to by default (usually the transport IP); without
    /// one, IPv4 traffic of pods without an Egress is dropped.
    pub node_ipv4: Option<Ipv4Addr>,
    /// Address IPv6 pod traffic is SNATed to by default; without one, IPv6 traffic of pods
    /// without an Egress is dropped.
    pub node_ipv6: Option<Ipv6Addr>,
    /// br-phy's MAC (pinned with `other_config:hwaddr`): source of SNATed frames and the answer
    /// to ARP requests for owned egress IPs.
    pub phy_mac: Mac,
    /// Destination MAC of traffic leaving the node (the uplink's gateway or configured next hop).
    pub next_hop_mac: Mac,
    /// The pods' virtual gateway MAC: the answer to every ARP request from a pod.
    pub gateway_mac: Mac,
    /// This node's pod CIDRs (one per family).
    pub pod_cidrs: Vec<IpNetwork>,
    /// Destinations that never use an Egress IP (Antrea `egress.exceptCIDRs`): they take the
    /// default path (SNAT to the node IP).
    pub except_cidrs: Vec<IpNetwork>,
    /// The conntrack zone holding every SNAT entry (default and egress alike).
    pub ct_zone: u16,
    /// Tunnel encapsulation.
    pub tunnel: TunnelType,
    /// Infrastructure port numbers.
    pub ports: Ports,
}

/// Antrea's conntrack zone (`CtZone`), used by the testbed notes for all SNAT entries.
pub const DEFAULT_CT_ZONE: u16 = 65520;

impl NodeConfig {
    /// A configuration with the testbed notes' defaults: virtual gateway `aa:bb:cc:dd:ee:ff`,
    /// zone 65520, Geneve, ports 1/2 on both bridges, no exceptCIDRs, default SNAT to the
    /// transport IP.
    pub fn new(
        name: impl Into<String>,
        transport_ip: IpAddr,
        phy_mac: Mac,
        next_hop_mac: Mac,
        pod_cidrs: Vec<IpNetwork>,
    ) -> NodeConfig {
        NodeConfig {
            name: name.into(),
            transport_ip,
            node_ipv4: match transport_ip {
                IpAddr::V4(a) => Some(a),
                IpAddr::V6(_) => None,
            },
            node_ipv6: match transport_ip {
                IpAddr::V6(a) => Some(a),
                IpAddr::V4(_) => None,
            },
            phy_mac,
            next_hop_mac,
            gateway_mac: Mac::VIRTUAL_GATEWAY,
            pod_cidrs,
            except_cidrs: Vec::new(),
            ct_zone: DEFAULT_CT_ZONE,
            tunnel: TunnelType::Geneve,
            ports: Ports::default(),
        }
    }

    /// The node's own addresses (default SNAT sources, bypassed by egress).
    pub fn node_ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let v4 = self.node_ipv4.map(IpAddr::V4);
        let v6 = self.node_ipv6.map(IpAddr::V6);
        let transport = Some(self.transport_ip).filter(|t| Some(*t) != v4 && Some(*t) != v6);
        v4.into_iter().chain(v6).chain(transport)
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), InputError> {
        let p = self.ports;
        for (what, port) in [
            ("br-int tunnel port", p.int_tunnel),
            ("br-int patch port", p.int_patch),
            ("br-phy uplink port", p.phy_uplink),
            ("br-phy patch port", p.phy_patch),
        ] {
            if port.0 == 0 || port.0 > PortNo::MAX.0 {
                return Err(InputError::BadPort { what, port: port.0 });
            }
        }
        if p.int_tunnel == p.int_patch {
            return Err(InputError::SamePort {
                bridge: "br-int",
                port: p.int_tunnel.0,
            });
        }
        if p.phy_uplink == p.phy_patch {
            return Err(InputError::SamePort {
                bridge: "br-phy",
                port: p.phy_uplink.0,
            });
        }
        let mut families = [false; 2];
        for cidr in &self.pod_cidrs {
            let f = &mut families[cidr.is_ipv6() as usize];
            if *f {
                return Err(InputError::TwoPodCidrsOfOneFamily(*cidr));
            }
            *f = true;
        }
        Ok(())
    }

    /// Checks a pod against this configuration.
    pub fn validate_pod(&self, pod: &LocalPod) -> Result<(), InputError> {
        let port = pod.ofport;
        if port.0 == 0
            || port.0 > PortNo::MAX.0
            || port == self.ports.int_tunnel
            || port == self.ports.int_patch
        {
            return Err(InputError::BadPodPort {
                pod: pod.key.clone(),
                port: port.0,
            });
        }
        Ok(())
    }
}

/// A pod on this node, as the CNI attached it (OVSDB `Interface`: ofport, `attached-mac`,
/// `ip-address`, `pod-name`, `pod-namespace`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalPod {
    /// Namespace and name.
    pub key: PodKey,
    /// Its br-int port.
    pub ofport: PortNo,
    /// Its MAC.
    pub mac: Mac,
    /// Its IPs (at most one per family is usual; all are allowed through the spoof guard).
    pub ips: Vec<IpAddr>,
}

/// Another node: where its pods are and how to reach it through the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerNode {
    /// Node name.
    pub name: String,
    /// Its transport (InternalIP) address: the tunnel destination, and a destination that
    /// bypasses egress.
    pub transport_ip: IpAddr,
    /// Its pod CIDRs.
    pub pod_cidrs: Vec<IpNetwork>,
}

impl PeerNode {
    /// The peer view of a Kubernetes Node (`None` without an InternalIP).
    pub fn from_node(node: &Node) -> Option<PeerNode> {
        Some(PeerNode {
            name: node.name().to_string(),
            transport_ip: node.internal_ip()?,
            pod_cidrs: node.pod_cidrs(),
        })
    }
}

/// Bad pipeline input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// An infrastructure port number is 0 or reserved.
    #[error("{what}: port {port} is not a usable OpenFlow port")]
    BadPort {
        /// Which port.
        what: &'static str,
        /// The number.
        port: u16,
    },
    /// Two infrastructure ports of one bridge have the same number.
    #[error("{bridge}: two infrastructure ports share port number {port}")]
    SamePort {
        /// The bridge.
        bridge: &'static str,
        /// The number.
        port: u16,
    },
    /// More than one pod CIDR of a family.
    #[error("pod CIDR {0}: only one pod CIDR per IP family is supported")]
    TwoPodCidrsOfOneFamily(IpNetwork),
    /// A pod's port is 0, reserved, or an infrastructure port.
    #[error("pod {pod}: port {port} is reserved or an infrastructure port")]
    BadPodPort {
        /// The pod.
        pod: PodKey,
        /// The number.
        port: u16,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_text_round_trip_and_errors() {
        let m: Mac = "02:00:0a:69:12:1f".parse().unwrap();
        assert_eq!(m.to_string(), "02:00:0a:69:12:1f");
        for bad in [
            "",
            "02:00:0a:69:12",
            "02:00:0a:69:12:1f:00",
            "02:00:0a:69:12:xg",
            "2:::::",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_problem() {
        let mut c = NodeConfig::new(
            "n1",
            "10.0.0.1".parse().unwrap(),
            Mac([2, 0, 0, 0, 0, 1]),
            Mac([2, 0, 0, 0, 0, 2]),
            vec!["192.168.1.0/24".parse().unwrap()],
        );
        assert_eq!(c.validate(), Ok(()));
        c.ports.int_patch = c.ports.int_tunnel;
        assert!(matches!(
            c.validate(),
            Err(InputError::SamePort {
                bridge: "br-int",
                ..
            })
        ));
        c.ports = Ports::default();
        c.pod_cidrs.push("192.168.2.0/24".parse().unwrap());
        assert!(matches!(
            c.validate(),
            Err(InputError::TwoPodCidrsOfOneFamily(_))
        ));
    }
}
