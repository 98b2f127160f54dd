//! The OVSDB client against a real ovsdb-server (started by the sandbox): methods, every
//! transact operation, typed errors with nothing committed, monitors, echo over TCP.

mod ovsdb_support;

use std::collections::BTreeMap;
use std::time::Duration;

use ovs_egress::ovsdb::client::{Client, ClientError, MonitorMessage};
use ovs_egress::ovsdb::proto::{
    Atom, Condition, Datum, MonitorVersion, Mutation, Mutator, Operation, Row, RowUpdate,
    TableMonitor, Until,
};
use ovs_egress::sandbox::{run, Sandbox};
use ovsdb_support::{NsSandbox, TIMEOUT};
use serde_json::json;
use uuid::Uuid;

const DB: &str = "Open_vSwitch";

fn qos_row(marker: &str) -> Row {
    Row::from([
        ("type".to_owned(), Datum::from("linux-htb")),
        (
            "external_ids".to_owned(),
            Datum::string_map([("marker", marker)]),
        ),
    ])
}

fn by_marker(marker: &str) -> Vec<Condition> {
    vec![Condition::new(
        "external_ids",
        ovs_egress::ovsdb::proto::Function::Includes,
        Datum::string_map([("marker", marker)]),
    )]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_dbs_schema_echo() {
    let s = NsSandbox::start("basic");
    let c = Client::connect(&s.sb.db_target()).await.unwrap();
    let dbs = c.list_dbs().await.unwrap();
    assert!(dbs.contains(&"Open_vSwitch".to_owned()), "{dbs:?}");
    assert!(dbs.contains(&"_Server".to_owned()), "{dbs:?}");
    let schema = c.get_schema(DB).await.unwrap();
    assert_eq!(schema.name, "Open_vSwitch");
    let ofport = schema.column("Interface", "ofport").unwrap();
    assert_eq!((ofport.min, ofport.max), (0, Some(1)));
    assert!(schema.column("Interface", "external_ids").unwrap().is_map());
    assert!(schema.tables["Open_vSwitch"].is_root && !schema.tables["Port"].is_root);
    assert_eq!(
        c.echo(json!(["ping", 1])).await.unwrap(),
        json!(["ping", 1])
    );
    match c.get_schema("NoSuchDb").await {
        Err(ClientError::Rpc { method, error }) => {
            assert_eq!(method, "get_schema");
            assert_eq!(error["error"], "unknown database", "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transact_operation() {
    let s = NsSandbox::start("ops");
    let c = Client::connect(&s.sb.db_target()).await.unwrap();
    // insert + comment + commit.
    let r = c
        .transact(
            DB,
            &[
                Operation::Insert {
                    table: "QoS".into(),
                    row: qos_row("ops"),
                    uuid_name: Some("q".into()),
                },
                Operation::Comment {
                    comment: "ovs-egress test".into(),
                },
                Operation::Commit { durable: false },
            ],
        )
        .await
        .unwrap();
    let uuid = r[0].uuid().unwrap();
    assert_eq!(s.get("QoS", &uuid.to_string(), "type"), "linux-htb");

    // select, update, mutate, wait in one transaction.
    let r = c
        .transact(
            DB,
            &[
                Operation::Update {
                    table: "QoS".into(),
                    conditions: vec![Condition::uuid(uuid)],
                    row: Row::from([("type".to_owned(), Datum::from("linux-hfsc"))]),
                },
                Operation::Mutate {
                    table: "QoS".into(),
                    conditions: vec![Condition::uuid(uuid)],
                    mutations: vec![Mutation::new(
                        "other_config",
                        Mutator::Insert,
                        Datum::string_map([("max-rate", "1000000")]),
                    )],
                },
                Operation::Wait {
                    table: "QoS".into(),
                    conditions: vec![Condition::uuid(uuid)],
                    columns: vec!["type".into()],
                    until: Until::Eq,
                    rows: vec![Row::from([("type".to_owned(), Datum::from("linux-hfsc"))])],
                    timeout_ms: Some(0),
                },
                Operation::Select {
                    table: "QoS".into(),
                    conditions: by_marker("ops"),
                    columns: Some(vec!["_uuid".into(), "type".into(), "other_config".into()]),
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(r[0].count(), Some(1));
    assert_eq!(r[1].count(), Some(1));
    let rows = r[3].rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["_uuid"].as_uuid(), Some(uuid));
    assert_eq!(rows[0]["type"].as_str(), Some("linux-hfsc"));
    assert_eq!(
        s.get("QoS", &uuid.to_string(), "other_config"),
        r#"{max-rate="1000000"}"#
    );

    // assert without holding the lock → "not owner"; abort → "aborted".
    let e = c
        .transact(
            DB,
            &[Operation::Assert {
                lock: "nobody".into(),
            }],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClientError::Operation { index: 0, op: "assert", error } if error.error == "not owner"),
        "{e:?}"
    );
    let e = c
        .transact(
            DB,
            &[
                Operation::Delete {
                    table: "QoS".into(),
                    conditions: vec![Condition::uuid(uuid)],
                },
                Operation::Abort,
            ],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClientError::Operation { index: 1, op: "abort", error } if error.error == "aborted"),
        "{e:?}"
    );
    assert_eq!(s.get("QoS", &uuid.to_string(), "type"), "linux-hfsc");

    // delete.
    let r = c
        .transact(
            DB,
            &[Operation::Delete {
                table: "QoS".into(),
                conditions: vec![Condition::uuid(uuid)],
            }],
        )
        .await
        .unwrap();
    assert_eq!(r[0].count(), Some(1));
    assert_eq!(s.vsctl(&["--bare", "--columns=_uuid", "list", "QoS"]), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_operation_is_typed_and_nothing_commits() {
    let s = NsSandbox::start("bad");
    let c = Client::connect(&s.sb.db_target()).await.unwrap();
    let ops = [
        Operation::Insert {
            table: "QoS".into(),
            row: qos_row("bad-op"),
            uuid_name: None,
        },
        Operation::Update {
            table: "Interface".into(),
            conditions: vec![Condition::eq("name", "nope")],
            row: Row::from([("no_such_column".to_owned(), Datum::from(1i64))]),
        },
    ];
    let e = c.transact(DB, &ops).await.unwrap_err();
    match &e {
        ClientError::Operation { index, op, error } => {
            assert_eq!((*index, *op), (1, "update"));
            assert!(
                error
                    .details
                    .as_deref()
                    .unwrap_or("")
                    .contains("no_such_column"),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("operation 1 (update)"), "{e}");
    let find = [
        "--bare",
        "--columns=_uuid",
        "find",
        "QoS",
        "external_ids:marker=bad-op",
    ];
    assert_eq!(s.vsctl(&find), "");

    // A wait that does not hold fails as "timed out" at its index.
    let e = c
        .transact(
            DB,
            &[
                Operation::Insert {
                    table: "QoS".into(),
                    row: qos_row("bad-op"),
                    uuid_name: None,
                },
                Operation::Wait {
                    table: "Open_vSwitch".into(),
                    conditions: vec![],
                    columns: vec!["next_cfg".into()],
                    until: Until::Eq,
                    rows: vec![Row::from([("next_cfg".to_owned(), Datum::from(-5i64))])],
                    timeout_ms: Some(0),
                },
            ],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ClientError::Operation { index: 1, op: "wait", error } if error.error == "timed out"),
        "{e:?}"
    );
    assert_eq!(s.vsctl(&find), "");

    // Referential integrity is checked at commit: the extra result element.
    let mut row = qos_row("bad-op");
    row.insert(
        "queues".into(),
        Datum::Map(BTreeMap::from([(
            Atom::Integer(0),
            Atom::Uuid(Uuid::from_u128(0x1234)),
        )])),
    );
    let e = c
        .transact(
            DB,
            &[Operation::Insert {
                table: "QoS".into(),
                row,
                uuid_name: None,
            }],
        )
        .await
        .unwrap_err();
    match &e {
        ClientError::Commit(error) => {
            assert_eq!(error.error, "referential integrity violation", "{error:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.vsctl(&find), "");
}

async fn next_msg(m: &mut ovs_egress::ovsdb::client::Monitor) -> MonitorMessage {
    tokio::time::timeout(TIMEOUT, m.next())
        .await
        .expect("monitor timed out")
        .expect("monitor ended")
}

/// Reads monitor messages until one holds a change for row `name` in `table`.
async fn wait_row(
    m: &mut ovs_egress::ovsdb::client::Monitor,
    table: &str,
    pred: impl Fn(&RowUpdate) -> bool,
) -> RowUpdate {
    loop {
        if let MonitorMessage::Update(u) = next_msg(m).await {
            if let Some(rows) = u.get(table) {
                if let Some(r) = rows.values().find(|r| pred(r)) {
                    return r.clone();
                }
            }
        }
    }
}

fn named(r: &RowUpdate, name: &str) -> bool {
    matches!(r, RowUpdate::Insert(row) if row.get("name").and_then(Datum::as_str) == Some(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_v1_and_monitor_cond() {
    let s = NsSandbox::start("mon");
    let c = Client::connect(&s.sb.db_target()).await.unwrap();
    let cols = ["name", "external_ids"];
    let mut v1 = c
        .monitor(
            DB,
            MonitorVersion::V1,
            vec![TableMonitor::new("Bridge", &cols)],
        )
        .await
        .unwrap();
    let cond =
        TableMonitor::new("Bridge", &cols).with_conditions(vec![Condition::eq("name", "brc")]);
    let mut v2 = c.monitor(DB, MonitorVersion::V2, vec![cond]).await.unwrap();
    for m in [&mut v1, &mut v2] {
        assert!(matches!(
            next_msg(m).await,
            MonitorMessage::Initial {
                reconnected: false,
                ..
            }
        ));
    }
    s.vsctl(&[
        "--no-wait",
        "add-br",
        "bra",
        "--",
        "set",
        "bridge",
        "bra",
        "datapath_type=netdev",
    ]);
    s.vsctl(&[
        "--no-wait",
        "add-br",
        "brc",
        "--",
        "set",
        "bridge",
        "brc",
        "datapath_type=netdev",
    ]);
    wait_row(&mut v1, "Bridge", |r| named(r, "bra")).await;
    wait_row(&mut v1, "Bridge", |r| named(r, "brc")).await;
    // The condition filters: v2 sees brc only.
    let first = wait_row(&mut v2, "Bridge", |_| true).await;
    assert!(named(&first, "brc"), "{first:?}");
    s.vsctl(&["--no-wait", "set", "bridge", "brc", "external_ids:k=v"]);
    let upd = |r: &RowUpdate| match r {
        RowUpdate::Replace(row) | RowUpdate::Modify(row) => row.contains_key("external_ids"),
        _ => false,
    };
    match wait_row(&mut v1, "Bridge", upd).await {
        // v1 sends every monitored column of the new row.
        RowUpdate::Replace(row) => {
            assert_eq!(row["external_ids"], Datum::string_map([("k", "v")]));
            assert_eq!(row["name"].as_str(), Some("brc"));
        }
        other => panic!("{other:?}"),
    }
    match wait_row(&mut v2, "Bridge", upd).await {
        // update2 sends the diff of the changed column only.
        RowUpdate::Modify(row) => {
            assert_eq!(row.len(), 1);
            assert_eq!(row["external_ids"], Datum::string_map([("k", "v")]));
        }
        other => panic!("{other:?}"),
    }
    // monitor_cancel: the server confirms it for our monitor id; the other monitor keeps
    // working. A bogus id is refused by the server (so the confirmation means something).
    v2.cancel().await.unwrap();
    let e = c.call("monitor_cancel", json!(["no-such-monitor"])).await;
    assert!(matches!(e, Err(ClientError::Rpc { .. })), "{e:?}");
    s.vsctl(&["--no-wait", "del-br", "brc"]);
    wait_row(&mut v1, "Bridge", |r| matches!(r, RowUpdate::Delete)).await;
}

/// ovsdb-server probes TCP clients with echo requests (inactivity_probe, here 1 s) and drops
/// those that do not answer; the client must answer and stay on its first connection.
/// The sandbox runs in the root namespace here (the test process must reach its loopback
/// listener); it creates no bridge, so no link appears there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_answered_over_tcp() {
    // `Sandbox::start` would put the daemons in a namespace of their own, whose loopback the
    // test cannot reach; this test creates no bridge, so the root namespace gets no device.
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start_in(dir.path(), None).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    sb.vsctl_no_wait(&[
        "--",
        "--id=@m",
        "create",
        "Manager",
        &format!("target=\"ptcp:{port}:127.0.0.1\""),
        "inactivity_probe=1000",
        "--",
        "set",
        "Open_vSwitch",
        ".",
        "manager_options=@m",
    ])
    .unwrap();
    let mut cmd = sb.command("ovs-appctl");
    cmd.arg("-t").arg(sb.dir().join("ovsdb-server.ctl")).args([
        "ovsdb-server/add-remote",
        "db:Open_vSwitch,Open_vSwitch,manager_options",
    ]);
    run(&mut cmd).unwrap();
    let target = format!("tcp:127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let c = loop {
        match Client::connect(&target).await {
            Ok(c) => break c,
            Err(ClientError::Transport { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::task::yield_now().await;
                tokio::time::sleep(Duration::from_millis(20)).await; // poll interval
            }
            Err(e) => panic!("{e}"),
        }
    };
    let mut state = c.state();
    tokio::time::timeout(TIMEOUT, state.wait_for(|s| s.echoes_answered >= 3))
        .await
        .expect("no echo requests from the server")
        .unwrap();
    assert_eq!(state.borrow().connects, 1, "the server dropped us");
    assert!(state.borrow().connected);
    // And the connection still works.
    assert!(c.list_dbs().await.unwrap().contains(&DB.to_owned()));
}
