//! The data of a flow: what a flow-mod installs and what a flow-stats reply reports.
//!
//! These are plain, version-independent data; their wire encodings live in the message module
//! (`OFPT_FLOW_MOD`, `OFPMP_FLOW` replies) and their text in `ofproto::text`.

use super::instruction::Instruction;
use super::match_::Match;
use super::port::PortNo;

/// `ofp_flow_mod_command`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowModCommand {
    /// Add a flow (replacing an identical match+priority).
    Add,
    /// Modify the actions of matching flows.
    Modify,
    /// Modify the actions of the flow with exactly this match and priority.
    ModifyStrict,
    /// Delete matching flows.
    Delete,
    /// Delete the flow with exactly this match and priority.
    DeleteStrict,
}

impl FlowModCommand {
    /// The wire value.
    pub const fn wire(self) -> u8 {
        match self {
            FlowModCommand::Add => 0,
            FlowModCommand::Modify => 1,
            FlowModCommand::ModifyStrict => 2,
            FlowModCommand::Delete => 3,
            FlowModCommand::DeleteStrict => 4,
        }
    }

    /// The command for a wire value.
    pub const fn from_wire(v: u8) -> Option<Self> {
        Some(match v {
            0 => FlowModCommand::Add,
            1 => FlowModCommand::Modify,
            2 => FlowModCommand::ModifyStrict,
            3 => FlowModCommand::Delete,
            4 => FlowModCommand::DeleteStrict,
            _ => return None,
        })
    }
}

/// `ofp_flow_mod_flags` bits, kept as the raw u16 so unknown bits survive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowModFlags(pub u16);

impl FlowModFlags {
    /// Send a flow-removed message when the flow expires or is deleted.
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    /// Refuse to add an overlapping flow.
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    /// Reset counters on modify.
    pub const RESET_COUNTS: u16 = 1 << 2;
    /// Do not count packets.
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    /// Do not count bytes.
    pub const NO_BYT_COUNTS: u16 = 1 << 4;
}

/// A flow-mod: add, modify or delete flows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowMod {
    /// Opaque controller-chosen id (`cookie=`).
    pub cookie: u64,
    /// For modify/delete: which cookie bits must match (`cookie=V/M`).
    pub cookie_mask: u64,
    /// Table (`0xff` = all tables, for delete).
    pub table_id: u8,
    /// What to do.
    pub command: FlowModCommand,
    /// Idle timeout in seconds (0 = none).
    pub idle_timeout: u16,
    /// Hard timeout in seconds (0 = none).
    pub hard_timeout: u16,
    /// Priority (OpenFlow default 32768).
    pub priority: u16,
    /// Buffered packet to apply to (`0xffffffff` = none).
    pub buffer_id: u32,
    /// For delete: only flows that output to this port (`ANY` = no filter).
    pub out_port: PortNo,
    /// For delete: only flows that output to this group (`0xffffffff` = no filter).
    pub out_group: u32,
    /// Flags.
    pub flags: FlowModFlags,
    /// Eviction importance (OpenFlow 1.4+; 0 in 1.3).
    pub importance: u16,
    /// The match.
    pub match_: Match,
    /// The instructions.
    pub instructions: Vec<Instruction>,
}

impl Default for FlowMod {
    fn default() -> Self {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id: 0,
            command: FlowModCommand::Add,
            idle_timeout: 0,
            hard_timeout: 0,
            priority: 0x8000,
            buffer_id: u32::MAX,
            out_port: PortNo::ANY,
            out_group: u32::MAX,
            flags: FlowModFlags(0),
            importance: 0,
            match_: Match::new(),
            instructions: Vec::new(),
        }
    }
}

/// One flow as a flow-stats reply reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlowStats {
    /// Table.
    pub table_id: u8,
    /// Seconds the flow has existed.
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Priority.
    pub priority: u16,
    /// Idle timeout in seconds.
    pub idle_timeout: u16,
    /// Hard timeout in seconds.
    pub hard_timeout: u16,
    /// Flags.
    pub flags: FlowModFlags,
    /// Importance (OpenFlow 1.4+).
    pub importance: u16,
    /// Cookie.
    pub cookie: u64,
    /// Packets matched (`u64::MAX` = unknown).
    pub packet_count: u64,
    /// Bytes matched (`u64::MAX` = unknown).
    pub byte_count: u64,
    /// Seconds since the flow last matched a packet, when the protocol reports it (OF1.5 OXS
    /// `idle_time`); `None` in OpenFlow 1.3.
    pub idle_age: Option<u32>,
    /// The match.
    pub match_: Match,
    /// The instructions.
    pub instructions: Vec<Instruction>,
}
