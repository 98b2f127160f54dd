//! Printing actions and instructions exactly as `ovs-ofctl` does (`ofpacts_format` and the
//! `format_*` functions of `lib/ofp-actions.c`, `learn_format` of `lib/learn.c`).
//!
//! The printed form depends on the wire form (`load:` for `NXAST_REG_LOAD`, `set_field:` for
//! `OFPAT_SET_FIELD` / `NXAST_REG_LOAD2`, `resubmit:5` vs `resubmit(,5)`), which is why actions
//! keep it. Instructions are printed in OVS's canonical order; an empty list prints `drop`.

use super::learn::format_learn;
use crate::ofproto::codec::action::{
    hash_fields_name, Action, Ct, CtZone, Nat, NatAddr, RawAction, Subfield,
};
use crate::ofproto::codec::instruction::Instruction;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::{self, put_dec, put_hex, put_hex_byte, put_hex_digits};
use crate::ofproto::text::{TableNames, TextContext};
use std::fmt::Write;

/// Appends `actions` separated by commas, or `drop` when there are none.
pub fn format_actions(actions: &[Action], ctx: &TextContext<'_>, out: &mut String) {
    if actions.is_empty() {
        out.push_str("drop");
        return;
    }
    for (i, a) in actions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        format_action(a, ctx, out);
    }
}

/// Appends `instructions` in OVS's order (meter, apply, clear, write_actions,
/// write_metadata, goto_table), or `drop` when they do nothing.
pub fn format_instructions(instructions: &[Instruction], ctx: &TextContext<'_>, out: &mut String) {
    let start = out.len();
    // Decoded instructions are almost always in OVS's order already: no sorting copy then.
    if instructions.windows(2).all(|w| w[0].rank() <= w[1].rank()) {
        for ins in instructions {
            format_instruction(ins, start, ctx, out);
        }
    } else {
        let mut sorted: Vec<&Instruction> = instructions.iter().collect();
        sorted.sort_by_key(|i| i.rank());
        for ins in sorted {
            format_instruction(ins, start, ctx, out);
        }
    }
    if out.len() == start {
        out.push_str("drop");
    }
}

/// Appends one instruction of a list whose text starts at `start` (with a separating comma).
fn format_instruction(ins: &Instruction, start: usize, ctx: &TextContext<'_>, out: &mut String) {
    {
        let before = out.len();
        if before > start {
            out.push(',');
        }
        match ins {
            Instruction::Meter(id) => {
                out.push_str("meter:");
                put_dec(*id as u64, out);
            }
            Instruction::ApplyActions(actions) => {
                for (i, a) in actions.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    format_action(a, ctx, out);
                }
            }
            Instruction::ClearActions => out.push_str("clear_actions"),
            Instruction::WriteActions(actions) => {
                out.push_str("write_actions(");
                format_actions(actions, ctx, out);
                out.push(')');
            }
            Instruction::WriteMetadata { metadata, mask } => {
                out.push_str("write_metadata:");
                put_hex_u64(*metadata, out);
                if *mask != u64::MAX {
                    out.push('/');
                    put_hex_u64(*mask, out);
                }
            }
            Instruction::GotoTable(t) => {
                out.push_str("goto_table:");
                TableNames::format(ctx.tables, *t, out);
            }
            Instruction::Raw {
                instruction_type,
                body,
            } => {
                let _ = write!(out, "raw_instruction({instruction_type:#x},");
                put_plain_hex(body, out);
                out.push(')');
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        // An empty apply-actions prints nothing; drop the comma written for it.
        if out.len() == before + 1 && before > start {
            out.truncate(before);
        }
    }
}

/// C's `%#llx`: `0` for zero, else `0x` and lowercase hex digits.
pub(crate) fn put_hex_u64(v: u64, out: &mut String) {
    if v == 0 {
        out.push('0');
    } else {
        out.push_str("0x");
        put_hex_digits(v, out);
    }
}

fn put_plain_hex(bytes: &[u8], out: &mut String) {
    for b in bytes {
        put_hex_byte(*b, out);
    }
}

/// `format_hex_arg`: bytes as two hex digits joined by `.`.
pub(crate) fn put_dotted_hex(bytes: &[u8], out: &mut String) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        put_hex_byte(*b, out);
    }
}

/// `mf_format_subfield`: `NAME[]`, `NAME[n]` or `NAME[a..b]` with the NXM name when the field
/// has one.
pub fn format_subfield(sf: &Subfield, out: &mut String) {
    out.push_str(sf.field.nxm_name());
    if sf.is_full() {
        out.push_str("[]");
    } else if sf.n_bits == 1 {
        out.push('[');
        put_dec(sf.ofs as u64, out);
        out.push(']');
    } else {
        out.push('[');
        put_dec(sf.ofs as u64, out);
        out.push_str("..");
        put_dec(sf.ofs as u64 + sf.n_bits as u64 - 1, out);
        out.push(']');
    }
}

/// Appends one action.
pub fn format_action(a: &Action, ctx: &TextContext<'_>, out: &mut String) {
    match a {
        Action::Output { port, max_len } => {
            if port.0 < PortNo::MAX.0 {
                out.push_str("output:");
            }
            port.format(ctx.ports, out);
            if *port == PortNo::CONTROLLER {
                out.push(':');
                put_dec(*max_len as u64, out);
            }
        }
        Action::Group(g) => {
            out.push_str("group:");
            put_dec(*g as u64, out);
        }
        Action::SetQueue(q) => {
            let _ = write!(out, "set_queue:{q}");
        }
        Action::PushVlan(e) => {
            let _ = write!(out, "push_vlan:{e:#x}");
        }
        Action::PopVlan => out.push_str("pop_vlan"),
        Action::DecNwTtl => out.push_str("dec_ttl"),
        Action::SetField { field, value, mask } | Action::RegLoad2 { field, value, mask } => {
            out.push_str("set_field:");
            value::format(*field, value, mask.as_ref(), ctx.ports, out);
            out.push_str("->");
            out.push_str(field.name());
        }
        Action::RegLoad { dst, value } => {
            out.push_str("load:");
            put_hex_u64(*value, out);
            out.push_str("->");
            format_subfield(dst, out);
        }
        Action::CopyField { src, dst }
        | Action::OnfCopyField { src, dst }
        | Action::RegMove { src, dst } => {
            out.push_str("move:");
            format_subfield(src, out);
            out.push_str("->");
            format_subfield(dst, out);
        }
        Action::Meter(m) => {
            let _ = write!(out, "meter:{m}");
        }
        Action::Resubmit { in_port } => {
            format_resubmit(*in_port, 255, false, ctx, out);
        }
        Action::ResubmitTable { in_port, table, ct } => {
            format_resubmit(*in_port, *table, *ct, ctx, out);
        }
        Action::SetTunnel(id) => {
            out.push_str("set_tunnel:");
            put_hex_u64(*id as u64, out);
        }
        Action::SetTunnel64(id) => {
            out.push_str("set_tunnel64:");
            put_hex_u64(*id, out);
        }
        Action::PopQueue => out.push_str("pop_queue"),
        Action::Note(data) => {
            out.push_str("note:");
            put_dotted_hex(data, out);
        }
        Action::OutputReg { src, .. } | Action::OutputReg2 { src, .. } => {
            out.push_str("output:");
            format_subfield(src, out);
        }
        Action::Learn(l) | Action::Learn2(l) => format_learn(l, ctx, out),
        Action::Exit => out.push_str("exit"),
        Action::DecTtlCntIds(ids) => {
            out.push_str("dec_ttl(");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{id}");
            }
            out.push(')');
        }
        Action::FinTimeout {
            idle_timeout,
            hard_timeout,
        } => {
            out.push_str("fin_timeout(");
            if *idle_timeout != 0 {
                let _ = write!(out, "idle_timeout={idle_timeout},");
            }
            if *hard_timeout != 0 {
                let _ = write!(out, "hard_timeout={hard_timeout},");
            }
            chomp_comma(out);
            out.push(')');
        }
        Action::Controller {
            max_len,
            controller_id,
            reason,
        } => format_controller(*max_len, *controller_id, *reason, &[], false, 0, out),
        Action::Controller2(c) => format_controller(
            c.max_len,
            c.controller_id,
            c.reason,
            &c.userdata,
            c.pause,
            c.meter_id,
            out,
        ),
        Action::WriteMetadata { metadata, mask } => {
            out.push_str("write_metadata:");
            put_hex_u64(*metadata, out);
            if *mask != u64::MAX {
                out.push('/');
                put_hex_u64(*mask, out);
            }
        }
        Action::StackPush(sf) => {
            out.push_str("push:");
            format_subfield(sf, out);
        }
        Action::StackPop(sf) => {
            out.push_str("pop:");
            format_subfield(sf, out);
        }
        Action::Sample(s) => {
            let _ = write!(
                out,
                "sample(probability={},collector_set_id={},obs_domain_id={},obs_point_id={}",
                s.probability, s.collector_set_id, s.obs_domain_id, s.obs_point_id
            );
            if s.sampling_port != PortNo::ANY {
                out.push_str(",sampling_port=");
                s.sampling_port.format(ctx.ports, out);
            }
            match s.direction {
                1 => out.push_str(",ingress"),
                2 => out.push_str(",egress"),
                _ => {}
            }
            out.push(')');
        }
        Action::Conjunction {
            id,
            clause,
            n_clauses,
        } => {
            let _ = write!(out, "conjunction({id},{}/{n_clauses})", *clause as u32 + 1);
        }
        Action::Ct(ct) => format_ct(ct, ctx, out),
        Action::Nat(n) => format_nat(n, out),
        Action::OutputTrunc { port, max_len } => {
            out.push_str("output(port=");
            port.format(ctx.ports, out);
            let _ = write!(out, ",max_len={max_len})");
        }
        Action::Clone(actions) => {
            out.push_str("clone(");
            format_actions(actions, ctx, out);
            out.push(')');
        }
        Action::CtClear => out.push_str("ct_clear"),
        Action::CheckPktLarger { pkt_len, dst } => {
            let _ = write!(out, "check_pkt_larger({pkt_len})->");
            format_subfield(dst, out);
        }
        Action::Multipath(mp) => {
            let _ = write!(
                out,
                "multipath({},{},{},{},{},",
                hash_fields_name(mp.fields).unwrap_or("<unknown>"),
                mp.basis,
                ["modulo_n", "hash_threshold", "hrw", "iter_hash"]
                    .get(mp.algorithm as usize)
                    .unwrap_or(&"<unknown>"),
                mp.max_link as u32 + 1,
                mp.arg
            );
            format_subfield(&mp.dst, out);
            out.push(')');
        }
        Action::Bundle(b) => {
            let _ = write!(
                out,
                "{}({},{},{},ofport,",
                if b.dst.is_some() {
                    "bundle_load"
                } else {
                    "bundle"
                },
                hash_fields_name(b.fields).unwrap_or("<unknown>"),
                b.basis,
                ["active_backup", "hrw"]
                    .get(b.algorithm as usize)
                    .unwrap_or(&"<unknown>"),
            );
            if let Some(dst) = &b.dst {
                format_subfield(dst, out);
                out.push(',');
            }
            out.push_str("members:");
            for (i, m) in b.members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                m.format(ctx.ports, out);
            }
            out.push(')');
        }
        Action::SetNwTtl(ttl) => {
            let _ = write!(out, "mod_nw_ttl:{ttl}");
        }
        Action::SetMplsTtl(ttl) => {
            let _ = write!(out, "set_mpls_ttl({ttl})");
        }
        Action::DecMplsTtl => out.push_str("dec_mpls_ttl"),
        Action::PushMpls(e) => {
            let _ = write!(out, "push_mpls:0x{e:04x}");
        }
        Action::PopMpls(e) => {
            let _ = write!(out, "pop_mpls:0x{e:04x}");
        }
        Action::SetTpSrc(port) => {
            let _ = write!(out, "mod_tp_src:{port}");
        }
        Action::SetTpDst(port) => {
            let _ = write!(out, "mod_tp_dst:{port}");
        }
        Action::Raw(raw) => format_raw(raw, out),
        #[allow(unreachable_patterns)]
        _ => out.push_str("<unknown>"),
    }
}

/// A raw action as `raw(TYPE,HEXBODY)`: not OVS syntax (OVS rejects such actions), but
/// lossless and accepted back by this crate's parser.
fn format_raw(raw: &RawAction, out: &mut String) {
    let _ = write!(out, "raw({:#x},", raw.action_type);
    put_plain_hex(&raw.body, out);
    out.push(')');
}

fn chomp_comma(out: &mut String) {
    if out.ends_with(',') {
        out.pop();
    }
}

fn format_resubmit(in_port: PortNo, table: u8, ct: bool, ctx: &TextContext<'_>, out: &mut String) {
    if in_port != PortNo::IN_PORT && table == 255 {
        out.push_str("resubmit:");
        in_port.format(ctx.ports, out);
    } else {
        out.push_str("resubmit(");
        if in_port != PortNo::IN_PORT {
            in_port.format(ctx.ports, out);
        }
        out.push(',');
        if table != 255 {
            TableNames::format(ctx.tables, table, out);
        }
        if ct {
            out.push_str(",ct");
        }
        out.push(')');
    }
}

/// `ofputil_packet_in_reason_to_string`.
pub(crate) fn reason_name(reason: u8) -> Option<&'static str> {
    Some(match reason {
        0 => "no_match",
        1 => "action",
        2 => "invalid_ttl",
        3 => "action_set",
        4 => "group",
        5 => "packet_out",
        6 | 7 => "",
        _ => return None,
    })
}

fn format_controller(
    max_len: u16,
    id: u16,
    reason: u8,
    userdata: &[u8],
    pause: bool,
    meter_id: u32,
    out: &mut String,
) {
    if reason == 1 && id == 0 && userdata.is_empty() && !pause && meter_id == 0 {
        let _ = write!(out, "CONTROLLER:{max_len}");
        return;
    }
    out.push_str("controller(");
    if reason != 1 {
        match reason_name(reason) {
            Some(n) => {
                let _ = write!(out, "reason={n},");
            }
            None => {
                let _ = write!(out, "reason={reason},");
            }
        }
    }
    if max_len != u16::MAX {
        let _ = write!(out, "max_len={max_len},");
    }
    if id != 0 {
        let _ = write!(out, "id={id},");
    }
    if !userdata.is_empty() {
        out.push_str("userdata=");
        put_dotted_hex(userdata, out);
        out.push(',');
    }
    if pause {
        out.push_str("pause,");
    }
    if meter_id != 0 {
        let _ = write!(out, "meter_id={meter_id},");
    }
    chomp_comma(out);
    out.push(')');
}

fn format_ct(ct: &Ct, ctx: &TextContext<'_>, out: &mut String) {
    out.push_str("ct(");
    if ct.flags & Ct::COMMIT != 0 {
        out.push_str("commit,");
    }
    if ct.flags & Ct::FORCE != 0 {
        out.push_str("force,");
    }
    if let Some(t) = ct.recirc_table {
        out.push_str("table=");
        TableNames::format(ctx.tables, t, out);
        out.push(',');
    }
    match &ct.zone {
        CtZone::Field(sf) => {
            out.push_str("zone=");
            format_subfield(sf, out);
            out.push(',');
        }
        CtZone::Immediate(0) => {}
        CtZone::Immediate(z) => {
            let _ = write!(out, "zone={z},");
        }
    }
    let mut nested = &ct.actions[..];
    if let Some((Action::Nat(n), rest)) = nested.split_first() {
        format_nat(n, out);
        out.push(',');
        nested = rest;
    }
    if !nested.is_empty() {
        out.push_str("exec(");
        format_actions(nested, ctx, out);
        out.push_str("),");
    }
    match ct.alg {
        0 => {}
        21 => out.push_str("alg=ftp,"),
        69 => out.push_str("alg=tftp,"),
        other => {
            let _ = write!(out, "alg={other},");
        }
    }
    chomp_comma(out);
    out.push(')');
}

fn format_nat(n: &Nat, out: &mut String) {
    out.push_str("nat");
    if n.flags & (Nat::SRC | Nat::DST) == 0 {
        return;
    }
    out.push('(');
    out.push_str(if n.flags & Nat::SRC != 0 {
        "src"
    } else {
        "dst"
    });
    if let Some(range) = &n.range {
        out.push('=');
        let bracket = range.ports.is_some_and(|p| p.min != 0);
        match range.addr {
            NatAddr::V4 { min, max } => {
                let _ = write!(out, "{min}");
                if let Some(max) = max.filter(|m| !m.is_unspecified() && *m != min) {
                    let _ = write!(out, "-{max}");
                }
            }
            NatAddr::V6 { min, max } => {
                put_ipv6(min, bracket, out);
                if let Some(max) = max.filter(|m| !m.is_unspecified() && *m != min) {
                    out.push('-');
                    put_ipv6(max, bracket, out);
                }
            }
        }
        if let Some(p) = range.ports.filter(|p| p.min != 0) {
            let _ = write!(out, ":{}", p.min);
            if let Some(max) = p.max.filter(|m| *m != 0 && *m != p.min) {
                let _ = write!(out, "-{max}");
            }
        }
        out.push(',');
        if n.flags & Nat::PERSISTENT != 0 {
            out.push_str("persistent,");
        }
        if n.flags & Nat::PROTO_HASH != 0 {
            out.push_str("hash,");
        }
        if n.flags & Nat::PROTO_RANDOM != 0 {
            out.push_str("random,");
        }
    }
    chomp_comma(out);
    out.push(')');
}

fn put_ipv6(a: std::net::Ipv6Addr, bracket: bool, out: &mut String) {
    if bracket {
        let _ = write!(out, "[{a}]");
    } else {
        let _ = write!(out, "{a}");
    }
}

/// Appends `bytes` as OVS's `ds_put_hex` (re-exported for the learn printer).
pub(crate) fn put_min_hex(bytes: &[u8], out: &mut String) {
    put_hex(bytes, out);
}
