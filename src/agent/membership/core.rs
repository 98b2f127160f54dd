//! The sans-IO membership core: foca (SWIM) plus what this agent adds around it — peers from
//! the Node objects, re-invitation of absent peers, rejoin after isolation, ownership claims,
//! departure, and the alive set with the isolation rule. The driver (`super::driver`) feeds it
//! authenticated payloads, the time and commands, and sends what it queues; tests drive several
//! cores over a simulated network in virtual time.
//!
//! Invariants:
//! - timers belong to the current foca instance: they are dropped when it is replaced;
//! - the alive set always contains this node unless it departs;
//! - while isolated (peers known, none live, after joining or the join timeout; peers that
//!   announced their departure do not count) in a cluster of three or more known nodes, the alive set is frozen at its last value before the isolation,
//!   so the node keeps what it owns and takes nothing new (docs/failover.md, split brain). In a
//!   two-node cluster a lone node cannot tell a dead peer from its own isolation and follows
//!   gossip (it takes over).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use foca::{AccumulatingRuntime, Foca, OwnedNotification, State, Timer};
use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::claims::{ClaimItem, ClaimTable, ClaimsHandler, SharedClaims, Subject};
use super::params::GossipParams;
use super::report::{MemberState, MembershipReport};
use super::wire::{NodeId, WireCodec};

type Swim = Foca<NodeId, WireCodec, SmallRng, ClaimsHandler>;

/// Counters of membership events (the driver turns them into metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Members that came up (joined, rejoined, refuted).
    pub member_up: u64,
    /// Members declared down or that left.
    pub member_down: u64,
    /// Times this node found itself cut off from every peer.
    pub isolations: u64,
    /// Times this node replaced its identity to rejoin.
    pub rejoins: u64,
    /// Payloads foca refused (malformed, from ourselves...).
    pub foca_errors: u64,
}

/// The membership core of one agent.
pub struct Membership {
    name: String,
    epoch: u64,
    params: GossipParams,
    foca: Swim,
    rt: AccumulatingRuntime<NodeId>,
    claims: SharedClaims,
    rng_seed: u64,
    timers: BTreeMap<(Instant, u64), Timer<NodeId>>,
    timer_seq: u64,
    peers: BTreeMap<String, SocketAddr>,
    outbox: VecDeque<(SocketAddr, Bytes)>,
    /// When the agent first gave its peers (the join timeout counts from there).
    peers_known_at: Option<Instant>,
    synced: bool,
    next_rejoin: Instant,
    own_claims: BTreeSet<IpAddr>,
    claim_version: u64,
    departing: bool,
    left: bool,
    alive_history: VecDeque<(Instant, BTreeSet<String>)>,
    frozen_alive: Option<BTreeSet<String>>,
    was_isolated: bool,
    changed: bool,
    counters: Counters,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("identity", self.foca.identity())
            .field("peers", &self.peers)
            .field("synced", &self.synced)
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// A core for node `name` gossiping at `addr`; `epoch` is the agent's start time in unix µs
    /// (its first identity's boot id and its claims' epoch).
    pub fn new(
        name: &str,
        addr: SocketAddr,
        epoch: u64,
        params: GossipParams,
        now: Instant,
        rng_seed: u64,
    ) -> Membership {
        let claims: SharedClaims = Rc::new(std::cell::RefCell::new(ClaimTable::default()));
        let id = NodeId {
            name: name.to_string(),
            addr,
            boot: epoch,
        };
        let foca = new_foca(id, &params, rng_seed, &claims);
        let mut m = Membership {
            name: name.to_string(),
            epoch,
            params,
            foca,
            rt: AccumulatingRuntime::new(),
            claims,
            rng_seed,
            timers: BTreeMap::new(),
            timer_seq: 0,
            peers: BTreeMap::new(),
            outbox: VecDeque::new(),
            peers_known_at: None,
            synced: false,
            next_rejoin: now,
            own_claims: BTreeSet::new(),
            claim_version: 0,
            departing: false,
            left: false,
            alive_history: VecDeque::new(),
            frozen_alive: None,
            was_isolated: false,
            changed: true,
            counters: Counters::default(),
        };
        m.broadcast_presence(now);
        m
    }

    /// This node's current identity.
    pub fn identity(&self) -> &NodeId {
        self.foca.identity()
    }

    /// Event counters since start.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Whether membership is known well enough to act on: joined a peer, no peer to join, or
    /// the join timeout passed.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Replaces the known peers (name → gossip address, from the Node objects, without this
    /// node); new peers that are not members yet are invited at once.
    ///
    /// Membership is not synced before the first call (even with no peers): the agent gives its
    /// peers once it knows the Node objects, and an agent that reported itself alone before
    /// would take every IP it is eligible for without a handover.
    pub fn set_peers(&mut self, peers: BTreeMap<String, SocketAddr>, now: Instant) {
        if self.peers_known_at.is_none() {
            self.peers_known_at = Some(now);
            self.changed = true;
        }
        if peers == self.peers {
            self.check_synced(now);
            return;
        }
        let new: Vec<SocketAddr> = peers
            .iter()
            .filter(|(n, a)| self.peers.get(*n) != Some(a))
            .map(|(_, a)| *a)
            .collect();
        self.peers = peers;
        self.changed = true;
        for addr in new {
            if !self.is_member(addr) {
                self.announce_to(addr);
            }
        }
        self.drain(now);
        self.check_synced(now);
    }

    /// Handles an authenticated payload. Errors are foca's (malformed or unexpected data) and
    /// are counted; they never stop the core.
    pub fn handle_payload(&mut self, payload: &[u8], now: Instant) -> Result<(), foca::Error> {
        if self.left {
            return Ok(());
        }
        let r = self.foca.handle_data(payload, &mut self.rt);
        if r.is_err() {
            self.counters.foca_errors += 1;
        }
        self.drain(now);
        r
    }

    /// The next instant [`Membership::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Instant {
        let mut next = self.next_rejoin;
        if let Some(((at, _), _)) = self.timers.first_key_value() {
            next = next.min(*at);
        }
        if let Some(known) = self.peers_known_at.filter(|_| !self.synced) {
            next = next.min(known + self.params.join_timeout());
        }
        next
    }

    /// Fires every timer due at `now`, re-invites absent peers when it is time.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let timer = entry.remove();
            if self.is_stale_suspicion(&timer) {
                continue;
            }
            if let Err(e) = self.foca.handle_timer(timer, &mut self.rt) {
                tracing::debug!("gossip timer: {e}");
            }
            self.drain(now);
        }
        if now >= self.next_rejoin {
            self.next_rejoin = now + self.params.rejoin_interval();
            if !self.left {
                let absent: Vec<SocketAddr> = self
                    .peers
                    .values()
                    .filter(|a| !self.is_member(**a))
                    .copied()
                    .collect();
                for addr in absent {
                    self.announce_to(addr);
                }
                self.drain(now);
            }
        }
        self.check_synced(now);
    }

    /// The next datagram payload to send, and where.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Bytes)> {
        self.outbox.pop_front()
    }

    /// Publishes the egress IPs this node has installed as owner (after each commit).
    pub fn set_claims(&mut self, ips: &BTreeSet<IpAddr>, now: Instant) {
        let gained: Vec<IpAddr> = ips.difference(&self.own_claims).copied().collect();
        let lost: Vec<IpAddr> = self.own_claims.difference(ips).copied().collect();
        if gained.is_empty() && lost.is_empty() {
            return;
        }
        self.own_claims = ips.clone();
        for ip in gained {
            self.broadcast_item(Subject::Ip(ip), true);
        }
        for ip in lost {
            self.broadcast_item(Subject::Ip(ip), false);
        }
        self.push_broadcasts(now);
    }

    /// Announces that this node is leaving (graceful stop): the others stop electing it and
    /// take over its IPs while it still answers gossip, so the handover is make-before-break.
    pub fn depart(&mut self, now: Instant) {
        if self.departing {
            return;
        }
        self.departing = true;
        self.changed = true;
        self.broadcast_presence(now);
    }

    /// Leaves the cluster: our identity is declared down to as many members as possible.
    pub fn leave(&mut self, now: Instant) {
        if self.left {
            return;
        }
        if let Err(e) = self.foca.leave_cluster(&mut self.rt) {
            tracing::debug!("leaving the gossip cluster: {e}");
        }
        // leave_cluster tells a few members; gossip twice more so every member of a small
        // cluster hears it first-hand.
        for _ in 0..2 {
            let _ = self.foca.gossip(&mut self.rt);
        }
        self.left = true;
        self.drain(now);
    }

    /// Whether the report changed since the last call.
    pub fn take_changed(&mut self) -> bool {
        let claims = self.claims.borrow_mut().take_changed();
        std::mem::take(&mut self.changed) | claims
    }

    /// The gossip state of the known nodes.
    fn member_states(&self) -> BTreeMap<String, MemberState> {
        let mut out: BTreeMap<String, MemberState> = self
            .peers
            .keys()
            .map(|n| (n.clone(), MemberState::Down))
            .collect();
        for m in self.foca.iter_membership_state() {
            let state = match m.state() {
                State::Alive => MemberState::Alive,
                State::Suspect => MemberState::Suspect,
                State::Down => MemberState::Down,
            };
            let slot = out.entry(m.id().name.clone()).or_insert(state);
            // Several identities of one node (a restart): the liveliest counts.
            if state < *slot {
                *slot = state;
            }
        }
        out.remove(&self.name);
        out
    }

    /// The snapshot for the controller at `now`. Updates the isolation bookkeeping, so call it
    /// whenever [`Membership::take_changed`] says so.
    pub fn report(&mut self, now: Instant) -> MembershipReport {
        let members = self.member_states();
        let live: BTreeSet<String> = members
            .iter()
            .filter(|(_, s)| **s != MemberState::Down)
            .map(|(n, _)| n.clone())
            .collect();
        let (departing_nodes, held) = {
            let table = self.claims.borrow();
            (table.departing(), table.held())
        };
        // Peers that announced their departure left on purpose: losing them is no sign of
        // isolation.
        let known_peers = self
            .peers
            .keys()
            .filter(|n| !departing_nodes.contains(*n))
            .count();
        let isolated = self.synced && known_peers > 0 && live.is_empty() && !self.left;
        let mut alive: BTreeSet<String> = live
            .iter()
            .filter(|n| !departing_nodes.contains(*n))
            .cloned()
            .collect();
        alive.insert(self.name.clone());
        let frozen = isolated && known_peers >= 2;
        if isolated && !self.was_isolated {
            self.counters.isolations += 1;
            self.frozen_alive = Some(self.alive_before_isolation(now));
        }
        self.was_isolated = isolated;
        if frozen {
            alive = self.frozen_alive.clone().unwrap_or(alive);
            alive.retain(|n| !departing_nodes.contains(n));
        } else if !isolated {
            self.remember_alive(now, &alive);
        }
        if self.departing {
            alive.remove(&self.name);
        } else {
            alive.insert(self.name.clone());
        }
        let claims = held
            .into_iter()
            .filter(|(n, _)| *n != self.name && live.contains(n))
            .collect();
        MembershipReport {
            alive,
            members,
            isolated,
            frozen,
            departing: self.departing,
            claims,
        }
    }

    /// Keeps the alive sets of the last detection interval.
    fn remember_alive(&mut self, now: Instant, alive: &BTreeSet<String>) {
        if self.alive_history.back().map(|(_, a)| a) != Some(alive) {
            self.alive_history.push_back((now, alive.clone()));
        }
        let horizon = now.checked_sub(self.detection_window());
        // Keep one entry older than the window: the set in force at its start.
        while self.alive_history.len() > 1
            && self
                .alive_history
                .get(1)
                .is_some_and(|(t, _)| horizon.is_some_and(|h| *t <= h))
        {
            self.alive_history.pop_front();
        }
    }

    /// The alive set to freeze at the start of an isolation: the union of the sets of the last
    /// detection interval. A cut-off node sees its peers fail one after the other, spread over
    /// about one detection interval; the union restores those it declared down "first", so it
    /// does not keep what it took over from them in the meantime. Without history (isolated
    /// from the start): every known node.
    fn alive_before_isolation(&self, now: Instant) -> BTreeSet<String> {
        let horizon = now.checked_sub(self.detection_window());
        let mut union = BTreeSet::new();
        for (i, (t, set)) in self.alive_history.iter().enumerate() {
            let next_in_window = self
                .alive_history
                .get(i + 1)
                .is_none_or(|(t2, _)| horizon.is_none_or(|h| *t2 > h));
            if horizon.is_none_or(|h| *t > h) || next_in_window {
                union.extend(set.iter().cloned());
            }
        }
        if union.is_empty() {
            union.extend(self.peers.keys().cloned());
        }
        union.insert(self.name.clone());
        union
    }

    fn detection_window(&self) -> std::time::Duration {
        self.params.detection_bound(self.peers.len())
    }

    fn is_stale_suspicion(&self, timer: &Timer<NodeId>) -> bool {
        let Timer::ChangeSuspectToDown {
            member_id,
            incarnation,
            ..
        } = timer
        else {
            return false;
        };
        !self.foca.iter_membership_state().any(|m| {
            m.id() == member_id && m.state() == State::Suspect && m.incarnation() == *incarnation
        })
    }

    fn is_member(&self, addr: SocketAddr) -> bool {
        self.foca.iter_members().any(|m| m.id().addr == addr)
    }

    fn announce_to(&mut self, addr: SocketAddr) {
        let name = self
            .peers
            .iter()
            .find(|(_, a)| **a == addr)
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        // Announce is accepted by whoever owns the address, whatever its boot id.
        let dst = NodeId {
            name,
            addr,
            boot: 0,
        };
        if let Err(e) = self.foca.announce(dst, &mut self.rt) {
            tracing::debug!(%addr, "gossip announce: {e}");
        }
    }

    fn next_version(&mut self) -> u64 {
        self.claim_version += 1;
        self.claim_version
    }

    fn broadcast_item(&mut self, subject: Subject, flag: bool) {
        let item = ClaimItem {
            node: self.name.clone(),
            epoch: self.epoch,
            version: self.next_version(),
            subject,
            flag,
        };
        match item.encode() {
            Ok(bytes) => {
                if let Err(e) = self.foca.add_broadcast(&bytes) {
                    tracing::warn!("cannot queue a claim broadcast: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot encode a claim: {e}"),
        }
    }

    fn broadcast_presence(&mut self, now: Instant) {
        self.broadcast_item(Subject::Presence, self.departing);
        self.push_broadcasts(now);
    }

    /// Re-publishes everything this node states (for members that just came up).
    fn republish(&mut self, now: Instant) {
        self.broadcast_item(Subject::Presence, self.departing);
        for ip in self.own_claims.clone() {
            self.broadcast_item(Subject::Ip(ip), true);
        }
        self.push_broadcasts(now);
    }

    fn push_broadcasts(&mut self, now: Instant) {
        if let Err(e) = self.foca.broadcast(&mut self.rt) {
            tracing::debug!("gossip broadcast: {e}");
        }
        self.drain(now);
    }

    fn check_synced(&mut self, now: Instant) {
        let Some(known) = self.peers_known_at else {
            return;
        };
        if !self.synced && (self.peers.is_empty() || now >= known + self.params.join_timeout()) {
            self.synced = true;
            self.changed = true;
        }
    }

    /// Moves foca's output into the outbox and the timer queue, and reacts to notifications.
    fn drain(&mut self, now: Instant) {
        let mut recreate = false;
        let mut republish = false;
        loop {
            while let Some((to, data)) = self.rt.to_send() {
                self.outbox.push_back((to.addr, data));
            }
            while let Some((after, timer)) = self.rt.to_schedule() {
                self.timer_seq += 1;
                self.timers.insert((now + after, self.timer_seq), timer);
            }
            let Some(n) = self.rt.to_notify() else { break };
            match n {
                OwnedNotification::MemberUp(id) => {
                    tracing::info!(node = %id.name, addr = %id.addr, "gossip: member up");
                    self.counters.member_up += 1;
                    self.changed = true;
                    republish = true;
                }
                OwnedNotification::MemberDown(id) => {
                    tracing::info!(node = %id.name, addr = %id.addr, "gossip: member down");
                    self.counters.member_down += 1;
                    self.changed = true;
                }
                OwnedNotification::Rename(old, new) => {
                    tracing::debug!(node = %new.name, old = old.boot, new = new.boot, "gossip: member renamed");
                    self.changed = true;
                }
                OwnedNotification::Active => {
                    tracing::info!("gossip: joined");
                    if !self.synced {
                        self.synced = true;
                    }
                    self.changed = true;
                }
                OwnedNotification::Idle => {
                    tracing::warn!("gossip: no live peer left");
                    self.changed = true;
                    recreate = !self.left && !self.peers.is_empty();
                }
                OwnedNotification::Rejoin(id) => {
                    tracing::info!(boot = id.boot, "gossip: rejoining under a new identity");
                    self.counters.rejoins += 1;
                    self.changed = true;
                }
                OwnedNotification::Defunct => {
                    tracing::warn!("gossip: declared down and cannot rejoin");
                    self.changed = true;
                }
            }
        }
        if recreate {
            self.recreate(now);
        } else if republish && !self.left {
            self.republish(now);
        }
    }

    /// Replaces foca by a fresh instance under a newer identity and invites every peer: after
    /// an isolation our peers have declared us down and we them; a fresh identity with no
    /// member list rejoins through a plain Announce/Feed exchange, without the TurnUndead
    /// ping-pong between two stale views.
    fn recreate(&mut self, now: Instant) {
        let old = self.foca.identity().clone();
        let boot = unix_micros().max(old.boot.saturating_add(1));
        let id = NodeId { boot, ..old };
        self.rng_seed = self.rng_seed.wrapping_add(1);
        self.foca = new_foca(id, &self.params, self.rng_seed, &self.claims);
        self.rt = AccumulatingRuntime::new();
        self.timers.clear();
        self.counters.rejoins += 1;
        self.next_rejoin = now;
        // Our statements travel with the new instance.
        self.republish(now);
    }
}

fn new_foca(id: NodeId, params: &GossipParams, seed: u64, claims: &SharedClaims) -> Swim {
    Foca::with_custom_broadcast(
        id,
        params.foca_config(),
        SmallRng::seed_from_u64(seed),
        WireCodec,
        ClaimsHandler::new(claims.clone()),
    )
}

/// The wall clock in unix µs.
pub fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
