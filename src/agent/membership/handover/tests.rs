use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::egress::egress_id::EgressId;
use crate::egress::model::{Node, NodeAddress, ObjectMeta, PodKey};
use crate::egress::plan::{IpOutcome, IpPlan};
use crate::egress::state::{NodeView, OwnedIp, PodEgress};

const T: Duration = Duration::from_millis(1000);

fn x() -> IpAddr {
    "10.105.18.100".parse().unwrap()
}

fn nodes() -> BTreeMap<String, Node> {
    (1..=3)
        .map(|i| {
            let mut n = Node {
                metadata: ObjectMeta::named(format!("node{i}")),
                ..Node::default()
            };
            n.status.addresses.push(NodeAddress {
                type_: "InternalIP".into(),
                address: format!("10.105.18.{}", 30 + i).parse().unwrap(),
            });
            (format!("node{i}"), n)
        })
        .collect()
}

fn plan(owner: Option<&str>) -> IpPlan {
    let mut p = IpPlan::default();
    p.ips.insert(
        x(),
        IpOutcome {
            owner: owner.map(str::to_string),
            egress_id: EgressId::new(100),
            egresses: vec!["e".into()],
        },
    );
    p
}

/// The elected view of `me` with one local pod using X.
fn elected(me: &str, owner: Option<&str>) -> NodeView {
    let n = nodes();
    NodeView {
        pods: vec![PodEgress {
            pod: PodKey::new("default", "p"),
            pod_ips: vec!["192.168.100.2".parse().unwrap()],
            egress: "e".into(),
            egress_ip: Some(x()),
            egress_id: EgressId::new(100),
            owner: owner.map(str::to_string),
            owner_ip: owner.and_then(|o| n[o].internal_ip()),
            owned_here: owner == Some(me),
        }],
        owned_ips: if owner == Some(me) {
            vec![OwnedIp {
                ip: x(),
                egress_id: EgressId::new(100),
                egresses: vec!["e".into()],
            }]
        } else {
            vec![]
        },
    }
}

fn membership(claims: &[(&str, bool)], live: &[&str]) -> MembershipReport {
    let mut r = MembershipReport::default();
    for n in ["node1", "node2", "node3"] {
        let state = if live.contains(&n) {
            MemberState::Alive
        } else {
            MemberState::Down
        };
        r.members.insert(n.to_string(), state);
        r.alive.insert(n.to_string());
    }
    for (n, held) in claims {
        if *held && live.contains(n) {
            r.claims.entry(n.to_string()).or_default().insert(x());
        }
    }
    r
}

/// One node: its handover, its last effective view.
struct N {
    me: &'static str,
    h: Handover,
    view: NodeView,
}

impl N {
    fn new(me: &'static str) -> N {
        N {
            me,
            h: Handover::new(me, T, true),
            view: NodeView::default(),
        }
    }

    fn sync(&mut self, owner: Option<&str>, m: &MembershipReport, now: Instant) {
        self.h.observe(m);
        self.view = self.h.effective(
            elected(self.me, owner),
            &plan(owner),
            &nodes(),
            Some(m),
            now,
        );
    }

    fn serves(&self) -> bool {
        self.view.owned_ips.iter().any(|o| o.ip == x())
    }

    fn sends_to(&self) -> Option<&str> {
        let p = &self.view.pods[0];
        if p.owned_here {
            Some(self.me)
        } else {
            p.owner.as_deref()
        }
    }
}

#[test]
fn without_membership_the_election_is_used_as_is() {
    let t0 = Instant::now();
    let mut h = Handover::new("node1", T, false);
    let v = h.effective(
        elected("node1", Some("node1")),
        &plan(Some("node1")),
        &nodes(),
        None,
        t0,
    );
    assert_eq!(v, elected("node1", Some("node1")));
    let due = h.announce_due(None, t0);
    assert_eq!(due.len(), 1);
    assert!(h.announce_due(None, t0).is_empty(), "announced once");
    let v = h.effective(
        elected("node1", Some("node2")),
        &plan(Some("node2")),
        &nodes(),
        None,
        t0,
    );
    assert_eq!(v, elected("node1", Some("node2")));
    assert!(h.serving().is_empty());
    assert_eq!(h.next_deadline(None), None);
}

#[test]
fn planned_move_is_make_before_break() {
    let t0 = Instant::now();
    let live = ["node1", "node2", "node3"];
    let (mut old, mut new, mut other) = (N::new("node1"), N::new("node2"), N::new("node3"));
    // Steady state: node1 serves X and has announced it.
    let m = membership(&[("node1", true)], &live);
    for n in [&mut old, &mut new, &mut other] {
        n.sync(Some("node1"), &m, t0);
    }
    assert!(old.serves() && !new.serves() && !other.serves());
    assert_eq!(old.h.announce_due(Some(&m), t0).len(), 1);
    // The election moves X to node2 (relabel). Nobody has claimed anything new yet.
    let t1 = t0 + Duration::from_millis(10);
    for n in [&mut old, &mut new, &mut other] {
        n.sync(Some("node2"), &m, t1);
    }
    assert!(old.serves(), "OLD keeps serving until NEW claims");
    assert_eq!(old.sends_to(), Some("node1"));
    assert!(new.serves(), "NEW installs at once");
    assert_eq!(new.sends_to(), Some("node2"));
    assert_eq!(
        other.sends_to(),
        Some("node1"),
        "the others keep sending to OLD"
    );
    assert!(
        new.h.announce_due(Some(&m), t1).is_empty(),
        "NEW does not announce while OLD serves"
    );
    // NEW's claim arrives.
    let m = membership(&[("node1", true), ("node2", true)], &live);
    let t2 = t1 + Duration::from_millis(5);
    for n in [&mut old, &mut other] {
        n.sync(Some("node2"), &m, t2);
    }
    assert!(!old.serves(), "OLD releases on NEW's claim");
    assert_eq!(old.sends_to(), Some("node2"));
    assert_eq!(other.sends_to(), Some("node2"));
    new.sync(Some("node2"), &m, t2);
    assert!(
        new.h.announce_due(Some(&m), t2).is_empty(),
        "OLD still claims"
    );
    // OLD's release arrives: NEW announces, with the takeover time.
    let m = membership(&[("node2", true)], &live);
    let t3 = t2 + Duration::from_millis(5);
    new.sync(Some("node2"), &m, t3);
    let due = new.h.announce_due(Some(&m), t3);
    assert_eq!(
        due,
        [Announce {
            ip: x(),
            takeover: Some(t3 - t1)
        }]
    );
    assert!(new.h.announce_due(Some(&m), t3).is_empty());
    assert_eq!(new.h.timeouts() + old.h.timeouts(), 0);
}

#[test]
fn a_failed_holder_is_not_waited_for() {
    let t0 = Instant::now();
    let (mut new, mut other) = (N::new("node2"), N::new("node3"));
    // node1 served X and died: it is not live, so its claim does not count.
    let m = membership(&[("node1", true)], &["node2", "node3"]);
    new.sync(Some("node2"), &m, t0);
    other.sync(Some("node2"), &m, t0);
    assert!(new.serves());
    assert_eq!(other.sends_to(), Some("node2"));
    let due = new.h.announce_due(Some(&m), t0);
    assert_eq!(due.len(), 1);
    assert_eq!(new.h.next_deadline(Some(&m)), None);
}

#[test]
fn waits_end_after_the_timeout() {
    let t0 = Instant::now();
    let live = ["node1", "node2", "node3"];
    let (mut old, mut new, mut other) = (N::new("node1"), N::new("node2"), N::new("node3"));
    let m = membership(&[("node1", true)], &live);
    for n in [&mut old, &mut new, &mut other] {
        n.sync(Some("node1"), &m, t0);
    }
    let t1 = t0 + Duration::from_millis(1);
    for n in [&mut old, &mut new, &mut other] {
        n.sync(Some("node2"), &m, t1);
    }
    // Claims never arrive (lost, stuck peers): everyone has a deadline at t1 + T.
    for n in [&old, &new, &other] {
        assert_eq!(n.h.next_deadline(Some(&m)), Some(t1 + T), "{}", n.me);
    }
    let t2 = t1 + T;
    for n in [&mut old, &mut new, &mut other] {
        n.sync(Some("node2"), &m, t2);
    }
    assert!(!old.serves());
    assert_eq!(other.sends_to(), Some("node2"));
    assert_eq!(
        new.h.announce_due(Some(&m), t2).len(),
        1,
        "NEW announces anyway"
    );
    assert!(new.h.announce_due(Some(&m), t2).is_empty(), "only once");
    assert_eq!(old.h.timeouts(), 1);
    assert_eq!(new.h.timeouts(), 1);
    for n in [&old, &new, &other] {
        assert_eq!(n.h.next_deadline(Some(&m)), None, "{}", n.me);
    }
}

#[test]
fn after_a_partition_one_holder_remains_and_announces() {
    let t0 = Instant::now();
    // During the partition node1 (cut off, frozen) kept X and node2 took it over. After the
    // heal both are live, both claim X, and the election says node1 again.
    let (mut back, mut interim) = (N::new("node1"), N::new("node2"));
    let isolated = MembershipReport {
        isolated: true,
        ..membership(&[], &["node1"])
    };
    back.sync(Some("node1"), &isolated, t0);
    assert_eq!(back.h.announce_due(Some(&isolated), t0).len(), 1);
    let m2 = membership(&[("node2", true)], &["node2", "node3"]);
    interim.sync(Some("node2"), &m2, t0);
    assert_eq!(interim.h.announce_due(Some(&m2), t0).len(), 1);
    // Heal.
    let both = membership(
        &[("node1", true), ("node2", true)],
        &["node1", "node2", "node3"],
    );
    let t1 = t0 + Duration::from_secs(5);
    back.sync(Some("node1"), &both, t1);
    interim.sync(Some("node1"), &both, t1);
    assert!(back.serves());
    assert!(
        back.h.announce_due(Some(&both), t1).is_empty(),
        "waits for node2's release"
    );
    assert!(!interim.serves(), "node2 releases: node1 claims it");
    assert_eq!(interim.sends_to(), Some("node1"));
    let after = membership(&[("node1", true)], &["node1", "node2", "node3"]);
    back.sync(Some("node1"), &after, t1);
    assert_eq!(
        back.h.announce_due(Some(&after), t1).len(),
        1,
        "node1 re-announces after the heal"
    );
}

#[test]
fn a_joining_node_makes_holders_announce_again() {
    let t0 = Instant::now();
    let mut n = N::new("node1");
    let m = membership(&[], &["node1", "node2"]);
    n.sync(Some("node1"), &m, t0);
    let due = n.h.announce_due(Some(&m), t0);
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].takeover,
        Some(Duration::ZERO),
        "the first is the takeover"
    );
    n.sync(Some("node1"), &m, t0);
    assert!(n.h.announce_due(Some(&m), t0).is_empty());
    let m = membership(&[], &["node1", "node2", "node3"]);
    n.sync(Some("node1"), &m, t0);
    let due = n.h.announce_due(Some(&m), t0);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].takeover, None, "a re-announcement is no takeover");
}

#[test]
fn no_owner_means_no_serving() {
    let t0 = Instant::now();
    let mut n = N::new("node1");
    let m = membership(&[], &["node1"]);
    n.sync(Some("node1"), &m, t0);
    n.sync(None, &m, t0);
    assert!(!n.serves());
    assert!(n.h.serving().is_empty());
    let _ = BTreeSet::<u8>::new();
}

#[test]
fn a_starting_agent_serves_but_announces_only_after_gossip_reports() {
    // First install before gossip reports (it needs those flows): the elected IP is served
    // (flows ready), but nothing is announced while another node may still hold it.
    let t0 = Instant::now();
    let mut h = Handover::new("node1", T, true);
    h.effective(
        elected("node1", Some("node1")),
        &plan(Some("node1")),
        &nodes(),
        None,
        t0,
    );
    assert!(h.serving().contains(&x()));
    assert!(h.announce_due(None, t0).is_empty());
    // Gossip reports node2 still holding it: wait for its release.
    let m = membership(&[("node2", true)], &["node1", "node2"]);
    h.observe(&m);
    h.effective(
        elected("node1", Some("node1")),
        &plan(Some("node1")),
        &nodes(),
        Some(&m),
        t0,
    );
    assert!(h.announce_due(Some(&m), t0).is_empty());
    let m = membership(&[], &["node1", "node2"]);
    h.observe(&m);
    assert_eq!(h.announce_due(Some(&m), t0).len(), 1, "released: announce");
}

#[test]
fn old_keeps_serving_for_the_settle_time_after_the_claim() {
    // The bystanders learn NEW's claim by the same gossip, a little later than OLD: OLD takes
    // their traffic for one more settle period.
    let settle = Duration::from_millis(100);
    let t0 = Instant::now();
    let live = ["node1", "node2", "node3"];
    let mut old = N::new("node1");
    old.h = Handover::new("node1", T, true).with_settle(settle);
    let m = membership(&[("node1", true)], &live);
    old.sync(Some("node1"), &m, t0);
    let m = membership(&[("node1", true), ("node2", true)], &live);
    let t1 = t0 + Duration::from_millis(10);
    old.sync(Some("node2"), &m, t1);
    assert!(old.serves(), "NEW's claim just arrived");
    assert_eq!(old.h.next_deadline(Some(&m)), Some(t1 + settle));
    old.sync(Some("node2"), &m, t1 + settle / 2);
    assert!(old.serves());
    old.sync(Some("node2"), &m, t1 + settle);
    assert!(!old.serves(), "released after the settle time");
    assert_eq!(old.sends_to(), Some("node2"));
    assert_eq!(old.h.timeouts(), 0);
}

#[test]
fn a_newcomer_waits_for_the_holders_claims_before_announcing() {
    // A restarted node joins through one peer; the holder's claim reaches it only when the
    // holder re-publishes on seeing it up. It announces nothing for 3 settle periods.
    let settle = Duration::from_millis(100);
    let t0 = Instant::now();
    let mut n = N::new("node2");
    n.h = Handover::new("node2", T, true).with_settle(settle);
    let m = membership(&[], &["node1", "node2", "node3"]);
    n.sync(Some("node2"), &m, t0);
    assert!(n.serves());
    assert!(n.h.announce_due(Some(&m), t0).is_empty(), "just joined");
    assert_eq!(n.h.next_deadline(Some(&m)), Some(t0 + settle * 3));
    // The holder's claim arrives: wait for its release as usual.
    let m = membership(&[("node3", true)], &["node1", "node2", "node3"]);
    let t1 = t0 + settle * 3;
    n.sync(Some("node2"), &m, t1);
    assert!(
        n.h.announce_due(Some(&m), t1).is_empty(),
        "node3 still holds it"
    );
    let m = membership(&[], &["node1", "node2", "node3"]);
    n.sync(Some("node2"), &m, t1);
    assert_eq!(n.h.announce_due(Some(&m), t1).len(), 1);
}
