//! Desired-state computation cost: full computation for 10,000 pods and 1,000 Egresses, and
//! incremental updates (one pod add; one Egress add; a node's view).
//! Goal (issue 5): full ≤ 1 s, incremental pod add ≤ 100 µs.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

use ovs_egress::egress::engine::Engine;
use ovs_egress::egress::model::{
    AppliedTo, Egress, EgressSpec, ExternalIPPool, ExternalIPPoolSpec, IpRange, Namespace, Node,
    NodeAddress, ObjectMeta, Pod, PodIp, Timestamp,
};
use ovs_egress::egress::selector::LabelSelector;
use ovs_egress::egress::state::{compute, ClusterState};

const NODES: u32 = 100;
const NAMESPACES: u32 = 50;
const POOLS: u32 = 10;
const EGRESSES: u32 = 1_000;
const PODS: u32 = 10_000;
const APPS: u32 = 1_200;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n)) as u32
    }
}

fn pod(i: u32, rng: &mut Rng) -> Pod {
    let mut p = Pod {
        metadata: ObjectMeta::named(format!("pod-{i}")),
        ..Pod::default()
    };
    p.metadata.namespace = Some(format!("ns-{}", rng.below(NAMESPACES)));
    p.metadata
        .labels
        .insert("app".into(), format!("app-{}", rng.below(APPS)));
    p.metadata.labels.insert("tier".into(), "web".into());
    p.spec.node_name = Some(format!("node-{}", rng.below(NODES)));
    p.status.pod_ips = vec![PodIp {
        ip: IpAddr::V4(Ipv4Addr::from(0x0af4_0000 + i)),
    }];
    p
}

fn egress(i: u32, rng: &mut Rng) -> Egress {
    let mut metadata = ObjectMeta::named(format!("egress-{i}"));
    metadata.creation_timestamp = Some(Timestamp::from_unix(1_600_000_000 + i64::from(i)));
    let applied_to = match i % 10 {
        // 10 %: whole namespaces.
        0 => AppliedTo {
            pod_selector: None,
            namespace_selector: Some(
                LabelSelector::from_labels([("team", format!("t{}", rng.below(10)).as_str())])
                    .unwrap(),
            ),
        },
        // 30 %: pods of an app in some namespaces.
        1..=3 => AppliedTo {
            pod_selector: Some(
                LabelSelector::from_labels([("app", format!("app-{}", rng.below(APPS)).as_str())])
                    .unwrap(),
            ),
            namespace_selector: Some(
                LabelSelector::from_labels([("team", format!("t{}", rng.below(10)).as_str())])
                    .unwrap(),
            ),
        },
        // 60 %: pods of an app cluster-wide.
        _ => AppliedTo {
            pod_selector: Some(
                LabelSelector::from_labels([("app", format!("app-{}", rng.below(APPS)).as_str())])
                    .unwrap(),
            ),
            namespace_selector: None,
        },
    };
    Egress {
        api_version: String::new(),
        kind: String::new(),
        metadata,
        spec: EgressSpec {
            applied_to,
            external_ip_pool: Some(format!("pool-{}", i % POOLS)),
            ..EgressSpec::default()
        },
        status: Default::default(),
    }
}

fn cluster() -> ClusterState {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut s = ClusterState::default();
    for i in 0..NODES {
        let mut n = Node {
            metadata: ObjectMeta::named(format!("node-{i}")),
            ..Node::default()
        };
        n.metadata
            .labels
            .insert("zone".into(), format!("z{}", i % 4));
        n.status.addresses = vec![NodeAddress {
            type_: "InternalIP".into(),
            address: IpAddr::V4(Ipv4Addr::new(192, 168, (i / 250) as u8, (i % 250) as u8)),
        }];
        s.alive.insert(n.metadata.name.clone());
        s.nodes.insert(n.metadata.name.clone(), n);
    }
    for i in 0..NAMESPACES {
        let mut ns = Namespace {
            metadata: ObjectMeta::named(format!("ns-{i}")),
        };
        ns.metadata
            .labels
            .insert("team".into(), format!("t{}", i % 10));
        s.namespaces.insert(ns.metadata.name.clone(), ns);
    }
    for p in 0..POOLS {
        let node_selector = if p % 2 == 0 {
            LabelSelector::everything()
        } else {
            LabelSelector::from_labels([("zone", format!("z{}", p % 4).as_str())]).unwrap()
        };
        let pool = ExternalIPPool {
            api_version: String::new(),
            kind: String::new(),
            metadata: ObjectMeta::named(format!("pool-{p}")),
            spec: ExternalIPPoolSpec {
                ip_ranges: vec![IpRange::Cidr(
                    format!("10.{}.0.0/20", 100 + p).parse().unwrap(),
                )],
                node_selector,
                subnet_info: None,
            },
            status: None,
        };
        s.pools.insert(pool.metadata.name.clone(), pool);
    }
    for i in 0..EGRESSES {
        let e = egress(i, &mut rng);
        s.egresses.insert(e.metadata.name.clone(), e);
    }
    for i in 0..PODS {
        let p = pod(i, &mut rng);
        s.pods.insert(p.key(), p);
    }
    s
}

fn bench(c: &mut Criterion) {
    let state = cluster();
    let full = compute(&state);
    eprintln!(
        "cluster: {} pods, {} Egresses, {} selected pods, {} owned IPs",
        state.pods.len(),
        state.egresses.len(),
        full.pod_egress.len(),
        full.plan.ips.values().filter(|o| o.owner.is_some()).count()
    );

    let mut g = c.benchmark_group("egress_state");
    g.sample_size(10);
    g.bench_function("full_compute_10k_pods_1k_egresses", |b| {
        b.iter(|| black_box(compute(black_box(&state))))
    });
    g.finish();

    let mut engine = Engine::new(state.clone());
    let mut rng = Rng(42);
    let mut next = PODS;
    c.bench_function("egress_state/incremental_pod_add", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let p = pod(next, &mut rng);
                next += 1;
                let key = p.key();
                let t = Instant::now();
                black_box(engine.upsert_pod(p));
                total += t.elapsed();
                engine.remove_pod(&key);
            }
            total
        })
    });

    let mut g = c.benchmark_group("egress_state_slow_paths");
    g.sample_size(10);
    let mut n = EGRESSES;
    g.bench_function("incremental_egress_add", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let e = egress(n, &mut rng);
                n += 1;
                let name = e.metadata.name.clone();
                let t = Instant::now();
                black_box(engine.upsert_egress(e));
                total += t.elapsed();
                engine.remove_egress(&name);
            }
            total
        })
    });
    g.bench_function("alive_set_change_one_node_down", |b| {
        let all: BTreeSet<String> = state.alive.clone();
        let mut less = all.clone();
        less.remove("node-7");
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            black_box(engine.set_alive(if flip { less.clone() } else { all.clone() }))
        })
    });
    g.bench_function("node_view", |b| {
        b.iter(|| black_box(engine.node_view("node-7")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
