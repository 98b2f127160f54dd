//! Property tests: for generated messages of every modelled type, in OpenFlow 1.3 and 1.5,
//! `decode(encode(m)) == m`, the encoded length is the header length, and decoding arbitrary
//! bytes never panics.

use bytes::{Bytes, BytesMut};
use ovs_egress::ofproto::codec::action::Action;
use ovs_egress::ofproto::codec::flow::{FlowMod, FlowModCommand, FlowModFlags, FlowStats};
use ovs_egress::ofproto::codec::instruction::Instruction;
use ovs_egress::ofproto::codec::match_::Match;
use ovs_egress::ofproto::codec::message::multipart::*;
use ovs_egress::ofproto::codec::message::*;
use ovs_egress::ofproto::codec::port::PortNo;
use ovs_egress::ofproto::codec::Version;
use ovs_egress::ofproto::text::flow::parse_flow;
use ovs_egress::ofproto::text::TextContext;
use proptest::prelude::*;
use std::sync::OnceLock;

const FLOW_TEXTS: &[&str] = &[
    "actions=drop",
    "priority=200,ip,nw_src=10.0.0.0/8,actions=output:3",
    "table=70,priority=200,ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf,actions=ct(commit,table=80,zone=65521,nat(src=169.254.0.253),exec(set_field:0x10/0x10->ct_mark))",
    "cookie=0x1234,table=61,priority=200,ct_state=+new+trk,ip,tun_dst=192.168.77.112,actions=set_field:0x1/0xff->pkt_mark,set_field:0x20/0xf0->reg0,goto_table:70",
    "table=90,priority=14500,conj_id=7,ip,actions=load:0x7->NXM_NX_REG5[],ct(commit,table=100,zone=65520,exec(load:0x7->NXM_NX_CT_LABEL[32..63]))",
    "in_port=5,dl_src=aa:bb:cc:dd:ee:ff,actions=resubmit(,6),controller(reason=no_match,id=7),output:IN_PORT",
    "tcp6,ipv6_dst=fd00::/64,tp_dst=443,actions=meter:3,clear_actions,write_actions(output:2),write_metadata:0x1/0xff",
];

fn flows(v: Version) -> &'static [FlowMod] {
    static F13: OnceLock<Vec<FlowMod>> = OnceLock::new();
    static F15: OnceLock<Vec<FlowMod>> = OnceLock::new();
    let cell = if v == Version::Of13 { &F13 } else { &F15 };
    cell.get_or_init(|| {
        FLOW_TEXTS
            .iter()
            .filter_map(
                |t| match parse_flow(t, FlowModCommand::Add, &TextContext::new(v)) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        eprintln!("{v:?}: {t}: {e}");
                        None
                    }
                },
            )
            .collect()
    })
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::Of13), Just(Version::Of15)]
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn props(min_type: u16) -> impl Strategy<Value = Vec<Prop>> {
    proptest::collection::vec(
        (min_type..0xfff0u16, bytes(20)).prop_map(|(t, d)| Prop::new(t, d)),
        0..3,
    )
}

fn flow_mod(v: Version) -> impl Strategy<Value = FlowMod> {
    (
        0..flows(v).len(),
        any::<u64>(),
        any::<u8>(),
        0u8..5,
        any::<(u16, u16, u16)>(),
        any::<u32>(),
        0u16..0xff00,
        any::<u32>(),
        0u16..32,
        any::<u16>(),
    )
        .prop_map(
            move |(i, cookie, table, cmd, (idle, hard, prio), buf, port, group, flags, imp)| {
                let mut fm = flows(v)[i].clone();
                fm.cookie = cookie;
                fm.cookie_mask = cookie.rotate_left(7);
                fm.table_id = table;
                fm.command = FlowModCommand::from_wire(cmd).unwrap();
                fm.idle_timeout = idle;
                fm.hard_timeout = hard;
                fm.priority = prio;
                fm.buffer_id = buf;
                fm.out_port = PortNo(port);
                fm.out_group = group;
                fm.flags = FlowModFlags(flags);
                fm.importance = if v == Version::Of15 { imp } else { 0 };
                fm
            },
        )
}

fn a_match(v: Version) -> impl Strategy<Value = Match> {
    (0..flows(v).len()).prop_map(move |i| flows(v)[i].match_.clone())
}

/// The pipeline fields of `m` (all an OpenFlow 1.5 packet-out match may hold).
fn pipeline_part(m: &Match) -> Match {
    let mut p = Match::new();
    for e in m.entries() {
        let name = e.field.name();
        if ["reg", "tun_", "metadata", "in_port"]
            .iter()
            .any(|x| name.starts_with(x))
        {
            p.set_masked(e.field, e.value, e.mask);
        }
    }
    assert!(p.is_pipeline_only(), "{p:?}");
    p
}

fn actions() -> impl Strategy<Value = Vec<Action>> {
    proptest::collection::vec(
        (0u16..0xff00, any::<u16>()).prop_map(|(p, m)| Action::Output {
            port: PortNo(p),
            max_len: m,
        }),
        0..4,
    )
}

fn flow_stats(v: Version) -> impl Strategy<Value = FlowStats> {
    (
        flow_mod(v),
        0u32..u32::MAX,
        0u32..1_000_000_000,
        any::<u64>(),
        any::<u64>(),
        any::<Option<u32>>(),
    )
        .prop_map(move |(fm, ds, dn, pk, by, age)| FlowStats {
            table_id: fm.table_id,
            duration_sec: ds,
            duration_nsec: dn,
            priority: fm.priority,
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            importance: fm.importance,
            cookie: fm.cookie,
            packet_count: pk,
            byte_count: by,
            idle_age: if v == Version::Of15 { age } else { None },
            match_: fm.match_,
            instructions: fm.instructions,
        })
}

fn port(v: Version) -> impl Strategy<Value = Port> {
    (
        any::<u32>(),
        any::<[u8; 6]>(),
        "[a-z0-9-]{0,15}",
        any::<(u32, u32)>(),
        any::<[u32; 6]>(),
        any::<bool>(),
        props(1),
    )
        .prop_map(
            move |(no, mac, name, (config, state), e, has_eth, props)| Port {
                port_no: no,
                hw_addr: mac,
                name: FixedStr::new(&name),
                config,
                state,
                ethernet: (v == Version::Of13 || has_eth).then_some(PortEthernet {
                    curr: e[0],
                    advertised: e[1],
                    supported: e[2],
                    peer: e[3],
                    curr_speed: e[4],
                    max_speed: e[5],
                }),
                props: if v == Version::Of15 {
                    props
                } else {
                    Vec::new()
                },
            },
        )
}

fn bucket(v: Version) -> impl Strategy<Value = Bucket> {
    (
        any::<u32>(),
        any::<(Option<u16>, Option<u32>, Option<u32>)>(),
        actions(),
        props(3),
    )
        .prop_map(move |(id, (w, wp, wg), actions, props)| match v {
            Version::Of13 => Bucket {
                bucket_id: 0,
                weight: Some(w.unwrap_or(0)),
                watch_port: Some(wp.unwrap_or(0)),
                watch_group: Some(wg.unwrap_or(0)),
                actions,
                props: Vec::new(),
            },
            Version::Of15 => Bucket {
                bucket_id: id,
                weight: w,
                watch_port: wp,
                watch_group: wg,
                actions,
                props,
            },
        })
}

fn band() -> impl Strategy<Value = MeterBand> {
    (any::<u16>(), any::<u32>(), any::<u32>(), bytes(12)).prop_map(|(t, r, b, d)| MeterBand {
        band_type: t,
        rate: r,
        burst_size: b,
        data: d,
    })
}

fn table_features() -> impl Strategy<Value = TableFeatures> {
    (
        any::<u8>(),
        any::<u8>(),
        "[A-Za-z]{0,31}",
        any::<(u64, u64, u32, u32)>(),
        props(0),
    )
        .prop_map(
            |(id, cmd, name, (mm, mw, caps, max), props)| TableFeatures {
                table_id: id,
                command: cmd,
                name: FixedStr::new(&name),
                metadata_match: mm,
                metadata_write: mw,
                capabilities: caps,
                max_entries: max,
                props,
            },
        )
}

fn flow_stats_request(v: Version) -> impl Strategy<Value = FlowStatsRequest> {
    (a_match(v), any::<(u8, u32, u64, u64)>(), 0u16..0xff00).prop_map(|(m, (t, g, c, cm), p)| {
        FlowStatsRequest {
            table_id: t,
            out_port: PortNo(p),
            out_group: g,
            cookie: c,
            cookie_mask: cm,
            match_: m,
            extra: Bytes::new(),
        }
    })
}

fn mp_request(v: Version) -> impl Strategy<Value = MpRequest> {
    let one = move |x: u32, all: u32| if v == Version::Of13 { all } else { x };
    prop_oneof![
        Just(MpRequest::Desc),
        flow_stats_request(v).prop_map(MpRequest::Flow),
        flow_stats_request(v).prop_map(MpRequest::Aggregate),
        Just(MpRequest::Table),
        any::<u32>().prop_map(move |p| MpRequest::PortDesc {
            port_no: one(p, PORT_ANY)
        }),
        any::<u32>().prop_map(move |g| MpRequest::GroupDesc {
            group_id: one(g, GROUP_ALL)
        }),
        proptest::collection::vec(table_features(), 0..3).prop_map(MpRequest::TableFeatures),
        any::<u32>().prop_map(|m| MpRequest::Meter { meter_id: m }),
        any::<u32>().prop_map(|m| MpRequest::MeterConfig { meter_id: m }),
        Just(MpRequest::MeterFeatures),
        (
            proptest::sample::select(vec![4u16, 5, 6, 8, 14, 15, 16, 0xffff]),
            bytes(24)
        )
            .prop_map(|(t, b)| MpRequest::Raw {
                mp_type: t,
                body: b
            }),
    ]
}

fn mp_reply(v: Version) -> impl Strategy<Value = MpReply> {
    prop_oneof![
        ("[ -~]{0,40}", "[ -~]{0,31}").prop_map(|(a, b)| MpReply::Desc(Box::new(DescStats {
            mfr_desc: FixedStr::new(&a),
            serial_num: FixedStr::new(&b),
            ..DescStats::default()
        }))),
        proptest::collection::vec(flow_stats(v), 0..3).prop_map(MpReply::Flow),
        any::<(u64, u64, u32)>().prop_map(|(p, b, f)| MpReply::Aggregate(AggregateStats {
            packet_count: p,
            byte_count: b,
            flow_count: f,
            oxs: None,
        })),
        proptest::collection::vec(any::<(u8, u32, u64, u64)>(), 0..4).prop_map(|v| MpReply::Table(
            v.into_iter()
                .map(|(t, a, l, m)| TableStats {
                    table_id: t,
                    active_count: a,
                    lookup_count: l,
                    matched_count: m,
                })
                .collect()
        )),
        proptest::collection::vec(port(v), 0..3).prop_map(MpReply::PortDesc),
        proptest::collection::vec(
            (
                any::<(u8, u32)>(),
                proptest::collection::vec(bucket(v), 0..3),
                props(0)
            )
                .prop_map(move |((t, g), buckets, props)| GroupDesc {
                    group_type: t,
                    group_id: g,
                    buckets,
                    props: if v == Version::Of15 {
                        props
                    } else {
                        Vec::new()
                    },
                }),
            0..2
        )
        .prop_map(MpReply::GroupDesc),
        proptest::collection::vec(table_features(), 0..3).prop_map(MpReply::TableFeatures),
        proptest::collection::vec(
            (
                any::<(u32, u32, u64, u64, u32, u32)>(),
                proptest::collection::vec(any::<(u64, u64)>(), 0..3)
            )
                .prop_map(|((id, fc, pc, bc, ds, dn), b)| MeterStats {
                    meter_id: id,
                    flow_count: fc,
                    packet_in_count: pc,
                    byte_in_count: bc,
                    duration_sec: ds,
                    duration_nsec: dn,
                    bands: b
                        .into_iter()
                        .map(|(p, b)| MeterBandStats {
                            packet_count: p,
                            byte_count: b
                        })
                        .collect(),
                }),
            0..3
        )
        .prop_map(MpReply::Meter),
        proptest::collection::vec(
            (any::<(u16, u32)>(), proptest::collection::vec(band(), 0..3)).prop_map(
                |((f, id), bands)| MeterConfig {
                    flags: f,
                    meter_id: id,
                    bands
                }
            ),
            0..3
        )
        .prop_map(MpReply::MeterConfig),
        any::<(u32, u32, u32, u8, u8)>().prop_map(|(a, b, c, d, e)| MpReply::MeterFeatures(
            MeterFeatures {
                max_meter: a,
                band_types: b,
                capabilities: c,
                max_bands: d,
                max_color: e,
            }
        )),
        (
            proptest::sample::select(vec![4u16, 5, 6, 8, 14, 15, 16, 0xffff]),
            bytes(24)
        )
            .prop_map(|(t, b)| MpReply::Raw {
                mp_type: t,
                body: b
            }),
    ]
}

fn message(v: Version) -> impl Strategy<Value = Message> {
    let simple = prop_oneof![
        props(1).prop_map(|e| Message::Hello(Hello {
            elements: e,
            extra: Bytes::new()
        })),
        (any::<(u16, u16, u32)>(), bytes(40)).prop_map(|((t, c, x), data)| Message::Error(
            ErrorMsg {
                code: if t == 0xffff {
                    ErrorCode::Experimenter {
                        exp_code: c,
                        experimenter: x,
                    }
                } else {
                    ErrorCode::Standard {
                        err_type: t,
                        code: c,
                    }
                },
                data,
            }
        )),
        bytes(30).prop_map(Message::EchoRequest),
        bytes(30).prop_map(Message::EchoReply),
        Just(Message::FeaturesRequest),
        any::<(u64, u32, u8, u8, u32, u32)>().prop_map(
            |(d, b, t, a, c, r)| Message::FeaturesReply(FeaturesReply {
                datapath_id: d,
                n_buffers: b,
                n_tables: t,
                auxiliary_id: a,
                capabilities: c,
                reserved: r
            })
        ),
        Just(Message::GetConfigRequest),
        any::<(u16, u16)>().prop_map(|(f, m)| Message::SetConfig(SwitchConfig {
            flags: f,
            miss_send_len: m
        })),
        any::<(u16, u16)>().prop_map(|(f, m)| Message::GetConfigReply(SwitchConfig {
            flags: f,
            miss_send_len: m
        })),
        Just(Message::BarrierRequest),
        Just(Message::BarrierReply),
        any::<(u32, u64)>().prop_map(|(r, g)| Message::RoleRequest(Role {
            role: r,
            generation_id: g
        })),
        any::<(u32, u64)>().prop_map(|(r, g)| Message::RoleReply(Role {
            role: r,
            generation_id: g
        })),
        (
            any::<(u16, u16, u32)>(),
            proptest::collection::vec(band(), 0..3)
        )
            .prop_map(|((c, f, id), bands)| {
                Message::MeterMod(MeterMod {
                    command: c,
                    flags: f,
                    meter_id: id,
                    bands,
                })
            }),
        any::<u32>().prop_map(|f| Message::Nicira(NxMessage::SetPacketInFormat(PacketInFormat(f)))),
        any::<u16>().prop_map(|i| Message::Nicira(NxMessage::SetControllerId(i))),
        props(0).prop_map(|p| Message::Nicira(NxMessage::PacketIn2(PacketIn2 { props: p }))),
        (
            (0u32..1000).prop_filter("modelled subtypes", |s| ![16, 20, 30].contains(s)),
            bytes(30)
        )
            .prop_map(|(s, b)| Message::Nicira(NxMessage::Raw {
                subtype: s,
                body: b
            })),
        (
            any::<u32>().prop_filter("not Nicira or ONF", |e| *e != 0x2320 && *e != 0x4f4e4600),
            any::<u32>(),
            bytes(30)
        )
            .prop_map(|(e, t, d)| Message::Experimenter(Experimenter {
                experimenter: e,
                exp_type: t,
                data: d
            })),
        (
            proptest::sample::select(vec![22u8, 23, 26, 27, 28, 30, 31, 32, 40, 200]),
            bytes(30)
        )
            .prop_map(move |(t, b)| Message::Raw {
                msg_type: t,
                body: b
            }),
    ];
    let structured = prop_oneof![
        flow_mod(v).prop_map(Message::FlowMod),
        (a_match(v), any::<(u32, u16, u8, u8, u64)>(), bytes(60)).prop_map(
            |(m, (b, t, r, tb, c), d)| {
                Message::PacketIn(PacketIn {
                    buffer_id: b,
                    total_len: t,
                    reason: r,
                    table_id: tb,
                    cookie: c,
                    match_: m,
                    data: d,
                })
            }
        ),
        (
            a_match(v),
            any::<(u64, u16, u8, u8)>(),
            0u32..u32::MAX,
            any::<(u32, u16, u16, u64, u64)>()
        )
            .prop_map(
                |(m, (c, p, r, t), ds, (dn, it, ht, pc, bc))| Message::FlowRemoved(FlowRemoved {
                    cookie: c,
                    priority: p,
                    reason: r,
                    table_id: t,
                    duration_sec: ds,
                    duration_nsec: dn,
                    idle_timeout: it,
                    hard_timeout: ht,
                    packet_count: pc,
                    byte_count: bc,
                    match_: m,
                    oxs: None,
                })
            ),
        (any::<u8>(), port(v))
            .prop_map(|(r, p)| Message::PortStatus(PortStatus { reason: r, port: p })),
        (a_match(v), any::<(u32, u32)>(), actions(), bytes(60)).prop_map(
            move |(m, (b, ip), a, d)| {
                Message::PacketOut(match v {
                    Version::Of13 => PacketOut {
                        buffer_id: b,
                        in_port: ip,
                        match_: Match::new(),
                        actions: a,
                        data: d,
                    },
                    Version::Of15 => PacketOut {
                        buffer_id: b,
                        in_port: packet_out::IN_PORT_CONTROLLER,
                        match_: pipeline_part(&m),
                        actions: a,
                        data: d,
                    },
                })
            }
        ),
        (
            any::<(u16, u8, u32, u32)>(),
            proptest::collection::vec(bucket(v), 0..3),
            props(0)
        )
            .prop_map(
                move |((c, t, g, cb), buckets, props)| Message::GroupMod(GroupMod {
                    command: c,
                    group_type: t,
                    group_id: g,
                    command_bucket_id: if v == Version::Of15 { cb } else { 0xffff_ffff },
                    buckets,
                    props: if v == Version::Of15 {
                        props
                    } else {
                        Vec::new()
                    },
                })
            ),
        (
            any::<(u32, [u8; 6], u32, u32)>(),
            any::<Option<u32>>(),
            props(1)
        )
            .prop_map(move |((p, mac, c, m), adv, props)| {
                Message::PortMod(PortMod {
                    port_no: p,
                    hw_addr: mac,
                    config: c,
                    mask: m,
                    advertise: if v == Version::Of13 {
                        Some(adv.unwrap_or(0))
                    } else {
                        adv
                    },
                    props: if v == Version::Of15 {
                        props
                    } else {
                        Vec::new()
                    },
                })
            }),
        (any::<(u8, u32)>(), props(0)).prop_map(move |((t, c), props)| Message::TableMod(
            TableMod {
                table_id: t,
                config: c,
                props: if v == Version::Of15 {
                    props
                } else {
                    Vec::new()
                },
            }
        )),
        (any::<u16>(), mp_request(v))
            .prop_map(|(f, b)| Message::MultipartRequest(MultipartRequest { flags: f, body: b })),
        (any::<u16>(), mp_reply(v))
            .prop_map(|(f, b)| Message::MultipartReply(MultipartReply { flags: f, body: b })),
        (any::<(u32, u16, u16)>(), bytes(16)).prop_map(|((id, t, f), p)| Message::BundleControl(
            BundleControl {
                bundle_id: id,
                ctrl_type: t,
                flags: f,
                props: p,
            }
        )),
        (any::<(u32, u16)>(), flow_mod(v), bytes(16)).prop_map(|((id, f), fm, p)| {
            Message::BundleAdd(BundleAdd {
                bundle_id: id,
                flags: f,
                message: Box::new(Message::FlowMod(fm)),
                props: p,
            })
        }),
    ];
    prop_oneof![simple, structured]
}

fn versioned_message() -> impl Strategy<Value = (Version, Message)> {
    version().prop_flat_map(|v| message(v).prop_map(move |m| (v, m)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn decode_inverts_encode((v, msg) in versioned_message(), xid in any::<u32>()) {
        let mut out = BytesMut::new();
        match encode(v, xid, &msg, &mut out) {
            Ok(()) => {
                let (h, back) = decode(&out).unwrap_or_else(|e| panic!("{msg:?}: {e}"));
                prop_assert_eq!(h.length as usize, out.len());
                prop_assert_eq!(h.xid, xid);
                prop_assert_eq!(h.version, v.wire());
                prop_assert_eq!(back, msg);
            }
            // Too long for a 16-bit length is the only acceptable refusal here.
            Err(e) => prop_assert!(e.to_string().contains("too long"), "{msg:?}: {e}"),
        }
    }

    #[test]
    fn decode_never_panics(mut b in proptest::collection::vec(any::<u8>(), 8..300), v in proptest::sample::select(vec![1u8, 4, 6]), t in 0u8..40) {
        b[0] = v;
        b[1] = t;
        let len = b.len() as u16;
        b[2..4].copy_from_slice(&len.to_be_bytes());
        if let Ok((h, m)) = decode(&b) {
            // What decodes re-encodes to something that decodes to the same message.
            if let Some(v) = Version::from_wire(h.version) {
                let mut out = BytesMut::new();
                if encode(v, h.xid, &m, &mut out).is_ok() {
                    prop_assert_eq!(decode(&out).map(|x| x.1).ok(), Some(m));
                }
            }
        }
    }
}

#[test]
fn instructions_of_the_pool_cover_meter_and_metadata() {
    // Sanity check that the pool exercises more than apply-actions.
    let all: Vec<&Instruction> = flows(Version::Of13)
        .iter()
        .flat_map(|f| &f.instructions)
        .collect();
    assert!(all.iter().any(|i| matches!(i, Instruction::Meter(_))));
    assert!(all
        .iter()
        .any(|i| matches!(i, Instruction::WriteMetadata { .. })));
    assert_eq!(flows(Version::Of13).len(), FLOW_TEXTS.len());
    // In 1.5 `meter:` is the meter action; the text still parses.
    assert_eq!(flows(Version::Of15).len(), FLOW_TEXTS.len());
}

/// OXS statistics in an order OVS does not write stay byte-exact: a flow-stats reply becomes a
/// raw body, an aggregate reply keeps the block.
#[test]
fn non_canonical_oxs_is_kept() {
    use ovs_egress::ofproto::codec::message::oxs::{OxsField, OxsStats};
    let fs = FlowStats {
        duration_sec: 1,
        packet_count: 2,
        byte_count: 3,
        idle_age: None,
        ..FlowStats::default()
    };
    let mut good = BytesMut::new();
    let reply = Message::MultipartReply(MultipartReply {
        flags: 0,
        body: MpReply::Flow(vec![fs]),
    });
    encode(Version::Of15, 1, &reply, &mut good).unwrap();
    // Swap the packet and byte count TLVs (12 bytes each) inside the OXS block.
    let oxs_at = 16 + 24 + 8; // header, ofp15_flow_desc, empty match
    let mut bad = good.to_vec();
    let (p, b) = (oxs_at + 4 + 12, oxs_at + 4 + 24);
    let packets = bad[p..p + 12].to_vec();
    let bytes_ = bad[b..b + 12].to_vec();
    bad[p..p + 12].copy_from_slice(&bytes_);
    bad[b..b + 12].copy_from_slice(&packets);
    let (h, m) = decode(&bad).unwrap();
    assert!(
        matches!(&m, Message::MultipartReply(r) if matches!(r.body, MpReply::Raw { mp_type: 1, .. })),
        "{m:?}"
    );
    let mut again = BytesMut::new();
    encode(Version::Of15, h.xid, &m, &mut again).unwrap();
    assert_eq!(&again[..], &bad[..]);

    let agg = AggregateStats {
        packet_count: 2,
        byte_count: 3,
        flow_count: 1,
        oxs: Some(OxsStats(vec![
            OxsField::FlowCount(1),
            OxsField::PacketCount(2),
            OxsField::ByteCount(3),
        ])),
    };
    let msg = Message::MultipartReply(MultipartReply {
        flags: 0,
        body: MpReply::Aggregate(agg),
    });
    let mut out = BytesMut::new();
    encode(Version::Of15, 1, &msg, &mut out).unwrap();
    assert_eq!(decode(&out).unwrap().1, msg);
}
