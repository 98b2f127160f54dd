//! The agent end to end on the namespace testbed: two nodes with their own Open vSwitch
//! (userspace datapath), real `ovs-egress` agents that create the bridges themselves, pods
//! attached as a CNI would, and an external host that records what reaches it. Needs root.
//!
//! - the seed: default SNAT, use case 1, use case 2, with ICMP and TCP;
//! - relabelling a pod in the manifests moves it into and out of an Egress, no restart;
//! - invalid manifests give clear conditions and leave the other Egresses working.
//!
//! Restarts (agent, ovs-vswitchd) are in `agent_restart.rs`.

mod agent_support;

use agent_support::*;

fn demo_pods() -> Vec<(usize, &'static str, &'static str)> {
    DEMO_PODS.to_vec()
}

#[test]
fn seed_default_snat_then_use_case_1_then_use_case_2() {
    let c = start(
        &demo_pods(),
        &[("00-cluster.yaml", CLUSTER), ("10-pods.yaml", PODS)],
    );
    // The agents keep the peers resolved, so OVS's tunnel neighbour cache knows them before
    // any pod sends (testbed notes pitfall 7).
    for (node, peer) in [(1, "10.105.18.32"), (2, "10.105.18.31")] {
        let sb = c.topo.node(node).unwrap().sandbox();
        let deadline = std::time::Instant::now() + WAIT;
        while !sb.appctl(&["tnl/neigh/show"]).unwrap().contains(peer) {
            assert!(
                std::time::Instant::now() < deadline,
                "node{node}: no tunnel neighbour {peer}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    // Default SNAT: every pod leaves with its node's IP.
    for (node, name, _) in DEMO_PODS {
        c.assert_source(name, if node == 1 { NODE1 } else { NODE2 });
    }

    // Use case 1: app=antrea-test on both nodes → 10.105.18.100, held by node1 (the only
    // network-role=snat-origin node).
    c.write("use-case-1.yaml", USE_CASE_1);
    let reports = c.wait_all("use case 1 applied", |r| {
        r.pods
            .iter()
            .any(|p| p.egress.as_deref() == Some("egress-antrea-test") && p.path != "blocked")
    });
    let uc1 = reports[0]
        .egresses
        .iter()
        .find(|e| e.name == "egress-antrea-test")
        .unwrap();
    assert_eq!(uc1.egress_ip.as_deref(), Some("10.105.18.100"));
    assert_eq!(uc1.egress_node, "node1");
    assert_eq!(reports[0].owned_ips, ["10.105.18.100"]);
    assert_eq!(
        pod_path(&reports[0], "default/antrea-test-1"),
        Some("local")
    );
    assert_eq!(
        pod_path(&reports[1], "default/antrea-test-2"),
        Some("tunnel")
    );
    c.assert_source("antrea-test-1", EIP1);
    c.assert_source("antrea-test-2", EIP1);
    c.assert_source("web-1", NODE1);
    c.assert_source("web-2", NODE2);
    c.assert_source("stage-1", NODE1);

    // Use case 2: app=staging in role=staging namespaces → 10.105.18.101 (any node may hold
    // it); the impostor (app=staging in default) keeps its node IP.
    c.write("use-case-2.yaml", USE_CASE_2);
    let reports = c.wait_all("use case 2 applied", |r| {
        r.pods
            .iter()
            .any(|p| p.egress.as_deref() == Some("egress-staging") && p.path != "blocked")
    });
    let uc2 = reports[0]
        .egresses
        .iter()
        .find(|e| e.name == "egress-staging")
        .unwrap();
    assert_eq!(uc2.egress_ip.as_deref(), Some("10.105.18.101"));
    assert!(uc2.egress_node == "node1" || uc2.egress_node == "node2");
    // Both agents agree on the owner.
    let uc2b = reports[1]
        .egresses
        .iter()
        .find(|e| e.name == "egress-staging")
        .unwrap();
    assert_eq!(uc2b.egress_node, uc2.egress_node);
    c.assert_source("stage-1", EIP2);
    c.assert_source("stage-2", EIP2);
    c.assert_source("stage-impostor", NODE2);
    c.assert_source("antrea-test-1", EIP1);
    c.assert_source("antrea-test-2", EIP1);
    c.assert_source("web-1", NODE1);

    // Removing use case 1 brings its pods back to their node IPs.
    c.remove("use-case-1.yaml");
    c.wait_all("use case 1 removed", |r| {
        r.pods
            .iter()
            .all(|p| p.egress.as_deref() != Some("egress-antrea-test"))
            && r.owned_ips.iter().all(|ip| ip != "10.105.18.100")
    });
    c.assert_source("antrea-test-1", NODE1);
    c.assert_source("antrea-test-2", NODE2);
    c.assert_source("stage-2", EIP2);
}

const RELABEL_PODS: [(usize, &str, &str); 2] = [(1, "web-1", "default"), (2, "web-2", "default")];

fn pods_yaml(label_1: &str, label_2: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: web-1, namespace: default, labels: {{app: {label_1}}}}}\n\
         ---\napiVersion: v1\nkind: Pod\nmetadata: {{name: web-2, namespace: default, labels: {{app: {label_2}}}}}\n"
    )
}

#[test]
fn relabelling_moves_pods_into_and_out_of_an_egress() {
    let c = start(
        &RELABEL_PODS,
        &[
            ("00-cluster.yaml", CLUSTER),
            ("10-pods.yaml", &pods_yaml("web", "web")),
            ("use-case-1.yaml", USE_CASE_1),
        ],
    );
    let pids: Vec<Option<u32>> = (1..=2).map(|n| c.agents.pid(n)).collect();
    c.assert_source("web-1", NODE1);
    c.assert_source("web-2", NODE2);

    // Into the Egress: web-2 (on node2, tunnelled to node1) gets the label.
    c.write("10-pods.yaml", &pods_yaml("web", "antrea-test"));
    c.wait_all("web-2 selected", |r| {
        r.node != "node2" || pod_uses(r, "default/web-2", Some("egress-antrea-test"))
    });
    c.assert_source("web-2", EIP1);
    c.assert_source("web-1", NODE1);

    // Both in; then web-2 out again.
    c.write("10-pods.yaml", &pods_yaml("antrea-test", "antrea-test"));
    c.wait_all("both selected", |r| {
        r.pods
            .iter()
            .all(|p| p.egress.as_deref() == Some("egress-antrea-test"))
    });
    c.assert_source("web-1", EIP1);
    c.assert_source("web-2", EIP1);
    c.write("10-pods.yaml", &pods_yaml("antrea-test", "web"));
    c.wait_all("web-2 released", |r| {
        r.node != "node2" || pod_uses(r, "default/web-2", None)
    });
    c.assert_source("web-2", NODE2);
    c.assert_source("web-1", EIP1);

    // A namespace label works the same way: use case 2 selects app=staging in role=staging
    // namespaces; labelling `default` role=staging pulls a relabelled pod in.
    c.write("use-case-2.yaml", USE_CASE_2);
    c.write("10-pods.yaml", &pods_yaml("antrea-test", "staging"));
    c.wait_all("use case 2 present", |r| {
        r.egresses.iter().any(|e| e.name == "egress-staging")
    });
    c.assert_source("web-2", NODE2);
    c.write(
        "00-cluster.yaml",
        &CLUSTER.replace(
            "  name: default\n",
            "  name: default\n  labels:\n    role: staging\n",
        ),
    );
    c.wait_all("web-2 selected through its namespace", |r| {
        r.node != "node2" || pod_uses(r, "default/web-2", Some("egress-staging"))
    });
    c.assert_source("web-2", EIP2);

    // Nothing was restarted.
    let after: Vec<Option<u32>> = (1..=2).map(|n| c.agents.pid(n)).collect();
    assert_eq!(pids, after);
}

/// Pool `pool-a` has one address. `good` (oldest) gets it; `outside` asks for an address
/// outside the pool; `exhausted` finds the pool empty; `bad-pool-user` names a pool whose
/// manifest has a malformed CIDR.
const INVALID: &str = "
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool-a}
spec:
  ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]
  nodeSelector: {}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: good, creationTimestamp: '2024-01-01T00:00:00Z'}
spec:
  appliedTo: {podSelector: {matchLabels: {app: good}}}
  externalIPPool: pool-a
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: outside, creationTimestamp: '2024-01-01T00:01:00Z'}
spec:
  appliedTo: {podSelector: {matchLabels: {app: outside}}}
  externalIPPool: pool-a
  egressIP: 10.105.18.150
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: exhausted, creationTimestamp: '2024-01-01T00:02:00Z'}
spec:
  appliedTo: {podSelector: {matchLabels: {app: exhausted}}}
  externalIPPool: pool-a
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: bad-pool-user, creationTimestamp: '2024-01-01T00:03:00Z'}
spec:
  appliedTo: {podSelector: {matchLabels: {app: bad}}}
  externalIPPool: pool-bad
";

const BAD_POOL: &str = "
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool-bad}
spec:
  ipRanges: [{cidr: 10.105.18.0/33}]
  nodeSelector: {}
";

const INVALID_PODS: &str = "
apiVersion: v1
kind: Pod
metadata: {name: good-1, namespace: default, labels: {app: good}}
---
apiVersion: v1
kind: Pod
metadata: {name: outside-1, namespace: default, labels: {app: outside}}
---
apiVersion: v1
kind: Pod
metadata: {name: plain-2, namespace: default, labels: {app: plain}}
---
apiVersion: v1
kind: Pod
metadata: {name: good-2, namespace: default, labels: {app: good}}
";

#[test]
fn invalid_manifests_give_conditions_and_leave_the_rest_working() {
    let c = start(
        &[
            (1, "good-1", "default"),
            (1, "outside-1", "default"),
            (2, "plain-2", "default"),
            (2, "good-2", "default"),
        ],
        &[
            ("00-cluster.yaml", CLUSTER),
            ("10-pods.yaml", INVALID_PODS),
            ("20-egresses.yaml", INVALID),
            ("30-bad-pool.yaml", BAD_POOL),
        ],
    );
    let reports = c.wait_all("egresses evaluated", |r| r.egresses.len() == 4);
    for r in &reports {
        let by = |n: &str| r.egresses.iter().find(|e| e.name == n).unwrap();
        let cond = |n: &str| by(n).conditions[0].clone();
        assert_eq!(by("good").egress_ip.as_deref(), Some("10.105.18.100"));
        assert!(by("good").conditions.iter().all(|c| c.status == "True"));
        let outside = cond("outside");
        assert_eq!(
            (
                outside.type_.as_str(),
                outside.status.as_str(),
                outside.reason.as_str()
            ),
            ("IPAllocated", "False", "AllocationError")
        );
        assert!(
            outside
                .message
                .contains("10.105.18.150 is not within the IP range of ExternalIPPool pool-a"),
            "{}",
            outside.message
        );
        let exhausted = cond("exhausted");
        assert_eq!(exhausted.status, "False");
        assert!(
            exhausted
                .message
                .contains("no available IP in ExternalIPPool pool-a"),
            "{}",
            exhausted.message
        );
        let bad = cond("bad-pool-user");
        assert_eq!(bad.status, "False");
        assert!(
            bad.message.contains("ExternalIPPool pool-bad not found")
                && bad.message.contains("30-bad-pool.yaml")
                && bad.message.contains("10.105.18.0/33"),
            "{}",
            bad.message
        );
        assert_eq!(r.invalid.len(), 1, "{:?}", r.invalid);
        assert_eq!(r.invalid[0].origin, "30-bad-pool.yaml");
        assert_eq!(
            r.invalid[0].object.as_deref(),
            Some("ExternalIPPool pool-bad")
        );
    }
    // The working Egress works on both nodes; an unselected pod keeps its node IP; a pod whose
    // Egress has no IP is not let out with another address (fail closed).
    c.assert_source("good-1", EIP1);
    c.assert_source("good-2", EIP1);
    c.assert_source("plain-2", NODE2);
    assert_eq!(pod_path(&reports[0], "default/outside-1"), Some("blocked"));
    let ext = c.topo.ext();
    let ping = c
        .topo
        .pod("outside-1")
        .unwrap()
        .ping(ext.ip(), 2, std::time::Duration::from_millis(100))
        .unwrap();
    assert_eq!(ping.received, 0, "a blocked pod must not get out: {ping:?}");

    // Fixing the pool manifest clears the condition without touching the others.
    c.write(
        "30-bad-pool.yaml",
        &BAD_POOL.replace("10.105.18.0/33", "10.105.18.120/30"),
    );
    let reports = c.wait_all("pool fixed", |r| {
        r.invalid.is_empty()
            && r.egresses
                .iter()
                .find(|e| e.name == "bad-pool-user")
                .is_some_and(|e| e.conditions.iter().all(|c| c.status == "True"))
    });
    let fixed = reports[0]
        .egresses
        .iter()
        .find(|e| e.name == "bad-pool-user")
        .unwrap();
    // A /30's usable addresses are .121 and .122 (network and broadcast excluded).
    assert_eq!(fixed.egress_ip.as_deref(), Some("10.105.18.121"));
    c.assert_source("good-2", EIP1);
}
