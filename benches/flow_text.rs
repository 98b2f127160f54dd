//! Match wire codec and flow text speed on Antrea-style flows: `Match` encode/decode
//! (OpenFlow 1.5 and 1.3), flow-line parsing, and dump-flows line printing.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ovs_egress::ofproto::codec::flow::{FlowModCommand, FlowStats};
use ovs_egress::ofproto::codec::{Match, Reader, Version};
use ovs_egress::ofproto::text::flow::{format_flow_stats, parse_flow, FlowStatsFormat};
use ovs_egress::ofproto::text::TextContext;
use std::hint::black_box;

const FLOWS: &[&str] = &[
    "table=0,priority=200,in_port=2,actions=goto_table:10",
    "table=10,priority=200,ip,reg0=0x3/0xf,in_port=5,dl_src=aa:bb:cc:dd:ee:01,nw_src=10.10.0.5,actions=goto_table:20",
    "table=20,priority=200,arp,arp_tpa=10.10.0.1,arp_op=1,actions=IN_PORT",
    "table=31,priority=210,ct_state=-new+rpl+trk,ct_mark=0x2/0x3f,ip,actions=goto_table:42",
    "table=40,priority=190,ct_state=-new+trk,ct_mark=0/0x10,ip,actions=goto_table:50",
    "table=50,priority=14500,conj_id=7,ip,actions=drop",
    "table=50,priority=200,tcp,tp_dst=443,actions=conjunction(7,2/2)",
    "table=61,priority=200,ct_state=+new+trk,ip,tun_dst=192.168.77.112,actions=drop",
    "table=70,priority=200,ct_state=+new+trk,ct_mark=0x40/0x40,ip,reg0=0x2/0xf,actions=drop",
    "table=70,priority=200,ip,reg0=0x2/0xf,nw_dst=10.10.1.0/24,actions=drop",
    "table=80,priority=200,dl_dst=aa:bb:cc:dd:ee:01,actions=drop",
    "table=90,priority=0,actions=drop",
];

fn bench(c: &mut Criterion) {
    for version in [Version::Of15, Version::Of13] {
        let ctx = TextContext::new(version);
        let fms: Vec<_> = FLOWS
            .iter()
            .map(|t| parse_flow(t, FlowModCommand::Add, &ctx).unwrap())
            .collect();
        let matches: Vec<Match> = fms.iter().map(|f| f.match_.clone()).collect();
        let n = matches.len() as u64;
        let mut group = c.benchmark_group(format!("match_{}", version.protocol_name()));
        group.throughput(Throughput::Elements(n));
        let mut buf = BytesMut::with_capacity(16 * 1024);
        group.bench_function("encode", |b| {
            b.iter(|| {
                buf.clear();
                for m in &matches {
                    black_box(m).encode(&mut buf, version).unwrap();
                }
                black_box(buf.len())
            })
        });
        let encoded: Vec<Vec<u8>> = matches
            .iter()
            .map(|m| {
                let mut b = BytesMut::new();
                m.encode(&mut b, version).unwrap();
                b.to_vec()
            })
            .collect();
        group.bench_function("decode", |b| {
            b.iter(|| {
                for e in &encoded {
                    black_box(Match::decode(&mut Reader::new(black_box(e)), version).unwrap());
                }
            })
        });
        group.bench_function("parse_flow", |b| {
            b.iter(|| {
                for t in FLOWS {
                    black_box(parse_flow(black_box(t), FlowModCommand::Add, &ctx).unwrap());
                }
            })
        });
        let stats: Vec<FlowStats> = fms
            .iter()
            .map(|f| FlowStats {
                table_id: f.table_id,
                priority: f.priority,
                duration_sec: 12,
                duration_nsec: 345_000_000,
                match_: f.match_.clone(),
                instructions: f.instructions.clone(),
                ..FlowStats::default()
            })
            .collect();
        group.bench_function("format_flow_stats", |b| {
            b.iter(|| {
                for s in &stats {
                    black_box(format_flow_stats(
                        black_box(s),
                        &FlowStatsFormat::default(),
                        &ctx,
                    ));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
