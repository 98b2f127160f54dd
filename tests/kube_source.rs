//! The Kubernetes source and status writer against an in-process API server spoken to by kube's
//! real client over HTTP (tests/kube_support): the seed's manifests through the API give the
//! same controller state and status as through the manifest directory; watches resume after a
//! cut without missing updates; `410 Gone` relists and converges (deletions missed meanwhile
//! included); status conflicts are retried; the RBAC manifest grants exactly the requests made.
#![cfg(feature = "kube")]

mod kube_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ovs_egress::agent::cluster::ClusterView;
use ovs_egress::agent::k8s::status::{plan_writes, EgressStatusWrite, Write};
use ovs_egress::agent::k8s::writer::{StatusWriter, WriteOutcome};
use ovs_egress::agent::manifest::{self, ManifestDir};
use ovs_egress::agent::source::{Input, Kind, ObjectRef};
use ovs_egress::egress::conditions::EgressCondition;
use ovs_egress::egress::model::{load_values, PodKey, Timestamp};
use serde_json::{json, Value};

use kube_support::agent::{agent_config, controller, demo_config, TestAgent};
use kube_support::status::{api_status, expected_status, sorted};
use kube_support::store::RequestRecord;
use kube_support::{wait_for, FakeApiServer};

const SEED: &str = include_str!("kube_support/seed.yaml");
/// Watches one agent keeps open: the five mirrored kinds and the kubelets' Leases.
const WATCHES: usize = 6;
const NODES: [&str; 3] = ["node-a", "node-b", "node-c"];
use kube_support::status::EGRESS_API;

/// The view node `node` gets from the seed through the manifest directory.
fn manifest_view(node: &str, k: u8) -> ClusterView {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seed.yaml"), SEED).unwrap();
    let mut m = ManifestDir::new(dir.path(), &[]);
    let scan = m.rescan();
    let mut view = ClusterView::new(&agent_config(node, k));
    for c in scan.changes {
        view.apply(c);
    }
    view.apply(m.errors_input());
    view.apply(Input::SourceSynced(manifest::SOURCE));
    view
}

/// The view node `node` should have of the server's current objects (this node's pods only).
fn reference_view(server: &FakeApiServer, node: &str, k: u8) -> ClusterView {
    let mut docs = Vec::new();
    for (av, kind) in [
        ("v1", "Namespace"),
        ("v1", "Node"),
        ("v1", "Pod"),
        (EGRESS_API, "ExternalIPPool"),
        (EGRESS_API, "Egress"),
    ] {
        for mut o in server.list(av, kind) {
            if kind == "Pod" && o.pointer("/spec/nodeName").and_then(Value::as_str) != Some(node) {
                continue;
            }
            o["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("resourceVersion");
            docs.push(o);
        }
    }
    let loaded = load_values(docs);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut view = ClusterView::new(&agent_config(node, k));
    for o in loaded.objects {
        view.apply(Input::Upsert(Box::new(o)));
    }
    view
}

fn synced(a: &TestAgent) -> bool {
    a.ctl()
        .view()
        .is_synced(ovs_egress::agent::k8s::source::SOURCE)
}

fn count(server: &FakeApiServer, verb: &str, resource: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.verb == verb && r.resource == resource)
        .count()
}

async fn start_cluster(server: &FakeApiServer, write_status: bool) -> Vec<TestAgent> {
    let agents: Vec<TestAgent> = NODES
        .iter()
        .enumerate()
        .map(|(k, n)| TestAgent::start(server, n, k as u8, write_status))
        .collect();
    wait_for(60, "all agents synced", || agents.iter().all(synced)).await;
    agents
}

async fn converge_status(server: &FakeApiServer, agents: &[TestAgent]) {
    let reference = manifest_view("node-a", 0);
    wait_for(60, "API status equal to the manifest directory's", || {
        ["egress-antrea-test", "egress-staging"]
            .iter()
            .all(|e| sorted(api_status(server, e)) == expected_status(&reference, e))
    })
    .await;
    wait_for(60, "no status write left to do", || {
        agents
            .iter()
            .all(|a| plan_writes(a.ctl().view().engine(), &a.node).is_empty())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_through_the_api_gives_the_manifest_directorys_state_and_status() {
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    server.apply_yaml(SEED);
    let agents = start_cluster(&server, true).await;
    converge_status(&server, &agents).await;

    for (k, a) in agents.iter().enumerate() {
        let ctl = a.ctl();
        let api = ctl.view();
        let files = manifest_view(&a.node, k as u8);
        // The controller's inputs to the pipeline: identical.
        assert_eq!(api.node_view(), files.node_view(), "{}: node view", a.node);
        assert_eq!(
            api.engine().plan(),
            files.engine().plan(),
            "{}: IP plan",
            a.node
        );
        assert_eq!(api.alive(), files.alive());
        let local = |v: &ClusterView| -> Vec<(PodKey, String)> {
            v.engine()
                .computed()
                .pod_egress
                .iter()
                .filter(|(p, _)| {
                    v.engine().state().pods[*p].spec.node_name.as_deref() == Some(a.node.as_str())
                })
                .map(|(p, e)| (p.clone(), e.clone()))
                .collect()
        };
        assert_eq!(local(api), local(&files), "{}: local bindings", a.node);
        assert!(api.source_errors().is_empty(), "{:?}", api.source_errors());
        // Only this node's pods were fetched (field selector).
        assert!(api
            .engine()
            .state()
            .pods
            .values()
            .all(|p| p.spec.node_name.as_deref() == Some(a.node.as_str())));
    }

    // Status written as Antrea does: owner fields, both conditions, pinned spec.egressIP, usage.
    let files = manifest_view("node-a", 0);
    let plan = files.engine().plan();
    for name in ["egress-antrea-test", "egress-staging"] {
        let (node, ip, conds) = sorted(api_status(&server, name));
        assert_eq!(node, "node-a");
        assert_eq!(ip, plan.egresses[name].ip.map(|i| i.to_string()));
        assert_eq!(conds.len(), 2);
        let obj = server.get(EGRESS_API, "Egress", "", name).unwrap();
        assert_eq!(
            obj.pointer("/spec/egressIP").and_then(Value::as_str),
            ip.as_deref(),
            "{name}: spec.egressIP pinned"
        );
        for c in obj
            .pointer("/status/conditions")
            .unwrap()
            .as_array()
            .unwrap()
        {
            let t = c["lastTransitionTime"].as_str().unwrap();
            Timestamp::parse(t).unwrap();
        }
    }
    for (pool, usage) in &plan.pools {
        let obj = server.get(EGRESS_API, "ExternalIPPool", "", pool).unwrap();
        assert_eq!(
            obj["status"]["usage"],
            json!({"total": usage.total, "used": usage.used}),
            "{pool}"
        );
    }
    // One IPAssigned event per Egress, from the owner.
    let events = server.list("v1", "Event");
    for name in ["egress-antrea-test", "egress-staging"] {
        let mine: Vec<&Value> = events
            .iter()
            .filter(|e| e["involvedObject"]["name"] == name && e["reason"] == "IPAssigned")
            .collect();
        assert_eq!(mine.len(), 1, "{name}: {events:?}");
        assert_eq!(mine[0]["source"]["host"], "node-a");
        assert_eq!(mine[0]["type"], "Normal");
        assert_eq!(mine[0]["involvedObject"]["kind"], "Egress");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_cut_mid_stream_resumes_from_its_version_without_missing_updates() {
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    server.apply_yaml(SEED);
    let agent = TestAgent::start(&server, "node-b", 1, false);
    wait_for(60, "synced", || synced(&agent)).await;
    wait_for(60, "every watch open", || server.open_watches() == WATCHES).await;
    let lists = server
        .requests()
        .iter()
        .filter(|r| r.verb == "list")
        .count();
    let watches = server
        .requests()
        .iter()
        .filter(|r| r.verb == "watch")
        .count();
    let bound = |a: &TestAgent, pod: &str| {
        a.ctl()
            .view()
            .engine()
            .computed()
            .pod_egress
            .get(&PodKey::new("default", pod))
            .cloned()
    };

    // 1: delivered on the open watch.
    server.modify("v1", "Pod", "default", "plain", |p| {
        p["metadata"]["labels"]["app"] = json!("antrea-test")
    });
    wait_for(30, "update 1", || {
        bound(&agent, "plain").as_deref() == Some("egress-antrea-test")
    })
    .await;

    // 2: made while the watch delivers nothing, then the connection is cut mid-stream.
    server.freeze_watches();
    server.modify("v1", "Pod", "default", "stage-impostor", |p| {
        p["metadata"]["labels"]["app"] = json!("antrea-test")
    });
    server.modify("v1", "Namespace", "", "staging", |n| {
        n["metadata"]["labels"]["role"] = json!("retired")
    });
    server.break_watches();
    server.thaw();
    // 3: after the cut.
    server.apply(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "late", "namespace": "default", "labels": {"app": "antrea-test"}},
        "spec": {"nodeName": "node-b"}, "status": {"podIP": "10.244.1.20"}}));

    wait_for(30, "updates 2 and 3", || {
        bound(&agent, "stage-impostor").as_deref() == Some("egress-antrea-test")
            && bound(&agent, "late").as_deref() == Some("egress-antrea-test")
            && !agent
                .ctl()
                .view()
                .engine()
                .computed()
                .pod_egress
                .contains_key(&PodKey::new("staging", "stage-1"))
    })
    .await;
    // The other kinds' watchers reconnect on their own schedule (backoff after the error).
    wait_for(30, "every watch re-opened", || {
        server
            .requests()
            .iter()
            .filter(|r| r.verb == "watch")
            .count()
            >= watches + WATCHES
            && server.open_watches() == WATCHES
    })
    .await;
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.verb == "list")
            .count(),
        lists,
        "resumed by resourceVersion, no relist"
    );
    let reference = reference_view(&server, "node-b", 1);
    assert_eq!(agent.ctl().view().node_view(), reference.node_view());
    assert_eq!(
        agent.ctl().view().engine().plan(),
        reference.engine().plan()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_410_relists_and_applies_deletions_missed_meanwhile() {
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    server.apply_yaml(SEED);
    let agent = TestAgent::start(&server, "node-b", 1, false);
    wait_for(60, "synced", || synced(&agent)).await;
    wait_for(60, "every watch open", || server.open_watches() == WATCHES).await;
    let pod_lists = count(&server, "list", "pods");

    server.freeze_watches();
    server.delete("v1", "Pod", "default", "test-1");
    server.delete(EGRESS_API, "Egress", "", "egress-staging");
    server.modify("v1", "Pod", "default", "plain", |p| {
        p["metadata"]["labels"]["app"] = json!("antrea-test")
    });
    server.compact();
    server.break_watches();
    server.thaw();

    wait_for(30, "relist converged", || {
        let ctl = agent.ctl();
        let v = ctl.view();
        let s = v.engine().state();
        !s.pods.contains_key(&PodKey::new("default", "test-1"))
            && !s.egresses.contains_key("egress-staging")
            && v.engine()
                .computed()
                .pod_egress
                .get(&PodKey::new("default", "plain"))
                .map(String::as_str)
                == Some("egress-antrea-test")
    })
    .await;
    assert!(
        count(&server, "list", "pods") > pod_lists,
        "410 made the watcher relist"
    );
    let inputs = agent.inputs();
    let deleted = |kind, ns: &str, name: &str| {
        let r = ObjectRef {
            kind,
            namespace: ns.into(),
            name: name.into(),
        };
        inputs
            .iter()
            .any(|i| matches!(i, Input::Delete(d) if *d == r))
    };
    assert!(deleted(Kind::Pod, "default", "test-1"));
    assert!(deleted(Kind::Egress, "", "egress-staging"));
    let reference = reference_view(&server, "node-b", 1);
    assert_eq!(agent.ctl().view().node_view(), reference.node_view());
    assert_eq!(
        agent.ctl().view().engine().plan(),
        reference.engine().plan()
    );
    // Objects that did not change during the outage produced no input on relist.
    let upserts_of_nodes = inputs
        .iter()
        .filter(|i| matches!(i, Input::Upsert(o) if o.kind() == "Node"))
        .count();
    assert_eq!(
        upserts_of_nodes, 3,
        "nodes were delivered once, not again by the relist"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_conflicts_are_retried_and_keep_the_other_writers_fields() {
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    server.apply_yaml(SEED);
    let writer = StatusWriter::new(server.client(), "node-a");
    let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let ip = "10.105.18.100".parse().unwrap();

    // Another writer (the allocation writer) sets IPAllocated between our read and our write.
    server.interfere_once(EGRESS_API, "Egress", "", "egress-antrea-test", |e| {
        e["status"] = json!({"conditions": [{"type": "IPAllocated", "status": "True",
            "lastTransitionTime": "2025-12-31T00:00:00Z", "reason": "Allocated",
            "message": "EgressIP is successfully allocated"}]});
    });
    let w = Write::EgressStatus(EgressStatusWrite {
        egress: "egress-antrea-test".into(),
        placement: Some(("node-a".into(), Some(ip))),
        set: vec![EgressCondition::Assigned],
        remove: vec![],
    });
    assert_eq!(writer.apply(&w, now).await.unwrap(), WriteOutcome::Written);
    assert_eq!(server.conflicts(), 1);
    assert_eq!(
        count(&server, "get", "egresses"),
        2,
        "re-read after the conflict"
    );
    assert_eq!(count(&server, "update", "egresses/status"), 2);
    let (node, got_ip, conds) = sorted(api_status(&server, "egress-antrea-test"));
    assert_eq!(
        (node.as_str(), got_ip.as_deref()),
        ("node-a", Some("10.105.18.100"))
    );
    assert_eq!(
        conds.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["IPAllocated", "IPAssigned"]
    );

    // Writing the same again changes nothing and keeps the transition time.
    let later = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
    assert_eq!(
        writer.apply(&w, later).await.unwrap(),
        WriteOutcome::AlreadyCurrent
    );
    let obj = server
        .get(EGRESS_API, "Egress", "", "egress-antrea-test")
        .unwrap();
    let assigned = obj["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "IPAssigned")
        .unwrap()
        .clone();
    assert_eq!(assigned["lastTransitionTime"], "2026-01-01T00:00:00Z");

    // The spec pin is conditional too: a concurrent label change → 409 → retried.
    server.interfere_once(EGRESS_API, "Egress", "", "egress-staging", |e| {
        e["metadata"]["labels"] = json!({"touched": "yes"})
    });
    let pin = Write::PinEgressIp {
        egress: "egress-staging".into(),
        ip: "10.105.18.101".parse().unwrap(),
    };
    assert_eq!(
        writer.apply(&pin, now).await.unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(server.conflicts(), 2);
    let obj = server
        .get(EGRESS_API, "Egress", "", "egress-staging")
        .unwrap();
    assert_eq!(obj["spec"]["egressIP"], "10.105.18.101");
    assert_eq!(obj["metadata"]["labels"]["touched"], "yes");
    // Someone else pinned first: we do not overwrite.
    server.interfere_once(EGRESS_API, "Egress", "", "egress-antrea-test", |e| {
        e["spec"]["egressIP"] = json!("10.105.18.100")
    });
    let other = Write::PinEgressIp {
        egress: "egress-antrea-test".into(),
        ip: "10.105.18.99".parse().unwrap(),
    };
    // The interference runs at the next write; the first GET still sees no pin, the patch
    // conflicts, the re-read sees the other pin.
    assert_eq!(
        writer.apply(&other, now).await.unwrap(),
        WriteOutcome::AlreadyCurrent
    );
    assert_eq!(
        server
            .get(EGRESS_API, "Egress", "", "egress-antrea-test")
            .unwrap()["spec"]["egressIP"],
        "10.105.18.100"
    );

    // A deleted Egress is not an error.
    server.delete(EGRESS_API, "Egress", "", "egress-staging");
    let gone = Write::EgressStatus(EgressStatusWrite {
        egress: "egress-staging".into(),
        placement: Some(("node-a".into(), None)),
        set: vec![],
        remove: vec![],
    });
    assert_eq!(writer.apply(&gone, now).await.unwrap(), WriteOutcome::Gone);
}

/// (verb, group, resource, namespace or "*" for cluster-wide grants).
type Grant = (String, String, String, String);

fn granted_by_rbac() -> BTreeSet<Grant> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/rbac.yaml")).unwrap();
    let mut out = BTreeSet::new();
    for doc in serde_norway::Deserializer::from_str(&text) {
        let v: Value = serde::Deserialize::deserialize(doc).unwrap();
        let scope = match v["kind"].as_str() {
            Some("ClusterRole") => "*".to_string(),
            Some("Role") => v["metadata"]["namespace"].as_str().unwrap().to_string(),
            _ => continue,
        };
        for rule in v["rules"].as_array().unwrap() {
            for g in rule["apiGroups"].as_array().unwrap() {
                for r in rule["resources"].as_array().unwrap() {
                    for verb in rule["verbs"].as_array().unwrap() {
                        let (g, r, verb) = (
                            g.as_str().unwrap(),
                            r.as_str().unwrap(),
                            verb.as_str().unwrap(),
                        );
                        assert!(g != "*" && r != "*" && verb != "*", "no wildcards in RBAC");
                        out.insert((verb.into(), g.into(), r.into(), scope.clone()));
                    }
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_grants_exactly_the_requests_the_agent_makes() {
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    server.apply_yaml(SEED);
    // An Egress whose allocation fails, so failure paths (and Warning events) run too.
    server.apply(
        json!({"apiVersion": EGRESS_API, "kind": "Egress", "metadata": {"name": "egress-nopool"},
        "spec": {"appliedTo": {"podSelector": {}}, "externalIPPool": "missing-pool"}}),
    );
    let agents = start_cluster(&server, true).await;
    converge_status(&server, &agents).await;
    wait_for(60, "allocation failure written", || {
        api_status(&server, "egress-nopool")
            .2
            .iter()
            .any(|c| c.2 == "AllocationError")
    })
    .await;
    assert!(server
        .list("v1", "Event")
        .iter()
        .any(|e| e["reason"] == "AllocationError" && e["type"] == "Warning"));

    let used: BTreeSet<RequestRecord> = server.requests().into_iter().collect();
    let granted = granted_by_rbac();
    for r in &used {
        let ok = granted.contains(&(
            r.verb.clone(),
            r.group.clone(),
            r.resource.clone(),
            "*".into(),
        )) || (!r.namespace.is_empty()
            && granted.contains(&(
                r.verb.clone(),
                r.group.clone(),
                r.resource.clone(),
                r.namespace.clone(),
            )));
        assert!(ok, "request not granted by deploy/rbac.yaml: {r:?}");
    }
    for (verb, group, resource, scope) in &granted {
        let ok = used.iter().any(|r| {
            &r.verb == verb
                && &r.group == group
                && &r.resource == resource
                && (scope == "*" || &r.namespace == scope)
        });
        assert!(ok, "deploy/rbac.yaml grants {verb} {group}/{resource} in {scope}, which the agent never uses");
    }
}

const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testbed/manifests/demo");

/// The CNI's pod ports of a demo node (what the OVSDB source reports): pods of `node` in the
/// demo manifests, addresses .2, .3, … of the node's pod CIDR.
fn demo_ports(node: &str, k: u8) -> Vec<Input> {
    use ovs_egress::agent::config::MacAddr;
    use ovs_egress::agent::source::PodPort;
    let mut pods = Vec::new();
    for entry in std::fs::read_dir(DEMO_DIR).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for o in ovs_egress::egress::model::load_yaml(&text).objects {
            if let ovs_egress::egress::model::Object::Pod(p) = o {
                if p.spec.node_name.as_deref() == Some(node) {
                    pods.push(p.key());
                }
            }
        }
    }
    pods.sort();
    pods.into_iter()
        .enumerate()
        .map(|(i, pod)| {
            let host = 2 + i as u8;
            Input::PortUp(PodPort {
                pod,
                interface: format!("p{k}-{i}"),
                ofport: 10 + i as u32,
                mac: MacAddr([2, 0, 192, 168, 99 + k, host]),
                ips: vec![format!("192.168.{}.{host}", 99 + k).parse().unwrap()],
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_manifests_through_the_api_install_the_same_flows_as_the_manifest_directory() {
    use ovs_egress::egress::pipeline::Bridge;
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    let mut files: Vec<_> = std::fs::read_dir(DEMO_DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        server.apply_yaml(&std::fs::read_to_string(f).unwrap());
    }
    let nodes = [("node1", 1u8), ("node2", 2u8)];
    let agents: Vec<TestAgent> = nodes
        .iter()
        .map(|(n, k)| TestAgent::start_with(&server, demo_config(n, *k), true))
        .collect();
    for (a, (n, k)) in agents.iter().zip(&nodes) {
        for p in demo_ports(n, *k) {
            a.feed(p);
        }
    }
    wait_for(60, "all agents synced", || agents.iter().all(synced)).await;
    wait_for(60, "no status write left to do", || {
        agents
            .iter()
            .all(|a| plan_writes(a.ctl().view().engine(), &a.node).is_empty())
    })
    .await;

    for (a, (n, k)) in agents.iter().zip(&nodes) {
        // The same node fed from the manifest directory and the same pod ports.
        let mut reference = controller(demo_config(n, *k));
        let mut dir = ManifestDir::new(std::path::Path::new(DEMO_DIR), &[]);
        for c in dir.rescan().changes {
            reference.apply(c);
        }
        reference.apply(Input::SourceSynced(manifest::SOURCE));
        for p in demo_ports(n, *k) {
            reference.apply(p);
        }
        let now = Instant::now();
        reference.sync(now);
        let mut ctl = a.ctl();
        ctl.sync(now);
        assert_eq!(
            ctl.view().node_view(),
            reference.view().node_view(),
            "{n}: node view"
        );
        assert_eq!(
            ctl.view().engine().plan(),
            reference.view().engine().plan(),
            "{n}: plan"
        );
        for bridge in [Bridge::Int, Bridge::Phy] {
            let api = ctl.pipeline().desired().sorted(bridge);
            let files = reference.pipeline().desired().sorted(bridge);
            assert!(!api.is_empty());
            assert_eq!(api, files, "{n}: {bridge:?} flows");
        }
        // The owner holds both IPs (node1 is the only snat-origin node; the ring puts the
        // staging IP there too) and programs their SNAT.
        let owned: Vec<String> = ctl.owned_ips().map(|i| i.to_string()).collect();
        let want: Vec<String> = reference.owned_ips().map(|i| i.to_string()).collect();
        assert_eq!(owned, want);
    }
    // Status in the API says what the manifest agents report.
    let reference = controller(demo_config("node1", 1));
    let mut reference = reference;
    let mut dir = ManifestDir::new(std::path::Path::new(DEMO_DIR), &[]);
    for c in dir.rescan().changes {
        reference.apply(c);
    }
    for e in ["egress-antrea-test", "egress-staging"] {
        assert_eq!(
            sorted(api_status(&server, e)),
            expected_status(reference.view(), e),
            "{e}"
        );
    }
}

fn lease(node: &str, renew: &str) -> Value {
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": node, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": renew}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_node_lease_takes_the_node_out_of_the_alive_set_until_renewed() {
    let server = FakeApiServer::start(Duration::from_secs(1)).await;
    server.apply_yaml(SEED);
    let fresh = ovs_egress::agent::status::now().to_string();
    for n in NODES {
        server.apply(lease(n, &fresh));
    }
    let agents = start_cluster(&server, false).await;
    let alive = |a: &TestAgent| a.ctl().view().alive().clone();
    let all: BTreeSet<String> = NODES.iter().map(|n| n.to_string()).collect();
    wait_for(60, "every node alive", || alive(&agents[0]) == all).await;

    // node-b's kubelet stopped renewing long ago (Ready says nothing): Kubernetes declares it
    // down, the source sends KubeDown, and the other agents take it out of the election.
    server.apply(lease("node-b", "2020-01-01T00:00:00.000000Z"));
    let without_b: BTreeSet<String> = ["node-a", "node-c"].iter().map(|n| n.to_string()).collect();
    wait_for(60, "node-b vetoed by its expired Lease", || {
        alive(&agents[0]) == without_b && alive(&agents[2]) == without_b
    })
    .await;
    assert!(agents[0]
        .inputs()
        .iter()
        .any(|i| matches!(i, Input::KubeDown(d) if d.contains("node-b"))));
    // node-b itself stays alive in its own view (it runs).
    assert!(alive(&agents[1]).contains("node-b"));

    // The kubelet renews: node-b is alive again everywhere.
    server.apply(lease(
        "node-b",
        &ovs_egress::agent::status::now().to_string(),
    ));
    wait_for(60, "node-b alive again", || {
        agents.iter().all(|a| alive(a) == all)
    })
    .await;
    assert!(server
        .requests()
        .iter()
        .any(|r| r.resource == "leases" && r.namespace == "kube-node-lease" && r.verb == "watch"));
}
