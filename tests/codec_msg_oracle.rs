//! `ovs-ofctl ofp-print` as the oracle for the bytes we encode: for every message type we
//! build, in OpenFlow 1.3 and 1.5, OVS must decode our bytes without error and print exactly
//! what our printer prints for them (after decoding them back), and our decoder must give back
//! the message we encoded.

use bytes::{Bytes, BytesMut};
use ovs_egress::ofproto::codec::action::Action;
use ovs_egress::ofproto::codec::flow::{FlowMod, FlowModCommand, FlowStats};
use ovs_egress::ofproto::codec::message::bundle::{ctrl_type, BUNDLE_ATOMIC, BUNDLE_ORDERED};
use ovs_egress::ofproto::codec::message::multipart::{
    AggregateStats, DescStats, FlowStatsRequest, MeterBandStats, MeterConfig, MeterFeatures,
    MeterStats, TableFeatures, TableStats, GROUP_ALL, METER_ALL, MORE, PORT_ANY,
};
use ovs_egress::ofproto::codec::message::print::{ofp_to_string, PrintContext};
use ovs_egress::ofproto::codec::message::*;
use ovs_egress::ofproto::codec::port::PortNo;
use ovs_egress::ofproto::codec::Version;
use ovs_egress::ofproto::text::flow::parse_flow;
use ovs_egress::ofproto::text::TextContext;
use std::process::Command;

const BOTH: [Version; 2] = [Version::Of13, Version::Of15];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn ovs_print(b: &[u8]) -> String {
    let out = Command::new("ovs-ofctl")
        .arg("ofp-print")
        .arg(hex(b))
        .output()
        .expect("run ovs-ofctl (is openvswitch-switch installed?)");
    assert!(
        out.status.success(),
        "ovs-ofctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn flow(text: &str, version: Version) -> FlowMod {
    let text = if text.contains("actions=") {
        text.to_owned()
    } else {
        format!("{text},actions=drop")
    };
    parse_flow(&text, FlowModCommand::Add, &TextContext::new(version)).expect(&text)
}

/// Encodes, checks our own round trip, and returns (OVS's text, our text).
fn check(version: Version, msg: &Message) -> (String, String) {
    let mut b = BytesMut::new();
    encode(version, 0x42, msg, &mut b).unwrap_or_else(|e| panic!("encode {msg:?}: {e}"));
    let (h, back) = decode(&b).unwrap_or_else(|e| panic!("decode our {msg:?}: {e}"));
    assert_eq!(h.xid, 0x42);
    assert_eq!(&back, msg, "round trip in {version:?}");
    let ovs = ovs_print(&b);
    let ours = ofp_to_string(&b, &PrintContext::default());
    assert!(
        !ovs.contains("decode error") && !ovs.contains("***"),
        "OVS rejects our {version:?} encoding of {msg:?}:\n{ovs}"
    );
    (ovs, ours)
}

/// OVS must print our bytes exactly as we print them.
fn same(version: Version, msg: Message) -> String {
    let (ovs, ours) = check(version, &msg);
    assert_eq!(ours, ovs, "print differs for {version:?} {msg:?}");
    ovs
}

/// Like [`same`], for messages whose second line is OVS's packet dissection.
fn same_but_dissection(version: Version, msg: Message) -> String {
    let (ovs, ours) = check(version, &msg);
    let mut lines: Vec<&str> = ovs.split_inclusive('\n').collect();
    lines.remove(1);
    assert_eq!(
        ours,
        lines.concat(),
        "print differs for {version:?} {msg:?}"
    );
    ovs
}

#[test]
fn handshake_and_config_messages() {
    let hello = Message::Hello(Hello::with_versions(&[Version::Of13, Version::Of15]));
    let t = same(Version::Of15, hello);
    assert!(t.contains("version bitmap: 0x04, 0x06"), "{t}");
    for v in BOTH {
        same(v, Message::FeaturesRequest);
        let t = same(
            v,
            Message::FeaturesReply(FeaturesReply {
                datapath_id: 0x0000_5054_0000_0001,
                n_buffers: 0,
                n_tables: 254,
                auxiliary_id: 0,
                capabilities: 0x4f,
                reserved: 0,
            }),
        );
        assert!(t.contains("dpid:0000505400000001"), "{t}");
        same(v, Message::GetConfigRequest);
        same(v, Message::GetConfigReply(SwitchConfig::default()));
        let t = same(
            v,
            Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 0xffff,
            }),
        );
        assert!(t.contains("frags=normal miss_send_len=65535"), "{t}");
        same(v, Message::EchoRequest(Bytes::from_static(b"ping")));
        same(v, Message::EchoReply(Bytes::new()));
        same(v, Message::BarrierRequest);
        same(v, Message::BarrierReply);
        let t = same(
            v,
            Message::RoleRequest(Role {
                role: Role::PRIMARY,
                generation_id: 7,
            }),
        );
        assert!(t.contains("role=primary generation_id=7"), "{t}");
        same(
            v,
            Message::RoleReply(Role {
                role: Role::EQUAL,
                generation_id: u64::MAX,
            }),
        );
        let t = same(
            v,
            Message::Nicira(NxMessage::SetPacketInFormat(PacketInFormat::NXT_PACKET_IN2)),
        );
        assert!(
            t.contains("NXT_SET_PACKET_IN_FORMAT") && t.contains("format=nxt_packet_in2"),
            "{t}"
        );
        let t = same(v, Message::Nicira(NxMessage::SetControllerId(9)));
        assert!(
            t.contains("NXT_SET_CONTROLLER_ID") && t.contains("id=9"),
            "{t}"
        );
    }
}

#[test]
fn errors_with_their_ovs_names() {
    for v in BOTH {
        let mut req = BytesMut::new();
        encode(v, 5, &Message::BarrierRequest, &mut req).unwrap();
        for name in [
            "OFPBRC_BAD_TYPE",
            "OFPBFC_MSG_BAD_XID",
            "OFPBFC_BUNDLE_CLOSED",
            "NXBRC_MUST_BE_ZERO",
        ] {
            let code = ErrorCode::from_name(name, v).unwrap();
            let t = same(
                v,
                Message::Error(ErrorMsg {
                    code,
                    data: req.clone().freeze(),
                }),
            );
            assert!(t.contains(name), "{t}");
            assert!(t.contains("OFPT_BARRIER_REQUEST"), "{t}");
        }
    }
    // Bundle errors are ONF experimenter errors in OpenFlow 1.3 and standard in 1.5.
    assert!(matches!(
        ErrorCode::from_name("OFPBFC_MSG_FAILED", Version::Of13),
        Some(ErrorCode::Experimenter { exp_code: 2313, .. })
    ));
}

const FLOWS: &[&str] = &[
    "priority=200,ip,nw_src=10.0.0.0/8,actions=output:3",
    "table=70,priority=200,ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf,actions=ct(commit,table=80,zone=65521,nat(src=169.254.0.253),exec(set_field:0x10/0x10->ct_mark))",
    "cookie=0x1234,table=61,idle_timeout=30,hard_timeout=60,priority=200,ct_state=+new+trk,ip,tun_dst=192.168.77.112,actions=set_field:0x1/0xff->pkt_mark,set_field:0x20/0xf0->reg0,goto_table:70",
    "table=5,send_flow_rem,priority=10,arp,arp_tpa=10.1.0.1,actions=resubmit(,6),controller",
];

#[test]
fn flow_mods_both_versions() {
    for v in BOTH {
        for text in FLOWS {
            let mut fm = flow(text, v);
            if v == Version::Of15 {
                fm.importance = 7;
            }
            let t = same(v, Message::FlowMod(fm));
            assert!(t.starts_with("OFPT_FLOW_MOD"), "{t}");
        }
        let mut del = flow("table=3,ip", v);
        del.command = FlowModCommand::DeleteStrict;
        del.instructions.clear();
        same(v, Message::FlowMod(del));
    }
    // Importance is an OpenFlow 1.4+ field.
    let mut fm = flow(FLOWS[0], Version::Of13);
    fm.importance = 1;
    assert!(encode(
        Version::Of13,
        1,
        &Message::FlowMod(fm),
        &mut BytesMut::new()
    )
    .is_err());
}

#[test]
fn bundles_in_both_forms() {
    for v in BOTH {
        for t in [
            ctrl_type::OPEN_REQUEST,
            ctrl_type::OPEN_REPLY,
            ctrl_type::CLOSE_REQUEST,
            ctrl_type::COMMIT_REQUEST,
            ctrl_type::COMMIT_REPLY,
            ctrl_type::DISCARD_REQUEST,
        ] {
            let text = same(
                v,
                Message::bundle_control(0x77, t, BUNDLE_ATOMIC | BUNDLE_ORDERED),
            );
            let name = if v == Version::Of13 {
                "ONFT_BUNDLE_CONTROL"
            } else {
                "OFPT_BUNDLE_CONTROL"
            };
            assert!(text.starts_with(name), "{text}");
            assert!(text.contains("flags=atomic ordered"), "{text}");
        }
        let add = Message::bundle_add(0x77, BUNDLE_ATOMIC, Message::FlowMod(flow(FLOWS[1], v)));
        let text = same(v, add);
        // OVS prints the inner message with the outer xid.
        assert!(
            text.contains("OFPT_FLOW_MOD") && text.contains("(xid=0x42)"),
            "{text}"
        );
    }
}

#[test]
fn packet_out_and_async_messages() {
    let frame = Bytes::from_static(&[
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x50, 0x54, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4,
        0, 1, 0x50, 0x54, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ]);
    for v in BOTH {
        let po = PacketOut::new(
            v,
            PortNo::CONTROLLER,
            vec![Action::Output {
                port: PortNo(2),
                max_len: 0,
            }],
            frame.clone(),
        );
        same_but_dissection(v, Message::PacketOut(po));
        let mut m = flow("in_port=3,reg0=0x5", v).match_;
        let pi = PacketIn {
            buffer_id: u32::MAX,
            total_len: frame.len() as u16,
            reason: 1,
            table_id: 10,
            cookie: 0x99,
            match_: std::mem::take(&mut m),
            data: frame.clone(),
        };
        same_but_dissection(v, Message::PacketIn(pi));
        let fr = FlowRemoved {
            cookie: 0x5,
            priority: 200,
            reason: 2,
            table_id: 3,
            duration_sec: 12,
            duration_nsec: 500_000_000,
            idle_timeout: 10,
            hard_timeout: 0,
            packet_count: 4,
            byte_count: 400,
            match_: flow("ip,nw_dst=10.0.0.9", v).match_,
            oxs: None,
        };
        same(v, Message::FlowRemoved(fr));
        let port = Port {
            port_no: 7,
            hw_addr: [0x52, 0x54, 0, 0, 0, 7],
            name: FixedStr::new("antrea-gw0"),
            config: 0,
            state: 4,
            ethernet: Some(PortEthernet {
                curr: 0x2820,
                advertised: 0,
                supported: 0,
                peer: 0,
                curr_speed: 10_000_000,
                max_speed: 0,
            }),
            props: Vec::new(),
        };
        let t = same(
            v,
            Message::PortStatus(PortStatus {
                reason: 0,
                port: port.clone(),
            }),
        );
        assert!(t.contains("7(antrea-gw0): addr:52:54:00:00:00:07"), "{t}");
        same(
            v,
            Message::PortMod(PortMod {
                port_no: 7,
                hw_addr: port.hw_addr,
                config: 1,
                mask: 1,
                advertise: Some(0x20),
                props: Vec::new(),
            }),
        );
        same(
            v,
            Message::TableMod(TableMod {
                table_id: 4,
                config: 0,
                props: Vec::new(),
            }),
        );
    }
}

#[test]
fn groups_and_meters() {
    for v in BOTH {
        let buckets: Vec<Bucket> = (1..=3)
            .map(|i| Bucket {
                bucket_id: if v == Version::Of15 { i - 1 } else { 0 },
                weight: Some(100),
                watch_port: Some(i),
                watch_group: if v == Version::Of13 {
                    Some(0xffff_ffff)
                } else {
                    None
                },
                actions: vec![Action::Output {
                    port: PortNo(i as u16),
                    max_len: 0,
                }],
                props: Vec::new(),
            })
            .collect();
        let gm = GroupMod {
            command: 0,
            group_type: 1,
            group_id: 42,
            command_bucket_id: 0xffff_ffff,
            buckets: buckets.clone(),
            props: Vec::new(),
        };
        let t = same(v, Message::GroupMod(gm));
        assert!(t.contains("group_id=42,type=select"), "{t}");
        let desc = GroupDesc {
            group_type: 1,
            group_id: 42,
            buckets,
            props: Vec::new(),
        };
        same(
            v,
            Message::MultipartReply(MultipartReply {
                flags: 0,
                body: MpReply::GroupDesc(vec![desc]),
            }),
        );
        let mm = MeterMod {
            command: 0,
            flags: 1 | 4 | 8,
            meter_id: 5,
            bands: vec![MeterBand::drop(1024, 128)],
        };
        let t = same(v, Message::MeterMod(mm.clone()));
        assert!(
            t.contains("ADD meter=5 kbps burst stats bands=\ntype=drop rate=1024 burst_size=128"),
            "{t}"
        );
        same(
            v,
            Message::MultipartReply(MultipartReply {
                flags: 0,
                body: MpReply::MeterConfig(vec![MeterConfig {
                    flags: mm.flags,
                    meter_id: 5,
                    bands: mm.bands.clone(),
                }]),
            }),
        );
        same(
            v,
            Message::MultipartReply(MultipartReply {
                flags: 0,
                body: MpReply::Meter(vec![MeterStats {
                    meter_id: 5,
                    flow_count: 2,
                    packet_in_count: 10,
                    byte_in_count: 1000,
                    duration_sec: 3,
                    duration_nsec: 0,
                    bands: vec![MeterBandStats {
                        packet_count: 1,
                        byte_count: 100,
                    }],
                }]),
            }),
        );
        same(
            v,
            Message::MultipartReply(MultipartReply {
                flags: 0,
                body: MpReply::MeterFeatures(MeterFeatures {
                    max_meter: 65536,
                    band_types: 6,
                    capabilities: 0xf,
                    max_bands: 16,
                    max_color: 2,
                }),
            }),
        );
    }
}

fn req(body: MpRequest) -> Message {
    Message::MultipartRequest(MultipartRequest { flags: 0, body })
}

fn rep(flags: u16, body: MpReply) -> Message {
    Message::MultipartReply(MultipartReply { flags, body })
}

#[test]
fn multipart_requests_and_replies() {
    for v in BOTH {
        let fsr = FlowStatsRequest {
            table_id: 70,
            out_port: PortNo(3),
            match_: flow("ip,nw_src=10.0.0.0/8", v).match_,
            ..FlowStatsRequest::default()
        };
        let t = same(v, req(MpRequest::Flow(fsr.clone())));
        assert!(
            t.contains("table=70 out_port=3 ip,nw_src=10.0.0.0/8"),
            "{t}"
        );
        same(v, req(MpRequest::Aggregate(FlowStatsRequest::default())));
        same(v, req(MpRequest::Desc));
        same(v, req(MpRequest::Table));
        same(v, req(MpRequest::PortDesc { port_no: PORT_ANY }));
        same(
            v,
            req(MpRequest::GroupDesc {
                group_id: GROUP_ALL,
            }),
        );
        same(
            v,
            req(MpRequest::Meter {
                meter_id: METER_ALL,
            }),
        );
        same(v, req(MpRequest::MeterConfig { meter_id: 1 }));
        same(v, req(MpRequest::MeterFeatures));
        same(v, req(MpRequest::TableFeatures(Vec::new())));

        let desc = DescStats {
            mfr_desc: FixedStr::new("Nicira, Inc."),
            sw_desc: FixedStr::new("3.1.0"),
            dp_desc: FixedStr::new("br-int"),
            ..DescStats::default()
        };
        same(v, rep(0, MpReply::Desc(Box::new(desc))));
        let fm = flow(FLOWS[2], v);
        let fs = FlowStats {
            table_id: fm.table_id,
            duration_sec: 5,
            duration_nsec: 250_000_000,
            priority: fm.priority,
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            importance: 0,
            cookie: fm.cookie,
            packet_count: 3,
            byte_count: 294,
            idle_age: (v == Version::Of15).then_some(2),
            match_: fm.match_.clone(),
            instructions: fm.instructions.clone(),
        };
        let t = same(v, rep(MORE, MpReply::Flow(vec![fs.clone(), fs])));
        assert!(
            t.contains("flags=[more]") && t.contains("n_packets=3"),
            "{t}"
        );
        same(
            v,
            rep(
                0,
                MpReply::Aggregate(AggregateStats {
                    packet_count: 121,
                    byte_count: 19279,
                    flow_count: 3,
                    oxs: None,
                }),
            ),
        );
        let ts = |id, n| TableStats {
            table_id: id,
            active_count: n,
            lookup_count: 10,
            matched_count: 5,
        };
        same(
            v,
            rep(
                0,
                MpReply::Table(vec![ts(0, 3), ts(1, 0), ts(2, 0), ts(3, 0), ts(4, 1)]),
            ),
        );
        let port = |n: u32, name: &str| Port {
            port_no: n,
            hw_addr: [0xaa, 0, 0, 0, 0, n as u8],
            name: FixedStr::new(name),
            config: 0,
            state: 0,
            ethernet: Some(PortEthernet::default()),
            props: Vec::new(),
        };
        same(
            v,
            rep(
                0,
                MpReply::PortDesc(vec![
                    port(0xffff_fffe, "br-int"),
                    port(2, "p2"),
                    port(1, "p1"),
                ]),
            ),
        );
    }
}

#[test]
fn table_features_with_names() {
    // OpenFlow 1.5: MODIFY with names only (how table names are pushed to OVS).
    let names: Vec<TableFeatures> = [(0, "Classifier"), (10, "SNAT"), (20, "EgressMark")]
        .iter()
        .map(|&(id, n)| TableFeatures::name_only(id, n, 1_000_000))
        .collect();
    let t = same(Version::Of15, req(MpRequest::TableFeatures(names.clone())));
    assert!(t.contains("command: modify"), "{t}");
    assert!(t.contains("table 10 (\"SNAT\")"), "{t}");
    // OpenFlow 1.3 has no command byte: a name-only entry there would replace the whole
    // pipeline and lacks the properties OVS requires (OFPTFFC_BAD_FEATURES), so names are
    // pushed with OpenFlow 1.5 (see the vswitchd test).
    let _ = names;
}
