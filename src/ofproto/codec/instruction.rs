//! OpenFlow 1.1+ instructions (`ofp_instruction`).
//!
//! OVS writes instructions in a fixed order (meter, apply_actions, clear_actions,
//! write_actions, write_metadata, goto_table: `OVS_INSTRUCTIONS` in `ofp-actions.h`); encoders
//! keep the order they are given, and the flow-text parser produces OVS's order.
//!
//! Decoding mirrors `ofpacts_pull_openflow_instructions` (`lib/ofp-actions.c`): fixed-size
//! instructions must have their exact length, an instruction type may appear only once, and
//! write-actions may hold only action-set actions. The meter instruction exists only in
//! OpenFlow 1.3/1.4 (1.5 has the meter action); instructions OVS does not know (experimenter,
//! meter in 1.5) are kept as [`Instruction::Raw`].

use super::action::{decode_action_set, decode_actions, encode_actions, Action};
use super::buf::{patch_u16, Reader};
use super::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// One instruction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Instruction {
    /// `OFPIT_GOTO_TABLE`: continue in a later table.
    GotoTable(u8),
    /// `OFPIT_WRITE_METADATA`: `metadata = (metadata & !mask) | (value & mask)`.
    WriteMetadata {
        /// New metadata bits.
        metadata: u64,
        /// Which bits to write.
        mask: u64,
    },
    /// `OFPIT_WRITE_ACTIONS`: merge into the action set.
    WriteActions(Vec<Action>),
    /// `OFPIT_APPLY_ACTIONS`: run now.
    ApplyActions(Vec<Action>),
    /// `OFPIT_CLEAR_ACTIONS`: empty the action set.
    ClearActions,
    /// `OFPIT_METER` (OF1.3/1.4; OF1.5 uses the meter action).
    Meter(u32),
    /// An instruction this codec does not model, kept verbatim.
    Raw {
        /// `ofp_instruction.type`.
        instruction_type: u16,
        /// Everything after `type` and `len`.
        body: Bytes,
    },
}

impl Instruction {
    /// Position in OVS's canonical order (`OVS_INSTRUCTIONS`): meter, apply_actions,
    /// clear_actions, write_actions, write_metadata, goto_table; unknown ones last.
    pub fn rank(&self) -> u8 {
        match self {
            Instruction::Meter(_) => 0,
            Instruction::ApplyActions(_) => 1,
            Instruction::ClearActions => 2,
            Instruction::WriteActions(_) => 3,
            Instruction::WriteMetadata { .. } => 4,
            Instruction::GotoTable(_) => 5,
            Instruction::Raw { .. } => 6,
        }
    }
}

const GOTO_TABLE: u16 = 1;
const WRITE_METADATA: u16 = 2;
const WRITE_ACTIONS: u16 = 3;
const APPLY_ACTIONS: u16 = 4;
const CLEAR_ACTIONS: u16 = 5;
const METER: u16 = 6;

/// Decodes the instructions filling `r`.
pub fn decode_instructions(
    r: &mut Reader<'_>,
    version: Version,
) -> Result<Vec<Instruction>, DecodeError> {
    let mut out: Vec<Instruction> = Vec::new();
    while !r.is_empty() {
        let ty = r.peek_u16(0, "instruction type")?;
        let len = r.peek_u16(2, "instruction length")? as usize;
        if len < 8 || !len.is_multiple_of(8) {
            return Err(DecodeError::BadLength {
                what: "instruction",
                len,
            });
        }
        let mut i = r.sub(len, "instruction")?;
        i.skip(4, "instruction header")?;
        let ins = match ty {
            GOTO_TABLE => {
                let table = i.u8("goto_table table")?;
                i.skip(3, "goto_table padding")?;
                Instruction::GotoTable(table)
            }
            WRITE_METADATA => {
                i.skip(4, "write_metadata padding")?;
                let metadata = i.u64("write_metadata metadata")?;
                let mask = i.u64("write_metadata mask")?;
                Instruction::WriteMetadata { metadata, mask }
            }
            WRITE_ACTIONS => {
                i.skip(4, "actions instruction padding")?;
                Instruction::WriteActions(decode_action_set(&mut i, version)?)
            }
            APPLY_ACTIONS => {
                i.skip(4, "actions instruction padding")?;
                Instruction::ApplyActions(decode_actions(&mut i, version)?)
            }
            CLEAR_ACTIONS => {
                i.skip(4, "clear_actions padding")?;
                Instruction::ClearActions
            }
            METER if version == Version::Of13 => Instruction::Meter(i.u32("meter id")?),
            _ => Instruction::Raw {
                instruction_type: ty,
                body: Bytes::copy_from_slice(i.take_rest()),
            },
        };
        i.finish("instruction")?;
        if !matches!(ins, Instruction::Raw { .. }) && out.iter().any(|o| o.rank() == ins.rank()) {
            return Err(DecodeError::BadValue {
                what: "duplicate instruction",
                value: ty as u64,
            });
        }
        out.push(ins);
    }
    Ok(out)
}

/// Encodes `instructions` for `version`.
pub fn encode_instructions(
    instructions: &[Instruction],
    out: &mut BytesMut,
    version: Version,
) -> Result<(), EncodeError> {
    for ins in instructions {
        let start = out.len();
        match ins {
            Instruction::GotoTable(t) => {
                out.put_u16(GOTO_TABLE);
                out.put_u16(8);
                out.put_u8(*t);
                out.put_bytes(0, 3);
            }
            Instruction::WriteMetadata { metadata, mask } => {
                out.put_u16(WRITE_METADATA);
                out.put_u16(24);
                out.put_u32(0);
                out.put_u64(*metadata);
                out.put_u64(*mask);
            }
            Instruction::WriteActions(actions) | Instruction::ApplyActions(actions) => {
                let ty = if matches!(ins, Instruction::WriteActions(_)) {
                    WRITE_ACTIONS
                } else {
                    APPLY_ACTIONS
                };
                out.put_u16(ty);
                out.put_u16(0);
                out.put_u32(0);
                encode_actions(actions, out, version)?;
            }
            Instruction::ClearActions => {
                out.put_u16(CLEAR_ACTIONS);
                out.put_u16(8);
                out.put_u32(0);
            }
            Instruction::Meter(id) => {
                if version != Version::Of13 {
                    return Err(EncodeError::NotInVersion {
                        what: "meter instruction",
                        version,
                    });
                }
                out.put_u16(METER);
                out.put_u16(8);
                out.put_u32(*id);
            }
            Instruction::Raw {
                instruction_type,
                body,
            } => {
                out.put_u16(*instruction_type);
                out.put_u16(0);
                out.put_slice(body);
            }
        }
        let len = out.len() - start;
        if len > u16::MAX as usize {
            return Err(EncodeError::TooLong {
                what: "instruction",
                len,
            });
        }
        patch_u16(out, start + 2, len as u16);
    }
    Ok(())
}
