//! A flow table as `replace-flows` and `diff-flows` see it (ovs-ofctl's `fte`): flows keyed by
//! table, priority and match, each side holding cookie, timeouts, importance and actions.
//! Two versions are equal when those are equal and the actions print the same
//! (`fte_version_equals`, `ofpacts_equal_stringwise`).
//!
//! The key is the match as printed (`cls_rule_format`): the printed form is canonical, so a
//! flow read from a file and the same flow read back from the switch get the same key.
//!
//! One deliberate difference: a file's flows are parsed into the wire form of the connection's
//! version and printed from it, i.e. as the switch would report them after installing them.
//! ovs-ofctl prints a file's actions as written instead, so in OpenFlow 1.5 it reports a
//! `load:` flow as different from the identical flow on the switch (which prints
//! `set_field:`); here only real differences show.
//!
//! Order: ovs-ofctl walks each table's classifier, whose order is an implementation detail;
//! here entries come out by table, then descending priority, then match text.

use crate::ofproto::codec::instruction::Instruction;
use crate::ofproto::codec::{FlowMod, FlowModCommand, FlowModFlags, FlowStats, Match, PortNames};
use crate::ofproto::text::action::format_instructions;
use crate::ofproto::text::match_::format_match;
use crate::ofproto::text::TextContext;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One side's version of a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableEntry {
    /// Table id.
    pub table_id: u8,
    /// Priority.
    pub priority: u16,
    /// Match.
    pub match_: Match,
    /// Cookie.
    pub cookie: u64,
    /// Idle timeout.
    pub idle_timeout: u16,
    /// Hard timeout.
    pub hard_timeout: u16,
    /// Importance.
    pub importance: u16,
    /// Flags carried into an add (`send_flow_rem` from a file; none from the switch).
    pub flags: FlowModFlags,
    /// Instructions.
    pub instructions: Vec<Instruction>,
    /// The instructions as printed (what equality compares).
    pub actions_text: String,
    /// Where it came from (`FILE:LINE`), for messages.
    pub place: Option<String>,
}

type Key = (u8, Reverse<u16>, String);

/// Two versions (`[0]`, `[1]`) of a set of flows.
#[derive(Clone, Debug, Default)]
pub struct FlowTable {
    entries: BTreeMap<Key, [Option<TableEntry>; 2]>,
}

impl FlowTable {
    /// An empty table.
    pub fn new() -> FlowTable {
        FlowTable::default()
    }

    fn insert(&mut self, side: usize, e: TableEntry, ports: Option<&PortNames>) {
        let mut m = String::new();
        format_match(&e.match_, e.priority, ports, &mut m);
        let key = (e.table_id, Reverse(e.priority), m);
        if let Some(slot) = self.entries.entry(key).or_default().get_mut(side) {
            *slot = Some(e);
        }
    }

    /// Adds flows read from the switch as side `side`.
    pub fn add_switch_flows(&mut self, side: usize, flows: Vec<FlowStats>, ctx: &TextContext<'_>) {
        for fs in flows {
            let mut actions_text = String::new();
            format_instructions(&fs.instructions, ctx, &mut actions_text);
            self.insert(
                side,
                TableEntry {
                    table_id: fs.table_id,
                    priority: fs.priority,
                    match_: fs.match_,
                    cookie: fs.cookie,
                    idle_timeout: fs.idle_timeout,
                    hard_timeout: fs.hard_timeout,
                    importance: fs.importance,
                    flags: FlowModFlags(0),
                    instructions: fs.instructions,
                    actions_text,
                    place: None,
                },
                ctx.ports,
            );
        }
    }

    /// Adds flows parsed from a file (as adds) as side `side`; `place` names each one's line.
    pub fn add_file_flows(
        &mut self,
        side: usize,
        flows: Vec<(FlowMod, String)>,
        ctx: &TextContext<'_>,
    ) {
        for (fm, place) in flows {
            let mut actions_text = String::new();
            format_instructions(&fm.instructions, ctx, &mut actions_text);
            let table_id = if fm.table_id == 0xff { 0 } else { fm.table_id };
            self.insert(
                side,
                TableEntry {
                    table_id,
                    priority: fm.priority,
                    match_: fm.match_,
                    cookie: fm.cookie,
                    idle_timeout: fm.idle_timeout,
                    hard_timeout: fm.hard_timeout,
                    importance: fm.importance,
                    flags: FlowModFlags(fm.flags.0 & FlowModFlags::SEND_FLOW_REM),
                    instructions: fm.instructions,
                    actions_text,
                    place: Some(place),
                },
                ctx.ports,
            );
        }
    }

    /// `diff-flows` output: `-` lines for side 0 versions, `+` lines for side 1 versions, for
    /// every flow whose versions differ or exist on one side only.
    pub fn diff_lines(&self, ports: Option<&PortNames>) -> Vec<String> {
        let mut out = Vec::new();
        for [a, b] in self.entries.values() {
            if let (Some(a), Some(b)) = (a, b) {
                if same(a, b) {
                    continue;
                }
            }
            if let Some(a) = a {
                out.push(format!("-{}", version_text(a, ports)));
            }
            if let Some(b) = b {
                out.push(format!("+{}", version_text(b, ports)));
            }
        }
        out
    }

    /// The flow-mods that turn side `current` (the switch) into side `wanted` (the file), as
    /// `replace-flows` sends them: strict deletes of flows only the switch has, then adds of
    /// flows that are new or differ, each with the place it came from.
    pub fn replace_plan(&self, current: usize, wanted: usize) -> Vec<(FlowMod, Option<String>)> {
        let mut deletes = Vec::new();
        let mut adds = Vec::new();
        for sides in self.entries.values() {
            let (cur, want) = (
                sides.get(current).and_then(Option::as_ref),
                sides.get(wanted).and_then(Option::as_ref),
            );
            match (cur, want) {
                (Some(c), None) => deletes.push((
                    FlowMod {
                        command: FlowModCommand::DeleteStrict,
                        table_id: c.table_id,
                        priority: c.priority,
                        match_: c.match_.clone(),
                        ..FlowMod::default()
                    },
                    None,
                )),
                (c, Some(w)) if c.is_none_or(|c| !same(c, w)) => adds.push((
                    FlowMod {
                        command: FlowModCommand::Add,
                        table_id: w.table_id,
                        priority: w.priority,
                        match_: w.match_.clone(),
                        cookie: w.cookie,
                        idle_timeout: w.idle_timeout,
                        hard_timeout: w.hard_timeout,
                        importance: w.importance,
                        flags: w.flags,
                        instructions: w.instructions.clone(),
                        ..FlowMod::default()
                    },
                    w.place.clone(),
                )),
                _ => {}
            }
        }
        deletes.extend(adds);
        deletes
    }
}

fn same(a: &TableEntry, b: &TableEntry) -> bool {
    a.cookie == b.cookie
        && a.idle_timeout == b.idle_timeout
        && a.hard_timeout == b.hard_timeout
        && a.importance == b.importance
        && a.table_id == b.table_id
        && a.actions_text == b.actions_text
}

/// `fte_version_format`.
fn version_text(v: &TableEntry, ports: Option<&PortNames>) -> String {
    let mut s = String::new();
    if v.table_id != 0 {
        let _ = write!(s, "table={} ", v.table_id);
    }
    format_match(&v.match_, v.priority, ports, &mut s);
    if v.cookie != 0 {
        let _ = write!(s, " cookie={:#x}", v.cookie);
    }
    if v.idle_timeout != 0 {
        let _ = write!(s, " idle_timeout={}", v.idle_timeout);
    }
    if v.hard_timeout != 0 {
        let _ = write!(s, " hard_timeout={}", v.hard_timeout);
    }
    if v.importance != 0 {
        let _ = write!(s, " importance={}", v.importance);
    }
    s.push_str(" actions=");
    s.push_str(&v.actions_text);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ofproto::codec::{Field, Value, Version};

    fn fm(table: u8, priority: u16, reg0: u64, cookie: u64) -> FlowMod {
        let mut m = Match::new();
        m.set(Field::Reg0, Value::from_u64(4, reg0));
        FlowMod {
            table_id: table,
            priority,
            match_: m,
            cookie,
            ..FlowMod::default()
        }
    }

    fn fs(f: &FlowMod) -> FlowStats {
        FlowStats {
            table_id: f.table_id,
            priority: f.priority,
            match_: f.match_.clone(),
            cookie: f.cookie,
            ..FlowStats::default()
        }
    }

    #[test]
    fn diff_and_replace_plan() {
        let ctx = TextContext::new(Version::Of13);
        let same_flow = fm(0, 5, 1, 0);
        let changed_sw = fm(1, 5, 2, 0x1);
        let changed_file = fm(1, 5, 2, 0x2);
        let only_sw = fm(0, 7, 3, 0);
        let only_file = fm(2, 9, 4, 0);
        let mut t = FlowTable::new();
        t.add_switch_flows(0, vec![fs(&same_flow), fs(&changed_sw), fs(&only_sw)], &ctx);
        t.add_file_flows(
            1,
            vec![
                (same_flow.clone(), "f:1".into()),
                (changed_file, "f:2".into()),
                (only_file, "f:3".into()),
            ],
            &ctx,
        );
        assert_eq!(
            t.diff_lines(None),
            [
                "-priority=7,reg0=0x3 actions=drop",
                "-table=1 priority=5,reg0=0x2 cookie=0x1 actions=drop",
                "+table=1 priority=5,reg0=0x2 cookie=0x2 actions=drop",
                "+table=2 priority=9,reg0=0x4 actions=drop",
            ]
        );
        let plan = t.replace_plan(0, 1);
        let cmds: Vec<(FlowModCommand, u8, Option<&str>)> = plan
            .iter()
            .map(|(f, p)| (f.command, f.table_id, p.as_deref()))
            .collect();
        assert_eq!(
            cmds,
            [
                (FlowModCommand::DeleteStrict, 0, None),
                (FlowModCommand::Add, 1, Some("f:2")),
                (FlowModCommand::Add, 2, Some("f:3")),
            ]
        );
    }
}
