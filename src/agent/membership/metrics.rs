//! Membership and failover metrics, registered into the agent's registry under
//! `ovs_egress_` (see `docs/failover.md` for the list).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// One static label.
pub type Label = [(&'static str, &'static str); 1];
/// Labels with values known only at run time (`ip`, `node`).
pub type Labels = Vec<(String, String)>;

/// The metrics of membership and takeovers.
#[derive(Debug, Clone)]
pub struct MembershipMetrics {
    /// Gossip datagrams sent and received (`dir="in"|"out"`).
    pub gossip_datagrams: Family<Label, Counter>,
    /// Datagrams rejected, by reason (`malformed`, `unknown_key`, `bad_tag`, `stale`, `replay`,
    /// `protocol`).
    pub gossip_rejected: Family<Label, Counter>,
    /// Datagrams the kernel refused to send.
    pub gossip_send_errors: Counter,
    /// Membership events (`member_up`, `member_down`, `isolated`, `rejoin`).
    pub events: Family<Label, Counter>,
    /// Nodes the election may use (this node included).
    pub alive_nodes: Gauge,
    /// 1 while this node has lost contact with every peer.
    pub isolated: Gauge,
    /// Time from the moment this node learnt it must serve an egress IP to its gratuitous ARP
    /// (flows committed, previous holder released or gone).
    pub takeover_seconds: Histogram,
    /// Handover steps that went ahead after the handover timeout instead of the other node's
    /// claim or release.
    pub handover_timeouts: Counter,
    /// The elected node of every egress IP as this agent computes it (`ip`, `node`; value 1).
    pub ip_owner: Family<Labels, Gauge>,
}

impl Default for MembershipMetrics {
    fn default() -> Self {
        MembershipMetrics {
            gossip_datagrams: Family::default(),
            gossip_rejected: Family::default(),
            gossip_send_errors: Counter::default(),
            events: Family::default(),
            alive_nodes: Gauge::default(),
            isolated: Gauge::default(),
            takeover_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            handover_timeouts: Counter::default(),
            ip_owner: Family::default(),
        }
    }
}

impl MembershipMetrics {
    /// Registers every metric into `r`.
    pub fn register(&self, r: &mut Registry) {
        r.register(
            "gossip_datagrams",
            "Gossip datagrams sent and received",
            self.gossip_datagrams.clone(),
        );
        r.register(
            "gossip_rejected",
            "Gossip datagrams rejected (authentication, freshness, replay, protocol)",
            self.gossip_rejected.clone(),
        );
        r.register(
            "gossip_send_errors",
            "Gossip datagrams the kernel refused to send",
            self.gossip_send_errors.clone(),
        );
        r.register(
            "membership_events",
            "Membership events seen by this node",
            self.events.clone(),
        );
        r.register(
            "membership_alive_nodes",
            "Nodes the egress election may use",
            self.alive_nodes.clone(),
        );
        r.register(
            "membership_isolated",
            "1 while this node has lost contact with every peer",
            self.isolated.clone(),
        );
        r.register(
            "takeover_duration_seconds",
            "From learning to serve an egress IP to announcing it (GARP)",
            self.takeover_seconds.clone(),
        );
        r.register(
            "handover_timeouts",
            "Handover steps taken after the timeout instead of the peer's claim or release",
            self.handover_timeouts.clone(),
        );
        r.register(
            "egress_ip_owner",
            "Elected node of each egress IP, as this agent computes it",
            self.ip_owner.clone(),
        );
    }
}
