//! Loading Antrea / Kubernetes manifests into the egress model, and the error messages for
//! invalid ones (object kind + name + field path).
#![cfg(feature = "agent")]

use std::net::IpAddr;

use ovs_egress::egress::model::{load_yaml, IpRange, Object, Timestamp};
use ovs_egress::egress::selector::Operator;

const ANTREA_DOC_EXAMPLES: &str = r#"
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata:
  name: egress-prod-web
spec:
  appliedTo:
    namespaceSelector:
      matchLabels:
        env: prod
    podSelector:
      matchLabels:
        role: web
  egressIP: 10.10.0.8 # can be populated by Antrea after assigning an IP from the pool below
  externalIPPool: prod-external-ip-pool
status:
  egressNode: node01
---
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata:
  name: prod-external-ip-pool
spec:
  ipRanges:
  - start: 10.10.0.2
    end: 10.10.0.10
  - cidr: 10.10.1.0/28
  nodeSelector:
    matchLabels:
      network-role: egress-gateway
  subnetInfo: {gateway: 10.10.0.1, prefixLength: 24, vlan: 10}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata:
  name: egress-bw
spec:
  appliedTo:
    podSelector: {}
  egressIP: 10.10.0.8
  bandwidth:
    rate: 800M
    burst: 2G
"#;

#[test]
fn antrea_doc_examples_load_unchanged() {
    let loaded = load_yaml(ANTREA_DOC_EXAMPLES);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.objects.len(), 3);
    let Object::Egress(e) = &loaded.objects[0] else {
        panic!("not an Egress")
    };
    assert_eq!(e.metadata.name, "egress-prod-web");
    assert_eq!(
        e.spec.egress_ip,
        Some("10.10.0.8".parse::<IpAddr>().unwrap())
    );
    assert_eq!(
        e.spec.external_ip_pool.as_deref(),
        Some("prod-external-ip-pool")
    );
    assert_eq!(e.status.egress_node, "node01");
    let pod_sel = e.spec.applied_to.pod_selector.as_ref().unwrap();
    assert_eq!(
        pod_sel.match_labels().collect::<Vec<_>>(),
        [("role", "web")]
    );
    let Object::ExternalIPPool(p) = &loaded.objects[1] else {
        panic!("not a pool")
    };
    assert_eq!(p.spec.ip_ranges.len(), 2);
    assert!(matches!(p.spec.ip_ranges[1], IpRange::Cidr(_)));
    let subnet = p.spec.subnet_info.as_ref().unwrap();
    assert_eq!((subnet.prefix_length, subnet.vlan), (24, 10));
    let Object::Egress(bw) = &loaded.objects[2] else {
        panic!("not an Egress")
    };
    let bw = bw.spec.bandwidth.as_ref().unwrap();
    assert_eq!(bw.rate.value(), 800_000_000);
    assert_eq!(bw.burst.value(), 2_000_000_000);
}

/// Antrea v1.2 manifests (v1alpha2) as the seed used them.
#[test]
fn v1alpha2_manifests_load() {
    let text = r#"
apiVersion: crd.antrea.io/v1alpha2
kind: ExternalIPPool
metadata:
  name: snat-origin-pool
spec:
  ipRanges:
  - start: 10.105.18.100
    end: 10.105.18.100
  nodeSelector:
    matchLabels:
      network-role: snat-origin
---
apiVersion: crd.antrea.io/v1alpha2
kind: Egress
metadata:
  name: egress-antrea-test
  creationTimestamp: "2021-08-01T10:00:00Z"
spec:
  appliedTo:
    podSelector:
      matchLabels:
        app: antrea-test
  externalIPPool: snat-origin-pool
"#;
    let loaded = load_yaml(text);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let Object::Egress(e) = &loaded.objects[1] else {
        panic!()
    };
    assert_eq!(
        e.metadata.creation_timestamp,
        Some(Timestamp::parse("2021-08-01T10:00:00Z").unwrap())
    );
    assert_eq!(e.spec.egress_ip, None);
}

#[test]
fn core_objects_load_with_unknown_fields_ignored() {
    let text = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: prod
  labels: {app: antrea-test}
  uid: 1234
  resourceVersion: "77"
  managedFields: [{manager: kubectl}]
spec:
  nodeName: node-a
  containers: [{name: c, image: busybox}]
status:
  phase: Running
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}, {ip: "fd00::5"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: staging, labels: {role: staging}}
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {network-role: snat-origin}
  annotations: {node.antrea.io/max-egress-ips: "3"}
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24, "fd00:1::/64"]
status:
  addresses:
  - {type: Hostname, address: node-a}
  - {type: InternalIP, address: "fd00::a"}
  - {type: InternalIP, address: 192.168.1.10}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady}
"#;
    let loaded = load_yaml(text);
    // uid: 1234 is a number where a string is expected: precise error, other documents load.
    assert_eq!(loaded.objects.len(), 2, "{:?}", loaded.errors);
    assert_eq!(
        loaded
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["Pod web-1: metadata.uid: invalid type: integer `1234`, expected a string"]
    );
    let Object::Node(n) = &loaded.objects[1] else {
        panic!()
    };
    assert_eq!(n.internal_ip(), Some("192.168.1.10".parse().unwrap()));
    assert_eq!(n.pod_cidrs().len(), 2);
    assert!(n.is_ready());
    assert_eq!(n.max_egress_ips_annotation(), Some(3));

    let fixed = text.replace("uid: 1234", "uid: \"1234\"");
    let loaded = load_yaml(&fixed);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let Object::Pod(p) = &loaded.objects[0] else {
        panic!()
    };
    assert_eq!(p.key().to_string(), "prod/web-1");
    assert_eq!(p.ips().len(), 2);
    assert_eq!(p.spec.node_name.as_deref(), Some("node-a"));
}

#[test]
fn unknown_kinds_are_reported_and_others_still_load() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n{}\n";
    let loaded = load_yaml(text);
    assert_eq!(loaded.objects.len(), 1);
    let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "document 1: Service svc: unknown kind \"Service\" (expected Pod, Namespace, Node, Egress or ExternalIPPool)",
            "document 4: not a Kubernetes object (no kind)",
        ]
    );
}

#[test]
fn kubectl_list_is_expanded() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n";
    let loaded = load_yaml(text);
    assert!(loaded.errors.is_empty());
    assert_eq!(loaded.objects.len(), 2);
}

#[test]
fn selectors_parse_with_expressions() {
    let text = r#"
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: e}
spec:
  appliedTo:
    podSelector:
      matchExpressions:
      - {key: app, operator: In, values: [a, b]}
      - {key: tier, operator: DoesNotExist}
  egressIP: "fd00::10"
"#;
    let loaded = load_yaml(text);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let Object::Egress(e) = &loaded.objects[0] else {
        panic!()
    };
    let sel = e.spec.applied_to.pod_selector.as_ref().unwrap();
    let ops: Vec<Operator> = sel
        .match_expressions()
        .iter()
        .map(|r| r.operator())
        .collect();
    assert_eq!(ops, [Operator::In, Operator::DoesNotExist]);
}

const EGRESS_HEAD: &str =
    "apiVersion: crd.antrea.io/v1beta1\nkind: Egress\nmetadata: {name: egress-a}\n";
const POOL_HEAD: &str =
    "apiVersion: crd.antrea.io/v1beta1\nkind: ExternalIPPool\nmetadata: {name: pool-a}\n";

/// (document, exact error).
const INVALID: &[(&str, &str)] = &[
    (
        "spec: {appliedTo: {podSelector: {}}, egressIP: 10.0.0.300}",
        r#"Egress egress-a: spec.egressIP: "10.0.0.300" is not an IP address"#,
    ),
    (
        "spec: {appliedTo: {podSelector: {}}, egresIP: 10.0.0.3}",
        "Egress egress-a: spec.egresIP: unknown field `egresIP`, expected one of `appliedTo`, `egressIP`, `egressIPs`, `externalIPPool`, `externalIPPools`, `bandwidth`",
    ),
    (
        "spec: {egressIP: 10.0.0.3}",
        "Egress egress-a: spec: missing field `appliedTo`",
    ),
    (
        "spec: {appliedTo: {podSelector: {}}}",
        "Egress egress-a: spec: one of egressIP or externalIPPool is required",
    ),
    (
        "spec: {appliedTo: {podSelector: {matchExpressions: [{key: app, operator: Foo, values: [x]}]}}, egressIP: 10.0.0.3}",
        r#"Egress egress-a: spec.appliedTo.podSelector.matchExpressions[0].operator: unknown operator "Foo" (expected In, NotIn, Exists or DoesNotExist)"#,
    ),
    (
        "spec: {appliedTo: {podSelector: {matchExpressions: [{key: app, operator: In}]}}, egressIP: 10.0.0.3}",
        "Egress egress-a: spec.appliedTo.podSelector.matchExpressions[0]: operator In requires at least one value",
    ),
    (
        "spec: {appliedTo: {podSelector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}}, egressIP: 10.0.0.3}",
        "Egress egress-a: spec.appliedTo.podSelector.matchExpressions[0]: operator Exists takes no values",
    ),
    (
        "spec: {appliedTo: {podSelector: {matchLabels: {app: \"-bad\"}}}, egressIP: 10.0.0.3}",
        r#"Egress egress-a: spec.appliedTo.podSelector.matchLabels.app: "-bad" is not a valid label value: must begin and end with an alphanumeric character"#,
    ),
    (
        "spec: {appliedTo: {serviceAccount: {name: x}}, egressIP: 10.0.0.3}",
        "Egress egress-a: spec.appliedTo.serviceAccount: unknown field `serviceAccount`, expected `podSelector` or `namespaceSelector`",
    ),
    (
        "spec: {appliedTo: {podSelector: {}}, egressIP: 10.0.0.3, bandwidth: {rate: 10Q, burst: 1M}}",
        r#"Egress egress-a: spec.bandwidth.rate: "10Q" is not a quantity (expected e.g. 300k, 100M, 2G, 1Gi)"#,
    ),
    (
        "spec: {appliedTo: {podSelector: {}}, egressIP: 10.0.0.3, bandwidth: {rate: 10M}}",
        "Egress egress-a: spec.bandwidth: missing field `burst`",
    ),
];

const INVALID_POOLS: &[(&str, &str)] = &[
    (
        "spec: {ipRanges: [{cidr: 10.0.0.0/33}], nodeSelector: {}}",
        r#"ExternalIPPool pool-a: spec.ipRanges[0].cidr: "10.0.0.0/33" is not a CIDR"#,
    ),
    (
        "spec: {ipRanges: [{start: 10.0.0.9, end: 10.0.0.2}], nodeSelector: {}}",
        "ExternalIPPool pool-a: spec.ipRanges[0]: start 10.0.0.9 is after end 10.0.0.2",
    ),
    (
        "spec: {ipRanges: [{start: 10.0.0.1, end: \"fd00::1\"}], nodeSelector: {}}",
        "ExternalIPPool pool-a: spec.ipRanges[0]: start 10.0.0.1 and end fd00::1 are not the same IP family",
    ),
    (
        "spec: {ipRanges: [{cidr: 10.0.0.0/24, start: 10.0.0.1, end: 10.0.0.2}], nodeSelector: {}}",
        "ExternalIPPool pool-a: spec.ipRanges[0]: set either cidr or start and end, not both",
    ),
    (
        "spec: {ipRanges: [{start: 10.0.0.1}], nodeSelector: {}}",
        "ExternalIPPool pool-a: spec.ipRanges[0]: start without end",
    ),
    (
        "spec: {ipRanges: [{cidr: 10.0.0.0/28}, {start: 10.0.0.5, end: 10.0.0.20}], nodeSelector: {}}",
        "ExternalIPPool pool-a: spec.ipRanges[1]: overlaps spec.ipRanges[0]",
    ),
    (
        "spec: {ipRanges: [{cidr: 10.0.0.0/28}]}",
        "ExternalIPPool pool-a: spec: missing field `nodeSelector`",
    ),
    (
        "spec: {ipRanges: [{cidr: 10.0.0.0/28}], nodeSelector: {}, subnetInfo: {gateway: 10.0.0.1, prefixLength: 24, vlan: 4095}}",
        "ExternalIPPool pool-a: spec.subnetInfo.vlan: 4095 is not in 0..=4094",
    ),
    (
        "spec: {ipRanges: [{cidr: 10.0.0.0/28}], nodeSelector: {}, subnetInfo: {gateway: 10.0.0.1, prefixLength: 40}}",
        "ExternalIPPool pool-a: spec.subnetInfo.prefixLength: 40 is too long for gateway 10.0.0.1 (at most 32)",
    ),
];

#[test]
fn invalid_documents_name_object_and_field() {
    let cases = INVALID
        .iter()
        .map(|(body, want)| (format!("{EGRESS_HEAD}{body}\n"), *want))
        .chain(
            INVALID_POOLS
                .iter()
                .map(|(body, want)| (format!("{POOL_HEAD}{body}\n"), *want)),
        );
    for (doc, want) in cases {
        let loaded = load_yaml(&doc);
        assert!(loaded.objects.is_empty(), "{doc} loaded");
        let got: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(got, [want], "document:\n{doc}");
    }
}

#[test]
fn api_versions_are_checked() {
    let doc = "apiVersion: crd.antrea.io/v1alpha1\nkind: Egress\nmetadata: {name: e}\nspec: {appliedTo: {podSelector: {}}, egressIP: 10.0.0.1}\n";
    let loaded = load_yaml(doc);
    assert_eq!(
        loaded.errors[0].to_string(),
        "Egress e: apiVersion \"crd.antrea.io/v1alpha1\" is not supported"
    );
}

#[test]
fn yaml_syntax_errors_keep_earlier_documents() {
    let doc = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [unclosed\n";
    let loaded = load_yaml(doc);
    assert_eq!(loaded.objects.len(), 1);
    assert!(
        loaded.errors[0].to_string().starts_with("document 2: "),
        "{}",
        loaded.errors[0]
    );
}

#[test]
fn plural_fields_are_accepted_but_unsupported() {
    let doc = format!("{EGRESS_HEAD}spec: {{appliedTo: {{podSelector: {{}}}}, egressIPs: [10.0.0.1, \"fd00::1\"], externalIPPools: [a, b]}}\n");
    let loaded = load_yaml(&doc);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let Object::Egress(e) = &loaded.objects[0] else {
        panic!()
    };
    assert_eq!(
        e.spec.unsupported(),
        Some("spec.egressIPs is not supported yet")
    );
}

#[test]
fn round_trip_through_json_is_stable() {
    let loaded = load_yaml(ANTREA_DOC_EXAMPLES);
    for obj in &loaded.objects {
        let json = match obj {
            Object::Egress(e) => serde_json::to_value(e).unwrap(),
            Object::ExternalIPPool(p) => serde_json::to_value(p).unwrap(),
            _ => unreachable!(),
        };
        let again = ovs_egress::egress::model::load_values([json]);
        assert!(again.errors.is_empty(), "{:?}", again.errors);
        assert_eq!(&again.objects[0], obj);
    }
}

#[test]
fn timestamps_order_by_instant() {
    let table = [
        ("2021-08-01T10:00:00Z", 1_627_812_000),
        ("2021-08-01T12:00:00+02:00", 1_627_812_000),
        ("1970-01-01T00:00:00Z", 0),
        ("2000-02-29T23:59:59.5Z", 951_868_799),
    ];
    for (text, secs) in table {
        assert_eq!(Timestamp::parse(text).unwrap().unix_secs(), secs, "{text}");
    }
    for bad in [
        "2021-02-29T00:00:00Z",
        "2021-08-01",
        "2021-08-01T10:00:00",
        "x",
    ] {
        assert!(Timestamp::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Timestamp::parse("2021-08-01T12:00:00+02:00")
            .unwrap()
            .to_string(),
        "2021-08-01T10:00:00Z"
    );
}

#[test]
fn quantities() {
    use ovs_egress::egress::model::Quantity;
    let table = [
        ("300k", 300_000),
        ("100M", 100_000_000),
        ("2G", 2_000_000_000),
        ("1Gi", 1 << 30),
        ("1.5k", 1500),
        ("1e3", 1000),
        ("500m", 1),
        ("0", 0),
    ];
    for (text, v) in table {
        assert_eq!(Quantity::parse(text).unwrap().value(), v, "{text}");
    }
    for bad in ["", "k", "1.2.3", "-5M", "10Q", "1e99"] {
        assert!(Quantity::parse(bad).is_err(), "{bad}");
    }
}
