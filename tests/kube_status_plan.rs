//! The pure parts of the Kubernetes integration: one writer per status field across all nodes
//! (whatever the alive set), the status merge (other writers' conditions and transition times
//! kept), and Kubernetes liveness (grace, combination with gossip).
#![cfg(feature = "kube")]

mod kube_support;

use std::collections::{BTreeMap, BTreeSet};

use ovs_egress::agent::cluster::ClusterView;
use ovs_egress::agent::k8s::liveness::{combine, KubeLiveness};
use ovs_egress::agent::k8s::status::{plan_writes, rendezvous, EgressStatusWrite, Write};
use ovs_egress::agent::k8s::writer::merge_status;
use ovs_egress::agent::source::Input;
use ovs_egress::egress::conditions::EgressCondition;
use ovs_egress::egress::model::{load_yaml, Timestamp};
use serde_json::json;

use kube_support::agent::agent_config;

const SEED: &str = include_str!("kube_support/seed.yaml");
const NODES: [&str; 3] = ["node-a", "node-b", "node-c"];

fn views(alive: Option<&[&str]>) -> Vec<ClusterView> {
    NODES
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let mut v = ClusterView::new(&agent_config(n, k as u8));
            for o in load_yaml(SEED).objects {
                v.apply(Input::Upsert(Box::new(o)));
            }
            if let Some(a) = alive {
                v.apply(Input::Alive(a.iter().map(|s| s.to_string()).collect()));
            }
            v
        })
        .collect()
}

/// field → nodes that would write it.
fn writers(views: &[ClusterView], live: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in views.iter().filter(|v| live.contains(&v.node())) {
        for w in plan_writes(v.engine(), v.node()) {
            let mut fields = Vec::new();
            match &w {
                Write::PinEgressIp { egress, .. } => fields.push(format!("{egress} spec.egressIP")),
                Write::PoolUsage { pool, .. } => fields.push(format!("{pool} usage")),
                Write::EgressStatus(s) => {
                    if s.placement.is_some() {
                        fields.push(format!("{} placement", s.egress));
                    }
                    for c in &s.set {
                        fields.push(format!("{} {}", s.egress, c.type_()));
                    }
                }
            }
            for f in fields {
                out.entry(f).or_default().push(v.node().to_string());
            }
        }
    }
    out
}

#[test]
fn every_status_field_has_exactly_one_writer() {
    let all = writers(&views(None), &NODES);
    for (field, nodes) in &all {
        assert_eq!(nodes.len(), 1, "{field} written by {nodes:?}");
    }
    for f in [
        "egress-antrea-test placement",
        "egress-antrea-test IPAssigned",
        "egress-antrea-test IPAllocated",
        "egress-antrea-test spec.egressIP",
        "egress-staging placement",
        "egress-staging IPAllocated",
        "snat-origin-pool usage",
        "staging-pool usage",
    ] {
        assert!(all.contains_key(f), "{f} has no writer: {all:?}");
    }
    assert_eq!(
        all["egress-antrea-test placement"],
        ["node-a"],
        "the owner writes placement"
    );

    // node-a down: use case 1 has no eligible node; exactly one survivor writes the failure.
    let live = ["node-b", "node-c"];
    let down = writers(&views(Some(&live)), &live);
    for (field, nodes) in &down {
        assert_eq!(nodes.len(), 1, "{field} written by {nodes:?}");
    }
    let failure = views(Some(&live))
        .iter()
        .filter(|v| live.contains(&v.node()))
        .flat_map(|v| plan_writes(v.engine(), v.node()))
        .find_map(|w| match w {
            Write::EgressStatus(s) if s.egress == "egress-antrea-test" && s.placement.is_some() => {
                Some(s)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(failure.placement, Some((String::new(), None)));
    assert!(failure
        .set
        .iter()
        .any(|c| matches!(c, EgressCondition::AssignmentFailed(_))));
}

#[test]
fn rendezvous_is_deterministic_and_moves_only_the_leavers_keys() {
    let all: BTreeSet<String> = ["n1", "n2", "n3", "n4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let keys: Vec<String> = (0..200).map(|i| format!("pool-{i}")).collect();
    let before: Vec<&str> = keys.iter().map(|k| rendezvous(k, &all).unwrap()).collect();
    let mut fewer = all.clone();
    fewer.remove("n3");
    for (k, b) in keys.iter().zip(&before) {
        let after = rendezvous(k, &fewer).unwrap();
        if *b != "n3" {
            assert_eq!(after, *b, "{k} moved although its writer stayed");
        }
    }
    assert!(
        before.iter().collect::<BTreeSet<_>>().len() == 4,
        "keys spread over all nodes"
    );
    assert_eq!(rendezvous("x", &BTreeSet::new()), None);
}

#[test]
fn merge_status_keeps_other_writers_and_transition_times() {
    let t0 = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let t1 = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
    let ip = "10.105.18.100".parse().unwrap();
    let current = json!({
        "egressNode": "node-b", "egressIP": "10.105.18.100", "extra": 1,
        "conditions": [
            {"type": "IPAllocated", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z",
             "reason": "Allocated", "message": "EgressIP is successfully allocated"},
            {"type": "IPAssigned", "status": "True", "lastTransitionTime": "2025-06-01T00:00:00Z",
             "reason": "Assigned", "message": "EgressIP is successfully assigned to EgressNode"}]});
    let take = EgressStatusWrite {
        egress: "e".into(),
        placement: Some(("node-a".into(), Some(ip))),
        set: vec![EgressCondition::Assigned],
        remove: vec![],
    };
    let merged = merge_status(&current, &take, t0);
    assert_eq!(merged["egressNode"], "node-a");
    assert_eq!(merged["extra"], 1, "unknown fields kept");
    let c = merged["conditions"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        c[0]["lastTransitionTime"], "2025-01-01T00:00:00Z",
        "other writer's condition untouched"
    );
    assert_eq!(
        c[1]["lastTransitionTime"], "2025-06-01T00:00:00Z",
        "unchanged status keeps its time"
    );

    let fail = EgressStatusWrite {
        egress: "e".into(),
        placement: Some((String::new(), None)),
        set: vec![EgressCondition::AssignmentFailed(
            ovs_egress::egress::election::ElectionError::NoNodeAvailable,
        )],
        remove: vec![],
    };
    let merged = merge_status(&current, &fail, t1);
    assert!(merged.get("egressNode").is_none() && merged.get("egressIP").is_none());
    let c = merged["conditions"].as_array().unwrap();
    assert_eq!(c[1]["status"], "False");
    assert_eq!(c[1]["reason"], "AssignmentError");
    assert_eq!(
        c[1]["message"],
        "Failed to assign the IP to EgressNode: no Node available"
    );
    assert_eq!(
        c[1]["lastTransitionTime"], "2026-01-02T00:00:00Z",
        "a transition gets now"
    );

    let clear = EgressStatusWrite {
        egress: "e".into(),
        placement: None,
        set: vec![],
        remove: vec!["IPAssigned"],
    };
    let merged = merge_status(&current, &clear, t1);
    assert_eq!(merged["conditions"].as_array().unwrap().len(), 1);
    assert_eq!(
        merge_status(
            &json!(null),
            &EgressStatusWrite {
                egress: "e".into(),
                placement: None,
                set: vec![],
                remove: vec![]
            },
            t0
        ),
        json!(null)
    );
}

#[test]
fn kubernetes_liveness_waits_for_the_grace_and_vetoes_gossip() {
    let mut k = KubeLiveness::new(40);
    let node = |name: &str, status: &str, since: &str| {
        json!({"metadata": {"name": name}, "status": {"conditions": [
            {"type": "MemoryPressure", "status": "False"},
            {"type": "Ready", "status": status, "lastTransitionTime": since}]}})
    };
    k.observe_node(&node("a", "True", "2026-01-01T00:00:00Z"));
    k.observe_node(&node("b", "Unknown", "2026-01-01T00:00:00Z"));
    k.observe_node(&node("c", "False", "2026-01-01T00:00:30Z"));
    let at = |s: &str| Timestamp::parse(s).unwrap();
    assert!(
        k.down(at("2026-01-01T00:00:40Z")).is_empty(),
        "within the grace nobody is down"
    );
    assert_eq!(
        k.down(at("2026-01-01T00:00:41Z")),
        BTreeSet::from(["b".to_string()])
    );
    assert_eq!(
        k.next_change(at("2026-01-01T00:00:41Z")),
        Some(at("2026-01-01T00:01:11Z"))
    );
    assert_eq!(k.down(at("2026-01-01T00:01:11Z")).len(), 2);

    // Leases: expired for longer than the grace → down, even with Ready=True.
    k.observe_lease(&json!({"metadata": {"name": "a"}, "spec": {"renewTime": "2026-01-01T00:00:00.123456Z", "leaseDurationSeconds": 40}}));
    assert!(!k.down(at("2026-01-01T00:01:20Z")).contains("a"));
    assert!(k.down(at("2026-01-01T00:01:21Z")).contains("a"));
    k.forget_lease("a");
    k.forget_node("b");
    let down = k.down(at("2026-01-01T00:05:00Z"));
    assert_eq!(down, BTreeSet::from(["c".to_string()]));

    // alive = gossip − kube_down (+ self); without gossip: known nodes − kube_down.
    let gossip: BTreeSet<String> = ["a", "c", "d"].iter().map(|s| s.to_string()).collect();
    let alive = combine(["a", "b", "c"], Some(&gossip), &down, "a");
    assert_eq!(alive, ["a", "d"].iter().map(|s| s.to_string()).collect());
    let alive = combine(["a", "b", "c"], None, &down, "c");
    assert_eq!(
        alive,
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect(),
        "this node is always alive"
    );
}

fn deploy_docs(file: &str) -> Vec<serde_json::Value> {
    let path = format!("{}/deploy/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

#[test]
fn deploy_manifests_match_the_code() {
    use ovs_egress::agent::config::Settings;
    use ovs_egress::agent::k8s::resources::api_resource;
    use ovs_egress::agent::source::Kind;

    // The CRDs serve exactly the resources the watchers and writers address.
    let crds = deploy_docs("crds.yaml");
    for kind in [Kind::Egress, Kind::ExternalIPPool] {
        let res = api_resource(kind);
        let crd = crds
            .iter()
            .find(|c| c["spec"]["names"]["kind"] == res.kind.as_str())
            .unwrap();
        assert_eq!(
            crd["metadata"]["name"],
            format!("{}.{}", res.plural, res.group)
        );
        assert_eq!(crd["spec"]["group"], res.group.as_str());
        assert_eq!(crd["spec"]["scope"], "Cluster");
        assert_eq!(crd["spec"]["names"]["plural"], res.plural.as_str());
        let v = &crd["spec"]["versions"][0];
        assert_eq!(v["name"], res.version.as_str());
        assert!(v["served"].as_bool().unwrap() && v["storage"].as_bool().unwrap());
        assert!(v["subresources"]["status"].is_object());
    }

    // The ConfigMap holds a configuration file for the Kubernetes source that resolves once
    // the DaemonSet gives the node name and the Node its transport IP and pod CIDR.
    let cm = &deploy_docs("configmap.yaml")[0];
    let file = cm["data"]["ovs-egress.yaml"].as_str().unwrap();
    let mut settings = Settings::from_yaml(file).unwrap();
    assert_eq!(
        settings.source_kind().unwrap(),
        ovs_egress::agent::config::SourceKind::Kubernetes
    );
    settings.node_name = Some("node1".into());
    let node = ovs_egress::egress::model::load_yaml(
        "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nspec: {podCIDR: 10.244.1.0/24}\n\
         status: {addresses: [{type: InternalIP, address: 192.168.77.11}]}\n",
    )
    .objects
    .pop();
    let Some(ovs_egress::egress::model::Object::Node(node)) = node else {
        panic!("{node:?}")
    };
    ovs_egress::agent::k8s::node_settings::apply_node(&node, &mut settings, Some(24)).unwrap();
    let cfg = settings.resolve().unwrap();
    assert_eq!(cfg.transport_ip.to_string(), "192.168.77.11/24");
    assert_eq!(cfg.pod_cidr.to_string(), "10.244.1.0/24");
    assert_eq!(cfg.ovsdb, "unix:/var/run/openvswitch/db.sock");

    // The DaemonSet: service account of rbac.yaml, host network, privileged, NODE_NAME.
    let sa = deploy_docs("rbac.yaml")
        .into_iter()
        .find(|d| d["kind"] == "ServiceAccount")
        .unwrap();
    let ds = &deploy_docs("daemonset.yaml")[0];
    let pod = &ds["spec"]["template"]["spec"];
    assert_eq!(ds["metadata"]["namespace"], sa["metadata"]["namespace"]);
    assert_eq!(pod["serviceAccountName"], sa["metadata"]["name"]);
    assert_eq!(pod["hostNetwork"], true);
    let c = &pod["containers"][0];
    assert_eq!(c["securityContext"]["privileged"], true);
    let env = c["env"].as_array().unwrap();
    let node_name = env.iter().find(|e| e["name"] == "NODE_NAME").unwrap();
    assert_eq!(
        node_name["valueFrom"]["fieldRef"]["fieldPath"],
        "spec.nodeName"
    );
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );
}
