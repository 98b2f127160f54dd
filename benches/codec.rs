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

#[path = "support/antrea_flows.rs"]
mod antrea_flows;
use antrea_flows::ANTREA_FLOWS;

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
