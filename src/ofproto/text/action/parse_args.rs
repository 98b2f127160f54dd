//! The argument syntax of the other actions: output (ports, registers, truncation),
//! controller, enqueue, dec_ttl, fin_timeout, resubmit, conjunction, sample, write_metadata, and
//! this crate's `raw(TYPE,HEX)` for unmodelled actions (`parse_*` in OVS's `lib/ofp-actions.c`).

use super::kv::{atoi, c_u16, c_u64, c_u8, hex_bytes, next_kv};
use super::parse::{err, u32_arg, Item};
use super::parse_field::parse_subfield;
use crate::ofproto::codec::action::{
    has_nxm32, hash_fields_name, Action, Bundle, Controller2, Multipath, Sample, SampleForm,
};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::text::{ParseError, TableNames, TextContext};
use bytes::Bytes;

pub(crate) fn parse_output(
    arg: &str,
    whole: &str,
    ctx: &TextContext<'_>,
) -> Result<Action, ParseError> {
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

pub(crate) fn parse_controller(arg: &str, whole: &str) -> Result<Action, ParseError> {
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

pub(crate) fn parse_enqueue(
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

pub(crate) fn parse_dec_ttl(arg: &str, whole: &str) -> Result<Action, ParseError> {
    if arg.is_empty() {
        return Ok(Action::DecNwTtl);
    }
    let ids: Vec<u16> = arg
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .map(|t| atoi(t) as u16)
        .collect();
    if ids.is_empty() {
        return Err(err(
            whole,
            "dec_ttl_cnt_ids: expected at least one controller id.",
        ));
    }
    Ok(Action::DecTtlCntIds(ids))
}

pub(crate) fn parse_fin_timeout(arg: &str, whole: &str) -> Result<Action, ParseError> {
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

pub(crate) fn parse_resubmit(
    arg: &str,
    whole: &str,
    ctx: &TextContext<'_>,
) -> Result<Action, ParseError> {
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

pub(crate) fn parse_conjunction(arg: &str, whole: &str) -> Result<Action, ParseError> {
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

pub(crate) fn parse_sample(
    arg: &str,
    whole: &str,
    ctx: &TextContext<'_>,
) -> Result<Action, ParseError> {
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

pub(crate) fn parse_write_metadata(arg: &str, whole: &str) -> Result<Item, ParseError> {
    let num = |s: &str| c_u64(s).ok_or_else(|| err(whole, format!("invalid numeric format {s}")));
    let (metadata, mask) = match arg.split_once('/') {
        Some((v, m)) => (num(v)?, num(m)?),
        None => (num(arg)?, u64::MAX),
    };
    Ok(Item::Metadata { metadata, mask })
}

/// `raw(TYPE,HEX)`: this crate's text for an action it does not model.
pub(crate) fn parse_raw(arg: &str, whole: &str) -> Result<Action, ParseError> {
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

/// C `strtok_r`: skips leading delimiters, returns the next token and steps past the delimiter
/// that ends it.
fn strtok<'a>(rest: &mut &'a str, delims: &[char]) -> Option<&'a str> {
    let s = rest.trim_start_matches(delims);
    if s.is_empty() {
        *rest = s;
        return None;
    }
    let end = s.find(delims).unwrap_or(s.len());
    *rest = s.get(end + 1..).unwrap_or("");
    Some(&s[..end])
}

fn hash_fields(name: &str) -> Option<u16> {
    (0u16..7).find(|f| hash_fields_name(*f).is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

/// `multipath_parse`: `fields,basis,algorithm,n_links,arg,dst`.
pub(crate) fn parse_multipath(arg: &str, whole: &str) -> Result<Action, ParseError> {
    let mut rest = arg;
    let d = &[',', ' '][..];
    let toks: Vec<&str> = (0..6).filter_map(|_| strtok(&mut rest, d)).collect();
    let [fields, basis, algorithm, n_links, marg, dst] = toks[..] else {
        return Err(err(
            whole,
            format!("{arg}: not enough arguments to multipath action"),
        ));
    };
    let fields = hash_fields(fields)
        .ok_or_else(|| err(whole, format!("{arg}: unknown fields `{fields}'")))?;
    let algorithm = ["modulo_n", "hash_threshold", "hrw", "iter_hash"]
        .iter()
        .position(|a| a.eq_ignore_ascii_case(algorithm))
        .ok_or_else(|| err(whole, format!("{arg}: unknown algorithm `{algorithm}'")))?;
    let n = atoi(n_links);
    if !(1..=65536).contains(&n) {
        return Err(err(
            whole,
            format!("{arg}: n_links {n} is not in valid range 1 to 65536"),
        ));
    }
    let dst_sf = parse_subfield(dst).map_err(|m| err(whole, m))?;
    if !has_nxm32(dst_sf.field) {
        return Err(err(
            whole,
            format!("{arg}: experimenter OXM field '{dst}' not supported"),
        ));
    }
    if dst_sf.n_bits < 16 && n > 1i64 << dst_sf.n_bits {
        return Err(err(
            whole,
            format!(
                "{arg}: {}-bit destination field has {} possible values, less than specified n_links {n}",
                dst_sf.n_bits,
                1u32 << dst_sf.n_bits
            ),
        ));
    }
    Ok(Action::Multipath(Multipath {
        fields,
        basis: atoi(basis) as u16,
        algorithm: algorithm as u16,
        max_link: (n - 1) as u16,
        arg: atoi(marg) as u32,
        dst: dst_sf,
    }))
}

/// `bundle_parse` / `bundle_parse_load`:
/// `fields,basis,algorithm,ofport[,dst],members:PORT,...`.
pub(crate) fn parse_bundle(
    arg: &str,
    whole: &str,
    load: bool,
    ctx: &TextContext<'_>,
) -> Result<Action, ParseError> {
    let mut rest = arg;
    let d = &[',', ' '][..];
    let n_head = if load { 5 } else { 4 };
    let head: Vec<&str> = (0..n_head).filter_map(|_| strtok(&mut rest, d)).collect();
    let delim = strtok(&mut rest, &[':', ' ']);
    let (Some(delim), true) = (delim, head.len() == n_head) else {
        return Err(err(
            whole,
            format!("{arg}: not enough arguments to bundle action"),
        ));
    };
    if !delim.eq_ignore_ascii_case("members") && !delim.eq_ignore_ascii_case("slaves") {
        return Err(err(
            whole,
            format!("{arg}: missing member delimiter, expected `members', got `{delim}'"),
        ));
    }
    let mut members = Vec::new();
    while let Some(m) = strtok(&mut rest, &[',', ' ', '[', ']']) {
        if members.len() >= 2048 {
            break;
        }
        members.push(
            PortNo::parse(m, ctx.ports)
                .ok_or_else(|| err(whole, format!("{m}: bad port number")))?,
        );
    }
    let fields = hash_fields(head[0])
        .ok_or_else(|| err(whole, format!("{arg}: unknown fields `{}'", head[0])))?;
    let algorithm = ["active_backup", "hrw"]
        .iter()
        .position(|a| a.eq_ignore_ascii_case(head[2]))
        .ok_or_else(|| err(whole, format!("{arg}: unknown algorithm `{}'", head[2])))?;
    if !head[3].eq_ignore_ascii_case("ofport") {
        return Err(err(
            whole,
            format!("{arg}: unknown member_type `{}'", head[3]),
        ));
    }
    let dst = if load {
        let sf = parse_subfield(head[4]).map_err(|m| err(whole, m))?;
        if !has_nxm32(sf.field) {
            return Err(err(
                whole,
                format!("{arg}: experimenter OXM field '{}' not supported", head[4]),
            ));
        }
        Some(sf)
    } else {
        None
    };
    Ok(Action::Bundle(Box::new(Bundle {
        algorithm: algorithm as u16,
        fields,
        basis: atoi(head[1]) as u16,
        dst,
        members,
    })))
}
