//! Flow text against `ovs-ofctl` itself: every flow line of OVS's `tests/ovs-ofctl.at`
//! parse-flows tables (read from the source tarball at test time) plus our own match-heavy
//! lines, run through `ovs-ofctl -O OpenFlow13|OpenFlow15 parse-flow`, which prints OVS's
//! decoding of its own encoding. The oracle is checked against ours the same way round:
//! `format_flow_mod(decode(encode(parse_flow(line))))`, the match and instructions going through
//! our wire codec. Then:
//! - OVS accepts the line → we print exactly OVS's text;
//! - OVS accepts it only after dropping fields whose prerequisites are not met (its
//!   "normalization", or silently in `nx_put_raw`) → we refuse it with `MissingPrerequisite`;
//! - OVS rejects it (or cannot decode what it encoded) → we reject it.
//!
//! The first test replaces every line's actions by `drop` (flow keywords and match: ours); the
//! second keeps them (actions are parsed and printed by `text::action`, with the match-dependent
//! wire forms and consistency checks of `ofpacts_check`: `mod_vlan_vid`, `mod_tp_*`,
//! `mod_nw_ttl`, MPLS actions, field prerequisites of `set_field`/`move`).

mod codec_match_support;

use codec_match_support::*;
use ovs_egress::ofproto::codec::Version;

/// Flow lines from OVS's own parse-flows tests.
fn ovs_at_flows() -> Vec<String> {
    let at = ovs_test_file("ovs-ofctl.at");
    let mut lines = Vec::new();
    for title in [
        "ovs-ofctl parse-flows (OpenFlow 1.0)",
        "ovs-ofctl parse-flows (OpenFlow 1.1)",
        "ovs-ofctl parse-flows (OpenFlow 1.2)",
        "ovs-ofctl parse-flows (NXM)",
        "ovs-ofctl -F nxm parse-flows",
        "ovs-ofctl -F nxm -mmm parse-flows",
    ] {
        let section = at_section(&at, title);
        let opener = "AT_DATA([flows.txt], [";
        let start = section.find(opener).expect("flows.txt") + opener.len();
        let body = &section[start..];
        // `[[...]]` quotes the body literally; `[...]` quotes it with m4's `[[`/`]]` escapes.
        let (body, literal) = match body.strip_prefix('[') {
            Some(b) => (&b[..b.find("]])").expect("end of flows.txt")], true),
            None => (&body[..body.find("\n])").expect("end of flows.txt")], false),
        };
        lines.extend(
            body.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| {
                    if literal {
                        l.to_owned()
                    } else {
                        l.replace("[[", "[").replace("]]", "]")
                    }
                }),
        );
    }
    // The "choice of protocol" table: `'<match>   <protocols>' \`.
    let section = at_section(&at, "ovs-ofctl parse-flows choice of protocol");
    for l in section.lines() {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix('\'') {
            if let Some((flow, _)) = rest.split_once("  ") {
                let flow = flow.replace("[[", "[").replace("]]", "]");
                lines.push(format!("{},actions=drop", flow.trim()));
            }
        }
    }
    lines
}

/// Our own lines: every field and shorthand, aliases, masks, ports and odd spellings.
const OUR_LINES: &[&str] = &[
    "priority=200,ip,nw_src=10.0.0.0/8,actions=drop",
    "ip,nw_dst=10.10.1.0/24,priority=100 actions=drop",
    "nw_src=1.2.3.4,ip,actions=drop",
    "nw_src=1.2.3.4,actions=drop",
    "tp_dst=80,actions=drop",
    "udp,tcp_flags=+syn,actions=drop",
    "arp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=1,actions=drop",
    "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_op=2,arp_sha=aa:bb:cc:dd:ee:ff,arp_tha=00:00:00:00:00:00,actions=drop",
    "rarp,arp_op=3,actions=drop",
    "tcp,udp_dst=53,actions=drop",
    "icmp,tp_src=8,tp_dst=0,actions=drop",
    "icmp,icmp_type=3,icmp_code=1,actions=drop",
    "icmp6,icmp_type=135,icmp_code=0,nd_target=fe80::1,nd_sll=01:02:03:04:05:06,actions=drop",
    "icmp6,icmpv6_type=136,nd_target=fe80::1/64,nd_tll=01:02:03:04:05:06,actions=drop",
    "icmp6,icmp_type=136,nd_options_type=2,nd_reserved=5,actions=drop",
    "icmp6,nd_target=::1,actions=drop",
    "tcp6,ipv6_src=2001:db8::/32,ipv6_dst=::1,tp_src=1024/0xfc00,actions=drop",
    "udp6,ipv6_label=0x12345,udp_src=53,actions=drop",
    "sctp,sctp_src=1,sctp_dst=2,actions=drop",
    "sctp6,tp_dst=9,actions=drop",
    "ipv6,nw_proto=47,nw_tos=0x10,nw_ecn=2,nw_ttl=1,actions=drop",
    "ip,ip_proto=17,ip_dscp=46,ip_ecn=3,actions=drop",
    "ip,nw_frag=first,actions=drop",
    "ip,nw_frag=not_later,actions=drop",
    "ip,ip_frag=no,actions=drop",
    "tcp,nw_frag=later,tp_dst=80,actions=drop",
    "tcp,tcp_flags=syn|ack,actions=drop",
    "tcp,tcp_flags=+syn-rst+ack,actions=drop",
    "tcp,tcp_flags=0x012/0x0ff,actions=drop",
    "ct_state=+new+trk,ip,actions=drop",
    "ct_state=-new+est-rel-inv+trk,ct_mark=0/0x10,ip,actions=drop",
    "ct_state=new|trk,actions=drop",
    "ct_state=+trk+est,ct_zone=65520,ct_mark=0x20/0x20,ct_label=0x1/0x1,actions=drop",
    "ct_state=+trk+new,ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.0/8,ct_nw_proto=6,ct_tp_src=1/0xff,ct_tp_dst=80,ip,actions=drop",
    "ct_state=+trk+rpl,ct_ipv6_src=::1,ct_ipv6_dst=fe80::/10,ct_nw_proto=17,ipv6,actions=drop",
    "ct_label=0x700000000/0xffffffff00000000,actions=drop",
    "pkt_mark=0x1/0xff,reg0=0x2/0xf,reg5=7,reg15=0xffffffff,actions=drop",
    "xreg3=0x1234567890/0xffffffffff,actions=drop",
    "xxreg1=0x1/0x1,actions=drop",
    "reg0[4..7]=3,reg1[0]=1,actions=drop",
    "NXM_NX_REG2[0..15]=0x1234,actions=drop",
    "metadata=0x1234/0xffff,actions=drop",
    "tun_id=0x64,tun_src=192.168.1.1,tun_dst=192.168.77.112,actions=drop",
    "tunnel_id=0x1/0xff,tun_ipv6_src=2001::1,tun_ipv6_dst=2001::/16,actions=drop",
    "tun_gbp_id=5,tun_gbp_flags=1,tun_flags=+oam,actions=drop",
    "conj_id=7,ip,actions=drop",
    "dp_hash=0x10/0xff,actions=drop",
    "recirc_id=5,actions=drop",
    "in_port=LOCAL,actions=drop",
    "in_port=65279,actions=drop",
    "in_port=controller,actions=drop",
    "in_port_oxm=7,actions=drop",
    "actset_output=3,actions=drop",
    "dl_src=aa:bb:cc:dd:ee:ff,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,dl_type=0x88cc,actions=drop",
    "eth_src=00:00:00:00:00:01/ff:ff:ff:00:00:00,eth_type=0x0800,actions=drop",
    "dl_vlan=5,dl_vlan_pcp=3,actions=drop",
    "dl_vlan=0xffff,actions=drop",
    "vlan_tci=0x0000/0x1000,actions=drop",
    "vlan_tci=0x1000/0x1000,actions=drop",
    "vlan_tci=0xf123,actions=drop",
    "vlan_tci=0,actions=drop",
    "vlan_tci=0x0000/0xe000,actions=drop",
    "vlan_vid=0x1005/0x1fff,actions=drop",
    "vlan_pcp=2,actions=drop",
    "mplsm,mpls_label=100,mpls_tc=7,mpls_ttl=64,mpls_bos=1,actions=drop",
    "packet_type=(1,0x800),actions=drop",
    "eth,actions=drop",
    "eth,ip,actions=drop",
    "ip,nw_src=1.2.3.4/255.0.255.0,actions=drop",
    "ip,nw_dst=0.0.0.0/0,actions=drop",
    "ip,nw_src=*,actions=drop",
    "tcp,tp_src=*,actions=drop",
    "priority=0,actions=drop",
    "priority=65535,actions=drop",
    "priority=0x10,actions=drop",
    "priority=65536,actions=drop",
    "table=7,priority=5,cookie=0x123,idle_timeout=10,hard_timeout=20,importance=3,actions=drop",
    "send_flow_rem,check_overlap,reset_counts,no_packet_counts,no_byte_counts,actions=drop",
    "cookie=0x5/0xff,actions=drop",
    "ip,bogus=1,actions=drop",
    "ip",
    "ip,actions",
    "reg0=0x1ffffffff,actions=drop",
    "nw_proto=6/0xf,ip,actions=drop",
    "duration=1.5s,n_packets=3,n_bytes=4,idle_age=1,hard_age=2,ip,actions=drop",
    "ip actions=goto_table:3",
    "table=3,ip,actions=goto_table:1",
    "skb_priority=1,actions=drop",
    "ipv6,ipv6_src=::1.2.3.4,actions=drop",
    "ipv6,ipv6_src=::ffff:1.2.3.4,actions=drop",
    "ipv6,ipv6_dst=1:0:0:2::3/ffff:ffff::,actions=drop",
    "ipv6,ipv6_dst=2001:db8:0:0:1:0:0:1,actions=drop",
    "ipv6,ipv6_dst=fe80::/ffff:ffff:ffff:ffff::,actions=drop",
    "dl_src=0:1:2:3:4:5,dl_dst=AA:BB:CC:DD:EE:FF,actions=drop",
    "ip,nw_src=10.0.0.1/32,nw_dst=10.0.0.0/0.0.0.0,actions=drop",
    "tcp,tp_dst=0x50,tp_src=010,actions=drop",
    "reg0=010,reg1=0X1f,actions=drop",
    "in_port=0xfffe,actions=drop",
    "in_port=4294967294,actions=drop",
    "in_port=none,actions=drop",
    "in_port=ANY,actions=drop",
    "metadata=-1,actions=drop",
    "cookie=-1,actions=drop",
    "priority=-1,actions=drop",
    "ip,nw_tos=3,actions=drop",
    "ip,nw_ecn=4,actions=drop",
    "tcp,tcp_flags=+syn+syn,actions=drop",
    "tcp,tcp_flags=+[200],actions=drop",
    "ct_state=+trk-trk,actions=drop",
    "ct_state=0x21/0x21,actions=drop",
    "ct_state=0,actions=drop",
    "ct_state=trk,ct_label=0x0/0x1,actions=drop",
    "vlan_tci=0x1234/0xffff,dl_vlan_pcp=1,actions=drop",
    "dl_vlan_pcp=1,vlan_tci=0x1234/0xffff,actions=drop",
    "dl_vlan=1,vlan_vid=2,actions=drop",
    "arp,arp_op=256,actions=drop",
    "ip,ip,tcp,udp,actions=drop",
    "tcp,ip,actions=drop",
    "tcp,nw_proto=17,tp_dst=5,actions=drop",
    "  priority=5 , ip\t,actions=drop",
    "table=0x10,actions=drop",
    "table=256,actions=drop",
    "idle_timeout=65536,actions=drop",
    // Actions whose wire form or validity depends on the match (`ofpacts_check`).
    "ip,actions=mod_nw_ttl:3",
    "ipv6,actions=mod_nw_ttl:255",
    "actions=mod_nw_ttl:3",
    "packet_type=(1,0x800),actions=mod_nw_ttl:4",
    "ip,actions=write_actions(mod_nw_ttl:3)",
    "actions=mod_vlan_vid:5",
    "actions=mod_vlan_vid:5,mod_vlan_pcp:3",
    "dl_vlan=7,actions=mod_vlan_pcp:3,mod_vlan_vid:0",
    "actions=mod_vlan_pcp:3,strip_vlan,mod_vlan_vid:4",
    "actions=clone(mod_vlan_vid:3),mod_vlan_pcp:2",
    "actions=set_vlan_vid:5",
    "dl_vlan=5,actions=set_vlan_vid:6,set_vlan_pcp:1",
    "actions=set_field:0x1005->vlan_tci,set_vlan_vid:3",
    "actions=load:0x1005->NXM_OF_VLAN_TCI[],set_vlan_pcp:3",
    "actions=push_vlan:0x8100,push_vlan:0x88a8,mod_vlan_vid:5",
    "dl_vlan=3,actions=push_vlan:0x8100,push_vlan:0x8100",
    "actions=mod_vlan_vid:4096",
    "actions=mod_vlan_pcp:8",
    "actions=strip_vlan",
    "vlan_tci=0x1000/0x1000,actions=strip_vlan,strip_vlan",
    "tcp,actions=mod_tp_src:5,mod_tp_dst:0x10",
    "udp6,actions=mod_tp_dst:53",
    "sctp,actions=mod_tp_src:1",
    "ip,nw_proto=132,actions=mod_tp_dst:5",
    "ip,actions=mod_tp_src:5",
    "tcp,nw_frag=later,actions=mod_tp_dst:5",
    "actions=write_actions(mod_tp_src:3)",
    "tcp,actions=write_actions(mod_tp_dst:3)",
    "tcp,nw_frag=later,actions=write_actions(mod_tp_dst:3)",
    "tcp,actions=push_mpls:0x8847,mod_tp_src:5",
    "actions=push_mpls:0x8847,set_mpls_label:5,pop_mpls:0x0800,mod_nw_ttl:3",
    "actions=push_mpls:0x8848,set_mpls_tc:3,dec_mpls_ttl,pop_mpls:0x86dd,mod_nw_ttl:9",
    "actions=push_mpls:0x0800",
    "packet_type=(1,0x800),actions=push_mpls:0x8847",
    "mpls,actions=set_mpls_ttl:3,dec_mpls_ttl,set_mpls_label(7),set_mpls_tc(2)",
    "mpls,actions=pop_mpls:0x0800,set_field:1.2.3.4->ip_dst",
    "mpls,actions=pop_mpls:0x0800,move:NXM_OF_IP_SRC[]->NXM_NX_REG0[]",
    "actions=set_mpls_ttl(3)",
    "actions=dec_mpls_ttl",
    "ip,actions=pop_mpls:0x0800",
    "mpls,actions=set_mpls_ttl",
    "mpls,actions=set_mpls_label(0x100000)",
    "mpls,actions=write_actions(push_mpls:0x8847,set_mpls_ttl(9),pop_mpls:0x0800)",
    "actions=mod_nw_src:1.2.3.4",
    "arp,actions=mod_nw_dst:1.2.3.4",
    "actions=write_actions(mod_nw_src:1.2.3.4)",
    "ipv6,actions=mod_nw_tos:16,mod_nw_ecn:1",
    "actions=mod_nw_tos:16",
    "actions=dec_ttl",
    "actions=fin_timeout(idle_timeout=3)",
    "udp,actions=fin_timeout(idle_timeout=3)",
    "actions=set_field:5->tcp_src",
    "actions=write_actions(set_field:1.2.3.4->ip_src)",
    "actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[]",
    "actions=move:NXM_NX_REG0[]->NXM_OF_TCP_DST[]",
    "icmp6,icmp_type=135,actions=set_field:::1->nd_target",
    "icmp6,actions=set_field:::1->nd_target",
    "actions=set_field:4->vlan_pcp",
    "actions=set_field:4100->vlan_vid",
    "actions=mod_vlan_vid:1,set_field:4100->vlan_vid",
];

/// Variable-length tunnel metadata needs a TLV map (`tun_metadata0`): not modelled (kept as
/// raw bytes when decoded), so its text is out of scope here.
fn in_scope(line: &str) -> bool {
    !line.contains("tun_metadata")
}

/// `line` with its actions replaced by `drop`.
fn with_drop(line: &str) -> String {
    match line.find("action") {
        Some(i) => format!("{}actions=drop", &line[..i]),
        None => line.to_owned(),
    }
}

fn all_lines() -> Vec<String> {
    let mut lines: Vec<String> = OUR_LINES.iter().map(|s| s.to_string()).collect();
    lines.extend(ovs_at_flows());
    lines.retain(|l| in_scope(l));
    lines
}

fn run(lines: &[String]) {
    let mut all = Vec::new();
    for (name, v) in [("OpenFlow13", Version::Of13), ("OpenFlow15", Version::Of15)] {
        let (n, failures) = check_against_ovs(lines, name, v);
        assert!(n > 300, "only {n} lines");
        all.extend(failures);
    }
    assert!(
        all.is_empty(),
        "{} mismatches:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn flow_keywords_and_match_text_match_ovs_ofctl() {
    let mut lines: Vec<String> = all_lines().iter().map(|l| with_drop(l)).collect();
    lines.dedup();
    run(&lines);
}

#[test]
fn whole_flow_text_matches_ovs_ofctl() {
    run(&all_lines());
}
