//! Cost of the Kubernetes source's conversion and relist diff (no network): an initial list of
//! 1,000 Egresses + 10 pools + 100 nodes + 200 local pods, one watch update of a pod, a relist of
//! an unchanged cluster (must produce no input), and planning this node's status writes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kube::api::DynamicObject;
use kube::runtime::watcher::Event;
use serde_json::json;

use ovs_egress::agent::k8s::source::SourceState;
use ovs_egress::agent::source::{Input, Kind};

fn dynamic(v: serde_json::Value) -> DynamicObject {
    serde_json::from_value(v).unwrap()
}

fn cluster() -> Vec<(Kind, DynamicObject)> {
    let mut out = Vec::new();
    for n in 0..100u32 {
        out.push((Kind::Node, dynamic(json!({"metadata": {"name": format!("node-{n}"), "resourceVersion": "1",
            "labels": {"pool": format!("p{}", n % 10)}},
            "spec": {"podCIDR": format!("10.{}.{}.0/24", n / 256, n % 256)},
            "status": {"addresses": [{"type": "InternalIP", "address": format!("192.168.{}.{}", n / 256, n % 256 + 1)}],
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}))));
    }
    for p in 0..10u32 {
        out.push((Kind::ExternalIPPool, dynamic(json!({"apiVersion": "crd.antrea.io/v1beta1", "kind": "ExternalIPPool",
            "metadata": {"name": format!("pool-{p}"), "resourceVersion": "1"},
            "spec": {"ipRanges": [{"cidr": format!("172.{}.0.0/16", 16 + p)}], "nodeSelector": {"matchLabels": {"pool": format!("p{p}")}}}}))));
    }
    for e in 0..1000u32 {
        out.push((Kind::Egress, dynamic(json!({"apiVersion": "crd.antrea.io/v1beta1", "kind": "Egress",
            "metadata": {"name": format!("egress-{e}"), "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"appliedTo": {"podSelector": {"matchLabels": {"app": format!("a{e}")}}}, "externalIPPool": format!("pool-{}", e % 10)}}))));
    }
    for i in 0..200u32 {
        out.push((Kind::Pod, dynamic(json!({"metadata": {"name": format!("pod-{i}"), "namespace": "default", "resourceVersion": "1",
            "labels": {"app": format!("a{}", i * 5)}},
            "spec": {"nodeName": "node-0"}, "status": {"podIP": format!("10.0.0.{}", i + 2)}}))));
    }
    out
}

fn list_into(state: &mut SourceState, objects: &[(Kind, DynamicObject)]) -> usize {
    let mut n = 0;
    for kind in [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::ExternalIPPool,
        Kind::Egress,
    ] {
        n += state.on_event(kind, Event::Init).len();
        for (_, o) in objects.iter().filter(|(k, _)| *k == kind) {
            n += state.on_event(kind, Event::InitApply(o.clone())).len();
        }
        n += state.on_event(kind, Event::InitDone).len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let objects = cluster();
    c.bench_function("initial list 1310 objects → inputs", |b| {
        b.iter(|| {
            let mut state = SourceState::new(40);
            black_box(list_into(&mut state, &objects))
        })
    });
    let mut state = SourceState::new(40);
    list_into(&mut state, &objects);
    c.bench_function("relist of an unchanged cluster (no inputs)", |b| {
        b.iter(|| {
            let n = list_into(&mut state, &objects);
            assert_eq!(n, 0);
        })
    });
    let mut flip = false;
    let pod = |app: &str| {
        dynamic(
            json!({"metadata": {"name": "pod-0", "namespace": "default", "resourceVersion": "2",
        "labels": {"app": app}}, "spec": {"nodeName": "node-0"}, "status": {"podIP": "10.0.0.2"}}),
        )
    };
    let (pa, pb) = (pod("x"), pod("y"));
    c.bench_function("watch update of one pod → one upsert", |b| {
        b.iter(|| {
            flip = !flip;
            let o = if flip { pa.clone() } else { pb.clone() };
            let inputs = state.on_event(Kind::Pod, Event::Apply(o));
            assert!(matches!(inputs.as_slice(), [Input::Upsert(_)]));
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
