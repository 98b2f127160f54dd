//! Node election: golden vectors from Antrea's own tests (real CRC32 ring, 50 replicas,
//! creationTimestamp order and per-node caps), so our agents pick the same owners as Antrea's.
//! Source of the vectors: antrea `pkg/agent/controller/egress/ip_scheduler_test.go`
//! (`TestSchedule`, `TestRun`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ovs_egress::egress::egress_id::{assign_ids, preferred_id, EgressId};
use ovs_egress::egress::election::{ElectionConfig, HashRing, Scheduler};
use ovs_egress::egress::model::{
    AppliedTo, Egress, EgressSpec, ExternalIPPool, ExternalIPPoolSpec, IpRange, Node, ObjectMeta,
    Timestamp, MAX_EGRESS_IPS_ANNOTATION,
};
use ovs_egress::egress::plan::plan_ips;
use ovs_egress::egress::selector::LabelSelector;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn egress(name: &str, created: i64, egress_ip: &str) -> Egress {
    let mut metadata = ObjectMeta::named(name);
    metadata.creation_timestamp = Some(Timestamp::from_unix(created));
    Egress {
        api_version: String::new(),
        kind: String::new(),
        metadata,
        spec: EgressSpec {
            applied_to: AppliedTo {
                pod_selector: Some(LabelSelector::everything()),
                namespace_selector: None,
            },
            egress_ip: Some(ip(egress_ip)),
            external_ip_pool: Some("pool1".into()),
            ..EgressSpec::default()
        },
        status: Default::default(),
    }
}

fn node(name: &str, cap: Option<u32>) -> Node {
    let mut n = Node {
        metadata: ObjectMeta::named(name),
        ..Node::default()
    };
    if let Some(cap) = cap {
        n.metadata
            .annotations
            .insert(MAX_EGRESS_IPS_ANNOTATION.into(), cap.to_string());
    }
    n
}

fn pool1() -> BTreeMap<String, ExternalIPPool> {
    let p = ExternalIPPool {
        api_version: String::new(),
        kind: String::new(),
        metadata: ObjectMeta::named("pool1"),
        spec: ExternalIPPoolSpec {
            ip_ranges: vec![IpRange::Cidr("1.1.1.0/24".parse().unwrap())],
            node_selector: LabelSelector::everything(),
            subnet_info: None,
        },
        status: None,
    };
    BTreeMap::from([("pool1".to_string(), p)])
}

/// Runs the plan and returns egress → owner ("" for none).
fn schedule(
    egresses: &[Egress],
    nodes: &[(&str, Option<u32>)],
    max_per_node: u32,
) -> BTreeMap<String, String> {
    let egresses: BTreeMap<String, Egress> = egresses
        .iter()
        .map(|e| (e.metadata.name.clone(), e.clone()))
        .collect();
    let node_objs: BTreeMap<String, Node> = nodes
        .iter()
        .map(|(n, cap)| (n.to_string(), node(n, *cap)))
        .collect();
    let alive: BTreeSet<String> = nodes.iter().map(|(n, _)| n.to_string()).collect();
    let config = ElectionConfig {
        max_egress_ips_per_node: max_per_node,
    };
    let plan = plan_ips(&egresses, &pool1(), &node_objs, &alive, config);
    plan.egresses
        .iter()
        .map(|(name, o)| (name.clone(), o.owner.clone().unwrap_or_default()))
        .collect()
}

fn abc() -> Vec<Egress> {
    vec![
        egress("egressA", 1, "1.1.1.1"),
        egress("egressB", 2, "1.1.1.11"),
        egress("egressC", 3, "1.1.1.21"),
    ]
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn antrea_test_schedule_vectors() {
    let three = [("node1", None), ("node2", None), ("node3", None)];
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, Option<u32>)>,
        u32,
        Vec<(&'a str, &'a str)>,
    );
    let table: Vec<Case> = vec![
        (
            "sufficient capacity",
            three.to_vec(),
            3,
            vec![
                ("egressA", "node1"),
                ("egressB", "node3"),
                ("egressC", "node1"),
            ],
        ),
        (
            "node specific limit",
            vec![("node1", Some(0)), ("node2", Some(2)), ("node3", Some(0))],
            3,
            vec![("egressA", "node2"), ("egressB", "node2"), ("egressC", "")],
        ),
        (
            "insufficient node capacity",
            three.to_vec(),
            1,
            vec![
                ("egressA", "node1"),
                ("egressB", "node3"),
                ("egressC", "node2"),
            ],
        ),
        (
            "insufficient cluster capacity",
            vec![("node1", None), ("node3", None)],
            1,
            vec![("egressA", "node1"), ("egressB", "node3"), ("egressC", "")],
        ),
    ];
    for (name, nodes, cap, want) in table {
        assert_eq!(schedule(&abc(), &nodes, cap), expect(&want), "{name}");
    }
}

#[test]
fn antrea_test_run_vectors() {
    let two = [("node1", None), ("node2", None)];
    let mut egresses = abc();
    assert_eq!(
        schedule(&egresses, &two, 2),
        expect(&[
            ("egressA", "node1"),
            ("egressB", "node2"),
            ("egressC", "node1")
        ])
    );
    // egressA's IP changes to 1.1.1.5: it moves to node2.
    egresses[0].spec.egress_ip = Some(ip("1.1.1.5"));
    assert_eq!(
        schedule(&egresses, &two, 2),
        expect(&[
            ("egressA", "node2"),
            ("egressB", "node2"),
            ("egressC", "node1")
        ])
    );
    // node2 leaves: the two oldest fit on node1, egressC has no node.
    assert_eq!(
        schedule(&egresses, &[("node1", None)], 2),
        expect(&[("egressA", "node1"), ("egressB", "node1"), ("egressC", "")])
    );
    // egressA deleted: egressC fits.
    egresses.remove(0);
    assert_eq!(
        schedule(&egresses, &[("node1", None)], 2),
        expect(&[("egressB", "node1"), ("egressC", "node1")])
    );
}

#[test]
fn ring_ignores_input_order_and_duplicates() {
    let a = HashRing::new(["n3", "n1", "n2", "n1"]);
    let b = HashRing::new(["n1", "n2", "n3"]);
    assert_eq!(a, b);
    assert_eq!(a.nodes(), ["n1", "n2", "n3"]);
    for i in 0..200u32 {
        let addr = IpAddr::from([10, 0, (i >> 8) as u8, i as u8]);
        assert_eq!(a.select(addr, |_| true), b.select(addr, |_| true));
    }
}

#[test]
fn ring_filter_tries_each_node_once_and_handles_ipv6() {
    let ring = HashRing::new(["a", "b", "c"]);
    let mut seen = Vec::new();
    let got = ring.select(ip("fd00::1"), |n| {
        seen.push(n.to_string());
        false
    });
    assert_eq!(got, None);
    seen.sort();
    assert_eq!(seen, ["a", "b", "c"]);
    assert!(ring.select(ip("fd00::1"), |_| true).is_some());
    assert_eq!(HashRing::new([]).select(ip("10.0.0.1"), |_| true), None);
}

#[test]
fn shared_ip_has_one_owner_and_counts_once() {
    let caps = BTreeMap::new();
    let mut s = Scheduler::new(
        &caps,
        ElectionConfig {
            max_egress_ips_per_node: 1,
        },
    );
    let ring = HashRing::new(["a"]);
    let first = s.place(ip("10.0.0.1"), &ring).unwrap();
    assert_eq!(s.place(ip("10.0.0.1"), &ring).unwrap(), first);
    assert!(s.place(ip("10.0.0.2"), &ring).is_err());
}

#[test]
fn egress_ids_ipv4_use_low_24_bits() {
    let table = [
        ("10.105.18.100", 0x691264),
        ("10.0.0.1", 1),
        ("192.168.255.255", 0xa8ffff),
        ("10.0.0.0", 0),
    ];
    for (addr, want) in table {
        assert_eq!(preferred_id(ip(addr)), want, "{addr}");
    }
}

#[test]
fn egress_id_collisions_resolve_oldest_first_and_stay_stable() {
    // 10.1.2.3 and 11.1.2.3 share the low 24 bits.
    let ids = assign_ids([
        (ip("11.1.2.3"), 2),
        (ip("10.1.2.3"), 1),
        (ip("10.0.0.0"), 3),
    ]);
    assert_eq!(ids[&ip("10.1.2.3")], EgressId::new(0x010203).unwrap());
    assert_eq!(ids[&ip("11.1.2.3")], EgressId::new(0x010204).unwrap());
    assert_eq!(ids[&ip("10.0.0.0")], EgressId::new(1).unwrap());
    // A newer colliding IP never takes an existing id.
    let before = assign_ids([(ip("10.1.2.3"), 1)]);
    let after = assign_ids([(ip("10.1.2.3"), 1), (ip("12.1.2.3"), 9)]);
    assert_eq!(before[&ip("10.1.2.3")], after[&ip("10.1.2.3")]);
    // IPv6 ids are in range and deterministic.
    let v6 = assign_ids([(ip("fd00::1"), 0), (ip("fd00::2"), 0)]);
    assert_ne!(v6[&ip("fd00::1")], v6[&ip("fd00::2")]);
    assert_eq!(v6, assign_ids([(ip("fd00::2"), 0), (ip("fd00::1"), 0)]));
}
