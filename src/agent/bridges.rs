//! The node's bridges and ports, created and repaired through OVSDB, and the cookie round.
//!
//! Layout (testbed notes §2), both bridges `fail_mode=secure` with pinned datapath ids (an
//! ovs-vswitchd restart would otherwise give br-int a random one, notes pitfall 12):
//! - pipeline bridge (br-int): the tunnel port (`remote_ip=flow`, `key=flow`, ofport 1) and a
//!   patch port to the uplink bridge (ofport 2); pods are added by the CNI;
//! - uplink bridge (br-phy): the uplink interface (ofport 1), the patch port (ofport 2), LOCAL
//!   holding the transport IP (set by [`super::uplink`]), `other_config:hwaddr` pinned.
//!
//! The cookie round lives in the pipeline bridge's `external_ids:ovs-egress-round`: each agent
//! start takes the next value, so flows of the previous run are told apart and deleted only
//! after the new run has installed its own ([`crate::egress::pipeline::cookie`]).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::ovsdb::proto::{Condition, Datum, Operation};
use crate::ovsdb::vswitch::{
    BridgeSpec, FailMode, PortKind, PortSpec, TunnelKind, Vswitch, VswitchError,
};

use super::config::{AgentConfig, MacAddr, TunnelKind as ConfigTunnel};

/// `external_ids` key of the pipeline bridge holding the cookie round.
pub const ROUND_KEY: &str = "ovs-egress-round";
/// `external_ids` key of the uplink bridge holding the last resolved next-hop MAC, so a
/// restarted agent installs the same flows before it has resolved the next hop again.
pub const NEXT_HOP_MAC_KEY: &str = "ovs-egress-next-hop-mac";
/// The pipeline bridge's end of the patch pair.
pub const PATCH_ON_INT: &str = "patch-phy";
/// The uplink bridge's end of the patch pair.
pub const PATCH_ON_PHY: &str = "patch-int";
/// Requested ofport of the tunnel port and of the uplink interface.
pub const TUNNEL_OR_UPLINK_OFPORT: u16 = 1;
/// Requested ofport of both patch ports.
pub const PATCH_OFPORT: u16 = 2;
/// How long ovs-vswitchd may take to apply the configuration.
const APPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// The OpenFlow port numbers ovs-vswitchd gave the infrastructure ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfraPorts {
    /// Pipeline bridge: tunnel port.
    pub int_tunnel: u32,
    /// Pipeline bridge: patch port.
    pub int_patch: u32,
    /// Uplink bridge: uplink interface.
    pub phy_uplink: u32,
    /// Uplink bridge: patch port.
    pub phy_patch: u32,
}

/// The names of the interfaces this module owns (a change to any of them triggers a repair).
pub fn infra_interfaces(cfg: &AgentConfig) -> [String; 6] {
    [
        cfg.int_bridge.clone(),
        cfg.phy_bridge.clone(),
        cfg.tunnel_port.clone(),
        cfg.uplink_interface.clone(),
        PATCH_ON_INT.to_string(),
        PATCH_ON_PHY.to_string(),
    ]
}

fn bridge_spec(cfg: &AgentConfig, name: &str, dpid: u64) -> BridgeSpec {
    let mut spec = BridgeSpec::new(name);
    spec.datapath_type = cfg.datapath_type.clone();
    spec.protocols = ["OpenFlow10", "OpenFlow13", "OpenFlow15"]
        .map(String::from)
        .to_vec();
    spec.fail_mode = Some(FailMode::Secure);
    spec.datapath_id = Some(dpid);
    spec.external_ids
        .insert("ovs-egress-node".into(), cfg.node_name.clone());
    spec
}

/// Reads `external_ids` of bridge `name` (`None` if there is no such bridge).
pub async fn bridge_external_ids(
    vs: &Vswitch,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, VswitchError> {
    let r = vs
        .transact(&[Operation::Select {
            table: "Bridge".into(),
            conditions: vec![Condition::eq("name", name)],
            columns: Some(vec!["external_ids".into()]),
        }])
        .await?;
    Ok(r.first().and_then(|x| x.rows().first()).map(|row| {
        row.get("external_ids")
            .map(Datum::to_string_map)
            .unwrap_or_default()
    }))
}

/// Sets one `external_ids` key of bridge `name`, leaving the others alone.
pub async fn set_bridge_external_id(
    vs: &Vswitch,
    name: &str,
    key: &str,
    value: &str,
) -> Result<(), VswitchError> {
    let entries = BTreeMap::from([(key.to_string(), value.to_string())]);
    vs.transact(&[Operation::Mutate {
        table: "Bridge".into(),
        conditions: vec![Condition::eq("name", name)],
        mutations: crate::ovsdb::vswitch::merge_keys("external_ids", &entries),
    }])
    .await?;
    Ok(())
}

/// The round after `previous` (never 0, so a flow with cookie 0 is never ours).
pub fn next_round(previous: Option<u16>) -> u16 {
    match previous.unwrap_or(0).wrapping_add(1) {
        0 => 1,
        r => r,
    }
}

/// What the agent found in OVSDB at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Startup {
    /// The round of the previous run, if any.
    pub previous_round: Option<u16>,
    /// The next-hop MAC the previous run resolved, if any.
    pub next_hop_mac: Option<MacAddr>,
}

/// Reads what the previous run left in OVSDB.
pub async fn read_startup(vs: &Vswitch, cfg: &AgentConfig) -> Result<Startup, VswitchError> {
    let int = bridge_external_ids(vs, &cfg.int_bridge).await?;
    let phy = bridge_external_ids(vs, &cfg.phy_bridge).await?;
    Ok(Startup {
        previous_round: int
            .as_ref()
            .and_then(|ids| ids.get(ROUND_KEY))
            .and_then(|r| r.parse().ok()),
        next_hop_mac: phy
            .as_ref()
            .and_then(|ids| ids.get(NEXT_HOP_MAC_KEY))
            .and_then(|m| m.parse().ok()),
    })
}

/// Creates or repairs both bridges and the infrastructure ports, records `round`, waits until
/// ovs-vswitchd has applied it all, and returns the ofports it assigned. Idempotent.
pub async fn ensure(
    vs: &Vswitch,
    cfg: &AgentConfig,
    round: u16,
) -> Result<InfraPorts, VswitchError> {
    let mut int = bridge_spec(cfg, &cfg.int_bridge, cfg.int_datapath_id());
    int.external_ids.insert(ROUND_KEY.into(), round.to_string());
    let mut phy = bridge_spec(cfg, &cfg.phy_bridge, cfg.phy_datapath_id());
    phy.other_config
        .insert("hwaddr".into(), cfg.bridge_mac.to_string());
    vs.ensure_bridge(&int).await?;
    vs.ensure_bridge(&phy).await?;
    let tunnel = match cfg.tunnel {
        ConfigTunnel::Geneve => TunnelKind::Geneve,
        ConfigTunnel::Vxlan => TunnelKind::Vxlan,
    };
    vs.ensure_ports(
        &cfg.phy_bridge,
        &[
            PortSpec::new(&cfg.uplink_interface, PortKind::System)
                .with_ofport(TUNNEL_OR_UPLINK_OFPORT),
            PortSpec::new(
                PATCH_ON_PHY,
                PortKind::Patch {
                    peer: PATCH_ON_INT.into(),
                },
            )
            .with_ofport(PATCH_OFPORT),
        ],
    )
    .await?;
    vs.ensure_ports(
        &cfg.int_bridge,
        &[
            PortSpec::new(
                &cfg.tunnel_port,
                PortKind::Tunnel {
                    kind: tunnel,
                    extra: BTreeMap::new(),
                },
            )
            .with_ofport(TUNNEL_OR_UPLINK_OFPORT),
            PortSpec::new(
                PATCH_ON_INT,
                PortKind::Patch {
                    peer: PATCH_ON_PHY.into(),
                },
            )
            .with_ofport(PATCH_OFPORT),
        ],
    )
    .await?;
    vs.sync(APPLY_TIMEOUT).await?;
    Ok(InfraPorts {
        int_tunnel: vs.wait_ofport(&cfg.tunnel_port, APPLY_TIMEOUT).await?,
        int_patch: vs.wait_ofport(PATCH_ON_INT, APPLY_TIMEOUT).await?,
        phy_uplink: vs.wait_ofport(&cfg.uplink_interface, APPLY_TIMEOUT).await?,
        phy_patch: vs.wait_ofport(PATCH_ON_PHY, APPLY_TIMEOUT).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_skip_zero() {
        assert_eq!(next_round(None), 1);
        assert_eq!(next_round(Some(7)), 8);
        assert_eq!(next_round(Some(u16::MAX)), 1);
    }
}
