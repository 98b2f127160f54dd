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

use super::kv::{c_u16, c_u32, c_u64, c_u8, hex_bytes, next_kv};
use super::learn::parse_learn;
use super::parse_ct::{parse_ct, parse_nat};
use crate::ofproto::codec::action::{
    has_nxm32, value_is_valid, Action, Controller2, Sample, SampleForm, Subfield,
};
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::instruction::Instruction;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::{self, parse_int, Value};
use crate::ofproto::codec::Version;
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

/// Parses `s` as instructions for `ctx.version`.
pub fn parse_instructions(s: &str, ctx: &TextContext<'_>) -> Result<Vec<Instruction>, ParseError> {
    let items = parse_list(s, ctx, true, Nest::Top, 0)?;
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
    let items = parse_list(s, ctx, false, Nest::Top, 0)?;
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

/// Parses a nested action list (`clone(...)`, `ct(exec(...))`, `write_actions(...)`).
pub(crate) fn parse_nested(
    s: &str,
    ctx: &TextContext<'_>,
    nest: Nest,
    depth: usize,
) -> Result<Vec<Action>, ParseError> {
    let items = parse_list(s, ctx, false, nest, depth)?;
    items_to_actions(items, s, ctx.version)
}

pub(crate) fn parse_list(
    s: &str,
    ctx: &TextContext<'_>,
    allow_instructions: bool,
    nest: Nest,
    depth: usize,
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
        parse_one(key, value, &whole, ctx, depth, &mut items)?;
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
        "strip_vlan" | "pop_vlan" => items.push(act(Action::PopVlan)),
        "push_vlan" => {
            let e =
                c_u16(value).ok_or_else(|| err(whole, format!("invalid ethertype \"{value}\"")))?;
            if e != 0x8100 && e != 0x88a8 {
                return Err(err(whole, format!("{value}: not a valid VLAN ethertype")));
            }
            items.push(act(Action::PushVlan(e)));
        }
        "mod_dl_src" | "mod_dl_dst" => {
            let field = if lower == "mod_dl_src" {
                Field::EthSrc
            } else {
                Field::EthDst
            };
            let (value, _) = value::parse(field, value, None)
                .map_err(|e| ParseError::new(whole, ParseErrorKind::BadValue(e)))?;
            items.push(act(exact_set_field(field, value)));
        }
        "mod_nw_src" | "mod_nw_dst" => {
            let field = if lower == "mod_nw_src" {
                Field::Ipv4Src
            } else {
                Field::Ipv4Dst
            };
            let ip: std::net::Ipv4Addr = value
                .parse()
                .map_err(|_| err(whole, format!("{value}: invalid IP address")))?;
            items.push(act(exact_set_field(field, Value::from_ipv4(ip))));
        }
        "mod_nw_tos" => {
            let tos = c_u8(value).ok_or_else(|| err(whole, format!("invalid TOS \"{value}\"")))?;
            if tos & 0x03 != 0 {
                return Err(err(whole, format!("{value}: not a valid TOS")));
            }
            items.push(act(exact_set_field(
                Field::IpDscpShifted,
                Value::from_u64(1, (tos >> 2) as u64),
            )));
        }
        "mod_nw_ecn" => {
            let ecn = c_u8(value).ok_or_else(|| err(whole, format!("invalid ECN \"{value}\"")))?;
            if ecn > 3 {
                return Err(err(whole, format!("{value}: not a valid ECN")));
            }
            items.push(act(exact_set_field(
                Field::IpEcn,
                Value::from_u64(1, ecn as u64),
            )));
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
        "dec_ttl" => items.push(act(parse_dec_ttl(value, whole)?)),
        "set_tunnel" | "set_tunnel64" => {
            let id = c_u64(value)
                .ok_or_else(|| err(whole, format!("invalid numeric format {value}")))?;
            items.push(act(exact_set_field(Field::TunId, Value::from_u64(8, id))));
        }
        "set_queue" => items.push(act(Action::SetQueue(u32_arg(value, whole)?))),
        "pop_queue" => items.push(act(Action::PopQueue)),
        "fin_timeout" => items.push(act(parse_fin_timeout(value, whole)?)),
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
        "ct" => items.push(act(parse_ct(value, whole, ctx, depth)?)),
        "ct_clear" => items.push(act(Action::CtClear)),
        "nat" => items.push(act(parse_nat(value, whole)?)),
        "clone" => items.push(act(Action::Clone(parse_nested(
            value,
            ctx,
            Nest::Clone,
            depth + 1,
        )?))),
        "check_pkt_larger" => items.push(act(parse_check_pkt_larger(value, whole)?)),
        "meter" => items.push(Item::Meter(u32_arg(value, whole)?)),
        "clear_actions" => items.push(Item::Clear),
        "write_actions" => items.push(Item::Write(parse_nested(
            value,
            ctx,
            Nest::WriteActions,
            depth + 1,
        )?)),
        "write_metadata" => items.push(parse_write_metadata(value, whole)?),
        "goto_table" => {
            let t = TableNames::parse(ctx.tables, value)
                .ok_or_else(|| err(whole, format!("unknown table \"{value}\"")))?;
            items.push(Item::Goto(t));
        }
        "apply_actions" => return Err(err(whole, "apply_actions is the default instruction")),
        "raw" => items.push(act(parse_raw(value, whole)?)),
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
        "bundle"
            | "bundle_load"
            | "multipath"
            | "set_vlan_vid"
            | "set_vlan_pcp"
            | "mod_vlan_vid"
            | "mod_vlan_pcp"
            | "mod_nw_ttl"
            | "set_nw_ttl"
            | "mod_tp_src"
            | "mod_tp_dst"
            | "set_mpls_label"
            | "set_mpls_tc"
            | "set_mpls_ttl"
            | "dec_mpls_ttl"
            | "push_mpls"
            | "pop_mpls"
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

fn u32_arg(value: &str, whole: &str) -> Result<u32, ParseError> {
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

/// `mf_parse_subfield__`: a field name (NXM/OXM header name, optionally with `_W`, or a field
/// name) followed by `[]`, `[n]`, `[a..b]` or nothing (the whole field). Returns the subfield
/// and the text after it.
pub(crate) fn parse_subfield_prefix(s: &str) -> Result<(Subfield, &str), String> {
    let name_len = s.find(['[', '-']).unwrap_or(s.len());
    let name = &s[..name_len];
    let nxm_name = if name.len() > 2 && name.ends_with("_W") {
        &name[..name.len() - 2]
    } else {
        name
    };
    let field = Field::from_header_name(nxm_name)
        .or_else(|| Field::from_name(name))
        .ok_or_else(|| format!("{s}: unknown field `{name}'"))?;
    let width = field.info().n_bits as u32;
    let mut rest = &s[name_len..];
    let (start, end) = if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']').ok_or_else(|| {
            format!("{s}: syntax error expecting [] or [<bit>] or [<start>..<end>]")
        })?;
        let inner = &r[..close];
        rest = &r[close + 1..];
        let num = |t: &str| t.trim().parse::<u32>().ok();
        if inner.is_empty() {
            (0, width.saturating_sub(1))
        } else if let Some((a, b)) = inner.split_once("..") {
            match (num(a), num(b)) {
                (Some(a), Some(b)) => (a, b),
                _ => {
                    return Err(format!(
                        "{s}: syntax error expecting [] or [<bit>] or [<start>..<end>]"
                    ))
                }
            }
        } else {
            let a = num(inner).ok_or_else(|| {
                format!("{s}: syntax error expecting [] or [<bit>] or [<start>..<end>]")
            })?;
            (a, a)
        }
    } else {
        (0, width.saturating_sub(1))
    };
    if start > end {
        return Err(format!(
            "{s}: starting bit {start} is after ending bit {end}"
        ));
    } else if start >= width {
        return Err(format!(
            "{s}: starting bit {start} is not valid because field is only {width} bits wide"
        ));
    } else if end >= width {
        return Err(format!(
            "{s}: ending bit {end} is not valid because field is only {width} bits wide"
        ));
    }
    Ok((
        Subfield {
            field,
            ofs: start as u16,
            n_bits: (end - start + 1) as u16,
        },
        rest,
    ))
}

/// `mf_parse_subfield`: the whole string must be a subfield.
pub(crate) fn parse_subfield(s: &str) -> Result<Subfield, String> {
    let (sf, rest) = parse_subfield_prefix(s)?;
    if !rest.is_empty() {
        return Err("unexpected input following field syntax".to_owned());
    }
    Ok(sf)
}

fn parse_output(arg: &str, whole: &str, ctx: &TextContext<'_>) -> Result<Action, ParseError> {
    if arg.contains("port") && arg.contains("max_len") {
        let mut port = PortNo(0);
        let mut max_len = 0u32;
        let mut s = arg;
        while let Some((k, v)) = next_kv(&mut s) {
            match k {
                "port" => {
                    port = PortNo::parse(v, ctx.ports).ok_or_else(|| {
                        err(whole, format!("output to unknown truncate port: {v}"))
                    })?;
                    if port.0 > PortNo::MAX.0 && port != PortNo::LOCAL && port != PortNo::IN_PORT {
                        return Err(err(
                            whole,
                            format!("output to unsupported truncate port: {v}"),
                        ));
                    }
                }
                "max_len" => {
                    max_len = u32_arg(v, whole)?;
                    if max_len < 14 {
                        return Err(err(
                            whole,
                            format!("max_len {max_len} is less than the minimum value 14"),
                        ));
                    }
                }
                _ => {
                    return Err(err(
                        whole,
                        format!("invalid key '{k}' in output_trunc argument"),
                    ))
                }
            }
        }
        return Ok(Action::OutputTrunc { port, max_len });
    }
    if let Some(port) = PortNo::parse(arg, ctx.ports) {
        let max_len = if port == PortNo::CONTROLLER {
            u16::MAX
        } else {
            0
        };
        return Ok(Action::Output { port, max_len });
    }
    if let Ok(src) = parse_subfield(arg) {
        return Ok(if has_nxm32(src.field) {
            Action::OutputReg {
                src,
                max_len: u16::MAX,
            }
        } else {
            Action::OutputReg2 {
                src,
                max_len: u16::MAX,
            }
        });
    }
    Err(err(whole, format!("{arg}: output to unknown port")))
}

fn parse_controller(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let mut c = Controller2::default();
    let mut userdata: Option<Vec<u8>> = None;
    if arg.is_empty() {
    } else if arg.bytes().all(|b| b.is_ascii_digit()) {
        c.max_len = c_u16(arg).ok_or_else(|| err(whole, format!("invalid max_len \"{arg}\"")))?;
    } else {
        let mut s = arg;
        while let Some((k, v)) = next_kv(&mut s) {
            match k {
                "reason" => {
                    // Names as OVS; a number (printed by OVS for unnamed reasons) as well.
                    c.reason = (0u8..8)
                        .find(|r| {
                            super::format::reason_name(*r)
                                .is_some_and(|n| n.eq_ignore_ascii_case(v))
                        })
                        .or_else(|| c_u8(v))
                        .ok_or_else(|| err(whole, format!("unknown reason \"{v}\"")))?;
                }
                "max_len" => {
                    c.max_len =
                        c_u16(v).ok_or_else(|| err(whole, format!("invalid max_len \"{v}\"")))?
                }
                "id" => {
                    c.controller_id =
                        c_u16(v).ok_or_else(|| err(whole, format!("invalid id \"{v}\"")))?
                }
                "userdata" => {
                    userdata = Some(hex_bytes(v).ok_or_else(|| {
                        err(whole, "bad hex digit in `controller' action `userdata'")
                    })?)
                }
                "pause" => c.pause = true,
                "meter_id" => c.meter_id = u32_arg(v, whole)?,
                _ => {
                    return Err(err(
                        whole,
                        format!("unknown key \"{k}\" parsing controller action"),
                    ))
                }
            }
        }
    }
    if c.reason == 1 && c.controller_id == 0 && userdata.is_none() && !c.pause && c.meter_id == 0 {
        return Ok(Action::Output {
            port: PortNo::CONTROLLER,
            max_len: c.max_len,
        });
    }
    let userdata = userdata.unwrap_or_default();
    if userdata.is_empty() && !c.pause && c.meter_id == 0 {
        return Ok(Action::Controller {
            max_len: c.max_len,
            controller_id: c.controller_id,
            reason: c.reason,
        });
    }
    c.userdata = Bytes::from(userdata);
    Ok(Action::Controller2(Box::new(c)))
}

fn parse_enqueue(
    arg: &str,
    whole: &str,
    ctx: &TextContext<'_>,
) -> Result<(PortNo, u32), ParseError> {
    let syntax = || {
        err(
            whole,
            "\"enqueue\" syntax is \"enqueue:PORT:QUEUE\" or \"enqueue(PORT,QUEUE)\"",
        )
    };
    let start = arg.trim_start_matches([':', 'q', ',']);
    let end = start.find([':', 'q', ',']).ok_or_else(syntax)?;
    let port_s = &start[..end];
    let queue_s = &start[end + 1..];
    if port_s.is_empty() || queue_s.is_empty() {
        return Err(syntax());
    }
    let port = PortNo::parse(port_s, ctx.ports)
        .ok_or_else(|| err(whole, format!("{port_s}: enqueue to unknown port")))?;
    Ok((port, u32_arg(queue_s, whole)?))
}

/// `set_field_split_str`: `VALUE->FIELD`.
fn split_arrow<'a>(arg: &'a str, whole: &str) -> Result<(&'a str, &'a str), ParseError> {
    let i = arg
        .find("->")
        .ok_or_else(|| err(whole, format!("{arg}: missing `->'")))?;
    let key = &arg[i + 2..];
    if key.is_empty() {
        return Err(err(
            whole,
            format!("{arg}: missing field name following `->'"),
        ));
    }
    Ok((&arg[..i], key))
}

fn parse_set_field(
    arg: &str,
    whole: &str,
    ctx: &TextContext<'_>,
) -> Result<Vec<Action>, ParseError> {
    let (value_s, key) = split_arrow(arg, whole)?;
    let field = Field::from_name(key)
        .ok_or_else(|| err(whole, format!("{key} is not a valid OXM field name")))?;
    if !field.info().writable {
        return Err(err(whole, format!("{key} is read-only")));
    }
    if field.info().headers.is_empty() {
        return Err(err(whole, format!("{key} has no OXM or NXM header")));
    }
    let (value, mask) = value::parse(field, value_s, ctx.ports)
        .map_err(|e| ParseError::new(whole, ParseErrorKind::BadValue(e)))?;
    if !value_is_valid(field, &value) {
        return Err(err(
            whole,
            format!("{value_s} is not a valid value for field {key}"),
        ));
    }
    Ok(set_field_actions(field, value, mask, ctx.version, false))
}

/// The actions OVS emits for a set-field ofpact (`encode_SET_FIELD`); `from_load` marks one
/// that came from `load:` (OVS's `NXAST_RAW_REG_LOAD` raw form).
pub(crate) fn set_field_actions(
    field: Field,
    value: Value,
    mask: Value,
    version: Version,
    from_load: bool,
) -> Vec<Action> {
    let full = mask.is_all_ones();
    if version >= Version::Of15 || (!from_load && full) {
        return vec![Action::SetField {
            field,
            value,
            mask: (!full).then_some(mask),
        }];
    }
    if !has_nxm32(field) {
        return vec![Action::RegLoad2 {
            field,
            value,
            mask: (!full).then_some(mask),
        }];
    }
    load_segments(field, &value, &mask)
}

/// `next_load_segment`: one `reg_load` per contiguous run of mask bits (at most 64 bits each),
/// from the least significant bit up, within the field's meaningful width.
fn load_segments(field: Field, value: &Value, mask: &Value) -> Vec<Action> {
    let n_bits = field.info().n_bits as u32;
    let v = value.as_u128();
    let m = mask.as_u128();
    let bit = |i: u32| i < 128 && m >> i & 1 == 1;
    let mut out = Vec::new();
    let mut start = 0u32;
    while start < n_bits {
        let Some(ofs) = (start..n_bits).find(|&i| bit(i)) else {
            break;
        };
        let limit = (ofs + 64).min(n_bits);
        let end = (ofs + 1..limit).find(|&i| !bit(i)).unwrap_or(limit);
        let n = end - ofs;
        let seg = (v >> ofs)
            & if n >= 128 {
                u128::MAX
            } else {
                (1u128 << n) - 1
            };
        out.push(Action::RegLoad {
            dst: Subfield {
                field,
                ofs: ofs as u16,
                n_bits: n as u16,
            },
            value: seg as u64,
        });
        start = end;
    }
    out
}

fn parse_load(arg: &str, whole: &str, version: Version) -> Result<Vec<Action>, ParseError> {
    let (value_s, key) = split_arrow(arg, whole)?;
    let dst = parse_subfield(key).map_err(|m| err(whole, m))?;
    let n_bytes = dst.field.n_bytes();
    let value = parse_int(value_s, n_bytes)
        .map_err(|_| err(whole, format!("{arg}: cannot parse integer value")))?;
    if dst.n_bits < 128 && value.as_u128() >> dst.n_bits != 0 {
        let mut shown = String::new();
        value::format(dst.field, &value, None, None, &mut shown);
        return Err(err(
            whole,
            format!("{arg}: value {shown} does not fit into {} bits", dst.n_bits),
        ));
    }
    if !dst.field.info().writable {
        return Err(err(
            whole,
            format!("destination field {} is not writable", dst.field.name()),
        ));
    }
    let ones = if dst.n_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << dst.n_bits) - 1
    };
    let mask = Value::from_u128(n_bytes, ones << dst.ofs);
    let value = Value::from_u128(n_bytes, value.as_u128() << dst.ofs);
    Ok(set_field_actions(dst.field, value, mask, version, true))
}

fn parse_move(arg: &str, whole: &str, version: Version) -> Result<Action, ParseError> {
    let (src, rest) = parse_subfield_prefix(arg).map_err(|m| err(whole, m))?;
    let dst_s = rest
        .strip_prefix("->")
        .ok_or_else(|| err(whole, format!("{arg}: missing `->' following source")))?;
    let dst = parse_subfield(dst_s).map_err(|m| err(whole, m))?;
    if src.n_bits != dst.n_bits {
        return Err(err(
            whole,
            format!(
                "{arg}: source field is {} bits wide but destination is {} bits wide",
                src.n_bits, dst.n_bits
            ),
        ));
    }
    Ok(if version >= Version::Of15 {
        Action::CopyField { src, dst }
    } else {
        Action::RegMove { src, dst }
    })
}

fn parse_dec_ttl(arg: &str, whole: &str) -> Result<Action, ParseError> {
    if arg.is_empty() {
        return Ok(Action::DecNwTtl);
    }
    let ids: Vec<u16> = arg
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .map(|t| super::kv::atoi(t) as u16)
        .collect();
    if ids.is_empty() {
        return Err(err(
            whole,
            "dec_ttl_cnt_ids: expected at least one controller id.",
        ));
    }
    Ok(Action::DecTtlCntIds(ids))
}

fn parse_fin_timeout(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let (mut idle, mut hard) = (0, 0);
    let mut s = arg;
    while let Some((k, v)) = next_kv(&mut s) {
        let n = || c_u16(v).ok_or_else(|| err(whole, format!("invalid {k} \"{v}\"")));
        match k {
            "idle_timeout" => idle = n()?,
            "hard_timeout" => hard = n()?,
            _ => {
                return Err(err(
                    whole,
                    format!("invalid key '{k}' in 'fin_timeout' argument"),
                ))
            }
        }
    }
    Ok(Action::FinTimeout {
        idle_timeout: idle,
        hard_timeout: hard,
    })
}

fn parse_resubmit(arg: &str, whole: &str, ctx: &TextContext<'_>) -> Result<Action, ParseError> {
    let mut parts = arg.splitn(4, ',');
    let port_s = parts.next().unwrap_or("");
    let table_s = parts.next().unwrap_or("");
    let ct_s = parts.next().unwrap_or("");
    let in_port = if port_s.is_empty() {
        PortNo::IN_PORT
    } else {
        PortNo::parse(port_s, ctx.ports)
            .ok_or_else(|| err(whole, format!("{port_s}: resubmit to unknown port")))?
    };
    let table = if table_s.is_empty() {
        255
    } else {
        TableNames::parse(ctx.tables, table_s)
            .ok_or_else(|| err(whole, format!("{table_s}: resubmit to unknown table")))?
    };
    let ct = match ct_s {
        "" => false,
        "ct" => true,
        other => return Err(err(whole, format!("{other}: unknown parameter"))),
    };
    if in_port == PortNo::IN_PORT && table == 255 {
        return Err(err(
            whole,
            "at least one \"in_port\" or \"table\" must be specified on resubmit",
        ));
    }
    Ok(Action::ResubmitTable { in_port, table, ct })
}

fn parse_conjunction(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let syntax = || err(whole, "\"conjunction\" syntax is \"conjunction(id,i/n)\"");
    let (id_s, rest) = arg.split_once(',').ok_or_else(syntax)?;
    let (k_s, n_s) = rest.split_once('/').ok_or_else(syntax)?;
    let id_s = id_s.trim();
    let id = match id_s.strip_prefix('-') {
        Some(neg) => c_u64(neg).map(|v| (v as u32).wrapping_neg()),
        None => c_u64(id_s).map(|v| v as u32),
    }
    .ok_or_else(syntax)?;
    let k: u8 = k_s.trim().parse().map_err(|_| syntax())?;
    let n: u8 = n_s.trim().parse().map_err(|_| syntax())?;
    if n < 2 {
        return Err(err(whole, "conjunction must have at least 2 clauses"));
    } else if n > 64 {
        return Err(err(whole, "conjunction must have at most 64 clauses"));
    } else if k < 1 {
        return Err(err(whole, "clause index must be positive"));
    } else if k > n {
        return Err(err(
            whole,
            "clause index must be less than or equal to number of clauses",
        ));
    }
    Ok(Action::Conjunction {
        id,
        clause: k - 1,
        n_clauses: n,
    })
}

fn parse_sample(arg: &str, whole: &str, ctx: &TextContext<'_>) -> Result<Action, ParseError> {
    let mut s = Sample {
        form: SampleForm::Sample,
        probability: 0,
        collector_set_id: 0,
        obs_domain_id: 0,
        obs_point_id: 0,
        sampling_port: PortNo::ANY,
        direction: 0,
    };
    let mut rest = arg;
    while let Some((k, v)) = next_kv(&mut rest) {
        match k {
            "probability" => {
                s.probability = c_u16(v)
                    .filter(|p| *p != 0)
                    .ok_or_else(|| err(whole, format!("invalid probability value \"{v}\"")))?;
            }
            "collector_set_id" => s.collector_set_id = u32_arg(v, whole)?,
            "obs_domain_id" => s.obs_domain_id = u32_arg(v, whole)?,
            "obs_point_id" => s.obs_point_id = u32_arg(v, whole)?,
            "sampling_port" => {
                s.sampling_port = PortNo::parse(v, ctx.ports)
                    .ok_or_else(|| err(whole, format!("{v}: unknown port")))?
            }
            "ingress" => s.direction = 1,
            "egress" => s.direction = 2,
            _ => {
                return Err(err(
                    whole,
                    format!("invalid key \"{k}\" in \"sample\" argument"),
                ))
            }
        }
    }
    if s.probability == 0 {
        return Err(err(
            whole,
            "non-zero \"probability\" must be specified on sample",
        ));
    }
    s.form = if s.direction != 0 {
        SampleForm::Sample3
    } else if s.sampling_port != PortNo::ANY {
        SampleForm::Sample2
    } else {
        SampleForm::Sample
    };
    Ok(Action::Sample(s))
}

fn parse_check_pkt_larger(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let (value_s, key) = split_arrow(arg, whole)?;
    let value_s = value_s.strip_suffix(')').unwrap_or(value_s);
    let dst = parse_subfield(key).map_err(|m| err(whole, m))?;
    if dst.n_bits != 1 {
        return Err(err(whole, "Only 1-bit destination field is allowed"));
    }
    let pkt_len = c_u16(value_s).ok_or_else(|| err(whole, format!("invalid  \"{value_s}\"")))?;
    Ok(Action::CheckPktLarger { pkt_len, dst })
}

fn parse_write_metadata(arg: &str, whole: &str) -> Result<Item, ParseError> {
    let num = |s: &str| c_u64(s).ok_or_else(|| err(whole, format!("invalid numeric format {s}")));
    let (metadata, mask) = match arg.split_once('/') {
        Some((v, m)) => (num(v)?, num(m)?),
        None => (num(arg)?, u64::MAX),
    };
    Ok(Item::Metadata { metadata, mask })
}

/// `raw(TYPE,HEX)`: this crate's text for an action it does not model.
fn parse_raw(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let bad = || err(whole, "raw action syntax is raw(TYPE,HEXBYTES)");
    let (ty, hex) = arg.split_once(',').ok_or_else(bad)?;
    let action_type = c_u16(ty.trim()).ok_or_else(bad)?;
    let body = hex_bytes(hex.trim()).ok_or_else(bad)?;
    if (body.len() + 4) % 8 != 0 {
        return Err(err(whole, "raw action length must be a multiple of 8"));
    }
    Ok(Action::Raw(crate::ofproto::codec::action::RawAction {
        action_type,
        body: Bytes::from(body),
    }))
}
