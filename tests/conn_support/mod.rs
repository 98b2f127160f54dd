//! Shared helpers of the connection tests: a sandboxed switch, hand-built flows, ovs-ofctl as
//! the oracle.
#![allow(dead_code)]

use ovs_egress::ofproto::codec::action::Action;
use ovs_egress::ofproto::codec::{Field, FlowMod, Instruction, Match, PortNo, Value, Version};
use ovs_egress::ofproto::conn::{Switch, SwitchOptions, Target};
use ovs_egress::sandbox::Sandbox;
use std::time::Duration;

/// Tests of one binary run one at a time: each starts its own ovs-vswitchd, and several at
/// once on a loaded 2-core box make the daemons miss their startup deadlines.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

/// The bridge every test uses.
pub const BR: &str = "br0";

/// A sandbox with one bridge (OpenFlow 1.0, 1.3 and 1.5 enabled).
pub fn sandbox() -> Sandbox {
    let sb = Sandbox::start().expect("start OVS sandbox");
    sb.add_bridge(BR).expect("add bridge");
    sb
}

/// Options for tests: given versions, fast reconnects, a generous timeout for a loaded box.
pub fn opts(versions: &[Version]) -> SwitchOptions {
    SwitchOptions {
        versions: versions.to_vec(),
        request_timeout: Duration::from_secs(60),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(500),
        ..SwitchOptions::default()
    }
}

/// Connects to the sandbox's bridge through its management socket.
pub async fn connect(sb: &Sandbox, versions: &[Version]) -> Switch {
    Switch::connect(Target::Unix(sb.mgmt_sock(BR)), opts(versions))
        .await
        .expect("connect to the sandbox switch")
}

/// `table=TABLE, priority=PRIORITY, cookie=COOKIE, reg0=REG0 actions=output:OUT`.
pub fn flow(table: u8, priority: u16, cookie: u64, reg0: u32, out: u16) -> FlowMod {
    let mut m = Match::new();
    m.set(Field::Reg0, Value::from_u64(4, reg0 as u64));
    FlowMod {
        table_id: table,
        priority,
        cookie,
        match_: m,
        instructions: vec![Instruction::ApplyActions(vec![Action::Output {
            port: PortNo(out),
            max_len: 0,
        }])],
        ..FlowMod::default()
    }
}

/// A flow-mod the switch refuses when it decodes it: goto_table to the same table
/// (`OFPBIC_BAD_TABLE_ID`).
pub fn bad_goto(table: u8, reg0: u32) -> FlowMod {
    let mut f = flow(table, 10, 0, reg0, 1);
    f.instructions = vec![Instruction::GotoTable(table)];
    f
}

/// `ovs-ofctl -O VERSION --no-stats dump-flows br0 [extra]`, one flow per line, sorted.
pub fn ofctl_flows(sb: &Sandbox, version: Version, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "-O",
        version.protocol_name(),
        "--no-stats",
        "dump-flows",
        BR,
    ];
    args.extend_from_slice(extra);
    let out = tokio::task::block_in_place(|| sb.ofctl(&args)).expect("ovs-ofctl dump-flows");
    let mut v: Vec<String> = out.lines().map(|l| l.trim().to_owned()).collect();
    v.sort();
    v
}

/// Runs a blocking sandbox call from async code.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}
