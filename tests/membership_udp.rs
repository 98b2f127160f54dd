//! Membership drivers over real UDP sockets on the loopback interface (each on its own thread,
//! as in the agent): joining, detecting a node that stops, a graceful leave, and a node with
//! the wrong key that is rejected. Times are printed, not asserted; waits are generous.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ovs_egress::agent::membership::driver::{spawn, MembershipConfig, MembershipHandle};
use ovs_egress::agent::membership::keys::GossipKeys;
use ovs_egress::agent::membership::{GossipParams, MemberState, MembershipReport};
use ovs_egress::agent::metrics::Metrics;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(30);

struct Node {
    name: String,
    handle: Option<MembershipHandle>,
    reports: mpsc::UnboundedReceiver<MembershipReport>,
    last: MembershipReport,
    metrics: Arc<Metrics>,
}

fn start(name: &str, keys: &GossipKeys) -> Node {
    let (tx, rx) = mpsc::unbounded_channel();
    let metrics = Arc::new(Metrics::new());
    let cfg = MembershipConfig {
        node: name.into(),
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        advertise: IpAddr::V4(Ipv4Addr::LOCALHOST),
        keys: keys.clone(),
        params: GossipParams::default(),
    };
    let handle = spawn(cfg, metrics.clone(), move |r| {
        let _ = tx.send(r);
    })
    .unwrap();
    Node {
        name: name.into(),
        handle: Some(handle),
        reports: rx,
        last: MembershipReport::default(),
        metrics,
    }
}

fn connect(nodes: &[&Node]) {
    for n in nodes {
        let peers: BTreeMap<String, SocketAddr> = nodes
            .iter()
            .filter(|p| p.name != n.name)
            .map(|p| (p.name.clone(), p.handle.as_ref().unwrap().addr()))
            .collect();
        n.handle.as_ref().unwrap().set_peers(peers);
    }
}

impl Node {
    /// Waits until the latest report satisfies `pred`; returns the time it took.
    async fn wait(&mut self, what: &str, pred: impl Fn(&MembershipReport) -> bool) -> Duration {
        let t0 = Instant::now();
        while !pred(&self.last) {
            let left = WAIT.saturating_sub(t0.elapsed());
            match tokio::time::timeout(left, self.reports.recv()).await {
                Ok(Some(r)) => self.last = r,
                _ => panic!(
                    "{}: {what} not reached; last report {:?}",
                    self.name, self.last
                ),
            }
        }
        t0.elapsed()
    }
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn keys() -> GossipKeys {
    GossipKeys::single(1, &[0x5a; 32])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_detect_and_leave_over_udp() {
    let k = keys();
    let mut a = start("node1", &k);
    let mut b = start("node2", &k);
    let mut c = start("node3", &k);
    connect(&[&a, &b, &c]);
    let all = names(&["node1", "node2", "node3"]);
    for n in [&mut a, &mut b, &mut c] {
        let t = n.wait("joined", |r| r.alive == all && !r.isolated).await;
        eprintln!("{} sees all three after {t:?}", n.name);
    }
    // node3 stops without a word (its thread ends, its socket closes).
    drop(c.handle.take());
    let t0 = Instant::now();
    a.wait("node3 gone", |r| r.alive == names(&["node1", "node2"]))
        .await;
    b.wait("node3 gone", |r| r.alive == names(&["node1", "node2"]))
        .await;
    eprintln!(
        "a silent node is out of both survivors' alive sets after {:?} (bound {:?})",
        t0.elapsed(),
        GossipParams::default().detection_bound(2)
    );
    // node2 stops gracefully (departs, then leaves): node1 knows at once; a departed node does
    // not count for isolation, so node1 is a lone node of a two-node cluster now (not frozen).
    let t0 = Instant::now();
    b.handle.as_ref().unwrap().depart();
    a.wait("node2 departing", |r| r.alive == names(&["node1"]))
        .await;
    eprintln!("a departure is seen after {:?}", t0.elapsed());
    b.handle.take().unwrap().leave(Duration::from_secs(5)).await;
    a.wait("node2 left", |r| r.members["node2"] == MemberState::Down)
        .await;
    eprintln!("a graceful leave is seen after {:?}", t0.elapsed());
    a.wait("isolated", |r| r.isolated).await;
    assert!(!a.last.frozen, "{:?}", a.last);
    assert_eq!(a.last.alive, names(&["node1"]));
    let text = a.metrics.render();
    assert!(
        text.contains("ovs_egress_membership_events_total{event=\"member_down\"} 2"),
        "{text}"
    );
    assert!(text.contains("ovs_egress_gossip_datagrams_total{dir=\"in\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_another_key_is_rejected() {
    let mut a = start("node1", &keys());
    let b = start("node2", &keys());
    let c = start("node3", &GossipKeys::single(1, &[0x33; 32]));
    connect(&[&a, &b, &c]);
    a.wait("node2 joined", |r| r.alive.contains("node2")).await;
    // Give node3 a few of its announces; it must stay out.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(2) {
        if let Ok(Some(r)) =
            tokio::time::timeout(Duration::from_millis(100), a.reports.recv()).await
        {
            a.last = r;
        }
        assert!(!a.last.alive.contains("node3"), "{:?}", a.last);
    }
    let text = a.metrics.render();
    let rejected = text
        .lines()
        .find(|l| l.starts_with("ovs_egress_gossip_rejected_total{reason=\"bad_tag\"}"))
        .unwrap_or_else(|| panic!("no bad_tag rejections: {text}"));
    eprintln!("{rejected}");
}
