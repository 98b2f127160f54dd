//! Field values and their text form, as Open vSwitch writes and reads them.
//!
//! [`Value`] holds up to 16 big-endian bytes inline (every fixed-width field OVS has fits), so
//! matches and actions need no allocation per field. [`format`](fn@format) mirrors `mf_format` and
//! [`parse`] mirrors `mf_parse` in OVS's `lib/meta-flow.c`; both are shared by the match printer,
//! `set_field:` and `load:`.

use super::field::{Field, Format};
use super::port::{PortNames, PortNo};
use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A field value or mask: up to 16 bytes, big-endian, inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value {
    len: u8,
    bytes: [u8; 16],
}

impl Value {
    /// The largest value width (IPv6 addresses, `ct_label`, `xxreg`).
    pub const MAX_LEN: usize = 16;

    /// Copies `bytes` (at most 16).
    pub fn from_slice(bytes: &[u8]) -> Option<Value> {
        if bytes.len() > Self::MAX_LEN {
            return None;
        }
        let mut v = Value {
            len: bytes.len() as u8,
            bytes: [0; 16],
        };
        v.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(v)
    }

    /// `len` zero bytes.
    pub fn zero(len: usize) -> Value {
        Value {
            len: len.min(Self::MAX_LEN) as u8,
            bytes: [0; 16],
        }
    }

    /// `len` bytes with the low `n_bits` bits set.
    pub fn ones(len: usize, n_bits: u32) -> Value {
        let n = if n_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << n_bits) - 1
        };
        Value::from_u128(len, n)
    }

    /// The low bytes of `n` in a value of `len` bytes (higher bytes of `n` are dropped).
    pub fn from_u128(len: usize, n: u128) -> Value {
        // Left-aligned big-endian: shifting the low `len` bytes to the top drops the higher
        // ones and leaves the unused tail zero (no variable-length copy).
        let len = len.min(Self::MAX_LEN);
        let bytes = match len {
            0 => [0; 16],
            _ => (n << (8 * (16 - len) as u32)).to_be_bytes(),
        };
        Value {
            len: len as u8,
            bytes,
        }
    }

    /// Like [`Value::from_u128`].
    pub fn from_u64(len: usize, n: u64) -> Value {
        Value::from_u128(len, n as u128)
    }

    /// An IPv4 address.
    pub fn from_ipv4(ip: Ipv4Addr) -> Value {
        Value::from_u128(4, u32::from(ip) as u128)
    }

    /// An IPv6 address.
    pub fn from_ipv6(ip: Ipv6Addr) -> Value {
        Value::from_u128(16, u128::from(ip))
    }

    /// A MAC address.
    pub fn from_mac(mac: [u8; 6]) -> Value {
        let mut v = Value::zero(6);
        v.bytes[..6].copy_from_slice(&mac);
        v
    }

    /// Width in bytes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True for a zero-width value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The big-endian bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The value as an integer (values are at most 128 bits).
    pub fn as_u128(&self) -> u128 {
        // The bytes are stored left-aligned, so the value is the top `len` bytes.
        match self.len as u32 {
            0 => 0,
            len => u128::from_be_bytes(self.bytes) >> (8 * (16 - len.min(16))),
        }
    }

    /// The low 64 bits.
    pub fn as_u64(&self) -> u64 {
        self.as_u128() as u64
    }

    /// True when every byte is zero.
    pub fn is_zero(&self) -> bool {
        self.as_bytes().iter().all(|&b| b == 0)
    }

    /// True when every byte is 0xff.
    pub fn is_all_ones(&self) -> bool {
        self.as_bytes().iter().all(|&b| b == 0xff)
    }

    /// Bitwise AND (the width of `self`).
    pub fn and(&self, other: &Value) -> Value {
        let mut v = *self;
        for (a, b) in v.bytes.iter_mut().zip(other.bytes.iter()) {
            *a &= b;
        }
        v
    }

    /// Bitwise NOT within the width.
    pub fn not(&self) -> Value {
        let mut v = *self;
        for b in v.bytes[..v.len as usize].iter_mut() {
            *b = !*b;
        }
        v
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value(0x")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends `v` in decimal (`%u`), without `core::fmt` (flow dumps print millions of numbers).
pub fn put_dec(v: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    push_ascii(&buf[i..], out);
}

/// Appends ASCII bytes (digits) to `out`.
fn push_ascii(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len());
    for &b in bytes {
        out.push(b as char);
    }
}

/// Appends `v` as minimal lowercase hex digits without a prefix (`%x`).
pub fn put_hex_digits(v: u64, out: &mut String) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = HEX_DIGITS[(v & 0xf) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    push_ascii(&buf[i..], out);
}

/// Appends `b` as two lowercase hex digits (`%02x`).
pub fn put_hex_byte(b: u8, out: &mut String) {
    out.push(HEX_DIGITS[(b >> 4) as usize] as char);
    out.push(HEX_DIGITS[(b & 0xf) as usize] as char);
}

/// Appends an IPv4 address in dotted decimal.
pub fn put_ipv4(addr: u32, out: &mut String) {
    for (i, b) in addr.to_be_bytes().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        put_dec(*b as u64, out);
    }
}

/// Appends `bytes` as OVS's `ds_put_hex`: `0x` + minimal hex digits, or `0` when zero.
pub fn put_hex(bytes: &[u8], out: &mut String) {
    let mut printed = false;
    for &b in bytes {
        if b != 0 || printed {
            if printed {
                put_hex_byte(b, out);
            } else {
                out.push_str("0x");
                put_hex_digits(b as u64, out);
            }
            printed = true;
        }
    }
    if !printed {
        out.push('0');
    }
}

/// Appends `value`/`mask` of `field` as OVS's `mf_format` does. `mask` of `None` (or all
/// ones) means an exact value; an all-zero mask prints `ANY`.
pub fn format(
    field: Field,
    value: &Value,
    mask: Option<&Value>,
    ports: Option<&PortNames>,
    out: &mut String,
) {
    let mask = match mask {
        Some(m) if m.is_zero() => {
            out.push_str("ANY");
            return;
        }
        Some(m) if m.is_all_ones() => None,
        m => m,
    };
    let info = field.info();
    match info.format {
        Format::OfpPortOxm if mask.is_none() => {
            let port = PortNo::from_ofp11(value.as_u64() as u32).unwrap_or(PortNo::ANY);
            port.format(ports, out);
        }
        Format::OfpPort if mask.is_none() => PortNo(value.as_u64() as u16).format(ports, out),
        Format::OfpPort | Format::OfpPortOxm | Format::Decimal | Format::Hexadecimal => {
            if info.format == Format::Hexadecimal {
                put_hex(value.as_bytes(), out);
            } else {
                put_dec(value.as_u64(), out);
            }
            if let Some(m) = mask {
                out.push('/');
                put_hex(m.as_bytes(), out);
            }
        }
        Format::CtState => format_flags_masked(
            value.as_u64() as u32,
            mask.map_or(u32::MAX, |m| m.as_u64() as u32),
            0xffff,
            ct_state_name,
            out,
        ),
        Format::TcpFlags => format_flags_masked(
            (value.as_u64() & 0x0fff) as u32,
            mask.map_or(0x0fff, |m| (m.as_u64() & 0x0fff) as u32),
            0x0fff,
            tcp_flag_name,
            out,
        ),
        Format::TunnelFlags => format_flags_masked(
            value.as_u64() as u32,
            mask.map_or(1, |m| m.as_u64() as u32 & 1),
            1,
            tun_flag_name,
            out,
        ),
        Format::Ethernet => {
            put_mac(value.as_bytes(), out);
            if let Some(m) = mask {
                out.push('/');
                put_mac(m.as_bytes(), out);
            }
        }
        Format::Ipv4 => {
            put_ipv4(value.as_u64() as u32, out);
            if let Some(m) = mask {
                let m = m.as_u64() as u32;
                out.push('/');
                if m.leading_ones() + m.trailing_zeros() == 32 {
                    put_dec(m.leading_ones() as u64, out);
                } else {
                    put_ipv4(m, out);
                }
            }
        }
        Format::Ipv6 => {
            put_ipv6(value.as_u128(), out);
            if let Some(m) = mask {
                let m = m.as_u128();
                if m.leading_ones() + m.trailing_zeros() == 128 {
                    let _ = write!(out, "/{}", m.leading_ones());
                } else {
                    out.push('/');
                    put_ipv6(m, out);
                }
            }
        }
        Format::Frag => {
            let m = mask.map_or(0xff, |m| m.as_u64() as u8) & 3;
            let v = value.as_u64() as u8 & m;
            out.push_str(
                FRAGS
                    .iter()
                    .find(|f| f.1 == m && f.2 == v)
                    .map_or("<error>", |f| f.0),
            );
        }
        Format::PacketType => {
            let v = value.as_u64() as u32;
            let m = mask.map_or(u32::MAX, |m| m.as_u64() as u32);
            if v == 0 && m == u32::MAX {
                out.push_str("eth");
            } else {
                out.push_str("packet_type=(");
                put_u16_masked((v >> 16) as u16, (m >> 16) as u16, out);
                out.push(',');
                put_u16_masked(v as u16, m as u16, out);
                out.push(')');
            }
        }
    }
}

fn put_u16_masked(v: u16, m: u16, out: &mut String) {
    if m == 0 {
        out.push('*');
        return;
    }
    if v > 9 {
        let _ = write!(out, "0x{v:x}");
    } else {
        let _ = write!(out, "{v}");
    }
    if m != u16::MAX {
        let _ = write!(out, "/0x{m:x}");
    }
}

/// Appends a MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn put_mac(b: &[u8], out: &mut String) {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        put_hex_byte(*x, out);
    }
}

/// (name, mask, value) for `ip_frag`, in OVS's lookup order.
const FRAGS: [(&str, u8, u8); 7] = [
    ("no", 3, 0),
    ("first", 3, 1),
    ("later", 3, 3),
    ("no", 1, 0),
    ("yes", 1, 1),
    ("not_later", 2, 0),
    ("later", 2, 2),
];

/// Names of `ct_state` bits (`CS_STATES`).
pub fn ct_state_name(bit: u32) -> Option<&'static str> {
    Some(match bit {
        0x01 => "new",
        0x02 => "est",
        0x04 => "rel",
        0x08 => "rpl",
        0x10 => "inv",
        0x20 => "trk",
        0x40 => "snat",
        0x80 => "dnat",
        _ => return None,
    })
}

/// Names of TCP flag bits.
pub fn tcp_flag_name(bit: u32) -> Option<&'static str> {
    Some(match bit {
        0x001 => "fin",
        0x002 => "syn",
        0x004 => "rst",
        0x008 => "psh",
        0x010 => "ack",
        0x020 => "urg",
        0x040 => "ece",
        0x080 => "cwr",
        0x100 => "ns",
        0x200 => "[200]",
        0x400 => "[400]",
        0x800 => "[800]",
        _ => return None,
    })
}

/// Names of the public tunnel flag bits.
pub fn tun_flag_name(bit: u32) -> Option<&'static str> {
    (bit == 1).then_some("oam")
}

/// OVS's `format_flags_masked`: `a|b` when the mask is full, else `+a-b` per masked bit.
pub fn format_flags_masked(
    flags: u32,
    mask: u32,
    max_mask: u32,
    name: fn(u32) -> Option<&'static str>,
    out: &mut String,
) {
    if mask == max_mask {
        if flags == 0 {
            out.push('0');
            return;
        }
        let mut bad = 0;
        let mut first = true;
        let mut rest = flags;
        while rest != 0 {
            let bit = rest & rest.wrapping_neg();
            match name(bit) {
                Some(n) => {
                    if !first {
                        out.push('|');
                    }
                    out.push_str(n);
                    first = false;
                }
                None => bad |= bit,
            }
            rest &= !bit;
        }
        if bad != 0 {
            if !first {
                out.push('|');
            }
            let _ = write!(out, "0x{bad:x}");
        }
        return;
    }
    if mask == 0 {
        out.push_str("0/0");
        return;
    }
    let mut rest = mask;
    while rest != 0 {
        let bit = rest & rest.wrapping_neg();
        out.push(if flags & bit != 0 { '+' } else { '-' });
        out.push_str(name(bit).unwrap_or("[Unknown]"));
        rest &= !bit;
    }
}

/// Why a field value in flow text could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{text}: {problem} for {field}")]
pub struct ValueError {
    /// The text that was rejected.
    pub text: String,
    /// The field's name.
    pub field: &'static str,
    /// What is wrong.
    pub problem: &'static str,
}

/// Parses `s` as a value of `field`, with an optional mask, as `mf_parse` does. Returns
/// `(value, mask)`; an exact value has an all-ones mask, `*` gives an all-zero mask.
pub fn parse(
    field: Field,
    s: &str,
    ports: Option<&PortNames>,
) -> Result<(Value, Value), ValueError> {
    let info = field.info();
    let n = info.n_bytes as usize;
    let err = |problem| ValueError {
        text: s.to_owned(),
        field: info.name,
        problem,
    };
    if s == "*" {
        return Ok((Value::zero(n), Value::zero(n)));
    }
    let full = Value::ones(n, n as u32 * 8);
    let (value, mask) = match info.format {
        Format::Decimal | Format::Hexadecimal => {
            let (v, m) = split_mask(s);
            let value = parse_int(v, n).map_err(err)?;
            let mask = match m {
                Some(m) => parse_int(m, n).map_err(err)?,
                None => full,
            };
            (value, mask)
        }
        Format::Ethernet => {
            let (v, m) = split_mask(s);
            let value = parse_mac(v).ok_or_else(|| err("invalid Ethernet address"))?;
            let mask = match m {
                Some(m) => parse_mac(m).ok_or_else(|| err("invalid Ethernet address"))?,
                None => full,
            };
            (value, mask)
        }
        Format::Ipv4 => {
            let (v, m) = split_mask(s);
            let ip: Ipv4Addr = v.parse().map_err(|_| err("invalid IP address"))?;
            let mask = match m {
                None => u32::MAX,
                Some(m) => match m.parse::<Ipv4Addr>() {
                    Ok(mask) => u32::from(mask),
                    Err(_) => match m.parse::<u32>() {
                        Ok(0) => 0,
                        Ok(p) if p <= 32 => u32::MAX << (32 - p),
                        _ => return Err(err("IPv4 network prefix bits not between 0 and 32")),
                    },
                },
            };
            (Value::from_ipv4(ip), Value::from_u64(4, mask as u64))
        }
        Format::Ipv6 => {
            let (v, m) = split_mask(s);
            let ip: Ipv6Addr = v.parse().map_err(|_| err("invalid IPv6 address"))?;
            let mask = match m {
                None => u128::MAX,
                Some(m) => match m.parse::<u32>() {
                    Ok(0) => 0,
                    Ok(p) if p <= 128 => u128::MAX << (128 - p),
                    Ok(_) => return Err(err("IPv6 network prefix bits not between 0 and 128")),
                    Err(_) => u128::from(
                        m.parse::<Ipv6Addr>()
                            .map_err(|_| err("Invalid IPv6 mask"))?,
                    ),
                },
            };
            (Value::from_ipv6(ip), Value::from_u128(16, mask))
        }
        Format::OfpPort => {
            let p = PortNo::parse(s, ports).ok_or_else(|| err("invalid or unknown port"))?;
            (Value::from_u64(2, p.0 as u64), full)
        }
        Format::OfpPortOxm => {
            let p = PortNo::parse(s, ports).ok_or_else(|| err("port value out of range"))?;
            (Value::from_u64(4, p.to_ofp11() as u64), full)
        }
        Format::Frag => {
            let f = FRAGS
                .iter()
                .find(|f| f.0.eq_ignore_ascii_case(s))
                .ok_or_else(|| err("unknown fragment type"))?;
            // OVS forces the mask's upper bits on so that an exact "no"/"later" stays exact.
            (
                Value::from_u64(1, f.2 as u64),
                Value::from_u64(1, (f.1 | !3) as u64),
            )
        }
        Format::CtState => {
            let (v, m) = parse_flags(s, ct_state_name, 0xff).map_err(err)?;
            (Value::from_u64(4, v as u64), Value::from_u64(4, m as u64))
        }
        Format::TcpFlags => {
            let (v, m) = parse_flags(s, tcp_flag_name, 0x0fff).map_err(err)?;
            (Value::from_u64(2, v as u64), Value::from_u64(2, m as u64))
        }
        Format::TunnelFlags => {
            let (v, m) = parse_flags(s, tun_flag_name, 1).map_err(err)?;
            (Value::from_u64(2, v as u64), Value::from_u64(2, m as u64))
        }
        Format::PacketType => {
            let inner = s
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| err("bad syntax for packet type"))?;
            let (ns, ty) = inner.split_once(',').ok_or_else(|| err("missing ','"))?;
            let ns = parse_int(ns.trim(), 2).map_err(err)?.as_u64();
            let ty = parse_int(ty.trim(), 2).map_err(err)?.as_u64();
            (Value::from_u64(4, ns << 16 | ty), full)
        }
    };
    if !info.maskable && !mask.is_all_ones() && !mask.is_zero() && info.format != Format::Frag {
        return Err(err("invalid mask"));
    }
    Ok((value, mask))
}

fn split_mask(s: &str) -> (&str, Option<&str>) {
    match s.split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (s, None),
    }
}

/// Parses an integer as OVS's `parse_int_string`: `0x` hex of any width up to `n` bytes, else
/// a C `strtoull` literal (decimal, `0x` hex or leading-0 octal, optional sign, a negative
/// value wrapping around as in C) that must fit in `n` bytes.
pub fn parse_int(s: &str, n: usize) -> Result<Value, &'static str> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        let digits = hex.trim_start_matches('0');
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("bad syntax");
        }
        if digits.len().div_ceil(2) > n {
            return Err("value too large");
        }
        let v = u128::from_str_radix(if digits.is_empty() { "0" } else { digits }, 16)
            .map_err(|_| "bad syntax")?;
        return Ok(Value::from_u128(n, v));
    }
    let v = strtoull(s).ok_or("bad syntax")?;
    if n < 8 && v >> (n * 8) != 0 {
        return Err("value too large");
    }
    Ok(Value::from_u64(n, v))
}

/// C's `strtoull(s, &tail, 0)` requiring the whole string to be consumed: leading white
/// space, an optional sign (a negative value wraps), then decimal, `0x` hex or leading-0 octal.
pub fn strtoull(s: &str) -> Option<u64> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Appends an IPv6 address as glibc's `inet_ntop` does (which OVS uses): like RFC 5952, but
/// `::a.b.c.d` and `::ffff:a.b.c.d` end in dotted IPv4.
pub fn put_ipv6(addr: u128, out: &mut String) {
    let words: Vec<u16> = (0..8).map(|i| (addr >> (112 - 16 * i)) as u16).collect();
    // The longest run of two or more zero words (the first one on a tie).
    let (mut best_base, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best_base, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = usize::MAX;
    }
    for (i, w) in words.iter().enumerate() {
        if best_base != usize::MAX && i >= best_base && i < best_base + best_len {
            if i == best_base {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            let _ = write!(out, "{}", Ipv4Addr::from(addr as u32));
            return;
        }
        let _ = write!(out, "{w:x}");
    }
    if best_base != usize::MAX && best_base + best_len == 8 {
        out.push(':');
    }
}

fn parse_mac(s: &str) -> Option<Value> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in mac.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then(|| Value::from_mac(mac))
}

/// Parses flags as OVS's `parse_flags`: `0x21/0x21`, `+new-est` (masked), or `new|trk`
/// (exact: all listed flags set, every other bit clear).
fn parse_flags(
    s: &str,
    name: fn(u32) -> Option<&'static str>,
    allowed: u32,
) -> Result<(u32, u32), &'static str> {
    if let Some((v, m)) = s.split_once('/') {
        let v = parse_c_u32(v).ok_or("bad flags")?;
        let m = parse_c_u32(m).ok_or("bad flags")?;
        if (v | m) & !allowed != 0 {
            return Err("unknown flag");
        }
        return Ok((v, m));
    }
    if s.starts_with('+') || s.starts_with('-') {
        let (mut flags, mut mask) = (0, 0);
        let mut rest = s;
        while !rest.is_empty() {
            let set = rest.starts_with('+');
            if !set && !rest.starts_with('-') {
                return Err("flags must be preceded by '+' or '-'");
            }
            rest = &rest[1..];
            let end = rest.find(['+', '-']).unwrap_or(rest.len());
            let word = &rest[..end];
            let bit = (0..32).map(|i| 1u32 << i).find(|&b| name(b) == Some(word));
            let bit = bit.ok_or("unknown flag")?;
            if bit & allowed == 0 {
                return Err("unknown flag");
            }
            if mask & bit != 0 {
                return Err("each flag can be specified only once");
            }
            mask |= bit;
            if set {
                flags |= bit;
            }
            rest = &rest[end..];
        }
        return Ok((flags, mask));
    }
    let mut flags = 0;
    for word in s.split('|') {
        let bit = match parse_c_u32(word) {
            Some(v) => v,
            None => (0..32)
                .map(|i| 1u32 << i)
                .find(|&b| name(b) == Some(word))
                .ok_or("unknown flag")?,
        };
        if bit & !allowed != 0 {
            return Err("unknown flag");
        }
        flags |= bit;
    }
    Ok((flags, u32::MAX))
}

fn parse_c_u32(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_printf() {
        for v in [0u64, 1, 9, 10, 99, 100, 65535, 4_294_967_295, u64::MAX] {
            let (mut d, mut x) = (String::new(), String::new());
            put_dec(v, &mut d);
            put_hex_digits(v, &mut x);
            assert_eq!(d, format!("{v}"));
            assert_eq!(x, format!("{v:x}"));
        }
        let mut s = String::new();
        put_ipv4(0x0a00_ff01, &mut s);
        put_hex_byte(0x0a, &mut s);
        assert_eq!(s, "10.0.255.10a");
    }

    fn fmt(field: Field, s: &str) -> String {
        let (v, m) = parse(field, s, None).unwrap();
        let mut out = String::new();
        format(field, &v, Some(&m), None, &mut out);
        out
    }

    /// `from_u128` and `ones` keep the low bytes, left-aligned, with a zero tail (the derived
    /// equality and hashing compare all 16 bytes), for every width.
    #[test]
    fn integers_become_left_aligned_bytes() {
        for len in 0..=16usize {
            for n in [
                0u128,
                1,
                0x1234_5678,
                u128::MAX,
                0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10,
            ] {
                let v = Value::from_u128(len, n);
                let be = n.to_be_bytes();
                assert_eq!(v.as_bytes(), &be[16 - len..], "{len} {n:#x}");
                assert_eq!(Value::from_slice(&be[16 - len..]), Some(v));
                let low = if len == 16 {
                    n
                } else {
                    n & ((1u128 << (8 * len)) - 1)
                };
                assert_eq!(v.as_u128(), low);
            }
            for bits in [0u32, 1, 7, 8, 9, 31, 64, 127, 128, 200] {
                let v = Value::ones(len, bits);
                let want = (0..bits.min(8 * len as u32)).fold(0u128, |a, b| a | 1 << b);
                assert_eq!(v.as_u128(), want, "{len} {bits}");
                assert_eq!(v.len(), len);
            }
        }
    }

    #[test]
    fn formats_like_ovs() {
        assert_eq!(fmt(Field::Reg0, "0x2/0xf"), "0x2/0xf");
        assert_eq!(fmt(Field::Reg0, "0"), "0");
        assert_eq!(fmt(Field::Reg0, "0/0x10"), "0/0x10");
        assert_eq!(fmt(Field::PktMark, "1/0xff"), "0x1/0xff");
        assert_eq!(fmt(Field::CtState, "+new+trk"), "+new+trk");
        assert_eq!(
            fmt(Field::CtState, "-new+est-rel-inv+trk"),
            "-new+est-rel-inv+trk"
        );
        assert_eq!(fmt(Field::Ipv4Dst, "10.10.1.0/24"), "10.10.1.0/24");
        assert_eq!(
            fmt(Field::Ipv4Dst, "10.10.1.0/255.0.255.0"),
            "10.10.1.0/255.0.255.0"
        );
        assert_eq!(fmt(Field::Ipv6Src, "fe80::1/64"), "fe80::1/64");
        assert_eq!(fmt(Field::EthDst, "aa:bb:cc:dd:ee:ff"), "aa:bb:cc:dd:ee:ff");
        assert_eq!(
            fmt(Field::EthDst, "01:00:00:00:00:00/01:00:00:00:00:00"),
            "01:00:00:00:00:00/01:00:00:00:00:00"
        );
        assert_eq!(fmt(Field::TcpFlags, "+syn-ack"), "+syn-ack");
        assert_eq!(fmt(Field::IpFrag, "later"), "later");
        assert_eq!(fmt(Field::IpFrag, "yes"), "yes");
        assert_eq!(fmt(Field::TcpDst, "80"), "80");
        assert_eq!(fmt(Field::TcpDst, "0x50/0xfff0"), "80/0xfff0");
        assert_eq!(
            fmt(Field::CtLabel, "0x700000000/0xffffffff00000000"),
            "0x700000000/0xffffffff00000000"
        );
        assert_eq!(fmt(Field::InPort, "LOCAL"), "LOCAL");
        assert_eq!(fmt(Field::InPortOxm, "7"), "7");
        assert_eq!(fmt(Field::TunId, "0x64"), "0x64");
        assert_eq!(fmt(Field::Reg0, "*"), "ANY");
    }

    #[test]
    fn rejects_bad_text() {
        assert!(parse(Field::Reg0, "0x1ffffffff", None).is_err());
        assert!(parse(Field::Ipv4Src, "10.0.0.300", None).is_err());
        assert!(parse(Field::CtState, "+bogus", None).is_err());
        assert!(parse(Field::IpProto, "6/0xf", None).is_err());
        assert!(parse(Field::EthSrc, "aa:bb", None).is_err());
        assert_eq!(parse_int("010", 2).unwrap().as_u64(), 8);
        assert_eq!(parse_int("-1", 8).unwrap().as_u64(), u64::MAX);
        assert!(parse_int("-1", 4).is_err());
        assert!(parse_int("", 4).is_err());
        assert!(parse_int("12x", 4).is_err());
    }

    #[test]
    fn ipv6_like_glibc() {
        let p = |s: &str| {
            let mut out = String::new();
            put_ipv6(u128::from(s.parse::<Ipv6Addr>().unwrap()), &mut out);
            out
        };
        assert_eq!(p("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(p("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(p("::1"), "::1");
        assert_eq!(p("::"), "::");
        assert_eq!(p("1::"), "1::");
        assert_eq!(p("fe80::1"), "fe80::1");
        assert_eq!(p("1:0:2:0:0:3:0:4"), "1:0:2::3:0:4");
        assert_eq!(p("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(p("2001:db8::1:0:0:1"), "2001:db8::1:0:0:1");
    }

    #[test]
    fn value_bits() {
        assert_eq!(Value::ones(4, 12).as_u64(), 0xfff);
        assert_eq!(Field::VlanVid.full_mask().as_u64(), 0xfff);
        let mut s = String::new();
        put_hex(&[0, 0, 0x0a, 0x01], &mut s);
        assert_eq!(s, "0xa01");
    }
}
