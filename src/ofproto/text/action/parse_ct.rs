//! Parsing `ct(...)` and `nat(...)` (`parse_CT`, `parse_NAT`, `str_to_nat_range` in
//! `lib/ofp-actions.c`). Nested `nat(...)` and `exec(...)` actions are appended in text order;
//! `exec` is parsed as a list nested in `ct` (only `ct_mark` / `ct_label` writes and `nat`).

use super::check::FlowFacts;
use super::kv::{c_u16, next_kv};
use super::parse::{err, parse_nested, Nest};
use super::parse_field::parse_subfield;
use crate::ofproto::codec::action::{Action, Ct, CtZone, Nat, NatAddr, NatPorts, NatRange};
use crate::ofproto::text::{ParseError, TableNames, TextContext};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Parses the argument of `ct(...)`.
pub(crate) fn parse_ct(
    arg: &str,
    whole: &str,
    ctx: &TextContext<'_>,
    depth: usize,
    facts: &FlowFacts,
) -> Result<Action, ParseError> {
    let mut ct = Ct::default();
    let mut s = arg;
    while let Some((key, value)) = next_kv(&mut s) {
        match key {
            "commit" => ct.flags |= Ct::COMMIT,
            "force" => ct.flags |= Ct::FORCE,
            "table" => {
                let t = TableNames::parse(ctx.tables, value)
                    .ok_or_else(|| err(whole, format!("unknown table {value}")))?;
                if t == 255 {
                    return Err(err(whole, "invalid table 0xff"));
                }
                ct.recirc_table = Some(t);
            }
            "zone" => {
                ct.zone = match c_u16(value) {
                    Some(z) => CtZone::Immediate(z),
                    None => {
                        let sf = parse_subfield(value).map_err(|m| err(whole, m))?;
                        if sf.n_bits != 16 {
                            return Err(err(
                                whole,
                                format!(
                                    "zone n_bits {} not within valid range [16..16]",
                                    sf.n_bits
                                ),
                            ));
                        }
                        CtZone::Field(sf)
                    }
                }
            }
            "alg" => {
                // OVS accepts only the names; a number (which OVS prints for other ports) is
                // accepted too so that every printed ct action parses back.
                ct.alg = match value {
                    "ftp" => 21,
                    "tftp" => 69,
                    _ => c_u16(value).ok_or_else(|| {
                        err(whole, format!("invalid conntrack helper \"{value}\""))
                    })?,
                }
            }
            "nat" => ct.actions.push(parse_nat(value, whole)?),
            "exec" => {
                let nested = parse_nested(value, ctx, Nest::Ct, depth + 1, facts)?;
                ct.actions.extend(nested);
            }
            _ => {
                return Err(err(
                    whole,
                    format!("invalid argument to \"ct\" action: `{key}'"),
                ))
            }
        }
    }
    if ct.flags & Ct::FORCE != 0 && ct.flags & Ct::COMMIT == 0 {
        return Err(err(whole, "\"force\" flag requires \"commit\" flag."));
    }
    Ok(Action::Ct(Box::new(ct)))
}

/// Parses the argument of `nat(...)`.
pub(crate) fn parse_nat(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let mut nat = Nat::default();
    let mut s = arg;
    while let Some((key, value)) = next_kv(&mut s) {
        match key {
            "src" | "dst" => {
                nat.flags |= if key == "src" { Nat::SRC } else { Nat::DST };
                nat.range = nat_range(value).map_err(|m| err(whole, m))?;
            }
            "persistent" => nat.flags |= Nat::PERSISTENT,
            "hash" => nat.flags |= Nat::PROTO_HASH,
            "random" => nat.flags |= Nat::PROTO_RANDOM,
            _ => {
                return Err(err(
                    whole,
                    format!("invalid key \"{key}\" in \"nat\" argument"),
                ))
            }
        }
    }
    if nat.flags & Nat::SRC != 0 && nat.flags & Nat::DST != 0 {
        return Err(err(whole, "May only specify one of \"src\" or \"dst\"."));
    }
    if nat.flags & (Nat::SRC | Nat::DST) == 0 {
        if nat.flags != 0 {
            return Err(err(whole, "Flags allowed only with \"src\" or \"dst\"."));
        }
        if nat.range.is_some() {
            return Err(err(whole, "Range allowed only with \"src\" or \"dst\"."));
        }
    }
    if nat.flags & Nat::PROTO_HASH != 0 && nat.flags & Nat::PROTO_RANDOM != 0 {
        return Err(err(whole, "Both \"hash\" and \"random\" are not allowed."));
    }
    Ok(Action::Nat(nat))
}

/// Scans a dotted-quad IPv4 address at the start of `s`; returns it and the bytes used.
fn scan_ipv4(s: &str) -> Option<(Ipv4Addr, usize)> {
    let mut octets = [0u8; 4];
    let mut pos = 0;
    for (i, o) in octets.iter_mut().enumerate() {
        if i > 0 {
            if s.as_bytes().get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let n = s[pos..].bytes().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 3 {
            return None;
        }
        *o = s[pos..pos + n].parse().ok()?;
        pos += n;
    }
    Some((Ipv4Addr::from(octets), pos))
}

/// Scans an IPv6 address, bare or in brackets, at the start of `s`.
fn scan_ipv6(s: &str) -> Option<(Ipv6Addr, usize)> {
    let (inner, extra) = match s.strip_prefix('[') {
        Some(r) => {
            let close = r.find(']')?;
            (&r[..close], 2)
        }
        None => {
            let n = s
                .bytes()
                .take_while(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
                .count();
            (&s[..n], 0)
        }
    };
    let a: Ipv6Addr = inner.parse().ok()?;
    Some((a, inner.len() + extra))
}

/// Scans a decimal `u16` at the start of `s`.
fn scan_u16(s: &str) -> Option<(u16, usize)> {
    let n = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    Some((s[..n].parse().ok()?, n))
}

/// `str_to_nat_range`: `IP[-IP][:PORT[-PORT]]`, IPv6 optionally in brackets.
fn nat_range(s: &str) -> Result<Option<NatRange>, String> {
    let invalid = || format!("invalid nat range \"{s}\"");
    let mut n;
    let addr = if let Some((min, used)) = scan_ipv4(s) {
        n = used;
        let mut max = None;
        if s[n..].starts_with('-') {
            n += 1;
            let (m, used) = scan_ipv4(&s[n..]).ok_or_else(invalid)?;
            if m < min {
                return Err(invalid());
            }
            n += used;
            max = Some(m);
        }
        Some(NatAddr::V4 { min, max })
    } else if let Some((min, used)) = scan_ipv6(s) {
        n = used;
        let mut max = None;
        if s[n..].starts_with('-') {
            n += 1;
            let (m, used) = scan_ipv6(&s[n..]).ok_or_else(invalid)?;
            if m < min {
                return Err(invalid());
            }
            n += used;
            max = Some(m);
        }
        Some(NatAddr::V6 { min, max })
    } else {
        n = 0;
        None
    };
    let mut ports = None;
    if addr.is_some() && s[n..].starts_with(':') {
        n += 1;
        let (min, used) = scan_u16(&s[n..]).ok_or_else(invalid)?;
        n += used;
        let mut max = None;
        if s[n..].starts_with('-') {
            n += 1;
            let (m, used) = scan_u16(&s[n..]).ok_or_else(invalid)?;
            if m < min {
                return Err(invalid());
            }
            n += used;
            max = Some(m);
        }
        ports = Some(NatPorts { min, max });
    }
    if n != s.len() {
        return Err(format!(
            "garbage ({}) after nat range \"{s}\" (pos: {n})",
            &s[n..]
        ));
    }
    Ok(addr.map(|addr| NatRange { addr, ports }))
}
