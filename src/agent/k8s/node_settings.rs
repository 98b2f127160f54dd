//! This node's own settings from its Node object (`source: kubernetes`): the transport address
//! is the Node's InternalIP and the pod CIDR its `spec.podCIDR(s)`, so the DaemonSet's one
//! ConfigMap serves every node. Settings given explicitly (`transportIP`, `podCIDR`) win.
//!
//! The InternalIP carries no prefix length; it is `transportPrefixLength` if set, else the
//! prefix of the same address on a local interface (on a node the kubelet's InternalIP is an
//! address of the host; after the agent's first start it is on the uplink bridge). The Node is
//! read once, at start-up, with `list` + `fieldSelector=metadata.name=<node>` (the verb the
//! source's watch already needs, so RBAC grows nothing); a changed InternalIP or pod CIDR
//! takes an agent restart, as it does for the kubelet's own networking.
//!
//! Invariant: nothing here guesses — a Node without an IPv4 InternalIP or pod CIDR, or an
//! address whose prefix cannot be found, is a typed error naming the setting that fixes it.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ::kube::api::{Api, DynamicObject, ListParams};
use ::kube::Client;
use futures::TryStreamExt;
use ipnetwork::{IpNetwork, Ipv4Network};
use netlink_packet_route::address::AddressAttribute;

use crate::egress::model::{Node, Object};

use super::super::config::Settings;
use super::super::source::Kind;
use super::resources::{api_resource, to_object};

/// Why this node's settings cannot be taken from its Node object.
#[derive(Debug, thiserror::Error)]
pub enum NodeSettingsError {
    /// `nodeName` is not set, so there is no Node to read.
    #[error("nodeName is required with source: kubernetes (NODE_NAME from the downward API)")]
    NoNodeName,
    /// The Node object is not valid for the model.
    #[error("Node {node}: {message}")]
    InvalidNode {
        /// The node.
        node: String,
        /// What the loader said.
        message: String,
    },
    /// The Node has no IPv4 InternalIP and `transportIP` is not set.
    #[error("Node {node} has no IPv4 InternalIP address; set transportIP")]
    NoInternalIp {
        /// The node.
        node: String,
    },
    /// The InternalIP's prefix length is neither configured nor on a local interface.
    #[error("Node {node}: InternalIP {ip} is on no local interface, so its prefix length is unknown; set transportPrefixLength (or transportIP)")]
    NoPrefix {
        /// The node.
        node: String,
        /// The InternalIP.
        ip: Ipv4Addr,
    },
    /// `transportPrefixLength` is out of range.
    #[error("setting transportPrefixLength: {0} is not an IPv4 prefix length (0-32)")]
    BadPrefix(u8),
    /// The Node has no pod CIDR and `podCIDR` is not set.
    #[error("Node {node} has no spec.podCIDR; set podCIDR")]
    NoPodCidr {
        /// The node.
        node: String,
    },
}

/// Fills `transportIP` and `podCIDR` in `settings` from `node` where they are not set.
/// `local_prefix` is the prefix length of the InternalIP on a local interface, if any.
pub fn apply_node(
    node: &Node,
    settings: &mut Settings,
    local_prefix: Option<u8>,
) -> Result<(), NodeSettingsError> {
    let name = node.name().to_string();
    if settings.transport_ip.is_none() {
        let ip = internal_ipv4(node)
            .ok_or_else(|| NodeSettingsError::NoInternalIp { node: name.clone() })?;
        let prefix = settings
            .transport_prefix_length
            .or(local_prefix)
            .ok_or_else(|| NodeSettingsError::NoPrefix {
                node: name.clone(),
                ip,
            })?;
        let net = Ipv4Network::new(ip, prefix).map_err(|_| NodeSettingsError::BadPrefix(prefix))?;
        settings.transport_ip = Some(net);
    }
    if settings.pod_cidr.is_none() {
        let cidrs = node.pod_cidrs();
        let cidr = cidrs
            .iter()
            .find(|c| c.is_ipv4())
            .or_else(|| cidrs.first())
            .copied()
            .ok_or(NodeSettingsError::NoPodCidr { node: name })?;
        settings.pod_cidr = Some(cidr);
    }
    Ok(())
}

/// The Node's first IPv4 InternalIP.
pub fn internal_ipv4(node: &Node) -> Option<Ipv4Addr> {
    node.status
        .addresses
        .iter()
        .filter(|a| a.type_ == "InternalIP")
        .find_map(|a| match a.address {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
}

/// Reads this node's Node object (`None` while it does not exist).
pub async fn fetch_node(client: &Client, name: &str) -> Result<Option<Node>, FetchError> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &api_resource(Kind::Node));
    let list = api
        .list(&ListParams::default().fields(&format!("metadata.name={name}")))
        .await
        .map_err(FetchError::Api)?;
    let Some(obj) = list
        .items
        .iter()
        .find(|o| o.metadata.name.as_deref() == Some(name))
    else {
        return Ok(None);
    };
    match to_object(Kind::Node, obj) {
        Ok(Object::Node(n)) => Ok(Some(n)),
        Ok(_) => Ok(None),
        Err(e) => Err(FetchError::Invalid(e.to_string())),
    }
}

/// Why reading the Node failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The API call failed (retried).
    #[error("listing the Node: {0}")]
    Api(::kube::Error),
    /// The Node does not load (not retried).
    #[error("{0}")]
    Invalid(String),
}

/// The prefix length of `ip` on a local interface (this network namespace), if it is there.
pub async fn local_prefix(ip: Ipv4Addr) -> Option<u8> {
    let (conn, handle, _) = rtnetlink::new_connection().ok()?;
    let task = tokio::spawn(conn);
    let addrs: Vec<_> = handle
        .address()
        .get()
        .execute()
        .try_collect()
        .await
        .unwrap_or_default();
    task.abort();
    addrs.iter().find_map(|m| {
        m.attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::Local(IpAddr::V4(a)) if *a == ip))
            .then_some(m.header.prefix_len)
    })
}

/// Fills `transportIP` / `podCIDR` from this node's Node object when they are not configured
/// (nothing to do, and no API call, when both are). API errors and a missing Node are retried
/// every `retry` (a node's kubelet registers it before DaemonSet pods run, so this waits only
/// while the API server is unreachable); a Node that cannot provide them is an error.
pub async fn fill_from_node(
    client: &Client,
    settings: &mut Settings,
    retry: Duration,
) -> Result<(), NodeSettingsError> {
    if settings.transport_ip.is_some() && settings.pod_cidr.is_some() {
        return Ok(());
    }
    let name = settings
        .node_name
        .clone()
        .ok_or(NodeSettingsError::NoNodeName)?;
    let mut attempts = 0u32;
    let node = loop {
        let outcome = fetch_node(client, &name).await;
        match outcome {
            Ok(Some(n)) => break n,
            Ok(None) => {
                if attempts.is_multiple_of(20) {
                    tracing::warn!(node = %name, "Node not found in the API yet; retrying");
                }
            }
            Err(FetchError::Invalid(message)) => {
                return Err(NodeSettingsError::InvalidNode {
                    node: name,
                    message,
                })
            }
            Err(e) => {
                if attempts.is_multiple_of(20) {
                    tracing::warn!(node = %name, "{e}; retrying");
                }
            }
        }
        attempts += 1;
        tokio::time::sleep(retry).await;
    };
    let prefix = match internal_ipv4(&node) {
        Some(ip)
            if settings.transport_ip.is_none() && settings.transport_prefix_length.is_none() =>
        {
            local_prefix(ip).await
        }
        _ => None,
    };
    apply_node(&node, settings, prefix)?;
    tracing::info!(
        node = %name,
        transport_ip = ?settings.transport_ip.map(|t| t.to_string()),
        pod_cidr = ?settings.pod_cidr.map(|c: IpNetwork| c.to_string()),
        "node settings from the Node object"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::model::load_yaml;

    fn node(yaml: &str) -> Node {
        match load_yaml(yaml).objects.pop() {
            Some(Object::Node(n)) => n,
            other => panic!("{other:?}"),
        }
    }

    const NODE: &str = "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\n\
        spec: {podCIDRs: [fd00:10::/64, 192.168.100.0/24]}\n\
        status: {addresses: [{type: Hostname, address: node1}, {type: InternalIP, address: 'fd00::31'},\n\
        {type: InternalIP, address: 10.105.18.31}]}\n";

    #[test]
    fn fills_what_is_missing_from_the_node() {
        let n = node(NODE);
        let mut s = Settings::default();
        apply_node(&n, &mut s, Some(24)).unwrap();
        assert_eq!(s.transport_ip.unwrap().to_string(), "10.105.18.31/24");
        assert_eq!(s.pod_cidr.unwrap().to_string(), "192.168.100.0/24");
        // The configured prefix wins over the local one; configured values win over the Node.
        let mut s = Settings {
            transport_prefix_length: Some(16),
            pod_cidr: Some("10.1.0.0/24".parse().unwrap()),
            ..Settings::default()
        };
        apply_node(&n, &mut s, Some(24)).unwrap();
        assert_eq!(s.transport_ip.unwrap().to_string(), "10.105.18.31/16");
        assert_eq!(s.pod_cidr.unwrap().to_string(), "10.1.0.0/24");
    }

    #[test]
    fn a_node_that_cannot_say_is_a_typed_error() {
        let n = node(NODE);
        let e = apply_node(&n, &mut Settings::default(), None).unwrap_err();
        assert!(matches!(e, NodeSettingsError::NoPrefix { .. }), "{e}");
        assert!(e.to_string().contains("transportPrefixLength"), "{e}");
        let mut s = Settings {
            transport_prefix_length: Some(33),
            ..Settings::default()
        };
        let e = apply_node(&n, &mut s, None).unwrap_err();
        assert!(matches!(e, NodeSettingsError::BadPrefix(33)), "{e}");
        let bare = node("apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n");
        let e = apply_node(&bare, &mut Settings::default(), Some(24)).unwrap_err();
        assert!(matches!(e, NodeSettingsError::NoInternalIp { .. }), "{e}");
        let mut s = Settings {
            transport_ip: Some("10.0.0.2/24".parse().unwrap()),
            ..Settings::default()
        };
        let e = apply_node(&bare, &mut s, None).unwrap_err();
        assert!(matches!(e, NodeSettingsError::NoPodCidr { .. }), "{e}");
    }
}
