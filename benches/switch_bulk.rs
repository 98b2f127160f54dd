//! Bulk install and dump against a real ovs-vswitchd, ours side by side with ovs-ofctl
//! (testbed-notes §8 baselines). One run of this binary = one machine, one session:
//!
//! - install: 100,000 distinct flows in one bundle: `ovs-ofctl --bundle add-flows FILE` vs
//!   `flow-dump add-flows FILE` (both are whole processes: parse, send, commit, exit), and the
//!   library alone (`Switch::bundle` of already-parsed flow-mods);
//! - dump: the 100,000 flows, `ovs-ofctl dump-flows > /dev/null` (its streaming fast path) vs
//!   `flow-dump dump-flows > /dev/null` (same output path), and the library alone
//!   (`Switch::dump_flows`, decoded flows, no text).
//!
//! Wall time, `del-flows` before every install, repetitions interleaved; medians and their
//! ratios are printed. Not a test: nothing is asserted about speed.
//!
//! `cargo bench --bench switch_bulk` (env `BULK_FLOWS`, `BULK_REPS` to change the size).

use ovs_egress::ofproto::codec::message::multipart::FlowStatsRequest;
use ovs_egress::ofproto::codec::message::Message;
use ovs_egress::ofproto::codec::{FlowModCommand, Version};
use ovs_egress::ofproto::conn::{Switch, SwitchOptions, Target};
use ovs_egress::ofproto::text::flow::parse_flow;
use ovs_egress::ofproto::text::TextContext;
use ovs_egress::sandbox::Sandbox;
use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The flows of testbed-notes §8: `table=0,priority=200,ip,nw_src=10.x.y.z,actions=...`.
fn flow_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "table=0,priority=200,ip,nw_src=10.{}.{}.{},actions=load:0x1->NXM_NX_REG0[0..3],goto_table:10",
                (i >> 16) & 0xff,
                (i >> 8) & 0xff,
                i & 0xff
            )
        })
        .collect()
}

fn run(program: &str, args: &[&str], to_null: bool) -> Duration {
    let mut cmd = Command::new(program);
    cmd.args(args).stderr(Stdio::inherit());
    if to_null {
        cmd.stdout(File::create("/dev/null").expect("/dev/null"));
    } else {
        cmd.stdout(Stdio::null());
    }
    let t = Instant::now();
    let status = cmd.status().expect("spawn");
    let d = t.elapsed();
    assert!(status.success(), "{program} {args:?}: {status}");
    d
}

fn count_flows(target: &str, proto: &str) -> usize {
    let out = Command::new("ovs-ofctl")
        .args(["-O", proto, "--no-stats", "dump-flows", target])
        .output()
        .expect("ovs-ofctl");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn show(name: &str, v: &mut [Duration], n: usize) -> Duration {
    let m = median(v);
    let all: Vec<String> = v
        .iter()
        .map(|d| format!("{:.3}", d.as_secs_f64()))
        .collect();
    println!(
        "  {name:<44} median {:>7.3} s  ({:>8.0} flows/s)  runs [{}]",
        m.as_secs_f64(),
        n as f64 / m.as_secs_f64(),
        all.join(", ")
    );
    m
}

fn main() {
    let n = env_usize("BULK_FLOWS", 100_000);
    let reps = env_usize("BULK_REPS", 3).max(1);
    let flow_dump = env!("CARGO_BIN_EXE_flow-dump");
    let sb = Sandbox::start().expect("sandbox");
    sb.add_bridge("br0").expect("bridge");
    let target = sb.of_target("br0");
    let file = sb.dir().join("bulk.txt");
    let lines = flow_lines(n);
    std::fs::write(&file, lines.join("\n") + "\n").expect("write flows");
    let file = file.to_str().expect("utf-8 path").to_owned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    println!("switch_bulk: {n} flows, {reps} repetitions, ovs-vswitchd userspace datapath");
    for (proto, version) in [("OpenFlow13", Version::Of13), ("OpenFlow15", Version::Of15)] {
        let del = |_: ()| run("ovs-ofctl", &["-O", proto, "del-flows", &target], false);
        let (mut ofctl_add, mut ours_add, mut lib_add) = (vec![], vec![], vec![]);
        let (mut ofctl_dump, mut ours_dump, mut lib_dump) = (vec![], vec![], vec![]);
        let ctx = TextContext::new(version);
        let parsed: Vec<Message> = lines
            .iter()
            .map(|l| Message::FlowMod(parse_flow(l, FlowModCommand::Add, &ctx).expect("parse")))
            .collect();
        let sw = rt
            .block_on(Switch::connect(
                Target::Unix(sb.mgmt_sock("br0")),
                SwitchOptions {
                    versions: vec![version],
                    ..SwitchOptions::default()
                },
            ))
            .expect("connect");
        for _ in 0..reps {
            del(());
            ofctl_add.push(run(
                "ovs-ofctl",
                &["-O", proto, "--bundle", "add-flows", &target, &file],
                false,
            ));
            assert_eq!(count_flows(&target, proto), n);
            for _ in 0..2 {
                ofctl_dump.push(run(
                    "ovs-ofctl",
                    &["-O", proto, "dump-flows", &target],
                    true,
                ));
                ours_dump.push(run(flow_dump, &["-O", proto, "dump-flows", &target], true));
                let t = Instant::now();
                let got = rt
                    .block_on(sw.dump_flows(FlowStatsRequest::default()))
                    .expect("dump");
                lib_dump.push(t.elapsed());
                assert_eq!(got.len(), n);
            }

            del(());
            ours_add.push(run(
                flow_dump,
                &["-O", proto, "add-flows", &target, &file],
                false,
            ));
            assert_eq!(count_flows(&target, proto), n);

            del(());
            let msgs = parsed.clone();
            let t = Instant::now();
            rt.block_on(sw.bundle(msgs)).expect("bundle");
            lib_add.push(t.elapsed());
            assert_eq!(count_flows(&target, proto), n);
        }
        println!("{proto}:");
        let base_add = show("install: ovs-ofctl --bundle add-flows", &mut ofctl_add, n);
        let our_add = show("install: flow-dump add-flows", &mut ours_add, n);
        let lib = show(
            "install: Switch::bundle (parsed flow-mods)",
            &mut lib_add,
            n,
        );
        let base_dump = show("dump: ovs-ofctl dump-flows > /dev/null", &mut ofctl_dump, n);
        let our_dump = show("dump: flow-dump dump-flows > /dev/null", &mut ours_dump, n);
        let lib_d = show(
            "dump: Switch::dump_flows (decoded, no text)",
            &mut lib_dump,
            n,
        );
        let r = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "  ratios vs ovs-ofctl: install {:.2}x (library {:.2}x), dump {:.2}x (library {:.2}x)",
            r(our_add, base_add),
            r(lib, base_add),
            r(our_dump, base_dump),
            r(lib_d, base_dump)
        );
    }
}
