//! Table-driven tests of the match text (OVS-produced expectations are in
//! `tests/flow_text*.rs`).

use super::*;
use crate::ofproto::codec::Version;

/// Parses `input` and prints it back.
fn norm(input: &str) -> String {
    let (m, prio) =
        parse_match(input, None, Version::Of13).unwrap_or_else(|e| panic!("{input}: {e}"));
    let mut s = String::new();
    format_match(&m, prio, None, &mut s);
    s
}

#[test]
fn prints_in_ovs_order() {
    for (input, want) in [
        ("ip", "ip"),
        ("", ""),
        ("priority=32768", ""),
        (
            "nw_src=10.0.0.0/8,ip,priority=200",
            "priority=200,ip,nw_src=10.0.0.0/8",
        ),
        ("tcp,tp_dst=80", "tcp,tp_dst=80"),
        (
            "udp,udp_dst=53,nw_dst=1.2.3.4",
            "udp,nw_dst=1.2.3.4,tp_dst=53",
        ),
        ("tcp,tcp_dst=0x50/0xfff0", "tcp,tp_dst=0x50/0xfff0"),
        (
            "arp,nw_src=1.2.3.4,arp_op=2",
            "arp,arp_spa=1.2.3.4,arp_op=2",
        ),
        ("arp,nw_proto=1", "arp,arp_op=1"),
        (
            "icmp,icmp_type=8,icmp_code=0",
            "icmp,icmp_type=8,icmp_code=0",
        ),
        ("icmp,tp_src=8", "icmp,icmp_type=8"),
        ("ip,nw_proto=47", "ip,nw_proto=47"),
        ("ipv6,nw_proto=47", "ipv6,nw_proto=47"),
        ("dl_type=0x88cc", "dl_type=0x88cc"),
        ("ct_state=+new+trk,ip", "ct_state=+new+trk,ip"),
        ("ct_state=new|trk", "ct_state=new|trk"),
        (
            "ct_state=-new+est-rel-inv+trk",
            "ct_state=-new+est-rel-inv+trk",
        ),
        (
            "reg0=0x2/0xf,reg1=5,pkt_mark=0",
            "pkt_mark=0,reg0=0x2/0xf,reg1=0x5",
        ),
        ("ct_mark=0/0x10", "ct_mark=0/0x10"),
        (
            "ct_label=0x700000000/0xffffffff00000000",
            "ct_label=0x700000000/0xffffffff00000000",
        ),
        ("in_port=LOCAL", "in_port=LOCAL"),
        ("in_port=7,dl_vlan=5", "in_port=7,dl_vlan=5"),
        ("dl_vlan=5,dl_vlan_pcp=3", "dl_vlan=5,dl_vlan_pcp=3"),
        ("vlan_tci=0x1000/0x1000", "vlan_tci=0x1000/0x1000"),
        ("vlan_tci=0", "vlan_tci=0x0000"),
        ("dl_vlan=0xffff", "vlan_tci=0x0000"),
        (
            "tun_id=0x64,tun_dst=192.168.77.112",
            "tun_id=0x64,tun_dst=192.168.77.112",
        ),
        ("metadata=0", "metadata=0"),
        (
            "ip,nw_tos=16,nw_ecn=1,nw_ttl=64",
            "ip,nw_tos=16,nw_ecn=1,nw_ttl=64",
        ),
        ("ip,ip_dscp=4", "ip,nw_tos=16"),
        ("ip,nw_frag=later", "ip,nw_frag=later"),
        ("ip,ip_frag=yes", "ip,nw_frag=yes"),
        ("tcp,tcp_flags=+syn-ack", "tcp,tcp_flags=+syn-ack"),
        ("tcp6,ipv6_src=fe80::1/64", "tcp6,ipv6_src=fe80::/64"),
        ("ipv6,ipv6_label=5", "ipv6,ipv6_label=0x00005"),
        (
            "icmp6,icmp_type=135,nd_target=::1,nd_sll=aa:bb:cc:dd:ee:ff",
            "icmp6,icmp_type=135,nd_target=::1,nd_sll=aa:bb:cc:dd:ee:ff",
        ),
        (
            "dl_src=aa:bb:cc:dd:ee:ff,eth_dst=01:00:00:00:00:00/01:00:00:00:00:00",
            "dl_src=aa:bb:cc:dd:ee:ff,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
        ),
        ("conj_id=7,ip", "conj_id=7,ip"),
        ("xreg0=0x100000002", "reg0=0x1,reg1=0x2"),
        ("reg0[0..3]=5,reg0[8]=1", "reg0=0x105/0x10f"),
        (
            "mpls,mpls_label=5,mpls_bos=1",
            "mpls,mpls_label=5,mpls_bos=1",
        ),
        (
            "ct_state=+trk+est,ct_nw_proto=6,ct_tp_dst=80,ip",
            "ct_state=+est+trk,ct_nw_proto=6,ct_tp_dst=80,ip",
        ),
        ("ct_zone=5", "ct_zone=5"),
    ] {
        assert_eq!(norm(input), want, "{input}");
    }
}

#[test]
fn rejects_what_ovs_would_drop_or_refuse() {
    for input in [
        "nw_src=1.2.3.4",
        "tp_dst=80",
        "ip,tp_dst=80",
        "udp,tcp_flags=+syn",
        "arp,nw_ttl=4",
        "icmp6,nd_target=::1",
        "bogus=1",
        "reg0=0x1ffffffff",
        "nw_proto=6/0xf",
        "reg0[0..3]=16",
        "icmp,tp_src=300",
    ] {
        assert!(parse_match(input, None, Version::Of13).is_err(), "{input}");
    }
}
