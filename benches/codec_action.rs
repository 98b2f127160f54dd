//! Cost of encoding, decoding, printing and parsing the instructions of a realistic mix of
//! Antrea-style flows (ct with nat and exec, masked set_field, conjunction, resubmit, goto_table,
//! move, learn), in OpenFlow 1.3 and 1.5. Reported per instruction list (one flow's actions).

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ovs_egress::ofproto::codec::instruction::{decode_instructions, encode_instructions};
use ovs_egress::ofproto::codec::{Reader, Version};
use ovs_egress::ofproto::text::action::{format_instructions, parse_instructions};
use ovs_egress::ofproto::text::TextContext;

const MIX: &[&str] = &[
    "ct(commit,table=5,zone=65521,nat(src=169.254.0.253),exec(set_field:0x10/0x10->ct_mark,set_field:0x20/0x20->ct_mark))",
    "set_field:0x1/0xff->pkt_mark,set_field:0x20/0xf0->reg0,goto_table:20",
    "conjunction(2,2/3),conjunction(1,2/3)",
    "set_field:0xa->reg13,set_field:0xc->reg11,set_field:0xb->reg12,set_field:0xb->metadata,mod_dl_src:02:42:ac:12:00:03,resubmit(,8)",
    "move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],move:NXM_NX_REG0[0..15]->NXM_NX_REG15[0..15],resubmit(,40)",
    "ct(table=3,zone=65520,nat)",
    "set_field:0x7->reg5,ct(commit,table=6,zone=65520,exec(set_field:0x700000000/0xffffffff00000000->ct_label))",
    "set_field:192.168.77.103->tun_dst,set_field:0x1/0xf->reg0,set_field:0x200/0x200->reg0,goto_table:30",
    "output:2",
    "learn(table=9,idle_timeout=60,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG1[0..15]),goto_table:10",
];

fn bench(c: &mut Criterion) {
    for (version, name) in [(Version::Of13, "of13"), (Version::Of15, "of15")] {
        let ctx = TextContext::new(version);
        let lists: Vec<_> = MIX
            .iter()
            .map(|s| parse_instructions(s, &ctx).expect("parse"))
            .collect();
        let wire: Vec<Vec<u8>> = lists
            .iter()
            .map(|l| {
                let mut b = BytesMut::new();
                encode_instructions(l, &mut b, version).expect("encode");
                b.to_vec()
            })
            .collect();
        let texts: Vec<String> = lists
            .iter()
            .map(|l| {
                let mut s = String::new();
                format_instructions(l, &ctx, &mut s);
                s
            })
            .collect();
        let mut g = c.benchmark_group(format!("actions_{name}"));
        g.throughput(Throughput::Elements(MIX.len() as u64));
        g.bench_function("encode", |b| {
            let mut out = BytesMut::with_capacity(4096);
            b.iter(|| {
                for l in &lists {
                    out.clear();
                    encode_instructions(l, &mut out, version).expect("encode");
                }
                out.len()
            })
        });
        g.bench_function("decode", |b| {
            b.iter(|| {
                let mut n = 0;
                for w in &wire {
                    n += decode_instructions(&mut Reader::new(w), version)
                        .expect("decode")
                        .len();
                }
                n
            })
        });
        g.bench_function("format", |b| {
            let mut s = String::with_capacity(4096);
            b.iter(|| {
                for l in &lists {
                    s.clear();
                    format_instructions(l, &ctx, &mut s);
                }
                s.len()
            })
        });
        g.bench_function("parse", |b| {
            b.iter(|| {
                let mut n = 0;
                for t in &texts {
                    n += parse_instructions(t, &ctx).expect("parse").len();
                }
                n
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
