//! Pipeline cost for one node (issue 5 goal: full ≤ 1 s, incremental pod add ≤ 100 µs).
//!
//! Worst case for one node: a 100-node cluster whose 10,000 pods all run on the measured node
//! (`node-0`) and are all selected by one of 1,000 Egresses (10 pods each, 10 pools, IPs spread
//! over the nodes by the election). Measured:
//! - `full/node_view`: the egress domain's view of the node (from a built engine);
//! - `full/compute`: a fresh pipeline (`NodePipeline::build`, agent start): static flows, 99
//!   peers, the view, 10,000 pods; `full/compute_incrementally`: the same through the
//!   incremental operations, each reporting its flow changes;
//! - `full/diff`: the reconciler's diff against an installed dump of the same size in which 1 %
//!   of the flows differ and 1 % are stale;
//! - `incremental/pod_add`: one new selected pod (its egress view, then its port appears) and
//!   the change set;
//! - `incremental/pod_add_with_engine`: the same including the engine update and the one-pod
//!   view.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

use ovs_egress::egress::engine::Engine;
use ovs_egress::egress::model::core::NodeSpec;
use ovs_egress::egress::model::{
    AppliedTo, Egress, EgressSpec, ExternalIPPool, ExternalIPPoolSpec, IpRange, Node, NodeAddress,
    ObjectMeta, Pod, PodIp, PodKey, Timestamp,
};
use ovs_egress::egress::pipeline::{Bridge, LocalPod, Mac, NodeConfig, NodePipeline, PeerNode};
use ovs_egress::egress::reconcile::{self, Stale};
use ovs_egress::egress::selector::LabelSelector;
use ovs_egress::egress::state::{node_view, ClusterState};
use ovs_egress::ofproto::codec::{FlowStats, Instruction, PortNo};

const NODES: u32 = 100;
const POOLS: u32 = 10;
const EGRESSES: u32 = 1_000;
const PODS: u32 = 10_000;
const NODE: &str = "node-0";

fn node_ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        192,
        168,
        (i / 250) as u8,
        (i % 250) as u8 + 1,
    ))
}

fn pod_ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i + 2))
}

fn pod(i: u32) -> Pod {
    let mut p = Pod {
        metadata: ObjectMeta::named(format!("pod-{i}")),
        ..Pod::default()
    };
    p.metadata.namespace = Some("default".into());
    p.metadata
        .labels
        .insert("app".into(), format!("app-{}", i % EGRESSES));
    p.spec.node_name = Some(NODE.into());
    p.status.pod_ips = vec![PodIp { ip: pod_ip(i) }];
    p
}

fn local(i: u32) -> LocalPod {
    let ip = pod_ip(i);
    let IpAddr::V4(a) = ip else { unreachable!() };
    let [_, b, c, d] = a.octets();
    LocalPod {
        key: PodKey::new("default", format!("pod-{i}")),
        ofport: PortNo(10 + i as u16),
        mac: Mac([2, 0, 10, b, c, d]),
        ips: vec![ip],
    }
}

fn cluster() -> ClusterState {
    let mut s = ClusterState::default();
    for i in 0..NODES {
        let mut n = Node {
            metadata: ObjectMeta::named(format!("node-{i}")),
            spec: NodeSpec {
                pod_cidr: Some(format!("10.{}.0.0/16", 100 + i).parse().unwrap()),
                ..NodeSpec::default()
            },
            ..Node::default()
        };
        n.metadata
            .labels
            .insert("zone".into(), format!("z{}", i % 4));
        n.status.addresses = vec![NodeAddress {
            type_: "InternalIP".into(),
            address: node_ip(i),
        }];
        s.alive.insert(n.metadata.name.clone());
        s.nodes.insert(n.metadata.name.clone(), n);
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
                    format!("172.{}.0.0/20", 16 + p).parse().unwrap(),
                )],
                node_selector,
                subnet_info: None,
            },
            status: None,
        };
        s.pools.insert(pool.metadata.name.clone(), pool);
    }
    for i in 0..EGRESSES {
        let mut metadata = ObjectMeta::named(format!("egress-{i}"));
        metadata.creation_timestamp = Some(Timestamp::from_unix(1_600_000_000 + i64::from(i)));
        let e = Egress {
            api_version: String::new(),
            kind: String::new(),
            metadata,
            spec: EgressSpec {
                applied_to: AppliedTo {
                    pod_selector: Some(
                        LabelSelector::from_labels([("app", format!("app-{i}").as_str())]).unwrap(),
                    ),
                    namespace_selector: None,
                },
                external_ip_pool: Some(format!("pool-{}", i % POOLS)),
                ..EgressSpec::default()
            },
            status: Default::default(),
        };
        s.egresses.insert(e.metadata.name.clone(), e);
    }
    for i in 0..PODS {
        let p = pod(i);
        s.pods.insert(p.key(), p);
    }
    s
}

fn config() -> NodeConfig {
    NodeConfig::new(
        NODE,
        node_ip(0),
        Mac([2, 0, 192, 168, 0, 1]),
        Mac([2, 0, 192, 168, 0, 254]),
        vec!["10.100.0.0/16".parse().unwrap()],
    )
}

fn peers(state: &ClusterState) -> Vec<PeerNode> {
    state
        .nodes
        .values()
        .filter(|n| n.name() != NODE)
        .filter_map(PeerNode::from_node)
        .collect()
}

fn build(view: &ovs_egress::egress::state::NodeView, peers: &[PeerNode]) -> NodePipeline {
    let pods = (0..PODS).map(local);
    let (p, errors) = NodePipeline::build(config(), 1, peers.iter().cloned(), pods, view).unwrap();
    assert!(errors.is_empty());
    p
}

/// The same state reached through the incremental operations (what a long-running agent does).
fn build_incrementally(
    view: &ovs_egress::egress::state::NodeView,
    peers: &[PeerNode],
) -> NodePipeline {
    let mut p = NodePipeline::new(config(), 1).unwrap();
    for peer in peers {
        p.upsert_peer(peer.clone());
    }
    p.apply_view(view);
    for i in 0..PODS {
        p.upsert_pod(local(i)).unwrap();
    }
    p
}

/// An installed dump: the desired flows with 1 % changed (instructions) and 1 % stale extras.
fn installed(p: &NodePipeline, bridge: Bridge) -> Vec<FlowStats> {
    let mut out: Vec<FlowStats> = Vec::new();
    for (i, (k, e)) in p.desired().iter(bridge).enumerate() {
        let mut s = FlowStats {
            table_id: k.table,
            priority: k.priority,
            cookie: e.cookie,
            match_: k.match_.clone(),
            instructions: e.instructions.clone(),
            ..FlowStats::default()
        };
        if i % 100 == 0 {
            s.instructions = vec![Instruction::GotoTable(6)];
        }
        if i % 100 == 1 {
            let mut stale = s.clone();
            stale.priority = 7;
            out.push(stale);
        }
        out.push(s);
    }
    out
}

fn bench(c: &mut Criterion) {
    let state = cluster();
    let engine = Engine::new(state.clone());
    let view = engine.node_view(NODE);
    let peers = peers(&state);
    let full = build(&view, &peers);
    let (n_int, n_phy) = (
        full.desired().len(Bridge::Int),
        full.desired().len(Bridge::Phy),
    );
    eprintln!(
        "node-0: {} selected pods, {} owned IPs, {} peers; {} br-int + {} br-phy flows",
        view.pods.len(),
        view.owned_ips.len(),
        peers.len(),
        n_int,
        n_phy
    );
    let (inst_int, inst_phy) = (installed(&full, Bridge::Int), installed(&full, Bridge::Phy));
    let set = reconcile::diff_all(full.desired(), &inst_int, &inst_phy, Stale::Delete);
    eprintln!("diff against the perturbed dump: {} flow-mods", set.len());

    let mut g = c.benchmark_group("pipeline/full");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("node_view", |b| {
        b.iter(|| black_box(engine.node_view(NODE)))
    });
    // Deallocation of the result is not part of the computation (iter_with_large_drop).
    g.bench_function("compute_10k_pods_1k_egresses", |b| {
        b.iter_with_large_drop(|| build(black_box(&view), &peers))
    });
    g.bench_function("compute_and_free_10k_pods_1k_egresses", |b| {
        b.iter(|| build(black_box(&view), &peers))
    });
    g.bench_function("compute_incrementally_10k_pods_1k_egresses", |b| {
        b.iter_with_large_drop(|| build_incrementally(black_box(&view), &peers))
    });
    g.bench_function("diff_60k_flows", |b| {
        b.iter(|| {
            black_box(reconcile::diff_all(
                full.desired(),
                &inst_int,
                &inst_phy,
                Stale::Delete,
            ))
        })
    });
    g.finish();

    let mut p = full.clone();
    let mut next = PODS;
    c.bench_function("pipeline/incremental/pod_add", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let i = next;
                next += 1;
                let pe = view.pods[(i % PODS) as usize].clone();
                let pod = LocalPod {
                    ofport: PortNo(20_000 + (i % 30_000) as u16),
                    ..local(i)
                };
                let key = pod.key.clone();
                let t = Instant::now();
                let mut changes = p.set_pod_egress(&key, Some(&pe));
                changes.extend(p.upsert_pod(pod).unwrap());
                let set = reconcile::from_changes(&changes);
                total += t.elapsed();
                black_box(set);
                p.remove_pod(&key);
                p.set_pod_egress(&key, None);
            }
            total
        })
    });

    let mut engine = engine;
    let mut p = full;
    c.bench_function("pipeline/incremental/pod_add_with_engine", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let i = next;
                next += 1;
                let k8s = pod(i);
                let key = k8s.key();
                let port = LocalPod {
                    ofport: PortNo(20_000 + (i % 30_000) as u16),
                    ..local(i)
                };
                let t = Instant::now();
                let change = engine.upsert_pod(k8s);
                let mut changes = Vec::new();
                for key in &change.pods {
                    let one = BTreeSet::from([key.clone()]);
                    let v = node_view(
                        engine.state(),
                        engine.plan(),
                        &engine.computed().pod_egress,
                        NODE,
                        one.iter(),
                    );
                    changes.extend(p.set_pod_egress(key, v.pods.first()));
                }
                changes.extend(p.upsert_pod(port).unwrap());
                let set = reconcile::from_changes(&changes);
                total += t.elapsed();
                black_box(set);
                p.remove_pod(&key);
                p.set_pod_egress(&key, None);
                engine.remove_pod(&key);
            }
            total
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
