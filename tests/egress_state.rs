//! The seed's two use cases end to end through the pure state computation, plus tie-breaking
//! and the incremental engine agreeing with the full computation.
#![cfg(feature = "agent")]

use std::collections::BTreeSet;
use std::net::IpAddr;

use ovs_egress::egress::engine::Engine;
use ovs_egress::egress::model::{load_yaml, Object, PodKey};
use ovs_egress::egress::state::{compute, ClusterState, Computed};

const CLUSTER: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {network-role: snat-origin}}
spec: {podCIDR: 10.244.0.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.77.10}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
spec: {podCIDR: 10.244.1.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.77.11}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Node
metadata: {name: node-c}
spec: {podCIDR: 10.244.2.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.77.12}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: staging, labels: {role: staging}}
---
apiVersion: v1
kind: Pod
metadata: {name: test-1, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.5}
---
apiVersion: v1
kind: Pod
metadata: {name: test-2, namespace: default, labels: {app: antrea-test}}
spec: {nodeName: node-a}
status: {podIP: 10.244.0.7}
---
apiVersion: v1
kind: Pod
metadata: {name: stage-1, namespace: staging, labels: {app: staging}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.9}
---
apiVersion: v1
kind: Pod
metadata: {name: stage-impostor, namespace: default, labels: {app: staging}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.10}
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: default, labels: {app: other}}
spec: {nodeName: node-b}
status: {podIP: 10.244.1.11}
"#;

/// Use case 1: a one-address pool pinned to `network-role=snat-origin` nodes for
/// `app=antrea-test` pods. Use case 2: a one-address pool with an empty nodeSelector for
/// `app=staging` pods in `role=staging` namespaces.
const SEED: &str = r#"
apiVersion: crd.antrea.io/v1alpha2
kind: ExternalIPPool
metadata: {name: snat-origin-pool}
spec:
  ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]
  nodeSelector: {matchLabels: {network-role: snat-origin}}
---
apiVersion: crd.antrea.io/v1alpha2
kind: Egress
metadata: {name: egress-antrea-test, creationTimestamp: "2021-08-01T10:00:00Z"}
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
metadata: {name: egress-staging, creationTimestamp: "2021-08-01T10:05:00Z"}
spec:
  appliedTo:
    podSelector: {matchLabels: {app: staging}}
    namespaceSelector: {matchLabels: {role: staging}}
  externalIPPool: staging-pool
"#;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn state_from(texts: &[&str]) -> ClusterState {
    let mut objects = Vec::new();
    for t in texts {
        let loaded = load_yaml(t);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        objects.extend(loaded.objects);
    }
    let mut state = ClusterState::from_objects(objects, Default::default());
    state.alive = state.ready_nodes();
    state
}

fn conditions(c: &Computed, egress: &str) -> Vec<(String, String, String, String)> {
    c.plan.egresses[egress]
        .conditions
        .iter()
        .map(|c| {
            let s = c.to_status();
            (s.type_, s.status, s.reason, s.message)
        })
        .collect()
}

fn cond(t: &str, s: &str, r: &str, m: &str) -> (String, String, String, String) {
    (t.into(), s.into(), r.into(), m.into())
}

#[test]
fn seed_use_cases() {
    let state = state_from(&[CLUSTER, SEED]);
    let c = compute(&state);

    let e1 = &c.plan.egresses["egress-antrea-test"];
    assert_eq!(e1.ip, Some(ip("10.105.18.100")));
    assert_eq!(
        e1.owner.as_deref(),
        Some("node-a"),
        "only node-a is snat-origin"
    );
    assert_eq!(e1.egress_id.map(|i| i.get()), Some(0x691264));
    assert_eq!(
        conditions(&c, "egress-antrea-test"),
        [
            cond(
                "IPAllocated",
                "True",
                "Allocated",
                "EgressIP is successfully allocated"
            ),
            cond(
                "IPAssigned",
                "True",
                "Assigned",
                "EgressIP is successfully assigned to EgressNode"
            ),
        ]
    );
    let e2 = &c.plan.egresses["egress-staging"];
    assert_eq!(e2.ip, Some(ip("10.105.18.101")));
    assert_eq!(e2.egress_id.map(|i| i.get()), Some(0x691265));
    // Empty nodeSelector: any alive node; the ring picks this one (CRC32, as Antrea).
    assert_eq!(e2.owner.as_deref(), Some("node-a"));
    assert_eq!(c.plan.pools["snat-origin-pool"].used, 1);
    let status = e1.status();
    assert_eq!(status.egress_node, "node-a");
    assert_eq!(status.egress_ip, Some(ip("10.105.18.100")));
    assert_eq!(status.conditions.len(), 2);
    assert_eq!(c.plan.pools["staging-pool"].total, 1);

    let bound: Vec<(String, String)> = c
        .pod_egress
        .iter()
        .map(|(k, e)| (k.to_string(), e.clone()))
        .collect();
    assert_eq!(
        bound,
        [
            (
                "default/test-1".to_string(),
                "egress-antrea-test".to_string()
            ),
            (
                "default/test-2".to_string(),
                "egress-antrea-test".to_string()
            ),
            ("staging/stage-1".to_string(), "egress-staging".to_string()),
        ],
        "app=staging outside role=staging namespaces and unselected pods take the default path"
    );

    // node-b: tunnels both selected pods' traffic to the owners' transport IPs.
    let view = c.node_view(&state, "node-b");
    let pods: Vec<_> = view
        .pods
        .iter()
        .map(|p| {
            (
                p.pod.to_string(),
                p.egress_ip,
                p.owner_ip,
                p.egress_id.map(|i| i.get()),
                p.owned_here,
            )
        })
        .collect();
    assert_eq!(
        pods,
        [
            (
                "default/test-1".to_string(),
                Some(ip("10.105.18.100")),
                Some(ip("192.168.77.10")),
                Some(0x691264),
                false
            ),
            (
                "staging/stage-1".to_string(),
                Some(ip("10.105.18.101")),
                Some(ip("192.168.77.10")),
                Some(0x691265),
                false
            ),
        ]
    );
    assert!(view.owned_ips.is_empty());
    // node-a owns both IPs and SNATs its own test-2 locally.
    let view_a = c.node_view(&state, "node-a");
    let owned: Vec<IpAddr> = view_a.owned_ips.iter().map(|o| o.ip).collect();
    assert_eq!(owned, [ip("10.105.18.100"), ip("10.105.18.101")]);
    assert!(view_a.pods[0].owned_here);
}

#[test]
fn seed_snat_origin_node_down_leaves_ip_unassigned() {
    let mut state = state_from(&[CLUSTER, SEED]);
    state.alive.remove("node-a");
    let c = compute(&state);
    let e1 = &c.plan.egresses["egress-antrea-test"];
    assert_eq!(e1.owner, None);
    assert_eq!(
        conditions(&c, "egress-antrea-test")[1],
        cond(
            "IPAssigned",
            "False",
            "AssignmentError",
            "Failed to assign the IP to EgressNode: no Node available"
        )
    );
    // The IP (and so its id) stays allocated; pods still know their Egress.
    assert_eq!(e1.ip, Some(ip("10.105.18.100")));
    assert_eq!(c.pod_egress.len(), 3);
    // egress-staging was on node-a too and moves to the next node on its ring.
    assert_eq!(
        c.plan.egresses["egress-staging"].owner.as_deref(),
        Some("node-b")
    );
}

#[test]
fn seed_with_a_slash32_cidr_allocates_nothing() {
    let seed = SEED.replace(
        "ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]",
        "ipRanges: [{cidr: 10.105.18.100/32}]",
    );
    let state = state_from(&[CLUSTER, &seed]);
    let c = compute(&state);
    let e1 = &c.plan.egresses["egress-antrea-test"];
    assert_eq!((e1.ip, e1.owner.as_deref()), (None, None));
    assert_eq!(
        conditions(&c, "egress-antrea-test"),
        [cond(
            "IPAllocated",
            "False",
            "AllocationError",
            "Cannot allocate EgressIP from ExternalIPPool: no available IP in ExternalIPPool snat-origin-pool"
        )]
    );
    assert_eq!(c.plan.pools["snat-origin-pool"].total, 0);
    let status = c.plan.egresses["egress-antrea-test"].status();
    assert_eq!((status.egress_node.as_str(), status.egress_ip), ("", None));
    // A /30 works: first usable address.
    let seed = SEED.replace(
        "ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]",
        "ipRanges: [{cidr: 10.105.18.100/30}]",
    );
    let c = compute(&state_from(&[CLUSTER, &seed]));
    assert_eq!(
        c.plan.egresses["egress-antrea-test"].ip,
        Some(ip("10.105.18.101"))
    );
}

const OVERLAP: &str = r#"
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-all-default, creationTimestamp: "2021-07-01T00:00:00Z"}
spec:
  appliedTo: {namespaceSelector: {}}
  egressIP: 10.105.18.200
"#;

#[test]
fn oldest_egress_wins_and_removal_rebinds() {
    let state = state_from(&[CLUSTER, SEED, OVERLAP]);
    let mut engine = Engine::new(state);
    let c = engine.computed().clone();
    // The older namespace-wide Egress wins over both seed Egresses for every pod.
    assert!(c.pod_egress.values().all(|e| e == "egress-all-default"));
    assert_eq!(c.pod_egress.len(), 5);
    let change = engine.remove_egress("egress-all-default");
    assert_eq!(change.pods.len(), 5);
    assert!(change.egresses.contains("egress-all-default"));
    let want = compute(&state_from(&[CLUSTER, SEED]));
    assert_eq!(engine.computed(), &want);
}

#[test]
fn engine_follows_incremental_changes() {
    let mut engine = Engine::new(state_from(&[CLUSTER]));
    for o in load_yaml(SEED).objects {
        engine.apply(o);
    }
    assert_eq!(engine.computed(), &compute(engine.state()));

    // A new pod in staging: only it changes.
    let pod = load_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: stage-2, namespace: staging, labels: {app: staging}}\nspec: {nodeName: node-a}\n",
    )
    .objects
    .remove(0);
    let change = engine.apply(pod);
    assert_eq!(
        change.pods,
        BTreeSet::from([PodKey::new("staging", "stage-2")])
    );
    assert!(change.egresses.is_empty());
    let view = engine.node_view("node-a");
    assert!(view.pods.iter().all(|p| p.owned_here), "{view:?}");

    // The namespace loses its label: its pods lose the Egress.
    let Object::Namespace(ns) =
        load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: staging}\n")
            .objects
            .remove(0)
    else {
        panic!()
    };
    let change = engine.upsert_namespace(ns);
    assert_eq!(change.pods.len(), 2);
    assert_eq!(engine.computed(), &compute(engine.state()));

    // Membership change moves only the affected Egress.
    let mut alive = engine.state().alive.clone();
    alive.remove("node-b");
    assert!(
        engine.set_alive(alive.clone()).is_empty(),
        "node-b owned nothing"
    );
    alive.remove("node-a");
    let change = engine.set_alive(alive);
    assert_eq!(change.egresses.len(), 2);
    assert_eq!(
        engine.plan().egresses["egress-staging"].owner.as_deref(),
        Some("node-c")
    );
    assert_eq!(engine.computed(), &compute(engine.state()));

    // Unchanged updates report nothing.
    let same = engine.state().nodes["node-a"].clone();
    assert!(engine.upsert_node(same).is_empty());
    assert!(engine.remove_pod(&PodKey::new("nope", "nope")).is_empty());
}
