//! Codec and flow-text cost per operation measured in **thread CPU time**
//! (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`), next to wall time, so that numbers taken on a
//! loaded shared machine stay comparable: time the thread spends waiting for a core is not
//! counted. (Cache and frequency effects of the neighbours still are; compare runs of the same
//! day, or use the instruction counts of `scripts/callgrind-codec`.)
//!
//! Cases (the Antrea-style mix of `benches/support/antrea_flows.rs`, 18 flow-mods, and the
//! dump shape of `benches/switch_bulk.rs`):
//! - `flow_mod_encode_OF1x` / `flow_mod_decode_OF1x`: whole OFPT_FLOW_MOD messages, per message
//!   (issue 2 goal: <= 200 ns encode, <= 333 ns decode);
//! - `match_*` / `instructions_*`: the two halves of a flow-mod alone;
//! - `stats_reply_decode_OF1x`: a 100-flow OFPMP_FLOW reply of the mix, per flow;
//! - `dump_line_OF1x`: decode + `ovs-ofctl dump-flows` line of the switch_bulk flows, per flow
//!   (what `flow-dump dump-flows` spends per flow besides the socket).
//!
//! Usage: `cargo bench --bench codec_cpu` (env `CODEC_CPU_FILTER=substring` to pick cases).
//! With `CODEC_CPU_ITERS=N` each selected case runs exactly N iterations without timing, for
//! instruction counting under callgrind (see `scripts/callgrind-codec`).

#[path = "support/antrea_flows.rs"]
mod antrea_flows;

use antrea_flows::ANTREA_FLOWS;
use bytes::BytesMut;
use ovs_egress::ofproto::codec::flow::{FlowMod, FlowModCommand, FlowStats};
use ovs_egress::ofproto::codec::instruction::{decode_instructions, encode_instructions};
use ovs_egress::ofproto::codec::message::{decode, encode, Message, MpReply, MultipartReply};
use ovs_egress::ofproto::codec::{Match, Reader, Version};
use ovs_egress::ofproto::text::flow::{format_flow_stats, parse_flow, FlowStatsFormat};
use ovs_egress::ofproto::text::TextContext;
use std::hint::black_box;
use std::time::Instant;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// One benchmark case: `ops` operations per call of `run`.
struct Case<'a> {
    name: String,
    ops: usize,
    run: Box<dyn FnMut() + 'a>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

fn measure(case: &mut Case<'_>) {
    if let Some(n) = env("CODEC_CPU_ITERS").and_then(|s| s.parse::<usize>().ok()) {
        for _ in 0..n {
            (case.run)();
        }
        println!("{}: ran {} iterations", case.name, n);
        return;
    }
    // Warm up and calibrate: one sample is about 40 ms of CPU.
    let mut iters = 1usize;
    loop {
        let c = thread_cpu_ns();
        for _ in 0..iters {
            (case.run)();
        }
        let spent = thread_cpu_ns() - c;
        if spent > 10_000_000 {
            iters = (iters as u128 * 40_000_000 / spent as u128).max(1) as usize;
            break;
        }
        iters *= 4;
    }
    let samples = 11;
    let mut cpu = Vec::with_capacity(samples);
    let mut wall = Vec::with_capacity(samples);
    for _ in 0..samples {
        let c = thread_cpu_ns();
        let w = Instant::now();
        for _ in 0..iters {
            (case.run)();
        }
        let w = w.elapsed().as_nanos() as f64;
        let c = (thread_cpu_ns() - c) as f64;
        let per = (iters * case.ops) as f64;
        cpu.push(c / per);
        wall.push(w / per);
    }
    cpu.sort_by(f64::total_cmp);
    wall.sort_by(f64::total_cmp);
    println!(
        "{:<28} cpu min {:>8.1} ns  median {:>8.1} ns   wall median {:>8.1} ns   ({} ops x {} x {})",
        case.name,
        cpu[0],
        cpu[samples / 2],
        wall[samples / 2],
        case.ops,
        iters,
        samples
    );
}

fn flows(version: Version) -> Vec<FlowMod> {
    let ctx = TextContext::new(version);
    ANTREA_FLOWS
        .iter()
        .map(|t| parse_flow(t, FlowModCommand::Add, &ctx).unwrap_or_else(|e| panic!("{t}: {e}")))
        .collect()
}

fn encoded(version: Version, msg: &Message) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode(version, 1, msg, &mut b).expect("encode");
    b.to_vec()
}

fn stats_of(fm: FlowMod, version: Version) -> FlowStats {
    FlowStats {
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
    }
}

/// A flow-stats reply of `flows`, encoded.
fn stats_reply(version: Version, flows: Vec<FlowStats>) -> Vec<u8> {
    encoded(
        version,
        &Message::MultipartReply(MultipartReply {
            flags: 0,
            body: MpReply::Flow(flows),
        }),
    )
}

fn decode_stats(wire: &[u8]) -> Vec<FlowStats> {
    match decode(wire).expect("decode").1 {
        Message::MultipartReply(MultipartReply {
            body: MpReply::Flow(f),
            ..
        }) => f,
        m => panic!("not a flow stats reply: {m:?}"),
    }
}

/// The flows of `benches/switch_bulk.rs` (testbed-notes §8).
fn bulk_flows(version: Version, n: usize) -> Vec<FlowStats> {
    let ctx = TextContext::new(version);
    (0..n)
        .map(|i| {
            let line = format!(
                "table=0,priority=200,ip,nw_src=10.{}.{}.{},actions=load:0x1->NXM_NX_REG0[0..3],goto_table:10",
                (i >> 16) & 0xff,
                (i >> 8) & 0xff,
                i & 0xff
            );
            let fm = parse_flow(&line, FlowModCommand::Add, &ctx).expect("parse");
            let mut fs = stats_of(fm, version);
            fs.duration_sec = 12 + i as u32 % 7;
            fs.duration_nsec = 345_000_000;
            fs.packet_count = 0;
            fs.byte_count = 0;
            fs
        })
        .collect()
}

fn cases_for(version: Version) -> Vec<Case<'static>> {
    let v = version.protocol_name();
    let fms = flows(version);
    let msgs: Vec<Message> = fms.iter().cloned().map(Message::FlowMod).collect();
    let wire: Vec<Vec<u8>> = msgs.iter().map(|m| encoded(version, m)).collect();
    let matches: Vec<Match> = fms.iter().map(|f| f.match_.clone()).collect();
    let match_wire: Vec<Vec<u8>> = matches
        .iter()
        .map(|m| {
            let mut b = BytesMut::new();
            m.encode(&mut b, version).expect("encode match");
            b.to_vec()
        })
        .collect();
    let ins: Vec<_> = fms.iter().map(|f| f.instructions.clone()).collect();
    let ins_wire: Vec<Vec<u8>> = ins
        .iter()
        .map(|i| {
            let mut b = BytesMut::new();
            encode_instructions(i, &mut b, version).expect("encode instructions");
            b.to_vec()
        })
        .collect();
    let reply = stats_reply(
        version,
        fms.iter()
            .cloned()
            .cycle()
            .take(100)
            .map(|f| stats_of(f, version))
            .collect(),
    );
    let bulk = stats_reply(version, bulk_flows(version, 100));
    let n = msgs.len();

    let mut out = Vec::new();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let m = msgs.clone();
    out.push(Case {
        name: format!("flow_mod_encode_{v}"),
        ops: n,
        run: Box::new(move || {
            buf.clear();
            for (i, msg) in m.iter().enumerate() {
                encode(version, i as u32, black_box(msg), &mut buf).expect("encode");
            }
            black_box(buf.len());
        }),
    });
    let w = wire.clone();
    out.push(Case {
        name: format!("flow_mod_decode_{v}"),
        ops: n,
        run: Box::new(move || {
            for x in &w {
                black_box(decode(black_box(x)).expect("decode"));
            }
        }),
    });
    let mut buf = BytesMut::with_capacity(64 * 1024);
    out.push(Case {
        name: format!("match_encode_{v}"),
        ops: n,
        run: Box::new(move || {
            buf.clear();
            for m in &matches {
                black_box(m).encode(&mut buf, version).expect("encode");
            }
            black_box(buf.len());
        }),
    });
    out.push(Case {
        name: format!("match_decode_{v}"),
        ops: n,
        run: Box::new(move || {
            for x in &match_wire {
                black_box(Match::decode(&mut Reader::new(black_box(x)), version).expect("decode"));
            }
        }),
    });
    let mut buf = BytesMut::with_capacity(64 * 1024);
    out.push(Case {
        name: format!("instructions_encode_{v}"),
        ops: n,
        run: Box::new(move || {
            buf.clear();
            for i in &ins {
                encode_instructions(black_box(i), &mut buf, version).expect("encode");
            }
            black_box(buf.len());
        }),
    });
    out.push(Case {
        name: format!("instructions_decode_{v}"),
        ops: n,
        run: Box::new(move || {
            for x in &ins_wire {
                black_box(
                    decode_instructions(&mut Reader::new(black_box(x)), version).expect("decode"),
                );
            }
        }),
    });
    out.push(Case {
        name: format!("stats_reply_decode_{v}"),
        ops: 100,
        run: Box::new(move || {
            black_box(decode_stats(black_box(&reply)));
        }),
    });
    let ctx = TextContext::new(version);
    let fmt = FlowStatsFormat::default();
    let mut text = String::with_capacity(64 * 1024);
    out.push(Case {
        name: format!("dump_line_{v}"),
        ops: 100,
        run: Box::new(move || {
            text.clear();
            for fs in &decode_stats(black_box(&bulk)) {
                text.push_str(&format_flow_stats(fs, &fmt, &ctx));
                text.push('\n');
            }
            black_box(text.len());
        }),
    });
    out
}

fn main() {
    let filter = env("CODEC_CPU_FILTER");
    println!(
        "codec_cpu: per-operation thread CPU time (min, median of 11 samples) and wall time; \
         load average {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for version in [Version::Of15, Version::Of13] {
        for mut case in cases_for(version) {
            if filter.as_deref().is_some_and(|f| !case.name.contains(f)) {
                continue;
            }
            measure(&mut case);
        }
    }
}
