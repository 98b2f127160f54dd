//! OVSDB benchmark against a real ovsdb-server + ovs-vswitchd (userspace datapath) running in
//! a network namespace this program creates:
//!
//! 1. time to add N internal ports (default 1000, `OVSDB_BENCH_PORTS`) and have ovs-vswitchd
//!    apply them (`cur_cfg` caught up), four ways: ours in one transaction; ours one
//!    transaction per port (each followed by the `next_cfg` wait, like ovs-vsctl); `ovs-vsctl
//!    add-port` in a loop; one `ovs-vsctl` invocation with N `-- add-port` commands; and, for
//!    scale, ours per port and `ovs-vsctl --no-wait` per port with a single wait at the end;
//! 2. latency from an `ovs-vsctl set interface … external_ids:…` to the change event of our
//!    Interface watch (median and p90 over `OVSDB_BENCH_CHANGES`, default 100), next to how long
//!    that ovs-vsctl took to exit; and the same with our own client as the writer.
//!
//! Each port-adding method gets a fresh sandbox. Run with
//! `cargo bench --bench ovsdb_ports` (as root: it creates a namespace).

use std::process::Command;
use std::time::{Duration, Instant};

use ovs_egress::ovsdb::proto::{Condition, Datum, Mutation, Mutator, Operation};
use ovs_egress::ovsdb::vswitch::{
    BridgeSpec, FailMode, InterfaceEvent, InterfaceWatch, PortKind, PortSpec, Vswitch,
};
use ovs_egress::sandbox::{run, Sandbox};

const TIMEOUT: Duration = Duration::from_secs(600);

struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// Daemons first, then the namespace, then the directory.
struct Bench {
    sb: Sandbox,
    _ns: Netns,
    _dir: tempfile::TempDir,
}

fn start(tag: &str) -> Bench {
    let name = format!("ovsdb-bench-{tag}-{}", std::process::id());
    run(Command::new("ip").args(["netns", "add", &name])).expect("ip netns add");
    let ns = Netns(name);
    let dir = tempfile::tempdir().expect("tempdir");
    let sb = Sandbox::start_in(dir.path(), Some(&ns.0)).expect("sandbox");
    Bench {
        sb,
        _ns: ns,
        _dir: dir,
    }
}

fn vsctl(b: &Bench) -> Command {
    let mut c = Command::new("ovs-vsctl");
    c.arg(format!("--db={}", b.sb.db_target()))
        .arg("--timeout=600");
    c
}

fn port_name(i: usize) -> String {
    format!("p{i}")
}

async fn bridge(vs: &Vswitch) {
    let mut br = BridgeSpec::new("br0");
    br.datapath_type = "netdev".into();
    br.fail_mode = Some(FailMode::Secure);
    vs.ensure_bridge(&br).await.expect("bridge");
    vs.sync(TIMEOUT).await.expect("sync");
}

async fn check(b: &Bench, n: usize) {
    let out = run(vsctl(b).args(["list-ports", "br0"])).expect("list-ports");
    assert_eq!(out.lines().count(), n, "port count");
}

async fn ours_one_txn(n: usize) -> Duration {
    let b = start("one");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    let specs: Vec<PortSpec> = (0..n)
        .map(|i| PortSpec::new(&port_name(i), PortKind::Internal))
        .collect();
    let t = Instant::now();
    vs.ensure_ports("br0", &specs).await.expect("ensure_ports");
    let commit = t.elapsed();
    vs.sync(TIMEOUT).await.expect("sync");
    let total = t.elapsed();
    println!("  (commit alone: {commit:.2?})");
    check(&b, n).await;
    total
}

async fn ours_per_port(n: usize) -> Duration {
    let b = start("per");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    let t = Instant::now();
    for i in 0..n {
        let spec = PortSpec::new(&port_name(i), PortKind::Internal);
        vs.ensure_port("br0", &spec).await.expect("ensure_port");
        vs.sync(TIMEOUT).await.expect("sync");
    }
    let total = t.elapsed();
    check(&b, n).await;
    total
}

/// Ours, one transaction per port without waiting, then a single `cur_cfg` wait at the end.
async fn ours_per_port_no_wait(n: usize) -> Duration {
    let b = start("pernw");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    let t = Instant::now();
    for i in 0..n {
        let spec = PortSpec::new(&port_name(i), PortKind::Internal);
        vs.ensure_port("br0", &spec).await.expect("ensure_port");
    }
    println!("  (commits alone: {:.2?})", t.elapsed());
    vs.sync(TIMEOUT).await.expect("sync");
    let total = t.elapsed();
    check(&b, n).await;
    total
}

/// `ovs-vsctl --no-wait add-port` in a loop, then one `ovs-vsctl` wait at the end.
async fn vsctl_loop_no_wait(n: usize) -> Duration {
    let b = start("loopnw");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    let t = Instant::now();
    for i in 0..n {
        let p = port_name(i);
        run(vsctl(&b).args([
            "--no-wait",
            "add-port",
            "br0",
            &p,
            "--",
            "set",
            "interface",
            &p,
            "type=internal",
        ]))
        .expect("add-port");
    }
    println!("  (commits alone: {:.2?})", t.elapsed());
    // Any change makes ovs-vsctl bump next_cfg and wait for cur_cfg.
    run(vsctl(&b).args(["set", "Open_vSwitch", ".", "external_ids:bench=done"])).expect("wait");
    let total = t.elapsed();
    check(&b, n).await;
    total
}

async fn vsctl_loop(n: usize) -> Duration {
    let b = start("loop");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    let t = Instant::now();
    for i in 0..n {
        let p = port_name(i);
        run(vsctl(&b).args([
            "add-port",
            "br0",
            &p,
            "--",
            "set",
            "interface",
            &p,
            "type=internal",
        ]))
        .expect("add-port");
    }
    let total = t.elapsed();
    check(&b, n).await;
    total
}

async fn vsctl_one_invocation(n: usize) -> Duration {
    let b = start("inv");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    let mut cmd = vsctl(&b);
    for i in 0..n {
        let p = port_name(i);
        cmd.args([
            "--",
            "add-port",
            "br0",
            &p,
            "--",
            "set",
            "interface",
            &p,
            "type=internal",
        ]);
    }
    let t = Instant::now();
    run(&mut cmd).expect("ovs-vsctl");
    let total = t.elapsed();
    check(&b, n).await;
    total
}

async fn wait_seq(watch: &mut InterfaceWatch, seq: &str) -> Instant {
    loop {
        let batch = watch.next().await.expect("watch ended").expect("watch");
        let hit = batch.iter().any(|e| {
            matches!(e, InterfaceEvent::Changed { new, .. }
                if new.external_ids.get("seq").map(String::as_str) == Some(seq))
        });
        if hit {
            return Instant::now();
        }
    }
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.2?}, p90 {:.2?}, min {:.2?}, max {:.2?}",
        at(0.5),
        at(0.9),
        v[0],
        v[v.len() - 1]
    )
}

async fn event_latency(changes: usize) {
    let b = start("lat");
    let vs = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    bridge(&vs).await;
    vs.ensure_port("br0", &PortSpec::new("p0", PortKind::Internal))
        .await
        .expect("port");
    vs.sync(TIMEOUT).await.expect("sync");
    let (mut watch, _) = InterfaceWatch::open(&vs).await.expect("watch");
    let (mut to_event, mut to_exit) = (Vec::new(), Vec::new());
    for i in 0..changes {
        let seq = format!("v{i}");
        let mut cmd = tokio::process::Command::new("ovs-vsctl");
        cmd.arg(format!("--db={}", b.sb.db_target()))
            .args(["--no-wait", "set", "interface", "p0"])
            .arg(format!("external_ids:seq={seq}"));
        let t = Instant::now();
        let child = async {
            let st = cmd.status().await.expect("ovs-vsctl");
            assert!(st.success());
            Instant::now()
        };
        let (exit, event) = tokio::join!(child, wait_seq(&mut watch, &seq));
        to_event.push(event - t);
        to_exit.push(exit - t);
    }
    println!("ovs-vsctl change -> our event   : {}", stats(to_event));
    println!("ovs-vsctl start -> its exit     : {}", stats(to_exit));

    // Same path with our own client as the writer (no process start-up).
    let writer = Vswitch::connect(&b.sb.db_target()).await.expect("connect");
    let mut ours = Vec::new();
    for i in 0..changes {
        let seq = format!("w{i}");
        let op = Operation::Mutate {
            table: "Interface".into(),
            conditions: vec![Condition::eq("name", "p0")],
            mutations: vec![Mutation::new(
                "external_ids",
                Mutator::Insert,
                Datum::string_map([("seq2", "x")]),
            )],
        };
        let set = Operation::Update {
            table: "Interface".into(),
            conditions: vec![Condition::eq("name", "p0")],
            row: [(
                "external_ids".to_owned(),
                Datum::string_map([("seq", seq.as_str())]),
            )]
            .into(),
        };
        let t = Instant::now();
        let txn = async {
            writer.transact(&[set, op]).await.expect("transact");
        };
        let (_, event) = tokio::join!(txn, wait_seq(&mut watch, &seq));
        ours.push(event - t);
    }
    println!("our transact -> our event       : {}", stats(ours));
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let n = env_usize("OVSDB_BENCH_PORTS", 1000);
    let changes = env_usize("OVSDB_BENCH_CHANGES", 100);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("adding {n} internal ports to a netdev bridge, until cur_cfg catches up:");
        let d = ours_one_txn(n).await;
        println!("ours, one transaction           : {d:.2?}");
        let d = vsctl_one_invocation(n).await;
        println!("ovs-vsctl, one invocation       : {d:.2?}");
        let d = ours_per_port_no_wait(n).await;
        println!("ours, txn per port, one wait    : {d:.2?}");
        let d = vsctl_loop_no_wait(n).await;
        println!("ovs-vsctl --no-wait loop, 1 wait: {d:.2?}");
        let d = ours_per_port(n).await;
        println!("ours, one transaction per port  : {d:.2?}");
        let d = vsctl_loop(n).await;
        println!("ovs-vsctl add-port in a loop    : {d:.2?}");
        event_latency(changes).await;
    });
}
