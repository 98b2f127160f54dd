//! Parsing the match part of ovs-ofctl flow text, as `lib/ofp-flow.c::parse_ofp_str__` does:
//! protocol shorthands (`ip`, `tcp6`, `arp`...), `eth`, every field name and alias of
//! `meta-flow.h` (`dl_src`/`eth_src`, `nw_src`/`ip_src`, `tp_dst`, `tun_id`/`tunnel_id`...)
//! through `mf_parse`, subfields (`reg0[0..3]=5`), and `field` alone for "any value".
//!
//! Like OVS, fields that share storage are resolved only at the end, from the final `dl_type`
//! and `nw_proto`: `arp,nw_src=...` is `arp_spa`, `icmp,tp_src=8` is `icmp_type`,
//! `tcp,udp_dst=53` is `tcp_dst`, and order does not matter (`nw_src=1.2.3.4,ip`). Where OVS
//! would silently drop a field whose prerequisites are not met (its "normalization"), we
//! report [`ParseErrorKind::MissingPrerequisite`] instead of installing a different flow.

use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::match_::{prereq_text, Match};
use crate::ofproto::codec::port::PortNames;
use crate::ofproto::codec::value::{self, parse_int, Value};
use crate::ofproto::codec::Version;
use crate::ofproto::text::{ParseError, ParseErrorKind};
use bytes::BytesMut;

/// Protocol shorthands (`ofp_parse_protocol`): name, dl_type, nw_proto (0 = none).
const PROTOCOLS: [(&str, u16, u8); 17] = [
    ("ip", 0x0800, 0),
    ("ipv4", 0x0800, 0),
    ("ip4", 0x0800, 0),
    ("arp", 0x0806, 0),
    ("icmp", 0x0800, 1),
    ("tcp", 0x0800, 6),
    ("udp", 0x0800, 17),
    ("sctp", 0x0800, 132),
    ("ipv6", 0x86dd, 0),
    ("ip6", 0x86dd, 0),
    ("icmp6", 0x86dd, 58),
    ("tcp6", 0x86dd, 6),
    ("udp6", 0x86dd, 17),
    ("sctp6", 0x86dd, 132),
    ("rarp", 0x8035, 0),
    ("mpls", 0x8847, 0),
    ("mplsm", 0x8848, 0),
];

/// Builds a [`Match`] from `key=value` pairs.
#[derive(Debug)]
pub struct MatchParser<'a> {
    m: Match,
    ports: Option<&'a PortNames>,
}

/// The field that holds `f`'s storage slot while parsing (the slot is renamed in `finish`).
fn slot_holder(f: Field) -> Field {
    match f {
        Field::ArpSpa => Field::Ipv4Src,
        Field::ArpTpa => Field::Ipv4Dst,
        Field::ArpOp => Field::IpProto,
        Field::UdpSrc | Field::SctpSrc | Field::Icmpv4Type | Field::Icmpv6Type => Field::TcpSrc,
        Field::UdpDst | Field::SctpDst | Field::Icmpv4Code | Field::Icmpv6Code => Field::TcpDst,
        Field::NdSll => Field::ArpSha,
        Field::NdTll => Field::ArpTha,
        Field::NdOptionsType => Field::TcpFlags,
        f => f,
    }
}

fn syntax(input: &str, msg: impl Into<String>) -> ParseError {
    ParseError::new(input, ParseErrorKind::Syntax(msg.into()))
}

impl<'a> MatchParser<'a> {
    /// A parser that accepts port names from `ports`.
    pub fn new(ports: Option<&'a PortNames>) -> Self {
        MatchParser {
            m: Match::new(),
            ports,
        }
    }

    /// Applies one `key=value` pair. Returns `Ok(false)` when `key` is not a match keyword
    /// (the caller may know it: `priority`, `table`, ...).
    pub fn apply(&mut self, key: &str, value: &str) -> Result<bool, ParseError> {
        if let Some(&(_, dl_type, nw_proto)) = PROTOCOLS.iter().find(|p| p.0 == key) {
            self.m
                .set(Field::EthType, Value::from_u64(2, dl_type as u64));
            if nw_proto != 0 {
                self.m
                    .set(Field::IpProto, Value::from_u64(1, nw_proto as u64));
            }
            return Ok(true);
        }
        if key == "eth" {
            self.m.set(Field::PacketType, Value::zero(4));
            return Ok(true);
        }
        if let Some(field) = Field::from_name(key) {
            let text = if value.is_empty() { "0/0" } else { value };
            let (v, m) = value::parse(field, text, self.ports).map_err(|e| {
                ParseError::new(format!("{key}={value}"), ParseErrorKind::BadValue(e))
            })?;
            self.set(field, v.as_u128(), m.as_u128());
            return Ok(true);
        }
        if key.contains('[') {
            self.subfield(key, value)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Sets `field` (storage-slot aware).
    /// (`arp_op` lives in OVS's 8-bit nw_proto: `arp_op=256` is arp_op 0 there, truncated
    /// by `set_masked`.)
    fn set(&mut self, field: Field, v: u128, m: u128) {
        let holder = slot_holder(field);
        let (v, m) = if holder != field && field.n_bytes() < holder.n_bytes() && m != 0 {
            // An 8-bit view (icmp_type, nd_options_type) of a 16-bit slot: exact.
            (v, u128::MAX)
        } else {
            (v, m)
        };
        let n = holder.n_bytes();
        self.m
            .set_masked(holder, Value::from_u128(n, v), Some(Value::from_u128(n, m)));
    }

    /// `name[ofs..end]=value` (`parse_subfield`).
    fn subfield(&mut self, key: &str, value: &str) -> Result<(), ParseError> {
        let input = format!("{key}={value}");
        let (name, range) = key
            .strip_suffix(']')
            .and_then(|k| k.split_once('['))
            .ok_or_else(|| syntax(&input, "bad subfield syntax"))?;
        let field = Field::from_name(name)
            .or_else(|| Field::from_header_name(name))
            .ok_or_else(|| {
                ParseError::new(&input, ParseErrorKind::UnknownField(name.to_owned()))
            })?;
        let width = field.info().n_bits as u32;
        let (ofs, n_bits) = if range.is_empty() {
            (0, width)
        } else if let Some((a, b)) = range.split_once("..") {
            let a: u32 = a.parse().map_err(|_| syntax(&input, "bad bit range"))?;
            let b: u32 = b.parse().map_err(|_| syntax(&input, "bad bit range"))?;
            if b < a {
                return Err(syntax(&input, "bit range ends before it starts"));
            }
            (a, b - a + 1)
        } else {
            let a: u32 = range.parse().map_err(|_| syntax(&input, "bad bit index"))?;
            (a, 1)
        };
        if ofs + n_bits > width {
            return Err(syntax(&input, format!("{name} has only {width} bits")));
        }
        let n = field.n_bytes();
        let val = parse_int(value, n)
            .map_err(|e| syntax(&input, format!("cannot parse integer value: {e}")))?
            .as_u128();
        if n_bits < 128 && val >> n_bits != 0 {
            return Err(syntax(
                &input,
                format!("value {value} does not fit into {n_bits} bits"),
            ));
        }
        let (cur_v, cur_m) = self.current(field, &input)?;
        let bits = if n_bits >= 128 {
            u128::MAX
        } else {
            ((1u128 << n_bits) - 1) << ofs
        };
        let v = (cur_v & !bits) | (val << ofs);
        let m = cur_m | bits;
        self.set(field, v, m);
        Ok(())
    }

    /// The current value and mask of `field` (canonical fields and `xreg`/`xxreg`).
    fn current(&self, field: Field, input: &str) -> Result<(u128, u128), ParseError> {
        const REGS: [Field; 16] = [
            Field::Reg0,
            Field::Reg1,
            Field::Reg2,
            Field::Reg3,
            Field::Reg4,
            Field::Reg5,
            Field::Reg6,
            Field::Reg7,
            Field::Reg8,
            Field::Reg9,
            Field::Reg10,
            Field::Reg11,
            Field::Reg12,
            Field::Reg13,
            Field::Reg14,
            Field::Reg15,
        ];
        let xreg = [
            Field::Xreg0,
            Field::Xreg1,
            Field::Xreg2,
            Field::Xreg3,
            Field::Xreg4,
            Field::Xreg5,
            Field::Xreg6,
            Field::Xreg7,
        ]
        .iter()
        .position(|&f| f == field);
        let xxreg = [Field::Xxreg0, Field::Xxreg1, Field::Xxreg2, Field::Xxreg3]
            .iter()
            .position(|&f| f == field);
        let join = |regs: &[Field]| {
            regs.iter().fold((0u128, 0u128), |(v, m), &r| {
                let (rv, rm) = self.m.bits(r);
                (v << 32 | rv, m << 32 | rm)
            })
        };
        if let Some(i) = xreg {
            return Ok(join(&REGS[2 * i..2 * i + 2]));
        }
        if let Some(i) = xxreg {
            return Ok(join(&REGS[4 * i..4 * i + 4]));
        }
        if crate::ofproto::codec::match_::is_canonical(field) {
            return Ok(self.m.bits(slot_holder(field)));
        }
        Err(syntax(
            input,
            format!("subfields of {} are not supported", field.name()),
        ))
    }

    /// Resolves shared storage slots from the final `dl_type`/`nw_proto`, checks
    /// prerequisites, and checks that the match can be encoded in `version`.
    pub fn finish(mut self, version: Version) -> Result<Match, ParseError> {
        self.rename_slots()?;
        let m = self.m;
        m.check_prereqs().map_err(|e| {
            ParseError::new(
                e.field.name(),
                ParseErrorKind::MissingPrerequisite {
                    field: e.field.name(),
                    needs: prereq_text(e.needs),
                },
            )
        })?;
        let mut scratch = BytesMut::new();
        m.encode_oxms(&mut scratch, version).map_err(|e| {
            ParseError::new(
                e.to_string(),
                ParseErrorKind::NotInVersion {
                    what: e.to_string(),
                    version,
                },
            )
        })?;
        Ok(m)
    }

    fn rename_slots(&mut self) -> Result<(), ParseError> {
        let dl_type = self.m.dl_type();
        let proto = self.m.value_of(Field::IpProto);
        let arp = matches!(dl_type, 0x0806 | 0x8035);
        let icmp4 = dl_type == 0x0800 && proto == 1;
        let icmp6 = dl_type == 0x86dd && proto == 58;
        if arp {
            self.rename(Field::Ipv4Src, Field::ArpSpa)?;
            self.rename(Field::Ipv4Dst, Field::ArpTpa)?;
            self.rename(Field::IpProto, Field::ArpOp)?;
        }
        let (src, dst) = match proto {
            _ if icmp4 => (Field::Icmpv4Type, Field::Icmpv4Code),
            _ if icmp6 => (Field::Icmpv6Type, Field::Icmpv6Code),
            17 => (Field::UdpSrc, Field::UdpDst),
            132 => (Field::SctpSrc, Field::SctpDst),
            _ => (Field::TcpSrc, Field::TcpDst),
        };
        self.rename(Field::TcpSrc, src)?;
        self.rename(Field::TcpDst, dst)?;
        if icmp6 {
            self.rename(Field::ArpSha, Field::NdSll)?;
            self.rename(Field::ArpTha, Field::NdTll)?;
            self.rename(Field::TcpFlags, Field::NdOptionsType)?;
        }
        Ok(())
    }

    /// Moves the constraint held in `from` to the field `to` that names it in this match.
    fn rename(&mut self, from: Field, to: Field) -> Result<(), ParseError> {
        if from == to {
            return Ok(());
        }
        let Some(e) = self.m.get(from).copied() else {
            return Ok(());
        };
        let (v, m) = (e.value.as_u128(), e.mask_bits());
        let n = to.n_bytes();
        let fits = n >= from.n_bytes() || (v >> (n * 8) == 0 && e.mask.is_none());
        if !fits {
            let mut shown = String::new();
            value::format(from, &e.value, e.mask.as_ref(), None, &mut shown);
            return Err(ParseError::new(
                format!("{}={shown}", to.name()),
                ParseErrorKind::Syntax(format!(
                    "{} must be an exact value that fits in {} bits",
                    to.name(),
                    n * 8
                )),
            ));
        }
        self.m.remove(from);
        let m = if e.mask.is_none() { u128::MAX } else { m };
        self.m
            .set_masked(to, Value::from_u128(n, v), Some(Value::from_u128(n, m)));
        Ok(())
    }
}

/// Parses a bare match (`priority=100,ip,nw_dst=10.0.0.0/8`), returning the match and the
/// priority (32768 when not given).
pub fn parse_match(
    text: &str,
    ports: Option<&PortNames>,
    version: Version,
) -> Result<(Match, u16), ParseError> {
    let mut p = MatchParser::new(ports);
    let mut priority = super::DEFAULT_PRIORITY;
    for (key, value) in super::KeyValues::new(text) {
        if p.apply(key, value)? {
            continue;
        }
        if key == "priority" {
            priority = parse_u16(key, value)?;
            continue;
        }
        return Err(ParseError::new(
            key,
            ParseErrorKind::UnknownField(key.to_owned()),
        ));
    }
    Ok((p.finish(version)?, priority))
}

/// `str_to_u16`: a C integer (decimal, `0x` hex, leading-0 octal) in 0..=65535.
pub fn parse_u16(key: &str, value: &str) -> Result<u16, ParseError> {
    let bad = || {
        syntax(
            &format!("{key}={value}"),
            format!("invalid {key} \"{value}\""),
        )
    };
    let v = parse_int(value, 8).map_err(|_| bad())?.as_u64();
    u16::try_from(v).map_err(|_| bad())
}
