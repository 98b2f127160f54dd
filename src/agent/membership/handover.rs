//! Make-before-break between nodes: which egress IPs this node *serves* (has owner flows for)
//! and where its pods send each IP's traffic, given the election and the other nodes' claims.
//! Sans-IO: the controller passes the elected view, the plan, membership and the time.
//!
//! The order (testbed notes §5, stretched over several agents by the claims):
//! 1. the elected node (NEW) installs SNAT, tunnel ingress, un-NAT and ARP responder in one
//!    bundle, and claims the IP (gossip) once the bundle is committed;
//! 2. every other node keeps sending the IP's traffic to the node that served it so far (OLD)
//!    until NEW claims it; OLD keeps serving it until then, too;
//! 3. on NEW's claim, the others switch to NEW at once; OLD waits one *settle* period more
//!    (the others learn the claim by the same gossip a little later and still send to OLD),
//!    then switches its pods to the tunnel to NEW and drops its ARP responder (keeping the
//!    un-NAT of in-flight connections: draining), and withdraws its claim;
//! 4. NEW announces the IP (gratuitous ARP) once no other live node claims it — after OLD
//!    stopped SNATing, so replies to OLD's last packets still reach OLD.
//!
//! Every wait ends after the handover timeout (a lost claim, a stuck peer): the node then acts
//! on the election alone. When OLD is not alive (a failure), nobody waits: NEW announces right
//! after its install and the others send to NEW at once.
//!
//! A node whose gossip just reported for the first time, or again after an isolation, announces
//! nothing for three settle periods: the holders' claims reach it only as they re-publish them.
//! A node re-announces every IP it serves when a node (re)joins, and after it stops being
//! isolated: after a partition heals, ARP caches that followed another node during it come
//! back, and a second holder found through the claims makes the elected one wait for its
//! release before announcing (two nodes answer ARP for an IP at most until the release, or the
//! handover timeout).
//!
//! Without membership (no handshake), the elected view is used as is and a newly served IP is
//! announced right after its install.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::egress::model::Node;
use crate::egress::plan::IpPlan;
use crate::egress::state::{NodeView, OwnedIp};

use super::report::{MemberState, MembershipReport};

/// An announcement due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announce {
    /// The egress IP.
    pub ip: IpAddr,
    /// Since this node was elected for it (a takeover), if it was.
    pub takeover: Option<Duration>,
}

/// The handover state of one node.
#[derive(Debug, Clone)]
pub struct Handover {
    me: String,
    timeout: Duration,
    settle: Duration,
    handshake: bool,
    /// When this node first saw the elected node's claim of an IP it still serves (OLD).
    claim_seen: BTreeMap<IpAddr, Instant>,
    /// When membership first reported (joined), or reported again after an isolation:
    /// announcements wait `3 × settle` after it.
    first_report: Option<Instant>,
    elected: BTreeMap<IpAddr, (Option<String>, Instant)>,
    serving: BTreeSet<IpAddr>,
    announced: BTreeSet<IpAddr>,
    /// IPs whose takeover (since their last election change) has been reported: the
    /// re-announcements after a join or a heal are not takeovers.
    takeover_reported: BTreeSet<IpAddr>,
    contested: BTreeMap<IpAddr, Instant>,
    live: BTreeSet<String>,
    isolated: bool,
    timeouts: u64,
    last_now: Option<Instant>,
}

impl Handover {
    /// The handover of node `me`; `handshake` is on with membership, `timeout` bounds each wait.
    pub fn new(me: &str, timeout: Duration, handshake: bool) -> Handover {
        Handover {
            me: me.to_string(),
            timeout,
            settle: Duration::ZERO,
            handshake,
            claim_seen: BTreeMap::new(),
            first_report: None,
            elected: BTreeMap::new(),
            serving: BTreeSet::new(),
            announced: BTreeSet::new(),
            takeover_reported: BTreeSet::new(),
            contested: BTreeMap::new(),
            live: BTreeSet::new(),
            isolated: false,
            timeouts: 0,
            last_now: None,
        }
    }

    /// How long OLD keeps serving after NEW's claim arrived, so that the other nodes, which
    /// learn the claim by the same gossip a little later, switch their pods to NEW before OLD
    /// stops taking their traffic (one probe period in the agent; zero by default).
    pub fn with_settle(mut self, settle: Duration) -> Handover {
        self.settle = settle;
        self
    }

    /// The IPs this node serves (as of the last [`Handover::effective`]).
    pub fn serving(&self) -> &BTreeSet<IpAddr> {
        &self.serving
    }

    /// Waits that ended by timeout since start.
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    /// Takes a membership report into account: a node that (re)joined, or the end of this
    /// node's isolation, calls for announcing every served IP again.
    pub fn observe(&mut self, report: &MembershipReport) {
        let live: BTreeSet<String> = report
            .members
            .iter()
            .filter(|(_, s)| **s != MemberState::Down)
            .map(|(n, _)| n.clone())
            .collect();
        let joined = live.difference(&self.live).next().is_some();
        let healed = self.isolated && !report.isolated;
        if joined || healed {
            self.announced.clear();
        }
        if healed {
            // Back from an isolation under a new gossip identity: the others' claims reach
            // this node as they re-publish them, like a newcomer's (see `joining`).
            self.first_report = None;
        }
        self.live = live;
        self.isolated = report.isolated;
    }

    /// The view to program: `elected` with the IPs this node still (or already) serves and the
    /// node each pod's egress traffic goes to during a handover.
    pub fn effective(
        &mut self,
        elected: NodeView,
        plan: &IpPlan,
        nodes: &BTreeMap<String, Node>,
        membership: Option<&MembershipReport>,
        now: Instant,
    ) -> NodeView {
        self.track_elections(plan, now);
        self.last_now = Some(now);
        if membership.is_some() && self.first_report.is_none() {
            self.first_report = Some(now);
        }
        if !self.handshake {
            self.serving = elected.owned_ips.iter().map(|o| o.ip).collect();
            self.announced.retain(|ip| self.serving.contains(ip));
            return elected;
        }
        let me = self.me.clone();
        let claims = |ip: IpAddr| -> BTreeSet<&str> {
            membership
                .map(|m| m.claimers(ip).filter(|n| *n != me).collect())
                .unwrap_or_default()
        };
        let departing = membership.is_some_and(|m| m.departing);
        let mut serving = BTreeSet::new();
        let mut target: BTreeMap<IpAddr, String> = BTreeMap::new();
        for (ip, outcome) in &plan.ips {
            let (_, since) = self.elected.get(ip).cloned().unwrap_or((None, now));
            let waited_out = now >= since + self.timeout;
            let claimers = claims(*ip);
            match outcome.owner.as_deref() {
                Some(e) if e == me => {
                    serving.insert(*ip);
                }
                Some(e) => {
                    let e_claims = claimers.contains(e);
                    let settled = e_claims && {
                        let seen = *self.claim_seen.entry(*ip).or_insert(now);
                        now >= seen + self.settle
                    };
                    if self.serving.contains(ip) && !settled && !waited_out {
                        // OLD: keep serving until NEW claims it (and the others heard of it).
                        serving.insert(*ip);
                    } else if !e_claims && !waited_out {
                        // Someone else still serves it: keep sending there.
                        if let Some(old) = claimers.iter().next() {
                            target.insert(*ip, (*old).to_string());
                        }
                    }
                }
                // Departing and nobody else may take it: keep serving (a restart of the only
                // eligible node must not cut its traffic).
                None if departing && self.serving.contains(ip) => {
                    serving.insert(*ip);
                }
                None => {}
            }
        }
        for ip in self.serving.difference(&serving) {
            let (elected_now, since) = self.elected.get(ip).cloned().unwrap_or((None, now));
            let claimed = elected_now
                .as_deref()
                .is_some_and(|e| claims(*ip).contains(e));
            if elected_now.is_some() && !claimed && now >= since + self.timeout {
                self.timeouts += 1;
                tracing::warn!(%ip, "handover: the new holder did not claim the IP in time; releasing it anyway");
            }
        }
        self.serving = serving;
        self.claim_seen.retain(|ip, _| {
            self.serving.contains(ip)
                && plan
                    .ips
                    .get(ip)
                    .and_then(|o| o.owner.as_deref())
                    .is_some_and(|e| {
                        e != me && membership.is_some_and(|m| m.claimers(*ip).any(|n| n == e))
                    })
        });
        self.announced.retain(|ip| self.serving.contains(ip));
        self.contested.retain(|ip, _| self.serving.contains(ip));
        for ip in &self.serving {
            if claims(*ip).is_empty() {
                self.contested.remove(ip);
            } else {
                self.contested.entry(*ip).or_insert(now);
            }
        }
        self.apply(elected, plan, nodes, &target)
    }

    fn track_elections(&mut self, plan: &IpPlan, now: Instant) {
        self.elected.retain(|ip, _| plan.ips.contains_key(ip));
        self.takeover_reported
            .retain(|ip| plan.ips.contains_key(ip));
        for (ip, outcome) in &plan.ips {
            match self.elected.get(ip) {
                Some((owner, _)) if *owner == outcome.owner => {}
                _ => {
                    self.elected.insert(*ip, (outcome.owner.clone(), now));
                    self.takeover_reported.remove(ip);
                }
            }
        }
    }

    fn apply(
        &self,
        mut view: NodeView,
        plan: &IpPlan,
        nodes: &BTreeMap<String, Node>,
        target: &BTreeMap<IpAddr, String>,
    ) -> NodeView {
        let ip_of = |n: &str| nodes.get(n).and_then(Node::internal_ip);
        view.owned_ips = self
            .serving
            .iter()
            .filter_map(|ip| {
                let o = plan.ips.get(ip)?;
                Some(OwnedIp {
                    ip: *ip,
                    egress_id: o.egress_id,
                    egresses: o.egresses.clone(),
                })
            })
            .collect();
        for p in &mut view.pods {
            let Some(ip) = p.egress_ip else { continue };
            if p.owner.is_none() {
                continue;
            }
            if self.serving.contains(&ip) {
                p.owned_here = true;
                p.owner = Some(self.me.clone());
                p.owner_ip = ip_of(&self.me);
            } else if let Some(t) = target.get(&ip) {
                p.owned_here = false;
                p.owner = Some(t.clone());
                p.owner_ip = ip_of(t);
            } else {
                p.owned_here = false;
            }
        }
        view
    }

    /// Forgets every announcement (they are all due again).
    pub fn reannounce(&mut self) {
        self.announced.clear();
    }

    /// Whether every IP this node serves has been handed over (or has nobody to go to): a
    /// departing node may leave the cluster.
    pub fn handed_over(&self, plan: &IpPlan) -> bool {
        self.serving.iter().all(|ip| {
            plan.ips
                .get(ip)
                .is_none_or(|o| o.owner.is_none() || o.owner.as_deref() == Some(&self.me))
        })
    }

    /// The served IPs to announce now (call after the effective view is installed): those not
    /// announced yet that no other live node claims, or whose wait for the other holder's
    /// release timed out. With the handshake, nothing before membership's first report.
    pub fn announce_due(
        &mut self,
        membership: Option<&MembershipReport>,
        now: Instant,
    ) -> Vec<Announce> {
        if self.handshake && (membership.is_none() || self.joining(now)) {
            // Gossip has not reported yet, or just joined (an agent starting): another node may
            // still serve these IPs, and its claims reach a newcomer only when it re-publishes
            // them on seeing the newcomer up; announce once they are known.
            return Vec::new();
        }
        let mut due = Vec::new();
        for ip in self.serving.clone() {
            let others = membership
                .filter(|_| self.handshake)
                .is_some_and(|m| m.claimers(ip).any(|n| n != self.me));
            let (elected, since) = self.elected.get(&ip).cloned().unwrap_or((None, now));
            let elected_here = elected.as_deref() == Some(self.me.as_str());
            if !others {
                self.contested.remove(&ip);
            }
            if others {
                let start = *self.contested.entry(ip).or_insert(now);
                let waited_out = elected_here && now >= since.max(start) + self.timeout;
                if !waited_out {
                    // Another live node still serves it: our announcement (if any) is stale,
                    // and a new one waits for its release.
                    self.announced.remove(&ip);
                    continue;
                }
                if !self.announced.contains(&ip) {
                    self.timeouts += 1;
                    tracing::warn!(%ip, "handover: the previous holder did not release the IP in time; announcing anyway");
                }
            }
            if self.announced.insert(ip) {
                due.push(Announce {
                    ip,
                    takeover: (elected_here && self.takeover_reported.insert(ip))
                        .then(|| now.saturating_duration_since(since)),
                });
            }
        }
        due
    }

    /// How long after gossip's first report a starting node announces nothing.
    fn join_settle(&self) -> Duration {
        self.settle * 3
    }

    fn joining(&self, now: Instant) -> bool {
        self.first_report
            .is_some_and(|t| now < t + self.join_settle())
    }

    /// The next instant a wait ends, if any (after the last [`Handover::effective`], which
    /// acted on every wait that had ended by then).
    pub fn next_deadline(&self, membership: Option<&MembershipReport>) -> Option<Instant> {
        if !self.handshake {
            return None;
        }
        let contested =
            |ip: &IpAddr| membership.is_some_and(|m| m.claimers(*ip).any(|n| n != self.me));
        self.elected
            .iter()
            .filter(|(ip, (owner, _))| {
                let here = owner.as_deref() == Some(self.me.as_str());
                // OLD waiting for NEW's claim, NEW waiting for OLD's release, or a node
                // sending to OLD.
                (!here && (self.serving.contains(*ip) || contested(ip))) || (here && contested(ip))
            })
            .map(|(ip, (_, since))| {
                let start = self.contested.get(ip).map_or(*since, |c| (*since).max(*c));
                start + self.timeout
            })
            .chain(self.claim_seen.values().map(|seen| *seen + self.settle))
            .chain(self.first_report.map(|t| t + self.join_settle()))
            .filter(|d| self.last_now.is_none_or(|t| *d > t))
            .min()
    }
}

#[cfg(test)]
mod tests;
