//! The agent's configuration: a YAML file (`--config FILE`, camelCase keys like Antrea's agent
//! config) whose every key is also a command-line flag (kebab-case); a flag wins over the file.
//!
//! [`Settings`] is the raw, all-optional form shared by both front ends; [`AgentConfig`] is the
//! resolved form with defaults applied and every value checked ([`Settings::resolve`]), so the
//! rest of the agent never sees a missing or malformed setting.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use ipnetwork::{IpNetwork, Ipv4Network};
use serde::{Deserialize, Deserializer};

use crate::egress::election::{ElectionConfig, DEFAULT_MAX_EGRESS_IPS_PER_NODE};

use super::membership::params::{GossipParams, DEFAULT_GOSSIP_PORT};

/// Antrea's conntrack zone, used for every SNAT entry (default and egress alike).
pub const DEFAULT_CT_ZONE: u16 = 65520;
/// Where OVS keeps its sockets by default.
pub const DEFAULT_OVS_RUN_DIR: &str = "/var/run/openvswitch";
/// Default metrics/health listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9469";
/// Default status directory when the source is the Kubernetes API (no manifest directory).
pub const DEFAULT_KUBE_STATUS_DIR: &str = "/var/run/ovs-egress";
/// The pods' virtual gateway MAC (Antrea's global virtual MAC, testbed notes §2).
pub const DEFAULT_GATEWAY_MAC: MacAddr = MacAddr([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);

/// A MAC address in configuration (`02:00:0a:69:12:1f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `02:00` followed by the IPv4 address in hex: a locally administered MAC that is unique
    /// as long as the address is (the testbed's convention, notes §2).
    pub fn for_ipv4(ip: Ipv4Addr) -> MacAddr {
        let [a, b, c, d] = ip.octets();
        MacAddr([0x02, 0x00, a, b, c, d])
    }

    /// The address as a 48-bit number (for datapath ids).
    pub fn to_u64(self) -> u64 {
        self.0.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl FromStr for MacAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<MacAddr, String> {
        let err = || format!("{s:?} is not a MAC address (expected e.g. 02:00:0a:69:12:1f)");
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
        Ok(MacAddr(out))
    }
}

/// Tunnel encapsulation between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TunnelKind {
    /// Geneve, UDP 6081 (default).
    Geneve,
    /// VXLAN, UDP 4789.
    Vxlan,
}

/// Where the agent takes the cluster's objects (Egresses, pools, Nodes, Namespaces, Pods) from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A directory of Kubernetes-style YAML manifests (`manifestDir`; default).
    Manifests,
    /// The Kubernetes API (in-cluster service account or `KUBECONFIG`; cargo feature `kube`).
    Kubernetes,
}

/// Every setting, all optional: what the YAML file and the command line each provide.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// This node's Kubernetes name (required).
    #[arg(long)]
    pub node_name: Option<String>,
    /// OVS run directory: where `db.sock` and `<bridge>.mgmt` are (default /var/run/openvswitch).
    #[arg(long)]
    pub ovs_run_dir: Option<PathBuf>,
    /// OVSDB target (`unix:PATH` or `tcp:HOST:PORT`; default `unix:<ovsRunDir>/db.sock`).
    #[arg(long)]
    pub ovsdb: Option<String>,
    /// The pipeline bridge (default br-int).
    #[arg(long)]
    pub int_bridge: Option<String>,
    /// The uplink bridge (default br-phy).
    #[arg(long)]
    pub phy_bridge: Option<String>,
    /// OpenFlow target of the pipeline bridge (default `unix:<ovsRunDir>/<intBridge>.mgmt`).
    #[arg(long)]
    pub int_bridge_target: Option<String>,
    /// OpenFlow target of the uplink bridge (default `unix:<ovsRunDir>/<phyBridge>.mgmt`).
    #[arg(long)]
    pub phy_bridge_target: Option<String>,
    /// Datapath type of both bridges: `netdev` (userspace, default) or `system` (kernel).
    #[arg(long)]
    pub datapath_type: Option<String>,
    /// The uplink network interface, attached to the uplink bridge (required).
    #[arg(long)]
    pub uplink_interface: Option<String>,
    /// The node's transport address with prefix length, put on the uplink bridge
    /// (e.g. 10.105.18.31/24; required).
    #[arg(long = "transport-ip")]
    #[serde(rename = "transportIP", default, deserialize_with = "de_opt_parse")]
    pub transport_ip: Option<Ipv4Network>,
    /// MAC of the uplink bridge (default `02:00:<transport IP in hex>`).
    #[arg(long = "bridge-mac")]
    #[serde(rename = "bridgeMAC", default, deserialize_with = "de_opt_parse")]
    pub bridge_mac: Option<MacAddr>,
    /// Default route for the node's own traffic, via the uplink bridge (optional).
    #[arg(long)]
    #[serde(default, deserialize_with = "de_opt_parse")]
    pub default_gateway: Option<Ipv4Addr>,
    /// Tunnel type between nodes: geneve or vxlan (default geneve).
    #[arg(long, value_enum)]
    pub tunnel_type: Option<TunnelKind>,
    /// Name of the tunnel port on the pipeline bridge (default tun0).
    #[arg(long)]
    pub tunnel_port: Option<String>,
    /// This node's pod CIDR (required).
    #[arg(long = "pod-cidr")]
    #[serde(rename = "podCIDR", default, deserialize_with = "de_opt_parse")]
    pub pod_cidr: Option<IpNetwork>,
    /// Conntrack zone of the SNAT entries (default 65520).
    #[arg(long)]
    pub ct_zone: Option<u16>,
    /// Next hop of traffic leaving the cluster (the uplink's gateway); its MAC is resolved
    /// through the kernel's neighbour table unless `nextHopMAC` is given.
    #[arg(long)]
    #[serde(default, deserialize_with = "de_opt_parse")]
    pub next_hop: Option<IpAddr>,
    /// MAC of the next hop (skips resolution).
    #[arg(long = "next-hop-mac")]
    #[serde(rename = "nextHopMAC", default, deserialize_with = "de_opt_parse")]
    pub next_hop_mac: Option<MacAddr>,
    /// The pods' virtual gateway MAC (default aa:bb:cc:dd:ee:ff).
    #[arg(long = "gateway-mac")]
    #[serde(rename = "gatewayMAC", default, deserialize_with = "de_opt_parse")]
    pub gateway_mac: Option<MacAddr>,
    /// Destinations that never use an Egress IP (comma separated on the command line).
    #[arg(long = "except-cidrs", value_delimiter = ',')]
    #[serde(
        rename = "exceptCIDRs",
        default,
        deserialize_with = "de_opt_parse_list"
    )]
    pub except_cidrs: Option<Vec<IpNetwork>>,
    /// Directory of Kubernetes-style YAML manifests (required with `source: manifests`).
    #[arg(long)]
    pub manifest_dir: Option<PathBuf>,
    /// Where cluster objects come from: `manifests` (default) or `kubernetes` (the API server;
    /// `transportIP` and `podCIDR` then default to the Node's InternalIP and `spec.podCIDR`).
    #[arg(long, value_enum)]
    pub source: Option<SourceKind>,
    /// Prefix length of the transport address when it comes from the Node's InternalIP
    /// (`source: kubernetes` without `transportIP`; default: the prefix of the same address on
    /// a local interface).
    #[arg(long)]
    pub transport_prefix_length: Option<u8>,
    /// Where the status files go (default `<manifestDir>/status`).
    #[arg(long)]
    pub status_dir: Option<PathBuf>,
    /// Metrics and health listen address (default 127.0.0.1:9469; `off` disables).
    #[arg(long)]
    pub listen: Option<String>,
    /// Cap on egress IPs per node unless a node's annotation says otherwise (default 255).
    #[arg(long = "max-egress-ips-per-node")]
    #[serde(rename = "maxEgressIPsPerNode")]
    pub max_egress_ips_per_node: Option<u32>,
    /// Seconds between full rescans of the manifest directory (safety net; default 10).
    #[arg(long)]
    pub rescan_seconds: Option<u64>,
    /// Milliseconds an egress IP that moved away keeps un-NATing replies (default 3000).
    #[arg(long)]
    pub drain_millis: Option<u64>,
    /// Log filter (`info`, `debug`, `ovs_egress=debug`...; `RUST_LOG` wins; default info).
    #[arg(long)]
    pub log_level: Option<String>,
    /// File with the shared gossip keys (`<id> <hex secret>` per line, the first seals). Setting
    /// it turns membership on (docs/failover.md); without it node liveness comes from the
    /// Nodes' Ready condition only.
    #[arg(long)]
    pub gossip_key_file: Option<PathBuf>,
    /// UDP port of the gossip between agents (default 10351, Antrea's).
    #[arg(long)]
    pub gossip_port: Option<u16>,
    /// Local address the gossip socket binds (default 0.0.0.0; peers reach us at transportIP).
    #[arg(long)]
    #[serde(default, deserialize_with = "de_opt_parse")]
    pub gossip_bind_address: Option<IpAddr>,
    /// Gossip probe period in ms (default 100).
    #[arg(long)]
    pub gossip_probe_period_millis: Option<u64>,
    /// Time a direct probe may take before indirect probes start, in ms (default 40).
    #[arg(long)]
    pub gossip_probe_rtt_millis: Option<u64>,
    /// Time a suspected node has to refute before it is declared down, in ms (default 300).
    #[arg(long)]
    pub gossip_suspicion_millis: Option<u64>,
    /// Helpers asked to probe a node that missed a direct probe (default 3).
    #[arg(long)]
    pub gossip_indirect_probes: Option<usize>,
    /// Largest accepted clock difference between nodes, in s (default 30).
    #[arg(long)]
    pub gossip_max_clock_skew_seconds: Option<u64>,
    /// How long a handover waits for the other node's claim or release, in ms (default 1000).
    #[arg(long)]
    pub handover_timeout_millis: Option<u64>,
}

fn de_opt_parse<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}"))),
    }
}

fn de_opt_parse_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let Some(list) = Option::<Vec<String>>::deserialize(d)? else {
        return Ok(None);
    };
    list.iter()
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
        })
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid YAML for [`Settings`] (unknown key, wrong type, bad value).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key's path.
        message: String,
    },
    /// A required setting is missing from both the file and the command line.
    #[error("missing setting {key} (YAML key {key}, flag --{flag})")]
    Missing {
        /// YAML key.
        key: &'static str,
        /// Flag name.
        flag: &'static str,
    },
    /// The setting selects something this build does not contain (a cargo feature is off).
    #[error("setting {key}: {value} needs the cargo feature `{feature}`, which this build lacks (rebuild with --features {feature})")]
    NotBuilt {
        /// YAML key.
        key: &'static str,
        /// The value asked for.
        value: &'static str,
        /// The missing feature.
        feature: &'static str,
    },
    /// A setting has a value the agent cannot use.
    #[error("setting {key}: {message}")]
    Invalid {
        /// YAML key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

macro_rules! merge_fields {
    ($a:ident, $b:ident, $($f:ident),* $(,)?) => {
        Settings { $($f: $a.$f.or($b.$f)),* }
    };
}

impl Settings {
    /// Reads a YAML settings file; unknown keys are errors that name the key.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Settings::from_yaml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses YAML settings text (an empty document is all defaults).
    pub fn from_yaml(text: &str) -> Result<Settings, String> {
        if text.trim().is_empty() {
            return Ok(Settings::default());
        }
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                e.into_inner().to_string()
            } else {
                format!("{path}: {}", e.into_inner())
            }
        })
    }

    /// Each setting from `self` if set there, else from `other` (flags over file).
    pub fn or(self, other: Settings) -> Settings {
        merge_fields!(
            self,
            other,
            node_name,
            ovs_run_dir,
            ovsdb,
            int_bridge,
            phy_bridge,
            int_bridge_target,
            phy_bridge_target,
            datapath_type,
            uplink_interface,
            transport_ip,
            bridge_mac,
            default_gateway,
            tunnel_type,
            tunnel_port,
            pod_cidr,
            ct_zone,
            next_hop,
            next_hop_mac,
            gateway_mac,
            except_cidrs,
            manifest_dir,
            source,
            transport_prefix_length,
            status_dir,
            listen,
            max_egress_ips_per_node,
            rescan_seconds,
            drain_millis,
            log_level,
            gossip_key_file,
            gossip_port,
            gossip_bind_address,
            gossip_probe_period_millis,
            gossip_probe_rtt_millis,
            gossip_suspicion_millis,
            gossip_indirect_probes,
            gossip_max_clock_skew_seconds,
            handover_timeout_millis,
        )
    }

    /// The selected source of cluster objects; [`ConfigError::NotBuilt`] if this build cannot
    /// provide it (`kubernetes` without the `kube` feature).
    pub fn source_kind(&self) -> Result<SourceKind, ConfigError> {
        let kind = self.source.unwrap_or(SourceKind::Manifests);
        if kind == SourceKind::Kubernetes && !cfg!(feature = "kube") {
            return Err(ConfigError::NotBuilt {
                key: "source",
                value: "kubernetes",
                feature: "kube",
            });
        }
        Ok(kind)
    }

    /// Applies defaults and checks every value.
    pub fn resolve(self) -> Result<AgentConfig, ConfigError> {
        let source_kind = self.source_kind()?;
        let gossip = self.gossip()?;
        let node_name = required(self.node_name, "nodeName", "node-name")?;
        if node_name.is_empty() || node_name.contains(['/', ' ']) {
            return Err(invalid(
                "nodeName",
                format!("{node_name:?} is not a node name"),
            ));
        }
        let ovs_run_dir = self
            .ovs_run_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_OVS_RUN_DIR));
        let int_bridge = self.int_bridge.unwrap_or_else(|| "br-int".into());
        let phy_bridge = self.phy_bridge.unwrap_or_else(|| "br-phy".into());
        if int_bridge == phy_bridge {
            return Err(invalid(
                "phyBridge",
                "must differ from intBridge".to_string(),
            ));
        }
        let ovsdb = self
            .ovsdb
            .unwrap_or_else(|| format!("unix:{}", ovs_run_dir.join("db.sock").display()));
        let mgmt = |b: &str| format!("unix:{}", ovs_run_dir.join(format!("{b}.mgmt")).display());
        let int_bridge_target = self.int_bridge_target.unwrap_or_else(|| mgmt(&int_bridge));
        let phy_bridge_target = self.phy_bridge_target.unwrap_or_else(|| mgmt(&phy_bridge));
        let datapath_type = self.datapath_type.unwrap_or_else(|| "netdev".into());
        if !matches!(datapath_type.as_str(), "netdev" | "system") {
            return Err(invalid(
                "datapathType",
                format!("{datapath_type:?} is neither netdev nor system"),
            ));
        }
        let uplink_interface =
            required(self.uplink_interface, "uplinkInterface", "uplink-interface")?;
        let transport_ip = required(self.transport_ip, "transportIP", "transport-ip")?;
        let bridge_mac = self
            .bridge_mac
            .unwrap_or_else(|| MacAddr::for_ipv4(transport_ip.ip()));
        let pod_cidr = required(self.pod_cidr, "podCIDR", "pod-cidr")?;
        if pod_cidr.ip() != pod_cidr.network() {
            return Err(invalid(
                "podCIDR",
                format!(
                    "{pod_cidr} has host bits set (did you mean {}/{}?)",
                    pod_cidr.network(),
                    pod_cidr.prefix()
                ),
            ));
        }
        let ct_zone = self.ct_zone.unwrap_or(DEFAULT_CT_ZONE);
        let next_hop = match (self.next_hop, self.next_hop_mac) {
            (_, Some(mac)) => NextHop::Mac(mac),
            (Some(ip), None) => NextHop::Resolve(ip),
            (None, None) => {
                return Err(ConfigError::Missing {
                    key: "nextHop",
                    flag: "next-hop",
                })
            }
        };
        let (source, default_status_dir) = match source_kind {
            SourceKind::Manifests => {
                let dir = required(self.manifest_dir, "manifestDir", "manifest-dir")?;
                let status = dir.join("status");
                (ClusterSource::Manifests { dir }, status)
            }
            #[cfg(not(feature = "kube"))]
            SourceKind::Kubernetes => {
                return Err(ConfigError::NotBuilt {
                    key: "source",
                    value: "kubernetes",
                    feature: "kube",
                })
            }
            #[cfg(feature = "kube")]
            SourceKind::Kubernetes => {
                if self.manifest_dir.is_some() {
                    return Err(invalid(
                        "manifestDir",
                        "not used with source: kubernetes (remove it)".into(),
                    ));
                }
                (
                    ClusterSource::Kubernetes,
                    PathBuf::from(DEFAULT_KUBE_STATUS_DIR),
                )
            }
        };
        let status_dir = self.status_dir.unwrap_or(default_status_dir);
        let listen = match self.listen.as_deref().unwrap_or(DEFAULT_LISTEN) {
            "off" | "" => None,
            text => Some(
                text.parse::<SocketAddr>()
                    .map_err(|_| invalid("listen", format!("{text:?} is not an address:port")))?,
            ),
        };
        let max = self
            .max_egress_ips_per_node
            .unwrap_or(DEFAULT_MAX_EGRESS_IPS_PER_NODE);
        if max > DEFAULT_MAX_EGRESS_IPS_PER_NODE {
            return Err(invalid(
                "maxEgressIPsPerNode",
                format!("{max} is above the maximum {DEFAULT_MAX_EGRESS_IPS_PER_NODE}"),
            ));
        }
        let rescan = self.rescan_seconds.unwrap_or(10);
        if rescan == 0 {
            return Err(invalid("rescanSeconds", "must be at least 1".into()));
        }
        Ok(AgentConfig {
            node_name,
            ovsdb,
            int_bridge,
            phy_bridge,
            int_bridge_target,
            phy_bridge_target,
            datapath_type,
            uplink_interface,
            transport_ip,
            bridge_mac,
            default_gateway: self.default_gateway,
            tunnel: self.tunnel_type.unwrap_or(TunnelKind::Geneve),
            tunnel_port: self.tunnel_port.unwrap_or_else(|| "tun0".into()),
            pod_cidr,
            ct_zone,
            next_hop,
            gateway_mac: self.gateway_mac.unwrap_or(DEFAULT_GATEWAY_MAC),
            except_cidrs: self.except_cidrs.unwrap_or_default(),
            source,
            status_dir,
            listen,
            election: ElectionConfig {
                max_egress_ips_per_node: max,
            },
            rescan_interval: Duration::from_secs(rescan),
            drain: Duration::from_millis(self.drain_millis.unwrap_or(3000)),
            log_level: self.log_level.unwrap_or_else(|| "info".into()),
            gossip,
        })
    }

    /// The membership settings (`None` without a key file).
    fn gossip(&self) -> Result<Option<GossipConfig>, ConfigError> {
        let Some(key_file) = self.gossip_key_file.clone() else {
            return Ok(None);
        };
        let ms = Duration::from_millis;
        let d = GossipParams::default();
        let params = GossipParams {
            probe_period: self.gossip_probe_period_millis.map_or(d.probe_period, ms),
            probe_rtt: self.gossip_probe_rtt_millis.map_or(d.probe_rtt, ms),
            suspicion: self.gossip_suspicion_millis.map_or(d.suspicion, ms),
            indirect_probes: self.gossip_indirect_probes.unwrap_or(d.indirect_probes),
            handover_timeout: self.handover_timeout_millis.map_or(d.handover_timeout, ms),
            max_skew: self
                .gossip_max_clock_skew_seconds
                .map_or(d.max_skew, Duration::from_secs),
        };
        params
            .validate()
            .map_err(|message| invalid("gossipProbePeriodMillis", message))?;
        let port = self.gossip_port.unwrap_or(DEFAULT_GOSSIP_PORT);
        if port == 0 {
            return Err(invalid("gossipPort", "must not be 0".into()));
        }
        Ok(Some(GossipConfig {
            key_file,
            port,
            bind: self
                .gossip_bind_address
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            params,
        }))
    }
}

/// Membership settings (issue 7): present when a gossip key file is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipConfig {
    /// The shared key file.
    pub key_file: PathBuf,
    /// UDP port (the same on every node).
    pub port: u16,
    /// Local bind address.
    pub bind: IpAddr,
    /// Timings.
    pub params: GossipParams,
}

fn required<T>(v: Option<T>, key: &'static str, flag: &'static str) -> Result<T, ConfigError> {
    v.ok_or(ConfigError::Missing { key, flag })
}

fn invalid(key: &'static str, message: String) -> ConfigError {
    ConfigError::Invalid { key, message }
}

/// Where the agent takes cluster objects from (resolved [`SourceKind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterSource {
    /// The manifest directory.
    Manifests {
        /// The directory.
        dir: PathBuf,
    },
    /// The Kubernetes API (only in builds with the `kube` feature).
    #[cfg(feature = "kube")]
    Kubernetes,
}

/// How the agent learns the next hop's MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextHop {
    /// Configured.
    Mac(MacAddr),
    /// Resolved through the kernel's neighbour table on the uplink bridge.
    Resolve(IpAddr),
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// This node's name.
    pub node_name: String,
    /// OVSDB target.
    pub ovsdb: String,
    /// Pipeline bridge name.
    pub int_bridge: String,
    /// Uplink bridge name.
    pub phy_bridge: String,
    /// OpenFlow target of the pipeline bridge.
    pub int_bridge_target: String,
    /// OpenFlow target of the uplink bridge.
    pub phy_bridge_target: String,
    /// Datapath type of both bridges.
    pub datapath_type: String,
    /// The uplink interface.
    pub uplink_interface: String,
    /// Transport address and prefix (on the uplink bridge's LOCAL port).
    pub transport_ip: Ipv4Network,
    /// MAC of the uplink bridge (pinned with `other_config:hwaddr`).
    pub bridge_mac: MacAddr,
    /// Default route for the node's own traffic, if the agent manages it.
    pub default_gateway: Option<Ipv4Addr>,
    /// Tunnel encapsulation.
    pub tunnel: TunnelKind,
    /// Tunnel port name.
    pub tunnel_port: String,
    /// This node's pod CIDR.
    pub pod_cidr: IpNetwork,
    /// Conntrack zone of SNAT entries.
    pub ct_zone: u16,
    /// Next hop of egress traffic.
    pub next_hop: NextHop,
    /// Pods' virtual gateway MAC.
    pub gateway_mac: MacAddr,
    /// Destinations that never use an Egress IP.
    pub except_cidrs: Vec<IpNetwork>,
    /// Where cluster objects come from.
    pub source: ClusterSource,
    /// The status directory.
    pub status_dir: PathBuf,
    /// Metrics/health listen address (`None`: off).
    pub listen: Option<SocketAddr>,
    /// Election settings.
    pub election: ElectionConfig,
    /// Full rescan period of the manifest directory.
    pub rescan_interval: Duration,
    /// How long a moved-away egress IP keeps un-NATing replies.
    pub drain: Duration,
    /// Log filter.
    pub log_level: String,
    /// Membership (gossip), when configured.
    pub gossip: Option<GossipConfig>,
}

impl AgentConfig {
    /// The pinned datapath id of the uplink bridge: its MAC, as OVS would derive it.
    pub fn phy_datapath_id(&self) -> u64 {
        self.bridge_mac.to_u64()
    }

    /// The pinned datapath id of the pipeline bridge: the uplink MAC with bit 48 set, so the two
    /// bridges differ and both stay the same across ovs-vswitchd restarts (notes pitfall 12).
    pub fn int_datapath_id(&self) -> u64 {
        1 << 48 | self.bridge_mac.to_u64()
    }
}

/// A configuration for unit tests: node `node` with the testbed's address plan for index `k`.
#[cfg(test)]
pub(crate) fn test_config(node: &str, k: u8) -> AgentConfig {
    Settings {
        node_name: Some(node.into()),
        uplink_interface: Some("eth0".into()),
        transport_ip: Some(format!("10.105.18.{}/24", 30 + k).parse().unwrap()),
        pod_cidr: Some(format!("192.168.{}.0/24", 99 + k).parse().unwrap()),
        next_hop: Some("10.105.18.35".parse().unwrap()),
        manifest_dir: Some("/nonexistent".into()),
        ..Settings::default()
    }
    .resolve()
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "
nodeName: node1
ovsRunDir: /run/n1
uplinkInterface: eth0
transportIP: 10.105.18.31/24
podCIDR: 192.168.100.0/24
nextHop: 10.105.18.35
exceptCIDRs: [10.0.0.0/8]
manifestDir: /etc/ovs-egress/manifests
maxEgressIPsPerNode: 3
";

    #[test]
    fn file_with_defaults() {
        let c = Settings::from_yaml(FULL).unwrap().resolve().unwrap();
        assert_eq!(c.ovsdb, "unix:/run/n1/db.sock");
        assert_eq!(c.int_bridge_target, "unix:/run/n1/br-int.mgmt");
        assert_eq!(c.phy_bridge_target, "unix:/run/n1/br-phy.mgmt");
        assert_eq!(c.bridge_mac.to_string(), "02:00:0a:69:12:1f");
        assert_eq!(
            c.next_hop,
            NextHop::Resolve("10.105.18.35".parse().unwrap())
        );
        assert_eq!(
            c.status_dir,
            PathBuf::from("/etc/ovs-egress/manifests/status")
        );
        assert_eq!(c.ct_zone, 65520);
        assert_eq!(c.tunnel, TunnelKind::Geneve);
        assert_eq!(c.election.max_egress_ips_per_node, 3);
        assert_eq!(c.except_cidrs.len(), 1);
        assert_eq!(c.listen, Some(DEFAULT_LISTEN.parse().unwrap()));
        assert_eq!(c.phy_datapath_id(), 0x0200_0a69_121f);
        assert_eq!(c.int_datapath_id(), 0x0001_0200_0a69_121f);
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = Settings::from_yaml(FULL).unwrap();
        let flags = Settings {
            node_name: Some("node9".into()),
            tunnel_type: Some(TunnelKind::Vxlan),
            listen: Some("off".into()),
            ..Settings::default()
        };
        let c = flags.or(file).resolve().unwrap();
        assert_eq!(c.node_name, "node9");
        assert_eq!(c.tunnel, TunnelKind::Vxlan);
        assert_eq!(c.listen, None);
        assert_eq!(c.uplink_interface, "eth0");
    }

    #[test]
    fn errors_name_the_key() {
        let e = Settings::from_yaml("nodeName: a\ntransportIp: 1.2.3.4/24\n").unwrap_err();
        assert!(e.contains("transportIp"), "{e}");
        let e = Settings::from_yaml("transportIP: 1.2.3.400/24\n").unwrap_err();
        assert!(e.contains("transportIP") && e.contains("1.2.3.400"), "{e}");
        let e = Settings::from_yaml("bridgeMAC: 02:00\n").unwrap_err();
        assert!(e.contains("bridgeMAC"), "{e}");
        let e = Settings::from_yaml("exceptCIDRs: [10.0.0.0/33]\n").unwrap_err();
        assert!(e.contains("exceptCIDRs"), "{e}");
        let missing = Settings::from_yaml("nodeName: a\n").unwrap().resolve();
        assert!(
            matches!(
                missing,
                Err(ConfigError::Missing {
                    key: "uplinkInterface",
                    ..
                })
            ),
            "{missing:?}"
        );
        let mut s = Settings::from_yaml(FULL).unwrap();
        s.pod_cidr = Some("192.168.100.1/24".parse().unwrap());
        let e = s.resolve().unwrap_err().to_string();
        assert!(
            e.contains("podCIDR") && e.contains("192.168.100.0/24"),
            "{e}"
        );
        let mut s = Settings::from_yaml(FULL).unwrap();
        s.next_hop = None;
        assert!(matches!(
            s.resolve(),
            Err(ConfigError::Missing { key: "nextHop", .. })
        ));
    }

    #[test]
    fn gossip_settings() {
        let c = Settings::from_yaml(FULL).unwrap().resolve().unwrap();
        assert_eq!(c.gossip, None, "membership is off without a key file");
        let text = format!(
            "{FULL}gossipKeyFile: /etc/ovs-egress/gossip.keys\ngossipPort: 7946\n\
             gossipProbePeriodMillis: 200\ngossipSuspicionMillis: 600\nhandoverTimeoutMillis: 500\n"
        );
        let g = Settings::from_yaml(&text)
            .unwrap()
            .resolve()
            .unwrap()
            .gossip
            .unwrap();
        assert_eq!(g.port, 7946);
        assert_eq!(g.bind, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(g.params.probe_period, Duration::from_millis(200));
        assert_eq!(g.params.probe_rtt, Duration::from_millis(40));
        assert_eq!(g.params.suspicion, Duration::from_millis(600));
        assert_eq!(g.params.handover_timeout, Duration::from_millis(500));
        let bad = format!("{FULL}gossipKeyFile: /k\ngossipProbeRttMillis: 100\n");
        let e = Settings::from_yaml(&bad)
            .unwrap()
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(e.contains("gossipProbeRttMillis"), "{e}");
        let bad = format!("{FULL}gossipKeyFile: /k\ngossipPort: 0\n");
        let e = Settings::from_yaml(&bad)
            .unwrap()
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(e.contains("gossipPort"), "{e}");
    }

    #[test]
    fn kubernetes_source() {
        let text = "nodeName: node1\nsource: kubernetes\nuplinkInterface: eth0\n\
                    transportIP: 10.105.18.31/24\npodCIDR: 192.168.100.0/24\nnextHop: 10.105.18.35\n";
        let resolved = Settings::from_yaml(text).unwrap().resolve();
        #[cfg(feature = "kube")]
        {
            let c = resolved.unwrap();
            assert_eq!(c.source, ClusterSource::Kubernetes);
            assert_eq!(c.status_dir, PathBuf::from(DEFAULT_KUBE_STATUS_DIR));
            let e = Settings::from_yaml(&format!("{text}manifestDir: /m\n"))
                .unwrap()
                .resolve()
                .unwrap_err();
            assert!(e.to_string().contains("manifestDir"), "{e}");
        }
        #[cfg(not(feature = "kube"))]
        {
            let e = resolved.unwrap_err();
            assert!(
                matches!(
                    e,
                    ConfigError::NotBuilt {
                        key: "source",
                        feature: "kube",
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(e.to_string().contains("--features kube"), "{e}");
        }
        let c = Settings::from_yaml(FULL).unwrap().resolve().unwrap();
        assert_eq!(
            c.source,
            ClusterSource::Manifests {
                dir: "/etc/ovs-egress/manifests".into()
            }
        );
        let e = Settings::from_yaml("source: etcd\n").unwrap_err();
        assert!(e.contains("source"), "{e}");
    }

    #[test]
    fn mac_text() {
        let m: MacAddr = "02:00:0a:69:12:1f".parse().unwrap();
        assert_eq!(m, MacAddr::for_ipv4(Ipv4Addr::new(10, 105, 18, 31)));
        for bad in [
            "",
            "02:00:0a:69:12",
            "02:00:0a:69:12:1f:00",
            "0g:00:00:00:00:00",
            "123:0:0:0:0:0",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
    }
}
