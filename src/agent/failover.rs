//! The agent's side of membership and failover (issue 7): starts gossip when a key file is
//! configured, keeps its peer list in step with the Node objects, publishes this node's
//! installed egress IPs (claims), drives a graceful stop (depart, hand over, leave), and adds
//! the failover part of the status and metrics. The protocol itself is `membership/`; the
//! semantics are in `docs/failover.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::egress::model::{StatusCondition, Timestamp};

use super::config::AgentConfig;
use super::controller::Controller;
use super::membership::driver::{self, MembershipConfig, MembershipHandle};
use super::membership::handover::Announce;
use super::membership::keys::GossipKeys;
use super::membership::MembershipReport;
use super::metrics::Metrics;
use super::source::Input;
use super::status::{EgressIpReport, MembershipStatus, NodeReport};

/// Why membership could not start.
#[derive(Debug, thiserror::Error)]
pub enum FailoverError {
    /// The key file is missing or invalid.
    #[error(transparent)]
    Keys(#[from] super::membership::keys::KeyError),
    /// The socket or the thread.
    #[error(transparent)]
    Driver(#[from] driver::DriverError),
}

/// The condition type reported while this node has lost contact with every peer.
pub const ISOLATED_CONDITION: &str = "MembershipIsolated";

/// Membership as the runtime holds it.
#[derive(Debug)]
pub struct Failover {
    handle: Option<MembershipHandle>,
    port: u16,
    timeout: Duration,
    peers: Option<BTreeMap<String, SocketAddr>>,
    published: Option<BTreeSet<IpAddr>>,
    stop_deadline: Option<Instant>,
    isolated_since: Option<(bool, Timestamp)>,
    owners: BTreeMap<IpAddr, String>,
    timeouts_counted: u64,
}

impl Failover {
    /// Starts gossip if the configuration asks for it; reports reach the controller as
    /// [`Input::Membership`].
    pub fn start(
        cfg: &AgentConfig,
        metrics: Arc<Metrics>,
        inputs: mpsc::UnboundedSender<Input>,
    ) -> Result<Option<Failover>, FailoverError> {
        let Some(g) = &cfg.gossip else {
            return Ok(None);
        };
        let keys = GossipKeys::load(&g.key_file)?;
        let mc = MembershipConfig {
            node: cfg.node_name.clone(),
            bind: SocketAddr::new(g.bind, g.port),
            advertise: IpAddr::V4(cfg.transport_ip.ip()),
            keys,
            params: g.params,
        };
        let handle = driver::spawn(mc, metrics, move |r| {
            let _ = inputs.send(Input::Membership(Box::new(r)));
        })?;
        tracing::info!(
            addr = %handle.addr(),
            probe = ?g.params.probe_period,
            suspicion = ?g.params.suspicion,
            "membership started"
        );
        Ok(Some(Failover {
            handle: Some(handle),
            port: g.port,
            timeout: g.params.handover_timeout,
            peers: None,
            published: None,
            stop_deadline: None,
            isolated_since: None,
            owners: BTreeMap::new(),
            timeouts_counted: 0,
        }))
    }

    /// Gives gossip the other nodes' addresses (InternalIP) when they change. Call it once the
    /// cluster source delivered its snapshot: the first call (even with no peers) lets
    /// membership report, and it must not report this node alone before it knows the Nodes.
    pub fn sync_peers(&mut self, ctl: &Controller) {
        let peers: BTreeMap<String, SocketAddr> = ctl
            .view()
            .peers()
            .filter_map(|n| {
                Some((
                    n.name().to_string(),
                    SocketAddr::new(n.internal_ip()?, self.port),
                ))
            })
            .collect();
        if self.peers.as_ref() != Some(&peers) {
            self.peers = Some(peers.clone());
            if let Some(h) = &self.handle {
                h.set_peers(peers);
            }
        }
    }

    /// Publishes the IPs this node serves, once their flows are committed and the next hop is
    /// known: a claim makes the previous holder let go, and until the next hop's MAC is
    /// resolved the SNATed packets would go to a placeholder (a freshly started agent).
    pub fn publish(&mut self, ctl: &Controller) {
        if ctl.next_hop().is_none() {
            return;
        }
        let serving = ctl.serving();
        if self.published.as_ref() != Some(&serving) {
            if let Some(h) = &self.handle {
                h.set_claims(serving.clone());
            }
            self.published = Some(serving);
        }
    }

    /// Starts a graceful stop: announce the departure and let the others take the IPs over.
    /// False when a stop is already under way (a second signal: stop now).
    pub fn depart(&mut self) -> bool {
        if self.stop_deadline.is_some() {
            return false;
        }
        if let Some(h) = &self.handle {
            h.depart();
        }
        tracing::info!("stopping: handing the egress IPs over before leaving");
        self.stop_deadline = Some(Instant::now() + self.timeout * 2 + Duration::from_secs(1));
        true
    }

    /// The stop's deadline, while stopping.
    pub fn stop_deadline(&self) -> Option<Instant> {
        self.stop_deadline
    }

    /// Whether a graceful stop is complete: the departure is known and every IP that can go
    /// elsewhere went (or the deadline passed).
    pub fn stopped(&self, ctl: &Controller) -> bool {
        let Some(deadline) = self.stop_deadline else {
            return false;
        };
        let departed = ctl.view().gossip().is_some_and(|g| g.departing);
        (departed && ctl.handed_over()) || Instant::now() >= deadline
    }

    /// Leaves the gossip cluster (last step of a stop).
    pub async fn leave(&mut self) {
        if let Some(h) = self.handle.take() {
            h.leave(Duration::from_secs(1)).await;
        }
    }

    /// Updates the membership gauges and the elected owner of each IP.
    pub fn update_gauges(&mut self, ctl: &Controller, metrics: &Metrics) {
        let m = &metrics.membership;
        let alive = ctl.view().alive().len();
        m.alive_nodes.set(i64::try_from(alive).unwrap_or(i64::MAX));
        let isolated = ctl.view().gossip().is_some_and(|g| g.isolated);
        m.isolated.set(i64::from(isolated));
        let owners: BTreeMap<IpAddr, String> = ctl
            .view()
            .engine()
            .plan()
            .ips
            .iter()
            .filter_map(|(ip, o)| Some((*ip, o.owner.clone()?)))
            .collect();
        let timeouts = ctl.handover_timeouts();
        m.handover_timeouts
            .inc_by(timeouts.saturating_sub(self.timeouts_counted));
        self.timeouts_counted = timeouts;
        if owners != self.owners {
            for (ip, node) in &self.owners {
                m.ip_owner.remove(&labels(*ip, node));
            }
            for (ip, node) in &owners {
                m.ip_owner.get_or_create(&labels(*ip, node)).set(1);
            }
            self.owners = owners;
        }
    }

    /// Adds the failover part to a node's status report: membership, the isolation condition,
    /// and each egress IP's elected node and whether this node serves it.
    pub fn fill_status(&mut self, ctl: &Controller, report: &mut NodeReport, at: Timestamp) {
        fill_status(ctl, report, at, Some(self));
    }
}

fn labels(ip: IpAddr, node: &str) -> Vec<(String, String)> {
    vec![
        ("ip".to_string(), ip.to_string()),
        ("node".to_string(), node.to_string()),
    ]
}

/// Records announcements in the metrics (takeover durations).
pub fn observe_announcements(metrics: &Metrics, due: &[Announce]) {
    for a in due {
        if let Some(d) = a.takeover {
            metrics.membership.takeover_seconds.observe(d.as_secs_f64());
            tracing::info!(ip = %a.ip, took = ?d, "egress IP taken over and announced");
        }
    }
}

/// The failover part of the status (also without membership: per-IP holders).
pub fn fill_status(
    ctl: &Controller,
    report: &mut NodeReport,
    at: Timestamp,
    failover: Option<&mut Failover>,
) {
    let serving = ctl.serving();
    report.egress_ips = ctl
        .view()
        .engine()
        .plan()
        .ips
        .iter()
        .map(|(ip, o)| EgressIpReport {
            ip: ip.to_string(),
            egress_node: o.owner.clone().unwrap_or_default(),
            served_here: serving.contains(ip),
        })
        .collect();
    report.served_ips = serving.iter().map(ToString::to_string).collect();
    let Some(g) = ctl.view().gossip() else {
        return;
    };
    report.membership = Some(membership_status(g));
    let Some(f) = failover else { return };
    let since = match f.isolated_since {
        Some((was, t)) if was == g.isolated => t,
        _ => at,
    };
    f.isolated_since = Some((g.isolated, since));
    let (status, reason, message) = if g.isolated {
        let what = if g.frozen {
            "keeps the egress IPs it served and takes none over (alive set frozen)"
        } else {
            "is alone in a two-node cluster and serves what the election gives it"
        };
        (
            "True",
            "NoPeerReachable",
            format!("lost contact with every peer; this node {what}"),
        )
    } else {
        (
            "False",
            "PeersReachable",
            "gossip reaches at least one peer".to_string(),
        )
    };
    report.conditions.retain(|c| c.type_ != ISOLATED_CONDITION);
    report.conditions.push(StatusCondition {
        type_: ISOLATED_CONDITION.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        last_transition_time: Some(since),
    });
}

fn membership_status(g: &MembershipReport) -> MembershipStatus {
    MembershipStatus {
        members: g.members.clone(),
        isolated: g.isolated,
        frozen: g.frozen,
        departing: g.departing,
        claims: g
            .claims
            .iter()
            .map(|(n, ips)| (n.clone(), ips.iter().map(ToString::to_string).collect()))
            .collect(),
    }
}
