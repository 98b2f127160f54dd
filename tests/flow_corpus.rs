//! The flow corpus (`tests/corpus/flows.txt`, every match field and action a CNI pipeline
//! uses) against Open vSwitch:
//! 1. offline: each line is parsed, its flow-mod encoded and decoded by our codec, and printed;
//!    the text must equal what `ovs-ofctl -O OpenFlow13|OpenFlow15 parse-flow` prints for the
//!    same line (OVS encoding and decoding its own flow-mod).

mod codec_match_support;

use codec_match_support::*;
use ovs_egress::ofproto::codec::Version;

/// The corpus lines (comments and blank lines skipped).
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/flows.txt"
    ))
    .expect("tests/corpus/flows.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn corpus_is_big_enough() {
    assert!(corpus().len() >= 300, "{} lines", corpus().len());
}

#[test]
fn corpus_text_matches_ovs_ofctl_parse_flow() {
    let lines = corpus();
    let mut all = Vec::new();
    for (name, v) in [("OpenFlow13", Version::Of13), ("OpenFlow15", Version::Of15)] {
        let (n, failures) = check_against_ovs(&lines, name, v);
        assert_eq!(n, lines.len());
        all.extend(failures);
    }
    assert!(
        all.is_empty(),
        "{} mismatches:\n{}",
        all.len(),
        all.join("\n")
    );
}

// 2. against a real bridge (private ovsdb-server + ovs-vswitchd, userspace datapath), with
//    `ovs-ofctl` talking through a recording proxy so we see the exact bytes:
//    - `ovs-ofctl add-flows` of the corpus: every flow-mod OVS sends equals, byte for byte
//      (xid aside), our encoding of our parse of the same line, and `ovs-ofctl ofp-print` of
//      our bytes prints the flow as we do;
//    - `ovs-ofctl dump-flows` (with and without `--no-stats`): the flow-stats replies OVS sent
//      decode with our codec, and our printer gives exactly the lines `ovs-ofctl` printed;
//    - every corpus flow is in the dump, with the match we parsed (after the wire round trip).

use bytes::BytesMut;
use codec_match_support::proxy::{split_messages, Proxy};
use ovs_egress::ofproto::codec::message::{self, msg_type, Message, MpReply};
use ovs_egress::ofproto::codec::{FlowMod, FlowModCommand, FlowStats};
use ovs_egress::ofproto::text::flow::{
    format_flow_mod, format_flow_stats, parse_flow, FlowStatsFormat,
};
use ovs_egress::ofproto::text::TextContext;
use ovs_egress::sandbox::Sandbox;

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Our bytes for a flow-mod, with `xid`.
fn encode_flow_mod(fm: &FlowMod, v: Version, xid: u32) -> Vec<u8> {
    let mut out = BytesMut::new();
    message::encode(v, xid, &Message::FlowMod(fm.clone()), &mut out).expect("encode flow-mod");
    out.to_vec()
}

/// `ovs-ofctl ofp-print` of our bytes, the text after `): `.
fn ofp_print(bytes: &[u8]) -> String {
    let out = std::process::Command::new("ovs-ofctl")
        .args(["ofp-print", &hexs(bytes)])
        .output()
        .expect("ovs-ofctl ofp-print");
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.split_once("): ")
        .map(|(_, t)| t.trim_end().to_owned())
        .unwrap_or(s)
}

/// Flow-stats reply parts (`(xid, flags, flows)`) in a switch→client byte stream.
fn flow_replies(stream: &[u8]) -> Vec<(u32, u16, Vec<FlowStats>)> {
    split_messages(stream)
        .into_iter()
        .filter(|m| m[1] == msg_type::MULTIPART_REPLY)
        .map(|m| {
            let (h, msg) = message::decode(m).expect("decode OVS reply");
            match msg {
                Message::MultipartReply(r) => match r.body {
                    MpReply::Flow(flows) => (h.xid, r.flags, flows),
                    other => panic!("not a flow reply: {other:?}"),
                },
                other => panic!("not a multipart reply: {other:?}"),
            }
        })
        .collect()
}

/// An ARP request, a TCP SYN and a UDP/IPv6 datagram, as Ethernet frames in hex.
const PACKETS: [&str; 3] = [
    "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002",
    "02000000000202000000000108004500002800010000400600000a0000010a00000204d2005000000001000000005002200000000000",
    "02000000000202000000000186dd6000000000081140fd000000000000000000000000000001fd0000000000000000000000000000020035003500080000",
];

fn run_ofctl(sb: &Sandbox, args: &[&str]) -> String {
    sb.ofctl(args)
        .unwrap_or_else(|e| panic!("ovs-ofctl {args:?}: {e}"))
}

#[test]
fn corpus_roundtrips_through_a_real_bridge() {
    let sb = Sandbox::start().expect("sandbox");
    sb.add_bridge("br0").expect("bridge");
    let br = sb.of_target("br0");
    for args in [
        [
            "-O",
            "OpenFlow13",
            "add-group",
            &br,
            "group_id=1,type=all,bucket=output:1",
        ],
        [
            "-O",
            "OpenFlow13",
            "add-group",
            &br,
            "group_id=2,type=select,bucket=output:1,bucket=output:2",
        ],
        [
            "-O",
            "OpenFlow13",
            "add-meter",
            &br,
            "meter=1,kbps,band=type=drop,rate=1000",
        ],
        [
            "-O",
            "OpenFlow13",
            "add-meter",
            &br,
            "meter=2,pktps,band=type=drop,rate=10",
        ],
    ] {
        run_ofctl(&sb, &args);
    }
    let lines = corpus();
    let file = sb.dir().join("flows.txt");
    std::fs::write(&file, lines.join("\n")).expect("write flows");
    let proxy = Proxy::start(&sb.dir().join("proxy.sock"), &sb.mgmt_sock("br0"));
    let target = proxy.target();

    for (name, v) in [("OpenFlow13", Version::Of13), ("OpenFlow15", Version::Of15)] {
        let ctx = TextContext::new(v);
        run_ofctl(&sb, &["-O", name, "del-flows", &br]);

        // add-flows: OVS's bytes vs ours.
        run_ofctl(
            &sb,
            &["-O", name, "add-flows", &target, file.to_str().unwrap()],
        );
        let sent = proxy.sessions();
        let mods: Vec<&[u8]> = split_messages(&sent.to_switch)
            .into_iter()
            .filter(|m| m[1] == msg_type::FLOW_MOD)
            .collect();
        let types: Vec<u8> = split_messages(&sent.to_switch)
            .iter()
            .map(|m| m[1])
            .collect();
        assert_eq!(
            mods.len(),
            lines.len(),
            "{name}: flow-mods sent ({} bytes, types {types:?})",
            sent.to_switch.len()
        );
        let mut ours_parsed = Vec::new();
        for (line, theirs) in lines.iter().zip(&mods) {
            let fm = parse_flow(line, FlowModCommand::Add, &ctx)
                .unwrap_or_else(|e| panic!("{name} {line}: {e}"));
            let xid = u32::from_be_bytes([theirs[4], theirs[5], theirs[6], theirs[7]]);
            let ours = encode_flow_mod(&fm, v, xid);
            assert_eq!(
                hexs(&ours),
                hexs(theirs),
                "{name} {line}: our flow-mod vs ovs-ofctl's"
            );
            let (_, decoded) = message::decode(theirs).expect("decode OVS flow-mod");
            assert_eq!(
                decoded,
                Message::FlowMod(fm.clone()),
                "{name} {line}: decode(OVS)"
            );
            let printed = ofp_print(&ours);
            assert_eq!(
                printed,
                format_flow_mod(&fm, &ctx).trim_start(),
                "{name} {line}: ofp-print"
            );
            ours_parsed.push(fm);
        }

        // Some traffic, so that counters are not all zero.
        for packet in PACKETS {
            let pkt = format!("in_port=LOCAL,packet={packet},actions=table");
            run_ofctl(&sb, &["-O", name, "packet-out", &br, &pkt]);
        }

        // dump-flows with stats: the replies OVS sent, printed by us, vs ovs-ofctl's stdout.
        let stdout = run_ofctl(&sb, &["-O", name, "dump-flows", &target]);
        let replies = flow_replies(&proxy.sessions().to_client);
        let mut expected = String::new();
        let mut dumped: Vec<FlowStats> = Vec::new();
        for (xid, flags, flows) in replies {
            let more = if flags & 1 != 0 { " flags=[more]" } else { "" };
            expected.push_str(&format!(
                "OFPST_FLOW reply ({}) (xid={xid:#x}):{more}\n",
                v.short_name()
            ));
            for fs in &flows {
                expected.push_str(&format_flow_stats(fs, &FlowStatsFormat::default(), &ctx));
                expected.push('\n');
            }
            dumped.extend(flows);
        }
        assert_eq!(dumped.len(), lines.len(), "{name}: flows in the bridge");
        let hit = dumped.iter().filter(|fs| fs.packet_count > 0).count();
        assert!(hit >= 2, "{name}: only {hit} flows saw the test packets");
        for (i, (want, got)) in stdout.lines().zip(expected.lines()).enumerate() {
            assert_eq!(got, want, "{name} dump-flows line {i}");
        }
        assert_eq!(
            stdout.lines().count(),
            expected.lines().count(),
            "{name}: line count"
        );

        // --no-stats: no header, no durations or counters.
        let stdout = run_ofctl(&sb, &["-O", name, "--no-stats", "dump-flows", &target]);
        let flows: Vec<FlowStats> = flow_replies(&proxy.sessions().to_client)
            .into_iter()
            .flat_map(|(_, _, f)| f)
            .collect();
        let no_stats = FlowStatsFormat { show_stats: false };
        let expected: Vec<String> = flows
            .iter()
            .map(|fs| format_flow_stats(fs, &no_stats, &ctx))
            .collect();
        let got: Vec<&str> = stdout.lines().collect();
        assert_eq!(got, expected, "{name}: dump-flows --no-stats");

        // Every corpus flow is installed with the match we parsed.
        for (line, fm) in lines.iter().zip(&ours_parsed) {
            let want = wire_roundtrip(fm, v);
            let found = dumped.iter().any(|fs| {
                fs.table_id == want.table_id
                    && fs.priority == want.priority
                    && fs.match_ == want.match_
                    && fs.cookie == want.cookie
                    && fs.flags == want.flags
                    && fs.idle_timeout == want.idle_timeout
                    && fs.hard_timeout == want.hard_timeout
            });
            assert!(found, "{name}: {line} not found in the dump");
        }
    }
}
