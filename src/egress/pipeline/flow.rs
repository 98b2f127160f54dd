//! A desired flow, keyed the way OVS identifies flows: within one bridge, at most one flow
//! exists per (table, priority, match) — an OpenFlow ADD with the same triple replaces it. The
//! rest (cookie, instructions) is what can differ between desired and installed.

use crate::ofproto::codec::{FlowMod, FlowModCommand, FlowStats, Instruction, Match};

use super::tables::Bridge;

/// What identifies a flow inside a bridge.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// Table id.
    pub table: u8,
    /// Priority.
    pub priority: u16,
    /// The canonical match (two matches meaning the same compare equal).
    pub match_: Match,
}

/// The parts of a flow that are not its identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowEntry {
    /// The cookie (round, category, owner).
    pub cookie: u64,
    /// The instructions, in the order OVS reports them (an empty list is `drop`).
    pub instructions: Vec<Instruction>,
}

/// One flow of one bridge.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Flow {
    /// The bridge.
    pub bridge: Bridge,
    /// Its identity.
    pub key: FlowKey,
    /// Cookie and instructions.
    pub entry: FlowEntry,
}

impl Flow {
    /// The OpenFlow ADD that installs (or replaces) this flow.
    pub fn to_flow_mod(&self) -> FlowMod {
        add_flow_mod(&self.key, &self.entry)
    }

    /// The flow as a flow-stats reply would report it (zero counters), for printing.
    pub fn to_flow_stats(&self) -> FlowStats {
        FlowStats {
            table_id: self.key.table,
            priority: self.key.priority,
            cookie: self.entry.cookie,
            match_: self.key.match_.clone(),
            instructions: self.entry.instructions.clone(),
            ..FlowStats::default()
        }
    }
}

/// An OpenFlow ADD of `entry` under `key`.
pub fn add_flow_mod(key: &FlowKey, entry: &FlowEntry) -> FlowMod {
    FlowMod {
        cookie: entry.cookie,
        table_id: key.table,
        command: FlowModCommand::Add,
        priority: key.priority,
        match_: key.match_.clone(),
        instructions: entry.instructions.clone(),
        ..FlowMod::default()
    }
}

/// A strict delete of the flow under `key`, only if it still carries `cookie` (so a flow that a
/// newer round re-installed with its own cookie is never deleted by an older view).
pub fn delete_flow_mod(key: &FlowKey, cookie: u64) -> FlowMod {
    FlowMod {
        cookie,
        cookie_mask: u64::MAX,
        table_id: key.table,
        command: FlowModCommand::DeleteStrict,
        priority: key.priority,
        match_: key.match_.clone(),
        ..FlowMod::default()
    }
}

/// The key of an installed flow.
pub fn key_of(stats: &FlowStats) -> FlowKey {
    FlowKey {
        table: stats.table_id,
        priority: stats.priority,
        match_: stats.match_.clone(),
    }
}
