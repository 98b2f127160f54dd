//! OpenFlow codec speed on a realistic mix of Antrea-style flow-mods (classifier, conntrack,
//! SNAT/egress marking, NAT, policy conjunctions, ARP responder, L3 forwarding), OpenFlow 1.5
//! (what Antrea speaks) and 1.3: encoding into one reused buffer, decoding whole messages, and
//! decoding a 100-flow stats reply. Issue goal: >= 5 M encodes/s and >= 3 M decodes/s per core,
//! i.e. <= 200 ns per encode and <= 333 ns per decode.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ovs_egress::ofproto::codec::flow::{FlowMod, FlowModCommand, FlowStats};
use ovs_egress::ofproto::codec::message::{decode, encode, Message, MpReply, MultipartReply};
use ovs_egress::ofproto::codec::Version;
use ovs_egress::ofproto::text::flow::parse_flow;
use ovs_egress::ofproto::text::TextContext;
use std::hint::black_box;

/// Flows in the shape of Antrea's pipeline (docs/design/ovs-pipeline.md), tables as numbers.
const ANTREA_FLOWS: &[&str] = &[
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

fn flows(version: Version) -> Vec<FlowMod> {
    let ctx = TextContext::new(version);
    ANTREA_FLOWS
        .iter()
        .map(|t| parse_flow(t, FlowModCommand::Add, &ctx).unwrap_or_else(|e| panic!("{t}: {e}")))
        .collect()
}

fn bench(c: &mut Criterion) {
    for version in [Version::Of15, Version::Of13] {
        let msgs: Vec<Message> = flows(version).into_iter().map(Message::FlowMod).collect();
        let n = msgs.len() as u64;
        let mut group = c.benchmark_group(format!("flow_mod_{}", version.protocol_name()));
        group.throughput(Throughput::Elements(n));

        let mut buf = BytesMut::with_capacity(64 * 1024);
        group.bench_function("encode", |b| {
            b.iter(|| {
                buf.clear();
                for (i, m) in msgs.iter().enumerate() {
                    encode(version, i as u32, black_box(m), &mut buf).unwrap();
                }
                black_box(buf.len())
            })
        });

        let wire: Vec<Vec<u8>> = msgs
            .iter()
            .map(|m| {
                let mut b = BytesMut::new();
                encode(version, 1, m, &mut b).unwrap();
                b.to_vec()
            })
            .collect();
        let bytes: usize = wire.iter().map(Vec::len).sum();
        eprintln!(
            "{}: {} flow-mods, {} bytes, {:.0} bytes/flow-mod",
            version.protocol_name(),
            n,
            bytes,
            bytes as f64 / n as f64
        );
        group.bench_function("decode", |b| {
            b.iter(|| {
                for w in &wire {
                    black_box(decode(black_box(w)).unwrap());
                }
            })
        });
        group.finish();

        // A flow-stats reply of 100 flows (a dump page), decoded.
        let stats: Vec<FlowStats> = flows(version)
            .into_iter()
            .cycle()
            .take(100)
            .map(|fm| FlowStats {
                table_id: fm.table_id,
                duration_sec: 100,
                duration_nsec: 5_000_000,
                priority: fm.priority,
                cookie: fm.cookie,
                packet_count: 12345,
                byte_count: 1_234_567,
                idle_age: (version == Version::Of15).then_some(3),
                match_: fm.match_,
                instructions: fm.instructions,
                ..FlowStats::default()
            })
            .collect();
        let reply = Message::MultipartReply(MultipartReply {
            flags: 0,
            body: MpReply::Flow(stats),
        });
        let mut b = BytesMut::new();
        encode(version, 1, &reply, &mut b).unwrap();
        let mut group = c.benchmark_group(format!("flow_stats_reply_{}", version.protocol_name()));
        group.throughput(Throughput::Elements(100));
        group.bench_with_input(BenchmarkId::new("decode", 100), &b[..], |bn, w| {
            bn.iter(|| black_box(decode(black_box(w)).unwrap()))
        });
        group.finish();
    }
}

/// The message layer alone: flow-mods whose match is empty and whose only instruction is a
/// goto_table, so the time is header, fixed fields, length patching and dispatch.
fn bench_message_layer(c: &mut Criterion) {
    use ovs_egress::ofproto::codec::instruction::Instruction;
    let msgs: Vec<Message> = (0..18u8)
        .map(|i| {
            Message::FlowMod(FlowMod {
                table_id: i,
                priority: 100 + i as u16,
                cookie: i as u64,
                instructions: vec![Instruction::GotoTable(i + 1)],
                ..FlowMod::default()
            })
        })
        .collect();
    let mut group = c.benchmark_group("message_layer_only_OpenFlow15");
    group.throughput(Throughput::Elements(msgs.len() as u64));
    let mut buf = BytesMut::with_capacity(4096);
    group.bench_function("encode", |b| {
        b.iter(|| {
            buf.clear();
            for m in &msgs {
                encode(Version::Of15, 1, black_box(m), &mut buf).unwrap();
            }
            black_box(buf.len())
        })
    });
    let wire: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| {
            let mut b = BytesMut::new();
            encode(Version::Of15, 1, m, &mut b).unwrap();
            b.to_vec()
        })
        .collect();
    group.bench_function("decode", |b| {
        b.iter(|| {
            for w in &wire {
                black_box(decode(black_box(w)).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_message_layer);
criterion_main!(benches);
