//! Typed Open_vSwitch helpers against a real ovsdb-server + ovs-vswitchd (in a network
//! namespace the test creates), checked with `ovs-vsctl` as the oracle.

mod ovsdb_support;

use std::collections::BTreeMap;

use ovs_egress::ovsdb::client::ClientError;
use ovs_egress::ovsdb::vswitch::{
    BridgeSpec, FailMode, PortKind, PortSpec, TunnelKind, Vswitch, VswitchError,
};
use ovsdb_support::{NsSandbox, TIMEOUT};

fn br_int() -> BridgeSpec {
    let mut b = BridgeSpec::new("br-int");
    b.datapath_type = "netdev".into();
    b.protocols = vec!["OpenFlow13".into(), "OpenFlow15".into()];
    b.fail_mode = Some(FailMode::Secure);
    b.datapath_id = Some(0x0000_aabb_ccdd_eeff);
    b.external_ids = BTreeMap::from([("owner".into(), "ovs-egress".into())]);
    b.other_config = BTreeMap::from([("hwaddr".into(), "02:00:00:00:00:01".into())]);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridges_and_ports_look_right_in_ovs_vsctl() {
    let s = NsSandbox::start("vs");
    let vs = Vswitch::connect(&s.sb.db_target()).await.unwrap();

    // Bridge: created, then ensured again (idempotent, same row), then changed.
    let spec = br_int();
    let u1 = vs.ensure_bridge(&spec).await.unwrap();
    let u2 = vs.ensure_bridge(&spec).await.unwrap();
    assert_eq!(u1, u2);
    vs.sync(TIMEOUT).await.unwrap();
    assert_eq!(s.vsctl(&["list-br"]), "br-int\n");
    assert_eq!(s.get("Bridge", "br-int", "_uuid"), u1.to_string());
    assert_eq!(s.get("Bridge", "br-int", "datapath_type"), "netdev");
    assert_eq!(
        s.get("Bridge", "br-int", "protocols"),
        "[OpenFlow13, OpenFlow15]"
    );
    assert_eq!(s.get("Bridge", "br-int", "fail_mode"), "secure");
    assert_eq!(
        s.get("Bridge", "br-int", "other_config"),
        r#"{datapath-id="0000aabbccddeeff", hwaddr="02:00:00:00:00:01"}"#
    );
    assert_eq!(
        s.get("Bridge", "br-int", "external_ids"),
        r#"{owner=ovs-egress}"#
    );
    // ovs-vswitchd applied the pinned datapath id and the MAC.
    assert_eq!(
        s.get("Bridge", "br-int", "datapath_id"),
        r#""0000aabbccddeeff""#
    );
    // A key set by someone else survives an ensure; ours are updated.
    s.vsctl(&["set", "Bridge", "br-int", "external_ids:other=keep"]);
    let mut spec2 = spec.clone();
    spec2.external_ids.insert("owner".into(), "v2".into());
    spec2.protocols = vec!["OpenFlow15".into()];
    assert_eq!(vs.ensure_bridge(&spec2).await.unwrap(), u1);
    assert_eq!(
        s.get("Bridge", "br-int", "external_ids"),
        "{other=keep, owner=v2}"
    );
    assert_eq!(s.get("Bridge", "br-int", "protocols"), "[OpenFlow15]");

    let mut phy = BridgeSpec::new("br-phy");
    phy.datapath_type = "netdev".into();
    phy.fail_mode = Some(FailMode::Secure);
    vs.ensure_bridge(&phy).await.unwrap();

    // Ports: internal, patch pair, geneve tunnel, uplink (a veth inside the namespace).
    s.ns.exec(&[
        "ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p",
    ]);
    s.ns.exec(&["ip", "link", "set", "uplink0", "up"]);
    let pod = PortSpec::new("pod1", PortKind::Internal)
        .with_ofport(10)
        .with_external_id("pod-name", "web-0")
        .with_external_id("pod-namespace", "default");
    let tun = PortSpec::new(
        "tun0",
        PortKind::Tunnel {
            kind: TunnelKind::Geneve,
            extra: BTreeMap::new(),
        },
    )
    .with_ofport(1);
    let vx = PortSpec::new(
        "vxlan0",
        PortKind::Tunnel {
            kind: TunnelKind::Vxlan,
            extra: BTreeMap::from([("dst_port".into(), "4790".into())]),
        },
    );
    vs.ensure_ports("br-int", &[pod.clone(), tun.clone(), vx])
        .await
        .unwrap();
    vs.ensure_patch_pair("br-int", "patch-phy", "br-phy", "patch-int")
        .await
        .unwrap();
    vs.ensure_port(
        "br-phy",
        &PortSpec::new("uplink0", PortKind::System).with_ofport(2),
    )
    .await
    .unwrap();
    // Idempotent: the same specs again change nothing and keep the rows.
    let pod_uuid = vs.ensure_port("br-int", &pod).await.unwrap();
    assert_eq!(s.get("Port", "pod1", "_uuid"), pod_uuid.to_string());
    vs.sync(TIMEOUT).await.unwrap();

    assert_eq!(
        s.vsctl(&["list-ports", "br-int"]),
        "patch-phy\npod1\ntun0\nvxlan0\n"
    );
    assert_eq!(s.vsctl(&["list-ports", "br-phy"]), "patch-int\nuplink0\n");
    assert_eq!(s.get("Interface", "pod1", "type"), "internal");
    assert_eq!(
        s.get("Interface", "pod1", "external_ids"),
        "{pod-name=web-0, pod-namespace=default}"
    );
    assert_eq!(
        s.get("Port", "pod1", "external_ids"),
        "{pod-name=web-0, pod-namespace=default}"
    );
    assert_eq!(s.get("Interface", "tun0", "type"), "geneve");
    assert_eq!(
        s.get("Interface", "tun0", "options"),
        "{key=flow, remote_ip=flow}"
    );
    assert_eq!(s.get("Interface", "vxlan0", "type"), "vxlan");
    assert_eq!(
        s.get("Interface", "vxlan0", "options"),
        r#"{dst_port="4790", key=flow, remote_ip=flow}"#
    );
    assert_eq!(
        s.get("Interface", "patch-phy", "options"),
        "{peer=patch-int}"
    );
    assert_eq!(
        s.get("Interface", "patch-int", "options"),
        "{peer=patch-phy}"
    );
    assert_eq!(s.get("Interface", "uplink0", "type"), r#""""#);

    // ofports: the requested ones, and ours agree with ovs-vsctl.
    for (name, want) in [("pod1", Some(10)), ("tun0", Some(1)), ("uplink0", Some(2))] {
        let got = vs.wait_ofport(name, TIMEOUT).await.unwrap();
        assert_eq!(Some(got), want, "{name}");
        assert_eq!(s.get("Interface", name, "ofport"), got.to_string());
    }
    for name in ["vxlan0", "patch-phy", "patch-int"] {
        let got = vs.wait_ofport(name, TIMEOUT).await.unwrap();
        assert_eq!(s.get("Interface", name, "ofport"), got.to_string());
    }
    let show = s.vsctl(&["show"]);
    for line in [
        "Bridge br-int",
        "fail_mode: secure",
        "datapath_type: netdev",
        "Port pod1",
        "Interface tun0",
        "type: geneve",
        "options: {key=flow, remote_ip=flow}",
        "options: {peer=patch-int}",
        "Port uplink0",
    ] {
        assert!(show.contains(line), "{line:?} not in\n{show}");
    }

    // Delete: gone from OVS; a second delete reports false; wrong bridge is an error.
    assert!(vs.delete_port("br-int", "pod1").await.unwrap());
    assert!(!vs.delete_port("br-int", "pod1").await.unwrap());
    assert!(matches!(
        vs.delete_port("br-int", "uplink0").await,
        Err(VswitchError::PortOnOtherBridge { .. })
    ));
    vs.sync(TIMEOUT).await.unwrap();
    assert_eq!(
        s.vsctl(&["list-ports", "br-int"]),
        "patch-phy\ntun0\nvxlan0\n"
    );
    assert_eq!(
        s.vsctl(&["--bare", "--columns=name", "find", "Interface", "name=pod1"]),
        ""
    );

    // A port that vswitchd cannot open: ofport -1 and the error text.
    vs.ensure_port("br-phy", &PortSpec::new("nosuchdev", PortKind::System))
        .await
        .unwrap();
    match vs.wait_ofport("nosuchdev", TIMEOUT).await {
        Err(VswitchError::Interface { name, error }) => {
            assert_eq!(name, "nosuchdev");
            assert!(error.contains("nosuchdev"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    // Ports on a missing bridge.
    assert!(matches!(
        vs.ensure_port("br-none", &pod).await,
        Err(VswitchError::BridgeNotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ofport_request_names_the_operation_and_commits_nothing() {
    let s = NsSandbox::start("vsbad");
    let vs = Vswitch::connect(&s.sb.db_target()).await.unwrap();
    let mut b = BridgeSpec::new("br0");
    b.datapath_type = "netdev".into();
    vs.ensure_bridge(&b).await.unwrap();
    // ofport_request 0 is outside the schema's 1..65279: the Interface insert fails.
    let good = PortSpec::new("ok0", PortKind::Internal);
    let bad = PortSpec::new("bad0", PortKind::Internal).with_ofport(0);
    match vs.ensure_ports("br0", &[good, bad]).await {
        Err(VswitchError::Client(ClientError::Operation { index, op, error })) => {
            assert_eq!((index, op), (2, "insert"), "{error:?}");
            assert_eq!(error.error, "constraint violation", "{error:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.vsctl(&["list-ports", "br0"]), "");
    assert_eq!(
        s.vsctl(&["--bare", "--columns=name", "list", "Interface"]),
        "br0\n"
    );
}
