//! Printing a match exactly as OVS's `lib/match.c::match_format` does: a fixed field order
//! (not wire order), protocol shorthands, and per-field number formats
//! (`format_uint32_masked` prints `%#x`, so zero is `0`; `format_be16_masked` prints decimal or
//! `0x%x/0x%x`; ...).

use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::match_::{Match, MatchEntry};
use crate::ofproto::codec::port::{PortNames, PortNo};
use crate::ofproto::codec::value::{
    self, ct_state_name, put_dec, put_hex, put_hex_digits, tcp_flag_name, Value,
};
use std::fmt::Write;

/// `OFP_DEFAULT_PRIORITY`: not printed.
pub const DEFAULT_PRIORITY: u16 = 0x8000;

/// Which fields a match constrains, as a bitmap: printing asks about every field OVS knows, and
/// a typical match has two or three, so most questions are answered without a search.
struct Present([u64; 4]);

impl Present {
    fn of(m: &Match) -> Present {
        let mut words = [0u64; 4];
        for e in m.entries() {
            let i = e.field as usize;
            match words.get_mut(i / 64) {
                Some(w) => *w |= 1 << (i % 64),
                // A field beyond the bitmap: every field then counts as possibly present.
                None => return Present([u64::MAX; 4]),
            }
        }
        Present(words)
    }

    fn may_have(&self, f: Field) -> bool {
        let i = f as usize;
        self.0.get(i / 64).is_none_or(|w| w & (1 << (i % 64)) != 0)
    }

    /// Whether any field of `group` may be present (a whole block of the printer is skipped
    /// otherwise).
    fn any(&self, group: &Present) -> bool {
        self.0.iter().zip(group.0.iter()).any(|(a, b)| a & b != 0)
    }

    /// The set of `fields`, for constants. Fields beyond the bitmap make the set "everything".
    const fn group(fields: &[Field]) -> Present {
        let mut words = [0u64; 4];
        let mut i = 0;
        while i < fields.len() {
            let n = fields[i] as usize;
            if n >= 256 {
                return Present([u64::MAX; 4]);
            }
            words[n / 64] |= 1 << (n % 64);
            i += 1;
        }
        Present(words)
    }
}

/// The fields printed before the protocol shorthand (marks, conntrack).
const HEAD_FIELDS: Present = Present::group(&[
    Field::PktMark,
    Field::RecircId,
    Field::DpHash,
    Field::ConjId,
    Field::SkbPriority,
    Field::ActsetOutput,
    Field::CtState,
    Field::CtZone,
    Field::CtMark,
    Field::CtLabel,
    Field::CtNwSrc,
    Field::CtIpv6Src,
    Field::CtNwDst,
    Field::CtIpv6Dst,
    Field::CtNwProto,
    Field::CtTpSrc,
    Field::CtTpDst,
]);

/// The tunnel metadata fields (`format_flow_tunnel`).
const TUNNEL_FIELDS: Present = Present::group(&[
    Field::TunId,
    Field::TunSrc,
    Field::TunDst,
    Field::TunIpv6Src,
    Field::TunIpv6Dst,
    Field::TunGbpId,
    Field::TunGbpFlags,
    Field::TunTos,
    Field::TunTtl,
    Field::TunErspanVer,
    Field::TunErspanIdx,
    Field::TunErspanDir,
    Field::TunErspanHwid,
    Field::TunGtpuFlags,
    Field::TunGtpuMsgtype,
    Field::TunFlags,
]);

const REG_FIELDS: Present = Present::group(&REGS);

struct Out<'a> {
    s: &'a mut String,
    m: &'a Match,
    present: Present,
}

impl<'a> Out<'a> {
    /// The constraint on `f` (borrowing the match, not the printer).
    fn get(&self, f: Field) -> Option<&'a MatchEntry> {
        let m: &'a Match = self.m;
        if self.present.may_have(f) {
            m.get(f)
        } else {
            None
        }
    }

    fn bits(&self, f: Field) -> (u128, u128) {
        if self.present.may_have(f) {
            self.m.bits(f)
        } else {
            (0, 0)
        }
    }

    /// `name=`.
    fn key(&mut self, name: &str) {
        self.s.push_str(name);
        self.s.push('=');
    }

    /// `format_uint32_masked` / `format_be64_masked`: `name=%#x[/%#x],`.
    fn hex_masked(&mut self, name: &str, f: Field) {
        let (v, m) = self.bits(f);
        if m == 0 {
            return;
        }
        self.key(name);
        put_c_hex(v, self.s);
        if m != full(f) {
            self.s.push('/');
            put_c_hex(m, self.s);
        }
        self.s.push(',');
    }

    /// `format_be16_masked`: `name=%u` or `name=0x%x/0x%x`.
    fn be16_masked(&mut self, name: &str, v: u128, m: u128, full_mask: u128) {
        if m == 0 {
            return;
        }
        self.key(name);
        if m == full_mask {
            put_dec(v as u64, self.s);
        } else {
            self.s.push_str("0x");
            put_hex_digits(v as u64, self.s);
            self.s.push_str("/0x");
            put_hex_digits(m as u64, self.s);
        }
        self.s.push(',');
    }

    /// `format_be32_masked`: `name=%u` or `name=0x%08x/0x%08x`.
    fn be32_masked(&mut self, name: &str, f: Field) {
        let (v, m) = self.bits(f);
        if m == 0 {
            return;
        }
        if m == 0xffff_ffff {
            let _ = write!(self.s, "{name}={v},");
        } else {
            let _ = write!(self.s, "{name}=0x{v:08x}/0x{m:08x},");
        }
    }

    /// Addresses (`format_ip_netmask`, `format_ipv6_netmask`, `format_eth_masked`) via
    /// `mf_format`, which prints them the same way.
    fn addr(&mut self, name: &str, f: Field) {
        if !self.present.may_have(f) {
            return;
        }
        let Some(e) = self.m.get(f) else { return };
        self.key(name);
        value::format(f, &e.value, e.mask.as_ref(), None, self.s);
        self.s.push(',');
    }

    /// `name=%u,` when constrained.
    fn decimal(&mut self, name: &str, f: Field) {
        let (v, m) = self.bits(f);
        if m != 0 {
            self.key(name);
            put_dec(v as u64, self.s);
            self.s.push(',');
        }
    }
}

fn full(f: Field) -> u128 {
    Value::ones(f.n_bytes(), f.n_bytes() as u32 * 8).as_u128()
}

/// C's `%#x`: `0` for zero, else `0x` and lowercase hex digits.
fn put_c_hex(v: u128, s: &mut String) {
    if v == 0 {
        s.push('0');
    } else if let Ok(v) = u64::try_from(v) {
        s.push_str("0x");
        put_hex_digits(v, s);
    } else {
        let _ = write!(s, "0x{v:x}");
    }
}

/// C's `%#x` as a string (for the rarely printed tunnel fields).
fn c_hex(v: u128) -> String {
    let mut s = String::new();
    put_c_hex(v, &mut s);
    s
}

/// Appends `m` (with `priority`) as `match_format` does; nothing for a catch-all match at the
/// default priority. Port numbers are printed as names when `ports` knows them.
pub fn format_match(m: &Match, priority: u16, ports: Option<&PortNames>, s: &mut String) {
    let start = s.len();
    let mut o = Out {
        s,
        m,
        present: Present::of(m),
    };
    if priority != DEFAULT_PRIORITY {
        o.s.push_str("priority=");
        put_dec(priority as u64, o.s);
        o.s.push(',');
    }
    if o.present.any(&HEAD_FIELDS) {
        format_head(&mut o, ports);
    }
    format_body(&mut o, ports);
    if s.len() > start && s.ends_with(',') {
        s.pop();
    }
}

/// Marks, `conj_id`, `actset_output` and the conntrack fields.
fn format_head(o: &mut Out<'_>, ports: Option<&PortNames>) {
    o.hex_masked("pkt_mark", Field::PktMark);
    o.hex_masked("recirc_id", Field::RecircId);
    o.hex_masked("dp_hash", Field::DpHash);
    o.decimal("conj_id", Field::ConjId);
    o.hex_masked("skb_priority", Field::SkbPriority);
    if let Some(e) = o.get(Field::ActsetOutput) {
        o.s.push_str("actset_output=");
        let port = PortNo::from_ofp11(e.value.as_u64() as u32).unwrap_or(PortNo::ANY);
        port.format(ports, o.s);
        o.s.push(',');
    }
    if let Some(e) = o.get(Field::CtState) {
        o.s.push_str("ct_state=");
        let (v, mask) = (e.value.as_u64() as u32, e.mask_bits() as u32 & 0xff);
        value::format_flags_masked(v, mask, 0xff, ct_state_name, o.s);
        o.s.push(',');
    }
    let (zone, zone_mask) = o.bits(Field::CtZone);
    o.be16_masked("ct_zone", zone, zone_mask, 0xffff);
    o.hex_masked("ct_mark", Field::CtMark);
    if let Some(e) = o.get(Field::CtLabel) {
        o.s.push_str("ct_label=");
        put_hex(e.value.as_bytes(), o.s);
        if let Some(mask) = &e.mask {
            o.s.push('/');
            put_hex(mask.as_bytes(), o.s);
        }
        o.s.push(',');
    }
    o.addr("ct_nw_src", Field::CtNwSrc);
    o.addr("ct_ipv6_src", Field::CtIpv6Src);
    o.addr("ct_nw_dst", Field::CtNwDst);
    o.addr("ct_ipv6_dst", Field::CtIpv6Dst);
    if o.bits(Field::CtNwProto).1 != 0 {
        o.decimal("ct_nw_proto", Field::CtNwProto);
        let (v, mask) = o.bits(Field::CtTpSrc);
        o.be16_masked("ct_tp_src", v, mask, 0xffff);
        let (v, mask) = o.bits(Field::CtTpDst);
        o.be16_masked("ct_tp_dst", v, mask, 0xffff);
    }
}

/// Everything after the conntrack fields.
fn format_body(o: &mut Out<'_>, ports: Option<&PortNames>) {
    let mut dl_type = o.bits(Field::EthType).0;
    let (pt, pt_mask) = o.bits(Field::PacketType);
    if pt_mask != 0 && !(pt == 0 && pt_mask == 0xffff_ffff) {
        if let Some(e) = o.get(Field::PacketType) {
            value::format(Field::PacketType, &e.value, e.mask.as_ref(), None, o.s);
            o.s.push(',');
        }
        if pt >> 16 == 1 {
            dl_type = pt & 0xffff;
        }
    }
    let dl_type_masked = o.bits(Field::EthType).1 != 0;
    let (proto, proto_mask) = proto_bits(o);
    let (skip_type, skip_proto) = shorthand(o.s, dl_type_masked, dl_type, proto, proto_mask);

    if o.present.any(&REG_FIELDS) {
        for (i, reg) in REG_NAMES.iter().enumerate() {
            o.hex_masked(reg, REGS[i]);
        }
    }
    if o.present.any(&TUNNEL_FIELDS) {
        format_tunnel(o);
    }
    o.hex_masked("metadata", Field::Metadata);
    if let Some(e) = o.get(Field::InPort) {
        o.s.push_str("in_port=");
        PortNo(e.value.as_u64() as u16).format(ports, o.s);
        o.s.push(',');
    }
    format_vlan(o);
    o.addr("dl_src", Field::EthSrc);
    o.addr("dl_dst", Field::EthDst);
    if !skip_type && dl_type_masked {
        let _ = write!(o.s, "dl_type=0x{dl_type:04x},");
    }
    format_l3(o, dl_type, proto, proto_mask, skip_proto);
    format_l4(o, dl_type, proto);
}

/// `flow->nw_proto` and its mask (shared by `ip_proto` and `arp_op`).
fn proto_bits(o: &Out<'_>) -> (u128, u128) {
    let (a, am) = o.bits(Field::IpProto);
    let (b, bm) = o.bits(Field::ArpOp);
    (a | b, if am != 0 { am } else { bm })
}

/// The protocol shorthand (`ip`, `tcp6`, `arp`...). Returns (dl_type printed, nw_proto
/// printed).
fn shorthand(
    s: &mut String,
    masked: bool,
    dl_type: u128,
    proto: u128,
    pmask: u128,
) -> (bool, bool) {
    if !masked {
        return (false, false);
    }
    let (name, skip_proto) = match dl_type {
        0x0800 => match (pmask != 0, proto) {
            (true, 1) => ("icmp", true),
            (true, 6) => ("tcp", true),
            (true, 17) => ("udp", true),
            (true, 132) => ("sctp", true),
            _ => ("ip", false),
        },
        0x86dd => match (pmask != 0, proto) {
            (true, 58) => ("icmp6", true),
            (true, 6) => ("tcp6", true),
            (true, 17) => ("udp6", true),
            (true, 132) => ("sctp6", true),
            _ => ("ipv6", false),
        },
        0x0806 => ("arp", false),
        0x8035 => ("rarp", false),
        0x8847 => ("mpls", false),
        0x8848 => ("mplsm", false),
        _ => return (false, false),
    };
    s.push_str(name);
    s.push(',');
    (true, skip_proto)
}

const REG_NAMES: [&str; 16] = [
    "reg0", "reg1", "reg2", "reg3", "reg4", "reg5", "reg6", "reg7", "reg8", "reg9", "reg10",
    "reg11", "reg12", "reg13", "reg14", "reg15",
];

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

/// `format_flow_tunnel`.
fn format_tunnel(o: &mut Out<'_>) {
    o.hex_masked("tun_id", Field::TunId);
    o.addr("tun_src", Field::TunSrc);
    o.addr("tun_dst", Field::TunDst);
    o.addr("tun_ipv6_src", Field::TunIpv6Src);
    o.addr("tun_ipv6_dst", Field::TunIpv6Dst);
    let (v, m) = o.bits(Field::TunGbpId);
    o.be16_masked("tun_gbp_id", v, m, 0xffff);
    let (v, m) = o.bits(Field::TunGbpFlags);
    if m != 0 {
        let _ = write!(o.s, "tun_gbp_flags={},", c_hex(v));
    }
    let (v, m) = o.bits(Field::TunTos);
    if m != 0 {
        let _ = write!(o.s, "tun_tos={v:x},");
    }
    o.decimal("tun_ttl", Field::TunTtl);
    let ver = o.bits(Field::TunErspanVer).0;
    o.decimal("tun_erspan_ver", Field::TunErspanVer);
    let (v, m) = o.bits(Field::TunErspanIdx);
    if m != 0 && ver == 1 {
        let _ = write!(o.s, "tun_erspan_idx={},", c_hex(v));
    }
    if ver == 2 {
        o.decimal("tun_erspan_dir", Field::TunErspanDir);
        let (v, m) = o.bits(Field::TunErspanHwid);
        if m != 0 {
            let _ = write!(o.s, "tun_erspan_hwid={},", c_hex(v));
        }
    }
    let (v, m) = o.bits(Field::TunGtpuFlags);
    if m != 0 {
        let _ = write!(o.s, "gtpu_flags={},", c_hex(v));
    }
    o.decimal("gtpu_msgtype", Field::TunGtpuMsgtype);
    let (v, m) = o.bits(Field::TunFlags);
    if m & 1 != 0 {
        o.s.push_str("tun_flags=");
        // FLOW_TNL_F_MASK (0xf) is the "full" mask, so the public `oam` bit prints as +oam/-oam.
        value::format_flags_masked(v as u32 & 1, m as u32 & 1, 0xf, value::tun_flag_name, o.s);
        o.s.push(',');
    }
}

/// The VLAN part: `dl_vlan`/`dl_vlan_pcp` when they say it all, else `vlan_tci`.
fn format_vlan(o: &mut Out<'_>) {
    let (tci, mask) = o.bits(Field::VlanTci);
    if mask == 0 {
        return;
    }
    let vid_mask = mask & 0x0fff;
    let pcp_mask = mask & 0xe000;
    let cfi = mask & 0x1000;
    if cfi != 0
        && tci & 0x1000 != 0
        && (vid_mask == 0 || vid_mask == 0x0fff)
        && (pcp_mask == 0 || pcp_mask == 0xe000)
        && (vid_mask != 0 || pcp_mask != 0)
    {
        if vid_mask != 0 {
            let _ = write!(o.s, "dl_vlan={},", tci & 0x0fff);
        }
        if pcp_mask != 0 {
            let _ = write!(o.s, "dl_vlan_pcp={},", tci >> 13);
        }
    } else if mask == 0xffff {
        let _ = write!(o.s, "vlan_tci=0x{tci:04x},");
    } else {
        let _ = write!(o.s, "vlan_tci=0x{tci:04x}/0x{mask:04x},");
    }
}

/// Addresses, `nw_proto`/`arp_op`, ARP hardware addresses, TOS/ECN/TTL, MPLS, fragments.
fn format_l3(o: &mut Out<'_>, dl_type: u128, proto: u128, pmask: u128, skip_proto: bool) {
    let arp = matches!(dl_type, 0x0806 | 0x8035);
    if dl_type == 0x86dd {
        o.addr("ipv6_src", Field::Ipv6Src);
        o.addr("ipv6_dst", Field::Ipv6Dst);
        let (v, m) = o.bits(Field::Ipv6Label);
        if m == 0xffff_ffff {
            let _ = write!(o.s, "ipv6_label=0x{v:05x},");
        } else if m != 0 {
            let _ = write!(o.s, "ipv6_label=0x{v:05x}/0x{m:05x},");
        }
    } else if arp {
        o.addr("arp_spa", Field::ArpSpa);
        o.addr("arp_tpa", Field::ArpTpa);
    } else if dl_type == 0x894f {
        format_nsh(o);
    } else {
        o.addr("nw_src", Field::Ipv4Src);
        o.addr("nw_dst", Field::Ipv4Dst);
    }
    if !skip_proto && pmask != 0 {
        let name = if arp { "arp_op" } else { "nw_proto" };
        let _ = write!(o.s, "{name}={},", proto & 0xff);
    }
    if arp {
        o.addr("arp_sha", Field::ArpSha);
        o.addr("arp_tha", Field::ArpTha);
    }
    let (tos, tos_mask) = o.bits(Field::IpDscp);
    if tos_mask & 0xfc != 0 {
        let _ = write!(o.s, "nw_tos={},", tos & 0xfc);
    }
    o.decimal("nw_ecn", Field::IpEcn);
    o.decimal("nw_ttl", Field::IpTtl);
    o.decimal("mpls_label", Field::MplsLabel);
    o.decimal("mpls_tc", Field::MplsTc);
    o.decimal("mpls_ttl", Field::MplsTtl);
    o.decimal("mpls_bos", Field::MplsBos);
    let (frag, fmask) = o.bits(Field::IpFrag);
    let text = match fmask & 3 {
        3 => match frag & 3 {
            0 => Some("no"),
            1 => Some("first"),
            3 => Some("later"),
            _ => Some("<error>"),
        },
        1 => Some(if frag & 1 != 0 { "yes" } else { "no" }),
        2 => Some(if frag & 2 != 0 { "later" } else { "not_later" }),
        _ => None,
    };
    if let Some(text) = text {
        let _ = write!(o.s, "nw_frag={text},");
    }
}

/// `format_nsh_masked`.
fn format_nsh(o: &mut Out<'_>) {
    for (name, f) in [
        ("nsh_flags", Field::NshFlags),
        ("nsh_ttl", Field::NshTtl),
        ("nsh_mdtype", Field::NshMdtype),
        ("nsh_np", Field::NshNp),
    ] {
        let (v, m) = o.bits(f);
        if m == 0xff {
            let _ = write!(o.s, "{name}={v},");
        } else if m != 0 {
            let _ = write!(o.s, "{name}=0x{v:02x}/0x{m:02x},");
        }
    }
    let (v, m) = o.bits(Field::NshSpi);
    if m != 0 {
        let full_spi = m == 0xffff_ffff || m == 0x00ff_ffff;
        if full_spi {
            let _ = write!(o.s, "nsh_spi=0x{v:x},");
        } else {
            let _ = write!(o.s, "nsh_spi=0x{v:x}/0x{m:x},");
        }
    }
    let (v, m) = o.bits(Field::NshSi);
    if m == 0xff {
        let _ = write!(o.s, "nsh_si={v},");
    } else if m != 0 {
        let _ = write!(o.s, "nsh_si=0x{v:02x}/0x{m:02x},");
    }
    if o.bits(Field::NshMdtype) == (1, 0xff) {
        for (name, f) in [
            ("nsh_c1", Field::NshC1),
            ("nsh_c2", Field::NshC2),
            ("nsh_c3", Field::NshC3),
            ("nsh_c4", Field::NshC4),
        ] {
            let (v, m) = o.bits(f);
            if m == 0xffff_ffff {
                let _ = write!(o.s, "{name}=0x{v:x},");
            } else if m != 0 {
                let _ = write!(o.s, "{name}=0x{v:x}/0x{m:x},");
            }
        }
    }
}

/// ICMP type/code (and ND fields) or transport ports, then TCP flags.
fn format_l4(o: &mut Out<'_>, dl_type: u128, proto: u128) {
    let (src, src_m) = slot(o, [Field::TcpSrc, Field::UdpSrc, Field::SctpSrc]);
    let (dst, dst_m) = slot(o, [Field::TcpDst, Field::UdpDst, Field::SctpDst]);
    if dl_type == 0x0800 && proto == 1 {
        let (v, m) = o.bits(Field::Icmpv4Type);
        o.be16_masked("icmp_type", v, if m != 0 { 0xffff } else { 0 }, 0xffff);
        let (v, m) = o.bits(Field::Icmpv4Code);
        o.be16_masked("icmp_code", v, if m != 0 { 0xffff } else { 0 }, 0xffff);
    } else if dl_type == 0x86dd && proto == 58 {
        let (v, m) = o.bits(Field::Icmpv6Type);
        o.be16_masked("icmp_type", v, if m != 0 { 0xffff } else { 0 }, 0xffff);
        let (v, m) = o.bits(Field::Icmpv6Code);
        o.be16_masked("icmp_code", v, if m != 0 { 0xffff } else { 0 }, 0xffff);
        o.addr("nd_target", Field::NdTarget);
        o.addr("nd_sll", Field::NdSll);
        o.addr("nd_tll", Field::NdTll);
        o.be32_masked("nd_reserved", Field::NdReserved);
        let (v, m) = o.bits(Field::NdOptionsType);
        o.be16_masked(
            "nd_options_type",
            v,
            if m != 0 { 0xffff } else { 0 },
            0xffff,
        );
    } else {
        o.be16_masked("tp_src", src, src_m, 0xffff);
        o.be16_masked("tp_dst", dst, dst_m, 0xffff);
    }
    if matches!(dl_type, 0x0800 | 0x86dd) && proto == 6 {
        let (v, m) = o.bits(Field::TcpFlags);
        if m != 0 {
            o.s.push_str("tcp_flags=");
            let (v, m) = (v as u32 & 0x0fff, m as u32 & 0x0fff);
            value::format_flags_masked(v, m, 0x0fff, tcp_flag_name, o.s);
            o.s.push(',');
        }
    }
}

/// Value and mask of whichever of `fields` (which share a storage slot) is present.
fn slot(o: &Out<'_>, fields: [Field; 3]) -> (u128, u128) {
    fields
        .iter()
        .map(|&f| o.bits(f))
        .find(|&(_, m)| m != 0)
        .unwrap_or((0, 0))
}
