use std::net::IpAddr;

use super::*;
use crate::agent::config::test_config;
use crate::agent::source::PodPort;
use crate::egress::model::{load_yaml, Object};
use crate::egress::pipeline::Owner;

const SEED: &str = "
apiVersion: v1
kind: Node
metadata: {name: node1, labels: {network-role: snat-origin}}
spec: {podCIDR: 192.168.100.0/24}
status: {addresses: [{type: InternalIP, address: 10.105.18.31}]}
---
apiVersion: v1
kind: Node
metadata: {name: node2}
spec: {podCIDR: 192.168.101.0/24}
status: {addresses: [{type: InternalIP, address: 10.105.18.32}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node1}
---
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: snat-origin-pool}
spec:
  ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]
  nodeSelector: {matchLabels: {network-role: snat-origin}}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-antrea-test}
spec:
  appliedTo: {podSelector: {matchLabels: {app: antrea-test}}}
  externalIPPool: snat-origin-pool
";

const PORTS: InfraPorts = InfraPorts {
    int_tunnel: 1,
    int_patch: 2,
    phy_uplink: 1,
    phy_patch: 2,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn controller() -> Controller {
    let mac = MacAddr([2, 0, 10, 105, 18, 35]);
    let mut c = Controller::new(test_config("node1", 1), 7, PORTS, Some(mac)).unwrap();
    for o in load_yaml(SEED).objects {
        c.apply(Input::Upsert(Box::new(o)));
    }
    c.apply(Input::PortUp(PodPort {
        pod: PodKey::new("default", "web-1"),
        interface: "p1a".into(),
        ofport: 10,
        mac: MacAddr([2, 0, 192, 168, 100, 2]),
        ips: vec![ip("192.168.100.2")],
    }));
    c
}

#[test]
fn the_first_sync_builds_everything_then_changes_are_incremental() {
    let mut c = controller();
    let t = c.sync(Instant::now());
    assert_eq!(t.gained, [ip("10.105.18.100")]);
    assert!(t.lost.is_empty());
    // The first sync builds the pipeline at once; the caller installs it with a full sync.
    assert!(c.take_changes().is_empty());
    let desired = c.pipeline().desired();
    assert!(!desired
        .owned_by(&Owner::EgressIp(ip("10.105.18.100")))
        .is_empty());
    assert!(!desired
        .owned_by(&Owner::Pod(PodKey::new("default", "web-1")))
        .is_empty());
    assert!(!desired.owned_by(&Owner::Peer("node2".into())).is_empty());
    // The same inputs built incrementally give the same flows.
    let rebuilt = c.pipeline().rebuilt();
    for b in [Bridge::Int, Bridge::Phy] {
        assert_eq!(rebuilt.desired().sorted(b), desired.sorted(b));
    }
    // Nothing more to do; a new pod is one incremental change.
    assert!(c.sync(Instant::now()).gained.is_empty());
    assert!(c.take_changes().is_empty());
    c.apply(Input::PortUp(PodPort {
        pod: PodKey::new("default", "other"),
        interface: "p1b".into(),
        ofport: 11,
        mac: MacAddr([2, 0, 192, 168, 100, 3]),
        ips: vec![ip("192.168.100.3")],
    }));
    c.sync(Instant::now());
    let changes = c.take_changes();
    assert!(!changes.is_empty());
    assert!(changes
        .iter()
        .all(|ch| ch.old.is_none() && ch.new.is_some()));
}

#[test]
fn losing_the_ip_drains_then_expires() {
    let mut c = controller();
    c.sync(Instant::now());
    c.take_changes();
    // node1 loses its label: nobody may hold the pool's IP.
    let mut n1 = c.view().engine().state().nodes["node1"].clone();
    n1.metadata.labels.clear();
    c.apply(Input::Upsert(Box::new(Object::Node(n1))));
    let now = Instant::now();
    let t = c.sync(now);
    assert_eq!(t.lost, [ip("10.105.18.100")]);
    assert_eq!(c.draining().len(), 1);
    let changes = c.take_changes();
    assert!(!changes.is_empty());
    assert!(!c
        .pipeline()
        .desired()
        .owned_by(&Owner::Draining(ip("10.105.18.100")))
        .is_empty());
    assert_eq!(c.next_deadline(), Some(now + c.drain_time()));
    assert!(!c.expire_draining(now));
    assert!(c.expire_draining(now + c.drain_time()));
    assert!(c.draining().is_empty());
    let gone = c.take_changes();
    assert!(!gone.is_empty());
    assert!(gone.iter().all(|ch| ch.new.is_none()));
}

#[test]
fn next_hop_and_ports_reconfigure() {
    let mut c = controller();
    c.sync(Instant::now());
    c.take_changes();
    assert!(!c.set_next_hop(MacAddr([2, 0, 10, 105, 18, 35])).unwrap());
    assert!(c.set_next_hop(MacAddr([2, 0, 10, 105, 18, 36])).unwrap());
    let changes = c.take_changes();
    // Only the flows that carry the next-hop MAC change, in place.
    assert!(!changes.is_empty());
    assert!(changes
        .iter()
        .all(|ch| ch.old.is_some() && ch.new.is_some()));
    let mut p = PORTS;
    p.int_tunnel = 3;
    assert!(c.set_ports(p).unwrap());
    assert!(!c.take_changes().is_empty());
}

#[test]
fn coalescing() {
    let mut c = controller();
    c.sync(Instant::now());
    assert!(c.set_next_hop(MacAddr([2, 0, 10, 105, 18, 99])).unwrap());
    let first = c.take_changes();
    let one = first[0].clone();
    let back = FlowChange {
        bridge: one.bridge,
        key: one.key.clone(),
        old: one.new.clone(),
        new: one.old.clone(),
    };
    // A change and its undo cancel; a change seen twice is kept once.
    assert!(coalesce(vec![one.clone(), back]).is_empty());
    assert_eq!(coalesce(vec![one.clone(), one.clone()]), vec![one]);
}

#[test]
fn a_pod_without_node_name_gets_its_egress_once_its_port_appears() {
    let mac = MacAddr([2, 0, 10, 105, 18, 35]);
    let mut c = Controller::new(test_config("node1", 1), 7, PORTS, Some(mac)).unwrap();
    let seed = SEED.replace("spec: {nodeName: node1}\n", "");
    for o in load_yaml(&seed).objects {
        c.apply(Input::Upsert(Box::new(o)));
    }
    c.sync(Instant::now());
    c.take_changes();
    // The binding exists before the port does; the port makes the pod local.
    c.apply(Input::PortUp(PodPort {
        pod: PodKey::new("default", "web-1"),
        interface: "p1a".into(),
        ofport: 10,
        mac: MacAddr([2, 0, 192, 168, 100, 2]),
        ips: vec![ip("192.168.100.2")],
    }));
    c.sync(Instant::now());
    c.take_changes();
    let key = PodKey::new("default", "web-1");
    assert!(matches!(
        c.pipeline().choice(&key),
        crate::egress::pipeline::EgressChoice::Local { .. }
    ));
}
