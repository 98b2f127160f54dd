//! Parsing the ovs-ofctl action syntax (`ofpacts_parse__` and the `parse_*` functions of
//! `lib/ofp-actions.c`), choosing each action's wire form for the target version exactly as
//! `ovs-ofctl` does when it encodes (`encode_*`):
//! - `set_field:V->F` is `OFPAT_SET_FIELD`; with a partial mask it is one `NXAST_REG_LOAD` per
//!   contiguous mask run in OpenFlow 1.3 (`NXAST_REG_LOAD2` for fields without a 32-bit NXM
//!   header) and a masked `OFPAT_SET_FIELD` in 1.5. `load:` is `NXAST_REG_LOAD` in 1.3 and
//!   `OFPAT_SET_FIELD` in 1.5.
//! - `move:` is `NXAST_REG_MOVE` in 1.3 and `OFPAT_COPY_FIELD` in 1.5.
//! - `dec_ttl` is `OFPAT_DEC_NW_TTL`; `set_tunnel[64]`, `mod_dl_*`, `mod_nw_*` are set_field.
//! - `resubmit` always uses `NXAST_RESUBMIT_TABLE` (`resubmit:5` included).
//! - `meter:N` is an instruction in 1.3 and the first apply-action in 1.5.
//!
//! The flat list of actions and instructions is checked with OVS's ordering and nesting rules
//! (`ofpacts_verify`) before it is grouped into instructions.

use super::check::FlowFacts;
use super::kv::{c_u32, c_u64, hex_bytes, next_kv};
use super::learn::parse_learn;
use super::parse_args::*;
use super::parse_ct::{parse_ct, parse_nat};
use super::parse_field::*;
use super::parse_header::parse_header_action;
use crate::ofproto::codec::action::Action;
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::instruction::Instruction;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::Value;
use crate::ofproto::codec::{Match, Version};
use crate::ofproto::text::{ParseError, ParseErrorKind, TableNames, TextContext};
use bytes::Bytes;

/// OVS's `MAX_OFPACT_PARSE_DEPTH`.
const MAX_DEPTH: usize = 100;

/// A syntax error about `input` with OVS's message.
pub(crate) fn err(input: &str, msg: impl Into<String>) -> ParseError {
    ParseError::new(input, ParseErrorKind::Syntax(msg.into()))
}

/// Where a list being parsed sits (`outer_action` of `ofpacts_parse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Nest {
    Top,
    Clone,
    Ct,
    WriteActions,
}

impl Nest {
    fn name(self) -> &'static str {
        match self {
            Nest::Top => "",
            Nest::Clone => "clone",
            Nest::Ct => "ct",
            Nest::WriteActions => "write_actions",
        }
    }
}

/// One element of OVS's flat action/instruction list.
#[derive(Debug)]
pub(crate) enum Item {
    Act(Action),
    Meter(u32),
    Clear,
    Write(Vec<Action>),
    Metadata { metadata: u64, mask: u64 },
    Goto(u8),
}

impl Item {
    /// `ovs_instruction_type_from_ofpact_type` as used by the parser (meter is always the
    /// meter instruction there).
    fn inst(&self) -> u8 {
        match self {
            Item::Meter(_) => 0,
            Item::Act(_) => 1,
            Item::Clear => 2,
            Item::Write(_) => 3,
            Item::Metadata { .. } => 4,
            Item::Goto(_) => 5,
        }
    }
}

fn inst_name(i: u8) -> &'static str {
    match i {
        0 => "meter",
        1 => "apply_actions",
        2 => "clear_actions",
        3 => "write_actions",
        4 => "write_metadata",
        _ => "goto_table",
    }
}

/// Parses `s` as instructions for `ctx.version`, for a flow whose match is not known: the
/// actions whose wire form depends on the match (`mod_vlan_vid`, `mod_tp_src`...) are
/// encoded as for the empty match, and no action is refused for not fitting the match. Use
/// [`parse_instructions_for_match`] for a flow's actions.
pub fn parse_instructions(s: &str, ctx: &TextContext<'_>) -> Result<Vec<Instruction>, ParseError> {
    parse_instructions_with(s, ctx, &mut FlowFacts::unknown())
}

/// Parses `s` as the instructions of a flow matching `m`, as `ovs-ofctl` does: wire forms
/// chosen by the match (`mod_vlan_vid` pushes a VLAN header only when the packet has none,
/// `mod_tp_dst` sets `tcp_dst`, `udp_dst` or `sctp_dst`) and actions that do not fit the
/// match refused (see `check.rs`).
pub fn parse_instructions_for_match(
    s: &str,
    ctx: &TextContext<'_>,
    m: &Match,
) -> Result<Vec<Instruction>, ParseError> {
    parse_instructions_with(s, ctx, &mut FlowFacts::of_match(m))
}

fn parse_instructions_with(
    s: &str,
    ctx: &TextContext<'_>,
    facts: &mut FlowFacts,
) -> Result<Vec<Instruction>, ParseError> {
    let items = parse_list(s, ctx, true, Nest::Top, 0, facts)?;
    let mut out = Vec::new();
    let mut apply: Vec<Action> = Vec::new();
    let flush = |apply: &mut Vec<Action>, out: &mut Vec<Instruction>| {
        if !apply.is_empty() {
            out.push(Instruction::ApplyActions(std::mem::take(apply)));
        }
    };
    for item in items {
        match item {
            Item::Act(a) => apply.push(a),
            Item::Meter(m) if ctx.version >= Version::Of15 => apply.push(Action::Meter(m)),
            Item::Meter(m) => out.push(Instruction::Meter(m)),
            Item::Clear => {
                flush(&mut apply, &mut out);
                out.push(Instruction::ClearActions);
            }
            Item::Write(actions) => {
                flush(&mut apply, &mut out);
                if !actions.is_empty() {
                    out.push(Instruction::WriteActions(actions));
                }
            }
            Item::Metadata { metadata, mask } => {
                flush(&mut apply, &mut out);
                out.push(Instruction::WriteMetadata { metadata, mask });
            }
            Item::Goto(t) => {
                flush(&mut apply, &mut out);
                out.push(Instruction::GotoTable(t));
            }
        }
    }
    flush(&mut apply, &mut out);
    Ok(out)
}

/// Parses `s` as a bare action list (no instructions) for `ctx.version`.
pub fn parse_actions(s: &str, ctx: &TextContext<'_>) -> Result<Vec<Action>, ParseError> {
    let items = parse_list(s, ctx, false, Nest::Top, 0, &mut FlowFacts::unknown())?;
    items_to_actions(items, s, ctx.version)
}

fn items_to_actions(
    items: Vec<Item>,
    s: &str,
    version: Version,
) -> Result<Vec<Action>, ParseError> {
    items
        .into_iter()
        .map(|item| match item {
            Item::Act(a) => Ok(a),
            Item::Meter(m) if version >= Version::Of15 => Ok(Action::Meter(m)),
            Item::Meter(_) => Err(ParseError::new(
                s,
                ParseErrorKind::NotInVersion {
                    what: "meter action".to_owned(),
                    version,
                },
            )),
            other => Err(err(
                s,
                format!("{} instruction not allowed here", inst_name(other.inst())),
            )),
        })
        .collect()
}

/// Parses a nested action list (`clone(...)`, `ct(exec(...))`, `write_actions(...)`) at the
/// flow state `facts`; what the nested actions change is dropped afterwards, as OVS restores
/// the flow after checking them.
pub(crate) fn parse_nested(
    s: &str,
    ctx: &TextContext<'_>,
    nest: Nest,
    depth: usize,
    facts: &FlowFacts,
) -> Result<Vec<Action>, ParseError> {
    let mut facts = if nest == Nest::WriteActions {
        facts.for_action_set()
    } else {
        facts.clone()
    };
    let items = parse_list(s, ctx, false, nest, depth, &mut facts)?;
    items_to_actions(items, s, ctx.version)
}

pub(crate) fn parse_list(
    s: &str,
    ctx: &TextContext<'_>,
    allow_instructions: bool,
    nest: Nest,
    depth: usize,
    facts: &mut FlowFacts,
) -> Result<Vec<Item>, ParseError> {
    if depth >= MAX_DEPTH {
        return Err(err(s, "Action nested too deeply"));
    }
    let mut items = Vec::new();
    let mut drop = false;
    let mut rest = s;
    while let Some((key, value)) = next_kv(&mut rest) {
        let whole = item_text(key, value);
        if key.eq_ignore_ascii_case("drop") {
            drop = true;
            continue;
        }
        parse_one(key, value, &whole, ctx, depth, &mut items, facts)?;
    }
    if drop && !items.is_empty() {
        return Err(err(
            s,
            "\"drop\" must not be accompanied by any other action or instruction",
        ));
    }
    verify(&items, allow_instructions, nest, s)?;
    Ok(items)
}

fn item_text(key: &str, value: &str) -> String {
    if value.is_empty() {
        key.to_owned()
    } else {
        format!("{key}:{value}")
    }
}

/// `ofpacts_verify` for parsed text.
fn verify(items: &[Item], allow_instructions: bool, nest: Nest, s: &str) -> Result<(), ParseError> {
    let mut prev: Option<u8> = None;
    for item in items {
        if let Item::Act(Action::Conjunction { .. }) = item {
            for other in items {
                match other {
                    Item::Act(Action::Conjunction { .. } | Action::Note(_)) => {}
                    other => {
                        return Err(err(
                            s,
                            format!(
                                "\"conjunction\" actions may be used along with \"note\" but not any other kind of action (such as the \"{}\" action used here)",
                                item_name(other)
                            ),
                        ))
                    }
                }
            }
            return Ok(());
        }
        verify_nested(item, nest, s)?;
        let next = item.inst();
        if let Some(inst) = prev {
            if if inst == 1 { next < inst } else { next <= inst } {
                return Err(err(
                    s,
                    if next == inst {
                        format!(
                            "duplicate {} instruction not allowed, for OpenFlow 1.1+ compatibility",
                            inst_name(inst)
                        )
                    } else {
                        format!(
                            "invalid instruction ordering: {} must appear before {}, for OpenFlow 1.1+ compatibility",
                            inst_name(next),
                            inst_name(inst)
                        )
                    },
                ));
            }
        }
        if !allow_instructions && next != 0 && next != 1 {
            return Err(err(
                s,
                format!("{} instruction not allowed here", inst_name(next)),
            ));
        }
        prev = Some(next);
    }
    Ok(())
}

fn verify_nested(item: &Item, nest: Nest, s: &str) -> Result<(), ParseError> {
    let field = match item {
        Item::Act(a) => a.dst_field(),
        _ => None,
    };
    let ct_field = field.is_some_and(|f| f == Field::CtMark || f == Field::CtLabel);
    if ct_field && nest != Nest::Ct {
        return Err(err(s, "cannot set CT fields outside of ct action"));
    }
    if let Item::Act(Action::Nat(_)) = item {
        return if nest == Nest::Ct {
            Ok(())
        } else {
            Err(err(s, "Cannot have NAT action outside of \"ct\" action"))
        };
    }
    if nest == Nest::Ct {
        match field {
            None => {
                return Err(err(
                    s,
                    format!(
                        "ct action doesn't support nested action {}",
                        item_name(item)
                    ),
                ))
            }
            Some(f) if !ct_field => {
                return Err(err(
                    s,
                    format!(
                        "ct action doesn't support nested modification of {}",
                        f.name()
                    ),
                ))
            }
            _ => {}
        }
    }
    if nest != Nest::Top && matches!(item, Item::Meter(_)) {
        return Err(err(
            s,
            format!("{} action doesn't support nested action meter", nest.name()),
        ));
    }
    Ok(())
}

/// The ofpact name OVS uses in messages.
fn item_name(item: &Item) -> &'static str {
    match item {
        Item::Act(a) => action_name(a),
        Item::Meter(_) => "meter",
        Item::Clear => "clear_actions",
        Item::Write(_) => "write_actions",
        Item::Metadata { .. } => "write_metadata",
        Item::Goto(_) => "goto_table",
    }
}

fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Output { .. } => "output",
        Action::Group(_) => "group",
        Action::SetQueue(_) => "set_queue",
        Action::PushVlan(_) => "push_vlan",
        Action::PopVlan => "strip_vlan",
        Action::DecNwTtl | Action::DecTtlCntIds(_) => "dec_ttl",
        Action::SetField { .. } | Action::RegLoad { .. } | Action::RegLoad2 { .. } => "set_field",
        Action::CopyField { .. } | Action::OnfCopyField { .. } | Action::RegMove { .. } => "move",
        Action::Meter(_) => "meter",
        Action::Resubmit { .. } | Action::ResubmitTable { .. } => "resubmit",
        Action::SetTunnel(_) | Action::SetTunnel64(_) => "set_tunnel",
        Action::PopQueue => "pop_queue",
        Action::Note(_) => "note",
        Action::OutputReg { .. } | Action::OutputReg2 { .. } => "output_reg",
        Action::Learn(_) | Action::Learn2(_) => "learn",
        Action::Exit => "exit",
        Action::FinTimeout { .. } => "fin_timeout",
        Action::Controller { .. } | Action::Controller2(_) => "controller",
        Action::WriteMetadata { .. } => "write_metadata",
        Action::StackPush(_) => "push",
        Action::StackPop(_) => "pop",
        Action::Sample(_) => "sample",
        Action::Conjunction { .. } => "conjunction",
        Action::Ct(_) => "ct",
        Action::Nat(_) => "nat",
        Action::OutputTrunc { .. } => "output_trunc",
        Action::Clone(_) => "clone",
        Action::CtClear => "ct_clear",
        Action::CheckPktLarger { .. } => "check_pkt_larger",
        Action::Multipath(_) => "multipath",
        Action::Bundle(_) => "bundle",
        Action::SetNwTtl(_) => "mod_nw_ttl",
        Action::SetMplsTtl(_) => "set_mpls_ttl",
        Action::DecMplsTtl => "dec_mpls_ttl",
        Action::PushMpls(_) => "push_mpls",
        Action::PopMpls(_) => "pop_mpls",
        Action::SetTpSrc(_) => "mod_tp_src",
        Action::SetTpDst(_) => "mod_tp_dst",
        _ => "raw",
    }
}

/// Parses one `key[:value]` item, appending what it becomes to `items`.
fn parse_one(
    key: &str,
    value: &str,
    whole: &str,
    ctx: &TextContext<'_>,
    depth: usize,
    items: &mut Vec<Item>,
    facts: &mut FlowFacts,
) -> Result<(), ParseError> {
    let first = items.len();
    parse_item(key, value, whole, ctx, depth, items, facts)?;
    // The checks and flow updates of the field actions just parsed (`check_SET_FIELD`,
    // `check_REG_MOVE`). A `mod_*` action that became a `set_field` is checked as one too:
    // OVS tolerates an inconsistent `mod_nw_src` in `write_actions`, but then refuses the
    // `set_field` it encoded when decoding it. The VLAN actions check their own set_field
    // before marking the header present.
    let vlan_action = [
        "mod_vlan_vid",
        "set_vlan_vid",
        "mod_vlan_pcp",
        "set_vlan_pcp",
    ]
    .iter()
    .any(|k| key.eq_ignore_ascii_case(k));
    if vlan_action {
        return Ok(());
    }
    for item in &items[first..] {
        let Item::Act(a) = item else { continue };
        match a {
            Action::SetField { field, value, mask } | Action::RegLoad2 { field, value, mask } => {
                facts.check_field(*field, whole)?;
                if *field == Field::VlanTci && mask.is_none() {
                    facts.set_vlan_tci(value.as_u64() as u16);
                }
            }
            Action::RegLoad { dst, value } => {
                facts.check_field(dst.field, whole)?;
                if dst.field == Field::VlanTci && dst.is_full() {
                    facts.set_vlan_tci(*value as u16);
                }
            }
            Action::RegMove { src, dst }
            | Action::CopyField { src, dst }
            | Action::OnfCopyField { src, dst } => {
                facts.check_field(src.field, whole)?;
                facts.check_field(dst.field, whole)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_item(
    key: &str,
    value: &str,
    whole: &str,
    ctx: &TextContext<'_>,
    depth: usize,
    items: &mut Vec<Item>,
    facts: &mut FlowFacts,
) -> Result<(), ParseError> {
    let v = ctx.version;
    let act = |a: Action| Item::Act(a);
    let lower = key.to_ascii_lowercase();
    match lower.as_str() {
        "output" | "output_reg" => items.push(act(parse_output(value, whole, ctx)?)),
        "group" => items.push(act(Action::Group(u32_arg(value, whole)?))),
        "controller" => items.push(act(parse_controller(value, whole)?)),
        "enqueue" => {
            let (port, queue) = parse_enqueue(value, whole, ctx)?;
            items.push(act(Action::SetQueue(queue)));
            items.push(act(Action::Output {
                port,
                max_len: u16::MAX,
            }));
            items.push(act(Action::PopQueue));
        }
        "set_field" => {
            for a in parse_set_field(value, whole, ctx)? {
                items.push(act(a));
            }
        }
        "move" => items.push(act(parse_move(value, whole, v)?)),
        "load" => {
            for a in parse_load(value, whole, v)? {
                items.push(act(a));
            }
        }
        "push" | "pop" => {
            let (sf, rest) = parse_subfield_prefix(value).map_err(|m| err(whole, m))?;
            if !rest.is_empty() {
                return Err(err(
                    whole,
                    format!("{rest}: trailing garbage following push or pop"),
                ));
            }
            items.push(act(if lower == "push" {
                Action::StackPush(sf)
            } else {
                Action::StackPop(sf)
            }));
        }
        "set_tunnel" | "set_tunnel64" => {
            let id = c_u64(value)
                .ok_or_else(|| err(whole, format!("invalid numeric format {value}")))?;
            items.push(act(exact_set_field(Field::TunId, Value::from_u64(8, id))));
        }
        "set_queue" => items.push(act(Action::SetQueue(u32_arg(value, whole)?))),
        "pop_queue" => items.push(act(Action::PopQueue)),
        "resubmit" => items.push(act(parse_resubmit(value, whole, ctx)?)),
        "learn" => items.push(act(parse_learn(value, ctx)?)),
        "conjunction" => items.push(act(parse_conjunction(value, whole)?)),
        "note" => {
            let mut bytes =
                hex_bytes(value).ok_or_else(|| err(whole, "bad hex digit in `note' argument"))?;
            // The wire form pads the note, and the padding is part of the decoded note.
            bytes.resize((10 + bytes.len()).div_ceil(8) * 8 - 10, 0);
            items.push(act(Action::Note(Bytes::from(bytes))));
        }
        "exit" => items.push(act(Action::Exit)),
        "sample" => items.push(act(parse_sample(value, whole, ctx)?)),
        "ct" => items.push(act(parse_ct(value, whole, ctx, depth, facts)?)),
        "ct_clear" => items.push(act(Action::CtClear)),
        "nat" => items.push(act(parse_nat(value, whole)?)),
        "clone" => items.push(act(Action::Clone(parse_nested(
            value,
            ctx,
            Nest::Clone,
            depth + 1,
            facts,
        )?))),
        "check_pkt_larger" => items.push(act(parse_check_pkt_larger(value, whole)?)),
        "meter" => items.push(Item::Meter(u32_arg(value, whole)?)),
        "clear_actions" => items.push(Item::Clear),
        "write_actions" => items.push(Item::Write(parse_nested(
            value,
            ctx,
            Nest::WriteActions,
            depth + 1,
            facts,
        )?)),
        "write_metadata" => items.push(parse_write_metadata(value, whole)?),
        "goto_table" => {
            let t = TableNames::parse(ctx.tables, value)
                .ok_or_else(|| err(whole, format!("unknown table \"{value}\"")))?;
            items.push(Item::Goto(t));
        }
        "apply_actions" => return Err(err(whole, "apply_actions is the default instruction")),
        "raw" => items.push(act(parse_raw(value, whole)?)),
        "multipath" => items.push(act(parse_multipath(value, whole)?)),
        "bundle" | "bundle_load" => items.push(act(parse_bundle(
            value,
            whole,
            lower == "bundle_load",
            ctx,
        )?)),
        _ if parse_header_action(&lower, value, whole, items, facts)? => {}
        _ => match PortNo::parse(key, ctx.ports) {
            Some(port) if is_action_name(&lower) => {
                let _ = port;
                return Err(ParseError::new(
                    whole,
                    ParseErrorKind::UnknownAction(key.to_owned()),
                ));
            }
            Some(port) => items.push(act(Action::Output { port, max_len: 0 })),
            None => {
                return Err(ParseError::new(
                    whole,
                    ParseErrorKind::UnknownAction(key.to_owned()),
                ))
            }
        },
    }
    Ok(())
}

/// OVS action names this parser does not support (so a port of that name is not assumed).
fn is_action_name(k: &str) -> bool {
    matches!(
        k,
        "set_nw_ttl"
            | "dec_nsh_ttl"
            | "delete_field"
            | "encap"
            | "decap"
            | "unroll_xlate"
            | "output_trunc"
            | "debug_recirc"
            | "debug_slow"
    )
}

pub(crate) fn u32_arg(value: &str, whole: &str) -> Result<u32, ParseError> {
    if value.is_empty() {
        return Err(err(whole, "missing required numeric argument"));
    }
    c_u32(value).ok_or_else(|| err(whole, format!("invalid numeric format {value}")))
}

fn exact_set_field(field: Field, value: Value) -> Action {
    Action::SetField {
        field,
        value,
        mask: None,
    }
}
