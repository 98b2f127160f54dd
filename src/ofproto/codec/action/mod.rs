//! OpenFlow and Nicira actions: one variant per distinct wire form, lossless.
//!
//! Mirrors `lib/ofp-actions.c` of Open vSwitch 3.1: OVS decodes each wire action into an
//! `ofpact` that remembers its raw form, because `ovs-ofctl` prints forms differently (`load:`
//! vs `set_field:`, `resubmit:5` vs `resubmit(5,)`). Here the variant *is* the raw form, so
//! encoding a decoded action gives its bytes back, and the text layer
//! (`ofproto::text::action`) chooses the form from the protocol version exactly as
//! `ovs-ofctl` does.
//!
//! Invariants:
//! - Decoding is bounded ([`Reader`]) and never panics; nested action lists (`ct(exec(..))`,
//!   `clone(..)`, `write_actions(..)`) are limited to [`MAX_NESTING`] levels.
//! - Malformed actions are typed [`DecodeError`]s, validated as OVS validates them (lengths,
//!   must-be-zero fields, field widths, ct nesting rules). Padding OVS ignores is ignored and
//!   re-encoded as zeros, as OVS re-encodes it.
//! - Actions this codec does not model, and actions naming fields it does not model (e.g.
//!   `tun_metadata`), are kept as [`RawAction`] and re-encoded byte for byte, never dropped.
//! - Encoding takes the version and refuses forms that do not exist in it
//!   ([`EncodeError::NotInVersion`]): `reg_load`/`reg_load2`/`reg_move`/ONF copy-field are
//!   OpenFlow 1.0-1.4 only, `copy_field` and the meter action are 1.5+, a masked `set_field` is
//!   1.5+. Encoding writes straight into the output buffer (no allocation per action).

mod controller;
mod ct;
mod learn;
mod misc;
mod nat;
mod reg;
mod select;
mod standard;
mod subfield;
mod verify;

pub use controller::Controller2;
pub use ct::{Ct, CtZone};
pub use learn::{Learn, LearnSpec};
pub use misc::{Sample, SampleForm};
pub use nat::{Nat, NatAddr, NatPorts, NatRange};
pub use select::{hash_fields_name, Bundle, Multipath};
pub use standard::{is_mpls_ethertype, value_is_valid};
pub use subfield::{has_nxm32, Subfield};

use super::buf::{patch_u16, Reader};
use super::field::Field;
use super::port::PortNo;
use super::value::Value;
use super::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};
use subfield::ActErr;

/// Deepest nesting of action lists accepted by the decoder (OVS's parser stops at 100 too).
pub const MAX_NESTING: usize = 100;

/// The Nicira vendor id (`NX_VENDOR_ID`).
pub const NX_VENDOR_ID: u32 = 0x0000_2320;
/// The Open Networking Foundation vendor id (`ONF_VENDOR_ID`).
pub const ONF_VENDOR_ID: u32 = 0x4f4e_4600;

/// An action we do not model, kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawAction {
    /// `ofp_action_header.type` (0xffff for experimenter actions).
    pub action_type: u16,
    /// Everything after `type` and `len` (vendor, subtype and padding included).
    pub body: Bytes,
}

impl RawAction {
    /// The experimenter (vendor) id of an experimenter action.
    pub fn vendor(&self) -> Option<u32> {
        let b = self.body.get(..4)?;
        (self.action_type == 0xffff).then(|| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The subtype of a Nicira or ONF extension action.
    pub fn subtype(&self) -> Option<u16> {
        let b = self.body.get(4..6)?;
        matches!(self.vendor(), Some(NX_VENDOR_ID | ONF_VENDOR_ID))
            .then(|| u16::from_be_bytes([b[0], b[1]]))
    }
}

/// One action. Variants are named after the wire form they encode to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Action {
    /// `OFPAT_OUTPUT`: send to a port (`max_len` bytes when the port is CONTROLLER).
    Output {
        /// Destination.
        port: PortNo,
        /// Bytes to send to the controller when `port` is CONTROLLER.
        max_len: u16,
    },
    /// `OFPAT_GROUP`.
    Group(u32),
    /// `OFPAT_SET_QUEUE`.
    SetQueue(u32),
    /// `OFPAT_PUSH_VLAN` with this ethertype (0x8100 or 0x88a8).
    PushVlan(u16),
    /// `OFPAT_POP_VLAN` (`pop_vlan`).
    PopVlan,
    /// `OFPAT_DEC_NW_TTL` (`dec_ttl`).
    DecNwTtl,
    /// `OFPAT_SET_FIELD`: unmasked in OpenFlow 1.3; `mask` only in OpenFlow 1.5.
    SetField {
        /// Field written.
        field: Field,
        /// Value (the field's width).
        value: Value,
        /// Which bits to write (`None` = all).
        mask: Option<Value>,
    },
    /// `OFPAT_COPY_FIELD` (OpenFlow 1.5; printed `move:`).
    CopyField {
        /// Source bits.
        src: Subfield,
        /// Destination bits (same width).
        dst: Subfield,
    },
    /// `OFPAT_METER` (OpenFlow 1.5; in 1.3 metering is an instruction).
    Meter(u32),
    /// ONF extension 3200 copy-field (OpenFlow 1.3; printed `move:`).
    OnfCopyField {
        /// Source bits.
        src: Subfield,
        /// Destination bits (same width).
        dst: Subfield,
    },
    /// `NXAST_RESUBMIT` (`resubmit:PORT`): resubmit to the current table with `in_port`.
    Resubmit {
        /// The in_port for the lookup.
        in_port: PortNo,
    },
    /// `NXAST_RESUBMIT_TABLE` / `NXAST_RESUBMIT_TABLE_CT` (`resubmit(port,table[,ct])`).
    ResubmitTable {
        /// In_port for the lookup (`IN_PORT` = unchanged).
        in_port: PortNo,
        /// Table (255 = current).
        table: u8,
        /// Use the conntrack original-direction tuple (`NXAST_RESUBMIT_TABLE_CT`).
        ct: bool,
    },
    /// `NXAST_SET_TUNNEL` (32-bit tunnel id).
    SetTunnel(u32),
    /// `NXAST_SET_TUNNEL64`.
    SetTunnel64(u64),
    /// `NXAST_POP_QUEUE`.
    PopQueue,
    /// `NXAST_REG_MOVE` (`move:`; OpenFlow 1.0-1.4).
    RegMove {
        /// Source bits.
        src: Subfield,
        /// Destination bits (same width).
        dst: Subfield,
    },
    /// `NXAST_REG_LOAD` (`load:`; OpenFlow 1.0-1.4): `dst = value`.
    RegLoad {
        /// Destination bits (at most 64).
        dst: Subfield,
        /// Value, less than `2^dst.n_bits`.
        value: u64,
    },
    /// `NXAST_REG_LOAD2` (printed `set_field:`; OpenFlow 1.0-1.4).
    RegLoad2 {
        /// Field written.
        field: Field,
        /// Value.
        value: Value,
        /// Which bits to write (`None` = all).
        mask: Option<Value>,
    },
    /// `NXAST_NOTE`: opaque bytes (the wire padding is part of the note, as OVS decodes it).
    Note(Bytes),
    /// `NXAST_OUTPUT_REG`: output to the port number in a subfield (32-bit header).
    OutputReg {
        /// Where the port number is.
        src: Subfield,
        /// Bytes to send when the port is CONTROLLER.
        max_len: u16,
    },
    /// `NXAST_OUTPUT_REG2`: like [`Action::OutputReg`] with room for a 64-bit header.
    OutputReg2 {
        /// Where the port number is.
        src: Subfield,
        /// Bytes to send when the port is CONTROLLER.
        max_len: u16,
    },
    /// `NXAST_LEARN`.
    Learn(Box<Learn>),
    /// `NXAST_LEARN2` (adds `limit` and `result_dst`).
    Learn2(Box<Learn>),
    /// `NXAST_EXIT`.
    Exit,
    /// `NXAST_DEC_TTL_CNT_IDS` (`dec_ttl(ids)`).
    DecTtlCntIds(Vec<u16>),
    /// `NXAST_FIN_TIMEOUT`.
    FinTimeout {
        /// New idle timeout after a FIN/RST (0 = unchanged).
        idle_timeout: u16,
        /// New hard timeout after a FIN/RST (0 = unchanged).
        hard_timeout: u16,
    },
    /// `NXAST_CONTROLLER`.
    Controller {
        /// Bytes of the packet to send.
        max_len: u16,
        /// Controller connection id.
        controller_id: u16,
        /// Packet-in reason (`OFPR_*`; 1 = action).
        reason: u8,
    },
    /// `NXAST_CONTROLLER2` (properties: userdata, pause, meter...).
    Controller2(Box<Controller2>),
    /// `NXAST_WRITE_METADATA` (OVS treats it as the write_metadata instruction).
    WriteMetadata {
        /// New bits.
        metadata: u64,
        /// Which bits.
        mask: u64,
    },
    /// `NXAST_STACK_PUSH` (`push:`).
    StackPush(Subfield),
    /// `NXAST_STACK_POP` (`pop:`).
    StackPop(Subfield),
    /// `NXAST_SAMPLE` / `SAMPLE2` / `SAMPLE3` (the form is [`Sample::form`]).
    Sample(Sample),
    /// `NXAST_CONJUNCTION`.
    Conjunction {
        /// Conjunction id.
        id: u32,
        /// Clause index, **0-based** as on the wire (printed `+1`).
        clause: u8,
        /// Number of clauses (2..=64).
        n_clauses: u8,
    },
    /// `NXAST_CT`.
    Ct(Box<Ct>),
    /// `NXAST_NAT` (only inside `ct`).
    Nat(Nat),
    /// `NXAST_OUTPUT_TRUNC` (`output(port=P,max_len=N)`).
    OutputTrunc {
        /// Destination.
        port: PortNo,
        /// Truncate to this many bytes (at least 14).
        max_len: u32,
    },
    /// `NXAST_CLONE`.
    Clone(Vec<Action>),
    /// `NXAST_MULTIPATH`.
    Multipath(Multipath),
    /// `NXAST_BUNDLE` (without `dst`) or `NXAST_BUNDLE_LOAD` (with `dst`).
    Bundle(Box<Bundle>),
    /// `NXAST_CT_CLEAR`.
    CtClear,
    /// `NXAST_CHECK_PKT_LARGER`: `dst = (packet length > pkt_len)`.
    CheckPktLarger {
        /// Length threshold.
        pkt_len: u16,
        /// One-bit destination.
        dst: Subfield,
    },
    /// `OFPAT_SET_NW_TTL` (`mod_nw_ttl:N`): sets the IPv4 TTL or IPv6 hop limit.
    SetNwTtl(u8),
    /// `OFPAT_SET_MPLS_TTL` (`set_mpls_ttl(N)`; OpenFlow 1.2+ still has the 1.1 action).
    SetMplsTtl(u8),
    /// `OFPAT_DEC_MPLS_TTL` (`dec_mpls_ttl`).
    DecMplsTtl,
    /// `OFPAT_PUSH_MPLS` with this ethertype (0x8847 or 0x8848).
    PushMpls(u16),
    /// `OFPAT_POP_MPLS`: the ethertype the packet has after the pop.
    PopMpls(u16),
    /// The OpenFlow 1.1 `OFPAT_SET_TP_SRC` (`mod_tp_src:N`), which `ovs-ofctl` still sends
    /// when the match does not say whether the transport is TCP, UDP or SCTP (otherwise it
    /// sends `set_field`).
    SetTpSrc(u16),
    /// The OpenFlow 1.1 `OFPAT_SET_TP_DST` (`mod_tp_dst:N`); see [`Action::SetTpSrc`].
    SetTpDst(u16),
    /// An action this codec does not model (or naming a field it does not model).
    Raw(RawAction),
}

/// Where an action list sits, for OVS's nesting rules (`ofpacts_verify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outer {
    /// An apply-actions list (or a bare action list).
    Top,
    /// Inside `clone(...)`.
    Clone,
    /// Inside `ct(exec(...))`.
    Ct,
    /// Inside `write_actions(...)` (the action set).
    WriteActions,
}

/// Decodes the actions filling `r` as a top-level (apply-actions) list.
pub fn decode_actions(r: &mut Reader<'_>, version: Version) -> Result<Vec<Action>, DecodeError> {
    decode_list(r, version, Outer::Top, 0)
}

/// Decodes the actions of a write-actions instruction (only action-set actions allowed).
pub fn decode_action_set(r: &mut Reader<'_>, version: Version) -> Result<Vec<Action>, DecodeError> {
    decode_list(r, version, Outer::WriteActions, 0)
}

pub(crate) fn decode_list(
    r: &mut Reader<'_>,
    version: Version,
    outer: Outer,
    depth: usize,
) -> Result<Vec<Action>, DecodeError> {
    if depth > MAX_NESTING {
        return Err(DecodeError::BadValue {
            what: "action nesting depth",
            value: depth as u64,
        });
    }
    // Actions are at least 8 bytes and typically 16-24: one allocation for the common case.
    let mut out = Vec::with_capacity((r.remaining() / 16).min(32));
    while !r.is_empty() {
        let len = r.peek_u16(2, "action length")? as usize;
        if len < 8 || !len.is_multiple_of(8) {
            return Err(DecodeError::BadLength {
                what: "action",
                len,
            });
        }
        let bytes = r.bytes(len, "action")?;
        out.push(decode_one(bytes, version, depth)?);
    }
    verify::verify_list(&out, outer)?;
    Ok(out)
}

/// Decodes one action of exactly `bytes` (its declared length, at least 8, a multiple of 8).
fn decode_one(bytes: &[u8], version: Version, depth: usize) -> Result<Action, DecodeError> {
    let ty = u16::from_be_bytes([bytes[0], bytes[1]]);
    let result = if ty == 0xffff {
        let vendor = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        match vendor {
            NX_VENDOR_ID | ONF_VENDOR_ID => {
                if bytes.len() < 16 {
                    return Err(DecodeError::BadLength {
                        what: "extension action",
                        len: bytes.len(),
                    });
                }
                let subtype = u16::from_be_bytes([bytes[8], bytes[9]]);
                if vendor == NX_VENDOR_ID {
                    decode_nx(subtype, bytes, version, depth)
                } else if subtype == 3200 && version == Version::Of13 {
                    reg::decode_copy_field(bytes, true)
                } else {
                    Err(ActErr::Unknown)
                }
            }
            _ => Err(ActErr::Unknown),
        }
    } else {
        standard::decode(ty, bytes, version)
    };
    match result {
        Ok(a) => Ok(a),
        Err(ActErr::Unknown) => Ok(Action::Raw(RawAction {
            action_type: ty,
            body: Bytes::copy_from_slice(&bytes[4..]),
        })),
        Err(ActErr::Bad(e)) => Err(e),
    }
}

/// Requires an action to have exactly `len` bytes.
pub(crate) fn fixed_len(bytes: &[u8], len: usize, what: &'static str) -> Result<(), ActErr> {
    if bytes.len() != len {
        return Err(ActErr::Bad(DecodeError::BadLength {
            what,
            len: bytes.len(),
        }));
    }
    Ok(())
}

/// Requires an action to have at least `len` bytes.
pub(crate) fn min_len(bytes: &[u8], len: usize, what: &'static str) -> Result<(), ActErr> {
    if bytes.len() < len {
        return Err(ActErr::Bad(DecodeError::BadLength {
            what,
            len: bytes.len(),
        }));
    }
    Ok(())
}

fn decode_nx(subtype: u16, bytes: &[u8], version: Version, depth: usize) -> Result<Action, ActErr> {
    // Availability per version follows the `NX1.0+`, `NX1.0-1.4`, `NX1.3+` annotations of
    // `enum ofp_raw_action_type`; subtypes OVS does not accept in a version stay raw.
    let pre15 = version < Version::Of15;
    match subtype {
        1 => misc::decode_resubmit(bytes),
        2 => misc::decode_set_tunnel(bytes),
        5 => misc::decode_void(bytes, Action::PopQueue, "pop_queue"),
        6 if pre15 => reg::decode_reg_move(bytes),
        7 if pre15 => reg::decode_reg_load(bytes),
        8 => misc::decode_note(bytes),
        9 => misc::decode_set_tunnel64(bytes),
        10 => select::decode_multipath(bytes),
        12 | 13 => select::decode_bundle(bytes, subtype == 13),
        14 | 44 => misc::decode_resubmit_table(bytes, subtype == 44),
        15 => reg::decode_output_reg(bytes),
        16 | 45 => learn::decode(bytes, subtype == 45),
        17 => misc::decode_void(bytes, Action::Exit, "exit"),
        19 => misc::decode_fin_timeout(bytes),
        20 => controller::decode_controller(bytes),
        21 => misc::decode_dec_ttl_cnt_ids(bytes),
        22 => misc::decode_write_metadata(bytes),
        27 | 28 => reg::decode_stack(bytes, subtype == 27),
        29 | 38 | 41 => misc::decode_sample(bytes, subtype),
        32 => reg::decode_output_reg2(bytes),
        33 if pre15 => reg::decode_reg_load2(bytes),
        34 => misc::decode_conjunction(bytes),
        35 => ct::decode_ct(bytes, version, depth),
        36 => nat::decode(bytes),
        37 => controller::decode_controller2(bytes),
        39 => misc::decode_output_trunc(bytes),
        42 => misc::decode_clone(bytes, version, depth),
        43 => misc::decode_void(bytes, Action::CtClear, "ct_clear"),
        49 => reg::decode_check_pkt_larger(bytes),
        _ => Err(ActErr::Unknown),
    }
}

/// Encodes `actions` for `version`, appending to `out`.
pub fn encode_actions(
    actions: &[Action],
    out: &mut BytesMut,
    version: Version,
) -> Result<(), EncodeError> {
    for a in actions {
        encode_action(a, out, version)?;
    }
    Ok(())
}

/// Encodes one action for `version`, appending to `out`.
pub fn encode_action(a: &Action, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
    let start = out.len();
    match a {
        Action::Output { .. }
        | Action::Group(_)
        | Action::SetQueue(_)
        | Action::PushVlan(_)
        | Action::PopVlan
        | Action::DecNwTtl
        | Action::SetField { .. }
        | Action::CopyField { .. }
        | Action::Meter(_)
        | Action::SetNwTtl(_)
        | Action::SetMplsTtl(_)
        | Action::DecMplsTtl
        | Action::PushMpls(_)
        | Action::PopMpls(_)
        | Action::SetTpSrc(_)
        | Action::SetTpDst(_) => standard::encode(a, out, version)?,
        Action::OnfCopyField { src, dst } => {
            if version != Version::Of13 {
                return Err(not_in(version, "ONF copy_field"));
            }
            out.put_u16(0xffff);
            out.put_u16(0);
            out.put_u32(ONF_VENDOR_ID);
            out.put_u16(3200);
            out.put_u16(0);
            reg::put_copy_field_body(out, src, dst, version)?;
        }
        Action::Resubmit { .. }
        | Action::ResubmitTable { .. }
        | Action::SetTunnel(_)
        | Action::SetTunnel64(_)
        | Action::PopQueue
        | Action::Note(_)
        | Action::Exit
        | Action::DecTtlCntIds(_)
        | Action::FinTimeout { .. }
        | Action::WriteMetadata { .. }
        | Action::Sample(_)
        | Action::Conjunction { .. }
        | Action::OutputTrunc { .. }
        | Action::Clone(_)
        | Action::CtClear => misc::encode(a, out, version)?,
        Action::RegMove { .. }
        | Action::RegLoad { .. }
        | Action::RegLoad2 { .. }
        | Action::OutputReg { .. }
        | Action::OutputReg2 { .. }
        | Action::StackPush(_)
        | Action::StackPop(_)
        | Action::CheckPktLarger { .. } => reg::encode(a, out, version)?,
        Action::Learn(l) => learn::encode(l, false, out)?,
        Action::Learn2(l) => learn::encode(l, true, out)?,
        Action::Controller {
            max_len,
            controller_id,
            reason,
        } => controller::encode_controller(*max_len, *controller_id, *reason, out),
        Action::Controller2(c) => controller::encode_controller2(c, out)?,
        Action::Ct(c) => ct::encode_ct(c, out, version)?,
        Action::Multipath(m) => select::encode_multipath(m, out)?,
        Action::Bundle(b) => select::encode_bundle(b, out)?,
        Action::Nat(n) => nat::encode(n, out)?,
        Action::Raw(raw) => {
            out.put_u16(raw.action_type);
            out.put_u16(0);
            out.put_slice(&raw.body);
            if !(out.len() - start).is_multiple_of(8) {
                return Err(EncodeError::BadValue {
                    what: "raw action",
                    problem: format!("length {} is not a multiple of 8", out.len() - start),
                });
            }
        }
    }
    finish(out, start, "action")
}

/// Pads the action that starts at `start` to a multiple of 8 and writes its length.
pub(crate) fn finish(
    out: &mut BytesMut,
    start: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    let len = out.len() - start;
    let padded = len.div_ceil(8) * 8;
    if padded > 0xfff8 {
        return Err(EncodeError::TooLong { what, len: padded });
    }
    out.resize(start + padded, 0);
    patch_u16(out, start + 2, padded as u16);
    Ok(())
}

/// Starts a Nicira extension action: type, length placeholder, vendor, subtype.
pub(crate) fn put_nx_header(out: &mut BytesMut, subtype: u16) {
    out.put_u16(0xffff);
    out.put_u16(0);
    out.put_u32(NX_VENDOR_ID);
    out.put_u16(subtype);
}

pub(crate) fn not_in(version: Version, what: &'static str) -> EncodeError {
    EncodeError::NotInVersion { what, version }
}

impl Action {
    /// The field this action writes, if it is a set-field-like or move action
    /// (`ofpact_get_mf_dst`): used by OVS's nesting rules.
    pub fn dst_field(&self) -> Option<Field> {
        match self {
            Action::SetField { field, .. } | Action::RegLoad2 { field, .. } => Some(*field),
            Action::RegLoad { dst, .. } => Some(dst.field),
            Action::RegMove { dst, .. }
            | Action::CopyField { dst, .. }
            | Action::OnfCopyField { dst, .. } => Some(dst.field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
