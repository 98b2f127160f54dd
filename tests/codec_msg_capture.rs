//! What `ovs-ofctl` really sends, captured by a fake switch speaking our codec: every message
//! must decode, re-encode to the same bytes, and print as OVS prints it; flow-mods must equal
//! our own encoding of the same flow text; bundles must have the right form per version. And
//! in the other direction, `ovs-ofctl dump-flows` must read our (multi-part) flow-stats
//! replies.

mod common;

use bytes::BytesMut;
use common::fake_switch::{Captured, FakeSwitch};
use ovs_egress::ofproto::codec::flow::{FlowModCommand, FlowStats};
use ovs_egress::ofproto::codec::message::bundle::ctrl_type;
use ovs_egress::ofproto::codec::message::multipart::MORE;
use ovs_egress::ofproto::codec::message::print::{ofp_to_string, PrintContext};
use ovs_egress::ofproto::codec::message::{
    encode, msg_type, Message, MpReply, MpRequest, MultipartReply,
};
use ovs_egress::ofproto::codec::Version;
use ovs_egress::ofproto::text::flow::{format_flow_stats, parse_flow, FlowStatsFormat};
use ovs_egress::ofproto::text::TextContext;
use std::process::Command;

const FLOWS: &[&str] = &[
    "priority=200,ip,nw_src=10.0.0.0/8,actions=output:3",
    "table=70,priority=200,ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf,actions=ct(commit,table=80,zone=65521,nat(src=169.254.0.253),exec(set_field:0x10/0x10->ct_mark))",
    "cookie=0x1234,table=61,priority=200,ct_state=+new+trk,ip,tun_dst=192.168.77.112,actions=set_field:0x1/0xff->pkt_mark,set_field:0x20/0xf0->reg0,goto_table:70",
    "table=40,priority=190,ct_state=-new+trk,ct_mark=0/0x10,ip,actions=goto_table:50",
    "table=90,priority=14500,conj_id=7,ip,actions=load:0x7->NXM_NX_REG5[],ct(commit,table=100,zone=65520,exec(load:0x7->NXM_NX_CT_LABEL[32..63]))",
    "table=0,priority=200,in_port=5,actions=load:0x1->NXM_NX_REG0[0..3],load:0x1->NXM_NX_REG0[9],goto_table:10",
    "table=31,priority=210,ct_state=-new+rpl+trk,ct_mark=0x2/0x3f,ip,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:aa:bb:cc:dd:ee:ff,dec_ttl,resubmit(,105)",
    "table=20,priority=200,arp,arp_tpa=10.10.0.1,arp_op=1,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:2->arp_op,controller(reason=no_match,id=7),output:IN_PORT",
];

fn ofctl(args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("60")
        .arg("ovs-ofctl")
        .args(args)
        .output()
        .expect("run ovs-ofctl");
    assert!(
        out.status.success(),
        "ovs-ofctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every captured message decodes, re-encodes identically and prints as OVS prints it.
fn check_lossless(caps: &[Captured]) {
    for c in caps {
        let (h, msg) = c
            .decoded
            .clone()
            .unwrap_or_else(|e| panic!("cannot decode {}: {e}", hex(&c.bytes)));
        let Some(v) = Version::from_wire(h.version) else {
            continue; // a hello in another version
        };
        let mut out = BytesMut::new();
        encode(v, h.xid, &msg, &mut out).unwrap();
        assert_eq!(hex(&out), hex(&c.bytes), "re-encoding of {msg:?}");
        let ovs = ofctl(&["ofp-print", &hex(&c.bytes)]);
        let ours = ofp_to_string(&c.bytes, &PrintContext::default());
        assert_eq!(ours, ovs, "print of captured {}", hex(&c.bytes));
    }
}

#[test]
fn add_flow_messages_decode_losslessly_and_match_our_encoding() {
    for (version, proto) in [(Version::Of13, "OpenFlow13"), (Version::Of15, "OpenFlow15")] {
        let sw = FakeSwitch::start();
        for text in FLOWS {
            ofctl(&["-O", proto, "add-flow", &sw.target(), text]);
            let caps = sw.take();
            check_lossless(&caps);
            let flow_mods: Vec<&Captured> = caps
                .iter()
                .filter(|c| c.bytes[1] == msg_type::FLOW_MOD)
                .collect();
            assert_eq!(flow_mods.len(), 1, "{text}: {caps:?}");
            let captured = flow_mods[0];
            let (h, msg) = captured.decoded.clone().unwrap();
            assert_eq!(h.version, version.wire());
            // Our text parser + encoder produce OVS's bytes.
            let ours = parse_flow(text, FlowModCommand::Add, &TextContext::new(version)).unwrap();
            assert_eq!(Message::FlowMod(ours.clone()), msg, "{text}");
            let mut out = BytesMut::new();
            encode(version, h.xid, &Message::FlowMod(ours), &mut out).unwrap();
            assert_eq!(hex(&out), hex(&captured.bytes), "{proto} {text}");
            // ovs-ofctl ends with a barrier, after the hello.
            assert!(caps.iter().any(|c| c.bytes[1] == msg_type::BARRIER_REQUEST));
        }
    }
}

#[test]
fn bundle_add_flows_in_both_forms() {
    for (version, proto) in [(Version::Of13, "OpenFlow13"), (Version::Of15, "OpenFlow15")] {
        let sw = FakeSwitch::start();
        let file = sw.dir().join("flows.txt");
        std::fs::write(&file, FLOWS.join("\n")).unwrap();
        ofctl(&[
            "-O",
            proto,
            "--bundle",
            "add-flows",
            &sw.target(),
            file.to_str().unwrap(),
        ]);
        let caps = sw.take();
        check_lossless(&caps);
        let msgs: Vec<_> = caps
            .iter()
            .filter_map(|c| c.decoded.clone().ok())
            .filter(|(_, m)| matches!(m, Message::BundleControl(_) | Message::BundleAdd(_)))
            .collect();
        let (open_h, open) = &msgs[0];
        let Message::BundleControl(open) = open else {
            panic!("{open:?}")
        };
        assert_eq!(open.ctrl_type, ctrl_type::OPEN_REQUEST);
        let adds: Vec<_> = msgs
            .iter()
            .filter_map(|(h, m)| match m {
                Message::BundleAdd(a) => Some((h, a)),
                _ => None,
            })
            .collect();
        assert_eq!(adds.len(), FLOWS.len());
        for (i, (h, a)) in adds.iter().enumerate() {
            assert_eq!(a.bundle_id, open.bundle_id);
            let expected =
                parse_flow(FLOWS[i], FlowModCommand::Add, &TextContext::new(version)).unwrap();
            assert_eq!(*a.message, Message::FlowMod(expected));
            // The wire form per version: ONF EXT-230 experimenter in 1.3, native in 1.5.
            let raw = &caps.iter().find(|c| matches!(&c.decoded, Ok((ch, _)) if ch.xid == h.xid && ch.msg_type == h.msg_type)).unwrap().bytes;
            match version {
                Version::Of13 => {
                    assert_eq!(raw[1], msg_type::EXPERIMENTER);
                    assert_eq!(&raw[8..16], &[0x4f, 0x4e, 0x46, 0, 0, 0, 0x08, 0xfd]);
                }
                Version::Of15 => assert_eq!(raw[1], msg_type::BUNDLE_ADD_MESSAGE),
            }
        }
        let (_, last) = msgs.last().unwrap();
        assert!(
            matches!(last, Message::BundleControl(c) if c.ctrl_type == ctrl_type::COMMIT_REQUEST),
            "{last:?}"
        );
        let _ = open_h;
    }
}

#[test]
fn dump_flows_reads_our_multipart_replies() {
    for (version, proto) in [(Version::Of13, "OpenFlow13"), (Version::Of15, "OpenFlow15")] {
        let ctx = TextContext::new(version);
        let stats: Vec<FlowStats> = FLOWS
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let fm = parse_flow(t, FlowModCommand::Add, &ctx).unwrap();
                FlowStats {
                    table_id: fm.table_id,
                    duration_sec: i as u32,
                    duration_nsec: 0,
                    priority: fm.priority,
                    idle_timeout: fm.idle_timeout,
                    hard_timeout: fm.hard_timeout,
                    flags: fm.flags,
                    importance: 0,
                    cookie: fm.cookie,
                    packet_count: 10 * i as u64,
                    byte_count: 1000 * i as u64,
                    idle_age: (version == Version::Of15).then_some(1),
                    match_: fm.match_,
                    instructions: fm.instructions,
                }
            })
            .collect();
        // Three parts: MORE, MORE, last.
        let parts: Vec<Message> = stats
            .chunks(3)
            .enumerate()
            .map(|(i, c)| {
                let last = (i + 1) * 3 >= stats.len();
                Message::MultipartReply(MultipartReply {
                    flags: if last { 0 } else { MORE },
                    body: MpReply::Flow(c.to_vec()),
                })
            })
            .collect();
        let sw = FakeSwitch::start_with(Box::new(move |_, m| match m {
            Message::MultipartRequest(r) if matches!(r.body, MpRequest::Flow(_)) => {
                Some(parts.clone())
            }
            _ => None,
        }));
        let out = ofctl(&["-O", proto, "--no-stats", "dump-flows", &sw.target()]);
        let expected: String = stats
            .iter()
            .map(|fs| {
                let line = format_flow_stats(fs, &FlowStatsFormat { show_stats: false }, &ctx);
                format!("{line}\n")
            })
            .collect();
        assert_eq!(out, expected);
        let with_stats = ofctl(&["-O", proto, "dump-flows", &sw.target()]);
        for fs in &stats {
            let line = format_flow_stats(fs, &FlowStatsFormat::default(), &ctx);
            assert!(with_stats.contains(&line), "{line}\nnot in\n{with_stats}");
        }
        check_lossless(&sw.take());
    }
}
