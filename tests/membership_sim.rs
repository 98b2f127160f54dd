//! Membership cores over a simulated network in virtual time (deterministic): every datagram
//! goes through the real authentication layer, with a configurable delay, loss and cuts.
//! Detection times are checked against the bound the parameters imply (a logical property of
//! the protocol in virtual time, not a wall-clock measurement) and printed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use ovs_egress::agent::membership::auth::{Opener, Sealer};
use ovs_egress::agent::membership::keys::GossipKeys;
use ovs_egress::agent::membership::{GossipParams, MemberState, Membership, MembershipReport};

const MS: Duration = Duration::from_millis(1);

struct SimNode {
    name: String,
    addr: SocketAddr,
    core: Membership,
    sealer: Sealer,
    opener: Opener,
    up: bool,
    report: MembershipReport,
    history: Vec<(Instant, MembershipReport)>,
}

struct Sim {
    start: Instant,
    now: Instant,
    nodes: Vec<SimNode>,
    queue: BTreeMap<(Instant, u64), (usize, SocketAddr, Vec<u8>)>,
    seq: u64,
    delay: Duration,
    loss_per_mille: u64,
    cut: BTreeSet<(usize, usize)>,
    rng: u64,
    params: GossipParams,
    wall_ms: u64,
}

fn key() -> GossipKeys {
    GossipKeys::single(1, &[7; 32])
}

impl Sim {
    fn new(n: usize, seed: u64) -> Sim {
        let start = Instant::now();
        let params = GossipParams::default();
        let mut sim = Sim {
            start,
            now: start,
            nodes: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            delay: MS,
            loss_per_mille: 0,
            cut: BTreeSet::new(),
            rng: seed.wrapping_mul(6364136223846793005).wrapping_add(1),
            params,
            wall_ms: 1_700_000_000_000,
        };
        for i in 0..n {
            sim.add_node(i, 1_000 + seed * 10 + i as u64);
        }
        sim.set_all_peers();
        sim
    }

    fn addr(i: usize) -> SocketAddr {
        SocketAddr::from(([10, 105, 18, 31 + i as u8], 10351))
    }

    fn add_node(&mut self, i: usize, epoch: u64) {
        let name = format!("node{}", i + 1);
        let addr = Sim::addr(i);
        let core = Membership::new(&name, addr, epoch, self.params, self.now, epoch);
        let node = SimNode {
            name,
            addr,
            core,
            sealer: Sealer::new(&key(), epoch),
            opener: Opener::new(&key(), 30_000),
            up: true,
            report: MembershipReport::default(),
            history: Vec::new(),
        };
        if i < self.nodes.len() {
            self.nodes[i] = node;
        } else {
            self.nodes.push(node);
        }
    }

    fn peers_of(&self, i: usize) -> BTreeMap<String, SocketAddr> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, n)| (n.name.clone(), n.addr))
            .collect()
    }

    fn set_all_peers(&mut self) {
        for i in 0..self.nodes.len() {
            let peers = self.peers_of(i);
            self.nodes[i].core.set_peers(peers, self.now);
        }
        self.flush();
    }

    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn wall(&self) -> u64 {
        self.wall_ms + (self.now - self.start).as_millis() as u64
    }

    fn flush(&mut self) {
        for i in 0..self.nodes.len() {
            if !self.nodes[i].up {
                while self.nodes[i].core.poll_transmit().is_some() {}
                continue;
            }
            while let Some((to, payload)) = self.nodes[i].core.poll_transmit() {
                let mut d = Vec::new();
                let wall = self.wall();
                self.nodes[i].sealer.seal(&payload, wall, &mut d);
                let j = self.nodes.iter().position(|n| n.addr == to);
                let lost = self.loss_per_mille > 0 && self.random() % 1000 < self.loss_per_mille;
                let cut = j.is_some_and(|j| self.cut.contains(&(i.min(j), i.max(j))));
                if lost || cut {
                    continue;
                }
                self.seq += 1;
                self.queue
                    .insert((self.now + self.delay, self.seq), (i, to, d));
            }
            if self.nodes[i].core.take_changed() {
                let r = self.nodes[i].core.report(self.now);
                self.nodes[i].history.push((self.now, r.clone()));
                self.nodes[i].report = r;
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next_packet = self.queue.keys().next().map(|k| k.0);
            let next_timer = self
                .nodes
                .iter()
                .filter(|n| n.up)
                .map(|n| n.core.poll_timeout())
                .min();
            let next = [next_packet, next_timer].into_iter().flatten().min();
            let Some(next) = next.filter(|t| *t <= end) else {
                break;
            };
            self.now = self.now.max(next);
            if next_packet == Some(next) {
                let (_, (from, to, d)) = self.queue.pop_first().unwrap();
                let wall = self.wall();
                if let Some(j) = self.nodes.iter().position(|n| n.addr == to && n.up) {
                    let src = self.nodes[from].addr;
                    let node = &mut self.nodes[j];
                    if let Ok(opened) = node.opener.open(src, &d, wall) {
                        let payload = opened.payload.to_vec();
                        let _ = node.core.handle_payload(&payload, self.now);
                    }
                }
            } else {
                for n in self.nodes.iter_mut().filter(|n| n.up) {
                    if n.core.poll_timeout() <= self.now {
                        n.core.handle_timeout(self.now);
                    }
                }
            }
            self.flush();
        }
        self.now = end;
    }

    /// Runs until `pred` holds for the reports of `nodes`; returns the elapsed virtual time.
    fn until(
        &mut self,
        nodes: &[usize],
        limit: Duration,
        pred: impl Fn(&MembershipReport) -> bool,
    ) -> Duration {
        let t0 = self.now;
        while !nodes.iter().all(|i| pred(&self.nodes[*i].report)) {
            assert!(
                self.now - t0 < limit,
                "not reached within {limit:?}: {:#?}",
                nodes
                    .iter()
                    .map(|i| &self.nodes[*i].report)
                    .collect::<Vec<_>>()
            );
            self.run_for(MS);
        }
        self.now - t0
    }

    fn cut(&mut self, a: usize, b: usize) {
        self.cut.insert((a.min(b), a.max(b)));
    }

    fn isolate(&mut self, a: usize) {
        for b in 0..self.nodes.len() {
            if b != a {
                self.cut(a, b);
            }
        }
    }
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn converge(sim: &mut Sim) {
    let all: BTreeSet<String> = sim.nodes.iter().map(|n| n.name.clone()).collect();
    let idx: Vec<usize> = (0..sim.nodes.len()).collect();
    let t = sim.until(&idx, Duration::from_secs(5), |r| {
        r.alive == all && !r.isolated && r.members.values().all(|s| *s == MemberState::Alive)
    });
    assert!(t < Duration::from_millis(100), "joining took {t:?}");
}

#[test]
fn three_nodes_join_and_stay_joined() {
    let mut sim = Sim::new(3, 1);
    converge(&mut sim);
    sim.run_for(Duration::from_secs(30));
    for n in &sim.nodes {
        assert_eq!(
            n.report.alive,
            names(&["node1", "node2", "node3"]),
            "{}",
            n.name
        );
        assert_eq!(n.core.counters().member_down, 0, "{}", n.name);
    }
}

#[test]
fn a_dead_node_is_detected_within_the_bound() {
    let bound = GossipParams::default().detection_bound(2);
    let mut worst = Duration::ZERO;
    let mut total = Duration::ZERO;
    let runs = 30u32;
    for seed in 0..u64::from(runs) {
        let mut sim = Sim::new(3, seed);
        converge(&mut sim);
        // Kill node3 at a pseudo-random phase of the probe cycle.
        sim.run_for(Duration::from_millis(1000 + seed * 37 % 100));
        sim.nodes[2].up = false;
        let t = sim.until(&[0, 1], Duration::from_secs(5), |r| {
            r.alive == names(&["node1", "node2"])
        });
        worst = worst.max(t);
        total += t;
        assert!(
            t <= bound + 5 * MS,
            "seed {seed}: detected after {t:?}, bound {bound:?}"
        );
        assert!(sim.nodes[..2].iter().all(|n| !n.report.isolated));
    }
    eprintln!(
        "3 nodes, 1 ms links: dead node detected by both survivors after {:?} on average, \
         {worst:?} at worst ({runs} runs, bound {bound:?})",
        total / runs
    );
}

#[test]
fn two_nodes_detect_and_the_survivor_takes_over() {
    let bound = GossipParams::default().detection_bound(1);
    let mut worst = Duration::ZERO;
    for seed in 0..20 {
        let mut sim = Sim::new(2, seed);
        converge(&mut sim);
        sim.run_for(Duration::from_millis(500 + seed * 13 % 100));
        sim.nodes[1].up = false;
        let t = sim.until(&[0], Duration::from_secs(5), |r| {
            r.alive == names(&["node1"])
        });
        worst = worst.max(t);
        assert!(t <= bound + 5 * MS, "seed {seed}: {t:?} > {bound:?}");
        // Alone in a 2-node cluster: isolated, but not frozen (it cannot tell, so it follows
        // gossip and takes over).
        let r = &sim.nodes[0].report;
        assert!(r.isolated && !r.frozen, "{r:?}");
    }
    eprintln!("2 nodes: dead peer detected after {worst:?} at worst (bound {bound:?})");
}

#[test]
fn a_leaving_node_is_gone_at_once() {
    let mut sim = Sim::new(3, 3);
    converge(&mut sim);
    sim.run_for(Duration::from_millis(333));
    let now = sim.now;
    sim.nodes[2].core.leave(now);
    sim.flush();
    let t = sim.until(&[0, 1], Duration::from_secs(5), |r| {
        r.alive == names(&["node1", "node2"])
    });
    assert!(t <= 5 * MS, "leave took {t:?}");
}

#[test]
fn a_departing_node_keeps_gossiping_but_is_not_elected() {
    let mut sim = Sim::new(3, 4);
    converge(&mut sim);
    let ip: IpAddr = "10.105.18.100".parse().unwrap();
    let now = sim.now;
    sim.nodes[2].core.set_claims(&BTreeSet::from([ip]), now);
    sim.nodes[2].core.depart(now);
    sim.flush();
    let t = sim.until(&[0, 1], Duration::from_secs(5), |r| {
        r.alive == names(&["node1", "node2"])
            && r.members["node3"] == MemberState::Alive
            && r.claims.get("node3") == Some(&BTreeSet::from([ip]))
    });
    assert!(t <= 5 * MS, "{t:?}");
    let r3 = &sim.nodes[2].report;
    assert!(r3.departing && !r3.alive.contains("node3"), "{r3:?}");
    // It releases, then leaves.
    let now = sim.now;
    sim.nodes[2].core.set_claims(&BTreeSet::new(), now);
    sim.flush();
    sim.until(&[0, 1], Duration::from_secs(1), |r| r.claims.is_empty());
}

#[test]
fn claims_spread_and_are_withdrawn() {
    let mut sim = Sim::new(3, 5);
    converge(&mut sim);
    let x: IpAddr = "10.105.18.100".parse().unwrap();
    let y: IpAddr = "10.105.18.101".parse().unwrap();
    let now = sim.now;
    sim.nodes[0].core.set_claims(&BTreeSet::from([x, y]), now);
    sim.flush();
    let t = sim.until(&[1, 2], Duration::from_secs(1), |r| {
        r.claims.get("node1") == Some(&BTreeSet::from([x, y]))
    });
    assert!(t <= 3 * MS, "claims took {t:?}");
    let now = sim.now;
    sim.nodes[0].core.set_claims(&BTreeSet::from([y]), now);
    sim.flush();
    sim.until(&[1, 2], Duration::from_secs(1), |r| {
        r.claims.get("node1") == Some(&BTreeSet::from([y]))
    });
    // A node that joins later learns the standing claims.
    let mut sim = Sim::new(3, 6);
    sim.nodes[2].up = false;
    sim.run_for(Duration::from_secs(2));
    let now = sim.now;
    sim.nodes[0].core.set_claims(&BTreeSet::from([x]), now);
    sim.flush();
    sim.add_node(2, 99_999);
    sim.set_all_peers();
    sim.until(&[2], Duration::from_secs(2), |r| {
        r.claims.get("node1") == Some(&BTreeSet::from([x]))
    });
}

#[test]
fn an_isolated_node_freezes_and_rejoins_after_the_heal() {
    let mut sim = Sim::new(3, 7);
    converge(&mut sim);
    sim.run_for(Duration::from_millis(500));
    sim.isolate(0);
    let bound = sim.params.detection_bound(2);
    sim.until(&[1, 2], bound + 10 * MS, |r| {
        r.alive == names(&["node2", "node3"])
    });
    sim.until(&[0], Duration::from_secs(2), |r| r.isolated);
    let r = sim.nodes[0].report.clone();
    assert!(r.frozen, "{r:?}");
    assert_eq!(
        r.alive,
        names(&["node1", "node2", "node3"]),
        "keeps its view"
    );
    sim.run_for(Duration::from_secs(3));
    assert!(sim.nodes[0].report.isolated);
    // Heal.
    sim.cut.clear();
    let all = names(&["node1", "node2", "node3"]);
    let t = sim.until(&[0, 1, 2], Duration::from_secs(3), |r| {
        r.alive == all && !r.isolated
    });
    let rejoin = sim.params.rejoin_interval();
    assert!(t <= rejoin + 10 * MS, "rejoin took {t:?}");
    eprintln!("partition healed: all three agree after {t:?} (rejoin interval {rejoin:?})");
}

#[test]
fn a_restarted_node_rejoins_and_its_old_claims_vanish() {
    let mut sim = Sim::new(3, 8);
    converge(&mut sim);
    let x: IpAddr = "10.105.18.100".parse().unwrap();
    let now = sim.now;
    sim.nodes[2].core.set_claims(&BTreeSet::from([x]), now);
    sim.flush();
    sim.until(&[0, 1], Duration::from_secs(1), |r| {
        r.claims.contains_key("node3")
    });
    sim.nodes[2].up = false;
    sim.run_for(Duration::from_millis(200));
    // A new agent process on the same address (larger epoch), before the others noticed.
    sim.add_node(2, 5_000_000);
    let peers = sim.peers_of(2);
    let now = sim.now;
    sim.nodes[2].core.set_peers(peers, now);
    sim.flush();
    let all = names(&["node1", "node2", "node3"]);
    sim.until(&[0, 1, 2], Duration::from_secs(2), |r| {
        r.alive == all && r.members.values().all(|s| *s == MemberState::Alive)
    });
    sim.until(&[0, 1], Duration::from_secs(1), |r| r.claims.is_empty());
}

#[test]
fn no_false_positives_under_loss() {
    for (n, loss) in [(2usize, 50u64), (2, 100), (3, 50), (3, 100), (4, 100)] {
        let mut sim = Sim::new(n, 11 + n as u64);
        converge(&mut sim);
        sim.loss_per_mille = loss;
        sim.run_for(Duration::from_secs(60));
        for node in &sim.nodes {
            assert_eq!(
                node.core.counters().member_down,
                0,
                "{n} nodes, {loss}‰ loss: {} saw a member down: {:?}",
                node.name,
                node.history.last()
            );
        }
    }
}

#[test]
fn a_node_without_the_key_never_joins() {
    let mut sim = Sim::new(3, 12);
    sim.nodes[2].sealer = Sealer::new(&GossipKeys::single(1, &[8; 32]), 1);
    sim.set_all_peers();
    sim.run_for(Duration::from_secs(3));
    for i in 0..2 {
        let r = &sim.nodes[i].report;
        assert_eq!(r.alive, names(&["node1", "node2"]), "{r:?}");
        assert_eq!(r.members["node3"], MemberState::Down);
    }
}

#[test]
fn a_short_stall_is_tolerated_and_a_long_one_rejoins() {
    // A node that processes nothing for 250 ms (a loaded machine, a GC-like pause) must not be
    // declared down: it misses at most its probes of one period and refutes in time.
    for seed in 0..10 {
        let mut sim = Sim::new(3, 20 + seed);
        converge(&mut sim);
        sim.run_for(Duration::from_millis(700 + seed * 17));
        sim.nodes[2].up = false;
        sim.run_for(Duration::from_millis(250));
        sim.nodes[2].up = true;
        sim.run_for(Duration::from_secs(3));
        for n in &sim.nodes {
            assert_eq!(n.core.counters().member_down, 0, "seed {seed}: {}", n.name);
        }
    }
    // Stalled for 1.5 s: declared down, then back as a member on its own.
    let mut sim = Sim::new(3, 30);
    converge(&mut sim);
    sim.nodes[2].up = false;
    sim.run_for(Duration::from_millis(1500));
    assert_eq!(sim.nodes[0].report.alive, names(&["node1", "node2"]));
    sim.nodes[2].up = true;
    let all = names(&["node1", "node2", "node3"]);
    let t = sim.until(&[0, 1, 2], Duration::from_secs(5), |r| {
        r.alive == all && !r.isolated
    });
    eprintln!("a node stalled for 1.5 s is a member again {t:?} after it resumed");
}

#[test]
fn no_report_before_the_agent_gives_its_peers() {
    // An agent whose Node objects are not loaded yet must not report itself alone (it would
    // take every IP it is eligible for without a handover); the join timeout starts with the
    // peers.
    let t0 = Instant::now();
    let p = GossipParams::default();
    let addr = SocketAddr::from(([10, 105, 18, 31], 10351));
    let mut core = Membership::new("node1", addr, 1, p, t0, 1);
    let later = t0 + p.join_timeout() * 3;
    core.handle_timeout(later);
    assert!(!core.is_synced(), "no peers given yet");
    let peer = SocketAddr::from(([10, 105, 18, 32], 10351));
    core.set_peers(BTreeMap::from([("node2".to_string(), peer)]), later);
    core.handle_timeout(later + p.join_timeout() / 2);
    assert!(!core.is_synced(), "waiting for the peer to answer");
    assert_eq!(
        core.poll_timeout().min(later + p.join_timeout()),
        core.poll_timeout()
    );
    core.handle_timeout(later + p.join_timeout());
    assert!(core.is_synced(), "the join timeout counts from the peers");
    // A cluster of one: synced as soon as the (empty) peer list is given.
    let mut alone = Membership::new("node1", addr, 2, p, t0, 2);
    alone.handle_timeout(later);
    assert!(!alone.is_synced());
    alone.set_peers(BTreeMap::new(), later);
    assert!(alone.is_synced());
}
