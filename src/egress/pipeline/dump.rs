//! Text forms of flows, as `ovs-ofctl` prints and reads them: the desired flows as
//! `ovs-ofctl -O OpenFlow15 --no-stats dump-flows` lists them (for `flow-dump`, tests and
//! humans), and flow-mods as an `ovs-ofctl bundle` file (one atomic bundle per bridge).

use std::fmt::Write;

use crate::ofproto::codec::{FlowMod, FlowModCommand, FlowStats, PortNames, Version};
use crate::ofproto::text::flow::{format_flow_stats, FlowStatsFormat};
use crate::ofproto::text::match_::{format_match, DEFAULT_PRIORITY};
use crate::ofproto::text::{TableNames, TextContext};

use super::desired::DesiredFlows;
use super::flow::Flow;
use super::tables::Bridge;

/// How to print: with table names (`--names`, once the agent has pushed them) and/or port names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    /// Print `table=EgressMark` instead of `table=4`.
    pub tables: bool,
    /// Port names to print instead of numbers.
    pub ports: Option<&'a PortNames>,
}

fn no_stats_line(stats: &FlowStats, bridge: Bridge, names: Names<'_>) -> String {
    let tables: TableNames = bridge.table_names();
    let ctx = TextContext {
        version: Version::Of15,
        ports: names.ports,
        tables: names.tables.then_some(&tables),
    };
    format_flow_stats(stats, &FlowStatsFormat { show_stats: false }, &ctx)
}

/// One flow as a `--no-stats` dump line (with OVS's leading space).
pub fn flow_line(flow: &Flow, names: Names<'_>) -> String {
    no_stats_line(&flow.to_flow_stats(), flow.bridge, names)
}

/// Every desired flow of `bridge`, one dump line each, sorted by table, then priority (high
/// first), then match.
pub fn dump_lines(desired: &DesiredFlows, bridge: Bridge, names: Names<'_>) -> Vec<String> {
    desired
        .sorted(bridge)
        .iter()
        .map(|f| flow_line(f, names))
        .collect()
}

/// Flow-mods as an `ovs-ofctl bundle` file (`flow add ...`, `flow delete_strict ...`), with
/// numeric tables and ports so any switch accepts it.
pub fn bundle_text(bridge: Bridge, mods: &[FlowMod]) -> String {
    let mut out = String::new();
    for fm in mods {
        match fm.command {
            FlowModCommand::Add => {
                let stats = FlowStats {
                    table_id: fm.table_id,
                    priority: fm.priority,
                    cookie: fm.cookie,
                    match_: fm.match_.clone(),
                    instructions: fm.instructions.clone(),
                    ..FlowStats::default()
                };
                let line = no_stats_line(&stats, bridge, Names::default());
                let _ = writeln!(out, "flow add {}", line.trim_start());
            }
            command => {
                let (word, priority) = match command {
                    FlowModCommand::DeleteStrict => ("delete_strict", fm.priority),
                    FlowModCommand::Delete => ("delete", DEFAULT_PRIORITY),
                    FlowModCommand::Modify => ("modify", DEFAULT_PRIORITY),
                    _ => ("modify_strict", fm.priority),
                };
                let _ = write!(
                    out,
                    "flow {word} cookie=0x{:x}/0x{:x}",
                    fm.cookie, fm.cookie_mask
                );
                if fm.table_id != 0xff {
                    let _ = write!(out, ", table={}", fm.table_id);
                }
                let mut m = String::new();
                format_match(&fm.match_, priority, None, &mut m);
                if !m.is_empty() {
                    let _ = write!(out, ", {m}");
                }
                out.push('\n');
            }
        }
    }
    out
}
