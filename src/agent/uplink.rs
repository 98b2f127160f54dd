//! The uplink bridge's kernel side, through rtnetlink in the agent's own network namespace (the
//! agent runs where ovs-vswitchd runs, so the bridge's LOCAL tap is in its namespace):
//! - the transport IP on the tap, the tap up (and the pipeline bridge's tap up), optionally a
//!   default route — all gone after an ovs-vswitchd restart, which recreates the taps (notes
//!   pitfall 12), so they are restored as soon as the kernel announces the new link;
//! - the next hop's MAC: a *managed* neighbour entry (Linux ≥ 5.16 keeps it resolved by
//!   itself) whose address is read back and reported whenever it changes.
//!
//! The keeper ([`run`]) listens to link, IPv4 address and neighbour notifications and re-checks
//! everything after each burst (and every few seconds as a safety net). Every check reads first
//! and writes only what is missing, so it is idempotent and quiet.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use futures::stream::{StreamExt, TryStreamExt};
use ipnetwork::Ipv4Network;
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::LinkFlags;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourExtFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::{Handle, LinkUnspec, MulticastGroup, RouteMessageBuilder};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use super::config::MacAddr;

/// How often the keeper re-checks without a notification.
pub const RECHECK: Duration = Duration::from_secs(5);
/// How long the keeper waits after a notification for more of the same burst.
const SETTLE: Duration = Duration::from_millis(5);

/// A netlink failure, naming the step.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {source}")]
pub struct UplinkError {
    /// What the agent was doing.
    pub step: String,
    /// The netlink error.
    #[source]
    pub source: rtnetlink::Error,
}

fn err(step: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> UplinkError {
    let step = step.into();
    move |source| UplinkError { step, source }
}

/// What the kernel side should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UplinkSpec {
    /// The uplink bridge (its LOCAL tap gets the address).
    pub phy_bridge: String,
    /// The pipeline bridge (its tap is only brought up).
    pub int_bridge: String,
    /// The transport address.
    pub address: Ipv4Network,
    /// Default route for the node's own traffic.
    pub default_gateway: Option<Ipv4Addr>,
    /// The next hop whose MAC is wanted (`None`: configured statically).
    pub next_hop: Option<IpAddr>,
    /// Other nodes' transport addresses (kept resolved, see [`ensure`]).
    pub peers: Vec<IpAddr>,
}

/// What the runtime tells the keeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UplinkCommand {
    /// Probe unresolved neighbours at once (the flows that carry ARP were just installed).
    Kick,
    /// The other nodes' transport addresses changed.
    Peers(Vec<IpAddr>),
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UplinkReport {
    /// The uplink bridge's tap exists.
    pub link_present: bool,
    /// The transport address had to be (re)added.
    pub address_added: bool,
    /// The next hop's MAC, when the kernel has resolved it.
    pub next_hop_mac: Option<MacAddr>,
}

/// A link's index and whether it is up.
async fn link(handle: &Handle, name: &str) -> Result<Option<(u32, bool)>, UplinkError> {
    let mut links = handle.link().get().match_name(name.to_string()).execute();
    match links.try_next().await {
        Ok(Some(msg)) => Ok(Some((
            msg.header.index,
            msg.header.flags.contains(LinkFlags::Up),
        ))),
        Ok(None) => Ok(None),
        Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -libc::ENODEV => Ok(None),
        Err(e) => Err(err(format!("looking up link {name}"))(e)),
    }
}

async fn set_up(handle: &Handle, index: u32, name: &str) -> Result<(), UplinkError> {
    handle
        .link()
        .set(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .map_err(err(format!("setting {name} up")))
}

async fn has_address(handle: &Handle, index: u32, addr: Ipv4Network) -> Result<bool, UplinkError> {
    let addrs: Vec<_> = handle
        .address()
        .get()
        .set_link_index_filter(index)
        .execute()
        .try_collect()
        .await
        .map_err(err("listing addresses"))?;
    Ok(addrs.iter().any(|m| {
        m.header.prefix_len == addr.prefix()
            && m.attributes
                .iter()
                .any(|a| matches!(a, AddressAttribute::Local(IpAddr::V4(ip)) if *ip == addr.ip()))
    }))
}

/// The neighbour entries of link `index`.
async fn neighbours(handle: &Handle, index: u32) -> Result<Vec<NeighbourMessage>, UplinkError> {
    let entries: Vec<NeighbourMessage> = handle
        .neighbours()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(err("listing neighbours"))?;
    Ok(entries
        .into_iter()
        .filter(|n| n.header.ifindex == index)
        .collect())
}

/// The entry for `ip` among `entries`, and its MAC if resolved.
fn find_neighbour(
    entries: &[NeighbourMessage],
    ip: IpAddr,
) -> (Option<&NeighbourMessage>, Option<MacAddr>) {
    for n in entries {
        let dst = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(v4)) => Some(IpAddr::V4(*v4)),
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(v6)) => Some(IpAddr::V6(*v6)),
            _ => None,
        });
        if dst != Some(ip) {
            continue;
        }
        let usable = matches!(
            n.header.state,
            NeighbourState::Reachable
                | NeighbourState::Stale
                | NeighbourState::Delay
                | NeighbourState::Probe
                | NeighbourState::Permanent
                | NeighbourState::Noarp
        );
        let mac = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::LinkLayerAddress(l) => <[u8; 6]>::try_from(l.as_slice()).ok(),
            _ => None,
        });
        return (Some(n), mac.filter(|_| usable).map(MacAddr));
    }
    (None, None)
}

/// Keeps a managed (kernel-resolved) neighbour entry for `ip`; with `kick`, an unresolved one is
/// deleted and created again, which probes at once. Returns the MAC if resolved.
async fn managed_neighbour(
    handle: &Handle,
    index: u32,
    entries: &[NeighbourMessage],
    ip: IpAddr,
    kick: bool,
) -> Result<Option<MacAddr>, UplinkError> {
    let (entry, mac) = find_neighbour(entries, ip);
    let mut missing = entry.is_none();
    if let Some(entry) = entry.filter(|_| kick && mac.is_none()) {
        // Gone already is fine: it is created below.
        let _ = handle.neighbours().del(entry.clone()).execute().await;
        missing = true;
    }
    if missing {
        let mut req = handle
            .neighbours()
            .add(index, ip)
            .state(NeighbourState::None)
            .replace();
        req.message_mut()
            .attributes
            .push(NeighbourAttribute::ExtFlags(NeighbourExtFlags::Managed));
        req.execute()
            .await
            .map_err(err(format!("managed neighbour {ip}")))?;
    }
    Ok(mac)
}

/// Checks and repairs the kernel side once. With `kick`, unresolved neighbour entries are
/// deleted and created again, which probes at once instead of at the entry's next retransmit
/// (a second later; an incomplete entry ignores `NTF_USE`) — for when the flows that carry the
/// ARP exchange have just been installed.
pub async fn ensure(
    handle: &Handle,
    spec: &UplinkSpec,
    kick: bool,
) -> Result<UplinkReport, UplinkError> {
    let mut report = UplinkReport::default();
    if let Some((index, up)) = link(handle, &spec.int_bridge).await? {
        if !up {
            set_up(handle, index, &spec.int_bridge).await?;
        }
    }
    let Some((index, up)) = link(handle, &spec.phy_bridge).await? else {
        return Ok(report);
    };
    report.link_present = true;
    if !has_address(handle, index, spec.address).await? {
        handle
            .address()
            .add(index, IpAddr::V4(spec.address.ip()), spec.address.prefix())
            .replace()
            .execute()
            .await
            .map_err(err(format!(
                "adding {} to {}",
                spec.address, spec.phy_bridge
            )))?;
        report.address_added = true;
    }
    if !up {
        set_up(handle, index, &spec.phy_bridge).await?;
    }
    if let Some(gw) = spec.default_gateway {
        let route = RouteMessageBuilder::<Ipv4Addr>::new()
            .gateway(gw)
            .output_interface(index)
            .build();
        // `replace` makes this idempotent.
        handle
            .route()
            .add(route)
            .replace()
            .execute()
            .await
            .map_err(err(format!("default route via {gw}")))?;
    }
    let entries = neighbours(handle, index).await?;
    if let Some(hop) = spec.next_hop {
        report.next_hop_mac = managed_neighbour(handle, index, &entries, hop, kick).await?;
    }
    // Peers' transport addresses: OVS snoops the ARP replies the kernel gets for them (their
    // target is the bridge's own IP), which keeps its tunnel neighbour cache warm, so the first
    // packet tunnelled to a peer is not dropped while OVS resolves it (testbed notes pitfall 7).
    for peer in &spec.peers {
        managed_neighbour(handle, index, &entries, *peer, kick).await?;
    }
    Ok(report)
}

/// Keeps the kernel side as `spec` says, sending every report whose content changed (the first
/// one always) to `out`, until `out` is closed. [`UplinkCommand`]s on `commands` probe at once
/// or change the peers (see [`ensure`]).
pub async fn run(
    spec: UplinkSpec,
    out: mpsc::UnboundedSender<UplinkReport>,
    mut commands: mpsc::UnboundedReceiver<UplinkCommand>,
) -> Result<(), UplinkError> {
    let mut spec = spec;
    let groups = [
        MulticastGroup::Link,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Neigh,
    ];
    let (conn, handle, mut notifications) =
        rtnetlink::new_multicast_connection(&groups).map_err(|e| UplinkError {
            step: "opening a netlink socket".into(),
            source: rtnetlink::Error::NamespaceError(e.to_string()),
        })?;
    tokio::spawn(conn);
    let mut last: Option<UplinkReport> = None;
    let mut due = Instant::now();
    let mut kicked = false;
    loop {
        tokio::select! {
            _ = sleep_until(due) => {
                match ensure(&handle, &spec, std::mem::take(&mut kicked)).await {
                    Ok(report) => {
                        if report.address_added {
                            tracing::info!(
                                "restored {} on {}", spec.address, spec.phy_bridge
                            );
                        }
                        if last != Some(report) || report.address_added {
                            last = Some(report);
                            if out.send(report).is_err() {
                                return Ok(());
                            }
                        }
                    }
                    Err(e) => tracing::warn!("uplink check failed: {e}"),
                }
                due = Instant::now() + RECHECK;
            }
            n = notifications.next() => {
                if n.is_none() {
                    return Ok(());
                }
                due = due.min(Instant::now() + SETTLE);
            }
            c = commands.recv(), if !commands.is_closed() => {
                match c {
                    Some(UplinkCommand::Kick) => {
                        kicked = true;
                        due = Instant::now();
                    }
                    Some(UplinkCommand::Peers(peers)) if peers != spec.peers => {
                        spec.peers = peers;
                        due = Instant::now();
                    }
                    Some(UplinkCommand::Peers(_)) | None => {}
                }
            }
            _ = out.closed() => return Ok(()),
        }
    }
}
