use std::net::IpAddr;

use super::*;
use crate::agent::config::{test_config, MacAddr};
use crate::egress::model::load_yaml;

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
kind: Namespace
metadata: {name: staging, labels: {role: staging}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node1}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node2}
---
apiVersion: v1
kind: Pod
metadata: {name: stage-1, namespace: staging, labels: {app: staging}}
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
metadata: {name: egress-antrea-test, creationTimestamp: '2024-01-01T00:00:00Z'}
spec:
  appliedTo: {podSelector: {matchLabels: {app: antrea-test}}}
  externalIPPool: snat-origin-pool
---
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: staging-pool}
spec:
  ipRanges: [{start: 10.105.18.101, end: 10.105.18.101}]
  nodeSelector: {}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-staging, creationTimestamp: '2024-01-01T00:01:00Z'}
spec:
  appliedTo:
    podSelector: {matchLabels: {app: staging}}
    namespaceSelector: {matchLabels: {role: staging}}
  externalIPPool: staging-pool
";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn port(iface: &str, ns: &str, name: &str, ofport: u32, addr: &str) -> PodPort {
    PodPort {
        pod: PodKey::new(ns, name),
        interface: iface.into(),
        ofport,
        mac: MacAddr([2, 0, 0, 0, 0, ofport as u8]),
        ips: vec![ip(addr)],
    }
}

fn view_with_seed(node: &str, k: u8) -> ClusterView {
    let mut v = ClusterView::new(&test_config(node, k));
    let loaded = load_yaml(SEED);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    for o in loaded.objects {
        v.apply(Input::Upsert(Box::new(o)));
    }
    v
}

#[test]
fn seed_on_node1() {
    let mut v = view_with_seed("node1", 1);
    v.apply(Input::PortUp(port(
        "p1a",
        "default",
        "web-1",
        10,
        "192.168.100.2",
    )));
    v.apply(Input::PortUp(port(
        "p1b",
        "staging",
        "stage-1",
        11,
        "192.168.100.3",
    )));
    v.apply(Input::PortUp(port(
        "p1c",
        "default",
        "unlisted",
        12,
        "192.168.100.4",
    )));
    let nv = v.node_view();
    let summary: Vec<(String, Option<IpAddr>, Option<String>, bool)> = nv
        .pods
        .iter()
        .map(|p| {
            (
                p.pod.to_string(),
                p.egress_ip,
                p.owner.clone(),
                p.owned_here,
            )
        })
        .collect();
    // The use-case-1 IP can only be on node1 (nodeSelector); the staging IP goes wherever the
    // ring puts it. The unlisted pod has no Egress.
    let staging_owner = v.engine().plan().egresses["egress-staging"].owner.clone();
    assert_eq!(
        summary,
        [
            (
                "default/web-1".into(),
                Some(ip("10.105.18.100")),
                Some("node1".into()),
                true
            ),
            (
                "staging/stage-1".into(),
                Some(ip("10.105.18.101")),
                staging_owner.clone(),
                staging_owner.as_deref() == Some("node1")
            ),
        ]
    );
    assert!(nv.owned_ips.iter().any(|o| o.ip == ip("10.105.18.100")));
    // The local pod took its address from OVSDB and runs here.
    let pod = &v.engine().state().pods[&PodKey::new("default", "web-1")];
    assert_eq!(pod.ips(), [ip("192.168.100.2")]);
    assert_eq!(pod.spec.node_name.as_deref(), Some("node1"));
    assert_eq!(
        v.peers().map(|n| n.name().to_string()).collect::<Vec<_>>(),
        ["node2"]
    );
}

#[test]
fn relabel_moves_a_pod_in_and_out() {
    let mut v = view_with_seed("node2", 2);
    v.apply(Input::PortUp(port(
        "p2a",
        "default",
        "web-2",
        10,
        "192.168.101.2",
    )));
    let nv = v.node_view();
    assert_eq!(nv.pods.len(), 1);
    assert_eq!(nv.pods[0].owner.as_deref(), Some("node1"));
    assert!(!nv.pods[0].owned_here);
    assert_eq!(nv.pods[0].owner_ip, Some(ip("10.105.18.31")));
    // Relabel in the manifest: the pod leaves the Egress.
    let mut pod = v.engine().state().pods[&PodKey::new("default", "web-2")].clone();
    pod.metadata.labels.insert("app".into(), "other".into());
    pod.spec.node_name = Some("node2".into());
    let e = v.apply(Input::Upsert(Box::new(Object::Pod(pod.clone()))));
    assert!(e.egress);
    assert!(v.node_view().pods.is_empty());
    pod.metadata
        .labels
        .insert("app".into(), "antrea-test".into());
    v.apply(Input::Upsert(Box::new(Object::Pod(pod))));
    assert_eq!(v.node_view().pods.len(), 1);
    // The port goes away: the pod's manifest stays, the view keeps it (no port: the pipeline
    // ignores it), and the port-down is reported.
    let e = v.apply(Input::PortDown("p2a".into()));
    assert!(e.ports.contains(&PodKey::new("default", "web-2")));
    assert!(v.port_of(&PodKey::new("default", "web-2")).is_none());
}

#[test]
fn this_node_is_known_without_a_node_object() {
    let cfg = test_config("node7", 7);
    let v = ClusterView::new(&cfg);
    let me = &v.engine().state().nodes["node7"];
    assert_eq!(me.internal_ip(), Some(ip("10.105.18.37")));
    assert!(v.alive().contains("node7"));
}

#[test]
fn liveness_from_ready_condition_then_membership() {
    let mut v = view_with_seed("node1", 1);
    assert_eq!(v.alive().len(), 2);
    let mut n2 = v.engine().state().nodes["node2"].clone();
    n2.status.conditions = vec![crate::egress::model::core::NodeCondition {
        type_: "Ready".into(),
        status: "False".into(),
    }];
    v.apply(Input::Upsert(Box::new(Object::Node(n2))));
    assert_eq!(v.alive().iter().collect::<Vec<_>>(), ["node1"]);
    // Membership takes over; this node is always alive.
    v.apply(Input::Alive(["node2".to_string()].into()));
    assert_eq!(v.alive().len(), 2);
    // Kubernetes vetoes a failed node even though it answers gossip; never this node.
    v.apply(Input::KubeDown(
        ["node1".to_string(), "node2".to_string()].into(),
    ));
    assert_eq!(v.alive().iter().collect::<Vec<_>>(), ["node1"]);
    v.apply(Input::KubeDown(BTreeSet::new()));
    assert_eq!(v.alive().len(), 2);
}

#[test]
fn source_errors_and_deletes() {
    let mut v = view_with_seed("node1", 1);
    let err = SourceError {
        origin: "bad.yaml".into(),
        object: None,
        message: "document 1: nonsense".into(),
    };
    let e = v.apply(Input::SourceErrors {
        source: "manifests",
        errors: vec![err.clone()],
    });
    assert!(e.status);
    assert_eq!(v.source_errors(), [&err]);
    let e = v.apply(Input::Delete(ObjectRef {
        kind: Kind::ExternalIPPool,
        namespace: String::new(),
        name: "staging-pool".into(),
    }));
    assert!(e.egress && e.status);
    assert_eq!(v.engine().plan().egresses["egress-staging"].ip, None);
}
