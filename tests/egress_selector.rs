//! Label selector semantics (Kubernetes `LabelSelectorAsSelector`) and Egress appliedTo rules.

use ovs_egress::egress::binding::applied_to_selects;
use ovs_egress::egress::model::{AppliedTo, Labels, ObjectMeta, Pod};
use ovs_egress::egress::selector::{
    matches_optional, LabelKey, LabelSelector, LabelValue, Operator, Requirement, SelectorError,
};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn req(key: &str, op: Operator, values: &[&str]) -> Requirement {
    Requirement::new(
        LabelKey::new(key).unwrap(),
        op,
        values
            .iter()
            .map(|v| LabelValue::new(*v).unwrap())
            .collect(),
    )
    .unwrap()
}

#[test]
fn selector_semantics_table() {
    use Operator::*;
    let web = labels(&[("app", "web"), ("tier", "front")]);
    let db = labels(&[("app", "db")]);
    let none = labels(&[]);
    let cases: Vec<(&str, LabelSelector, [bool; 3])> = vec![
        (
            "empty selects all",
            LabelSelector::everything(),
            [true, true, true],
        ),
        (
            "matchLabels",
            LabelSelector::from_labels([("app", "web")]).unwrap(),
            [true, false, false],
        ),
        (
            "matchLabels AND",
            LabelSelector::from_labels([("app", "web"), ("tier", "back")]).unwrap(),
            [false, false, false],
        ),
        (
            "In",
            LabelSelector::new([], vec![req("app", In, &["web", "db"])]).unwrap(),
            [true, true, false],
        ),
        (
            "NotIn matches missing key",
            LabelSelector::new([], vec![req("app", NotIn, &["web"])]).unwrap(),
            [false, true, true],
        ),
        (
            "Exists",
            LabelSelector::new([], vec![req("tier", Exists, &[])]).unwrap(),
            [true, false, false],
        ),
        (
            "DoesNotExist",
            LabelSelector::new([], vec![req("tier", DoesNotExist, &[])]).unwrap(),
            [false, true, true],
        ),
        (
            "labels and expressions",
            LabelSelector::new([("app", "web")], vec![req("tier", In, &["front"])]).unwrap(),
            [true, false, false],
        ),
    ];
    for (name, sel, want) in cases {
        let got = [sel.matches(&web), sel.matches(&db), sel.matches(&none)];
        assert_eq!(got, want, "{name}");
    }
    assert!(
        !matches_optional(None, &web),
        "null selector selects nothing"
    );
    assert!(matches_optional(Some(&LabelSelector::everything()), &none));
}

#[test]
fn invalid_requirements_are_typed_errors() {
    let key = || LabelKey::new("app").unwrap();
    let v = || vec![LabelValue::new("x").unwrap()];
    assert_eq!(
        Requirement::new(key(), Operator::In, vec![]),
        Err(SelectorError::ValuesRequired(Operator::In))
    );
    assert_eq!(
        Requirement::new(key(), Operator::NotIn, vec![]),
        Err(SelectorError::ValuesRequired(Operator::NotIn))
    );
    assert_eq!(
        Requirement::new(key(), Operator::Exists, v()),
        Err(SelectorError::ValuesForbidden(Operator::Exists))
    );
    assert_eq!(
        Requirement::new(key(), Operator::DoesNotExist, v()),
        Err(SelectorError::ValuesForbidden(Operator::DoesNotExist))
    );
    assert_eq!(
        "Equals".parse::<Operator>(),
        Err(SelectorError::UnknownOperator("Equals".into()))
    );
}

#[test]
fn label_syntax() {
    for good in [
        "app",
        "app.kubernetes.io/name",
        "a",
        "A_b-c.d",
        "example.com/x",
    ] {
        assert!(LabelKey::new(good).is_ok(), "{good}");
    }
    for bad in ["", "-a", "a-", "/a", "Ex.com/a", "a/b/c", &"x".repeat(64)] {
        assert!(
            matches!(LabelKey::new(bad), Err(SelectorError::InvalidKey { .. })),
            "{bad}"
        );
    }
    for good in ["", "v1", "a.b_c-d"] {
        assert!(LabelValue::new(good).is_ok(), "{good:?}");
    }
    for bad in ["-v", "v v", &"x".repeat(64)] {
        assert!(
            matches!(
                LabelValue::new(bad),
                Err(SelectorError::InvalidValue { .. })
            ),
            "{bad}"
        );
    }
}

fn pod(pod_labels: &[(&str, &str)], host_network: bool) -> Pod {
    let mut p = Pod {
        metadata: ObjectMeta::named("p"),
        ..Pod::default()
    };
    p.metadata.labels = labels(pod_labels);
    p.spec.host_network = host_network;
    p
}

#[test]
fn applied_to_rules() {
    let app = || Some(LabelSelector::from_labels([("app", "staging")]).unwrap());
    let role = || Some(LabelSelector::from_labels([("role", "staging")]).unwrap());
    let staging_ns = labels(&[("role", "staging")]);
    let prod_ns = labels(&[("role", "prod")]);
    let p = pod(&[("app", "staging")], false);
    let other = pod(&[("app", "x")], false);
    let cases = [
        (
            "neither selects nothing",
            None,
            None,
            &p,
            Some(&staging_ns),
            false,
        ),
        (
            "pod only: cluster-wide",
            app(),
            None,
            &p,
            Some(&prod_ns),
            true,
        ),
        (
            "pod only: label mismatch",
            app(),
            None,
            &other,
            Some(&staging_ns),
            false,
        ),
        (
            "ns only: all pods of ns",
            None,
            role(),
            &other,
            Some(&staging_ns),
            true,
        ),
        (
            "ns only: other ns",
            None,
            role(),
            &other,
            Some(&prod_ns),
            false,
        ),
        ("ns only: unknown ns", None, role(), &other, None, false),
        (
            "both: intersection",
            app(),
            role(),
            &p,
            Some(&staging_ns),
            true,
        ),
        ("both: wrong ns", app(), role(), &p, Some(&prod_ns), false),
        (
            "both: wrong pod",
            app(),
            role(),
            &other,
            Some(&staging_ns),
            false,
        ),
    ];
    for (name, pod_selector, namespace_selector, pod, ns, want) in cases {
        let at = AppliedTo {
            pod_selector,
            namespace_selector,
        };
        assert_eq!(applied_to_selects(&at, pod, ns), want, "{name}");
    }
    let host = pod(&[("app", "staging")], true);
    let at = AppliedTo {
        pod_selector: app(),
        namespace_selector: None,
    };
    assert!(
        !applied_to_selects(&at, &host, None),
        "host-network pods are never selected"
    );
}
