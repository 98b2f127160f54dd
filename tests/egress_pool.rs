//! IP pool rules (Antrea `docs/egress.md`): CIDR exclusions, inclusive start–end, allocation
//! order, static IPs, and the failure conditions.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ovs_egress::egress::model::{
    AppliedTo, Egress, EgressSpec, ExternalIPPool, ExternalIPPoolSpec, IpPoolUsage, IpRange,
    ObjectMeta, Timestamp,
};
use ovs_egress::egress::pool::{allocate, AllocationError, PoolAllocator, PoolError, PoolRanges};
use ovs_egress::egress::selector::LabelSelector;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cidr(s: &str) -> IpRange {
    IpRange::Cidr(s.parse().unwrap())
}

fn range(a: &str, b: &str) -> IpRange {
    IpRange::StartEnd {
        start: ip(a),
        end: ip(b),
    }
}

#[test]
fn range_sizes() {
    let table: &[(&str, Vec<IpRange>, u128)] = &[
        ("ipv4 /32 cidr is empty", vec![cidr("10.105.18.100/32")], 0),
        ("ipv4 /31 cidr is empty", vec![cidr("10.0.0.0/31")], 0),
        ("ipv4 /30 cidr", vec![cidr("10.0.0.0/30")], 2),
        ("ipv4 /28 cidr (doc: 14)", vec![cidr("10.10.1.0/28")], 14),
        ("host bits are masked", vec![cidr("10.10.1.5/28")], 14),
        (
            "start=end is one IP",
            vec![range("10.105.18.100", "10.105.18.100")],
            1,
        ),
        (
            "doc example pool",
            vec![range("10.10.0.2", "10.10.0.10"), cidr("10.10.1.0/28")],
            23,
        ),
        ("ipv6 /128 is empty", vec![cidr("fd00::1/128")], 0),
        ("ipv6 /127 keeps the last", vec![cidr("fd00::/127")], 1),
        ("ipv6 /64", vec![cidr("fd00::/64")], (1u128 << 64) - 1),
        ("ipv4 /0", vec![cidr("0.0.0.0/0")], (1u128 << 32) - 2),
        ("ipv6 /0", vec![cidr("::/0")], u128::MAX),
        (
            "mixed families",
            vec![cidr("10.0.0.0/30"), range("fd00::1", "fd00::3")],
            5,
        ),
    ];
    for (name, ranges, total) in table {
        assert_eq!(PoolRanges::new(ranges).unwrap().total(), *total, "{name}");
    }
}

#[test]
fn cidr_exclusions_on_contains() {
    let r = PoolRanges::new(&[cidr("10.0.0.0/30")]).unwrap();
    let got: Vec<bool> = ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1"]
        .iter()
        .map(|a| r.contains(ip(a)))
        .collect();
    assert_eq!(got, [false, true, true, false, false]);
    let r6 = PoolRanges::new(&[cidr("fd00::/126")]).unwrap();
    assert!(!r6.contains(ip("fd00::")));
    assert!(r6.contains(ip("fd00::3")), "IPv6 keeps the last address");
}

#[test]
fn malformed_ranges_are_typed_errors() {
    assert_eq!(
        PoolRanges::new(&[range("10.0.0.9", "10.0.0.2")]),
        Err(PoolError::StartAfterEnd {
            index: 0,
            start: ip("10.0.0.9"),
            end: ip("10.0.0.2")
        })
    );
    assert!(matches!(
        PoolRanges::new(&[range("10.0.0.1", "fd00::1")]),
        Err(PoolError::FamilyMismatch { index: 0, .. })
    ));
    assert_eq!(
        PoolRanges::new(&[cidr("10.0.0.0/24"), range("10.0.0.200", "10.0.1.5")]),
        Err(PoolError::Overlap { index: 1, other: 0 })
    );
    // Same numeric range in different families does not overlap.
    assert!(PoolRanges::new(&[cidr("0.0.0.0/30"), cidr("::/126")]).is_ok());
}

#[test]
fn huge_ranges_allocate_without_proportional_memory() {
    let r = PoolRanges::new(&[cidr("fd00::/64")]).unwrap();
    let mut a = PoolAllocator::new(&r);
    let reserved = Default::default();
    let got: Vec<IpAddr> = (0..3).map(|_| a.allocate(&reserved).unwrap()).collect();
    assert_eq!(got, [ip("fd00::1"), ip("fd00::2"), ip("fd00::3")]);
    // The top of ::/0 and of 0.0.0.0/0 do not overflow.
    let all6 = PoolRanges::new(&[range(
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    )])
    .unwrap();
    let mut a = PoolAllocator::new(&all6);
    assert!(a.allocate(&reserved).is_some());
    assert!(a.allocate(&reserved).is_some());
    assert_eq!(a.allocate(&reserved), None);
}

fn pool(name: &str, ranges: Vec<IpRange>) -> (String, ExternalIPPool) {
    (
        name.to_string(),
        ExternalIPPool {
            api_version: String::new(),
            kind: String::new(),
            metadata: ObjectMeta::named(name),
            spec: ExternalIPPoolSpec {
                ip_ranges: ranges,
                node_selector: LabelSelector::everything(),
                subnet_info: None,
            },
            status: None,
        },
    )
}

fn egress(name: &str, created: i64, pool: Option<&str>, egress_ip: Option<&str>) -> Egress {
    let mut metadata = ObjectMeta::named(name);
    metadata.creation_timestamp = Some(Timestamp::from_unix(created));
    Egress {
        api_version: String::new(),
        kind: String::new(),
        metadata,
        spec: EgressSpec {
            applied_to: AppliedTo::default(),
            egress_ip: egress_ip.map(ip),
            external_ip_pool: pool.map(str::to_string),
            ..EgressSpec::default()
        },
        status: Default::default(),
    }
}

#[test]
fn allocation_table() {
    let pools: BTreeMap<String, ExternalIPPool> = [
        pool("small", vec![range("10.0.0.1", "10.0.0.3")]),
        pool("slash32", vec![cidr("10.9.9.9/32")]),
        pool("bad", vec![range("10.1.0.9", "10.1.0.1")]),
    ]
    .into_iter()
    .collect();
    // Processing order = this order (creationTimestamp ascending).
    let egresses = [
        egress("auto-1", 1, Some("small"), None),
        egress("pinned", 2, Some("small"), Some("10.0.0.1")),
        egress("static", 3, None, Some("10.0.0.2")),
        egress("auto-2", 4, Some("small"), None),
        egress("dup", 5, Some("small"), Some("10.0.0.1")),
        egress("outside", 6, Some("small"), Some("10.0.0.9")),
        egress("auto-3", 7, Some("small"), None),
        egress("missing", 8, Some("nope"), None),
        egress("empty-pool", 9, Some("slash32"), None),
        egress("malformed", 10, Some("bad"), None),
    ];
    let refs: Vec<&Egress> = egresses.iter().collect();
    let a = allocate(&refs, &pools);
    let r = |n: &str| a.results[n].clone();
    // Pinned IPs are honoured before automatic ones; static IPs are never handed out.
    assert_eq!(r("pinned"), Ok(ip("10.0.0.1")));
    assert_eq!(r("static"), Ok(ip("10.0.0.2")));
    assert_eq!(r("auto-1"), Ok(ip("10.0.0.3")));
    assert_eq!(r("auto-2"), Err(AllocationError::Exhausted("small".into())));
    assert_eq!(r("auto-3"), Err(AllocationError::Exhausted("small".into())));
    assert_eq!(
        r("dup"),
        Err(AllocationError::AlreadyAllocated {
            ip: ip("10.0.0.1"),
            pool: "small".into(),
            holder: "pinned".into()
        })
    );
    assert_eq!(
        r("outside"),
        Err(AllocationError::OutsidePool {
            ip: ip("10.0.0.9"),
            pool: "small".into()
        })
    );
    assert_eq!(
        r("missing"),
        Err(AllocationError::PoolNotFound("nope".into()))
    );
    assert_eq!(
        r("empty-pool"),
        Err(AllocationError::Exhausted("slash32".into()))
    );
    assert!(matches!(
        r("malformed"),
        Err(AllocationError::PoolInvalid { .. })
    ));
    assert_eq!(a.usage["small"], IpPoolUsage { total: 3, used: 2 });
    assert_eq!(a.usage["slash32"], IpPoolUsage { total: 0, used: 0 });
    assert_eq!(
        r("malformed").unwrap_err().to_string(),
        "ExternalIPPool bad is invalid: spec.ipRanges[0]: start 10.1.0.9 is after end 10.1.0.1"
    );
}

#[test]
fn allocation_uses_ranges_in_spec_order() {
    let pools: BTreeMap<String, ExternalIPPool> = [pool(
        "p",
        vec![range("10.0.0.9", "10.0.0.9"), cidr("10.0.0.0/30")],
    )]
    .into_iter()
    .collect();
    let egresses: Vec<Egress> = (0..4)
        .map(|i| egress(&format!("e{i}"), i, Some("p"), None))
        .collect();
    let refs: Vec<&Egress> = egresses.iter().collect();
    let a = allocate(&refs, &pools);
    let got: Vec<_> = (0..4)
        .map(|i| a.results[&format!("e{i}")].clone())
        .collect();
    assert_eq!(
        got,
        [
            Ok(ip("10.0.0.9")),
            Ok(ip("10.0.0.1")),
            Ok(ip("10.0.0.2")),
            Err(AllocationError::Exhausted("p".into()))
        ]
    );
}
