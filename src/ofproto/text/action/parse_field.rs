//! Field actions in text: subfields (`NXM_NX_REG0[0..15]`), `set_field:`, `load:`, `move:` and
//! `check_pkt_larger`, with the wire form each becomes in the target version
//! (`encode_SET_FIELD`, `set_field_to_nxast`, `next_load_segment`, `encode_REG_MOVE` in OVS's
//! `lib/ofp-actions.c`; `mf_parse_subfield` in `lib/nx-match.c`).

use super::kv::c_u16;
use super::parse::err;
use crate::ofproto::codec::action::{has_nxm32, value_is_valid, Action, Subfield};
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::value::{self, parse_int, Value};
use crate::ofproto::codec::Version;
use crate::ofproto::text::{ParseError, ParseErrorKind, TextContext};

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

/// `set_field_split_str`: `VALUE->FIELD`.
pub(crate) fn split_arrow<'a>(arg: &'a str, whole: &str) -> Result<(&'a str, &'a str), ParseError> {
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

pub(crate) fn parse_set_field(
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
pub(crate) fn load_segments(field: Field, value: &Value, mask: &Value) -> Vec<Action> {
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

pub(crate) fn parse_load(
    arg: &str,
    whole: &str,
    version: Version,
) -> Result<Vec<Action>, ParseError> {
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

pub(crate) fn parse_move(arg: &str, whole: &str, version: Version) -> Result<Action, ParseError> {
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

pub(crate) fn parse_check_pkt_larger(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let (value_s, key) = split_arrow(arg, whole)?;
    let value_s = value_s.strip_suffix(')').unwrap_or(value_s);
    let dst = parse_subfield(key).map_err(|m| err(whole, m))?;
    if dst.n_bits != 1 {
        return Err(err(whole, "Only 1-bit destination field is allowed"));
    }
    let pkt_len = c_u16(value_s).ok_or_else(|| err(whole, format!("invalid  \"{value_s}\"")))?;
    Ok(Action::CheckPktLarger { pkt_len, dst })
}
