//! The live Interface view against real OVS: ports added, changed and removed with `ovs-vsctl`
//! arrive as typed events; an ovsdb-server restart (with changes made while it was down) is
//! followed by a resync whose events bring the view back in line with the database.

mod ovsdb_support;

use std::collections::BTreeSet;
use std::process::Command;

use ovs_egress::ovsdb::client::{Client, ClientOptions};
use ovs_egress::ovsdb::vswitch::{InterfaceEvent, InterfaceWatch, PodRef, Vswitch};
use ovs_egress::sandbox::run;
use ovsdb_support::{wait_event, NsSandbox, TIMEOUT};

fn pod(ns: &str, name: &str) -> Option<PodRef> {
    Some(PodRef {
        namespace: ns.into(),
        name: name.into(),
    })
}

fn add_pod_port(s: &NsSandbox, port: &str, pod_name: &str, ip: &str) {
    s.vsctl(&[
        "add-port",
        "br0",
        port,
        "--",
        "set",
        "interface",
        port,
        "type=internal",
        &format!("external_ids:pod-name={pod_name}"),
        "external_ids:pod-namespace=default",
        &format!("external_ids:ip-address={ip}"),
        "external_ids:attached-mac=02:00:00:00:00:05",
        "external_ids:antrea-type=container",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vsctl_changes_become_add_change_remove_events() {
    let s = NsSandbox::start("ifv");
    s.sb.add_bridge("br0").unwrap();
    let vs = Vswitch::connect(&s.sb.db_target()).await.unwrap();
    let (mut watch, initial) = InterfaceWatch::open(&vs).await.unwrap();
    let names: Vec<&str> = initial
        .iter()
        .map(|e| e.interface().name.as_str())
        .collect();
    assert_eq!(names, ["br0"]);
    assert!(matches!(initial[0], InterfaceEvent::Added(_)));

    add_pod_port(&s, "p1", "web-0", "10.10.0.5,fd00::5");
    let ev = wait_event(
        &mut watch,
        "add of p1",
        |e| matches!(e, InterfaceEvent::Added(i) if i.name == "p1"),
    )
    .await;
    let added = ev.interface().clone();
    assert_eq!(added.pod(), pod("default", "web-0"));
    assert_eq!(
        added.ip_addresses(),
        vec![
            "10.10.0.5".parse::<std::net::IpAddr>().unwrap(),
            "fd00::5".parse().unwrap()
        ]
    );
    assert_eq!(added.attached_mac(), Some("02:00:00:00:00:05"));
    assert_eq!(added.antrea_type(), Some("container"));
    assert_eq!(added.kind, "internal");
    assert_eq!(s.get("Interface", "p1", "_uuid"), added.uuid.to_string());
    // ovs-vsctl returned after cur_cfg caught up, so the ofport is set now or in an event
    // that is already on its way.
    let ofport = s.get("Interface", "p1", "ofport");
    if added.valid_ofport().map(|p| p.to_string()) != Some(ofport.clone()) {
        let ev = wait_event(&mut watch, "ofport of p1", |e| {
            matches!(e, InterfaceEvent::Changed { new, .. }
                if new.name == "p1" && new.valid_ofport().is_some())
        })
        .await;
        assert_eq!(ev.interface().ofport.map(|p| p.to_string()), Some(ofport));
    }
    assert_eq!(
        watch.get("p1").and_then(|i| i.valid_ofport()),
        s.get("Interface", "p1", "ofport").parse().ok()
    );

    s.vsctl(&["set", "interface", "p1", "external_ids:pod-name=web-1"]);
    let ev = wait_event(
        &mut watch,
        "change of p1",
        |e| matches!(e, InterfaceEvent::Changed { new, .. } if new.name == "p1"),
    )
    .await;
    let InterfaceEvent::Changed { old, new } = ev else {
        unreachable!()
    };
    assert_eq!(old.pod(), pod("default", "web-0"));
    assert_eq!(new.pod(), pod("default", "web-1"));
    assert_eq!(old.uuid, new.uuid);

    s.vsctl(&["del-port", "br0", "p1"]);
    let ev = wait_event(
        &mut watch,
        "removal of p1",
        |e| matches!(e, InterfaceEvent::Removed(i) if i.name == "p1"),
    )
    .await;
    assert_eq!(ev.interface().pod(), pod("default", "web-1"));
    assert!(watch.get("p1").is_none());
}

fn ovsdb_tool_transact(s: &NsSandbox, txn: &serde_json::Value) {
    let db = s.sb.dir().join("conf.db");
    run(Command::new("ovsdb-tool")
        .arg("transact")
        .arg(&db)
        .arg(txn.to_string()))
    .unwrap_or_else(|e| panic!("ovsdb-tool transact: {e}"));
}

fn db_interface_names(s: &NsSandbox) -> BTreeSet<String> {
    s.vsctl(&["--bare", "--columns=name", "list", "Interface"])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ovsdb_restart_under_live_monitor_resyncs_the_view() {
    let mut s = NsSandbox::start("ifr");
    s.sb.add_bridge("br0").unwrap();
    add_pod_port(&s, "pa", "a", "10.10.0.1");
    add_pod_port(&s, "pb", "b", "10.10.0.2");
    let vs = Vswitch::connect(&s.sb.db_target()).await.unwrap();
    let (mut watch, initial) = InterfaceWatch::open(&vs).await.unwrap();
    assert_eq!(initial.len(), 3);
    let pb_port = s.get("Port", "pb", "_uuid");

    // Server down; change the database file directly meanwhile.
    s.sb.stop_ovsdb().unwrap();
    let down = async {
        while watch.is_synced() {
            watch
                .next()
                .await
                .expect("watch ended")
                .expect("watch error");
        }
    };
    tokio::time::timeout(TIMEOUT, down)
        .await
        .expect("disconnect not noticed");
    ovsdb_tool_transact(
        &s,
        &serde_json::json!(["Open_vSwitch",
        {"op": "mutate", "table": "Interface", "where": [["name", "==", "pa"]],
         "mutations": [["external_ids", "delete", ["set", ["pod-name"]]],
                       ["external_ids", "insert", ["map", [["pod-name", "a2"]]]]]},
        {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
         "mutations": [["ports", "delete", ["uuid", pb_port]]]},
        {"op": "insert", "table": "Interface", "uuid-name": "ic",
         "row": {"name": "pc", "type": "internal",
                 "external_ids": ["map", [["pod-name", "c"], ["pod-namespace", "default"]]]}},
        {"op": "insert", "table": "Port", "uuid-name": "pc",
         "row": {"name": "pc", "interfaces": ["named-uuid", "ic"]}},
        {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
         "mutations": [["ports", "insert", ["named-uuid", "pc"]]]}]),
    );
    s.sb.start_ovsdb().unwrap();

    // The resync reports exactly what changed while we were away.
    let mut seen = (false, false, false);
    let resync = async {
        while !(seen.0 && seen.1 && seen.2) {
            let batch = watch
                .next()
                .await
                .expect("watch ended")
                .expect("watch error");
            for e in batch {
                match &e {
                    InterfaceEvent::Changed { old, new } if new.name == "pa" => {
                        assert_eq!(old.pod(), pod("default", "a"));
                        if new.pod() == pod("default", "a2") {
                            seen.0 = true;
                        }
                    }
                    InterfaceEvent::Removed(i) if i.name == "pb" => seen.1 = true,
                    InterfaceEvent::Added(i) if i.name == "pc" => {
                        assert_eq!(i.pod(), pod("default", "c"));
                        seen.2 = true;
                    }
                    _ => {}
                }
            }
        }
    };
    tokio::time::timeout(TIMEOUT, resync)
        .await
        .expect("resync events missing");
    assert!(watch.is_synced());
    let ours: BTreeSet<String> = watch.interfaces().into_keys().collect();
    assert_eq!(ours, db_interface_names(&s));
    assert_eq!(
        ours,
        BTreeSet::from(["br0".into(), "pa".into(), "pc".into()])
    );
    assert_eq!(vs.client().state().borrow().connects, 2);

    // And the re-established monitor is live.
    s.vsctl(&["set", "interface", "pc", "external_ids:pod-name=c2"]);
    wait_event(&mut watch, "change of pc", |e| {
        matches!(e, InterfaceEvent::Changed { new, .. }
            if new.name == "pc" && new.pod() == pod("default", "c2"))
    })
    .await;

    // A plain restart (Sandbox::restart_ovsdb) is survived too.
    s.sb.restart_ovsdb().unwrap();
    s.vsctl(&["set", "interface", "pa", "external_ids:pod-name=a3"]);
    wait_event(&mut watch, "change of pa after restart", |e| {
        matches!(e, InterfaceEvent::Changed { new, .. }
            if new.name == "pa" && new.pod() == pod("default", "a3"))
    })
    .await;
    let ours: BTreeSet<String> = watch.interfaces().into_keys().collect();
    assert_eq!(ours, db_interface_names(&s));
}

/// Resumes a stopped process even if the test fails.
struct Cont(u32);

impl Drop for Cont {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.0.to_string()])
            .output();
    }
}

/// A server that stops answering without closing the socket (SIGSTOP) is caught by the
/// client's inactivity probe; after SIGCONT the client is back and the view is live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_server_is_detected_by_the_inactivity_probe() {
    let s = NsSandbox::start("ifp");
    s.sb.add_bridge("br0").unwrap();
    let opts = ClientOptions {
        probe_interval: Some(std::time::Duration::from_millis(200)),
        ..ClientOptions::default()
    };
    let client = Client::connect_with(&s.sb.db_target(), opts).await.unwrap();
    let vs = Vswitch::new(client);
    let (mut watch, _) = InterfaceWatch::open(&vs).await.unwrap();
    let mut state = vs.client().state();
    let pid = s.sb.ovsdb_pid().unwrap();
    let cont = Cont(pid);
    run(Command::new("kill").args(["-STOP", &pid.to_string()])).unwrap();
    tokio::time::timeout(TIMEOUT, state.wait_for(|st| st.probe_timeouts >= 1))
        .await
        .expect("probe timeout not detected")
        .unwrap();
    drop(cont);
    add_pod_port(&s, "pz", "z", "10.10.0.9");
    wait_event(
        &mut watch,
        "pz after the freeze",
        |e| matches!(e, InterfaceEvent::Added(i) if i.name == "pz"),
    )
    .await;
    assert!(watch.is_synced());
    assert!(state.borrow().connects >= 2);
    let ours: BTreeSet<String> = watch.interfaces().into_keys().collect();
    assert_eq!(ours, db_interface_names(&s));
}
