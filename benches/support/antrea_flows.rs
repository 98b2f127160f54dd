//! The Antrea-style flow-mod mix shared by the codec benchmarks (`benches/codec.rs`,
//! `benches/codec_cpu.rs`): 18 flows in the shape of Antrea's pipeline.

/// Flows in the shape of Antrea's pipeline (docs/design/ovs-pipeline.md), tables as numbers.
pub const ANTREA_FLOWS: &[&str] = &[
    "table=0,priority=200,in_port=2,actions=load:0x1->NXM_NX_REG0[0..3],load:0x1->NXM_NX_REG0[9],goto_table:10",
    "table=0,priority=190,in_port=5,actions=load:0x3->NXM_NX_REG0[0..3],goto_table:10",
    "table=10,priority=200,ip,reg0=0x3/0xf,in_port=5,dl_src=aa:bb:cc:dd:ee:01,nw_src=10.10.0.5,actions=goto_table:20",
    "table=20,priority=200,arp,arp_tpa=10.10.0.1,arp_op=1,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:aa:bb:cc:dd:ee:ff->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:10.10.0.1->arp_spa,IN_PORT",
    "table=30,priority=200,ip,actions=ct(table=31,zone=65520,nat)",
    "table=31,priority=190,ct_state=+inv+trk,ip,actions=drop",
    "table=31,priority=210,ct_state=-new+rpl+trk,ct_mark=0x2/0x3f,ip,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:aa:bb:cc:dd:ee:ff->eth_src,goto_table:42",
    "table=40,priority=190,ct_state=-new+trk,ct_mark=0/0x10,ip,actions=goto_table:50",
    "table=50,priority=14500,conj_id=7,ip,actions=load:0x7->NXM_NX_REG5[],ct(commit,table=61,zone=65520,exec(load:0x7->NXM_NX_CT_LABEL[32..63]))",
    "table=50,priority=200,ip,nw_src=10.10.0.5,actions=conjunction(7,1/2)",
    "table=50,priority=200,tcp,tp_dst=443,actions=conjunction(7,2/2)",
    "table=61,priority=200,ct_state=+new+trk,ip,nw_src=10.10.0.5,actions=set_field:0x1/0xff->pkt_mark,load:0x2->NXM_NX_REG0[4..7],goto_table:70",
    "table=61,priority=200,ct_state=+new+trk,ip,tun_dst=192.168.77.112,actions=set_field:0x1/0xff->pkt_mark,set_field:0x20/0xf0->reg0,goto_table:70",
    "table=70,priority=200,ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf,actions=ct(commit,table=80,zone=65521,nat(src=169.254.0.253),exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark,set_field:0x40/0x40->ct_mark))",
    "table=70,priority=200,ip,reg0=0x2/0xf,nw_dst=10.10.1.0/24,actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:0a:00:00:00:00:01->eth_dst,set_field:192.168.77.112->tun_dst,load:0x1->NXM_NX_REG0[4..7],goto_table:80",
    "table=80,priority=200,dl_dst=aa:bb:cc:dd:ee:01,actions=load:0x5->NXM_NX_REG1[],load:0x1->NXM_NX_REG0[16],goto_table:90",
    "table=90,priority=200,ip,reg0=0x10000/0x10000,actions=output:NXM_NX_REG1[]",
    "table=90,priority=0,actions=drop",
];
