//! The `Switch` handle against a real ovs-vswitchd (private sandbox, userspace datapath):
//! handshake, flow-mods, batches, bundles, dumps with filters, table names, async messages.
//! ovs-ofctl is the oracle for what the switch holds.

mod conn_support;

use conn_support::*;
use ovs_egress::ofproto::codec::action::Action;
use ovs_egress::ofproto::codec::message::multipart::FlowStatsRequest;
use ovs_egress::ofproto::codec::message::{Message, PacketOut};
use ovs_egress::ofproto::codec::{Field, FlowMod, FlowModCommand, Match, PortNo, Value, Version};
use ovs_egress::ofproto::conn::{ConnError, ConnState, ProtocolError, Stage, Switch, Target};
use ovs_egress::ofproto::text::TableNames;
use std::time::Duration;

const BOTH: [Version; 2] = [Version::Of13, Version::Of15];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_negotiates_the_highest_common_version() {
    let _serial = serial().await;
    let sb = sandbox();
    for (offer, want) in [
        (&[Version::Of13][..], Version::Of13),
        (&[Version::Of15][..], Version::Of15),
        (&BOTH[..], Version::Of15),
    ] {
        let sw = connect(&sb, offer).await;
        assert_eq!(sw.version(), Some(want));
        let state = sw.state().borrow().clone();
        let ConnState::Connected {
            endpoint,
            generation,
            ..
        } = &state
        else {
            panic!("not connected")
        };
        assert_eq!(*generation, 1);
        assert!(endpoint.ends_with("br0.mgmt"), "{endpoint}");
        sw.barrier().await.unwrap();
    }
    // A bridge limited to OpenFlow 1.3 refuses a 1.5-only client in the handshake.
    blocking(|| sb.vsctl(&["set", "bridge", BR, "protocols=OpenFlow13"])).unwrap();
    let e = Switch::connect(Target::Unix(sb.mgmt_sock(BR)), opts(&[Version::Of15]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ConnError::Protocol(ProtocolError::NoCommonVersion {
                ours: 0x40,
                theirs: 0x10
            })
        ),
        "{e:?}"
    );
    let sw = connect(&sb, &BOTH).await;
    assert_eq!(sw.version(), Some(Version::Of13));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_socket_names_the_path_tried() {
    let _serial = serial().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("br-missing.mgmt");
    let e = Switch::connect(Target::Unix(path.clone()), opts(&BOTH))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, ConnError::Connect { .. }), "{e:?}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_mods_batches_and_filtered_dumps_match_ovs_ofctl() {
    let _serial = serial().await;
    let sb = sandbox();
    for v in BOTH {
        let sw = connect(&sb, &[v]).await;
        blocking(|| sb.ofctl(&["del-flows", BR])).unwrap();
        sw.flow_mod(flow(0, 100, 0x1, 7, 1)).await.unwrap();
        let errors = sw
            .batch(vec![
                Message::FlowMod(flow(1, 200, 0x2, 8, 2)),
                Message::FlowMod(bad_goto(3, 1)),
                Message::FlowMod(flow(2, 300, 0x2, 9, 3)),
            ])
            .await
            .unwrap();
        // A batch is not atomic: the good flows stay, the bad one is reported with its index.
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].stage, errors[0].index), (Stage::Batch, Some(1)));
        assert_eq!(errors[0].name(), Some("OFPBIC_BAD_TABLE_ID"));
        assert!(
            matches!(errors[0].request.as_deref(), Some(Message::FlowMod(f)) if f.table_id == 3)
        );

        let all = sw.dump_flows(FlowStatsRequest::default()).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(ofctl_flows(&sb, v, &[]).len(), 3);

        let t1 = FlowStatsRequest {
            table_id: 1,
            ..FlowStatsRequest::default()
        };
        let f = sw.dump_flows(t1).await.unwrap();
        assert_eq!(f.iter().map(|f| f.priority).collect::<Vec<_>>(), [200]);

        let by_cookie = FlowStatsRequest {
            cookie: 0x2,
            cookie_mask: u64::MAX,
            ..FlowStatsRequest::default()
        };
        let mut p: Vec<u16> = sw
            .dump_flows(by_cookie)
            .await
            .unwrap()
            .iter()
            .map(|f| f.priority)
            .collect();
        p.sort();
        assert_eq!(p, [200, 300]);
        assert_eq!(ofctl_flows(&sb, v, &["cookie=0x2/-1"]).len(), 2);

        let mut m = Match::new();
        m.set(Field::Reg0, Value::from_u64(4, 9));
        let by_match = FlowStatsRequest {
            match_: m,
            ..FlowStatsRequest::default()
        };
        let f = sw.dump_flows(by_match).await.unwrap();
        assert_eq!(f.iter().map(|f| f.priority).collect::<Vec<_>>(), [300]);

        // Delete through a flow-mod, check with ovs-ofctl.
        sw.flow_mod(FlowMod {
            command: FlowModCommand::Delete,
            table_id: 0xff,
            ..FlowMod::default()
        })
        .await
        .unwrap();
        assert!(ofctl_flows(&sb, v, &[]).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_are_atomic_and_name_the_failing_message() {
    let _serial = serial().await;
    let sb = sandbox();
    for v in BOTH {
        let sw = connect(&sb, &[v]).await;
        blocking(|| sb.ofctl(&["del-flows", BR])).unwrap();
        sw.flow_mod(flow(0, 1, 0, 1, 1)).await.unwrap();
        let before = ofctl_flows(&sb, v, &[]);

        // Refused when added: nothing of the bundle is applied.
        let msgs: Vec<Message> = (0..50)
            .map(|i| {
                Message::FlowMod(if i == 37 {
                    bad_goto(4, i)
                } else {
                    flow(0, 10, 0, i, 2)
                })
            })
            .collect();
        let e = sw.bundle(msgs).await.unwrap_err();
        let se = e.switch_error().unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!((se.stage, se.index), (Stage::BundleAdd, Some(37)), "{se}");
        assert_eq!(se.name(), Some("OFPBIC_BAD_TABLE_ID"));
        assert!(matches!(se.request.as_deref(), Some(Message::FlowMod(f)) if f.table_id == 4));
        assert_eq!(ofctl_flows(&sb, v, &[]), before);

        // Refused at commit (an overlapping add with check_overlap): nothing applied either.
        // (reg0=1 and reg1=5 overlap: a packet can match both at the same priority.)
        let mut overlap = flow(0, 1, 0, 1, 5);
        overlap.match_ = Match::new();
        overlap.match_.set(Field::Reg1, Value::from_u64(4, 5));
        overlap.flags.0 |= ovs_egress::ofproto::codec::FlowModFlags::CHECK_OVERLAP;
        let msgs = vec![
            Message::FlowMod(flow(0, 10, 0, 100, 2)),
            Message::FlowMod(flow(0, 10, 0, 101, 2)),
            Message::FlowMod(overlap),
        ];
        let e = sw.bundle(msgs).await.unwrap_err();
        let se = e.switch_error().unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!((se.stage, se.index), (Stage::BundleCommit, Some(2)), "{se}");
        assert_eq!(se.name(), Some("OFPFMFC_OVERLAP"));
        assert_eq!(ofctl_flows(&sb, v, &[]), before);

        // A good bundle applies everything at once.
        let msgs: Vec<Message> = (0..2000)
            .map(|i| Message::FlowMod(flow(0, 10, 0, 1000 + i, 2)))
            .collect();
        sw.bundle(msgs).await.unwrap();
        assert_eq!(ofctl_flows(&sb, v, &[]).len(), 2001);

        // An explicit discard leaves the switch unchanged.
        let mut b = sw.open_bundle(1).await.unwrap();
        b.add(Message::FlowMod(flow(5, 1, 0, 5, 5))).await.unwrap();
        b.discard().await.unwrap();
        assert_eq!(ofctl_flows(&sb, v, &["table=5"]).len(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_dumps_are_reassembled_from_many_replies() {
    let _serial = serial().await;
    let sb = sandbox();
    let sw = connect(&sb, &BOTH).await;
    let n = 20_000u32;
    let msgs: Vec<Message> = (0..n)
        .map(|i| Message::FlowMod(flow((i % 3) as u8, 10, i as u64, i, 1)))
        .collect();
    sw.bundle(msgs).await.unwrap();
    let all = sw.dump_flows(FlowStatsRequest::default()).await.unwrap();
    assert_eq!(all.len(), n as usize);
    let mut cookies: Vec<u64> = all.iter().map(|f| f.cookie).collect();
    cookies.sort();
    assert!(cookies.iter().copied().eq(0..n as u64));

    // The same, streamed part by part.
    let mut s = sw
        .dump_flows_stream(FlowStatsRequest::default())
        .await
        .unwrap();
    let (mut parts, mut flows) = (0, 0);
    while let Some(part) = s.next().await {
        parts += 1;
        flows += part.unwrap().len();
    }
    assert_eq!(flows, n as usize);
    assert!(parts > 10, "{parts} parts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_names_are_pushed_and_ovs_ofctl_shows_them() {
    let _serial = serial().await;
    let sb = sandbox();
    for v in BOTH {
        let sw = connect(&sb, &[v]).await;
        let mut names = TableNames::new();
        names.insert(0, "Classifier");
        names.insert(10, if v == Version::Of13 { "SNAT" } else { "SNAT15" });
        sw.set_table_names(names.clone()).await.unwrap();
        let read = sw.table_names().await.unwrap();
        assert_eq!(read, names);
        blocking(|| sb.ofctl(&["del-flows", BR])).unwrap();
        sw.flow_mod(flow(10, 5, 0, 1, 1)).await.unwrap();
        let dump = blocking(|| {
            sb.ofctl(&[
                "-O",
                v.protocol_name(),
                "--names",
                "--no-stats",
                "dump-flows",
                BR,
            ])
        })
        .unwrap();
        assert_eq!(
            dump.trim(),
            format!(
                "table={}, priority=5,reg0=0x1 actions=output:1",
                names.name(10).unwrap()
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packet_ins_and_port_status_are_streamed_after_subscribing() {
    let _serial = serial().await;
    let sb = sandbox();
    for v in BOTH {
        let sw = connect(&sb, &[v]).await;
        let mut sub = sw.subscribe().await.unwrap();
        // Packet-out into the pipeline; the flow sends it to us.
        blocking(|| sb.ofctl(&["del-flows", BR])).unwrap();
        blocking(|| sb.ofctl(&["add-flow", BR, "in_port=LOCAL,actions=CONTROLLER:65535"])).unwrap();
        let frame: Vec<u8> = [
            &[0xff; 6][..],
            &[2, 0, 0, 0, 0, 1],
            &[0x88, 0xb5],
            &[0x42; 46],
        ]
        .concat();
        let po = PacketOut::new(
            v,
            PortNo::LOCAL,
            vec![Action::Output {
                port: PortNo::TABLE,
                max_len: 0,
            }],
            frame.clone().into(),
        );
        sw.packet_out(po).await.unwrap();
        let pi = tokio::time::timeout(Duration::from_secs(30), sub.next_packet_in())
            .await
            .expect("packet-in in time")
            .unwrap();
        assert_eq!(&pi.data[..], &frame[..]);

        // A new port (a patch port: no kernel device) announces itself.
        let port = format!("p{}", v.wire());
        blocking(|| {
            sb.vsctl(&[
                "add-port",
                BR,
                &port,
                "--",
                "set",
                "interface",
                &port,
                "type=patch",
                "options:peer=nowhere",
            ])
        })
        .unwrap();
        let ps = tokio::time::timeout(Duration::from_secs(30), sub.next_port_status())
            .await
            .expect("port-status in time")
            .unwrap();
        assert_eq!(ps.port.name.to_string_lossy(), port);
        let names: Vec<String> = sw
            .port_desc()
            .await
            .unwrap()
            .iter()
            .map(|p| p.name.to_string_lossy())
            .collect();
        assert!(names.contains(&port), "{names:?}");
    }
}
