//! The `learn(...)` action text: `learn_parse` and `learn_format` of OVS's `lib/learn.c`.
//!
//! Defaults: table 1, priority 32768, no timeouts. Specs: `FIELD[..]` (match on the same bits),
//! `DST[..]=SRC[..]`, `dst=VALUE`, `load:SRC[..]->DST[..]`, `load:VALUE->DST[..]`,
//! `output:SRC[..]`. The action is encoded as `NXAST_LEARN2` when it has a `limit` or a
//! `result_dst`, as `NXAST_LEARN` otherwise (`encode_LEARN`).

use super::format::{format_subfield, put_hex_u64, put_min_hex};
use super::kv::{atoi, next_kv};
use super::parse::err;
use super::parse_field::{parse_subfield, parse_subfield_prefix};
use crate::ofproto::codec::action::{has_nxm32, Action, Learn, LearnSpec, Subfield};
use crate::ofproto::codec::value::{self, parse_int, Value};
use crate::ofproto::text::{ParseError, TableNames, TextContext};
use std::fmt::Write;

/// Parses the argument of `learn(...)`.
pub(crate) fn parse_learn(arg: &str, ctx: &TextContext<'_>) -> Result<Action, ParseError> {
    let orig = arg;
    let mut learn = Learn::default();
    let mut s = arg;
    while let Some((key, value)) = next_kv(&mut s) {
        match key {
            "table" => {
                let t = TableNames::parse(ctx.tables, value)
                    .ok_or_else(|| err(orig, format!("unknown table \"{value}\"")))?;
                if t == 255 {
                    return Err(err(
                        orig,
                        format!("{orig}: table id 255 not valid for `learn' action"),
                    ));
                }
                learn.table_id = t;
            }
            "priority" => learn.priority = atoi(value) as u16,
            "idle_timeout" => learn.idle_timeout = atoi(value) as u16,
            "hard_timeout" => learn.hard_timeout = atoi(value) as u16,
            "fin_idle_timeout" => learn.fin_idle_timeout = atoi(value) as u16,
            "fin_hard_timeout" => learn.fin_hard_timeout = atoi(value) as u16,
            "cookie" => learn.cookie = strtoull_prefix(value),
            "send_flow_rem" => learn.flags |= Learn::SEND_FLOW_REM,
            "delete_learned" => learn.flags |= Learn::DELETE_LEARNED,
            "limit" => learn.limit = atoi(value) as u32,
            "result_dst" => {
                let sf = parse_subfield(value).map_err(|m| err(orig, m))?;
                if !sf.field.info().writable {
                    return Err(err(orig, format!("{value} is read-only")));
                }
                if sf.n_bits != 1 {
                    return Err(err(
                        orig,
                        "result_dst in 'learn' action must be a single bit",
                    ));
                }
                learn.result_dst = Some(sf);
            }
            _ => learn.specs.push(parse_spec(orig, key, value, ctx)?),
        }
    }
    Ok(if learn.limit != 0 || learn.result_dst.is_some() {
        Action::Learn2(Box::new(learn))
    } else {
        Action::Learn(Box::new(learn))
    })
}

/// `strtoull(value, NULL, 0)`: the longest numeric prefix, 0 if none.
fn strtoull_prefix(s: &str) -> u64 {
    let s = s.trim_start();
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.starts_with('0') {
        (8, s)
    } else {
        (10, s)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    u64::from_str_radix(&digits[..end], radix).unwrap_or(if end == 0 { 0 } else { u64::MAX })
}

fn not_nxm(orig: &str, name: &str) -> ParseError {
    err(
        orig,
        format!("{orig}: experimenter OXM field '{name}' not supported"),
    )
}

/// The low `ceil(n_bits / 8)` bytes of `v`.
fn imm_bytes(v: &Value, n_bits: u16) -> Value {
    let n = n_bits.div_ceil(8) as usize;
    let b = v.as_bytes();
    Value::from_slice(&b[b.len().saturating_sub(n)..]).unwrap_or(Value::zero(n))
}

fn fits(v: &Value, n_bits: u16) -> bool {
    n_bits >= 128 || v.as_u128() >> n_bits == 0
}

fn parse_spec(
    orig: &str,
    name: &str,
    value: &str,
    ctx: &TextContext<'_>,
) -> Result<LearnSpec, ParseError> {
    if let Ok(dst) = parse_subfield(name) {
        if !has_nxm32(dst.field) {
            return Err(not_nxm(orig, name));
        }
        if value.is_empty() {
            return Ok(LearnSpec::MatchField { src: dst, dst });
        }
        return match parse_subfield(value) {
            Ok(src) => {
                if src.n_bits != dst.n_bits {
                    return Err(err(
                        orig,
                        format!(
                            "{orig}: bit widths of {name} ({}) and {value} ({}) differ",
                            src.n_bits, dst.n_bits
                        ),
                    ));
                }
                Ok(LearnSpec::MatchField { src, dst })
            }
            Err(sub_err) => {
                let imm = if dst.is_full() {
                    value::parse(dst.field, value, ctx.ports)
                        .map_err(|e| e.to_string())
                        .and_then(|(v, m)| {
                            if m.is_all_ones() {
                                Ok(v)
                            } else {
                                Err(format!("{value}: mask not allowed"))
                            }
                        })
                } else {
                    match parse_int(value, dst.field.n_bytes()) {
                        Err(_) => Err(format!("{orig}: cannot parse integer value")),
                        Ok(v) if !fits(&v, dst.n_bits) => {
                            let mut s = String::new();
                            value::format(dst.field, &v, None, None, &mut s);
                            Err(format!(
                                "{orig}: value {s} does not fit into {} bits",
                                dst.n_bits
                            ))
                        }
                        Ok(v) => Ok(v),
                    }
                };
                match imm {
                    Ok(v) => Ok(LearnSpec::MatchImmediate {
                        value: imm_bytes(&v, dst.n_bits),
                        dst,
                    }),
                    Err(imm_err) => Err(err(
                        orig,
                        format!(
                            "{orig}: {name} value {value} cannot be parsed as a subfield ({sub_err}) or an immediate value ({imm_err})"
                        ),
                    )),
                }
            }
        };
    }
    match name {
        "load" => {
            let Some(arrow) = value.find("->") else {
                return Err(err(orig, format!("{name}: missing `->' in `{value}'")));
            };
            if arrow == 0 {
                return Err(err(
                    orig,
                    format!("{name}: missing source before `->' in `{value}'"),
                ));
            }
            let src_text = &value[..arrow];
            let dst_text = &value[arrow + 2..];
            if let Some(num_len) = numeric_prefix_len(src_text) {
                if num_len != src_text.len() {
                    return Err(err(
                        orig,
                        format!("{name}: garbage before `->' in `{value}'"),
                    ));
                }
                let imm = parse_int(src_text, 16)
                    .map_err(|_| err(orig, format!("{value}: cannot parse integer value")))?;
                let dst = parse_subfield(dst_text).map_err(|m| err(orig, m))?;
                if !has_nxm32(dst.field) {
                    return Err(err(
                        orig,
                        format!("{value}: experimenter OXM field '{dst_text}' not supported"),
                    ));
                }
                if !fits(&imm, dst.n_bits) {
                    return Err(err(
                        orig,
                        format!("{value}: value does not fit into {} bits", dst.n_bits),
                    ));
                }
                Ok(LearnSpec::LoadImmediate {
                    value: imm_bytes(&imm, dst.n_bits),
                    dst,
                })
            } else {
                let (src, rest) = parse_subfield_prefix(value).map_err(|m| err(orig, m))?;
                let Some(dst_text) = rest.strip_prefix("->") else {
                    return Err(err(orig, format!("{value}: missing `->' following source")));
                };
                let dst = parse_subfield(dst_text).map_err(|m| err(orig, m))?;
                if src.n_bits != dst.n_bits {
                    return Err(err(
                        orig,
                        format!(
                            "{value}: source field is {} bits wide but destination is {} bits wide",
                            src.n_bits, dst.n_bits
                        ),
                    ));
                }
                Ok(LearnSpec::LoadField { src, dst })
            }
        }
        "output" => {
            let src = parse_subfield(value).map_err(|m| err(orig, m))?;
            Ok(LearnSpec::Output { src })
        }
        _ => Err(err(orig, format!("{orig}: unknown keyword {name}"))),
    }
}

/// Length of the integer at the start of `s` as `parse_int_string` reads it, or `None` when
/// `s` does not start with one.
fn numeric_prefix_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        let n = b[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        return Some(2 + n);
    }
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (n > 0).then_some(n)
}

/// Appends a learn action as `learn_format` does.
pub(crate) fn format_learn(l: &Learn, ctx: &TextContext<'_>, out: &mut String) {
    out.push_str("learn(table=");
    TableNames::format(ctx.tables, l.table_id, out);
    if l.idle_timeout != 0 {
        let _ = write!(out, ",idle_timeout={}", l.idle_timeout);
    }
    if l.hard_timeout != 0 {
        let _ = write!(out, ",hard_timeout={}", l.hard_timeout);
    }
    if l.fin_idle_timeout != 0 {
        let _ = write!(out, ",fin_idle_timeout={}", l.fin_idle_timeout);
    }
    if l.fin_hard_timeout != 0 {
        let _ = write!(out, ",fin_hard_timeout={}", l.fin_hard_timeout);
    }
    if l.priority != 0x8000 {
        let _ = write!(out, ",priority={}", l.priority);
    }
    if l.flags & Learn::SEND_FLOW_REM != 0 {
        out.push_str(",send_flow_rem");
    }
    if l.flags & Learn::DELETE_LEARNED != 0 {
        out.push_str(",delete_learned");
    }
    if l.cookie != 0 {
        out.push_str(",cookie=");
        put_hex_u64(l.cookie, out);
    }
    if l.limit != 0 {
        let _ = write!(out, ",limit={}", l.limit);
    }
    if let Some(d) = &l.result_dst {
        out.push_str(",result_dst=");
        format_subfield(d, out);
    }
    for spec in &l.specs {
        out.push(',');
        format_spec(spec, ctx, out);
    }
    out.push(')');
}

fn same_bits(a: &Subfield, b: &Subfield) -> bool {
    a.field == b.field && a.ofs == b.ofs
}

fn format_spec(spec: &LearnSpec, ctx: &TextContext<'_>, out: &mut String) {
    match spec {
        LearnSpec::MatchImmediate { value, dst } => {
            if dst.is_full() {
                out.push_str(dst.field.name());
                out.push('=');
                let v = Value::from_u128(dst.field.n_bytes(), value.as_u128());
                value::format(dst.field, &v, None, ctx.ports, out);
            } else {
                format_subfield(dst, out);
                out.push('=');
                put_min_hex(value.as_bytes(), out);
            }
        }
        LearnSpec::MatchField { src, dst } => {
            format_subfield(dst, out);
            if !same_bits(src, dst) {
                out.push('=');
                format_subfield(src, out);
            }
        }
        LearnSpec::LoadImmediate { value, dst } => {
            out.push_str("load:");
            put_min_hex(value.as_bytes(), out);
            out.push_str("->");
            format_subfield(dst, out);
        }
        LearnSpec::LoadField { src, dst } => {
            out.push_str("load:");
            format_subfield(src, out);
            out.push_str("->");
            format_subfield(dst, out);
        }
        LearnSpec::Output { src } => {
            out.push_str("output:");
            format_subfield(src, out);
        }
    }
}
